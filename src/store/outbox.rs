//! The outbox: alerts queued for each sink (in the commit that stores their
//! article), taken when due, and each delivery's outcome: sent, retried
//! later, or expired.
//!
//! Part of the store (the only module that knows SQL); must not send
//! anything (that is `deliver`) or decide what is alerted.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::db::{parse_ts, Store, StoreError};
use crate::model::ts;

/// An alert to queue: for one sink, one event, once (`key` is unique per
/// sink).
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub sink: String,
    pub event: String,
    pub key: String,
    pub payload: String,
}

/// A queued alert due for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub sink: String,
    pub event: String,
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
}

/// Outbox totals: (pending, sent, expired).
pub type OutboxCounts = (u64, u64, u64);

impl Store {
    pub(super) fn enqueue_in(
        conn: &Connection,
        alerts: &[Outgoing],
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        for a in alerts {
            conn.execute(
                "INSERT INTO outbox (sink, event, key, payload, created_at, next_attempt) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT(sink, key) DO NOTHING",
                params![a.sink, a.event, a.key, a.payload, ts(now)],
            )?;
        }
        Ok(())
    }

    /// Queues alerts (each at most once per sink and key).
    pub fn enqueue(&mut self, alerts: &[Outgoing], now: DateTime<Utc>) -> Result<(), StoreError> {
        Self::enqueue_in(&self.conn, alerts, now).map_err(self.err())
    }

    /// Whether an alert with this key was ever queued for the sink.
    pub fn queued(&self, sink: &str, key: &str) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT 1 FROM outbox WHERE sink = ?1 AND key = ?2",
                [sink, key],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(self.err())
    }

    /// Alerts due for delivery, oldest first.
    pub fn due_alerts(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        self.query_all(
            "SELECT id, sink, event, payload, created_at, attempts FROM outbox
                 WHERE state = 'pending' AND next_attempt <= ?1 ORDER BY id LIMIT ?2",
            params![ts(now), limit as i64],
            |r| {
                Ok(OutboxRow {
                    id: r.get(0)?,
                    sink: r.get(1)?,
                    event: r.get(2)?,
                    payload: r.get(3)?,
                    created_at: parse_ts(r.get(4)?).unwrap_or_default(),
                    attempts: r.get(5)?,
                })
            },
        )
    }

    /// When the next pending alert is due, if any.
    pub fn next_alert_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let s: Option<String> = self
            .conn
            .query_row(
                "SELECT MIN(next_attempt) FROM outbox WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        Ok(parse_ts(s))
    }

    pub fn alert_sent(&mut self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
                params![id, ts(now)],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// Records a failed try: retried at `next`, or expired when `None`.
    pub fn alert_failed(
        &mut self,
        id: i64,
        error: &str,
        next: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        match next {
            Some(next) => self.conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt = ?3 WHERE id = ?1",
                params![id, error, ts(next)],
            ),
            None => self.conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, state = 'expired' WHERE id = ?1",
                params![id, error],
            ),
        }
        .map(drop)
        .map_err(self.err())
    }

    /// Expires the pending alerts of every sink not in `configured` (a
    /// reload removed it: nobody will hear of them). Returns how many.
    pub fn expire_unconfigured(&mut self, configured: &[&str]) -> Result<usize, StoreError> {
        let names = serde_json::to_string(configured).unwrap_or_else(|_| "[]".into());
        self.conn
            .execute(
                "UPDATE outbox SET state = 'expired', last_error = 'sink ' || sink || ' is no longer configured'
                 WHERE state = 'pending' AND sink NOT IN (SELECT value FROM json_each(?1))",
                [names],
            )
            .map_err(self.err())
    }

    /// Makes every pending alert due now: a restart is a natural time to
    /// try a sink again.
    pub fn retry_alerts_now(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET next_attempt = ?1 WHERE state = 'pending' AND next_attempt > ?1",
                [ts(now)],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// When a sink last took an alert.
    pub fn last_sent(&self, sink: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let s: Option<String> = self
            .conn
            .query_row(
                "SELECT MAX(sent_at) FROM outbox WHERE sink = ?1 AND state = 'sent'",
                params![sink],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        Ok(parse_ts(s))
    }

    /// Makes a sink's alerts that wait for a retry due at `now`: the sink
    /// answered again, so what failed before need not wait out its backoff.
    /// Returns how many.
    pub fn retry_sink_now(&mut self, sink: &str, now: DateTime<Utc>) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET next_attempt = ?2
                 WHERE sink = ?1 AND state = 'pending' AND attempts > 0 AND next_attempt > ?2",
                params![sink, ts(now)],
            )
            .map_err(self.err())
    }

    /// Holds queued alerts back until `next` (an email digest collecting).
    pub fn defer_alerts(&mut self, ids: &[i64], next: DateTime<Utc>) -> Result<(), StoreError> {
        for id in ids {
            self.conn
                .execute(
                    "UPDATE outbox SET next_attempt = ?2 WHERE id = ?1",
                    params![id, ts(next)],
                )
                .map_err(self.err())?;
        }
        Ok(())
    }

    pub fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FILTER (WHERE state = 'pending'), COUNT(*) FILTER (WHERE state = 'sent'),
                 COUNT(*) FILTER (WHERE state = 'expired') FROM outbox",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(self.err())
    }
}
