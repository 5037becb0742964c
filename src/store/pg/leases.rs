//! Feed leases: which worker polls which feed, until when.
//!
//! A worker claims due feeds with `FOR UPDATE SKIP LOCKED` (two workers
//! claiming at once take different rows, neither waits) and a lease that
//! runs out: a worker killed mid-poll holds its feeds only until then. The
//! owner renews a long poll's lease and releases it with the poll's outcome
//! recorded. A lease is only ever changed by its owner or after it ran out.
//! Must not decide when a feed is due (that is `schedule`, by `next_poll`).

use chrono::{DateTime, Utc};

use super::client::{PgError, PgStore};

/// A feed this worker may poll until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub feed: String,
    pub url: String,
    pub until: DateTime<Utc>,
}

impl PgStore {
    /// Claims up to `limit` feeds due at `now` (never polled, or `next_poll`
    /// reached) that nobody holds, most overdue first, for `worker` until
    /// `until`. Retired feeds are never claimed.
    pub fn claim_due_feeds(
        &mut self,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Lease>, PgError> {
        let limit = limit as i64;
        let rows = self
            .client
            .query(
                "UPDATE feeds SET lease_owner = $1, lease_until = $3
                 WHERE name IN (
                     SELECT name FROM feeds
                     WHERE retired IS NULL
                       AND (next_poll IS NULL OR next_poll <= $2)
                       AND (lease_until IS NULL OR lease_until <= $2)
                     ORDER BY next_poll NULLS FIRST, name
                     LIMIT $4
                     FOR UPDATE SKIP LOCKED)
                 RETURNING name, url, lease_until",
                &[&worker, &now, &until, &limit],
            )
            .map_err(self.err())?;
        let mut leases: Vec<Lease> = rows
            .iter()
            .map(|r| Lease {
                feed: r.get(0),
                url: r.get(1),
                until: r.get(2),
            })
            .collect();
        leases.sort_by(|a, b| a.feed.cmp(&b.feed));
        Ok(leases)
    }

    /// Extends `worker`'s lease on `feed` to `until`; false when the lease
    /// is no longer this worker's (it ran out and another took the feed).
    pub fn renew_lease(
        &mut self,
        worker: &str,
        feed: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, PgError> {
        let n = self
            .client
            .execute(
                "UPDATE feeds SET lease_until = $3 WHERE name = $2 AND lease_owner = $1",
                &[&worker, &feed, &until],
            )
            .map_err(self.err())?;
        Ok(n == 1)
    }

    /// Gives the feed back with its next poll time; false when the lease
    /// was no longer this worker's, in which case nothing is changed (the
    /// new holder's schedule wins).
    pub fn release_lease(
        &mut self,
        worker: &str,
        feed: &str,
        next_poll: DateTime<Utc>,
    ) -> Result<bool, PgError> {
        let n = self
            .client
            .execute(
                "UPDATE feeds SET lease_owner = NULL, lease_until = NULL, next_poll = $3
                 WHERE name = $2 AND lease_owner = $1",
                &[&worker, &feed, &next_poll],
            )
            .map_err(self.err())?;
        Ok(n == 1)
    }
}
