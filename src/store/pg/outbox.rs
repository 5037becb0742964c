//! The shared outbox: alerts queued by any worker, each sent by one.
//!
//! A worker claims due alerts with `FOR UPDATE SKIP LOCKED` and a claim
//! that runs out, sends them, and records the outcome only while the claim
//! is still its own: a worker killed mid-send leaves its alerts to be
//! claimed again after the claim's time (at-least-once, as with SQLite; the
//! receiver dedups by the idempotency key). Enqueueing is idempotent per
//! (sink, key). Must not decide what is alerted nor send anything.

use chrono::{DateTime, Utc};

use super::client::{PgError, PgStore};

/// An alert this worker holds until `claim_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedAlert {
    pub id: i64,
    pub sink: String,
    pub event: String,
    pub key: String,
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
}

impl PgStore {
    /// Queues an alert for `sink` unless one with the same key is queued.
    /// Returns whether it was new.
    pub fn enqueue_alert(
        &mut self,
        sink: &str,
        event: &str,
        key: &str,
        payload: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, PgError> {
        let n = self
            .client
            .execute(
                "INSERT INTO outbox (sink, event, key, payload, created_at, next_attempt)
                 VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (sink, key) DO NOTHING",
                &[&sink, &event, &key, &payload, &now],
            )
            .map_err(self.err())?;
        Ok(n == 1)
    }

    /// Claims up to `limit` pending alerts due at `now` that nobody holds,
    /// oldest first, for `worker` until `until`.
    pub fn claim_alerts(
        &mut self,
        worker: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ClaimedAlert>, PgError> {
        let limit = limit as i64;
        let rows = self
            .client
            .query(
                "UPDATE outbox SET claimed_by = $1, claim_until = $3
                 WHERE id IN (
                     SELECT id FROM outbox
                     WHERE state = 'pending' AND next_attempt <= $2
                       AND (claim_until IS NULL OR claim_until <= $2)
                     ORDER BY next_attempt, id
                     LIMIT $4
                     FOR UPDATE SKIP LOCKED)
                 RETURNING id, sink, event, key, payload, created_at, attempts",
                &[&worker, &now, &until, &limit],
            )
            .map_err(self.err())?;
        let mut alerts: Vec<ClaimedAlert> = rows
            .iter()
            .map(|r| ClaimedAlert {
                id: r.get(0),
                sink: r.get(1),
                event: r.get(2),
                key: r.get(3),
                payload: r.get(4),
                created_at: r.get(5),
                attempts: r.get::<_, i32>(6).max(0) as u32,
            })
            .collect();
        alerts.sort_by_key(|a| a.id);
        Ok(alerts)
    }

    /// Records a delivery; false when the claim was no longer `worker`'s
    /// (another worker holds the alert now, and its outcome wins).
    pub fn alert_sent(
        &mut self,
        worker: &str,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, PgError> {
        let n = self
            .client
            .execute(
                "UPDATE outbox SET state = 'sent', sent_at = $3, attempts = attempts + 1,
                     last_error = NULL, claimed_by = NULL, claim_until = NULL
                 WHERE id = $2 AND claimed_by = $1 AND state = 'pending'",
                &[&worker, &id, &now],
            )
            .map_err(self.err())?;
        Ok(n == 1)
    }

    /// Records a failed send: retried at `next`, or expired when `next` is
    /// `None`. False when the claim was no longer `worker`'s.
    pub fn alert_failed(
        &mut self,
        worker: &str,
        id: i64,
        error: &str,
        next: Option<DateTime<Utc>>,
    ) -> Result<bool, PgError> {
        let n = self
            .client
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $3,
                     state = CASE WHEN $4::timestamptz IS NULL THEN 'expired' ELSE 'pending' END,
                     next_attempt = coalesce($4, next_attempt),
                     claimed_by = NULL, claim_until = NULL
                 WHERE id = $2 AND claimed_by = $1 AND state = 'pending'",
                &[&worker, &id, &error, &next],
            )
            .map_err(self.err())?;
        Ok(n == 1)
    }

    /// Gives back `worker`'s claims on these alerts unsent: another pass
    /// (this worker's or another's) may claim them at once.
    pub fn release_alerts(&mut self, worker: &str, ids: &[i64]) -> Result<(), PgError> {
        self.client
            .execute(
                "UPDATE outbox SET claimed_by = NULL, claim_until = NULL
                 WHERE id = ANY($2) AND claimed_by = $1 AND state = 'pending'",
                &[&worker, &ids],
            )
            .map_err(self.err())
            .map(drop)
    }

    /// Holds `worker`'s claimed alerts back until `next` (an email digest
    /// collecting) and gives the claims back.
    pub fn defer_alerts(
        &mut self,
        worker: &str,
        ids: &[i64],
        next: DateTime<Utc>,
    ) -> Result<(), PgError> {
        self.client
            .execute(
                "UPDATE outbox SET next_attempt = $3, claimed_by = NULL, claim_until = NULL
                 WHERE id = ANY($2) AND claimed_by = $1 AND state = 'pending'",
                &[&worker, &ids, &next],
            )
            .map_err(self.err())
            .map(drop)
    }

    /// When a sink last took an alert, from any worker.
    pub fn alert_last_sent(&mut self, sink: &str) -> Result<Option<DateTime<Utc>>, PgError> {
        self.client
            .query_one(
                "SELECT max(sent_at) FROM outbox WHERE sink = $1 AND state = 'sent'",
                &[&sink],
            )
            .map_err(self.err())
            .map(|r| r.get(0))
    }

    /// Makes a sink's alerts that wait for a retry due at `now` (the sink
    /// answered again). Returns how many.
    pub fn retry_sink_now(&mut self, sink: &str, now: DateTime<Utc>) -> Result<u64, PgError> {
        self.client
            .execute(
                "UPDATE outbox SET next_attempt = $2
                 WHERE sink = $1 AND state = 'pending' AND attempts > 0 AND next_attempt > $2",
                &[&sink, &now],
            )
            .map_err(self.err())
    }

    /// Expires the pending alerts of every sink not in `configured`, except
    /// those another worker holds at `now` (it has the sink, and is sending
    /// them). Returns how many.
    pub fn expire_unconfigured(
        &mut self,
        worker: &str,
        configured: &[&str],
        now: DateTime<Utc>,
    ) -> Result<u64, PgError> {
        self.client
            .execute(
                "UPDATE outbox SET state = 'expired',
                     last_error = 'sink ' || sink || ' is no longer configured',
                     claimed_by = NULL, claim_until = NULL
                 WHERE state = 'pending' AND sink <> ALL($2)
                   AND (claimed_by IS NULL OR claimed_by = $1 OR claim_until <= $3)",
                &[&worker, &configured, &now],
            )
            .map_err(self.err())
    }

    /// When this worker may next find a pending alert to claim: its next
    /// attempt, or the end of another's claim on it.
    pub fn next_alert_due(&mut self) -> Result<Option<DateTime<Utc>>, PgError> {
        self.client
            .query_one(
                "SELECT min(greatest(next_attempt, coalesce(claim_until, next_attempt)))
                 FROM outbox WHERE state = 'pending'",
                &[],
            )
            .map_err(self.err())
            .map(|r| r.get(0))
    }

    /// How many alerts are pending, sent and expired.
    pub fn outbox_states(&mut self) -> Result<(u64, u64, u64), PgError> {
        let row = self
            .client
            .query_one(
                "SELECT count(*) FILTER (WHERE state = 'pending'),
                        count(*) FILTER (WHERE state = 'sent'),
                        count(*) FILTER (WHERE state = 'expired')
                 FROM outbox",
                &[],
            )
            .map_err(self.err())?;
        let n = |i: usize| row.get::<_, i64>(i).max(0) as u64;
        Ok((n(0), n(1), n(2)))
    }
}
