//! Feed leases: which worker polls which feed, until when.
//!
//! A worker takes a feed for one poll when the poll starts (`claim_feed`,
//! `FOR UPDATE SKIP LOCKED`: two workers asking at once get one yes, and
//! neither waits) with a lease that runs out: a worker killed mid-poll
//! holds its feed only until then. The owner renews a long poll's lease and
//! drops it once the poll is recorded. A lease is only ever changed by its
//! owner or after it ran out. Must not decide when a feed is due (that is
//! `schedule`, by `next_poll`).

use chrono::{DateTime, Utc};

use super::client::{PgError, PgStore};

impl PgStore {
    /// Takes `feed` for one poll by `worker` until `until`, unless another
    /// worker holds a lease on it that has not run out at `now`, or (unless
    /// `forced`) the feed is no longer due: another worker polled it since
    /// this one read the schedule. False then. Two workers asking at once
    /// get one yes; the other is not kept waiting (`SKIP LOCKED`).
    pub fn claim_feed(
        &mut self,
        worker: &str,
        feed: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        forced: bool,
    ) -> Result<bool, PgError> {
        let n = self
            .client
            .execute(
                "UPDATE feeds SET lease_owner = $1, lease_until = $4
                 WHERE name IN (
                     SELECT name FROM feeds
                     WHERE name = $2
                       AND (lease_until IS NULL OR lease_until <= $3 OR lease_owner = $1)
                       AND ($5 OR next_poll IS NULL OR next_poll <= $3) AND retired IS NULL
                     FOR UPDATE SKIP LOCKED)",
                &[&worker, &feed, &now, &until, &forced],
            )
            .map_err(self.err())?;
        Ok(n == 1)
    }

    /// Gives a feed back after its poll, its next poll as the poll recorded
    /// it; false (and nothing changed) when the lease was no longer this
    /// worker's.
    pub fn drop_lease(&mut self, worker: &str, feed: &str) -> Result<bool, PgError> {
        let n = self
            .client
            .execute(
                "UPDATE feeds SET lease_owner = NULL, lease_until = NULL
                 WHERE name = $2 AND lease_owner = $1",
                &[&worker, &feed],
            )
            .map_err(self.err())?;
        Ok(n == 1)
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
}
