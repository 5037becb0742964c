//! Delivery's own connection to the outbox: SQLite's, or the fleet's on
//! PostgreSQL. The same few operations on either, so a pass is written
//! once; on PostgreSQL the due alerts are claimed for this worker (each
//! alert sent by one worker; a claim lapses if its worker dies) and an
//! outcome is recorded only while the claim is still this worker's. Must
//! not decide the retry policy (that is `pass` with `alert`), nor send.

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tracing::warn;

use crate::config::PostgresConfig;
use crate::pipeline::{PipelineError, Worker};
use crate::store::pg::{Link, PgError, PgStore};
use crate::store::{OutboxCounts, OutboxRow, Store, StoreError};

/// Delivery's own connection to the database: the outbox is read and its
/// outcomes recorded here, never through ingestion's writer (whose lock a
/// commit round holds for as long as it takes). Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    conn: Conn,
}

#[derive(Clone)]
enum Conn {
    Sqlite(Arc<Mutex<Store>>),
    Postgres(Arc<Fleet>),
}

/// The fleet's outbox, as this worker sees it.
struct Fleet {
    /// This worker's name in its claims.
    worker: String,
    /// How long a claim holds: a dead worker's alerts wait this long.
    claim: chrono::Duration,
    /// Made at the first call, and again once lost.
    link: Link,
}

impl Outbox {
    /// Whether other workers queue alerts into it too (PostgreSQL): they do
    /// not wake this worker's loop, so it looks again every little while.
    pub(super) fn is_shared(&self) -> bool {
        matches!(self.conn, Conn::Postgres(_))
    }

    /// Opens a connection to the database the writer has opened (its
    /// schema already brought up to date): the SQLite file at `database`,
    /// with the same busy timeout, or with `postgres` set the fleet's
    /// database.
    pub async fn open(
        database: &Path,
        postgres: Option<&PostgresConfig>,
    ) -> Result<Outbox, PipelineError> {
        if let Some(pg) = postgres {
            let fleet = Fleet {
                // The name its leases have.
                worker: Worker::of(pg).name,
                claim: chrono::Duration::from_std(pg.lease).unwrap_or(chrono::Duration::minutes(2)),
                link: Link::lazy(pg),
            };
            let fleet = Arc::new(fleet);
            // Connected now, so a wrong URL shows at start.
            with_pg(&fleet, |_, _| Ok(())).await?;
            return Ok(Outbox {
                conn: Conn::Postgres(fleet),
            });
        }
        let database = database.to_path_buf();
        let store = tokio::task::spawn_blocking(move || Store::open(&database))
            .await
            .map_err(|e| PipelineError::Task(e.to_string()))??;
        Ok(Outbox {
            conn: Conn::Sqlite(Arc::new(Mutex::new(store))),
        })
    }

    /// How long the alerts a pass takes stay this worker's: their claim
    /// on PostgreSQL; `None` (for good) on SQLite.
    pub(super) fn claim(&self) -> Option<std::time::Duration> {
        match &self.conn {
            Conn::Sqlite(_) => None,
            Conn::Postgres(f) => f.claim.to_std().ok(),
        }
    }

    /// Up to `limit` alerts due at `now`, oldest first; on PostgreSQL
    /// claimed for this worker for [`Outbox::claim`].
    pub(super) async fn due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, PipelineError> {
        match &self.conn {
            Conn::Sqlite(s) => with_sqlite(s, move |s| s.due_alerts(now, limit)).await,
            Conn::Postgres(f) => {
                let until = now + f.claim;
                let claimed = with_pg(f, move |s, w| s.claim_alerts(w, now, until, limit)).await?;
                Ok(claimed
                    .into_iter()
                    .map(|a| OutboxRow {
                        id: a.id,
                        sink: a.sink,
                        event: a.event,
                        payload: a.payload,
                        created_at: a.created_at,
                        attempts: a.attempts,
                    })
                    .collect())
            }
        }
    }

    /// Records alerts sent at `now`.
    pub(super) async fn sent(
        &self,
        ids: Vec<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), PipelineError> {
        match &self.conn {
            Conn::Sqlite(s) => {
                with_sqlite(s, move |s| {
                    for id in ids {
                        s.alert_sent(id, now)?;
                    }
                    Ok(())
                })
                .await
            }
            Conn::Postgres(f) => {
                let lost = with_pg(f, move |s, w| {
                    let mut lost = Vec::new();
                    for id in ids {
                        if !s.alert_sent(w, id, now)? {
                            lost.push(id);
                        }
                    }
                    Ok(lost)
                })
                .await?;
                warn_lost(&lost, "sent");
                Ok(())
            }
        }
    }

    /// Records failed sends: each retried at its time, or expired at `None`.
    pub(super) async fn failed(
        &self,
        outcomes: Vec<(i64, Option<DateTime<Utc>>)>,
        error: String,
    ) -> Result<(), PipelineError> {
        match &self.conn {
            Conn::Sqlite(s) => {
                with_sqlite(s, move |s| {
                    for (id, next) in outcomes {
                        s.alert_failed(id, &error, next)?;
                    }
                    Ok(())
                })
                .await
            }
            Conn::Postgres(f) => {
                let lost = with_pg(f, move |s, w| {
                    let mut lost = Vec::new();
                    for (id, next) in outcomes {
                        if !s.alert_failed(w, id, &error, next)? {
                            lost.push(id);
                        }
                    }
                    Ok(lost)
                })
                .await?;
                warn_lost(&lost, "failed");
                Ok(())
            }
        }
    }

    /// Holds alerts back until `next` (an email digest collecting); on
    /// PostgreSQL gives their claims back.
    pub(super) async fn defer(
        &self,
        ids: Vec<i64>,
        next: DateTime<Utc>,
    ) -> Result<(), PipelineError> {
        match &self.conn {
            Conn::Sqlite(s) => with_sqlite(s, move |s| s.defer_alerts(&ids, next)).await,
            Conn::Postgres(f) => with_pg(f, move |s, w| s.defer_alerts(w, &ids, next)).await,
        }
    }

    /// Gives this worker's claims on unsent alerts back (PostgreSQL; SQLite
    /// has no claims): the next pass takes them again.
    pub(super) async fn release(&self, ids: Vec<i64>) -> Result<(), PipelineError> {
        match &self.conn {
            Conn::Sqlite(_) => Ok(()),
            Conn::Postgres(f) => with_pg(f, move |s, w| s.release_alerts(w, &ids)).await,
        }
    }

    /// When a sink last took an alert (from any worker).
    pub(super) async fn last_sent(
        &self,
        sink: String,
    ) -> Result<Option<DateTime<Utc>>, PipelineError> {
        match &self.conn {
            Conn::Sqlite(s) => with_sqlite(s, move |s| s.last_sent(&sink)).await,
            Conn::Postgres(f) => with_pg(f, move |s, _| s.alert_last_sent(&sink)).await,
        }
    }

    /// Makes a sink's alerts that wait for a retry due at `now`.
    pub(super) async fn retry_sink_now(
        &self,
        sink: String,
        now: DateTime<Utc>,
    ) -> Result<(), PipelineError> {
        match &self.conn {
            Conn::Sqlite(s) => {
                with_sqlite(s, move |s| s.retry_sink_now(&sink, now).map(drop)).await
            }
            Conn::Postgres(f) => {
                with_pg(f, move |s, _| s.retry_sink_now(&sink, now).map(drop)).await
            }
        }
    }

    /// Expires the pending alerts of every sink not in `keep`. Returns how
    /// many.
    pub(super) async fn expire_unconfigured(
        &self,
        keep: Vec<String>,
    ) -> Result<usize, PipelineError> {
        match &self.conn {
            Conn::Sqlite(s) => {
                with_sqlite(s, move |s| {
                    let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
                    s.expire_unconfigured(&keep)
                })
                .await
            }
            Conn::Postgres(f) => {
                let now = Utc::now();
                with_pg(f, move |s, w| {
                    let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
                    s.expire_unconfigured(w, &keep, now)
                })
                .await
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
            }
        }
    }

    /// How many alerts are pending, sent and expired.
    pub async fn counts(&self) -> Result<OutboxCounts, PipelineError> {
        match &self.conn {
            Conn::Sqlite(s) => with_sqlite(s, |s| s.outbox_counts()).await,
            Conn::Postgres(f) => with_pg(f, |s, _| s.outbox_states()).await,
        }
    }

    /// When the next pending alert is due (on PostgreSQL: can be claimed).
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, PipelineError> {
        match &self.conn {
            Conn::Sqlite(s) => with_sqlite(s, |s| s.next_alert_due()).await,
            Conn::Postgres(f) => with_pg(f, |s, _| s.next_alert_due()).await,
        }
    }
}

/// Says which outcomes came after this worker's claim had lapsed: another
/// worker holds those alerts now, and its outcome is the one kept.
fn warn_lost(ids: &[i64], what: &str) {
    if !ids.is_empty() {
        warn!(
            alerts = ?ids,
            "alerts {what} after their claim lapsed: another worker holds them now \
             (a receiver may see one twice; it has the Idempotency-Key)"
        );
    }
}

/// Runs a closure on SQLite's connection on a blocking thread.
async fn with_sqlite<T: Send + 'static>(
    store: &Arc<Mutex<Store>>,
    f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, PipelineError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        // A panic while holding it leaves SQLite consistent (each
        // statement or transaction is atomic): the connection is usable.
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut store)
    })
    .await
    .map_err(|e| PipelineError::Task(e.to_string()))?
    .map_err(PipelineError::from)
}

/// Runs a closure on the fleet's connection, with this worker's name, on a
/// blocking thread; connects first when there is no working connection.
async fn with_pg<T: Send + 'static>(
    fleet: &Arc<Fleet>,
    f: impl FnOnce(&mut PgStore, &str) -> Result<T, PgError> + Send + 'static,
) -> Result<T, PipelineError> {
    let fleet = fleet.clone();
    tokio::task::spawn_blocking(move || fleet.link.run(|store| f(store, &fleet.worker)))
        .await
        .map_err(|e| PipelineError::Task(e.to_string()))?
        .map_err(|e| PipelineError::Store(StoreError::from(e)))
}
