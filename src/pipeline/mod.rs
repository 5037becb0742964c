//! The ingestion path: `refresh_feed` takes one feed from fetch to stored
//! articles; the daemon and `run --once` both call it.
//!
//! This is the I/O shell around the pure stages: it fetches, calls
//! `feed`, `extract`, `normalize`, `topic` and `dedup`, and records the
//! outcome through `store`, `corpus` and `archive`. The order follows what
//! is cheap: an entry seen before is skipped before its page is fetched,
//! and a known canonical URL is a sighting before anything is extracted.
//! Blocking work (SQLite, files, parsing, extraction) runs off the async
//! threads.
//!
//! By job: `handle` (`Pipeline`, what every poll shares), `error`
//! (`PipelineError`), `hosts` (`FleetHosts`, the fleet's host budget as
//! the fetcher's gate), `open` (open, repair, import), `poll`
//! (`refresh_feed`), `entry` (one entry up to the writer), `commit` (the
//! group commit and its fsync order), `once` (`run_once` and the due-feed
//! choice), `outcome` (what an entry and a poll came to), `fleet` (the
//! same on PostgreSQL: a worker's opening, story decision and leases),
//! `worker` (a fleet worker's name, lease and catching up). This file only
//! declares them and re-exports their public items. See `ARCHITECTURE.md`, "Entry points" and "Durability:
//! the order of a commit".
//!
//! Must not: parse or extract itself (it calls the pure stages), speak SQL
//! or HTTP (through `store` and `fetch`), or write files other than
//! through `corpus` and `archive`.

mod commit;
mod entry;
mod error;
mod fleet;
mod handle;
mod hosts;
mod once;
mod open;
mod outcome;
mod poll;
#[cfg(test)]
mod tests;
mod worker;

pub use commit::{rewrite_article, Ingest};
pub use entry::{article_text, reextract};
pub use error::PipelineError;
pub use handle::Pipeline;
pub use hosts::FleetHosts;
pub use once::{due_feeds, run_once, OnceProgress, Summary};
pub use open::{build_index, Fingerprints, OpenReport};
pub use outcome::{EntryOutcome, POLL_FAILURES};
pub use worker::Worker;
