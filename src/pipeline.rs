//! The ingestion path: `refresh_feed` takes one feed from fetch to stored
//! articles; the daemon and `run --once` both call it.
//!
//! This is the I/O shell around the pure stages: it fetches, calls
//! `feed`, `extract`, `normalize`, `topic` and `dedup`, and records the
//! outcome through `store` and `corpus`. The order follows what is cheap:
//! an entry seen before is skipped before its page is fetched, and a known
//! canonical URL is a sighting before anything is extracted. Blocking work
//! (SQLite, files, parsing, extraction) runs off the async threads.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::{debug, info, warn};
use url::Url;

use crate::config::{Config, FeedConfig};
use crate::corpus::{self, Corpus, CorpusError, FileName};
use crate::dedup::{self, Decision, DocMeta};
use crate::extract::{self, Article};
use crate::feed::{self, Entry};
use crate::fetch::{FetchError, Fetcher, Validators};
use crate::normalize;
use crate::schedule;
use crate::store::{EntryState, NewArticle, PollResult, Sighting, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("internal task failed: {0}")]
    Task(String),
}

/// Words a feed entry's own content needs before it is taken as the full
/// text when the page cannot be had (teasers are shorter).
const FULL_TEXT_WORDS: usize = 80;
/// How long one page's extraction may take.
const EXTRACT_TIMEOUT: Duration = Duration::from_secs(20);

/// The state that only one writer may touch at a time: the database, the
/// corpus directory, the dedup index and the next sequence number.
pub struct Ingest {
    pub store: Store,
    corpus: Corpus,
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
                store.finish_article(p.id, now)?;
                report.repaired_pending += 1;
            } else {
                store.abandon_article(p.id)?;
                report.dropped_pending += 1;
            }
        }
        let known: std::collections::HashSet<String> = store.article_files()?.into_iter().collect();
        let mut index = dedup::Index::new();
        let mut max_seq = store.max_article_id()?;
        for found in corpus.scan()? {
            let file = found.name.render();
            if !known.contains(&file) {
                let (title, _) = normalize::split(&found.text);
                let row = NewArticle {
                    id: found.name.seq,
                    file: file.clone(),
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
                    words: normalize::word_count(&found.text) as u64,
                    text_hash: dedup::text_hash(&found.text),
                    story: found.name.seq,
                };
                match store.import_article(&row) {
                    Ok(()) => report.imported += 1,
                    Err(e) => warn!("corpus file {file} not recorded: its number is taken ({e})"),
                }
            }
            index.insert(found.name.seq, &found.text, &DocMeta::default());
            max_seq = max_seq.max(Some(found.name.seq));
            report.corpus_files += 1;
        }
        let next_id = max_seq.map_or(0, |m| m + 1);
        Ok((
            Ingest {
                store,
                corpus,
                index,
                next_id,
            },
            report,
        ))
    }

    /// Stores a new article (or records it as a sighting when dedup finds
    /// it in the corpus): the decision and the write happen under one lock,
    /// so two feeds cannot store the same article twice.
    fn commit(&mut self, c: Candidate, now: DateTime<Utc>) -> Result<EntryOutcome, PipelineError> {
        let meta = DocMeta {
            source: c.url.host_str().map(str::to_string),
            published: c.published.map(|d| d.timestamp()),
        };
        if let Some(of) = self.store.article_by_canonical_url(&c.canonical_url)? {
            return self.sight(c, of, "url", 1.0, now);
        }
        let story = match self.index.check(&c.text, &meta) {
            Decision::Duplicate { of, score } => return self.sight(c, of, "text", score, now),
            Decision::Story { of, .. } => self.store.story_of(of)?.unwrap_or(self.next_id),
            Decision::New => self.next_id,
        };
        let id = self.next_id;
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
            story: if story == self.next_id { id } else { story },
        };
        // The number is spent even if the write fails: numbers are never reused.
        self.next_id += 1;
        self.store.begin_article(&row)?;
        if let Err(e) = self.corpus.write(&name, &c.text) {
            self.store.abandon_article(id)?;
            return Err(e.into());
        }
        self.store.finish_article(id, now)?;
        self.index.insert(id, &c.text, &meta);
        info!(feed = %c.feed, file = %row.file, url = %c.url, "stored article");
        crate::service::metrics::global().article_extracted(c.article.method);
        Ok(EntryOutcome::Stored(id))
    }

    fn sight(
        &mut self,
        c: Candidate,
        of: u64,
        reason: &'static str,
        score: f64,
        now: DateTime<Utc>,
    ) -> Result<EntryOutcome, PipelineError> {
        self.store.record_sighting(&Sighting {
            article: of,
            url: Some(c.url.to_string()),
            canonical_url: Some(c.canonical_url),
            feed: c.feed.clone(),
            entry_key: c.entry_key,
            title: Some(c.title),
            published: c.published,
            seen_at: now,
            reason,
            score,
        })?;
        debug!(feed = %c.feed, url = %c.url, of, reason, "duplicate sighting");
        Ok(EntryOutcome::Duplicate(of))
    }
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

/// What one poll of one feed did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedOutcome {
    pub feed: String,
    /// The error that stopped the poll, if it failed.
    pub error: Option<String>,
    pub not_modified: bool,
    pub entries: usize,
    pub stored: usize,
    pub duplicates: usize,
    pub offtopic: usize,
    pub no_article: usize,
    pub failed: usize,
}

/// Everything `refresh_feed` needs, shared by all feeds.
#[derive(Clone)]
pub struct Pipeline {
    config: Arc<Config>,
    fetcher: Fetcher,
    ingest: Arc<Mutex<Ingest>>,
}

fn lock(m: &Mutex<Ingest>) -> MutexGuard<'_, Ingest> {
    // A panic while holding the lock leaves SQLite consistent (transactions)
    // and the corpus consistent (atomic files), so the state is usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Pipeline {
    pub async fn open(config: Config) -> Result<(Pipeline, OpenReport), PipelineError> {
        let fetcher = Fetcher::new(&config.fetch)?;
        let config = Arc::new(config);
        let c = config.clone();
        let (ingest, report) = tokio::task::spawn_blocking(move || Ingest::open(&c, Utc::now()))
            .await
            .map_err(|e| PipelineError::Task(e.to_string()))??;
        Ok((
            Pipeline {
                config,
                fetcher,
                ingest: Arc::new(Mutex::new(ingest)),
            },
            report,
        ))
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every feed's stored state (for the schedule).
    pub async fn feed_rows(&self) -> Result<Vec<crate::store::FeedRow>, PipelineError> {
        self.with_ingest(|i| Ok(i.store.feeds()?)).await
    }

    /// Runs a closure on the ingest state on a blocking thread.
    async fn with_ingest<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Ingest) -> Result<T, PipelineError> + Send + 'static,
    ) -> Result<T, PipelineError> {
        let ingest = self.ingest.clone();
        tokio::task::spawn_blocking(move || f(&mut lock(&ingest)))
            .await
            .map_err(|e| PipelineError::Task(e.to_string()))?
    }

    /// Polls one feed and ingests every entry not seen before.
    pub async fn refresh_feed(&self, feed: &FeedConfig) -> FeedOutcome {
        let mut out = FeedOutcome {
            feed: feed.name.clone(),
            ..Default::default()
        };
        let interval = feed.interval.unwrap_or(self.config.default_interval);
        let name = feed.name.clone();
        let row = match self.with_ingest(move |i| Ok(i.store.feed(&name)?)).await {
            Ok(r) => r.unwrap_or_default(),
            Err(e) => {
                out.error = Some(e.to_string());
                return out;
            }
        };
        let validators = Validators {
            etag: row.etag.clone(),
            last_modified: row.last_modified.clone(),
        };
        let fetched = self
            .fetcher
            .get(&feed.url, &validators, self.config.fetch.max_feed_bytes)
            .await;
        let poll = match fetched {
            Err(e) => Err(e.to_string()),
            Ok(f) if f.not_modified() => {
                out.not_modified = true;
                Ok((PollResult::NotModified, None))
            }
            Ok(f) => {
                let charset = f.charset().map(str::to_string);
                let body = f.body;
                let url = f.url.clone();
                let parsed = tokio::task::spawn_blocking(move || {
                    feed::parse(&body, charset.as_deref(), &url)
                })
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| format!("{}: {e}", feed.url)));
                match parsed {
                    Ok(parsed) => {
                        let ttl = parsed.ttl_seconds.map(Duration::from_secs);
                        let result = PollResult::Success {
                            etag: f.etag,
                            last_modified: f.last_modified,
                            entries: parsed.entries.len() as u64,
                        };
                        Ok((result, Some((parsed, ttl))))
                    }
                    Err(e) => Err(e),
                }
            }
        };
        let (result, parsed) = match poll {
            Ok(p) => p,
            Err(error) => {
                warn!(feed = %feed.name, "poll failed: {error}");
                out.error = Some(error.clone());
                let now = Utc::now();
                let next = schedule::after_failure(
                    &feed.name,
                    now,
                    interval,
                    row.consecutive_failures + 1,
                );
                let name = feed.name.clone();
                let _ = self
                    .with_ingest(move |i| {
                        Ok(i.store
                            .record_poll(&name, &PollResult::Failure { error }, now, next)?)
                    })
                    .await;
                return out;
            }
        };
        let mut ttl = None;
        if let Some((parsed, t)) = parsed {
            ttl = t;
            out.entries = parsed.entries.len();
            for entry in order_for_ingestion(parsed.entries) {
                match self.ingest_entry(feed, entry).await {
                    Ok(EntryOutcome::Seen) => {}
                    Ok(EntryOutcome::Stored(_)) => out.stored += 1,
                    Ok(EntryOutcome::Duplicate(_)) => out.duplicates += 1,
                    Ok(EntryOutcome::Offtopic) => out.offtopic += 1,
                    Ok(EntryOutcome::NoArticle(_)) => out.no_article += 1,
                    Ok(EntryOutcome::Failed(_)) => out.failed += 1,
                    Err(e) => {
                        // The store or the corpus failed: the entry is retried next time.
                        warn!(feed = %feed.name, "entry not recorded: {e}");
                        out.failed += 1;
                    }
                }
            }
        }
        let now = Utc::now();
        let next = schedule::after_success(&feed.name, now, interval, ttl);
        let name = feed.name.clone();
        if let Err(e) = self
            .with_ingest(move |i| Ok(i.store.record_poll(&name, &result, now, next)?))
            .await
        {
            out.error = Some(e.to_string());
        }
        info!(
            feed = %feed.name,
            entries = out.entries,
            stored = out.stored,
            duplicates = out.duplicates,
            offtopic = out.offtopic,
            failed = out.failed,
            "polled"
        );
        out
    }

    /// One entry: skip it if seen, else fetch, extract, normalize, match
    /// the topic, and commit.
    async fn ingest_entry(
        &self,
        feed: &FeedConfig,
        entry: Entry,
    ) -> Result<EntryOutcome, PipelineError> {
        let (name, key) = (feed.name.clone(), entry.key.clone());
        let (state, first_seen) = self
            .with_ingest(move |i| {
                Ok((
                    i.store.entry_state(&name, &key)?,
                    i.store.entry_first_seen(&name, &key)?,
                ))
            })
            .await?;
        if state.is_some_and(|s| s != EntryState::Failed) {
            return Ok(EntryOutcome::Seen);
        }
        let now = Utc::now();
        let link = entry.link.as_deref().and_then(|l| Url::parse(l).ok());
        let published = entry.published.or(first_seen).or(Some(now));
        let result = match &link {
            Some(link) => self.article_for(&entry, link).await,
            None => Err(EntryFailure::NoArticle("the entry has no link".into())),
        };
        let (article, page_url) = match result {
            Ok(a) => a,
            Err(failure) => {
                let (state, msg) = match &failure {
                    EntryFailure::NoArticle(m) => (EntryState::NoArticle, m.clone()),
                    EntryFailure::Failed(m) => (EntryState::Failed, m.clone()),
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
                return Ok(match failure {
                    EntryFailure::NoArticle(m) => EntryOutcome::NoArticle(m),
                    EntryFailure::Failed(m) => EntryOutcome::Failed(m),
                });
            }
        };
        let mut title = normalize::line(&article.title);
        if title.is_empty() {
            title = entry
                .title
                .as_deref()
                .map(normalize::line)
                .unwrap_or_default();
        }
        let text = normalize::corpus_text(&title, &article.paragraphs);
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
                debug!(feed = %feed.name, entry = %entry.key, "off topic");
                return Ok(EntryOutcome::Offtopic);
            }
        }
        let canonical_source = article
            .canonical_url
            .as_deref()
            .and_then(|c| Url::parse(c).ok())
            .filter(|c| matches!(c.scheme(), "http" | "https"))
            .unwrap_or_else(|| page_url.clone());
        let canonical_url = dedup::canonical_url(canonical_source.as_str())
            .unwrap_or_else(|| canonical_source.to_string());
        let candidate = Candidate {
            feed: feed.name.clone(),
            entry_key: entry.key.clone(),
            url: link.unwrap_or(page_url),
            canonical_url,
            title,
            text,
            published: article.published.or(published),
            article,
        };
        self.with_ingest(move |i| i.commit(candidate, now)).await
    }

    /// Finds the article behind an entry: a known URL short-cuts to a
    /// sighting; else the page is fetched and extracted; the feed's own
    /// full text stands in when the page cannot be had.
    async fn article_for(&self, entry: &Entry, link: &Url) -> Result<(Article, Url), EntryFailure> {
        let fallback = || feed_fallback(entry, link);
        let page = match self
            .fetcher
            .get(
                link,
                &Validators::default(),
                self.config.fetch.max_page_bytes,
            )
            .await
        {
            Ok(p) => p,
            Err(e) => return fallback().ok_or_else(|| EntryFailure::Failed(e.to_string())),
        };
        let (body, ct, url) = (page.body, page.content_type, page.url);
        let u = url.clone();
        let job = tokio::task::spawn_blocking(move || extract::extract(&body, ct.as_deref(), &u));
        match tokio::time::timeout(EXTRACT_TIMEOUT, job).await {
            Ok(Ok(Ok(article))) => Ok((article, url)),
            Ok(Ok(Err(e))) => {
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
    /// ones). `store.database` and `store.corpus` are not reopened: the
    /// caller keeps the old paths. New feeds get their row in the store.
    pub async fn reconfigure(&self, config: Config) -> Result<Pipeline, PipelineError> {
        let fetcher = Fetcher::new(&config.fetch)?;
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
        })
    }
}

enum EntryFailure {
    /// Permanent: the page holds no article.
    NoArticle(String),
    /// Transient: retried on the next poll.
    Failed(String),
}

/// The feed entry's own content as the article, when it is the full text.
fn feed_fallback(entry: &Entry, link: &Url) -> Option<(Article, Url)> {
    let html = entry.content.as_deref().or(entry.summary.as_deref())?;
    let title = entry.title.clone().unwrap_or_default();
    let page = format!(
        "<html><head><title>{}</title></head><body><article>{html}</article></body></html>",
        escape(&title)
    );
    let mut article = extract::extract(page.as_bytes(), Some("text/html"), link).ok()?;
    let words: usize = article
        .paragraphs
        .iter()
        .map(|p| normalize::word_count(p))
        .sum();
    if words < FULL_TEXT_WORDS {
        return None;
    }
    article.title = title;
    article.canonical_url = None;
    article.method = "feed";
    Some((article, link.clone()))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
}

impl Summary {
    pub fn failed(&self) -> usize {
        self.feeds.iter().filter(|f| f.error.is_some()).count()
    }
    pub fn total(&self, f: impl Fn(&FeedOutcome) -> usize) -> usize {
        self.feeds.iter().map(f).sum()
    }
}

/// Polls every configured feed once, several at a time.
pub async fn run_once(pipeline: &Pipeline) -> Summary {
    use futures_util::stream::{self, StreamExt};
    let feeds = pipeline.config.feeds.clone();
    let limit = pipeline.config.fetch.concurrency;
    let outcomes: Vec<FeedOutcome> = stream::iter(feeds)
        .map(|f| {
            let p = pipeline.clone();
            async move { p.refresh_feed(&f).await }
        })
        .buffer_unordered(limit)
        .collect()
        .await;
    let mut feeds = outcomes;
    feeds.sort_by(|a, b| a.feed.cmp(&b.feed));
    Summary { feeds }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            (a.title.as_str(), a.paragraphs.len(), a.method),
            ("Title", 2, "feed")
        );
    }
}
