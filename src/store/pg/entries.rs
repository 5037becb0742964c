//! Feed entries on PostgreSQL: what became of each, and how often it was
//! tried, with the SQLite store's meaning (`store::entries`). Must not
//! decide what an entry becomes (the pipeline does).

use chrono::{DateTime, Utc};

use super::client::{PgError, PgStore};
use crate::store::entries::EntryState;

/// Records what became of an entry: the poll's own record, and a story
/// decision's for the entries it stores or finds copied.
pub(super) const UPSERT_ENTRY: &str =
    "INSERT INTO entries (feed, key, link, title, first_seen, last_attempt, state, article, last_error)
     VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)
     ON CONFLICT (feed, key) DO UPDATE SET link = excluded.link, title = excluded.title,
       last_attempt = excluded.last_attempt, state = excluded.state,
       article = excluded.article, last_error = excluded.last_error,
       attempts = entries.attempts + 1";

impl PgStore {
    /// The state of an entry, if it was seen before.
    pub fn entry_state(&mut self, feed: &str, key: &str) -> Result<Option<EntryState>, PgError> {
        let row = self
            .client
            .query_opt(
                "SELECT state FROM entries WHERE feed = $1 AND key = $2",
                &[&feed, &key],
            )
            .map_err(self.err())?;
        Ok(row.map(|r| EntryState::parse(r.get(0))))
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
    ) -> Result<(), PgError> {
        let article = article.map(|a| a as i64);
        self.client
            .execute(
                UPSERT_ENTRY,
                &[
                    &feed,
                    &key,
                    &link,
                    &title,
                    &now,
                    &state.as_str(),
                    &article,
                    &error,
                ],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// How many times an entry was tried (0 for one never seen).
    pub fn entry_attempts(&mut self, feed: &str, key: &str) -> Result<u32, PgError> {
        let row = self
            .client
            .query_opt(
                "SELECT attempts FROM entries WHERE feed = $1 AND key = $2",
                &[&feed, &key],
            )
            .map_err(self.err())?;
        Ok(row.map_or(0, |r| r.get::<_, i32>(0).max(0) as u32))
    }

    /// When an entry was first seen (the fallback for a missing date).
    pub fn entry_first_seen(
        &mut self,
        feed: &str,
        key: &str,
    ) -> Result<Option<DateTime<Utc>>, PgError> {
        let row = self
            .client
            .query_opt(
                "SELECT first_seen FROM entries WHERE feed = $1 AND key = $2",
                &[&feed, &key],
            )
            .map_err(self.err())?;
        Ok(row.map(|r| r.get(0)))
    }
}
