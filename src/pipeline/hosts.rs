//! `FleetHosts`: the fetcher's host gate (`fetch::HostGate`) kept in the
//! shared PostgreSQL database, so the per-host budget (requests in flight,
//! the gap between starts, Retry-After) holds across every worker of a
//! fleet, not per process.
//!
//! The budget's rows and their decisions are `store::pg` (`hosts`); this
//! file only joins them to the fetcher: it runs the blocking calls off the
//! async threads on a connection of its own, waits out a `Wait` in short
//! steps (a release comes sooner than the earliest permit's expiry), and
//! gives each permit a lapse time (the fetch timeout and a margin) so a
//! killed worker's permits free themselves. Must not fetch, nor touch
//! anything but the budget's rows. See ARCHITECTURE.md, "Several workers".

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::warn;

use crate::config::{HostLimits, PostgresConfig};
use crate::fetch::{GateFuture, GatePermit, Gated, HostGate};
use crate::store::pg::{HostGrant, Link, Permit, PgError, PgStore};

/// How long past the fetch timeout a permit is held before it lapses, at
/// most (else as long as the timeout): the time between taking it and
/// starting the request, and clocks that disagree a little between
/// machines. Kept short: a killed worker's permits hold its hosts' budget
/// until they lapse (at 30 s, a dead worker's four permits stalled the
/// three-worker test's one host for 20 s of its 24).
const HOLD_MARGIN: Duration = Duration::from_secs(5);

/// The longest single wait before asking the database again, and the
/// first: a full budget says only when its earliest permit lapses, while
/// a release usually comes much sooner. A request takes some 100 ms to a
/// few seconds, so a waiter asks a few times per request at most; at 1 s
/// a busy host's budget stood half used (a 3-worker test took 25 s, not 6).
const POLL_MAX: Duration = Duration::from_millis(200);
const POLL_FIRST: Duration = Duration::from_millis(20);

/// How far beyond the gap a host's next start must lie to be a Retry-After
/// rather than the gap itself (seen from a clock a little off).
const SKEW: Duration = Duration::from_secs(2);

/// The longest gap reckoned with (a day; a config asks for seconds).
const GAP_MAX: Duration = Duration::from_secs(86_400);

/// Why the fleet's budget could not be asked.
#[derive(Debug, thiserror::Error)]
enum GateError {
    #[error(transparent)]
    Database(#[from] PgError),
    #[error("the host budget's task: {0}")]
    Task(#[source] tokio::task::JoinError),
}

/// The fleet's host budget, for `Fetcher::with_gate`: each worker's
/// fetcher gets one of its own, e.g.
/// `fetcher.with_gate(Arc::new(FleetHosts::connect(pg, worker, fetch.timeout)?))`.
/// A fetcher built anew (a reload that changes `[fetch]`) needs it again.
pub struct FleetHosts {
    conn: Arc<Connection>,
    worker: String,
    /// How long a permit is held if never released.
    hold: chrono::Duration,
}

/// The gate's own connection (made again once lost), run on a blocking
/// thread.
struct Connection(Link);

impl Connection {
    /// Runs `f` on the connection on a blocking thread.
    async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut PgStore) -> Result<T, PgError> + Send + 'static,
    ) -> Result<T, GateError> {
        let conn = self.clone();
        match tokio::task::spawn_blocking(move || conn.0.run(f)).await {
            Ok(r) => r.map_err(GateError::Database),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // The runtime is shutting down.
            Err(e) => Err(GateError::Task(e)),
        }
    }
}

impl FleetHosts {
    /// Connects to the fleet's database as `worker`; a permit never given
    /// back lapses after the fetch `timeout` and as long again (at most
    /// 30 s more). Blocks: call it off the async threads.
    pub fn connect(
        pg: &PostgresConfig,
        worker: &str,
        timeout: Duration,
    ) -> Result<FleetHosts, PgError> {
        Ok(FleetHosts {
            conn: Arc::new(Connection(Link::connect(pg)?)),
            worker: worker.to_string(),
            hold: chrono::Duration::from_std(timeout.saturating_add(timeout.min(HOLD_MARGIN)))
                .unwrap_or(chrono::Duration::hours(1)),
        })
    }

    /// Waits for a permit for `host`, or finds it deferred.
    async fn permit(&self, host: &str, limits: HostLimits) -> Result<Gated, GateError> {
        let in_flight = u32::try_from(limits.connections).unwrap_or(u32::MAX);
        // Bounded, so the times reckoned from it stay in range.
        let gap = chrono::Duration::from_std(limits.gap.min(GAP_MAX)).unwrap_or_default();
        let skew = chrono::Duration::from_std(SKEW).unwrap_or_default();
        let mut poll = POLL_FIRST;
        loop {
            let now = Utc::now();
            let (h, w, hold) = (host.to_string(), self.worker.clone(), now + self.hold);
            let grant = self
                .conn
                .run(move |s| s.acquire_permit(&h, &w, in_flight, gap, now, hold))
                .await?;
            let until = match grant {
                HostGrant::Granted(p) => return Ok(Gated::Granted(GatePermit(p.id))),
                HostGrant::Wait(until) => until,
            };
            if until > now + gap + skew {
                // Beyond the gap: a Retry-After, or a full budget whose
                // earliest permit lapses late. Only the first is refused.
                let h = host.to_string();
                let next = self.conn.run(move |s| s.host_next_allowed(&h)).await?;
                if let Some(next) = next.filter(|t| *t > now + gap + skew) {
                    return Ok(Gated::Throttled(next));
                }
                tokio::time::sleep(poll).await;
                poll = (poll * 2).min(POLL_MAX);
            } else {
                // The gap, or a permit that lapses about as soon.
                tokio::time::sleep(left(until, now).min(POLL_MAX)).await;
            }
        }
    }
}

/// The time from `now` to `until`, none if past.
fn left(until: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (until - now).to_std().unwrap_or_default()
}

impl HostGate for FleetHosts {
    fn acquire<'a>(
        &'a self,
        host: &'a str,
        limits: HostLimits,
    ) -> GateFuture<'a, Result<Gated, crate::fetch::Source>> {
        Box::pin(async move {
            self.permit(host, limits)
                .await
                .map_err(|e| Box::new(e) as crate::fetch::Source)
        })
    }

    fn release(&self, host: &str, permit: GatePermit) {
        let conn = self.conn.clone();
        let host = host.to_string();
        let give_back = move || {
            if let Err(e) = conn.0.run(|s| s.release_permit(Permit { id: permit.0 })) {
                warn!(
                    host,
                    "a host permit was not given back (it lapses by itself): {e}"
                );
            }
        };
        // Called from a Drop: never block the caller's thread.
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(give_back)),
            Err(_) => drop(std::thread::spawn(give_back)),
        }
    }

    fn throttle<'a>(&'a self, host: &'a str, until: DateTime<Utc>) -> GateFuture<'a, ()> {
        Box::pin(async move {
            let h = host.to_string();
            if let Err(e) = self.conn.run(move |s| s.defer_host(&h, until)).await {
                warn!(host, "a Retry-After was not shared with the fleet: {e}");
            }
        })
    }
}
