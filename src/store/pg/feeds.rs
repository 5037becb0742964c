//! Feed rows on PostgreSQL: the row a poll starts from, its outcome, and
//! the schedule every worker reads.
//! The same meaning as the SQLite store's feed rows (`store::feeds`), so
//! the pipeline cannot tell them apart. Must not decide when a feed is due
//! (that is `schedule`) nor who polls it (that is `leases`).

use chrono::{DateTime, Utc};
use postgres::Row;

use super::client::{wrap, PgError, PgStore};
use super::records::secs;
use crate::model::FailureKind;
use crate::store::feeds::{FeedRow, PollResult};

const FEED_COLUMNS: &str = "name, url, etag, last_modified, last_attempt, last_success,
    last_error, consecutive_failures, next_poll, entries_seen,
    (SELECT COUNT(*) FROM articles a WHERE a.feed = feeds.name AND a.state = 'stored'),
    retired, interval_secs, last_full_poll, failing_since, failure_kind";

/// A feed's row, its times to the second as SQLite keeps them (so that
/// `status` prints the same on both).
fn feed_row(r: &Row) -> FeedRow {
    let time = |i: usize| r.get::<_, Option<DateTime<Utc>>>(i).map(secs);
    FeedRow {
        name: r.get(0),
        url: r.get(1),
        etag: r.get(2),
        last_modified: r.get(3),
        last_attempt: time(4),
        last_success: time(5),
        last_error: r.get(6),
        consecutive_failures: r.get::<_, i32>(7).max(0) as u32,
        next_poll: time(8),
        entries_seen: r.get::<_, i64>(9).max(0) as u64,
        articles_stored: r.get::<_, i64>(10).max(0) as u64,
        retired: r.get(11),
        interval_secs: r.get::<_, Option<i64>>(12).map(|s| s.max(0) as u64),
        last_full_poll: time(13),
        failing_since: time(14),
        failure_kind: r
            .get::<_, Option<String>>(15)
            .and_then(|label| FailureKind::ALL.into_iter().find(|k| k.label() == label)),
    }
}

impl PgStore {
    pub fn feed(&mut self, name: &str) -> Result<Option<FeedRow>, PgError> {
        let sql = format!("SELECT {FEED_COLUMNS} FROM feeds WHERE name = $1");
        let row = self.client.query_opt(&sql, &[&name]).map_err(self.err())?;
        Ok(row.as_ref().map(feed_row))
    }

    /// Every feed's row, in name order (byte order, as SQLite sorts).
    pub fn feeds(&mut self) -> Result<Vec<FeedRow>, PgError> {
        let sql = format!(r#"SELECT {FEED_COLUMNS} FROM feeds ORDER BY name COLLATE "C""#);
        let rows = self.client.query(&sql, &[]).map_err(self.err())?;
        Ok(rows.iter().map(feed_row).collect())
    }

    /// What the scheduler needs of every feed (name, next poll, retired).
    /// A feed under a lease is not due before the lease runs out: a worker
    /// naps until then instead of asking for it again and again, and takes
    /// it over then if its holder died.
    pub fn feed_schedule(&mut self) -> Result<Vec<FeedRow>, PgError> {
        let rows = self
            .client
            .query(
                "SELECT name, GREATEST(next_poll, lease_until), retired FROM feeds",
                &[],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| FeedRow {
                name: r.get(0),
                next_poll: r.get(1),
                retired: r.get(2),
                ..Default::default()
            })
            .collect())
    }

    /// Records the outcome of one poll of a feed.
    pub fn record_poll(
        &mut self,
        name: &str,
        result: &PollResult,
        now: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> Result<(), PgError> {
        let e = wrap(&self.shown);
        match result {
            PollResult::Success {
                etag,
                last_modified,
                entries,
                full,
            } => self.client.execute(
                "UPDATE feeds SET etag = $2, last_modified = $3, last_attempt = $4, last_success = $4,
                 last_error = NULL, consecutive_failures = 0, next_poll = $5,
                 entries_seen = entries_seen + $6, failing_since = NULL,
                 last_full_poll = CASE WHEN $7 THEN $4 ELSE last_full_poll END,
                 failure_kind = NULL WHERE name = $1",
                &[&name, etag, last_modified, &now, &next, &(*entries as i64), full],
            ),
            PollResult::NotModified => self.client.execute(
                "UPDATE feeds SET last_attempt = $2, last_success = $2, last_error = NULL,
                 consecutive_failures = 0, next_poll = $3, failing_since = NULL, failure_kind = NULL
                 WHERE name = $1",
                &[&name, &now, &next],
            ),
            PollResult::Failure { error, kind } => self.client.execute(
                "UPDATE feeds SET last_attempt = $2, last_error = $3,
                 consecutive_failures = consecutive_failures + 1, next_poll = $4,
                 failing_since = COALESCE(failing_since, $2), failure_kind = $5 WHERE name = $1",
                &[&name, &now, error, &next, &kind.label()],
            ),
            PollResult::Outage { error, kind } => self.client.execute(
                "UPDATE feeds SET last_attempt = $2, last_error = $3, next_poll = $4, failure_kind = $5
                 WHERE name = $1",
                &[&name, &now, error, &next, &kind.label()],
            ),
            PollResult::Retired { error, kind } => self.client.execute(
                "UPDATE feeds SET last_attempt = $2, last_error = $3, retired = $3,
                 consecutive_failures = consecutive_failures + 1, next_poll = NULL,
                 failing_since = COALESCE(failing_since, $2), failure_kind = $4 WHERE name = $1",
                &[&name, &now, error, &kind.label()],
            ),
        }
        .map(drop)
        .map_err(e)
    }

    /// A permanent redirect moved the feed: poll the new URL from now on.
    pub fn move_feed(&mut self, name: &str, url: &str) -> Result<(), PgError> {
        self.client
            .execute(
                "UPDATE feeds SET url = $2, etag = NULL, last_modified = NULL WHERE name = $1",
                &[&name, &url],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// Keeps the adaptive interval.
    pub fn set_interval(&mut self, name: &str, secs: u64) -> Result<(), PgError> {
        self.client
            .execute(
                "UPDATE feeds SET interval_secs = $2 WHERE name = $1",
                &[&name, &(secs as i64)],
            )
            .map(drop)
            .map_err(self.err())
    }
}
