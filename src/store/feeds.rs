//! Feed rows: the config's feeds kept in step, each poll's outcome (its
//! validators, health and next poll) and the schedule the daemon reads.
//!
//! Part of the store (the only module that knows SQL); must not decide when
//! a feed is due (that is `schedule`) or touch the corpus or the network.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::db::{parse_ts, Store, StoreError};
use crate::model::{ts, FailureKind};

/// A feed's validators and health, as stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FeedRow {
    pub name: String,
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub next_poll: Option<DateTime<Utc>>,
    pub entries_seen: u64,
    pub articles_stored: u64,
    /// Why the feed is no longer polled (410 Gone), if it is not.
    pub retired: Option<String>,
    /// The adaptive interval, once a poll has set it.
    pub interval_secs: Option<u64>,
    pub last_full_poll: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    /// The kind of the last poll's failure, while it stands (`None` once a
    /// poll succeeds, and for a failure recorded before kinds were).
    /// Not in `status --json`, whose fields stay as they were.
    #[serde(skip)]
    pub failure_kind: Option<FailureKind>,
}

/// What a poll learnt about a feed.
#[derive(Debug, Clone)]
pub enum PollResult {
    Success {
        etag: Option<String>,
        last_modified: Option<String>,
        entries: u64,
        /// Polled without validators.
        full: bool,
    },
    NotModified,
    Failure {
        error: String,
        kind: FailureKind,
    },
    /// Not counted against the feed: the network itself was down, or the
    /// poll met a storage fault (`FailureKind::Store`), which is ours.
    Outage {
        error: String,
        kind: FailureKind,
    },
    /// 410 Gone: the feed is retired until its config URL changes.
    Retired {
        error: String,
        kind: FailureKind,
    },
}

impl Store {
    /// Makes the feeds table match the config: new feeds get a row, a
    /// changed URL is updated (and its validators dropped).
    pub fn sync_feeds(&mut self, feeds: &[(String, String)]) -> Result<(), StoreError> {
        self.transaction(|tx| {
            for (name, url) in feeds {
                // A URL the config changed wins over one a permanent redirect
                // taught us; an unchanged config keeps the redirect's.
                tx.execute(
                    "INSERT INTO feeds (name, url, config_url) VALUES (?1, ?2, ?2)
                     ON CONFLICT(name) DO UPDATE SET url = excluded.url, config_url = excluded.url,
                       etag = NULL, last_modified = NULL, retired = NULL, consecutive_failures = 0,
                       next_poll = NULL, failing_since = NULL
                     WHERE feeds.config_url IS NOT excluded.config_url",
                    params![name, url],
                )?;
            }

            Ok(())
        })
    }

    fn feed_row(r: &Row) -> rusqlite::Result<FeedRow> {
        Ok(FeedRow {
            name: r.get(0)?,
            url: r.get(1)?,
            etag: r.get(2)?,
            last_modified: r.get(3)?,
            last_attempt: parse_ts(r.get(4)?),
            last_success: parse_ts(r.get(5)?),
            last_error: r.get(6)?,
            consecutive_failures: r.get(7)?,
            next_poll: parse_ts(r.get(8)?),
            entries_seen: r.get(9)?,
            articles_stored: r.get(10)?,
            retired: r.get(11)?,
            interval_secs: r.get(12)?,
            last_full_poll: parse_ts(r.get(13)?),
            failing_since: parse_ts(r.get(14)?),
            failure_kind: r
                .get::<_, Option<String>>(15)?
                .and_then(|label| FailureKind::ALL.into_iter().find(|k| k.label() == label)),
        })
    }

    const FEED_COLUMNS: &'static str =
        "name, url, etag, last_modified, last_attempt, last_success, last_error,
        consecutive_failures, next_poll, entries_seen,
        (SELECT COUNT(*) FROM articles a WHERE a.feed = feeds.name AND a.state = 'stored'),
        retired, interval_secs, last_full_poll, failing_since, failure_kind";

    pub fn feed(&self, name: &str) -> Result<Option<FeedRow>, StoreError> {
        let sql = format!("SELECT {} FROM feeds WHERE name = ?1", Self::FEED_COLUMNS);
        self.conn
            .query_row(&sql, [name], Self::feed_row)
            .optional()
            .map_err(self.err())
    }

    pub fn feeds(&self) -> Result<Vec<FeedRow>, StoreError> {
        let sql = format!("SELECT {} FROM feeds ORDER BY name", Self::FEED_COLUMNS);
        self.query_all(&sql, [], Self::feed_row)
    }

    /// Records the outcome of one poll of a feed.
    pub fn record_poll(
        &mut self,
        name: &str,
        result: &PollResult,
        now: DateTime<Utc>,
        next_poll: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (now, next) = (ts(now), ts(next_poll));
        match result {
            PollResult::Success { etag, last_modified, entries, full } => self.conn.execute(
                "UPDATE feeds SET etag = ?2, last_modified = ?3, last_attempt = ?4, last_success = ?4,
                 last_error = NULL, consecutive_failures = 0, next_poll = ?5, entries_seen = entries_seen + ?6,
                 failing_since = NULL, last_full_poll = CASE WHEN ?7 THEN ?4 ELSE last_full_poll END,
                 failure_kind = NULL WHERE name = ?1",
                params![name, etag, last_modified, now, next, entries, full],
            ),
            PollResult::NotModified => self.conn.execute(
                "UPDATE feeds SET last_attempt = ?2, last_success = ?2, last_error = NULL,
                 consecutive_failures = 0, next_poll = ?3, failing_since = NULL, failure_kind = NULL
                 WHERE name = ?1",
                params![name, now, next],
            ),
            PollResult::Failure { error, kind } => self.conn.execute(
                "UPDATE feeds SET last_attempt = ?2, last_error = ?3,
                 consecutive_failures = consecutive_failures + 1, next_poll = ?4,
                 failing_since = COALESCE(failing_since, ?2), failure_kind = ?5 WHERE name = ?1",
                params![name, now, error, next, kind.label()],
            ),
            PollResult::Outage { error, kind } => self.conn.execute(
                "UPDATE feeds SET last_attempt = ?2, last_error = ?3, next_poll = ?4, failure_kind = ?5
                 WHERE name = ?1",
                params![name, now, error, next, kind.label()],
            ),
            PollResult::Retired { error, kind } => self.conn.execute(
                "UPDATE feeds SET last_attempt = ?2, last_error = ?3, retired = ?3,
                 consecutive_failures = consecutive_failures + 1, next_poll = NULL,
                 failing_since = COALESCE(failing_since, ?2), failure_kind = ?4 WHERE name = ?1",
                params![name, now, error, kind.label()],
            ),
        }
        .map(drop)
        .map_err(self.err())
    }

    /// What the scheduler needs of every feed (name, next poll, retired),
    /// cheaply: it asks often.
    pub fn feed_schedule(&self) -> Result<Vec<FeedRow>, StoreError> {
        self.query_all("SELECT name, next_poll, retired FROM feeds", [], |r| {
            Ok(FeedRow {
                name: r.get(0)?,
                next_poll: parse_ts(r.get(1)?),
                retired: r.get(2)?,
                ..Default::default()
            })
        })
    }

    /// A permanent redirect moved the feed: poll the new URL from now on.
    pub fn move_feed(&mut self, name: &str, url: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE feeds SET url = ?2, etag = NULL, last_modified = NULL WHERE name = ?1",
                [name, url],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// Keeps the adaptive interval.
    pub fn set_interval(&mut self, name: &str, secs: u64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE feeds SET interval_secs = ?2 WHERE name = ?1",
                params![name, secs],
            )
            .map(drop)
            .map_err(self.err())
    }
}
