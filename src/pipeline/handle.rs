//! `Pipeline`: what every poll shares (the config, the fetcher, the one
//! writer behind its mutex, the queue of candidates waiting for it), how
//! it opens and how a reload replaces it. The polling itself is `poll`
//! and `entry`. See `ARCHITECTURE.md`, "Codemap" (`pipeline`) and "Tasks
//! in the daemon".
//!
//! Must not: fetch, parse or commit here (through `poll`, `entry` and
//! `commit`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;

use super::commit::{Ingest, Queued};
use super::error::PipelineError;
use super::hosts::FleetHosts;
use super::open::OpenReport;
use super::worker::Worker;
use crate::config::Config;
use crate::corpus::Corpus;
use crate::fetch::Fetcher;

/// Everything `refresh_feed` needs, shared by all feeds.
#[derive(Clone)]
pub struct Pipeline {
    pub(super) config: Arc<Config>,
    pub(super) fetcher: Fetcher,
    pub(super) ingest: Arc<Mutex<Ingest>>,
    /// The ingest's corpus directory, for staging texts outside the lock.
    pub(super) corpus: Corpus,
    /// Candidates waiting for the writer; whoever holds it next commits
    /// them all (see `Ingest::commit_queued`).
    pub(super) waiting: Arc<Mutex<VecDeque<Queued>>>,
    /// Alert even on a feed's first poll (`--alert`).
    pub(super) force_alerts: bool,
    /// Wakes the delivery loop when alerts are queued.
    pub(super) queued: Arc<tokio::sync::Notify>,
    /// With PostgreSQL: this worker's name and lease; polls take leases.
    pub(super) worker: Option<Arc<Worker>>,
    /// `run --once --force`: a lease is taken on a feed not due too.
    pub(super) forced: bool,
    /// With PostgreSQL: the per-host budget the fleet shares.
    pub(super) hosts: Option<Arc<FleetHosts>>,
}

/// The fetcher, gated by the fleet's host budget when there is one.
fn with_hosts(fetcher: Fetcher, hosts: &Option<Arc<FleetHosts>>) -> Fetcher {
    match hosts {
        Some(h) => fetcher.with_gate(h.clone()),
        None => fetcher,
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves SQLite consistent (transactions)
    // and the corpus consistent (atomic files), so the state is usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Pipeline {
    /// Opens the store and corpus. `force_alerts` alerts on a feed's first
    /// poll too, which is otherwise a silent backfill.
    pub async fn open(
        config: Config,
        force_alerts: bool,
    ) -> Result<(Pipeline, OpenReport), PipelineError> {
        let proxies: Vec<&str> = config
            .feeds
            .iter()
            .filter_map(|f| f.proxy.as_deref())
            .collect();
        let fetcher = Fetcher::new(&config.fetch, &proxies)?;
        let config = Arc::new(config);
        let c = config.clone();
        let worker = config.postgres.as_ref().map(|pg| Arc::new(Worker::of(pg)));
        let w = worker.clone();
        let (ingest, report, hosts) = tokio::task::spawn_blocking(move || match (&c.postgres, w) {
            (Some(pg), Some(w)) => {
                let (ingest, report) = Ingest::open_fleet(&c, pg)?;
                let hosts = FleetHosts::connect(pg, &w.name, c.fetch.timeout)
                    .map_err(crate::store::StoreError::from)?;
                Ok::<_, PipelineError>((ingest, report, Some(Arc::new(hosts))))
            }
            _ => Ingest::open(&c, Utc::now()).map(|(i, r)| (i, r, None)),
        })
        .await
        .map_err(|e| PipelineError::Task(e.to_string()))??;
        // The fleet's host budget holds across workers.
        let fetcher = with_hosts(fetcher, &hosts);
        let pipeline = Pipeline {
            config,
            fetcher,
            corpus: ingest.corpus.clone(),
            ingest: Arc::new(Mutex::new(ingest)),
            waiting: Arc::default(),
            force_alerts,
            queued: Arc::default(),
            worker,
            forced: false,
            hosts,
        };
        Ok((pipeline, report))
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every feed's schedule: name, next poll, retired (the other fields
    /// are left empty).
    pub async fn feed_rows(&self) -> Result<Vec<crate::store::FeedRow>, PipelineError> {
        self.with_ingest(|i| Ok(i.store.feed_schedule()?)).await
    }

    /// Resolves when alerts were queued since the last call.
    pub async fn alert_queued(&self) {
        self.queued.notified().await
    }

    /// Runs a closure on the ingest state (the single writer) on a
    /// blocking thread.
    pub async fn with_ingest<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Ingest) -> Result<T, PipelineError> + Send + 'static,
    ) -> Result<T, PipelineError> {
        let ingest = self.ingest.clone();
        tokio::task::spawn_blocking(move || {
            let mut i = lock(&ingest);
            i.reconnect_if_lost();
            f(&mut i)
        })
        .await
        .map_err(|e| PipelineError::Task(e.to_string()))?
    }

    /// A pipeline for a reloaded config sharing this one's store, corpus and
    /// dedup index: feeds added or removed, the topic, intervals and fetch
    /// settings take effect at once (polls in flight finish with the old
    /// ones). `store.database`, `store.corpus` and the `[archive]` table
    /// are not reopened: the caller keeps the old ones. New feeds get their row in the store.
    pub async fn reconfigure(&self, config: Config) -> Result<Pipeline, PipelineError> {
        let proxies = |c: &Config| -> Vec<String> {
            c.feeds.iter().filter_map(|f| f.proxy.clone()).collect()
        };
        // The same fetch settings keep the same fetcher: its per-host
        // politeness state (gaps, Retry-After) must survive a reload.
        let fetcher =
            if config.fetch == self.config.fetch && proxies(&config) == proxies(&self.config) {
                self.fetcher.clone()
            } else {
                let p = proxies(&config);
                let refs: Vec<&str> = p.iter().map(String::as_str).collect();
                with_hosts(Fetcher::new(&config.fetch, &refs)?, &self.hosts)
            };
        let feeds: Vec<(String, String)> = config
            .feeds
            .iter()
            .map(|f| (f.name.clone(), f.url.to_string()))
            .collect();
        self.with_ingest(move |i| Ok(i.store.sync_feeds(&feeds)?))
            .await?;
        Ok(Pipeline {
            config: Arc::new(config),
            fetcher,
            ingest: self.ingest.clone(),
            corpus: self.corpus.clone(),
            waiting: self.waiting.clone(),
            force_alerts: self.force_alerts,
            queued: self.queued.clone(),
            worker: self.worker.clone(),
            forced: self.forced,
            hosts: self.hosts.clone(),
        })
    }
}
