//! SQLite: the source of truth for feeds, entries, articles and sightings.
//!
//! The only module that knows rusqlite. Its calls block: async callers run
//! them on a blocking thread. Migrations are an append-only list keyed by
//! `PRAGMA user_version`, applied in one transaction. Must not touch the
//! corpus directory or the network.
//!
//! This file only declares the store's files and re-exports what they
//! offer; the files import each other, never this one. By job: `backend`
//! (SQLite or PostgreSQL, as the pipeline sees them), `db` (the
//! handle, opening, errors), `schema` (the migrations), `feeds`, `entries`,
//! `articles` (commit rounds, imports, fingerprints), `captures`, `outbox`,
//! `records` (export records), `search` (the full-text index and filters),
//! `stats` (counts).

mod articles;
mod backend;
mod captures;
mod db;
mod entries;
mod feeds;
mod outbox;
pub mod pg;
mod records;
mod schema;
mod search;
mod stats;
#[cfg(test)]
mod tests;

pub use articles::{ArticleKey, Finished, NewArticle, Rewrite, Sighting};
pub use backend::{Backend, Stories};
pub use captures::{CaptureCounts, Captured, SightingRow};
pub use db::{Store, StoreError};
pub use entries::EntryState;
pub use feeds::{FeedRow, PollResult};
pub use outbox::{OutboxCounts, OutboxRow, Outgoing};
pub use search::{fts5_query, ArticleFilter, SearchHit, SearchOptions};
pub use stats::{DayCount, FeedCount, StoryCount, Totals};
