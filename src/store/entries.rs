//! Feed entries: what became of each (stored, duplicate, off topic,
//! failed, no article) and how often it was tried.
//!
//! Part of the store (the only module that knows SQL); must not touch the
//! corpus or the network.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::db::{parse_ts, Store, StoreError};
use crate::model::ts;

/// What became of a feed entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryState {
    Stored,
    Duplicate,
    Offtopic,
    Failed,
    NoArticle,
}

impl EntryState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EntryState::Stored => "stored",
            EntryState::Duplicate => "duplicate",
            EntryState::Offtopic => "offtopic",
            EntryState::Failed => "failed",
            EntryState::NoArticle => "no_article",
        }
    }

    /// The state a stored word names; an unknown word reads as failed (it
    /// is tried again).
    pub(crate) fn parse(s: &str) -> EntryState {
        match s {
            "stored" => EntryState::Stored,
            "duplicate" => EntryState::Duplicate,
            "offtopic" => EntryState::Offtopic,
            "no_article" => EntryState::NoArticle,
            _ => EntryState::Failed,
        }
    }
}

impl Store {
    /// The state of an entry, if it was seen before.
    pub fn entry_state(&self, feed: &str, key: &str) -> Result<Option<EntryState>, StoreError> {
        let s: Option<String> = self.query_one(
            "SELECT state FROM entries WHERE feed = ?1 AND key = ?2",
            [feed, key],
        )?;
        Ok(s.as_deref().map(EntryState::parse))
    }

    /// Records what became of an entry (insert or update).
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
        Self::upsert_entry(
            &self.conn, feed, key, link, title, state, article, error, now,
        )
        .map_err(self.err())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn upsert_entry(
        conn: &Connection,
        feed: &str,
        key: &str,
        link: Option<&str>,
        title: Option<&str>,
        state: EntryState,
        article: Option<u64>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        conn.execute(
            "INSERT INTO entries (feed, key, link, title, first_seen, last_attempt, state, article, last_error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8)
             ON CONFLICT(feed, key) DO UPDATE SET link = excluded.link, title = excluded.title,
               last_attempt = excluded.last_attempt, state = excluded.state, article = excluded.article,
               last_error = excluded.last_error, attempts = entries.attempts + 1",
            params![feed, key, link, title, ts(now), state.as_str(), article, error],
        )
        .map(drop)
    }

    /// How many times an entry was tried (0 for one never seen).
    pub fn entry_attempts(&self, feed: &str, key: &str) -> Result<u32, StoreError> {
        let n: Option<u32> = self.query_one(
            "SELECT attempts FROM entries WHERE feed = ?1 AND key = ?2",
            [feed, key],
        )?;
        Ok(n.unwrap_or(0))
    }

    /// When an entry was first seen (the fallback for a missing date).
    pub fn entry_first_seen(
        &self,
        feed: &str,
        key: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let s: Option<String> = self.query_one(
            "SELECT first_seen FROM entries WHERE feed = ?1 AND key = ?2",
            [feed, key],
        )?;
        Ok(parse_ts(s))
    }
}
