//! What an entry came to (`EntryOutcome`), and how a poll failure is
//! classified: `model::FailureKind` and `model::PollFailure` taken from
//! the pipeline's error types.
//!
//! See `ARCHITECTURE.md`, "Codemap" (`pipeline`). Must not: hold logic
//! beyond classifying an error by its type (never by its words).

use super::error::PipelineError;
use crate::fetch::FetchError;
use crate::model::{FailureKind, PollFailure};

/// What became of one entry.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryOutcome {
    Seen,
    Stored(u64),
    Duplicate(u64),
    Offtopic,
    NoArticle(String),
    Failed(String),
}

impl FailureKind {
    pub fn of_fetch(e: &FetchError) -> FailureKind {
        match e {
            FetchError::Timeout { .. } => FailureKind::Timeout,
            FetchError::Status { status, .. } => match status / 100 {
                4 => FailureKind::Http4xx,
                5 => FailureKind::Http5xx,
                _ => FailureKind::Other,
            },
            FetchError::Network { .. } | FetchError::Client(_) => FailureKind::Network,
            // The server answered, in something other than HTTP.
            FetchError::Protocol { .. } => FailureKind::Other,
            FetchError::Blocked { .. } => FailureKind::Blocked,
            FetchError::TooLarge { .. } => FailureKind::TooLarge,
            // Held back by our own politeness, or a redirect chain: neither
            // is the server failing nor the network.
            FetchError::Throttled { .. } | FetchError::Redirect { .. } => FailureKind::Other,
            // A server's broken compression says nothing of the network.
            FetchError::Decode { .. } => FailureKind::Other,
        }
    }

    pub fn of(e: &PipelineError) -> FailureKind {
        match e {
            PipelineError::Store(_) => FailureKind::Store,
            PipelineError::Fetch(f) => FailureKind::of_fetch(f),
            PipelineError::Shared(inner) => FailureKind::of(inner),
            PipelineError::Corpus(_) | PipelineError::Archive(_) | PipelineError::Task(_) => {
                FailureKind::Other
            }
        }
    }
}

/// The log target of "poll failed" lines, so that `run --once`, which
/// names each failed feed in its summary, can leave them out by default.
pub const POLL_FAILURES: &str = "tidings::poll";

impl PollFailure {
    pub(super) fn of(e: &PipelineError) -> PollFailure {
        PollFailure {
            kind: FailureKind::of(e),
            message: e.to_string(),
        }
    }
}
