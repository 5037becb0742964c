//! The store the pipeline writes through, and the read commands read:
//! SQLite for one process (the default), or PostgreSQL shared by a fleet
//! of workers. The operations a
//! poll needs have one meaning on both and are dispatched here; the commit
//! differs (SQLite's group commit with its fsync order, PostgreSQL's story
//! decision under a lock), so the pipeline takes each backend's own handle
//! for that. Must not hold SQL of its own (the backends' files do).

use chrono::{DateTime, Utc};

use super::captures::{CaptureCounts, SightingRow};
use super::db::{Store, StoreError};
use super::entries::EntryState;
use super::feeds::{FeedRow, PollResult};
use super::outbox::{OutboxCounts, Outgoing};
use super::pg::{Decision, PgStore};
use super::search::ArticleFilter;
use super::stats::{DayCount, FeedCount, StoryCount, Totals};
use crate::model::{Capture, ExportRecord};

pub enum Backend {
    Sqlite(Store),
    Postgres(PgStore),
}

/// What deciding a candidate looks up in the store: inside the SQLite
/// writer, or inside a PostgreSQL story decision (under its lock).
pub trait Stories {
    /// The stored article with this canonical URL, if any.
    fn article_by_canonical_url(&mut self, canonical: &str) -> Result<Option<u64>, StoreError>;
    /// The story an article belongs to.
    fn story_of(&mut self, id: u64) -> Result<Option<u64>, StoreError>;
}

impl Stories for Store {
    fn article_by_canonical_url(&mut self, canonical: &str) -> Result<Option<u64>, StoreError> {
        Store::article_by_canonical_url(self, canonical)
    }
    fn story_of(&mut self, id: u64) -> Result<Option<u64>, StoreError> {
        Store::story_of(self, id)
    }
}

impl Stories for Decision<'_> {
    fn article_by_canonical_url(&mut self, canonical: &str) -> Result<Option<u64>, StoreError> {
        Ok(Decision::article_by_canonical_url(self, canonical)?)
    }
    fn story_of(&mut self, id: u64) -> Result<Option<u64>, StoreError> {
        Ok(Decision::story_of(self, id)?)
    }
}

/// Calls the same method on whichever backend this is.
macro_rules! both {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            Backend::Sqlite($s) => Ok($call?),
            Backend::Postgres($s) => Ok($call?),
        }
    };
}

impl Backend {
    /// The SQLite store, for what only it has (the group commit, repairs at
    /// start, reextract); `what` names the operation in the error.
    pub fn sqlite(&mut self, what: &'static str) -> Result<&mut Store, StoreError> {
        match self {
            Backend::Sqlite(s) => Ok(s),
            Backend::Postgres(_) => Err(StoreError::NotOnPostgres { what }),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Backend::Postgres(_))
    }

    pub fn feed(&mut self, name: &str) -> Result<Option<FeedRow>, StoreError> {
        both!(self, s => s.feed(name))
    }

    pub fn feed_schedule(&mut self) -> Result<Vec<FeedRow>, StoreError> {
        both!(self, s => s.feed_schedule())
    }

    pub fn sync_feeds(&mut self, feeds: &[(String, String)]) -> Result<(), StoreError> {
        both!(self, s => s.sync_feeds(feeds))
    }

    pub fn record_poll(
        &mut self,
        name: &str,
        result: &PollResult,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        both!(self, s => s.record_poll(name, result, now, next))
    }

    pub fn move_feed(&mut self, name: &str, url: &str) -> Result<(), StoreError> {
        both!(self, s => s.move_feed(name, url))
    }

    pub fn set_interval(&mut self, name: &str, secs: u64) -> Result<(), StoreError> {
        both!(self, s => s.set_interval(name, secs))
    }

    pub fn entry_state(&mut self, feed: &str, key: &str) -> Result<Option<EntryState>, StoreError> {
        both!(self, s => s.entry_state(feed, key))
    }

    pub fn entry_first_seen(
        &mut self,
        feed: &str,
        key: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        both!(self, s => s.entry_first_seen(feed, key))
    }

    pub fn entry_attempts(&mut self, feed: &str, key: &str) -> Result<u32, StoreError> {
        both!(self, s => s.entry_attempts(feed, key))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn record_entry(
        &mut self,
        feed: &str,
        key: &str,
        link: Option<&str>,
        title: Option<&str>,
        state: EntryState,
        article: Option<u64>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        both!(self, s => s.record_entry(feed, key, link, title, state, article, error, now))
    }

    pub fn queued(&mut self, sink: &str, key: &str) -> Result<bool, StoreError> {
        both!(self, s => s.queued(sink, key))
    }

    pub fn enqueue(&mut self, alerts: &[Outgoing], now: DateTime<Utc>) -> Result<(), StoreError> {
        both!(self, s => s.enqueue(alerts, now))
    }

    pub fn story_of(&mut self, id: u64) -> Result<Option<u64>, StoreError> {
        both!(self, s => s.story_of(id))
    }

    pub fn outbox_counts(&mut self) -> Result<OutboxCounts, StoreError> {
        both!(self, s => s.outbox_counts())
    }

    /// How many outlets carry a story.
    pub fn story_outlets(&mut self, story: u64) -> Result<u32, StoreError> {
        both!(self, s => s.story_outlets(story))
    }

    pub fn article_record(&mut self, id: u64) -> Result<Option<ExportRecord>, StoreError> {
        both!(self, s => s.article_record(id))
    }

    // What the read commands ask (`status`, `stats`, `export`, `show`).

    pub fn feeds(&mut self) -> Result<Vec<FeedRow>, StoreError> {
        both!(self, s => s.feeds())
    }

    pub fn totals(&mut self) -> Result<Totals, StoreError> {
        both!(self, s => s.totals())
    }

    pub fn articles_per_day(&mut self, days: usize) -> Result<Vec<DayCount>, StoreError> {
        both!(self, s => s.articles_per_day(days))
    }

    pub fn per_feed(&mut self) -> Result<Vec<FeedCount>, StoreError> {
        both!(self, s => s.per_feed())
    }

    pub fn top_stories(&mut self, top: usize) -> Result<Vec<StoryCount>, StoreError> {
        both!(self, s => s.top_stories(top))
    }

    pub fn capture_counts(&mut self) -> Result<CaptureCounts, StoreError> {
        both!(self, s => s.capture_counts())
    }

    pub fn feed_names(&mut self) -> Result<Vec<String>, StoreError> {
        both!(self, s => s.feed_names())
    }

    pub fn story_exists(&mut self, story: u64) -> Result<bool, StoreError> {
        both!(self, s => s.story_exists(story))
    }

    pub fn export_filtered(
        &mut self,
        filter: &ArticleFilter,
        duplicates: bool,
    ) -> Result<Vec<ExportRecord>, StoreError> {
        both!(self, s => s.export_filtered(filter, duplicates))
    }

    pub fn capture_of(&mut self, id: u64) -> Result<Option<Capture>, StoreError> {
        both!(self, s => s.capture_of(id))
    }

    pub fn sightings_of(&mut self, id: u64) -> Result<Vec<SightingRow>, StoreError> {
        both!(self, s => s.sightings_of(id))
    }

    pub fn story_members(&mut self, story: u64) -> Result<Vec<u64>, StoreError> {
        both!(self, s => s.story_members(story))
    }

    pub fn article_method(&mut self, id: u64) -> Result<Option<String>, StoreError> {
        both!(self, s => s.article_method(id))
    }

    pub fn original_text(
        &mut self,
        id: u64,
    ) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        both!(self, s => s.original_text(id))
    }
}
