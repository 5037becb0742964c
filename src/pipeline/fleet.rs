//! The pipeline on PostgreSQL, as one worker of a fleet: opening (the
//! shared database, this worker's dedup index from every worker's
//! articles), the story decision that replaces SQLite's group commit, and
//! the lease a poll holds on its feed.
//!
//! The commit of a round on PostgreSQL:
//!
//! 1. a story decision opens: the fleet-wide story lock is taken and the
//!    articles other workers stored since this one last looked are read;
//!    the dedup index catches up on them;
//! 2. the round is decided against that index (`decide_round`, the same
//!    choice SQLite makes), numbering new articles from the shared
//!    sequence;
//! 3. the new rows (with their text), their alerts and the sightings are
//!    written and the decision commits: the database is the record;
//! 4. each new article's corpus file is written from the same text and the
//!    directory fsynced. A worker killed between 3 and 4 leaves rows
//!    without files, which `tidings corpus sync` writes (files = rows).
//!
//! Must not: fetch, parse or extract (candidates arrive ready), decide
//! what is a copy (that is `dedup`, through `decide_round`), or speak SQL
//! (through `store::pg`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tracing::{debug, error, info, warn};

use super::commit::{
    decide_round, fail_queue, new_article_alerts, Decided, Ingest, Novelty, Queued,
};
use super::error::PipelineError;
use super::handle::Pipeline;
use super::open::OpenReport;
use super::outcome::EntryOutcome;
use super::worker::{catch_up, Fleet, Worker};
use crate::config::{Config, FeedConfig, PostgresConfig};
use crate::corpus::{Corpus, CorpusError};
use crate::dedup;
use crate::model::{FeedOutcome, PollFailure};
use crate::store::pg::PgStore;
use crate::store::{Backend, StoreError};

/// A temporary corpus file this old is no live writer's: a commit links
/// or removes its own within seconds.
const LEFT_BEHIND: std::time::Duration = std::time::Duration::from_secs(3600);

impl Ingest {
    /// Opens a worker on the shared database: the schema brought up to
    /// date, the config's feeds given rows, and the dedup index built from
    /// every article stored so far. Blocking.
    pub(super) fn open_fleet(
        config: &Config,
        pg: &PostgresConfig,
    ) -> Result<(Ingest, OpenReport), PipelineError> {
        let mut store = PgStore::open(pg).map_err(StoreError::from)?;
        // The corpus directory may be shared by several workers: a recent
        // temporary may be another worker's file in progress, so only
        // those a killed worker left long ago are swept.
        let corpus = Corpus::open(&config.corpus)?;
        corpus.sweep_temporaries_older_than(LEFT_BEHIND, std::time::SystemTime::now())?;
        if config.seeds.is_some() {
            warn!("store.seeds is not read with a PostgreSQL database: move an existing store with `tidings migrate --to`");
        }
        if config.archive.enabled {
            info!("the WARC archive is not kept with a PostgreSQL database yet");
        }
        let feeds: Vec<(String, String)> = config
            .feeds
            .iter()
            .map(|f| (f.name.clone(), f.url.to_string()))
            .collect();
        store.sync_feeds(&feeds).map_err(StoreError::from)?;
        let known = store.known_articles(None).map_err(StoreError::from)?;
        let mut index = dedup::Index::new();
        let mut seen = None;
        let report = OpenReport {
            corpus_files: known.len(),
            ..Default::default()
        };
        catch_up(&mut index, &mut seen, known);
        Ok((
            Ingest {
                store: Backend::Postgres(store),
                corpus,
                archive: None,
                capture_duplicates: false,
                index,
                next_id: 0,
                fleet: Some(Fleet {
                    seen,
                    pg: pg.clone(),
                }),
            },
            report,
        ))
    }

    /// Connects the writer again when its connection was lost (the server
    /// restarted, the network broke): the call that met the loss failed,
    /// the next one works again. The dedup index and what it has seen
    /// stay: they are this worker's, not the connection's.
    pub(super) fn reconnect_if_lost(&mut self) {
        let (Backend::Postgres(pg), Some(fleet)) = (&mut self.store, &self.fleet) else {
            return;
        };
        if let Err(e) = pg.reopen_if_lost(&fleet.pg) {
            warn!("the database connection was lost and cannot be made again yet: {e}");
        }
    }

    /// Commits every queued candidate through story decisions, a round at a
    /// time, and sends each its outcome.
    pub(super) fn commit_fleet(&mut self, mut queue: VecDeque<Queued>) {
        while !queue.is_empty() {
            match self.decide_fleet_round(&mut queue) {
                Ok(round) => self.finish_fleet_round(round),
                Err(e) => return fail_queue(queue, e),
            }
        }
    }

    /// Steps 1 to 3: one story decision, committed. On an error nothing of
    /// the round is stored; its candidates are failed (each entry is tried
    /// again at its feed's next poll).
    fn decide_fleet_round(
        &mut self,
        queue: &mut VecDeque<Queued>,
    ) -> Result<Vec<Decided>, PipelineError> {
        let (Backend::Postgres(pg), Some(fleet)) = (&mut self.store, self.fleet.as_mut()) else {
            return Err(StoreError::NotOnPostgres {
                what: "a story decision",
            }
            .into());
        };
        let (mut decision, known) = pg.begin_decision(fleet.seen).map_err(StoreError::from)?;
        if !known.is_empty() {
            debug!(articles = known.len(), "caught up on the fleet's articles");
        }
        catch_up(&mut self.index, &mut fleet.seen, known);
        let next_id = decision.peek_next_id().map_err(StoreError::from)?;
        let round = decide_round(&self.index, &mut decision, queue, next_id);
        let written = (|| {
            let mut last = None;
            for d in &round {
                match &d.novelty {
                    Novelty::New { row, .. } => {
                        let c = &d.q.candidate;
                        decision.store_article(row, &c.text)?;
                        decision.enqueue(&new_article_alerts(row, &c.sinks), d.q.now)?;
                        last = Some(row.id);
                    }
                    Novelty::Sight { .. } => {
                        if let Some(s) = d.sighting(None) {
                            decision.record_sighting(&s)?;
                        }
                    }
                }
            }
            if let Some(last) = last {
                decision.spend_ids(last)?;
            }
            decision.commit()
        })();
        match written {
            Ok(()) => Ok(round),
            Err(e) => {
                let e = Arc::new(PipelineError::from(StoreError::from(e)));
                for d in round {
                    let _ = d.q.reply.send(Err(PipelineError::Shared(e.clone())));
                }
                Ok(Vec::new())
            }
        }
    }

    /// Step 4 and the outcomes: the new articles' files written from their
    /// text, one directory fsync, the index and `seen` moved past them.
    fn finish_fleet_round(&mut self, mut round: Vec<Decided>) {
        let mut written = 0;
        for d in round.iter_mut() {
            let Novelty::New { name, .. } = &d.novelty else {
                continue;
            };
            let c = &mut d.q.candidate;
            match c.place(&self.corpus, name) {
                Ok(_) => written += 1,
                // `corpus sync` wrote it from the row first: the same text.
                Err(CorpusError::Exists(_))
                    if self.corpus.read(name).is_ok_and(|t| t == c.text) => {}
                // The row is the record: `corpus sync` writes the file.
                Err(e) => {
                    error!("{e}: the article is stored; `tidings corpus sync` writes its file")
                }
            }
        }
        if written > 0 {
            if let Err(e) = self.corpus.sync() {
                error!("{e}: the articles are stored; `tidings corpus sync` writes any file lost");
            }
        }
        for d in round {
            let Decided { q, novelty } = d;
            let outcome = match novelty {
                Novelty::New { row, fp, meta, .. } => {
                    self.index.insert_fingerprint(row.id, fp, &meta);
                    if let Some(fleet) = self.fleet.as_mut() {
                        fleet.seen = Some(fleet.seen.map_or(row.id, |s| s.max(row.id)));
                    }
                    info!(feed = %q.candidate.feed, file = %row.file, url = %q.candidate.url, "stored article");
                    crate::service::metrics::global()
                        .article_extracted(q.candidate.article.method.as_str());
                    self.check_pickup(&q.candidate.pickup, row.story, q.now)
                        .map(|()| EntryOutcome::Stored(row.id))
                }
                Novelty::Sight { of, reason, .. } => {
                    let c = &q.candidate;
                    debug!(feed = %c.feed, url = %c.url, of, reason, "duplicate sighting");
                    self.pickup_of_copy(&c.pickup, of, q.now)
                        .map(|()| EntryOutcome::Duplicate(of))
                }
            };
            let _ = q.reply.send(outcome);
        }
    }
}

impl Pipeline {
    /// Polls a feed as one worker of a fleet: takes the feed's lease (or
    /// leaves the feed to the worker holding it, or to the one that polled
    /// it since this worker read the schedule), renews it while the poll
    /// runs, and gives it back after.
    pub(super) async fn refresh_leased(&self, feed: &FeedConfig, worker: &Worker) -> FeedOutcome {
        let name = feed.name.clone();
        let who = worker.name.clone();
        let lease = chrono::Duration::from_std(worker.lease).unwrap_or(chrono::Duration::MAX);
        let forced = self.forced;
        let claimed = self
            .with_fleet(move |pg| {
                let now = Utc::now();
                pg.claim_feed(&who, &name, now, now + lease, forced)
            })
            .await;
        match claimed {
            Ok(true) => {}
            Ok(false) => {
                debug!(feed = %feed.name, "held or just polled by another worker");
                return FeedOutcome {
                    feed: feed.name.clone(),
                    leased_elsewhere: true,
                    ..Default::default()
                };
            }
            Err(e) => {
                return FeedOutcome {
                    feed: feed.name.clone(),
                    error: Some(PollFailure::of(&e)),
                    ..Default::default()
                }
            }
        }
        let polled = self.poll_feed(feed);
        tokio::pin!(polled);
        let mut renew = tokio::time::interval((worker.lease / 3).max(Duration::from_millis(100)));
        renew.tick().await;
        let out = loop {
            tokio::select! {
                out = &mut polled => break out,
                _ = renew.tick() => self.renew_lease(&feed.name, worker).await,
            }
        };
        let (name, who) = (feed.name.clone(), worker.name.clone());
        match self.with_fleet(move |pg| pg.drop_lease(&who, &name)).await {
            Ok(true) => {}
            Ok(false) => {
                warn!(feed = %feed.name, "the feed's lease ran out during its poll; another worker may have polled it too")
            }
            Err(e) => warn!(feed = %feed.name, "lease not given back (it runs out by itself): {e}"),
        }
        out
    }

    async fn renew_lease(&self, feed: &str, worker: &Worker) {
        let (name, who) = (feed.to_string(), worker.name.clone());
        let lease = chrono::Duration::from_std(worker.lease).unwrap_or(chrono::Duration::MAX);
        match self
            .with_fleet(move |pg| pg.renew_lease(&who, &name, Utc::now() + lease))
            .await
        {
            Ok(true) => {}
            Ok(false) => warn!(feed, "lost the feed's lease during its poll"),
            Err(e) => warn!(feed, "lease not renewed: {e}"),
        }
    }

    /// Runs a closure on the shared database (the worker's one connection,
    /// held by the writer) on a blocking thread.
    async fn with_fleet<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PgStore) -> Result<T, crate::store::pg::PgError> + Send + 'static,
    ) -> Result<T, PipelineError> {
        self.with_ingest(move |i| match &mut i.store {
            Backend::Postgres(pg) => Ok(f(pg).map_err(StoreError::from)?),
            Backend::Sqlite(_) => Err(StoreError::NotOnPostgres {
                what: "a feed lease",
            }
            .into()),
        })
        .await
    }
}
