//! Queueing alerts on PostgreSQL as the pipeline makes them (an article's,
//! a story's pick-up, a feed's health), with the SQLite outbox's meaning:
//! one alert per sink and key, ever. Claiming and delivering them is
//! `outbox`. Must not deliver anything.

use chrono::{DateTime, Utc};

use super::client::{wrap, PgError, PgStore};
use crate::store::outbox::{OutboxCounts, Outgoing};

/// The insert both the pipeline and a story decision use.
pub(super) const ENQUEUE: &str =
    "INSERT INTO outbox (sink, event, key, payload, created_at, next_attempt)
     VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (sink, key) DO NOTHING";

impl PgStore {
    /// Queues alerts (each at most once per sink and key), in one
    /// transaction.
    pub fn enqueue(&mut self, alerts: &[Outgoing], now: DateTime<Utc>) -> Result<(), PgError> {
        if alerts.is_empty() {
            return Ok(());
        }
        let e = wrap(&self.shown);
        let mut tx = self.client.transaction().map_err(e)?;
        for a in alerts {
            tx.execute(ENQUEUE, &[&a.sink, &a.event, &a.key, &a.payload, &now])
                .map_err(e)?;
        }
        tx.commit().map_err(e)
    }

    /// Whether an alert with this key was ever queued for the sink.
    pub fn queued(&mut self, sink: &str, key: &str) -> Result<bool, PgError> {
        let row = self
            .client
            .query_opt(
                "SELECT 1 FROM outbox WHERE sink = $1 AND key = $2",
                &[&sink, &key],
            )
            .map_err(self.err())?;
        Ok(row.is_some())
    }

    /// Alerts pending, sent and expired.
    pub fn outbox_counts(&mut self) -> Result<OutboxCounts, PgError> {
        let r = self
            .client
            .query_one(
                "SELECT COUNT(*) FILTER (WHERE state = 'pending'), COUNT(*) FILTER (WHERE state = 'sent'),
                 COUNT(*) FILTER (WHERE state = 'expired') FROM outbox",
                &[],
            )
            .map_err(self.err())?;
        let n = |i: usize| r.get::<_, i64>(i).max(0) as u64;
        Ok((n(0), n(1), n(2)))
    }
}
