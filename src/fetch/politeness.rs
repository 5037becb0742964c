//! One politeness budget per host for every request tidings makes:
//! requests in flight, the gap between starts, Retry-After, and the
//! record of recent outcomes that tells an outage from a broken feed.
//! A budget shared beyond this process (a fleet's) comes in through the
//! `HostGate` seam, consulted after the local slot, so local limits still
//! hold; this file knows nothing of where such a gate keeps its budget.
//! Must not send requests; see ARCHITECTURE.md, "Codemap" (`fetch`).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use url::Url;

use super::error::{ClientError, FetchError, Source};
use crate::config::{FetchConfig, HostLimits};

/// What a [`HostGate`]'s calls return: a boxed future, so the trait can be
/// used as `dyn HostGate`.
pub type GateFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A request's place in a shared host budget, as its gate numbers it;
/// handed back to [`HostGate::release`] when the request is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatePermit(pub i64);

/// A gate's answer to a request for a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gated {
    Granted(GatePermit),
    /// The host asked the whole budget to wait (a Retry-After, seen by
    /// any of the budget's sharers) until then: refused now, not waited for.
    Throttled(DateTime<Utc>),
}

/// A per-host budget shared beyond this process, e.g. by a fleet of
/// workers: requests in flight, the gap between starts and Retry-After
/// hold across all of them. Consulted after this process's own slot for
/// the host is taken (so local limits still hold), and given the host's
/// limits as configured here.
pub trait HostGate: Send + Sync {
    /// Waits until a request to `host` may start within the shared budget
    /// (the gap passed, fewer than `limits.connections` in flight), or says
    /// the host is throttled. A permit must lapse by itself if never
    /// released (its holder killed).
    fn acquire<'a>(
        &'a self,
        host: &'a str,
        limits: HostLimits,
    ) -> GateFuture<'a, Result<Gated, Source>>;
    /// Gives a permit back. Called from a `Drop`: must not block, and
    /// handles its own failures (the permit lapses anyway).
    fn release(&self, host: &str, permit: GatePermit);
    /// The host answered with a Retry-After: no request to it starts
    /// before `until`, from any sharer. Handles its own failures (the
    /// request's error already carries the Retry-After).
    fn throttle<'a>(&'a self, host: &'a str, until: DateTime<Utc>) -> GateFuture<'a, ()>;
}

/// The key a host's budget is kept under, here and in a gate.
pub(super) fn host_key(url: &Url) -> String {
    url.host_str().unwrap_or("").to_ascii_lowercase()
}

/// One host's share of the politeness budget.
#[derive(Default)]
struct HostState {
    in_flight: usize,
    last_start: Option<Instant>,
    /// The whole host asked us to wait (several of its URLs throttled).
    throttled_until: Option<(Instant, DateTime<Utc>)>,
    /// URLs that answered 429/503 with Retry-After, and until when.
    throttled_urls: HashMap<String, (Instant, DateTime<Utc>)>,
}

/// Requests in flight per host, the gap between starts, and Retry-After,
/// for every request tidings makes.
pub(super) struct Politeness {
    hosts: Mutex<HashMap<String, HostState>>,
    changed: tokio::sync::Notify,
    global: Arc<tokio::sync::Semaphore>,
    default: HostLimits,
    overrides: HashMap<String, HostLimits>,
    /// Network-level failures and successes, for telling an outage from a
    /// broken feed: (when, host, ok).
    recent: Mutex<std::collections::VecDeque<(Instant, String, bool)>>,
}

/// Held while a request runs; gives the host slot back when dropped.
pub(super) struct Slot {
    politeness: Arc<Politeness>,
    host: String,
    _global: tokio::sync::OwnedSemaphorePermit,
    /// The place in a shared budget, when there is a gate.
    shared: Option<(Arc<dyn HostGate>, GatePermit)>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some((gate, permit)) = self.shared.take() {
            gate.release(&self.host, permit);
        }
        if let Ok(mut hosts) = self.politeness.hosts.lock() {
            if let Some(h) = hosts.get_mut(&self.host) {
                h.in_flight = h.in_flight.saturating_sub(1);
            }
        }
        self.politeness.changed.notify_waiters();
    }
}

/// How long the outage detector looks back.
const OUTAGE_WINDOW: Duration = Duration::from_secs(120);
/// Distinct hosts that must fail at once for an outage.
const OUTAGE_HOSTS: usize = 3;

impl Politeness {
    pub(super) fn new(cfg: &FetchConfig) -> Politeness {
        Politeness {
            hosts: Mutex::default(),
            changed: tokio::sync::Notify::new(),
            global: Arc::new(tokio::sync::Semaphore::new(cfg.max_connections)),
            default: cfg.per_host,
            overrides: cfg.hosts.clone(),
            recent: Mutex::default(),
        }
    }

    fn limits(&self, host: &str) -> HostLimits {
        self.overrides.get(host).copied().unwrap_or(self.default)
    }

    /// Waits for a slot on the URL's host, then for a place in the shared
    /// budget when there is a `gate`; refuses at once when the URL or the
    /// host is under a Retry-After (here, or told by the gate).
    pub(super) async fn acquire(
        self: &Arc<Self>,
        url: &Url,
        gate: Option<&Arc<dyn HostGate>>,
    ) -> Result<Slot, FetchError> {
        let host = host_key(url);
        let limits = self.limits(&host);
        let mut slot = self.acquire_local(url, host, limits).await?;
        let Some(gate) = gate else {
            return Ok(slot);
        };
        match gate.acquire(&slot.host, limits).await {
            Ok(Gated::Granted(permit)) => {
                slot.shared = Some((gate.clone(), permit));
                Ok(slot)
            }
            Ok(Gated::Throttled(until)) => {
                // Kept here too, so this process's next requests to the
                // host are refused without asking the gate.
                let left = (until - Utc::now()).to_std().unwrap_or_default();
                let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
                let h = hosts.entry(slot.host.clone()).or_default();
                h.throttled_until = Some((Instant::now() + left, until));
                Err(FetchError::Throttled {
                    url: url.to_string(),
                    until,
                })
            }
            Err(source) => Err(FetchError::Client(ClientError::Gate {
                host: slot.host.clone(),
                source,
            })),
        }
    }

    /// This process's own slot for the host.
    async fn acquire_local(
        self: &Arc<Self>,
        url: &Url,
        host: String,
        limits: HostLimits,
    ) -> Result<Slot, FetchError> {
        let permit = self
            .global
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| FetchError::Client(ClientError::Budget(e)))?;
        loop {
            // Registered before the state is read, so a slot freed in
            // between still wakes this waiter.
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let wait = {
                let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
                let h = hosts.entry(host.clone()).or_default();
                let now = Instant::now();
                h.throttled_urls.retain(|_, (until, _)| *until > now);
                if let Some((until, at)) = h
                    .throttled_urls
                    .get(url.as_str())
                    .copied()
                    .or(h.throttled_until)
                {
                    if until > now {
                        return Err(FetchError::Throttled {
                            url: url.to_string(),
                            until: at,
                        });
                    }
                    h.throttled_until = None;
                }
                let gap_left = h
                    .last_start
                    .map(|t| (t + limits.gap).saturating_duration_since(now));
                match gap_left {
                    _ if h.in_flight >= limits.connections => None,
                    Some(left) if !left.is_zero() => Some(left),
                    _ => {
                        h.in_flight += 1;
                        h.last_start = Some(now);
                        return Ok(Slot {
                            politeness: self.clone(),
                            host,
                            _global: permit,
                            shared: None,
                        });
                    }
                }
            };
            match wait {
                Some(d) => tokio::time::sleep(d).await,
                None => notified.await,
            }
        }
    }

    /// Records a Retry-After for a URL; when several URLs of one host are
    /// throttled, the whole host waits.
    pub(super) fn throttle(&self, url: &Url, until: DateTime<Utc>) {
        let host = host_key(url);
        let left = (until - Utc::now()).to_std().unwrap_or_default();
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        let h = hosts.entry(host).or_default();
        let instant = Instant::now() + left;
        h.throttled_urls.insert(url.to_string(), (instant, until));
        if h.throttled_urls.len() >= 2 {
            let latest = h.throttled_urls.values().copied().min_by_key(|(i, _)| *i);
            h.throttled_until = latest;
        }
    }

    /// Hosts currently under a Retry-After.
    pub(super) fn throttled_hosts(&self) -> usize {
        let now = Instant::now();
        let hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .values()
            .filter(|h| {
                h.throttled_until.is_some_and(|(t, _)| t > now)
                    || h.throttled_urls.values().any(|(t, _)| *t > now)
            })
            .count()
    }

    pub(super) fn note(&self, host: &str, ok: bool) {
        let now = Instant::now();
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        // Oldest first: drop what fell out of the window, and keep the
        // record small (a few hundred outcomes tell an outage as well).
        while recent
            .front()
            .is_some_and(|(t, _, _)| now.duration_since(*t) >= OUTAGE_WINDOW)
            || recent.len() >= 512
        {
            recent.pop_front();
        }
        recent.push_back((now, host.to_string(), ok));
    }

    /// The network looks down: nothing answered lately, and several hosts
    /// failed at the connection level.
    pub(super) fn outage(&self) -> bool {
        let now = Instant::now();
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let live: Vec<_> = recent
            .iter()
            .filter(|(t, _, _)| now.duration_since(*t) < OUTAGE_WINDOW)
            .collect();
        let any_ok = live.iter().any(|(_, _, ok)| *ok);
        let failed: HashSet<&str> = live
            .iter()
            .filter(|(_, _, ok)| !ok)
            .map(|(_, h, _)| h.as_str())
            .collect();
        !any_ok && failed.len() >= OUTAGE_HOSTS
    }
}
