//! tidings: watch news feeds, grow a clean, deduplicated plain-text corpus.
//!
//! # Codemap
//!
//! `ARCHITECTURE.md` at the top of the repository is the longer map: entry
//! points, the invariants, the order of a commit, the daemon's tasks.
//!
//! The pipeline, in the order an entry travels through it:
//!
//! * [`config`]: TOML → validated [`config::Config`]; every problem at once,
//!   with file and line. Also the feed list's other forms: adding feeds to
//!   the file with its layout kept (`config::edit`) and OPML (`config::opml`).
//! * [`schedule`]: when each feed is due (pure decisions; time is an argument).
//! * [`fetch`]: the one HTTP client (reqwest lives here and nowhere else).
//! * [`feed`]: feed bytes → entries with stable keys (pure); a page's
//!   announced feeds (`feed::discover`).
//! * [`extract`]: page bytes → article: headline, paragraphs, metadata (pure).
//! * [`normalize`]: article → the corpus (seed) text format (pure).
//! * [`topic`]: the boolean topic query and its matcher (pure).
//! * [`dedup`]: canonical URLs, exact and near-duplicate decisions (pure).
//! * [`corpus`]: the corpus directory: scanning, naming, atomic writes (the
//!   only module that writes corpus files).
//! * [`archive`]: the evidence archive: each stored article's page as a
//!   WARC 1.1 record pair in rotating `.warc.gz` files (the only module
//!   that writes WARC files), and their reader.
//! * [`store`]: SQLite, the source of truth for metadata and state (the only
//!   module that knows rusqlite), with the full-text index (`store::search`)
//!   and the counts of `tidings stats` (`store::stats`).
//! * [`pipeline`]: `refresh_feed`, the one path from a feed to stored
//!   articles, used by the daemon and by `run --once` alike.
//! * [`daemon`]: `tidings run`: the schedule loop, signals, reload, shutdown.
//! * [`service`]: what systemd and operators see: sd_notify, watchdog,
//!   metrics and health endpoint, single-instance lock, log formats.
//! * [`alert`]: who hears of what, and each sink's message format (pure).
//! * [`deliver`]: the outbox loop that sends alerts (HTTP through `fetch`,
//!   SMTP, commands).
//! * [`cli`]: the command line; maps errors to exit codes.
//!
//! # Invariants
//!
//! * The pure stages (`feed`, `extract`, `normalize`, `topic`, `dedup`,
//!   `schedule`) do no I/O and never read the clock: what they need comes in
//!   as arguments. They are tested with plain values.
//! * Only `fetch` speaks HTTP, only `store` speaks SQL, only `corpus` writes
//!   into the corpus directory, only `archive` writes WARC files.
//! * A corpus file is never rewritten once it exists, and the sequence number
//!   of a file is never reused. The one exception is `tidings reextract
//!   --write`: it may replace the text of a stored article's file (same
//!   name, same number; atomically, through `corpus::Corpus::replace`) with
//!   what the current extractor makes of the archived page, and only after
//!   the store has kept the text the file held first (`original_texts`).
//!   Files with no archived page (seeds, imports, feed-text fallbacks) are
//!   never rewritten.
//! * A WARC record is appended and fsynced before any row that points at it
//!   commits; archive files are only appended to (a torn last record left by
//!   a crash is cut off at the next start).
//! * Bad input from the outside (a feed, a page, a config) is an error value
//!   naming the thing at fault, never a panic, and never stops other feeds.

pub mod alert;
pub mod archive;
pub mod cli;
pub mod config;
pub mod corpus;
pub mod daemon;
pub mod dedup;
pub mod deliver;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod model;
pub mod normalize;
pub mod pipeline;
pub mod schedule;
pub mod service;
pub mod store;
pub mod topic;

/// How many cases each property test runs: 256, or TIDINGS_PROPTEST_CASES
/// for long fuzz-like runs. One knob for every parser's properties.
#[cfg(test)]
pub(crate) fn proptest_cases() -> u32 {
    std::env::var("TIDINGS_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}
