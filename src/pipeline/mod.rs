//! The ingestion path: `refresh_feed` takes one feed from fetch to stored
//! articles; the daemon and `run --once` both call it.
//!
//! This is the I/O shell around the pure stages: it fetches, calls
//! `feed`, `extract`, `normalize`, `topic` and `dedup`, and records the
//! outcome through `store`, `corpus` and `archive`. The order follows what
//! is cheap: an entry seen before is skipped before its page is fetched,
//! and a known canonical URL is a sighting before anything is extracted.
//! Blocking work (SQLite, files, parsing, extraction) runs off the async
//! threads.
//!
//! By job: `open` (open, repair, import), `poll` (`refresh_feed`), `entry`
//! (one entry up to the writer), `commit` (the group commit and its fsync
//! order), `once` (`run_once` and the due-feed choice), `outcome` (what a
//! poll came to). See `ARCHITECTURE.md`, "Entry points" and "Durability:
//! the order of a commit".
//!
//! Must not: parse or extract itself (it calls the pure stages), speak SQL
//! or HTTP (through `store` and `fetch`), or write files other than
//! through `corpus` and `archive`.

mod commit;
mod entry;
mod once;
mod open;
mod outcome;
mod poll;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;

use crate::archive::ArchiveError;
use crate::config::Config;
use crate::corpus::{Corpus, CorpusError};
use crate::fetch::{FetchError, Fetcher};
use crate::store::StoreError;

use commit::Queued;
pub use commit::{rewrite_article, Ingest};
pub use entry::{article_text, reextract, EntryOutcome};
pub use once::{due_feeds, run_once, OnceProgress, Summary};
pub use open::{build_index, index_text, Fingerprints, OpenReport};
pub use outcome::POLL_FAILURES;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("internal task failed: {0}")]
    Task(String),
    /// One failure that failed several articles committed together.
    #[error(transparent)]
    Shared(Arc<PipelineError>),
}

impl PipelineError {
    /// Whether the database, the corpus or the archive failed (full,
    /// read-only, gone), rather than the feed or the page.
    pub fn is_storage(&self) -> bool {
        match self {
            PipelineError::Store(_) | PipelineError::Corpus(_) | PipelineError::Archive(_) => true,
            PipelineError::Shared(inner) => inner.is_storage(),
            PipelineError::Fetch(_) | PipelineError::Task(_) => false,
        }
    }
}

/// Everything `refresh_feed` needs, shared by all feeds.
#[derive(Clone)]
pub struct Pipeline {
    config: Arc<Config>,
    fetcher: Fetcher,
    ingest: Arc<Mutex<Ingest>>,
    /// The ingest's corpus directory, for staging texts outside the lock.
    corpus: Corpus,
    /// Candidates waiting for the writer; whoever holds it next commits
    /// them all (see `Ingest::commit_queued`).
    waiting: Arc<Mutex<VecDeque<Queued>>>,
    /// Alert even on a feed's first poll (`--alert`).
    force_alerts: bool,
    /// Wakes the delivery loop when alerts are queued.
    queued: Arc<tokio::sync::Notify>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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
        let (ingest, report) = tokio::task::spawn_blocking(move || Ingest::open(&c, Utc::now()))
            .await
            .map_err(|e| PipelineError::Task(e.to_string()))??;
        let pipeline = Pipeline {
            config,
            fetcher,
            corpus: ingest.corpus.clone(),
            ingest: Arc::new(Mutex::new(ingest)),
            waiting: Arc::default(),
            force_alerts,
            queued: Arc::default(),
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
        tokio::task::spawn_blocking(move || f(&mut lock(&ingest)))
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
                Fetcher::new(&config.fetch, &refs)?
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
        })
    }
}
