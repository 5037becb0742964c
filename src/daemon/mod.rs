//! `tidings run`: polls each feed when it is due, until SIGTERM or SIGINT.
//!
//! The clock and signals live here; the decisions (when is a feed due)
//! are `schedule`'s and the work is `pipeline::Pipeline::refresh_feed`.
//! See ARCHITECTURE.md, "Tasks in the daemon". Must not decide when a feed
//! is due, read the wall clock except through `Clock`, or time anything
//! but on tokio's clock: its tests (`tests.rs`) run this loop in tokio's
//! paused time, with scripted polls in place of `refresh_feed`.
//!
//! * Start: the caller has opened the store and indexed the corpus; the
//!   daemon binds the metrics endpoint (if asked), then tells systemd
//!   READY=1.
//! * Each round of the loop reads the feeds' state from the store, starts
//!   the due feeds' polls, and naps until the next feed is due, a poll
//!   ends or a signal comes. A good round marks the daemon healthy, and
//!   only a healthy daemon pings the systemd watchdog and answers 200 on
//!   `/healthz`.
//! * SIGHUP reloads the config: feeds added or removed take effect without
//!   a restart, and the alert delivery loop follows the new sinks; a config
//!   that does not load leaves the old one running.
//! * SIGTERM or SIGINT: no new poll starts, polls in flight get a deadline
//!   to finish, and `serve` returns (the process exits 0 after SIGTERM,
//!   130 after SIGINT, as an interrupted command does). A second signal
//!   while they finish stops at once. Whatever a poll was doing when it
//!   was stopped is safe to drop: articles are stored in two phases and
//!   the next start repairs the first phase.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, error, info, warn};

use crate::config::{Config, FeedConfig};
use crate::model::FeedOutcome;
use crate::pipeline::{Pipeline, PipelineError};
use crate::service::health::{Health, Liveness};
use crate::service::notify::{self, Notifier};
use crate::service::{http, metrics};

/// How long polls in flight may run on after a stop signal, by default.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(30);
/// The longest the loop sleeps before looking at the schedule again.
const MAX_NAP: Duration = Duration::from_secs(30);
/// The shortest: feeds being polled stay due until their poll is recorded,
/// and polls ending one after another wake the loop once per nap at most.
const MIN_NAP: Duration = Duration::from_millis(200);
/// A feed whose poll ended without recording its next poll (the store
/// refused the write) is still due; it is not started again sooner than
/// this, so that waking on a poll's end cannot become a tight loop
/// against the feed's server.
const UNRECORDED_RETRY: Duration = MAX_NAP;

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
    /// SIGTERM, or the end of the signal stream: a service manager's stop.
    Term,
    /// SIGINT: Ctrl-C on a terminal.
    Interrupt,
}

/// What the run loop hears from outside. The binary maps Unix signals to
/// these ([`signals`]); tests send their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Stop: SIGTERM or SIGINT.
    Stop(Stopped),
    /// Load the config again: SIGHUP.
    Reload,
}

/// Where the loop hears signals from. A closed channel counts as SIGTERM.
pub type Signals = mpsc::UnboundedReceiver<Signal>;

/// SIGTERM, SIGINT and SIGHUP as a [`Signals`] channel. The one place
/// tidings installs signal handlers, for `run` and `run --once` alike;
/// from here on SIGHUP no longer kills (its default action).
pub fn signals() -> Result<Signals, DaemonError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signals)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Signals)?;
    let mut hup = signal(SignalKind::hangup()).map_err(DaemonError::Signals)?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let heard = tokio::select! {
                _ = term.recv() => Signal::Stop(Stopped::Term),
                _ = int.recv() => Signal::Stop(Stopped::Interrupt),
                _ = hup.recv() => Signal::Reload,
            };
            if tx.send(heard).is_err() {
                return;
            }
        }
    });
    Ok(rx)
}

/// The next stop signal; reloads heard meanwhile are not wanted (the
/// caller is not the loop, or is stopping already).
pub async fn next_stop(signals: &mut Signals) -> Stopped {
    loop {
        match signals.recv().await {
            Some(Signal::Stop(s)) => return s,
            Some(Signal::Reload) => debug!("SIGHUP ignored: not running the loop"),
            None => return Stopped::Term,
        }
    }
}

/// Pings the systemd watchdog four times per `period` while `judge`
/// says the daemon is alive, until `stop`. The one pinger: `tidings run`
/// uses it while the corpus is indexed (judged `Starting`, since opening is
/// progress) and the loop uses it with the health of its rounds.
pub fn spawn_watchdog(
    notifier: Arc<Notifier>,
    period: Duration,
    judge: impl Fn() -> Liveness + Send + 'static,
    stop: CancellationToken,
) {
    tokio::spawn(async move {
        let mut warned = false;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(period / 4) => {}
            }
            match judge() {
                Liveness::Healthy => {
                    tell(notifier.watchdog());
                    warned = false;
                }
                // Before the first round there is nothing to judge yet.
                Liveness::Starting => tell(notifier.watchdog()),
                v if !warned => {
                    warn!("not pinging the watchdog: {v}");
                    warned = true;
                }
                _ => {}
            }
        }
    });
}

/// The loop's time: tokio's monotonic clock (which tests pause and
/// advance) since the daemon started, and the wall time the schedule is
/// compared with. The loop reads no other clock.
#[derive(Clone, Copy)]
struct Clock {
    start: Instant,
    /// `None`: the system's wall clock, the one `refresh_feed` records the
    /// next poll with (the two must agree, and a monotonic clock stands
    /// still while the machine is suspended). `Some(t)`: `t` at `start`,
    /// moving with tokio's clock, for the tests' paused time.
    wall: Option<DateTime<Utc>>,
}

impl Clock {
    fn system() -> Clock {
        Clock {
            start: Instant::now(),
            wall: None,
        }
    }

    /// Milliseconds since the daemon started.
    fn ms(&self) -> u64 {
        self.start.elapsed().as_millis().min(u64::MAX as u128) as u64
    }

    fn now(&self) -> DateTime<Utc> {
        match self.wall {
            None => Utc::now(),
            Some(t) => t + chrono::Duration::from_std(self.start.elapsed()).unwrap_or_default(),
        }
    }
}

/// One feed's poll as the loop starts it. The daemon's is [`refresh`];
/// the loop's tests pass polls that need no network, since paused time
/// would fire every HTTP timeout at once.
type PollFn = Arc<
    dyn Fn(Pipeline, FeedConfig) -> Pin<Box<dyn Future<Output = FeedOutcome> + Send>> + Send + Sync,
>;

/// The real poll: `Pipeline::refresh_feed`.
fn refresh() -> PollFn {
    Arc::new(|p, f| Box::pin(async move { p.refresh_feed(&f).await }))
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
    fn health(&self) -> Liveness {
        self.health.check(self.clock.ms())
    }
}

/// Sends a notification; a failure is worth a debug line, never a stop.
fn tell(result: std::io::Result<()>) {
    if let Err(e) = result {
        debug!("sd_notify: {e}");
    }
}

/// The feeds being polled: one poll per feed at a time.
#[derive(Clone, Default)]
struct InFlight {
    names: Arc<Mutex<HashSet<String>>>,
    /// Told each time a poll ends, so the loop looks at the schedule again
    /// instead of napping through the next poll the ended one recorded.
    ended: Arc<Notify>,
}

impl InFlight {
    fn set(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.names.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The feed's turn, unless it is being polled already.
    fn claim(&self, name: &str) -> Option<Claim> {
        self.set().insert(name.to_string()).then(|| Claim {
            set: self.clone(),
            name: name.to_string(),
            polling: false,
        })
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.set().iter().cloned().collect();
        names.sort();
        names
    }

    fn len(&self) -> usize {
        self.set().len()
    }
}

/// A feed's place in [`InFlight`], given back when dropped: however its
/// poll ends, a panic included (the task's future is dropped as the panic
/// unwinds), the feed is polled again when it comes due.
struct Claim {
    set: InFlight,
    name: String,
    /// Counted in the metrics' polls in flight.
    polling: bool,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if self.polling {
            metrics::global().poll_ended();
        }
        self.set.set().remove(&self.name);
        self.set.ended.notify_one();
    }
}

/// Starts one feed's poll on the tracker: it waits for a slot, runs, and
/// gives its claim back when it ends, whichever way it ends.
fn spawn_poll<F>(
    tracker: &TaskTracker,
    slots: Arc<Semaphore>,
    clock: Clock,
    mut claim: Claim,
    poll: F,
) where
    F: Future<Output = FeedOutcome> + Send + 'static,
{
    tracker.spawn(async move {
        let Ok(_permit) = slots.acquire_owned().await else {
            return;
        };
        let m = metrics::global();
        m.poll_started();
        claim.polling = true;
        let started = Instant::now();
        let out = poll.await;
        m.poll_finished(&out, started.elapsed(), clock.now().timestamp());
        drop(claim);
    });
}

/// The schedule loop's state between rounds.
struct Rounds {
    pipeline: Pipeline,
    slots: Arc<Semaphore>,
    in_flight: InFlight,
    /// When each feed's last poll started (monotonic, and wall time to
    /// compare with the next poll it records): see [`UNRECORDED_RETRY`].
    started: HashMap<String, (Instant, DateTime<Utc>)>,
    poll: PollFn,
    tracker: TaskTracker,
    health: Arc<Health>,
    clock: Clock,
    notifier: Arc<Notifier>,
    nap_cap: Duration,
    last_status: String,
    store_failing: bool,
}

impl Rounds {
    /// One round: starts a poll for each due feed not in flight, and says
    /// how long to nap before the next round.
    fn round(&mut self, rows: Result<Vec<crate::store::FeedRow>, PipelineError>) -> Duration {
        let now = self.clock.now();
        let mut nap = self.nap_cap;
        let rows = match rows {
            Err(e) => {
                self.health.store_failed(self.clock.ms());
                if !self.store_failing {
                    error!("cannot read the feed state, no polls start until it can: {e}");
                    self.store_failing = true;
                }
                return nap.min(Duration::from_secs(5));
            }
            Ok(rows) => rows,
        };
        if self.store_failing {
            info!("the database answers again");
            self.store_failing = false;
        }
        let feeds = &self.pipeline.config().feeds;
        let chosen = crate::pipeline::due_feeds(feeds, &rows, now, false);
        if let Some(wait) = chosen.next.and_then(|t| (t - now).to_std().ok()) {
            nap = nap.min(wait);
        }
        let next: HashMap<&str, _> = rows
            .iter()
            .map(|r| (r.name.as_str(), r.next_poll))
            .collect();
        self.started
            .retain(|_, (at, _)| at.elapsed() < UNRECORDED_RETRY);
        for feed in chosen.due {
            let recorded = next.get(feed.name.as_str()).copied().flatten();
            if let Some(wait) = self.held_back(&feed.name, recorded) {
                nap = nap.min(wait);
                continue;
            }
            let Some(claim) = self.in_flight.claim(&feed.name) else {
                continue;
            };
            self.started
                .insert(feed.name.clone(), (Instant::now(), now));
            let poll = (self.poll)(self.pipeline.clone(), feed.clone());
            spawn_poll(&self.tracker, self.slots.clone(), self.clock, claim, poll);
        }
        self.health.tick(self.clock.ms());
        let status = status_line(
            feeds.len(),
            &self.in_flight.names(),
            metrics::global().articles_stored(),
            nap,
        );
        if status != self.last_status {
            tell(self.notifier.status(&status));
            self.last_status = status;
        }
        nap
    }

    /// How long a due feed waits yet because its last poll, started less
    /// than [`UNRECORDED_RETRY`] ago, did not record a next poll after its
    /// start (`next`, the row's). `None`: it may start now.
    fn held_back(&self, name: &str, next: Option<DateTime<Utc>>) -> Option<Duration> {
        let (at, wall) = self.started.get(name)?;
        if next.is_some_and(|n| n > *wall) {
            return None;
        }
        UNRECORDED_RETRY.checked_sub(at.elapsed())
    }

    /// SIGHUP: the config loaded again; the delivery loop follows through
    /// `current`. A config that does not load keeps the running one.
    async fn reload(&mut self, current: &tokio::sync::watch::Sender<Pipeline>) {
        info!("SIGHUP: reloading the config");
        tell(self.notifier.reloading());
        if let Some(p) = reload(&self.pipeline).await {
            let concurrency = p.config().fetch.concurrency;
            if concurrency != self.pipeline.config().fetch.concurrency {
                // Polls in flight keep their permits on the old one.
                self.slots = Arc::new(Semaphore::new(concurrency));
            }
            self.pipeline = p;
            if current.send(self.pipeline.clone()).is_err() {
                debug!("the delivery loop has ended; the reload reaches the polls only");
            }
            metrics::global().set_feeds(self.pipeline.config().feeds.len());
        }
        self.last_status.clear();
        let feeds = self.pipeline.config().feeds.len();
        tell(self.notifier.ready(&format!("watching {feeds} feeds")));
    }
}

/// The daemon: returns after a stop signal from `signals`, once polls in
/// flight have finished or the deadline has passed. Whatever blocking work
/// they leave running is the caller's to bound (`Runtime::shutdown_timeout`).
pub async fn serve(
    pipeline: Pipeline,
    opts: Options,
    signals: Signals,
) -> Result<Stopped, DaemonError> {
    serve_with(pipeline, opts, signals, Clock::system(), refresh()).await
}

/// [`serve`] with its clock and its poll given: the loop the binary runs,
/// which the tests drive in paused time.
async fn serve_with(
    pipeline: Pipeline,
    opts: Options,
    mut signals: Signals,
    clock: Clock,
    poll: PollFn,
) -> Result<Stopped, DaemonError> {
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
    if let Some(addr) = opts.metrics {
        serve_metrics(addr, health.clone(), clock, stop.clone()).await?;
    }
    if let Some(period) = opts.watchdog {
        let health = health.clone();
        let judge = move || health.check(clock.ms());
        spawn_watchdog(opts.notifier.clone(), period, judge, stop.clone());
    }
    let tracker = TaskTracker::new();
    // Started with or without sinks, since a reload may add the first one;
    // with none it expires what is queued for removed sinks once, then waits
    // for a reload without touching the store. Its own token,
    // cancelled as soon as the loop ends: a pass in flight finishes within
    // the deadline, but no new pass starts (`stop` is cancelled only after
    // the deadline). It starts once the first round has read the schedule
    // (below; a read that answers at once, since no poll holds the writer
    // yet): its opening of the outbox then does not queue with that read
    // for a blocking thread, and a stop that comes before leaves the
    // outbox unopened.
    let (current, following) = tokio::sync::watch::channel(pipeline.clone());
    let delivering = CancellationToken::new();
    let mut delivery = Some(crate::deliver::run(following, delivering.clone()));
    let feeds = pipeline.config().feeds.len();
    let mut rounds = Rounds {
        slots: Arc::new(Semaphore::new(pipeline.config().fetch.concurrency)),
        pipeline,
        in_flight: InFlight::default(),
        started: HashMap::new(),
        poll,
        tracker: tracker.clone(),
        health,
        clock,
        notifier: opts.notifier.clone(),
        nap_cap,
        last_status: String::new(),
        store_failing: false,
    };
    metrics::global().set_feeds(feeds);
    info!(feeds, "daemon started");
    tell(opts.notifier.ready(&format!("watching {feeds} feeds")));

    let stopped = loop {
        // A round waits for the writer to read the schedule; a signal
        // does not wait for it (the writer may be stuck on a slow disk).
        let pipeline = rounds.pipeline.clone();
        // Polls that ended before this read are seen by it: their wake-up
        // is spent.
        let ended = rounds.in_flight.ended.clone();
        let _ = ended.notified().now_or_never();
        let read = tokio::select! {
            rows = pipeline.feed_rows() => Ok(rows),
            s = signals.recv() => Err(s),
        };
        let heard = match read {
            Ok(rows) => {
                let nap = rounds.round(rows);
                if let Some(delivery) = delivery.take() {
                    tracker.spawn(delivery);
                }
                // A poll that ends may have recorded a next poll sooner
                // than the nap's end, and the status names it as polling.
                let a_poll_ends = async {
                    tokio::time::sleep(MIN_NAP).await;
                    ended.notified().await
                };
                tokio::select! {
                    s = signals.recv() => s,
                    _ = a_poll_ends => continue,
                    _ = tokio::time::sleep(nap.max(MIN_NAP)) => continue,
                }
            }
            Err(s) => s,
        };
        match heard {
            Some(Signal::Reload) => rounds.reload(&current).await,
            Some(Signal::Stop(Stopped::Interrupt)) => {
                info!("SIGINT: stopping");
                break Stopped::Interrupt;
            }
            Some(Signal::Stop(Stopped::Term)) | None => {
                info!("SIGTERM: stopping");
                break Stopped::Term;
            }
        }
    };

    delivering.cancel();
    let polling = rounds.in_flight.len();
    finish_polls(&tracker, polling, &opts, &mut signals).await;
    stop.cancel();
    info!("stopped");
    Ok(stopped)
}

/// Binds and serves `/metrics` and `/healthz` until `stop`.
async fn serve_metrics(
    addr: SocketAddr,
    health: Arc<Health>,
    clock: Clock,
    stop: CancellationToken,
) -> Result<(), DaemonError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| DaemonError::Metrics { addr, source })?;
    let bound = listener.local_addr().unwrap_or(addr);
    if !bound.ip().is_loopback() {
        warn!(%bound, "the metrics endpoint is reachable from the network; it has no authentication");
    }
    info!(%bound, "serving /metrics and /healthz");
    let view = Arc::new(View { health, clock });
    tokio::spawn(http::serve(listener, view, stop));
    Ok(())
}

/// After a stop: the polls in flight get the deadline to finish; a second
/// stop signal ends the wait at once.
async fn finish_polls(
    tracker: &TaskTracker,
    polling: usize,
    opts: &Options,
    signals: &mut Signals,
) {
    tell(opts.notifier.stopping(&format!(
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
        s = next_stop(signals) => {
            let name = if s == Stopped::Interrupt { "SIGINT" } else { "SIGTERM" };
            warn!("{name} again: stopping now (what was not stored is fetched again on the next start)");
        }
    }
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
mod tests;
