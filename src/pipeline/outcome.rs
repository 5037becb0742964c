//! What a poll and an entry came to: the values `refresh_feed` returns and
//! `run --once`, `/metrics` and the logs read. Plain data, no I/O.
//!
//! See `ARCHITECTURE.md`, "Codemap" (`pipeline`). Must not: hold logic
//! beyond classifying an error by its type (never by its words).

use super::PipelineError;
use crate::fetch::FetchError;

/// The kind of a poll failure, as `/metrics` counts it. Taken from the
/// error's type where it is made, never from its words (a URL with
/// "connect" in it is not a network failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    Timeout,
    Http4xx,
    Http5xx,
    Network,
    Blocked,
    TooLarge,
    Store,
    Parse,
    Other,
}

impl FailureKind {
    /// Every kind, in the order `/metrics` renders them.
    pub const ALL: [FailureKind; 9] = [
        FailureKind::Timeout,
        FailureKind::Http4xx,
        FailureKind::Http5xx,
        FailureKind::Network,
        FailureKind::Blocked,
        FailureKind::TooLarge,
        FailureKind::Store,
        FailureKind::Parse,
        FailureKind::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Timeout => "timeout",
            FailureKind::Http4xx => "http_4xx",
            FailureKind::Http5xx => "http_5xx",
            FailureKind::Network => "network",
            FailureKind::Blocked => "blocked",
            FailureKind::TooLarge => "too_large",
            FailureKind::Store => "store",
            FailureKind::Parse => "parse",
            FailureKind::Other => "other",
        }
    }

    pub fn of_fetch(e: &FetchError) -> FailureKind {
        match e {
            FetchError::Timeout { .. } => FailureKind::Timeout,
            FetchError::Status { status, .. } => match status / 100 {
                4 => FailureKind::Http4xx,
                5 => FailureKind::Http5xx,
                _ => FailureKind::Other,
            },
            FetchError::Network { .. } | FetchError::Client(_) => FailureKind::Network,
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

/// Why a poll failed: its kind and the one-line message the logs, the
/// feed's row and `status` show.
#[derive(Debug, Clone, PartialEq)]
pub struct PollFailure {
    pub kind: FailureKind,
    pub message: String,
}

impl PollFailure {
    pub(super) fn of(e: &PipelineError) -> PollFailure {
        PollFailure {
            kind: FailureKind::of(e),
            message: e.to_string(),
        }
    }
}

/// What one poll of one feed did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedOutcome {
    pub feed: String,
    /// What stopped the poll, if it failed.
    pub error: Option<PollFailure>,
    pub not_modified: bool,
    pub entries: usize,
    pub stored: usize,
    pub duplicates: usize,
    pub offtopic: usize,
    pub no_article: usize,
    pub failed: usize,
}
