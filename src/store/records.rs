//! Export records read back: an article's record (the wire format of
//! export, search `--json` and alerts, defined in `model`), the export
//! itself, and how many outlets carry a story.
//!
//! Part of the store (the only module that knows SQL); must not shape the
//! output (that is the caller's) or touch the corpus or the network.

use rusqlite::{OptionalExtension, Row};

use super::articles::NewArticle;
use super::db::{Store, StoreError};
use super::search::ArticleFilter;
use crate::model::{ts, ExportRecord};

impl NewArticle {
    /// The export record of this article, as alerts carry it.
    pub fn record(&self) -> ExportRecord {
        ExportRecord {
            id: Some(self.id),
            file: Some(self.file.clone()),
            url: self.url.clone(),
            canonical_url: self
                .canonical_url
                .as_deref()
                .map(|c| crate::dedup::served_canonical(c, self.url.as_deref())),
            title: self.title.clone(),
            feed: self.feed.clone(),
            published: self.published.map(ts),
            fetched_at: self.fetched_at.map(ts),
            language: self.language.clone(),
            words: self.words,
            duplicate_of: None,
            story: self.story,
            access: self.access.clone(),
        }
    }
}

impl Store {
    /// The export records: corpus articles in order, then (when asked)
    /// duplicate sightings.
    pub fn export(&self, duplicates: bool) -> Result<Vec<ExportRecord>, StoreError> {
        self.export_filtered(&ArticleFilter::default(), duplicates)
    }

    /// How many outlets (distinct hosts) carry a story: its articles and
    /// their duplicate sightings.
    pub fn story_outlets(&self, story: u64) -> Result<u32, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT url FROM articles WHERE story = ?1 AND url IS NOT NULL
                 UNION ALL
                 SELECT s.url FROM sightings s JOIN articles a ON a.id = s.article WHERE a.story = ?1 AND s.url IS NOT NULL",
            )
            .map_err(self.err())?;
        let urls = stmt
            .query_map([story], |r| r.get::<_, String>(0))
            .map_err(self.err())?
            .collect::<Result<Vec<String>, _>>()
            .map_err(self.err())?;
        Ok(count_outlets(&urls))
    }

    /// Columns of the export record, in the order `article_export_row` reads
    /// (search reads its own columns after them, from index 12).
    pub(super) const EXPORT_COLUMNS: &'static str =
        "id, file, url, canonical_url, title, feed, published, fetched_at, language, words, story, access";

    pub(super) fn article_export_row(r: &Row) -> rusqlite::Result<ExportRecord> {
        let url: Option<String> = r.get(2)?;
        let canonical: Option<String> = r.get(3)?;
        Ok(ExportRecord {
            id: Some(r.get(0)?),
            file: Some(r.get(1)?),
            canonical_url: canonical.map(|c| crate::dedup::served_canonical(&c, url.as_deref())),
            url,
            title: r.get(4)?,
            feed: r.get(5)?,
            published: r.get(6)?,
            fetched_at: r.get(7)?,
            language: r.get(8)?,
            words: r.get(9)?,
            duplicate_of: None,
            story: r.get(10)?,
            access: r.get(11)?,
        })
    }

    /// The export record of one article.
    pub fn article_record(&self, id: u64) -> Result<Option<ExportRecord>, StoreError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {} FROM articles WHERE id = ?1",
                    Self::EXPORT_COLUMNS
                ),
                [id],
                Self::article_export_row,
            )
            .optional()
            .map_err(self.err())
    }
}

/// How many outlets the URLs of a story's articles and sightings name:
/// distinct hosts as the boilerplate pools count them (`dedup::outlet`).
pub(crate) fn count_outlets(urls: &[String]) -> u32 {
    let hosts: std::collections::HashSet<String> = urls
        .iter()
        .filter_map(|u| crate::dedup::outlet(u))
        .collect();
    hosts.len() as u32
}
