//! The per-host budget across the fleet: requests in flight to one host,
//! the gap between their starts, and the host's Retry-After.
//!
//! One worker's politeness is not the fleet's: three workers each keeping
//! two requests to a host in flight make six. So the budget is rows. A
//! request holds a permit (a row with an expiry, so a killed worker's
//! permits lapse); taking one locks the host's row, counts the live permits
//! and checks the gap, all in one transaction. Must not decide the budget's
//! numbers (the config does) nor fetch anything.

use chrono::{DateTime, Duration, Utc};

use super::client::{wrap, PgError, PgStore};

/// A request's place in a host's budget; give it back with
/// [`PgStore::release_permit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permit {
    pub id: i64,
}

/// The answer to a request for a permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostGrant {
    Granted(Permit),
    /// Not before this time: the gap, a Retry-After, or the earliest expiry
    /// of a live permit when the budget is full (a release comes sooner).
    Wait(DateTime<Utc>),
}

impl PgStore {
    /// Takes a permit for a request to `host` starting at `now` if fewer
    /// than `in_flight` live permits are held fleet-wide and the host's gap
    /// has passed; the permit lapses at `hold_until` if never released.
    pub fn acquire_permit(
        &mut self,
        host: &str,
        worker: &str,
        in_flight: u32,
        gap: Duration,
        now: DateTime<Utc>,
        hold_until: DateTime<Utc>,
    ) -> Result<HostGrant, PgError> {
        let e = wrap(&self.shown);
        let mut tx = self.client.transaction().map_err(&e)?;
        tx.execute(
            "INSERT INTO hosts (host) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&host],
        )
        .map_err(&e)?;
        // The row lock serializes the decision per host, across workers.
        let next_allowed: DateTime<Utc> = tx
            .query_one(
                "SELECT next_allowed FROM hosts WHERE host = $1 FOR UPDATE",
                &[&host],
            )
            .map_err(&e)?
            .get(0);
        tx.execute(
            "DELETE FROM host_permits WHERE host = $1 AND until <= $2",
            &[&host, &now],
        )
        .map_err(&e)?;
        let row = tx
            .query_one(
                "SELECT count(*), min(until) FROM host_permits WHERE host = $1",
                &[&host],
            )
            .map_err(&e)?;
        let (live, earliest): (i64, Option<DateTime<Utc>>) = (row.get(0), row.get(1));
        let grant = if next_allowed > now {
            HostGrant::Wait(next_allowed)
        } else if live >= i64::from(in_flight) {
            HostGrant::Wait(earliest.unwrap_or(now))
        } else {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO host_permits (host, worker, until) VALUES ($1, $2, $3)
                     RETURNING id",
                    &[&host, &worker, &hold_until],
                )
                .map_err(&e)?
                .get(0);
            tx.execute(
                "UPDATE hosts SET next_allowed = $2 WHERE host = $1",
                &[&host, &(now + gap)],
            )
            .map_err(&e)?;
            HostGrant::Granted(Permit { id })
        };
        tx.commit().map_err(&e)?;
        Ok(grant)
    }

    /// Gives a permit back when its request is done.
    pub fn release_permit(&mut self, permit: Permit) -> Result<(), PgError> {
        self.client
            .execute("DELETE FROM host_permits WHERE id = $1", &[&permit.id])
            .map_err(self.err())
            .map(drop)
    }

    /// When the next request to `host` may start (the gap, or a
    /// Retry-After told by `defer_host`); `None` for a host never asked.
    pub fn host_next_allowed(&mut self, host: &str) -> Result<Option<DateTime<Utc>>, PgError> {
        self.client
            .query_opt("SELECT next_allowed FROM hosts WHERE host = $1", &[&host])
            .map_err(self.err())
            .map(|row| row.map(|r| r.get(0)))
    }

    /// A host asked the fleet to wait (Retry-After, or a throttling answer):
    /// no request to it starts before `until`. Never brings a later wait
    /// forward.
    pub fn defer_host(&mut self, host: &str, until: DateTime<Utc>) -> Result<(), PgError> {
        self.client
            .execute(
                "INSERT INTO hosts (host, next_allowed) VALUES ($1, $2)
                 ON CONFLICT (host) DO UPDATE
                 SET next_allowed = GREATEST(hosts.next_allowed, EXCLUDED.next_allowed)",
                &[&host, &until],
            )
            .map_err(self.err())
            .map(drop)
    }
}
