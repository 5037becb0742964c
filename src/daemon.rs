//! `tidings run`: polls each feed when it is due, until SIGTERM or SIGINT.
//!
//! The clock and signals live here; the decisions (when is a feed due)
//! are `schedule`'s and the work is `pipeline::Pipeline::refresh_feed`.
//!
//! * Start: the caller has opened the store and indexed the corpus; the
//!   daemon binds the metrics endpoint (if asked), then tells systemd
//!   READY=1.
//! * Each round of the loop reads the feeds' state from the store; a good
//!   round marks the daemon healthy, and only a healthy daemon pings the
//!   systemd watchdog and answers 200 on `/healthz`.
//! * SIGHUP reloads the config: feeds added or removed take effect without
//!   a restart, and the alert delivery loop follows the new sinks; a config
//!   that does not load leaves the old one running.
//! * SIGTERM or SIGINT: no new poll starts, polls in flight get a deadline
//!   to finish, and `serve` returns (the process exits 0 after SIGTERM,
//!   130 after SIGINT, as an interrupted command does). A second signal
//!   while they finish stops at once. Whatever a poll was doing when it
//!   was stopped is safe to drop: articles are stored in two phases and
//!   the next start repairs the first phase.

use std::collections::{BTreeSet, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, error, info, warn};

use crate::config::Config;
use crate::pipeline::{Pipeline, PipelineError};
use crate::service::health::{Health, Verdict};
use crate::service::notify::{self, Notifier};
use crate::service::{http, metrics};

/// How long polls in flight may run on after a stop signal, by default.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(30);
/// The longest the loop sleeps before looking at the schedule again.
const MAX_NAP: Duration = Duration::from_secs(30);
/// The shortest: feeds being polled stay due until their poll is recorded.
const MIN_NAP: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("metrics endpoint {addr}: {source}")]
    Metrics {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("installing signal handlers: {0}")]
    Signals(std::io::Error),
}

/// How the daemon runs.
#[derive(Debug)]
pub struct Options {
    /// How long polls in flight may finish after SIGTERM or SIGINT.
    pub shutdown_deadline: Duration,
    /// Where to serve `/metrics` and `/healthz`; off when `None`.
    pub metrics: Option<SocketAddr>,
    /// Where READY, STATUS, WATCHDOG and STOPPING go.
    pub notifier: Arc<Notifier>,
    /// The systemd watchdog period, when systemd wants pings.
    pub watchdog: Option<Duration>,
}

impl Options {
    /// The defaults, with systemd's notification socket and watchdog period
    /// taken from the environment.
    pub fn from_env() -> Options {
        let notifier = Notifier::from_env().unwrap_or_else(|e| {
            warn!("{e}: systemd will not hear from tidings");
            Notifier::disabled()
        });
        Options {
            shutdown_deadline: SHUTDOWN_DEADLINE,
            metrics: None,
            notifier: Arc::new(notifier),
            watchdog: watchdog_from_env(),
        }
    }
}

/// `$WATCHDOG_USEC` / `$WATCHDOG_PID`, read here at the edge.
pub fn watchdog_from_env() -> Option<Duration> {
    let usec = std::env::var("WATCHDOG_USEC").ok();
    let pid = std::env::var("WATCHDOG_PID").ok();
    notify::watchdog_period(usec.as_deref(), pid.as_deref(), std::process::id())
}

/// The signal that stopped the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// SIGTERM, or the stop token: a service manager's stop.
    Term,
    /// SIGINT: Ctrl-C on a terminal.
    Interrupt,
}

/// Runs the daemon with the defaults (see [`Options::from_env`]).
pub async fn run(pipeline: Pipeline) -> Result<(), PipelineError> {
    serve(pipeline, Options::from_env())
        .await
        .map(|_| ())
        .map_err(|e| match e {
            DaemonError::Pipeline(p) => p,
            other => PipelineError::Task(other.to_string()),
        })
}

/// A monotonic clock in milliseconds since the daemon started.
#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn ms(&self) -> u64 {
        self.0.elapsed().as_millis().min(u64::MAX as u128) as u64
    }
}

/// What `/metrics` and `/healthz` read.
struct View {
    health: Arc<Health>,
    clock: Clock,
}

impl http::Source for View {
    fn metrics(&self) -> String {
        metrics::global().render()
    }
    fn health(&self) -> Verdict {
        self.health.check(self.clock.ms())
    }
}

/// Sends a notification; a failure is worth a debug line, never a stop.
fn tell(result: std::io::Result<()>) {
    if let Err(e) = result {
        debug!("sd_notify: {e}");
    }
}

/// The daemon: returns after a stop signal, once polls in flight have
/// finished or the deadline has passed.
pub async fn serve(mut pipeline: Pipeline, opts: Options) -> Result<Stopped, DaemonError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Signals)?;
    let mut hup = signal(SignalKind::hangup()).map_err(DaemonError::Signals)?;
    let clock = Clock(Instant::now());
    // With a watchdog, the loop wakes four times per period and counts as
    // stalled after two; without, a stall shows on /healthz after 3 naps.
    let nap_cap = opts
        .watchdog
        .map_or(MAX_NAP, |w| (w / 4).clamp(MIN_NAP, MAX_NAP));
    let stale_after = opts
        .watchdog
        .map_or(MAX_NAP * 3, |w| (w / 2).max(nap_cap * 2));
    let health = Arc::new(Health::new(stale_after));
    let stop = CancellationToken::new();
    let notifier = opts.notifier.clone();
    let m = metrics::global();

    if let Some(addr) = opts.metrics {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| DaemonError::Metrics { addr, source })?;
        let bound = listener.local_addr().unwrap_or(addr);
        if !bound.ip().is_loopback() {
            warn!(%bound, "the metrics endpoint is reachable from the network; it has no authentication");
        }
        info!(%bound, "serving /metrics and /healthz");
        let view = Arc::new(View {
            health: health.clone(),
            clock,
        });
        tokio::spawn(http::serve(listener, view, stop.clone()));
    }
    if let Some(period) = opts.watchdog {
        let (health, notifier, stop) = (health.clone(), notifier.clone(), stop.clone());
        tokio::spawn(async move {
            let mut warned = false;
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(period / 4) => {}
                }
                match health.check(clock.ms()) {
                    Verdict::Healthy => {
                        tell(notifier.watchdog());
                        warned = false;
                    }
                    // Before the first round there is nothing to judge yet.
                    Verdict::Starting => tell(notifier.watchdog()),
                    v if !warned => {
                        warn!("not pinging the watchdog: {v}");
                        warned = true;
                    }
                    _ => {}
                }
            }
        });
    }

    let tracker = TaskTracker::new();
    // Started with or without sinks, since a reload may add the first one;
    // with none it expires what is queued for removed sinks once, then waits
    // for a reload without touching the store. Its own token,
    // cancelled as soon as the loop ends: a pass in flight finishes within
    // the deadline, but no new pass starts (`stop` is cancelled only after
    // the deadline).
    let (current, following) = tokio::sync::watch::channel(pipeline.clone());
    let delivering = CancellationToken::new();
    tracker.spawn(crate::deliver::run(following, delivering.clone()));
    let mut slots = Arc::new(Semaphore::new(pipeline.config().fetch.concurrency));
    let in_flight: Arc<Mutex<HashSet<String>>> = Arc::default();
    m.set_feeds(pipeline.config().feeds.len());
    info!(feeds = pipeline.config().feeds.len(), "daemon started");
    tell(notifier.ready(&format!("watching {} feeds", pipeline.config().feeds.len())));
    let mut last_status = String::new();
    let mut store_failing = false;

    let stopped = loop {
        let now = Utc::now();
        let mut nap = nap_cap;
        match pipeline.feed_rows().await {
            Err(e) => {
                health.store_failed(clock.ms());
                if !store_failing {
                    error!("cannot read the feed state, no polls start until it can: {e}");
                    store_failing = true;
                }
                nap = nap.min(Duration::from_secs(5));
            }
            Ok(rows) => {
                if store_failing {
                    info!("the database answers again");
                    store_failing = false;
                }
                let chosen =
                    crate::pipeline::due_feeds(&pipeline.config().feeds, &rows, now, false);
                if let Some(wait) = chosen.next.and_then(|t| (t - now).to_std().ok()) {
                    nap = nap.min(wait);
                }
                for feed in chosen.due {
                    if !in_flight
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(feed.name.clone())
                    {
                        continue;
                    }
                    let (p, f, slots, in_flight) = (
                        pipeline.clone(),
                        feed.clone(),
                        slots.clone(),
                        in_flight.clone(),
                    );
                    tracker.spawn(async move {
                        if let Ok(_permit) = slots.acquire_owned().await {
                            m.poll_started();
                            let started = Instant::now();
                            let out = p.refresh_feed(&f).await;
                            m.poll_finished(&out, started.elapsed(), Utc::now().timestamp());
                            m.poll_ended();
                        }
                        in_flight
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(&f.name);
                    });
                }
                health.tick(clock.ms());
                let mut polling: Vec<String> = in_flight
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .cloned()
                    .collect();
                polling.sort();
                let status = status_line(
                    pipeline.config().feeds.len(),
                    &polling,
                    m.articles_stored(),
                    nap,
                );
                if status != last_status {
                    tell(notifier.status(&status));
                    last_status = status;
                }
            }
        }
        tokio::select! {
            _ = stop.cancelled() => break Stopped::Term,
            _ = term.recv() => { info!("SIGTERM: stopping"); break Stopped::Term }
            _ = int.recv() => { info!("SIGINT: stopping"); break Stopped::Interrupt }
            _ = hup.recv() => {
                info!("SIGHUP: reloading the config");
                tell(notifier.reloading());
                if let Some(p) = reload(&pipeline).await {
                    if p.config().fetch.concurrency != pipeline.config().fetch.concurrency {
                        // Polls in flight keep their permits on the old one.
                        slots = Arc::new(Semaphore::new(p.config().fetch.concurrency));
                    }
                    pipeline = p;
                    // The delivery loop follows.
                    let _ = current.send(pipeline.clone());
                    m.set_feeds(pipeline.config().feeds.len());
                }
                last_status.clear();
                tell(notifier.ready(&format!("watching {} feeds", pipeline.config().feeds.len())));
            }
            _ = tokio::time::sleep(nap.max(MIN_NAP)) => {}
        }
    };

    delivering.cancel();
    let polling = in_flight.lock().unwrap_or_else(|p| p.into_inner()).len();
    tell(notifier.stopping(&format!(
        "stopping: {polling} polls finishing (at most {}s)",
        opts.shutdown_deadline.as_secs()
    )));
    tracker.close();
    if polling > 0 {
        info!(
            "finishing {polling} polls in flight (at most {:?}); signal again to stop now",
            opts.shutdown_deadline
        );
    }
    tokio::select! {
        r = tokio::time::timeout(opts.shutdown_deadline, tracker.wait()) => {
            if r.is_err() {
                warn!(
                    "polls still running after {:?}; stopping anyway (what they had not stored is fetched again on the next start)",
                    opts.shutdown_deadline
                );
            }
        }
        _ = term.recv() => warn!("SIGTERM again: stopping now (what was not stored is fetched again on the next start)"),
        _ = int.recv() => warn!("SIGINT again: stopping now (what was not stored is fetched again on the next start)"),
    }
    stop.cancel();
    info!("stopped");
    Ok(stopped)
}

/// What STATUS= says between rounds: the feeds being polled (the first
/// three by name), or when the loop looks again.
fn status_line(feeds: usize, polling: &[String], stored: u64, nap: Duration) -> String {
    if !polling.is_empty() {
        let mut names = polling[..polling.len().min(3)].join(", ");
        if polling.len() > 3 {
            names.push_str(&format!(" and {} more", polling.len() - 3));
        }
        format!("{feeds} feeds; polling {names}; {stored} new articles since start")
    } else {
        format!(
            "{feeds} feeds; idle, next look in {}s; {stored} new articles since start",
            nap.as_secs()
        )
    }
}

/// Loads the config again; `None` (and the reason logged) when it cannot
/// be used, so the running one stays.
async fn reload(current: &Pipeline) -> Option<Pipeline> {
    let m = metrics::global();
    let path = current.config().path.clone();
    let p = path.clone();
    let loaded = match tokio::task::spawn_blocking(move || Config::load(&p)).await {
        Ok(r) => r,
        Err(e) => {
            error!("config reload failed, keeping the running config: {e}");
            m.reloaded(false);
            return None;
        }
    };
    let mut new = match loaded {
        Ok(c) => c,
        Err(e) => {
            // ERROR: the operator's edit is not in effect until they fix it.
            let why = e.to_string().replace('\n', "; ");
            error!("config reload failed, keeping the running config: {why}");
            m.reloaded(false);
            return None;
        }
    };
    let old = current.config();
    if new.database != old.database || new.corpus != old.corpus {
        warn!(
            "store.database and store.corpus changed in {}: they take effect at the next restart",
            path.display()
        );
        new.database = old.database.clone();
        new.corpus = old.corpus.clone();
    }
    let names =
        |c: &Config| -> BTreeSet<String> { c.feeds.iter().map(|f| f.name.clone()).collect() };
    let (before, after) = (names(old), names(&new));
    match current.reconfigure(new).await {
        Ok(p) => {
            let added: Vec<_> = after.difference(&before).cloned().collect();
            let removed: Vec<_> = before.difference(&after).cloned().collect();
            info!(
                feeds = after.len(),
                added = %added.join(","),
                removed = %removed.join(","),
                "config reloaded"
            );
            m.reloaded(true);
            Some(p)
        }
        Err(e) => {
            error!("config reload failed, keeping the running config: {e}");
            m.reloaded(false);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_says_what_is_happening() {
        let names = |n: usize| (0..n).map(|i| format!("f{i}")).collect::<Vec<_>>();
        let s = status_line(3, &names(2), 5, Duration::from_secs(9));
        assert_eq!(s, "3 feeds; polling f0, f1; 5 new articles since start");
        let s = status_line(9, &names(5), 5, Duration::from_secs(9));
        assert_eq!(
            s,
            "9 feeds; polling f0, f1, f2 and 2 more; 5 new articles since start"
        );
        let s = status_line(3, &[], 0, Duration::from_secs(9));
        assert_eq!(
            s,
            "3 feeds; idle, next look in 9s; 0 new articles since start"
        );
    }
}
