//! What the read commands ask of the shared database besides export
//! records, and their connection (`connect_reader`): the feeds' rows (`status`), the corpus counts (`stats`), one
//! article's provenance (`show`: capture, sightings, story, method, first
//! text), and the stored texts in number order (`corpus sync`).
//!
//! Each returns the plain types the SQLite store returns (`FeedRow`,
//! `Totals`, `Capture`, …), with the same orders (byte order for strings,
//! SQLite's NULLs first) and times to the second, so that the commands
//! print them once for both backends, byte for byte.
//!
//! A reader never migrates, as SQLite mode's reader does not: it would
//! change the schema under workers of the older version still running,
//! and an analyst's role that may only read could not connect at all. Its
//! session is read-only, so the server refuses any write. Must not touch
//! files.

use chrono::{DateTime, Utc};
use postgres::Row;

use super::client::{PgCa, PgError, PgStore};
use super::records::{secs, ts_sql};
use super::schema::MIGRATIONS;
use crate::model::{Capture, Location};
use crate::store::captures::{CaptureCounts, SightingRow};
use crate::store::stats::{DayCount, FeedCount, StoryCount, Totals};

/// One stored (or imported) article's corpus file: its name and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredText {
    pub id: u64,
    pub file: String,
    pub text: String,
}

fn count(r: &Row, i: usize) -> u64 {
    r.get::<_, i64>(i) as u64
}

fn time(r: &Row, i: usize) -> Option<DateTime<Utc>> {
    r.get::<_, Option<DateTime<Utc>>>(i).map(secs)
}

/// The capture columns of `captures` aliased `c`, in `capture_row`'s order.
const CAPTURE_COLUMNS: &str = "c.file, c.warc_offset, c.warc_length, c.request_offset,
    c.request_length, c.record_id, c.target_uri, c.captured_at, c.status, c.payload_digest,
    c.payload_length, c.truncated";

/// Reads `CAPTURE_COLUMNS` starting at column `at`.
fn capture_row(r: &Row, at: usize) -> Capture {
    let file: String = r.get(at);
    Capture {
        location: Location {
            file: file.clone(),
            offset: count(r, at + 1),
            length: count(r, at + 2),
        },
        request: Location {
            file,
            offset: count(r, at + 3),
            length: count(r, at + 4),
        },
        record_id: r.get(at + 5),
        target_uri: r.get(at + 6),
        captured_at: secs(r.get(at + 7)),
        status: r.get::<_, i32>(at + 8) as u16,
        payload_digest: r.get(at + 9),
        payload_length: count(r, at + 10),
        truncated: r.get(at + 11),
    }
}

impl PgStore {
    /// Connects for reading: a read-only session on a database whose
    /// schema is this binary's (older: `TooOld`, a worker upgrades it;
    /// newer: `TooNew`). Never creates or changes anything.
    pub fn connect_reader(
        url: &str,
        password: Option<&str>,
        ca: Option<PgCa<'_>>,
    ) -> Result<PgStore, PgError> {
        let mut store = PgStore::connect_only(url, password, ca)?;
        store
            .client
            .batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            .map_err(store.err())?;
        let migrated: bool = store
            .client
            .query_one("SELECT to_regclass('tidings_schema') IS NOT NULL", &[])
            .map_err(store.err())?
            .get(0);
        let found = if migrated { store.schema_version()? } else { 0 };
        let known = MIGRATIONS.len() as i64;
        let url = store.shown.clone();
        match found.cmp(&known) {
            std::cmp::Ordering::Equal => Ok(store),
            std::cmp::Ordering::Less => Err(PgError::TooOld { url, found, known }),
            std::cmp::Ordering::Greater => Err(PgError::TooNew { url, found, known }),
        }
    }

    /// Corpus-wide counts.
    pub fn totals(&mut self) -> Result<Totals, PgError> {
        let r = self
            .client
            .query_one(
                "SELECT
                   (SELECT count(*) FROM articles WHERE state != 'pending'),
                   (SELECT count(*) FROM articles WHERE state = 'imported'),
                   (SELECT count(*) FROM articles WHERE state != 'pending' AND published IS NULL
                        AND fetched_at IS NULL),
                   (SELECT count(DISTINCT story) FROM articles WHERE state != 'pending'),
                   (SELECT count(*) FROM sightings),
                   (SELECT count(*) FROM entries WHERE state = 'offtopic'),
                   (SELECT count(*) FROM entries WHERE state = 'no_article'),
                   (SELECT count(*) FROM entries WHERE state = 'failed')",
                &[],
            )
            .map_err(self.err())?;
        Ok(Totals {
            articles: count(&r, 0),
            imported: count(&r, 1),
            undated: count(&r, 2),
            stories: count(&r, 3),
            duplicates: count(&r, 4),
            offtopic: count(&r, 5),
            no_article: count(&r, 6),
            failed: count(&r, 7),
        })
    }

    /// Articles per day (published, else fetched; UTC), the latest `days`
    /// days that have any, newest first.
    pub fn articles_per_day(&mut self, days: usize) -> Result<Vec<DayCount>, PgError> {
        let sql = format!(
            r#"SELECT day, count(*) FROM (
                 SELECT substr(COALESCE(published, {}), 1, 10) AS day FROM articles
                 WHERE state != 'pending') d
               WHERE day IS NOT NULL GROUP BY day ORDER BY day COLLATE "C" DESC LIMIT $1"#,
            ts_sql("fetched_at")
        );
        let limit = days.min(i64::MAX as usize) as i64;
        let rows = self.client.query(&sql, &[&limit]).map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| DayCount {
                day: r.get(0),
                articles: count(r, 1),
            })
            .collect())
    }

    /// Every feed's articles, duplicate sightings and off-topic entries,
    /// most articles first, then by name (imported files, no feed, first).
    pub fn per_feed(&mut self) -> Result<Vec<FeedCount>, PgError> {
        let rows = self
            .client
            .query(
                r#"WITH a AS (SELECT feed, count(*) AS n FROM articles WHERE state != 'pending' GROUP BY feed),
                        s AS (SELECT feed, count(*) AS n FROM sightings GROUP BY feed),
                        e AS (SELECT feed, count(*) AS n FROM entries WHERE state = 'offtopic' GROUP BY feed),
                        names AS (SELECT feed FROM a UNION SELECT feed FROM s UNION SELECT feed FROM e)
                   SELECT names.feed, COALESCE(a.n, 0) AS articles, COALESCE(s.n, 0), COALESCE(e.n, 0)
                   FROM names LEFT JOIN a ON a.feed IS NOT DISTINCT FROM names.feed
                     LEFT JOIN s ON s.feed IS NOT DISTINCT FROM names.feed
                     LEFT JOIN e ON e.feed IS NOT DISTINCT FROM names.feed
                   ORDER BY articles DESC, names.feed COLLATE "C" NULLS FIRST"#,
                &[],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| FeedCount {
                feed: r.get(0),
                articles: count(r, 1),
                duplicates: count(r, 2),
                offtopic: count(r, 3),
            })
            .collect())
    }

    /// The `top` stories carried most widely (articles and sightings),
    /// with their first article's headline.
    pub fn top_stories(&mut self, top: usize) -> Result<Vec<StoryCount>, PgError> {
        let limit = top.min(i64::MAX as usize) as i64;
        let rows = self
            .client
            .query(
                "WITH arts AS (SELECT story, count(*) AS n FROM articles WHERE state != 'pending' GROUP BY story),
                      dups AS (SELECT a.story, count(*) AS n FROM sightings s JOIN articles a ON a.id = s.article
                               GROUP BY a.story)
                 SELECT arts.story, COALESCE(f.title, ''), arts.n, COALESCE(dups.n, 0) AS d
                 FROM arts LEFT JOIN dups ON dups.story = arts.story LEFT JOIN articles f ON f.id = arts.story
                 ORDER BY arts.n + COALESCE(dups.n, 0) DESC, arts.story LIMIT $1",
                &[&limit],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| StoryCount {
                story: count(r, 0),
                title: r.get(1),
                articles: count(r, 2),
                duplicates: count(r, 3),
            })
            .collect())
    }

    /// What the archive holds, counted from the captures table.
    pub fn capture_counts(&mut self) -> Result<CaptureCounts, PgError> {
        let r = self
            .client
            .query_one(
                "SELECT count(*) FILTER (WHERE sighting IS NULL),
                   count(*) FILTER (WHERE sighting IS NOT NULL),
                   count(*) FILTER (WHERE truncated), COALESCE(sum(payload_length), 0)::BIGINT,
                   (SELECT count(*) FROM articles a WHERE a.state = 'stored'
                      AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.article = a.id AND c.sighting IS NULL)),
                   (SELECT count(*) FROM original_texts)
                 FROM captures",
                &[],
            )
            .map_err(self.err())?;
        Ok(CaptureCounts {
            articles: count(&r, 0),
            sightings: count(&r, 1),
            truncated: count(&r, 2),
            payload_bytes: count(&r, 3),
            articles_without: count(&r, 4),
            rewritten: count(&r, 5),
        })
    }

    /// Where an article's own page was archived.
    pub fn capture_of(&mut self, article: u64) -> Result<Option<Capture>, PgError> {
        let sql = format!(
            "SELECT {CAPTURE_COLUMNS} FROM captures c WHERE c.article = $1 AND c.sighting IS NULL"
        );
        let row = self
            .client
            .query_opt(&sql, &[&(article as i64)])
            .map_err(self.err())?;
        Ok(row.map(|r| capture_row(&r, 0)))
    }

    /// An article's duplicate sightings, oldest first, each with its
    /// capture if its page was archived.
    pub fn sightings_of(&mut self, article: u64) -> Result<Vec<SightingRow>, PgError> {
        let sql = format!(
            "SELECT s.url, s.feed, s.seen_at, s.reason, s.score, c.file IS NOT NULL, {CAPTURE_COLUMNS}
             FROM sightings s LEFT JOIN captures c ON c.sighting = s.id
             WHERE s.article = $1 ORDER BY s.id"
        );
        let rows = self
            .client
            .query(&sql, &[&(article as i64)])
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| SightingRow {
                url: r.get(0),
                feed: r.get(1),
                seen_at: time(r, 2),
                reason: r.get(3),
                score: r.get(4),
                capture: r.get::<_, bool>(5).then(|| capture_row(r, 6)),
            })
            .collect())
    }

    /// The story's articles' numbers, in order.
    pub fn story_members(&mut self, story: u64) -> Result<Vec<u64>, PgError> {
        let rows = self
            .client
            .query(
                "SELECT id FROM articles WHERE story = $1 AND state != 'pending' ORDER BY id",
                &[&(story as i64)],
            )
            .map_err(self.err())?;
        Ok(rows.iter().map(|r| count(r, 0)).collect())
    }

    /// The method the article's text was extracted with.
    pub fn article_method(&mut self, id: u64) -> Result<Option<String>, PgError> {
        Ok(self
            .client
            .query_opt("SELECT method FROM articles WHERE id = $1", &[&(id as i64)])
            .map_err(self.err())?
            .and_then(|r| r.get(0)))
    }

    /// The text an article was first stored with, and when `reextract
    /// --write` replaced it, if it did.
    pub fn original_text(&mut self, id: u64) -> Result<Option<(String, DateTime<Utc>)>, PgError> {
        Ok(self
            .client
            .query_opt(
                "SELECT text, replaced_at FROM original_texts WHERE article = $1",
                &[&(id as i64)],
            )
            .map_err(self.err())?
            .map(|r| (r.get(0), secs(r.get(1)))))
    }

    /// Up to `limit` stored and imported articles' texts numbered after
    /// `after` (None: from the first), in number order: a page of what the
    /// corpus files must hold. Paged so that a large corpus is never in
    /// memory at once.
    pub fn stored_texts(
        &mut self,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<StoredText>, PgError> {
        let after = after.map_or(-1, |a| a as i64);
        let limit = limit.min(i64::MAX as usize) as i64;
        let rows = self
            .client
            .query(
                "SELECT id, file, text FROM articles WHERE id > $1
                   AND state IN ('stored', 'imported') ORDER BY id LIMIT $2",
                &[&after, &limit],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| StoredText {
                id: count(r, 0),
                file: r.get(1),
                text: r.get(2),
            })
            .collect())
    }

    /// Every article's corpus file name, whatever its state, for telling
    /// which files in a directory have no row (a file whose row is still
    /// pending is not one of those).
    pub fn article_files(&mut self) -> Result<Vec<String>, PgError> {
        let rows = self
            .client
            .query("SELECT file FROM articles", &[])
            .map_err(self.err())?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
