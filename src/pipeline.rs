//! The ingestion path: `refresh_feed` takes one feed from fetch to stored
//! articles; the daemon and `run --once` both call it.
//!
//! This is the I/O shell around the pure stages: it fetches, calls
//! `feed`, `extract`, `normalize`, `topic` and `dedup`, and records the
//! outcome through `store`, `corpus` and `archive`. The order follows what is cheap:
//! an entry seen before is skipped before its page is fetched, and a known
//! canonical URL is a sighting before anything is extracted. Blocking work
//! (SQLite, files, parsing, extraction) runs off the async threads.

use std::collections::VecDeque;

use futures_util::StreamExt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::{debug, error, info, warn};
use url::Url;

use crate::alert;
use crate::archive::{self, Archive, ArchiveError};
use crate::config::{Config, FeedConfig};
use crate::corpus::{self, Corpus, CorpusError, FileName, Staged};
use crate::dedup::{self, Decision, DocMeta, Fingerprint};
use crate::extract::{self, Article};
use crate::feed::{self, Entry};
use crate::fetch::{Exchange, FetchError, Fetcher, Validators};
use crate::model::{self, ts, Capture, Event, FailureKind, FeedHealth, FeedOutcome, PollFailure};
use crate::normalize;
use crate::schedule;
use crate::store::{
    EntryState, Finished, NewArticle, Outgoing, PollResult, Sighting, Store, StoreError,
};

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

/// Words a feed entry's own content needs before it is taken as the full
/// text when the page cannot be had (teasers are shorter).
const FULL_TEXT_WORDS: usize = 80;
/// How long one page's extraction may take. The parse budget keeps real
/// work far below this; it is the last line of defence.
const EXTRACT_TIMEOUT: Duration = Duration::from_secs(20);
/// Failed attempts after which an entry is given up (recorded as without
/// an article, with the last error): a page that times out or fails to
/// extract at every poll is not fetched for ever. A Retry-After, and a
/// failure while the network looks down, are not attempts.
const MAX_ENTRY_ATTEMPTS: u32 = 3;
/// A feed's new entries prepared (fetched, extracted) at once. The host
/// budget still holds; this bounds the pages held in memory per feed, so
/// a few slow pages no longer hold up the rest one after another.
const ENTRIES_AT_ONCE: usize = 4;

/// The state that only one writer may touch at a time: the database, the
/// corpus directory, the archive, the dedup index and the next sequence
/// number.
pub struct Ingest {
    pub store: Store,
    corpus: Corpus,
    /// `None` when `archive.enabled = false`.
    archive: Option<Archive>,
    capture_duplicates: bool,
    index: dedup::Index,
    next_id: u64,
}

/// What opening the corpus found and repaired.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct OpenReport {
    pub corpus_files: usize,
    pub imported: usize,
    pub repaired_pending: usize,
    pub dropped_pending: usize,
}

/// Fingerprints computed at start, to be kept: (article id, blob).
pub type Fingerprints = Vec<(u64, Vec<u8>)>;

/// The row of a corpus file found in the directory.
fn imported_row(name: &FileName, text: &str) -> NewArticle {
    let (title, _) = normalize::split(text);
    NewArticle {
        id: name.seq,
        file: name.render(),
        url: None,
        canonical_url: None,
        title: title.to_string(),
        feed: None,
        entry_key: None,
        published: None,
        fetched_at: None,
        language: None,
        author: None,
        site_name: None,
        method: None,
        words: normalize::word_count(text) as u64,
        text_hash: dedup::text_hash(text),
        story: name.seq,
        fingerprint: None,
        source: None,
        access: None,
    }
}

/// Builds the dedup index from the stored fingerprints, in number order (so
/// that per-source boilerplate is learnt as it was). An article without a
/// readable fingerprint is fingerprinted from its file; those are returned
/// so the caller can keep them. Corpus files the store does not know are
/// indexed too (for read-only callers); `listed` is the directory's
/// listing, which the caller has already made.
pub fn build_index(
    store: &Store,
    corpus: &Corpus,
    listed: &[FileName],
) -> Result<(dedup::Index, Fingerprints), PipelineError> {
    let mut index = dedup::Index::new();
    let mut computed = Vec::new();
    let mut all = store.fingerprints()?;
    let extra: Vec<_> = {
        let known: std::collections::HashSet<&str> = all.iter().map(|r| r.1.as_str()).collect();
        listed
            .iter()
            .filter(|n| !known.contains(n.render().as_str()))
            .map(|n| (n.seq, n.render(), None, None, None))
            .collect()
    };
    all.extend(extra);
    all.sort_by_key(|r| r.0);
    for (id, file, blob, source, published) in all {
        let meta = DocMeta {
            source,
            published: published.map(|p| p.timestamp()),
        };
        if let Some(fp) = blob
            .as_deref()
            .and_then(|b| dedup::Fingerprint::from_bytes(b).ok())
        {
            index.insert_fingerprint(id, fp, &meta);
            continue;
        }
        let Some(name) = FileName::parse(&file) else {
            continue;
        };
        // A file deleted by hand leaves its row: it no longer takes part.
        let Ok(text) = corpus.read(&name) else {
            continue;
        };
        let fp = index.fingerprint(&text, &meta);
        computed.push((id, fp.to_bytes()));
        index.insert_fingerprint(id, fp, &meta);
    }
    Ok((index, computed))
}

/// Indexes for search the articles whose text the full-text index lacks
/// (stored before the index existed, imported from the directory, or
/// repaired after a crash), from their corpus files; returns how many. A
/// file deleted by hand is skipped (its article is not searchable).
pub fn index_text(store: &mut Store, corpus: &Corpus) -> Result<usize, PipelineError> {
    // In batches, so a large corpus is not held in memory at once.
    const BATCH: usize = 256;
    let mut done = 0;
    for chunk in store.unindexed_articles()?.chunks(BATCH) {
        let texts: Vec<(u64, String)> = chunk
            .iter()
            .filter_map(|(id, file)| {
                let name = FileName::parse(file)?;
                corpus.read(&name).ok().map(|t| (*id, t))
            })
            .collect();
        let refs: Vec<(u64, &str)> = texts.iter().map(|(i, t)| (*i, t.as_str())).collect();
        store.index_texts(&refs)?;
        done += refs.len();
    }
    Ok(done)
}

impl Ingest {
    /// Opens the store and the corpus, repairs what a crash left, imports
    /// corpus files the database does not know (the seeds on a first run),
    /// and indexes every corpus file for dedup. Blocking.
    pub fn open(
        config: &Config,
        now: DateTime<Utc>,
    ) -> Result<(Ingest, OpenReport), PipelineError> {
        let mut store = Store::open(&config.database)?;
        let corpus = Corpus::open(&config.corpus)?;
        corpus.sweep_temporaries()?;
        if let Some(seeds) = &config.seeds {
            corpus.seed_from(seeds)?;
        }
        for stray in corpus.strays()? {
            warn!(
                "{}: ignored: corpus files are named NNN_<16 hex digits>.txt (rename it, e.g. 900_0000000000000001.txt, to have it recorded)",
                stray.display()
            );
        }
        let feeds: Vec<(String, String)> = config
            .feeds
            .iter()
            .map(|f| (f.name.clone(), f.url.to_string()))
            .collect();
        store.sync_feeds(&feeds)?;
        let mut report = OpenReport::default();
        for p in store.pending_articles()? {
            let name = FileName::parse(&p.file);
            if name.as_ref().is_some_and(|n| corpus.exists(n)) {
                store.finish_article(p.id, now, &[], None)?;
                report.repaired_pending += 1;
            } else {
                store.abandon_article(p.id)?;
                report.dropped_pending += 1;
            }
        }
        store.retry_alerts_now(now)?;
        let known: std::collections::HashSet<String> = store.article_files()?.into_iter().collect();
        let listed = corpus.list()?;
        let mut imports = Vec::new();
        for name in listed.iter().filter(|n| !known.contains(&n.render())) {
            let text = corpus.read(name)?;
            imports.push(imported_row(name, &text));
        }
        for taken in store.import_articles(&imports)? {
            warn!("corpus file numbered {taken} not recorded: another file has that number");
        }
        report.imported = imports.len();
        report.corpus_files = listed.len();
        let (index, computed) = build_index(&store, &corpus, &listed)?;
        store.set_fingerprints(&computed)?;
        index_text(&mut store, &corpus)?;
        let max_seq = store.max_article_id()?.max(listed.last().map(|n| n.seq));
        let next_id = max_seq.map_or(0, |m| m + 1);
        let archive = if config.archive.enabled {
            Some(Archive::open(&config.archive, |file| {
                store.archive_end(file).unwrap_or(0)
            })?)
        } else {
            None
        };
        Ok((
            Ingest {
                store,
                corpus,
                archive,
                capture_duplicates: config.archive.capture_duplicates,
                index,
                next_id,
            },
            report,
        ))
    }

    /// Commits every queued candidate, in the order they were queued, and
    /// sends each its outcome. Candidates that waited together commit
    /// together, in as few rounds as they can: a round's articles share
    /// their fsyncs (the archive's, the pending rows', the corpus
    /// directory's and the stored rows'), so the writer's turn costs about
    /// the same for sixteen articles as for one. Each article still goes
    /// through the same order: page archived, row pending, file in place,
    /// row stored.
    fn commit_queued(&mut self, mut queue: VecDeque<Queued>) {
        while !queue.is_empty() {
            let round = self.decide_round(&mut queue);
            self.commit_round(round);
        }
    }

    /// Takes candidates off the front of the queue for one round, deciding
    /// each against the corpus as it stood when the round began. The round
    /// ends before a candidate that has the canonical URL of one of the
    /// round's new articles or copies or follows one of them (by the
    /// round's own small index): that one is decided again in the next
    /// round, against a corpus that holds them, as if it had come later.
    fn decide_round(&mut self, queue: &mut VecDeque<Queued>) -> Vec<Decided> {
        let mut round: Vec<Decided> = Vec::new();
        let mut urls = std::collections::HashSet::new();
        let mut fresh = dedup::Index::with_params(self.index.params().clone());
        let mut next_id = self.next_id;
        while let Some(q) = queue.pop_front() {
            match self.decide(&q.candidate, q.now, next_id, &urls, &fresh) {
                Ok(Some(verdict)) => {
                    if let Verdict::New { row, fp, meta, .. } = &verdict {
                        urls.insert(q.candidate.canonical_url.clone());
                        fresh.insert_fingerprint(row.id, fp.clone(), meta);
                        next_id += 1;
                    }
                    round.push(Decided { q, verdict });
                }
                Ok(None) => {
                    queue.push_front(q);
                    break;
                }
                Err(e) => {
                    let _ = q.reply.send(Err(e));
                }
            }
        }
        round
    }

    /// The verdict on one candidate, given the round so far (its new
    /// articles' canonical URLs and their fingerprints in `fresh`); `None`
    /// when the candidate meets one of them and must wait for the next round.
    fn decide(
        &self,
        c: &Candidate,
        now: DateTime<Utc>,
        id: u64,
        urls: &std::collections::HashSet<String>,
        fresh: &dedup::Index,
    ) -> Result<Option<Verdict>, PipelineError> {
        // Boilerplate is learnt per outlet (`dedup::outlet`).
        let source = dedup::outlet(&c.canonical_url).or_else(|| dedup::outlet(c.url.as_str()));
        let meta = DocMeta {
            source: source.clone(),
            published: c.published.map(|d| d.timestamp()),
        };
        if let Some(of) = self.store.article_by_canonical_url(&c.canonical_url)? {
            return Ok(Some(Verdict::Sight {
                of,
                reason: "url",
                score: 1.0,
                flags: (false, false),
            }));
        }
        if urls.contains(&c.canonical_url) {
            return Ok(None);
        }
        let fp = self.index.fingerprint(&c.text, &meta);
        let assessment = self.index.assess(&fp, &meta);
        let story = match assessment.decision {
            Decision::Duplicate { of, score } => {
                return Ok(Some(Verdict::Sight {
                    of,
                    reason: "text",
                    score,
                    flags: (assessment.longer, assessment.newer),
                }));
            }
            Decision::Story { of, .. } => self.store.story_of(of)?.unwrap_or(id),
            Decision::New => id,
        };
        if !fresh.is_empty() && fresh.assess(&fp, &meta).decision != Decision::New {
            return Ok(None);
        }
        let name = FileName {
            seq: id,
            hex: corpus::identifier(&c.canonical_url),
        };
        let row = NewArticle {
            id,
            file: name.render(),
            url: Some(c.url.to_string()),
            canonical_url: Some(c.canonical_url.clone()),
            title: c.title.clone(),
            feed: Some(c.feed.clone()),
            entry_key: Some(c.entry_key.clone()),
            published: c.published,
            fetched_at: Some(now),
            language: c.article.language.clone(),
            author: c.article.author.clone(),
            site_name: c.article.site_name.clone(),
            method: Some(c.article.method.to_string()),
            words: normalize::word_count(&c.text) as u64,
            text_hash: dedup::text_hash(&c.text),
            story,
            fingerprint: Some(fp.to_bytes()),
            source,
            access: c.article.paywalled.then(|| "paywalled".to_string()),
        };
        Ok(Some(Verdict::New {
            row: Box::new(row),
            name,
            fp,
            meta,
        }))
    }

    /// Stores one round: captures (one archive fsync), pending rows and
    /// sightings (one transaction), files linked into place (one directory
    /// fsync), rows stored (one transaction); then the dedup index, the
    /// follow-ups, and every candidate's outcome. A failure before the
    /// files fails the whole round (each entry is retried at its next
    /// poll); a file that cannot be placed fails its article alone.
    fn commit_round(&mut self, mut round: Vec<Decided>) {
        if round.is_empty() {
            return;
        }
        let mut outcomes: Vec<Option<Result<EntryOutcome, PipelineError>>> =
            round.iter().map(|_| None).collect();
        let fail_all = |round: Vec<Decided>, e: PipelineError| {
            let e = Arc::new(e);
            for d in round {
                let _ = d.q.reply.send(Err(PipelineError::Shared(e.clone())));
            }
        };
        // The pages are on disk before any row points at them.
        let mut captures: Vec<Option<Capture>> = Vec::with_capacity(round.len());
        for d in &round {
            let wanted = match d.verdict {
                Verdict::New { .. } => true,
                Verdict::Sight { .. } => self.capture_duplicates,
            };
            let c = if wanted {
                self.append_capture(&d.q.candidate)
            } else {
                Ok(None)
            };
            match c {
                Ok(c) => captures.push(c),
                Err(e) => return fail_all(round, e),
            }
        }
        if let Some(archive) = self.archive.as_mut() {
            if let Err(e) = archive.sync() {
                return fail_all(round, e.into());
            }
        }
        let mut begun = Vec::new();
        let mut sightings = Vec::new();
        for (d, capture) in round.iter().zip(captures) {
            match &d.verdict {
                Verdict::New { row, .. } => begun.push((&**row, capture)),
                Verdict::Sight {
                    of,
                    reason,
                    score,
                    flags: (longer, newer),
                } => {
                    let c = &d.q.candidate;
                    if *longer || *newer {
                        info!(feed = %c.feed, url = %c.url, of, longer, newer, "a longer or newer version of an article");
                    }
                    sightings.push(Sighting {
                        article: *of,
                        url: Some(c.url.to_string()),
                        canonical_url: Some(c.canonical_url.clone()),
                        feed: c.feed.clone(),
                        entry_key: c.entry_key.clone(),
                        title: Some(c.title.clone()),
                        published: c.published,
                        seen_at: d.q.now,
                        reason,
                        score: *score,
                        longer: *longer,
                        newer: *newer,
                        capture,
                    });
                }
            }
        }
        // The numbers are spent even if the writes fail: never reused.
        self.next_id += begun.len() as u64;
        let begin = {
            let rows: Vec<(&NewArticle, Option<&Capture>)> =
                begun.iter().map(|(r, c)| (*r, c.as_ref())).collect();
            self.store.begin_round(&rows, &sightings)
        };
        drop(begun);
        if let Err(e) = begin {
            return fail_all(round, e.into());
        }
        // Files into place; one directory fsync makes them all durable.
        // From here on a new article without an outcome is stored.
        let mut placed: Vec<Placed> = Vec::new();
        let mut abandoned = Vec::new();
        for (k, d) in round.iter_mut().enumerate() {
            let Verdict::New { row, name, .. } = &d.verdict else {
                continue;
            };
            let c = &mut d.q.candidate;
            let linked = match c.staged.take() {
                Some(staged) => self.corpus.link(staged, name),
                None => self
                    .corpus
                    .stage(&c.text)
                    .and_then(|staged| self.corpus.link(staged, name)),
            };
            match linked {
                Ok(path) => placed.push(Placed {
                    k,
                    id: row.id,
                    path,
                    alerts: c
                        .sinks
                        .iter()
                        .map(|sink| Outgoing {
                            sink: sink.clone(),
                            event: model::NEW_ARTICLE.into(),
                            key: format!("article:{}", row.id),
                            payload: Event::new_article(&row.record()).webhook_body(),
                        })
                        .collect(),
                }),
                Err(e) => {
                    abandoned.push(row.id);
                    outcomes[k] = Some(Err(e.into()));
                }
            }
        }
        if !placed.is_empty() {
            if let Err(e) = self.corpus.sync() {
                // Whether the names reached the disk is unknown: take them
                // back, so no row stands for a file that may vanish.
                let e = Arc::new(PipelineError::from(e));
                for p in placed.drain(..) {
                    let _ = std::fs::remove_file(&p.path);
                    abandoned.push(p.id);
                    outcomes[p.k] = Some(Err(PipelineError::Shared(e.clone())));
                }
            }
        }
        let finished: Vec<Finished> = placed
            .iter()
            .map(|p| Finished {
                id: p.id,
                at: round[p.k].q.now,
                alerts: &p.alerts,
                text: Some(&round[p.k].q.candidate.text),
            })
            .collect();
        if let Err(e) = self.store.finish_round(&finished, &abandoned) {
            // The rows stay pending beside their files: the next start
            // finishes them.
            let e = Arc::new(PipelineError::from(e));
            for p in &placed {
                outcomes[p.k] = Some(Err(PipelineError::Shared(e.clone())));
            }
        }
        drop(finished);
        for (d, failed) in round.into_iter().zip(outcomes) {
            let Decided { q, verdict } = d;
            let outcome = match (failed, verdict) {
                (Some(failed), _) => failed,
                (None, Verdict::New { row, fp, meta, .. }) => {
                    self.index.insert_fingerprint(row.id, fp, &meta);
                    info!(feed = %q.candidate.feed, file = %row.file, url = %q.candidate.url, "stored article");
                    crate::service::metrics::global()
                        .article_extracted(q.candidate.article.method.as_str());
                    self.check_pickup(&q.candidate.pickup, row.story, q.now)
                        .map(|()| EntryOutcome::Stored(row.id))
                }
                (None, Verdict::Sight { of, reason, .. }) => {
                    let c = &q.candidate;
                    debug!(feed = %c.feed, url = %c.url, of, reason, "duplicate sighting");
                    self.store
                        .story_of(of)
                        .map_err(PipelineError::from)
                        .and_then(|story| match story {
                            Some(story) => self.check_pickup(&c.pickup, story, q.now),
                            None => Ok(()),
                        })
                        .map(|()| EntryOutcome::Duplicate(of))
                }
            };
            let _ = q.reply.send(outcome);
        }
    }

    /// Appends the page a candidate came from to the archive, when there is
    /// an archive and a page (the feed's own text has none). Durable after
    /// the archive's next sync.
    fn append_capture(&mut self, c: &Candidate) -> Result<Option<Capture>, PipelineError> {
        let (Some(archive), Some(page)) = (self.archive.as_mut(), c.page.as_ref()) else {
            return Ok(None);
        };
        Ok(Some(archive.append(
            &page.url,
            page.status,
            &page.exchange,
            &page.body,
        )?))
    }

    /// Queues the one follow-up a sink asked for when a story reaches its
    /// number of outlets.
    fn check_pickup(
        &mut self,
        pickup: &[(String, u32)],
        story: u64,
        now: DateTime<Utc>,
    ) -> Result<(), PipelineError> {
        if pickup.is_empty() {
            return Ok(());
        }
        let outlets = self.store.story_outlets(story)?;
        let Some(first) = self.store.article_record(story)? else {
            return Ok(());
        };
        let outgoing: Vec<Outgoing> = pickup
            .iter()
            .filter(|(_, n)| outlets >= *n)
            .map(|(sink, _)| Outgoing {
                sink: sink.clone(),
                event: model::STORY_PICKUP.into(),
                key: format!("pickup:{story}"),
                payload: Event::story_pickup(&first, outlets).webhook_body(),
            })
            .collect();
        Ok(self.store.enqueue(&outgoing, now)?)
    }
}

/// A candidate waiting for its turn at the writer, and where its outcome
/// goes.
struct Queued {
    candidate: Candidate,
    now: DateTime<Utc>,
    reply: tokio::sync::oneshot::Sender<Result<EntryOutcome, PipelineError>>,
}

/// A new article of a round whose file is linked into place: its index in
/// the round, its id, its file and the alerts it queues once stored.
struct Placed {
    k: usize,
    id: u64,
    path: std::path::PathBuf,
    alerts: Vec<Outgoing>,
}

/// A candidate in a round, with what the round made of it.
struct Decided {
    q: Queued,
    verdict: Verdict,
}

enum Verdict {
    /// Another sighting of a stored article.
    Sight {
        of: u64,
        reason: &'static str,
        score: f64,
        /// (longer, newer) than the article it copies.
        flags: (bool, bool),
    },
    /// A new article: its row (numbered), its file name and fingerprint.
    New {
        row: Box<NewArticle>,
        name: FileName,
        fp: Fingerprint,
        meta: DocMeta,
    },
}

/// An article ready to be decided on.
struct Candidate {
    feed: String,
    entry_key: String,
    url: Url,
    canonical_url: String,
    title: String,
    text: String,
    published: Option<DateTime<Utc>>,
    article: Article,
    /// The sinks that hear of this article if it is new.
    sinks: Vec<String>,
    /// The sinks that want a follow-up at a number of outlets.
    pickup: Vec<(String, u32)>,
    /// The page the article was extracted from (none when the feed's own
    /// text stood in).
    page: Option<Page>,
    /// The text already in a fsynced temporary corpus file, when staging
    /// worked (else `commit` writes it whole).
    staged: Option<Staged>,
}

/// A fetched page, kept for the archive.
struct Page {
    url: Url,
    status: u16,
    exchange: Exchange,
    body: Vec<u8>,
}

/// The corpus text of an extracted article: its headline (else
/// `fallback_title`, the feed entry's) and its paragraphs, normalized.
/// Returns (title, text). `refresh_feed` and `tidings reextract` share it,
/// so the archive reproduces what was stored.
pub fn article_text(article: &Article, fallback_title: Option<&str>) -> (String, String) {
    let mut title = normalize::line(&article.title);
    if title.is_empty() {
        title = fallback_title.map(normalize::line).unwrap_or_default();
    }
    let text = normalize::corpus_text(&title, &article.paragraphs);
    (title, text)
}

/// Re-runs the current extractor over an archived response record, as
/// `refresh_feed` ran it over the page: (title, text). `fallback_title` is
/// the title the article was stored with, used as the entry's title was.
pub fn reextract(
    record: &archive::Record,
    fallback_title: &str,
    max_page_bytes: u64,
) -> Result<(String, String), String> {
    let http = archive::HttpResponse::parse(&record.block)?;
    let url = record
        .field("WARC-Target-URI")
        .and_then(|u| Url::parse(u).ok())
        .ok_or("the record has no WARC-Target-URI")?;
    let opts = extract::ExtractOptions::for_page_limit(max_page_bytes);
    let article = extract::extract_with(&http.body, http.header("content-type"), &url, &opts)
        .map_err(|e| format!("{url}: {e}"))?;
    Ok(article_text(&article, Some(fallback_title)))
}

/// What became of one entry.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryOutcome {
    Seen,
    Stored(u64),
    Duplicate(u64),
    Offtopic,
    NoArticle(String),
    Failed(String),
}

impl FailureKind {
    pub fn of_fetch(e: &FetchError) -> FailureKind {
        match e {
            FetchError::Timeout { .. } => FailureKind::Timeout,
            FetchError::Status { status, .. } => match status / 100 {
                4 => FailureKind::Http4xx,
                5 => FailureKind::Http5xx,
                _ => FailureKind::Other,
            },
            FetchError::Network { .. } | FetchError::Client(_) => FailureKind::Network,
            // The server answered, in something other than HTTP.
            FetchError::Protocol { .. } => FailureKind::Other,
            FetchError::Blocked { .. } => FailureKind::Blocked,
            FetchError::TooLarge { .. } => FailureKind::TooLarge,
            // Held back by our own politeness, or a redirect chain: neither
            // is the server failing nor the network.
            FetchError::Throttled { .. } | FetchError::Redirect { .. } => FailureKind::Other,
            // A server's broken compression says nothing of the network.
            FetchError::Decode { .. } => FailureKind::Other,
        }
    }

    pub fn of(e: &PipelineError) -> FailureKind {
        match e {
            PipelineError::Store(_) => FailureKind::Store,
            PipelineError::Fetch(f) => FailureKind::of_fetch(f),
            PipelineError::Shared(inner) => FailureKind::of(inner),
            PipelineError::Corpus(_) | PipelineError::Archive(_) | PipelineError::Task(_) => {
                FailureKind::Other
            }
        }
    }
}

/// The log target of "poll failed" lines, so that `run --once`, which
/// names each failed feed in its summary, can leave them out by default.
pub const POLL_FAILURES: &str = "tidings::poll";

impl PollFailure {
    fn of(e: &PipelineError) -> PollFailure {
        PollFailure {
            kind: FailureKind::of(e),
            message: e.to_string(),
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

    /// Queues feed-health alerts for the sinks that asked: a feed failing
    /// longer than their limit, and its recovery after such an alert.
    ///
    /// `row` is the feed's state as read before this poll: on a failure the
    /// failing period starts at `now` unless it had begun already; on a
    /// success `failing_since` is the period that just ended.
    async fn check_feed_health(
        &self,
        feed: &FeedConfig,
        row: &crate::store::FeedRow,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) {
        let ok = error.is_none();
        let sinks: Vec<(String, std::time::Duration)> = self
            .config
            .alerts
            .iter()
            .filter_map(|a| a.feed_health.map(|d| (a.name.clone(), d)))
            .collect();
        if sinks.is_empty() {
            return;
        }
        let since = match (row.failing_since, ok) {
            (Some(since), _) => since,
            (None, false) => now,
            (None, true) => return,
        };
        let (name, url) = (feed.name.clone(), feed.url.to_string());
        let last_error = error.map(str::to_string).or_else(|| row.last_error.clone());
        let queued = self
            .with_ingest(move |i| {
                let key = format!("failing:{name}:{}", ts(since));
                let health = FeedHealth {
                    name: name.clone(),
                    url,
                    failing_since: ts(since),
                    last_error,
                };
                let mut out = Vec::new();
                for (sink, limit) in sinks {
                    let long = now - since
                        >= chrono::Duration::from_std(limit).unwrap_or(chrono::Duration::MAX);
                    if !ok && long {
                        let e = Event::FeedFailing {
                            feed: health.clone(),
                        };
                        out.push(Outgoing {
                            sink,
                            event: e.kind().into(),
                            key: key.clone(),
                            payload: e.webhook_body(),
                        });
                    } else if ok && i.store.queued(&sink, &key)? {
                        let e = Event::FeedRecovered {
                            feed: health.clone(),
                        };
                        let key = format!("recovered:{name}:{}", ts(since));
                        out.push(Outgoing {
                            sink,
                            event: e.kind().into(),
                            key,
                            payload: e.webhook_body(),
                        });
                    }
                }
                let any = !out.is_empty();
                i.store.enqueue(&out, now)?;
                Ok(any)
            })
            .await;
        match queued {
            Ok(true) => self.queued.notify_one(),
            Ok(false) => {}
            Err(e) => warn!(feed = %feed.name, "feed health alert not queued: {e}"),
        }
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

    /// Polls one feed and ingests every entry not seen before, then
    /// decides when it is due next.
    pub async fn refresh_feed(&self, feed: &FeedConfig) -> FeedOutcome {
        let mut out = FeedOutcome {
            feed: feed.name.clone(),
            ..Default::default()
        };
        let name = feed.name.clone();
        let row = match self.with_ingest(move |i| Ok(i.store.feed(&name)?)).await {
            Ok(r) => r.unwrap_or_default(),
            Err(e) => {
                out.error = Some(PollFailure::of(&e));
                return out;
            }
        };
        let sched = self.config.schedule;
        let interval = row
            .interval_secs
            .map(Duration::from_secs)
            .unwrap_or(feed.interval.unwrap_or(self.config.default_interval));
        // The stored URL: the config's, or where a permanent redirect led.
        let url = Url::parse(&row.url).unwrap_or_else(|_| feed.url.clone());
        let started = Utc::now();
        let full = schedule::full_poll_due(row.last_full_poll, started, sched.full_poll);
        let validators = if full {
            Validators::default()
        } else {
            Validators {
                etag: row.etag.clone(),
                last_modified: row.last_modified.clone(),
            }
        };
        let fetched = self
            .fetcher
            .get(
                &url,
                &validators,
                self.config.fetch.max_feed_bytes,
                feed.proxy.as_deref(),
            )
            .await;
        let f = match fetched {
            Ok(f) => f,
            Err(e) => {
                let now = Utc::now();
                let error = e.to_string();
                let (result, next) = if matches!(e, FetchError::Status { status: 410, .. }) {
                    error!(feed = %feed.name, "feed retired: {error}; change its url in the config to poll it again");
                    (
                        PollResult::Retired {
                            error: error.clone(),
                        },
                        now,
                    )
                } else if e.is_network() && self.fetcher.outage() {
                    warn!(feed = %feed.name, "network looks down, not counted against the feed: {error}");
                    (
                        PollResult::Outage {
                            error: error.clone(),
                        },
                        schedule::during_outage(&feed.name, now, interval),
                    )
                } else {
                    warn!(target: POLL_FAILURES, feed = %feed.name, "poll failed: {error}");
                    let next = schedule::after_failure(
                        &feed.name,
                        now,
                        interval,
                        row.consecutive_failures + 1,
                        e.not_before(),
                    );
                    (
                        PollResult::Failure {
                            error: error.clone(),
                        },
                        next,
                    )
                };
                let name = feed.name.clone();
                let _ = self
                    .with_ingest(move |i| Ok(i.store.record_poll(&name, &result, now, next)?))
                    .await;
                self.check_feed_health(feed, &row, Some(&error), now).await;
                out.error = Some(PollFailure {
                    kind: FailureKind::of_fetch(&e),
                    message: error,
                });
                return out;
            }
        };
        if let Some(moved) = &f.moved_to {
            warn!(feed = %feed.name, "feed moved permanently to {moved}; polling it there (update the config)");
            let (name, moved) = (feed.name.clone(), moved.to_string());
            let _ = self
                .with_ingest(move |i| Ok(i.store.move_feed(&name, &moved)?))
                .await;
        }
        let mut obs = schedule::Observation {
            polled_before: row.last_success.is_some(),
            ..Default::default()
        };
        let mut ttl = None;
        // The first write that failed, if any: the poll then did not store
        // what it found, and must say so.
        let mut storage_fault: Option<String> = None;
        let result = if f.not_modified() {
            out.not_modified = true;
            PollResult::NotModified
        } else {
            let charset = f.charset().map(str::to_string);
            let (body, base) = (f.body.clone(), f.url.clone());
            let cap = usize::try_from(self.config.fetch.max_feed_bytes).unwrap_or(usize::MAX);
            let parsed = tokio::task::spawn_blocking(move || {
                feed::parse_capped(&body, charset.as_deref(), &base, cap)
            })
            .await
            .map_err(|e| (FailureKind::Other, e.to_string()))
            .and_then(|r| r.map_err(|e| (FailureKind::Parse, format!("{url}: {e}"))));
            let parsed = match parsed {
                Ok(p) => p,
                Err((kind, error)) => {
                    warn!(target: POLL_FAILURES, feed = %feed.name, "poll failed: {error}");
                    out.error = Some(PollFailure {
                        kind,
                        message: error.clone(),
                    });
                    let now = Utc::now();
                    let next = schedule::after_failure(
                        &feed.name,
                        now,
                        interval,
                        row.consecutive_failures + 1,
                        None,
                    );
                    let name = feed.name.clone();
                    let result = PollResult::Failure {
                        error: error.clone(),
                    };
                    let _ = self
                        .with_ingest(move |i| Ok(i.store.record_poll(&name, &result, now, next)?))
                        .await;
                    self.check_feed_health(feed, &row, Some(&error), now).await;
                    return out;
                }
            };
            ttl = parsed.ttl_seconds.map(Duration::from_secs);
            out.entries = parsed.entries.len();
            obs.entries = parsed.entries.len();
            obs.published = parsed.entries.iter().filter_map(|e| e.published).collect();
            let backfill = row.last_success.is_none() && !self.force_alerts;
            let entries = match self.new_entries(feed, parsed.entries).await {
                Ok(e) => e,
                Err(e) => {
                    warn!(feed = %feed.name, "entries not read: {e}");
                    out.failed += 1;
                    Vec::new()
                }
            };
            // Prepared several at once, committed one by one in order, so
            // sequence numbers still follow publication.
            let mut prepared = futures_util::stream::iter(
                entries
                    .into_iter()
                    .map(|entry| self.prepare_entry(feed, entry, !backfill)),
            )
            .buffered(ENTRIES_AT_ONCE);
            while let Some(p) = prepared.next().await {
                let outcome = match p {
                    Ok(Prepared::Done(o)) => Ok(o),
                    Ok(Prepared::Ready {
                        candidate,
                        now,
                        alerts,
                    }) => self.commit_entry(*candidate, now, alerts).await,
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok(EntryOutcome::Seen) => {}
                    Ok(o) => {
                        obs.new_entries += 1;
                        match o {
                            EntryOutcome::Stored(_) => out.stored += 1,
                            EntryOutcome::Duplicate(_) => out.duplicates += 1,
                            EntryOutcome::Offtopic => out.offtopic += 1,
                            EntryOutcome::NoArticle(_) => out.no_article += 1,
                            _ => out.failed += 1,
                        }
                    }
                    Err(e) if e.is_storage() => {
                        error!(feed = %feed.name, "storage fault, entry not recorded (retried at the next poll): {e}");
                        storage_fault.get_or_insert_with(|| e.to_string());
                        out.failed += 1;
                    }
                    Err(e) => {
                        warn!(feed = %feed.name, "entry not recorded: {e}");
                        out.failed += 1;
                    }
                }
            }
            PollResult::Success {
                etag: f.etag.clone(),
                last_modified: f.last_modified.clone(),
                entries: out.entries as u64,
                full,
            }
        };
        let now = Utc::now();
        // Not the feed's failure, so not counted against it (as in an
        // outage), and its validators are not kept: the next poll must
        // fetch the entries again rather than hear "not modified".
        let result = match storage_fault {
            Some(fault) => {
                let message = format!("storage fault: {fault}");
                out.error = Some(PollFailure {
                    kind: FailureKind::Store,
                    message: message.clone(),
                });
                PollResult::Outage { error: message }
            }
            None => result,
        };
        crate::service::metrics::global()
            .set_throttled_hosts(self.fetcher.throttled_hosts() as u64);
        self.check_feed_health(feed, &row, None, now).await;
        let min = sched
            .min_interval
            .min(feed.interval.unwrap_or(sched.min_interval));
        let adapted = schedule::adapt(interval, &obs, min, sched.max_interval);
        let not_before = [
            ttl.map(|t| started + chrono::Duration::from_std(t).unwrap_or_default()),
            f.fresh_until,
        ]
        .into_iter()
        .flatten()
        .max();
        let next = schedule::next_poll(&feed.name, now, adapted, not_before);
        let name = feed.name.clone();
        if let Err(e) = self
            .with_ingest(move |i| {
                i.store.record_poll(&name, &result, now, next)?;
                Ok(i.store.set_interval(&name, adapted.as_secs())?)
            })
            .await
        {
            out.error = Some(PollFailure::of(&e));
        }
        info!(
            feed = %feed.name,
            entries = out.entries,
            stored = out.stored,
            duplicates = out.duplicates,
            offtopic = out.offtopic,
            failed = out.failed,
            not_modified = out.not_modified,
            next_poll = %ts(next),
            "polled"
        );
        out
    }

    /// The entries of a poll not seen before (or failed before), at most
    /// `fetch.max_entries` of them, the newest; in ingestion order.
    async fn new_entries(
        &self,
        feed: &FeedConfig,
        entries: Vec<Entry>,
    ) -> Result<Vec<Entry>, PipelineError> {
        let max = self.config.fetch.max_entries;
        let name = feed.name.clone();
        let (taken, more) = self
            .with_ingest(move |i| {
                let mut taken = Vec::new();
                for e in newest_first(entries) {
                    let state = i.store.entry_state(&name, &e.key)?;
                    if state.is_some_and(|s| s != EntryState::Failed) {
                        continue;
                    }
                    if taken.len() == max {
                        return Ok((taken, true));
                    }
                    taken.push(e);
                }
                Ok((taken, false))
            })
            .await?;
        if more {
            warn!(feed = %feed.name, "more than {max} new entries: taking the newest {max} (fetch.max_entries), the rest at later polls");
        }
        Ok(order_for_ingestion(taken))
    }

    /// One entry up to the writer: skip it if seen, else fetch, extract,
    /// normalize, match the topic and stage its text.
    async fn prepare_entry(
        &self,
        feed: &FeedConfig,
        entry: Entry,
        alert: bool,
    ) -> Result<Prepared, PipelineError> {
        let (name, key) = (feed.name.clone(), entry.key.clone());
        let (state, first_seen, attempts) = self
            .with_ingest(move |i| {
                Ok((
                    i.store.entry_state(&name, &key)?,
                    i.store.entry_first_seen(&name, &key)?,
                    i.store.entry_attempts(&name, &key)?,
                ))
            })
            .await?;
        if state.is_some_and(|s| s != EntryState::Failed) {
            return Ok(Prepared::Done(EntryOutcome::Seen));
        }
        let now = Utc::now();
        // An aggregator's link carries the publisher's: use that one.
        let link = entry
            .link
            .as_deref()
            .and_then(|l| Url::parse(l).ok())
            .map(|l| dedup::unwrap_redirect(&l).unwrap_or(l));
        let published = entry.published.or(first_seen).or(Some(now));
        let result = match &link {
            Some(link) => self.article_for(&entry, link, feed.proxy.as_deref()).await,
            None => Err(EntryFailure::NoArticle("the entry has no link".into())),
        };
        let (article, page_url, page) = match result {
            Ok(a) => a,
            Err(EntryFailure::Held(m)) => {
                // Not an attempt: the server asked for time (or the network
                // is down), so the entry stays as it was and comes back at
                // the next poll.
                warn!(feed = %feed.name, entry = %entry.key, "{m}");
                return Ok(Prepared::Done(EntryOutcome::Failed(m)));
            }
            Err(failure) => {
                let failure = match failure {
                    EntryFailure::Failed(m) if attempts + 1 >= MAX_ENTRY_ATTEMPTS => {
                        EntryFailure::NoArticle(format!(
                            "gave up after {} attempts: {m}",
                            attempts + 1
                        ))
                    }
                    f => f,
                };
                let (state, msg) = match &failure {
                    EntryFailure::NoArticle(m) => (EntryState::NoArticle, m.clone()),
                    EntryFailure::Failed(m) | EntryFailure::Held(m) => {
                        (EntryState::Failed, m.clone())
                    }
                };
                warn!(feed = %feed.name, entry = %entry.key, "{msg}");
                let (name, e) = (feed.name.clone(), entry.clone());
                let m = msg.clone();
                self.with_ingest(move |i| {
                    Ok(i.store.record_entry(
                        &name,
                        &e.key,
                        e.link.as_deref(),
                        e.title.as_deref(),
                        state,
                        None,
                        Some(&m),
                        now,
                    )?)
                })
                .await?;
                return Ok(Prepared::Done(match failure {
                    EntryFailure::NoArticle(m) => EntryOutcome::NoArticle(m),
                    EntryFailure::Failed(m) | EntryFailure::Held(m) => EntryOutcome::Failed(m),
                }));
            }
        };
        let (title, text) = article_text(&article, entry.title.as_deref());
        if let Some(q) = &self.config.topic {
            if !q.matches(&text) {
                let (name, e) = (feed.name.clone(), entry.clone());
                self.with_ingest(move |i| {
                    Ok(i.store.record_entry(
                        &name,
                        &e.key,
                        e.link.as_deref(),
                        e.title.as_deref(),
                        EntryState::Offtopic,
                        None,
                        None,
                        now,
                    )?)
                })
                .await?;
                // At info, by its link and headline: an operator tuning the
                // topic query needs to see what it turned away.
                info!(
                    feed = %feed.name,
                    url = entry.link.as_deref().unwrap_or(&entry.key),
                    title = %title,
                    "skipped as off the topic"
                );
                return Ok(Prepared::Done(EntryOutcome::Offtopic));
            }
        }
        // The page's own canonical link wins, unless it is only the front page.
        let canonical_url =
            dedup::canonical_url_with(page_url.as_str(), article.canonical_url.as_deref())
                .unwrap_or_else(|| page_url.to_string());
        let candidate = Candidate {
            feed: feed.name.clone(),
            entry_key: entry.key.clone(),
            url: link.unwrap_or(page_url),
            canonical_url,
            title,
            text,
            published: article.published.or(published),
            sinks: Vec::new(),
            pickup: Vec::new(),
            article,
            page,
            staged: None,
        };
        let mut candidate = candidate;
        if alert {
            for a in alert::sinks_for(&self.config.alerts, &feed.name, &feed.tags, &candidate.text)
            {
                candidate.sinks.push(a.name.clone());
                if let Some(n) = a.pickup {
                    candidate.pickup.push((a.name.clone(), n));
                }
            }
        }
        let alerts = !candidate.sinks.is_empty();
        // Commits take turns (one lock), and each waits for its fsyncs; the
        // text's own file is written and fsynced here first, while other
        // articles commit, so the turn only links it into place. Should
        // staging fail, the commit writes the file whole as before.
        let corpus = self.corpus.clone();
        let text = candidate.text.clone();
        candidate.staged = match tokio::task::spawn_blocking(move || corpus.stage(&text)).await {
            Ok(Ok(staged)) => Some(staged),
            Ok(Err(e)) => {
                warn!(feed = %feed.name, "staging the text failed, writing it at commit: {e}");
                None
            }
            Err(_) => None,
        };
        Ok(Prepared::Ready {
            candidate: Box::new(candidate),
            now,
            alerts,
        })
    }

    /// A prepared entry through the writer.
    async fn commit_entry(
        &self,
        candidate: Candidate,
        now: DateTime<Utc>,
        alerts: bool,
    ) -> Result<EntryOutcome, PipelineError> {
        // Queued, then the writer's turn: whoever has it commits every
        // candidate waiting by then, so articles that arrive while others
        // commit share the next round's fsyncs.
        let (reply, outcome) = tokio::sync::oneshot::channel();
        lock(&self.waiting).push_back(Queued {
            candidate,
            now,
            reply,
        });
        let waiting = self.waiting.clone();
        // Should this turn fail (a panic), the candidate's reply is dropped
        // or was sent by an earlier turn; the outcome says which.
        let _ = self
            .with_ingest(move |i| {
                let queue = std::mem::take(&mut *lock(&waiting));
                i.commit_queued(queue);
                Ok(())
            })
            .await;
        let outcome = outcome
            .await
            .unwrap_or_else(|_| Err(PipelineError::Task("the commit was lost".into())));
        if alerts {
            self.queued.notify_one();
        }
        outcome
    }

    /// Finds the article behind an entry: a known URL short-cuts to a
    /// sighting; else the page is fetched and extracted; the feed's own
    /// full text stands in when the page cannot be had.
    async fn article_for(
        &self,
        entry: &Entry,
        link: &Url,
        proxy: Option<&str>,
    ) -> Result<(Article, Url, Option<Page>), EntryFailure> {
        let fallback = || feed_fallback(entry, link).map(|(a, u)| (a, u, None));
        let page = match self
            .fetcher
            .get(
                link,
                &Validators::default(),
                self.config.fetch.max_page_bytes,
                proxy,
            )
            .await
        {
            Ok(p) => p,
            Err(e) => {
                return fallback().ok_or_else(|| {
                    // A Retry-After, or our own politeness holding to one,
                    // or the network down: nothing the page did.
                    if e.not_before().is_some() || (e.is_network() && self.fetcher.outage()) {
                        EntryFailure::Held(e.to_string())
                    } else {
                        EntryFailure::Failed(e.to_string())
                    }
                });
            }
        };
        let (body, ct, url) = (page.body, page.content_type, page.url);
        let u = url.clone();
        let opts = extract::ExtractOptions::for_page_limit(self.config.fetch.max_page_bytes);
        // The body comes back with the article, for the archive.
        let job = tokio::task::spawn_blocking(move || {
            let article = extract::extract_with(&body, ct.as_deref(), &u, &opts);
            (article, body)
        });
        match tokio::time::timeout(EXTRACT_TIMEOUT, job).await {
            Ok(Ok((Ok(article), body))) => {
                let kept = Page {
                    url: url.clone(),
                    status: page.status,
                    exchange: page.exchange,
                    body,
                };
                Ok((article, url, Some(kept)))
            }
            Ok(Ok((Err(e), _))) => {
                fallback().ok_or_else(|| EntryFailure::NoArticle(format!("{url}: {e}")))
            }
            Ok(Err(e)) => Err(EntryFailure::Failed(format!(
                "{url}: extraction failed: {e}"
            ))),
            Err(_) => Err(EntryFailure::Failed(format!(
                "{url}: extraction took longer than {EXTRACT_TIMEOUT:?}"
            ))),
        }
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

/// An entry on its way: settled without the writer, or its candidate.
enum Prepared {
    Done(EntryOutcome),
    Ready {
        candidate: Box<Candidate>,
        now: DateTime<Utc>,
        alerts: bool,
    },
}

enum EntryFailure {
    /// Permanent: the page holds no article.
    NoArticle(String),
    /// Transient: retried on the next poll, given up after a few attempts.
    Failed(String),
    /// Held back (Retry-After, the network down): retried on the next
    /// poll, not counted as an attempt.
    Held(String),
}

/// The feed entry's own content as the article, when it is the full text.
fn feed_fallback(entry: &Entry, link: &Url) -> Option<(Article, Url)> {
    let html = entry.content.as_deref().or(entry.summary.as_deref())?;
    let paragraphs = extract::fragment_paragraphs(html);
    let words: usize = paragraphs.iter().map(|p| normalize::word_count(p)).sum();
    if words < FULL_TEXT_WORDS {
        return None;
    }
    let article = Article {
        title: entry.title.clone().unwrap_or_default(),
        paragraphs,
        method: extract::Method::Feed,
        ..Default::default()
    };
    Some((article, link.clone()))
}

/// Newest first: the reverse of the ingestion order.
fn newest_first(entries: Vec<Entry>) -> Vec<Entry> {
    let mut entries = order_for_ingestion(entries);
    entries.reverse();
    entries
}

/// Oldest first, so sequence numbers follow publication where known; the
/// feed's order (newest first, by convention) reversed otherwise.
fn order_for_ingestion(mut entries: Vec<Entry>) -> Vec<Entry> {
    entries.reverse();
    if entries.iter().all(|e| e.published.is_some()) {
        entries.sort_by_key(|e| e.published);
    }
    entries
}

/// The result of polling every feed once.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub feeds: Vec<FeedOutcome>,
    /// Feeds skipped because they are not due yet.
    pub not_due: Vec<String>,
    /// Feeds skipped because they are retired (410 Gone).
    pub retired: Vec<String>,
}

impl Summary {
    pub fn failed(&self) -> usize {
        self.feeds.iter().filter(|f| f.error.is_some()).count()
    }
    pub fn total(&self, f: impl Fn(&FeedOutcome) -> usize) -> usize {
        self.feeds.iter().map(f).sum()
    }
}

/// What `run_once` reports as it goes (for a progress bar).
#[derive(Debug)]
pub enum OnceProgress<'a> {
    /// This many feeds are about to be polled.
    Start(usize),
    /// One feed's poll is done.
    Polled(&'a FeedOutcome),
}

/// Polls every configured feed that is due (every one with `force`), several
/// at a time; retired feeds are left alone. `progress` hears of the start
/// and of each feed as it finishes.
pub async fn run_once(
    pipeline: &Pipeline,
    force: bool,
    progress: &(dyn Fn(OnceProgress) + Sync),
) -> Summary {
    use futures_util::stream::{self, StreamExt};
    let rows = pipeline.feed_rows().await.unwrap_or_default();
    let now = Utc::now();
    let (mut not_due, mut retired) = (Vec::new(), Vec::new());
    let mut feeds = Vec::new();
    let rows: std::collections::HashMap<&str, &crate::store::FeedRow> =
        rows.iter().map(|r| (r.name.as_str(), r)).collect();
    for f in &pipeline.config.feeds {
        let row = rows.get(f.name.as_str()).copied();
        if row.is_some_and(|r| r.retired.is_some()) {
            retired.push(f.name.clone());
        } else if !force && !schedule::is_due(row.and_then(|r| r.next_poll), now) {
            not_due.push(f.name.clone());
        } else {
            feeds.push(f.clone());
        }
    }
    let limit = pipeline.config.fetch.concurrency;
    progress(OnceProgress::Start(feeds.len()));
    let outcomes: Vec<FeedOutcome> = stream::iter(feeds)
        .map(|f| {
            let p = pipeline.clone();
            async move { p.refresh_feed(&f).await }
        })
        .buffer_unordered(limit)
        .inspect(|o| progress(OnceProgress::Polled(o)))
        .collect()
        .await;
    let mut feeds = outcomes;
    feeds.sort_by(|a, b| a.feed.cmp(&b.feed));
    Summary {
        feeds,
        not_due,
        retired,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_kinds_come_from_the_error_type_not_its_words() {
        let url = "https://connect.example.org/tls/feed.xml".to_string();
        let status = |status| FetchError::Status {
            url: url.clone(),
            status,
            retry_after: None,
        };
        for (e, kind) in [
            (status(404), FailureKind::Http4xx),
            (status(503), FailureKind::Http5xx),
            (status(304), FailureKind::Other),
            (
                FetchError::Timeout { url: url.clone() },
                FailureKind::Timeout,
            ),
            (
                FetchError::TooLarge {
                    url: url.clone(),
                    limit: 10,
                },
                FailureKind::TooLarge,
            ),
            (
                FetchError::Network {
                    url: url.clone(),
                    source: "dns error".into(),
                },
                FailureKind::Network,
            ),
            (
                FetchError::Decode {
                    url: url.clone(),
                    message: "body does not decode as gzip".into(),
                },
                FailureKind::Other,
            ),
            // Regression: the words of the URL ("connect", "tls") made a
            // redirect loop count as a network failure.
            (
                FetchError::Redirect {
                    url: url.clone(),
                    message: "more than 10 redirects".into(),
                },
                FailureKind::Other,
            ),
        ] {
            assert_eq!(FailureKind::of_fetch(&e), kind, "{e}");
            let shared = PipelineError::Shared(Arc::new(PipelineError::Fetch(e)));
            assert_eq!(FailureKind::of(&shared), kind);
        }
        assert_eq!(
            FailureKind::of(&PipelineError::Task("panicked".into())),
            FailureKind::Other
        );
        let labels: std::collections::HashSet<_> =
            FailureKind::ALL.iter().map(|k| k.label()).collect();
        assert_eq!(labels.len(), FailureKind::ALL.len());
    }

    fn entry(key: &str, published: Option<&str>) -> Entry {
        Entry {
            key: key.into(),
            published: published
                .map(|p| DateTime::parse_from_rfc3339(p).unwrap().with_timezone(&Utc)),
            ..Default::default()
        }
    }

    #[test]
    fn ingestion_goes_oldest_first() {
        let dated = vec![
            entry("b", Some("2026-01-02T00:00:00Z")),
            entry("a", Some("2026-01-01T00:00:00Z")),
            entry("c", Some("2026-01-03T00:00:00Z")),
        ];
        let keys: Vec<_> = order_for_ingestion(dated)
            .into_iter()
            .map(|e| e.key)
            .collect();
        assert_eq!(keys, ["a", "b", "c"]);
        let undated = vec![entry("new", None), entry("old", None)];
        let keys: Vec<_> = order_for_ingestion(undated)
            .into_iter()
            .map(|e| e.key)
            .collect();
        assert_eq!(keys, ["old", "new"]);
    }

    #[test]
    fn teaser_is_not_full_text_but_long_content_is() {
        let link = Url::parse("https://example.org/a").unwrap();
        let teaser = Entry {
            title: Some("T".into()),
            summary: Some("<p>Short teaser.</p>".into()),
            ..Default::default()
        };
        assert!(feed_fallback(&teaser, &link).is_none());
        let body =
            "<p>".to_string() + &"word ".repeat(80) + "</p><p>" + &"more ".repeat(80) + "</p>";
        let full = Entry {
            title: Some("Title".into()),
            content: Some(body),
            ..Default::default()
        };
        let (a, _) = feed_fallback(&full, &link).unwrap();
        assert_eq!(
            (a.title.as_str(), a.paragraphs.len(), a.method.as_str()),
            ("Title", 2, "feed")
        );
    }

    /// Commits that wait together: an ingest over a temporary directory,
    /// candidates queued at once, and what each was told.
    mod rounds {
        use super::*;
        use tokio::sync::oneshot;

        fn ingest_in(dir: &std::path::Path) -> Ingest {
            let config = Config::parse(
                "[store]\ndatabase = \"t.db\"\ncorpus = \"corpus\"\n",
                &dir.join("tidings.toml"),
            )
            .unwrap();
            Ingest::open(&config, Utc::now()).unwrap().0
        }

        /// Eight paragraphs of text that no other `seed` shares.
        fn text_of(seed: u64) -> Vec<String> {
            let words = [
                "council", "river", "winter", "ledger", "orchard", "signal", "harbour", "lantern",
                "meadow", "quarry", "summit", "velvet", "anchor", "bridle", "cobalt", "dune",
            ];
            let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            (0..8)
                .map(|_| {
                    (0..30)
                        .map(|_| {
                            x ^= x << 13;
                            x ^= x >> 7;
                            x ^= x << 17;
                            words[(x % words.len() as u64) as usize]
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        }

        /// A candidate from feed `f`, entry `key`, at `url`, with the text
        /// of `seed`, and its page for the archive.
        fn candidate(key: &str, url: &str, seed: u64) -> Candidate {
            let article = Article {
                title: format!("Report {seed}"),
                paragraphs: text_of(seed),
                canonical_url: None,
                published: None,
                author: None,
                language: Some("en".into()),
                site_name: None,
                method: extract::Method::Density,
                paywalled: false,
            };
            let (title, text) = article_text(&article, None);
            let url = Url::parse(url).unwrap();
            Candidate {
                feed: "f".into(),
                entry_key: key.into(),
                canonical_url: url.to_string(),
                title,
                text,
                published: None,
                article,
                sinks: Vec::new(),
                pickup: Vec::new(),
                page: Some(Page {
                    url: url.clone(),
                    status: 200,
                    exchange: Exchange {
                        version: "HTTP/1.1".into(),
                        reason: "OK".into(),
                        at: Utc::now(),
                        ..Default::default()
                    },
                    body: format!("<html><body>page {seed}</body></html>").into_bytes(),
                }),
                staged: None,
                url,
            }
        }

        /// `n` candidates of one outlet, entries `e0…`, no two alike.
        fn distinct(n: u64) -> Vec<Candidate> {
            (0..n)
                .map(|n| candidate(&format!("e{n}"), &format!("https://a.example/{n}"), n))
                .collect()
        }

        /// Queues the candidates as one batch, commits it, and returns each
        /// one's outcome in queue order.
        fn commit_together(i: &mut Ingest, cs: Vec<Candidate>) -> Vec<EntryOutcome> {
            let mut queue = VecDeque::new();
            let mut replies = Vec::new();
            for candidate in cs {
                let (reply, rx) = oneshot::channel();
                queue.push_back(Queued {
                    candidate,
                    now: Utc::now(),
                    reply,
                });
                replies.push(rx);
            }
            i.commit_queued(queue);
            replies
                .into_iter()
                .map(|mut rx| match rx.try_recv() {
                    Ok(Ok(o)) => o,
                    Ok(Err(e)) => EntryOutcome::Failed(e.to_string()),
                    Err(e) => panic!("no outcome sent: {e}"),
                })
                .collect()
        }

        #[test]
        fn articles_committed_together_are_each_stored_with_file_row_and_capture() {
            let dir = tempfile::tempdir().unwrap();
            let mut i = ingest_in(dir.path());
            let out = commit_together(&mut i, distinct(3));
            assert_eq!(
                out,
                [
                    EntryOutcome::Stored(0),
                    EntryOutcome::Stored(1),
                    EntryOutcome::Stored(2)
                ]
            );
            let records = i.store.export(false).unwrap();
            assert_eq!(records.len(), 3);
            for (n, r) in records.iter().enumerate() {
                let name = FileName::parse(r.file.as_deref().unwrap()).unwrap();
                let text = i.corpus.read(&name).unwrap();
                assert!(text.starts_with(&format!("Report {n}\n\n")), "{text}");
                let capture = i.store.capture_of(n as u64).unwrap().expect("captured");
                let record = archive::read(&dir.path().join("warc"), &capture.location).unwrap();
                let page = format!("page {n}");
                assert!(
                    String::from_utf8_lossy(&record.block).contains(&page),
                    "article {n}'s capture holds another page"
                );
            }
            assert_eq!(i.index.len(), 3);
            // The next round goes on from the numbers this one spent.
            let out = commit_together(&mut i, vec![candidate("e9", "https://a.example/9", 9)]);
            assert_eq!(out, [EntryOutcome::Stored(3)]);
        }

        /// Regression: two copies that wait together must not both be new
        /// because neither was in the index when the round began.
        #[test]
        fn copies_committed_together_are_stored_once() {
            let dir = tempfile::tempdir().unwrap();
            let mut i = ingest_in(dir.path());
            let out = commit_together(
                &mut i,
                vec![
                    candidate("a", "https://a.example/story", 1),
                    candidate("b", "https://b.example/syndicated", 1),
                    candidate("c", "https://a.example/story", 2),
                    candidate("d", "https://c.example/other", 3),
                ],
            );
            assert_eq!(
                out,
                [
                    EntryOutcome::Stored(0),
                    EntryOutcome::Duplicate(0),
                    EntryOutcome::Duplicate(0),
                    EntryOutcome::Stored(1)
                ]
            );
            assert_eq!(i.store.export(false).unwrap().len(), 2);
            let all = i.store.export(true).unwrap();
            let dups: Vec<_> = all.iter().filter_map(|r| r.duplicate_of).collect();
            assert_eq!(dups, [0, 0]);
            assert_eq!(i.corpus.list().unwrap().len(), 2);
        }

        #[test]
        fn a_file_that_cannot_be_placed_fails_its_article_alone() {
            let dir = tempfile::tempdir().unwrap();
            let mut i = ingest_in(dir.path());
            // Something else took the second article's name after start.
            let taken = FileName {
                seq: 1,
                hex: corpus::identifier("https://a.example/1"),
            };
            std::fs::write(i.corpus.path_of(&taken), "not ours").unwrap();
            let out = commit_together(&mut i, distinct(3));
            assert_eq!(out[0], EntryOutcome::Stored(0));
            assert!(
                matches!(&out[1], EntryOutcome::Failed(e) if e.contains("1_")),
                "{:?}",
                out[1]
            );
            assert_eq!(out[2], EntryOutcome::Stored(2));
            let ids: Vec<_> = i
                .store
                .export(false)
                .unwrap()
                .iter()
                .filter_map(|r| r.id)
                .collect();
            assert_eq!(ids, [0, 2]);
            assert!(i.store.pending_articles().unwrap().is_empty());
            assert_eq!(
                std::fs::read_to_string(i.corpus.path_of(&taken)).unwrap(),
                "not ours"
            );
            // The failed entry is not recorded: its next poll tries again.
            assert_eq!(i.store.entry_state("f", "e1").unwrap(), None);
        }
    }
}
