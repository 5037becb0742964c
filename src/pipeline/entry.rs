//! Entry ingestion: one new feed entry up to the writer. Its page is
//! fetched and extracted (off the async threads, under a timeout), the
//! text normalized and matched against the topic, and staged in the corpus
//! directory; then it waits its turn at the group commit (`commit`).
//!
//! See `ARCHITECTURE.md`, "Entry points" (the order of `refresh_feed`).
//! Must not: parse or extract itself (it calls `extract` and `normalize`),
//! or decide duplicates (that is the commit's, against the whole round).

use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::{info, warn};
use url::Url;

use super::commit::{Candidate, Page, Queued};
use super::error::PipelineError;
use super::handle::{lock, Pipeline};
use super::outcome::EntryOutcome;
use crate::alert;
use crate::archive;
use crate::config::FeedConfig;
use crate::dedup;
use crate::extract::{self, Article};
use crate::feed::Entry;
use crate::fetch::Validators;
use crate::normalize;
use crate::store::EntryState;

/// Words a feed entry's own content needs before it is taken as the full
/// text when the page cannot be had (teasers are shorter).
pub(super) const FULL_TEXT_WORDS: usize = 80;
/// How long one page's extraction may take. The parse budget keeps real
/// work far below this; it is the last line of defence.
pub(super) const EXTRACT_TIMEOUT: Duration = Duration::from_secs(20);
/// Failed attempts after which an entry is given up (recorded as without
/// an article, with the last error): a page that times out or fails to
/// extract at every poll is not fetched for ever. A Retry-After, and a
/// failure while the network looks down, are not attempts.
pub(super) const MAX_ENTRY_ATTEMPTS: u32 = 3;

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

impl Pipeline {
    /// One entry up to the writer: skip it if seen, else fetch, extract,
    /// normalize, match the topic and stage its text.
    pub(super) async fn prepare_entry(
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
                self.record_entry(feed, &entry, state, Some(msg), now)
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
                self.record_entry(feed, &entry, EntryState::Offtopic, None, now)
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

    /// Records what became of an entry that does not reach the writer.
    async fn record_entry(
        &self,
        feed: &FeedConfig,
        entry: &Entry,
        state: EntryState,
        error: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<(), PipelineError> {
        let (name, e) = (feed.name.clone(), entry.clone());
        self.with_ingest(move |i| {
            Ok(i.store.record_entry(
                &name,
                &e.key,
                e.link.as_deref(),
                e.title.as_deref(),
                state,
                None,
                error.as_deref(),
                now,
            )?)
        })
        .await
    }

    /// A prepared entry through the writer.
    pub(super) async fn commit_entry(
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
    pub(super) async fn article_for(
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
}

/// An entry on its way: settled without the writer, or its candidate.
pub(super) enum Prepared {
    Done(EntryOutcome),
    Ready {
        candidate: Box<Candidate>,
        now: DateTime<Utc>,
        alerts: bool,
    },
}

pub(super) enum EntryFailure {
    /// Permanent: the page holds no article.
    NoArticle(String),
    /// Transient: retried on the next poll, given up after a few attempts.
    Failed(String),
    /// Held back (Retry-After, the network down): retried on the next
    /// poll, not counted as an attempt.
    Held(String),
}

/// The feed entry's own content as the article, when it is the full text.
pub(super) fn feed_fallback(entry: &Entry, link: &Url) -> Option<(Article, Url)> {
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
pub(super) fn newest_first(entries: Vec<Entry>) -> Vec<Entry> {
    let mut entries = order_for_ingestion(entries);
    entries.reverse();
    entries
}

/// Oldest first, so sequence numbers follow publication where known; the
/// feed's order (newest first, by convention) reversed otherwise.
pub(super) fn order_for_ingestion(mut entries: Vec<Entry>) -> Vec<Entry> {
    entries.reverse();
    if entries.iter().all(|e| e.published.is_some()) {
        entries.sort_by_key(|e| e.published);
    }
    entries
}
