//! Where pages were archived: each stored article's and sighting's capture
//! (a WARC record's place), what `show` and `reextract` read, and the
//! archive's totals.
//!
//! Part of the store (the only module that knows SQL); must not read or
//! write the archive's files (that is `archive`).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use super::db::{parse_ts, Store, StoreError};
use crate::model::{ts, Capture, Location};

/// A sighting as `tidings show` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct SightingRow {
    pub url: Option<String>,
    pub feed: Option<String>,
    pub seen_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub score: Option<f64>,
    pub capture: Option<Capture>,
}

/// An article whose page is in the archive, for `tidings reextract`.
#[derive(Debug, Clone, PartialEq)]
pub struct Captured {
    pub id: u64,
    pub file: String,
    pub title: String,
    pub capture: Capture,
}

/// What the archive holds, by the store's count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CaptureCounts {
    pub articles: u64,
    pub sightings: u64,
    pub truncated: u64,
    /// Response bodies as received, before any truncation.
    pub payload_bytes: u64,
    /// Stored articles (not imported) without a capture: fetched before the
    /// archive existed, taken from the feed's own text, or archived with
    /// the archive off.
    pub articles_without: u64,
    /// Corpus texts `reextract --write` replaced (the first text is kept).
    pub rewritten: u64,
}

impl Store {
    pub(super) fn insert_capture(
        conn: &Connection,
        article: u64,
        sighting: Option<i64>,
        c: &Capture,
    ) -> rusqlite::Result<()> {
        conn.execute(
            "INSERT INTO captures (article, sighting, file, warc_offset, warc_length, request_offset,
             request_length, record_id, target_uri, captured_at, status, payload_digest, payload_length, truncated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                article,
                sighting,
                c.location.file,
                c.location.offset,
                c.location.length,
                c.request.offset,
                c.request.length,
                c.record_id,
                c.target_uri,
                ts(c.captured_at),
                c.status,
                c.payload_digest,
                c.payload_length,
                c.truncated
            ],
        )
        .map(drop)
    }

    const CAPTURE_COLUMNS: &'static str = "c.file, c.warc_offset, c.warc_length, c.request_offset,
        c.request_length, c.record_id, c.target_uri, c.captured_at, c.status, c.payload_digest,
        c.payload_length, c.truncated";

    /// Reads `CAPTURE_COLUMNS` starting at column `at`.
    fn capture_row(r: &Row, at: usize) -> rusqlite::Result<Capture> {
        let file: String = r.get(at)?;
        Ok(Capture {
            location: Location {
                file: file.clone(),
                offset: r.get(at + 1)?,
                length: r.get(at + 2)?,
            },
            request: Location {
                file,
                offset: r.get(at + 3)?,
                length: r.get(at + 4)?,
            },
            record_id: r.get(at + 5)?,
            target_uri: r.get(at + 6)?,
            captured_at: parse_ts(r.get(at + 7)?).unwrap_or_default(),
            status: r.get(at + 8)?,
            payload_digest: r.get(at + 9)?,
            payload_length: r.get(at + 10)?,
            truncated: r.get(at + 11)?,
        })
    }

    /// Where an article's own page was archived.
    pub fn capture_of(&self, article: u64) -> Result<Option<Capture>, StoreError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {} FROM captures c WHERE c.article = ?1 AND c.sighting IS NULL",
                    Self::CAPTURE_COLUMNS
                ),
                [article],
                |r| Self::capture_row(r, 0),
            )
            .optional()
            .map_err(self.err())
    }

    /// How far the store vouches for an archive file: the end of the last
    /// record a row points at (0 when none does).
    pub fn archive_end(&self, file: &str) -> Result<u64, StoreError> {
        Ok(self
            .query_one(
                "SELECT MAX(request_offset + request_length) FROM captures WHERE file = ?1",
                [file],
            )?
            .flatten()
            .unwrap_or(0))
    }

    /// Stored articles whose page is archived, in number order; with
    /// `since`, only those captured then or later.
    pub fn captured_articles(
        &self,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Captured>, StoreError> {
        self.query_all(
            &format!(
                "SELECT a.id, a.file, a.title, {} FROM articles a JOIN captures c ON c.article = a.id AND c.sighting IS NULL
                 WHERE a.state = 'stored' AND (?1 IS NULL OR c.captured_at >= ?1) ORDER BY a.id",
                Self::CAPTURE_COLUMNS
            ),
            [since.map(ts)],
            |r| {
                Ok(Captured {
                    id: r.get(0)?,
                    file: r.get(1)?,
                    title: r.get(2)?,
                    capture: Self::capture_row(r, 3)?,
                })
            },
        )
    }

    /// An article's duplicate sightings, oldest first.
    pub fn sightings_of(&self, article: u64) -> Result<Vec<SightingRow>, StoreError> {
        self.query_all(
            &format!(
                "SELECT s.url, s.feed, s.seen_at, s.reason, s.score, c.file IS NOT NULL, {}
                 FROM sightings s LEFT JOIN captures c ON c.sighting = s.id
                 WHERE s.article = ?1 ORDER BY s.id",
                Self::CAPTURE_COLUMNS
            ),
            [article],
            |r| {
                let captured: bool = r.get(5)?;
                Ok(SightingRow {
                    url: r.get(0)?,
                    feed: r.get(1)?,
                    seen_at: parse_ts(r.get(2)?),
                    reason: r.get(3)?,
                    score: r.get(4)?,
                    capture: if captured {
                        Some(Self::capture_row(r, 6)?)
                    } else {
                        None
                    },
                })
            },
        )
    }

    /// What the archive holds, counted from the captures table.
    pub fn capture_counts(&self) -> Result<CaptureCounts, StoreError> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FILTER (WHERE sighting IS NULL), COUNT(*) FILTER (WHERE sighting IS NOT NULL),
                 COUNT(*) FILTER (WHERE truncated), COALESCE(SUM(payload_length), 0),
                 (SELECT COUNT(*) FROM articles a WHERE a.state = 'stored'
                    AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.article = a.id AND c.sighting IS NULL)),
                 (SELECT COUNT(*) FROM original_texts)
                 FROM captures",
                [],
                |r| {
                    Ok(CaptureCounts {
                        articles: r.get(0)?,
                        sightings: r.get(1)?,
                        truncated: r.get(2)?,
                        payload_bytes: r.get(3)?,
                        articles_without: r.get(4)?,
                        rewritten: r.get(5)?,
                    })
                },
            )
            .map_err(self.err())
    }
}
