//! SQLite: the source of truth for feeds, entries, articles and sightings.
//!
//! The only module that knows rusqlite. Its calls block: async callers run
//! them on a blocking thread. Migrations are an append-only list keyed by
//! `PRAGMA user_version`, applied in one transaction. Must not touch the
//! corpus directory or the network.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::model::{ts, Capture, ExportRecord, Location};
pub mod pg;
mod search;
mod stats;
pub use search::{fts5_query, ArticleFilter, SearchHit, SearchOptions};
pub use stats::{DayCount, FeedCount, StoryCount, Totals};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// A search query SQLite's full-text index refused.
    #[error("search query {query}: {message}")]
    Query { query: String, message: String },
    #[error(
        "database {path} was written by a newer tidings (schema {found}, this one knows {known})"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
}

/// Each entry is one schema step; append only, never edit a released one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE feeds (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_attempt TEXT,
    last_success TEXT,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll TEXT,
    entries_seen INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    file TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'stored', 'imported')),
    url TEXT,
    canonical_url TEXT,
    title TEXT NOT NULL,
    feed TEXT,
    entry_key TEXT,
    published TEXT,
    fetched_at TEXT,
    language TEXT,
    author TEXT,
    site_name TEXT,
    method TEXT,
    words INTEGER NOT NULL,
    text_hash BLOB NOT NULL,
    story INTEGER NOT NULL
);
CREATE INDEX articles_canonical ON articles(canonical_url);
CREATE INDEX articles_hash ON articles(text_hash);
CREATE TABLE entries (
    feed TEXT NOT NULL,
    key TEXT NOT NULL,
    link TEXT,
    title TEXT,
    first_seen TEXT NOT NULL,
    last_attempt TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('stored', 'duplicate', 'offtopic', 'failed', 'no_article')),
    article INTEGER,
    attempts INTEGER NOT NULL DEFAULT 1,
    last_error TEXT,
    PRIMARY KEY (feed, key)
);
CREATE TABLE sightings (
    id INTEGER PRIMARY KEY,
    article INTEGER NOT NULL REFERENCES articles(id),
    url TEXT,
    canonical_url TEXT,
    feed TEXT,
    entry_key TEXT,
    title TEXT,
    published TEXT,
    seen_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    score REAL
);
CREATE INDEX sightings_article ON sightings(article);
"#,
    r#"
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    sink TEXT NOT NULL,
    event TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    next_attempt TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'expired')),
    sent_at TEXT,
    UNIQUE (sink, key)
);
CREATE INDEX outbox_due ON outbox(state, next_attempt);
ALTER TABLE feeds ADD COLUMN failing_since TEXT;
"#,
    r#"
ALTER TABLE feeds ADD COLUMN config_url TEXT;
ALTER TABLE feeds ADD COLUMN retired TEXT;
ALTER TABLE feeds ADD COLUMN interval_secs INTEGER;
ALTER TABLE feeds ADD COLUMN last_full_poll TEXT;
UPDATE feeds SET config_url = url;
"#,
    r#"
ALTER TABLE articles ADD COLUMN fingerprint BLOB;
ALTER TABLE articles ADD COLUMN source TEXT;
ALTER TABLE sightings ADD COLUMN longer INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sightings ADD COLUMN newer INTEGER NOT NULL DEFAULT 0;
"#,
    r#"
CREATE INDEX articles_feed ON articles(feed, state);
"#,
    r#"
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    article INTEGER NOT NULL REFERENCES articles(id),
    sighting INTEGER REFERENCES sightings(id),
    file TEXT NOT NULL,
    warc_offset INTEGER NOT NULL,
    warc_length INTEGER NOT NULL,
    request_offset INTEGER NOT NULL,
    request_length INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    target_uri TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    payload_digest TEXT NOT NULL,
    payload_length INTEGER NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX captures_article ON captures(article) WHERE sighting IS NULL;
CREATE INDEX captures_sighting ON captures(sighting);
CREATE INDEX captures_file ON captures(file);
CREATE TABLE original_texts (
    article INTEGER PRIMARY KEY REFERENCES articles(id),
    text TEXT NOT NULL,
    replaced_at TEXT NOT NULL
);
"#,
    // Full-text search over headline and body, its rowid the article id.
    // The body lives in the corpus file, which SQL cannot read: rows that
    // lack theirs (every article when this step runs) are indexed from their
    // files by `pipeline::index_text` at the next open or search.
    // `remove_diacritics 2` folds case and accents as the topic query does.
    r#"
CREATE VIRTUAL TABLE article_text USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
"#,
    // 'paywalled' when only the public part of the article could be read;
    // NULL when the page showed all of it.
    r#"
ALTER TABLE articles ADD COLUMN access TEXT;
"#,
];

fn parse_ts(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// A corpus text `reextract --write` replaces: the text the file held,
/// and the new text with its facts.
#[derive(Debug, Clone, Copy)]
pub struct Rewrite<'a> {
    pub original: &'a str,
    pub title: &'a str,
    pub text: &'a str,
    pub words: u64,
    pub text_hash: [u8; 16],
}

/// What became of a feed entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryState {
    Stored,
    Duplicate,
    Offtopic,
    Failed,
    NoArticle,
}

impl EntryState {
    fn as_str(self) -> &'static str {
        match self {
            EntryState::Stored => "stored",
            EntryState::Duplicate => "duplicate",
            EntryState::Offtopic => "offtopic",
            EntryState::Failed => "failed",
            EntryState::NoArticle => "no_article",
        }
    }
}

/// A new article to record, before and after its corpus file is written.
#[derive(Debug, Clone)]
pub struct NewArticle {
    pub id: u64,
    pub file: String,
    pub url: Option<String>,
    pub canonical_url: Option<String>,
    pub title: String,
    pub feed: Option<String>,
    pub entry_key: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub language: Option<String>,
    pub author: Option<String>,
    pub site_name: Option<String>,
    pub method: Option<String>,
    pub words: u64,
    pub text_hash: [u8; 16],
    pub story: u64,
    /// The dedup fingerprint (`dedup::Fingerprint::to_bytes`), when computed.
    pub fingerprint: Option<Vec<u8>>,
    /// The outlet (canonical host) the article came from.
    pub source: Option<String>,
    /// `paywalled` when only the public part could be read.
    pub access: Option<String>,
}

/// A sighting of an article already in the corpus.
#[derive(Debug, Clone)]
pub struct Sighting {
    pub article: u64,
    pub url: Option<String>,
    pub canonical_url: Option<String>,
    pub feed: String,
    pub entry_key: String,
    pub title: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub seen_at: DateTime<Utc>,
    pub reason: &'static str,
    pub score: f64,
    /// The copy has clearly more text than the article (an update, or the
    /// untrimmed original).
    pub longer: bool,
    /// The copy was published after the article.
    pub newer: bool,
    /// Its page in the archive, when duplicates are captured.
    pub capture: Option<Capture>,
}

/// An article whose corpus file is in place, for [`Store::finish_round`]:
/// the alerts it queues and its text for the search index (without it the
/// article is left for `unindexed_articles`).
pub struct Finished<'a> {
    pub id: u64,
    /// When it was fetched: the time its entry and alerts are recorded at.
    pub at: DateTime<Utc>,
    pub alerts: &'a [Outgoing],
    pub text: Option<&'a str>,
}

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

/// A feed's validators and health, as stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FeedRow {
    pub name: String,
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub next_poll: Option<DateTime<Utc>>,
    pub entries_seen: u64,
    pub articles_stored: u64,
    /// Why the feed is no longer polled (410 Gone), if it is not.
    pub retired: Option<String>,
    /// The adaptive interval, once a poll has set it.
    pub interval_secs: Option<u64>,
    pub last_full_poll: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
}

/// What a poll learnt about a feed.
#[derive(Debug, Clone)]
pub enum PollResult {
    Success {
        etag: Option<String>,
        last_modified: Option<String>,
        entries: u64,
        /// Polled without validators.
        full: bool,
    },
    NotModified,
    Failure {
        error: String,
    },
    /// The network itself was down: recorded, not counted against the feed.
    Outage {
        error: String,
    },
    /// 410 Gone: the feed is retired until its config URL changes.
    Retired {
        error: String,
    },
}

/// Article rows a crash left half-done, and corpus files with no row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleKey {
    pub id: u64,
    pub file: String,
    pub feed: Option<String>,
    pub entry_key: Option<String>,
    pub url: Option<String>,
    pub title: String,
}

/// An alert to queue: for one sink, one event, once (`key` is unique per
/// sink).
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub sink: String,
    pub event: String,
    pub key: String,
    pub payload: String,
}

/// A queued alert due for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub sink: String,
    pub event: String,
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
}

/// Outbox totals: (pending, sent, expired).
pub type OutboxCounts = (u64, u64, u64);

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

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Whether this open created the database (a first run).
    created: bool,
}

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to
    /// date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: path.into(),
            source,
        })?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            created: false,
        };
        store.setup()?;
        Ok(store)
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn setup(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let e = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        self.conn
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(e)?;
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(e)?;
        let known = MIGRATIONS.len() as i64;
        let read_version = |conn: &Connection| -> Result<i64, StoreError> {
            let version: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(e)?;
            if version > known {
                return Err(StoreError::TooNew {
                    path: path.clone(),
                    found: version,
                    known,
                });
            }
            Ok(version)
        };
        // An up-to-date schema takes no lock, so readers open beside a
        // busy writer. Otherwise the version is read again under the write
        // lock (an IMMEDIATE transaction): read only outside it, two
        // processes starting on a new database both saw version 0 and the
        // second failed making tables the first had made.
        if read_version(&self.conn)? == known {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        let version = read_version(&tx)?;
        self.created = version == 0;
        for m in &MIGRATIONS[version as usize..] {
            tx.execute_batch(m).map_err(e)?;
        }
        tx.pragma_update(None, "user_version", known).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(())
    }

    /// Every row of a query, mapped.
    fn query_all<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.err())?;
        let rows = stmt.query_map(params, map).map_err(self.err())?;
        rows.collect::<Result<_, _>>().map_err(self.err())
    }

    /// The first column of the first row, if there is a row.
    fn query_one<T: rusqlite::types::FromSql>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Option<T>, StoreError> {
        self.conn
            .query_row(sql, params, |r| r.get(0))
            .optional()
            .map_err(self.err())
    }

    /// Runs `f` in one transaction; an SQLite error names the database.
    fn transaction<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let path = self.path.clone();
        let e = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(e)?;
        let out = f(&tx).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(out)
    }

    /// Makes the feeds table match the config: new feeds get a row, a
    /// changed URL is updated (and its validators dropped).
    pub fn sync_feeds(&mut self, feeds: &[(String, String)]) -> Result<(), StoreError> {
        self.transaction(|tx| {
            for (name, url) in feeds {
                // A URL the config changed wins over one a permanent redirect
                // taught us; an unchanged config keeps the redirect's.
                tx.execute(
                    "INSERT INTO feeds (name, url, config_url) VALUES (?1, ?2, ?2)
                     ON CONFLICT(name) DO UPDATE SET url = excluded.url, config_url = excluded.url,
                       etag = NULL, last_modified = NULL, retired = NULL, consecutive_failures = 0,
                       next_poll = NULL, failing_since = NULL
                     WHERE feeds.config_url IS NOT excluded.config_url",
                    params![name, url],
                )?;
            }

            Ok(())
        })
    }

    fn feed_row(r: &Row) -> rusqlite::Result<FeedRow> {
        Ok(FeedRow {
            name: r.get(0)?,
            url: r.get(1)?,
            etag: r.get(2)?,
            last_modified: r.get(3)?,
            last_attempt: parse_ts(r.get(4)?),
            last_success: parse_ts(r.get(5)?),
            last_error: r.get(6)?,
            consecutive_failures: r.get(7)?,
            next_poll: parse_ts(r.get(8)?),
            entries_seen: r.get(9)?,
            articles_stored: r.get(10)?,
            retired: r.get(11)?,
            interval_secs: r.get(12)?,
            last_full_poll: parse_ts(r.get(13)?),
            failing_since: parse_ts(r.get(14)?),
        })
    }

    const FEED_COLUMNS: &'static str =
        "name, url, etag, last_modified, last_attempt, last_success, last_error,
        consecutive_failures, next_poll, entries_seen,
        (SELECT COUNT(*) FROM articles a WHERE a.feed = feeds.name AND a.state = 'stored'),
        retired, interval_secs, last_full_poll, failing_since";

    pub fn feed(&self, name: &str) -> Result<Option<FeedRow>, StoreError> {
        let sql = format!("SELECT {} FROM feeds WHERE name = ?1", Self::FEED_COLUMNS);
        self.conn
            .query_row(&sql, [name], Self::feed_row)
            .optional()
            .map_err(self.err())
    }

    pub fn feeds(&self) -> Result<Vec<FeedRow>, StoreError> {
        let sql = format!("SELECT {} FROM feeds ORDER BY name", Self::FEED_COLUMNS);
        self.query_all(&sql, [], Self::feed_row)
    }

    /// Records the outcome of one poll of a feed.
    pub fn record_poll(
        &mut self,
        name: &str,
        result: &PollResult,
        now: DateTime<Utc>,
        next_poll: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (now, next) = (ts(now), ts(next_poll));
        match result {
            PollResult::Success { etag, last_modified, entries, full } => self.conn.execute(
                "UPDATE feeds SET etag = ?2, last_modified = ?3, last_attempt = ?4, last_success = ?4,
                 last_error = NULL, consecutive_failures = 0, next_poll = ?5, entries_seen = entries_seen + ?6,
                 failing_since = NULL, last_full_poll = CASE WHEN ?7 THEN ?4 ELSE last_full_poll END
                 WHERE name = ?1",
                params![name, etag, last_modified, now, next, entries, full],
            ),
            PollResult::NotModified => self.conn.execute(
                "UPDATE feeds SET last_attempt = ?2, last_success = ?2, last_error = NULL,
                 consecutive_failures = 0, next_poll = ?3, failing_since = NULL WHERE name = ?1",
                params![name, now, next],
            ),
            PollResult::Failure { error } => self.conn.execute(
                "UPDATE feeds SET last_attempt = ?2, last_error = ?3,
                 consecutive_failures = consecutive_failures + 1, next_poll = ?4,
                 failing_since = COALESCE(failing_since, ?2) WHERE name = ?1",
                params![name, now, error, next],
            ),
            PollResult::Outage { error } => self.conn.execute(
                "UPDATE feeds SET last_attempt = ?2, last_error = ?3, next_poll = ?4 WHERE name = ?1",
                params![name, now, error, next],
            ),
            PollResult::Retired { error } => self.conn.execute(
                "UPDATE feeds SET last_attempt = ?2, last_error = ?3, retired = ?3,
                 consecutive_failures = consecutive_failures + 1, next_poll = NULL,
                 failing_since = COALESCE(failing_since, ?2) WHERE name = ?1",
                params![name, now, error],
            ),
        }
        .map(drop)
        .map_err(self.err())
    }

    /// The state of an entry, if it was seen before.
    pub fn entry_state(&self, feed: &str, key: &str) -> Result<Option<EntryState>, StoreError> {
        let s: Option<String> = self.query_one(
            "SELECT state FROM entries WHERE feed = ?1 AND key = ?2",
            [feed, key],
        )?;
        Ok(s.map(|s| match s.as_str() {
            "stored" => EntryState::Stored,
            "duplicate" => EntryState::Duplicate,
            "offtopic" => EntryState::Offtopic,
            "no_article" => EntryState::NoArticle,
            _ => EntryState::Failed,
        }))
    }

    /// Records what became of an entry (insert or update).
    #[allow(clippy::too_many_arguments)]
    pub fn record_entry(
        &mut self,
        feed: &str,
        key: &str,
        link: Option<&str>,
        title: Option<&str>,
        state: EntryState,
        article: Option<u64>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Self::upsert_entry(
            &self.conn, feed, key, link, title, state, article, error, now,
        )
        .map_err(self.err())
    }

    #[allow(clippy::too_many_arguments)]
    fn upsert_entry(
        conn: &Connection,
        feed: &str,
        key: &str,
        link: Option<&str>,
        title: Option<&str>,
        state: EntryState,
        article: Option<u64>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        conn.execute(
            "INSERT INTO entries (feed, key, link, title, first_seen, last_attempt, state, article, last_error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8)
             ON CONFLICT(feed, key) DO UPDATE SET link = excluded.link, title = excluded.title,
               last_attempt = excluded.last_attempt, state = excluded.state, article = excluded.article,
               last_error = excluded.last_error, attempts = entries.attempts + 1",
            params![feed, key, link, title, ts(now), state.as_str(), article, error],
        )
        .map(drop)
    }

    /// How many times an entry was tried (0 for one never seen).
    pub fn entry_attempts(&self, feed: &str, key: &str) -> Result<u32, StoreError> {
        let n: Option<u32> = self.query_one(
            "SELECT attempts FROM entries WHERE feed = ?1 AND key = ?2",
            [feed, key],
        )?;
        Ok(n.unwrap_or(0))
    }

    /// When an entry was first seen (the fallback for a missing date).
    pub fn entry_first_seen(
        &self,
        feed: &str,
        key: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let s: Option<String> = self.query_one(
            "SELECT first_seen FROM entries WHERE feed = ?1 AND key = ?2",
            [feed, key],
        )?;
        Ok(parse_ts(s))
    }

    /// The largest article number ever recorded.
    pub fn max_article_id(&self) -> Result<Option<u64>, StoreError> {
        self.conn
            .query_row("SELECT MAX(id) FROM articles", [], |r| r.get(0))
            .map_err(self.err())
    }

    /// The article with this canonical URL, if any.
    pub fn article_by_canonical_url(&self, canonical: &str) -> Result<Option<u64>, StoreError> {
        self.query_one("SELECT id FROM articles WHERE canonical_url = ?1 AND state != 'pending' ORDER BY id LIMIT 1", [canonical])
    }

    /// The story an article belongs to.
    pub fn story_of(&self, id: u64) -> Result<Option<u64>, StoreError> {
        self.conn
            .query_row("SELECT story FROM articles WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.err())
    }

    /// First phase of storing an article: the row, marked pending, before
    /// its corpus file is written, with where its page was archived.
    pub fn begin_article(
        &mut self,
        a: &NewArticle,
        capture: Option<&Capture>,
    ) -> Result<(), StoreError> {
        self.begin_round(&[(a, capture)], &[])
    }

    /// The first phase for articles committed together, in one
    /// transaction (one fsync for the lot): each row pending, with its
    /// capture, and the round's duplicate sightings, which point only at
    /// articles already stored.
    pub fn begin_round(
        &mut self,
        articles: &[(&NewArticle, Option<&Capture>)],
        sightings: &[Sighting],
    ) -> Result<(), StoreError> {
        self.transaction(|tx| {
            for (a, capture) in articles {
                Self::insert_article_in(tx, a, "pending")?;
                if let Some(c) = capture {
                    Self::insert_capture(tx, a.id, None, c)?;
                }
            }
            for s in sightings {
                Self::insert_sighting_in(tx, s)?;
            }
            Ok(())
        })
    }

    fn insert_capture(
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

    /// The articles of a story, in number order.
    pub fn story_members(&self, story: u64) -> Result<Vec<u64>, StoreError> {
        self.query_all(
            "SELECT id FROM articles WHERE story = ?1 AND state != 'pending' ORDER BY id",
            [story],
            |r| r.get(0),
        )
    }

    /// The method the article's text was extracted with (`feed` when the
    /// feed's own text stood in for the page).
    pub fn article_method(&self, id: u64) -> Result<Option<String>, StoreError> {
        Ok(self
            .query_one("SELECT method FROM articles WHERE id = ?1", [id])?
            .flatten())
    }

    /// The text an article was first stored with, and when `reextract
    /// --write` replaced it, if it did.
    pub fn original_text(&self, id: u64) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        self.conn
            .query_row(
                "SELECT text, replaced_at FROM original_texts WHERE article = ?1",
                [id],
                |r| Ok((r.get(0)?, parse_ts(r.get(1)?).unwrap_or_default())),
            )
            .optional()
            .map_err(self.err())
    }

    /// Before `reextract --write` replaces a corpus text: keeps the text
    /// first stored (a later rewrite keeps the first one) and records the
    /// new text's facts. The fingerprint is cleared; the next start
    /// computes it from the new file.
    pub fn record_reextract(
        &mut self,
        id: u64,
        r: &Rewrite,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let Rewrite {
            original,
            title,
            text,
            words,
            text_hash,
        } = *r;
        self.transaction(|tx| {
            tx.execute(
                "INSERT INTO original_texts (article, text, replaced_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(article) DO NOTHING",
                params![id, original, ts(now)],
            )?;
            tx.execute(
                "UPDATE articles SET title = ?2, words = ?3, text_hash = ?4, fingerprint = NULL WHERE id = ?1",
                params![id, title, words, &text_hash[..]],
            )?;
            // Search must find the text the file now holds, not the first.
            search::index_text_in(tx, id, text)?;
            Ok(())
        })
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

    /// Records corpus files that were found in the directory (the seeds,
    /// or files a person put there), in one transaction. Returns the
    /// numbers that were taken already (a file whose number another file
    /// has), which are not recorded.
    pub fn import_articles(&mut self, articles: &[NewArticle]) -> Result<Vec<u64>, StoreError> {
        self.transaction(|tx| {
            let mut taken = Vec::new();
            for a in articles {
                let exists: bool = tx
                    .query_row("SELECT 1 FROM articles WHERE id = ?1", [a.id], |_| Ok(()))
                    .optional()?
                    .is_some();
                if exists {
                    taken.push(a.id);
                } else {
                    Self::insert_article_in(tx, a, "imported")?;
                }
            }

            Ok(taken)
        })
    }

    /// Every corpus article's fingerprint and dedup facts, in number order:
    /// (id, file, fingerprint, source, published).
    #[allow(clippy::type_complexity)]
    pub fn fingerprints(
        &self,
    ) -> Result<
        Vec<(
            u64,
            String,
            Option<Vec<u8>>,
            Option<String>,
            Option<DateTime<Utc>>,
        )>,
        StoreError,
    > {
        self.query_all("SELECT id, file, fingerprint, source, published FROM articles WHERE state != 'pending' ORDER BY id", [], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    parse_ts(r.get(4)?),
                ))
            })
    }

    /// Keeps fingerprints computed at start, in one transaction.
    pub fn set_fingerprints(&mut self, blobs: &[(u64, Vec<u8>)]) -> Result<(), StoreError> {
        self.transaction(|tx| {
            for (id, blob) in blobs {
                tx.execute(
                    "UPDATE articles SET fingerprint = ?2 WHERE id = ?1",
                    params![id, blob],
                )?;
            }

            Ok(())
        })
    }

    fn insert_article_in(conn: &Connection, a: &NewArticle, state: &str) -> rusqlite::Result<()> {
        conn
            .execute(
                "INSERT INTO articles (id, file, state, url, canonical_url, title, feed, entry_key, published,
                 fetched_at, language, author, site_name, method, words, text_hash, story, fingerprint, source, access)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
                params![
                    a.id,
                    a.file,
                    state,
                    a.url,
                    a.canonical_url,
                    a.title,
                    a.feed,
                    a.entry_key,
                    a.published.map(ts),
                    a.fetched_at.map(ts),
                    a.language,
                    a.author,
                    a.site_name,
                    a.method,
                    a.words,
                    &a.text_hash[..],
                    a.story,
                    a.fingerprint,
                    a.source,
                    a.access
                ],
            )
            .map(drop)
    }

    /// Second phase: the file is in place; the article and its entry are
    /// stored, and its text (the corpus file's, when the caller has it)
    /// indexed for search, in one transaction. Without the text the
    /// article is left for `unindexed_articles`.
    pub fn finish_article(
        &mut self,
        id: u64,
        now: DateTime<Utc>,
        alerts: &[Outgoing],
        text: Option<&str>,
    ) -> Result<(), StoreError> {
        self.finish_round(
            &[Finished {
                id,
                at: now,
                alerts,
                text,
            }],
            &[],
        )
    }

    /// The second phase for articles committed together, in one
    /// transaction: those whose files are in place are stored (as
    /// [`Store::finish_article`]), the `abandoned` ones, whose files never
    /// appeared, are dropped (as [`Store::abandon_article`]).
    pub fn finish_round(
        &mut self,
        stored: &[Finished<'_>],
        abandoned: &[u64],
    ) -> Result<(), StoreError> {
        self.transaction(|tx| {
            for f in stored {
                Self::finish_article_in(tx, f)?;
            }
            for &id in abandoned {
                Self::abandon_article_in(tx, id)?;
            }
            Ok(())
        })
    }

    fn finish_article_in(tx: &Connection, f: &Finished<'_>) -> rusqlite::Result<()> {
        let (id, now) = (f.id, f.at);
        let (feed, key, url, title): (Option<String>, Option<String>, Option<String>, String) = tx
            .query_row(
                "SELECT feed, entry_key, url, title FROM articles WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
        tx.execute("UPDATE articles SET state = 'stored' WHERE id = ?1", [id])?;
        if let Some(text) = f.text {
            search::index_text_in(tx, id, text)?;
        }
        Self::enqueue_in(tx, f.alerts, now)?;
        if let (Some(feed), Some(key)) = (feed, key) {
            Self::upsert_entry(
                tx,
                &feed,
                &key,
                url.as_deref(),
                Some(&title),
                EntryState::Stored,
                Some(id),
                None,
                now,
            )?;
        }
        Ok(())
    }

    /// Drops a pending article whose file never appeared (its archived
    /// page stays in the archive, unreferenced).
    pub fn abandon_article(&mut self, id: u64) -> Result<(), StoreError> {
        self.transaction(|tx| Self::abandon_article_in(tx, id))
    }

    fn abandon_article_in(tx: &Connection, id: u64) -> rusqlite::Result<()> {
        tx.execute(
            "DELETE FROM captures WHERE article = ?1 AND sighting IS NULL
             AND EXISTS (SELECT 1 FROM articles WHERE id = ?1 AND state = 'pending')",
            [id],
        )?;
        tx.execute(
            "DELETE FROM articles WHERE id = ?1 AND state = 'pending'",
            [id],
        )
        .map(drop)
    }

    /// Articles left pending by a crash.
    pub fn pending_articles(&self) -> Result<Vec<ArticleKey>, StoreError> {
        self.query_all(
            "SELECT id, file, feed, entry_key, url, title FROM articles WHERE state = 'pending'",
            [],
            |r| {
                Ok(ArticleKey {
                    id: r.get(0)?,
                    file: r.get(1)?,
                    feed: r.get(2)?,
                    entry_key: r.get(3)?,
                    url: r.get(4)?,
                    title: r.get(5)?,
                })
            },
        )
    }

    /// Every article file name the database knows.
    pub fn article_files(&self) -> Result<Vec<String>, StoreError> {
        self.query_all("SELECT file FROM articles", [], |r| r.get(0))
    }

    /// Records a duplicate sighting and what became of its entry (in a
    /// round's first transaction, [`Store::begin_round`]).
    fn insert_sighting_in(tx: &Connection, s: &Sighting) -> rusqlite::Result<()> {
        tx.execute(
            "INSERT INTO sightings (article, url, canonical_url, feed, entry_key, title, published, seen_at, reason, score,
             longer, newer)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                s.article,
                s.url,
                s.canonical_url,
                s.feed,
                s.entry_key,
                s.title,
                s.published.map(ts),
                ts(s.seen_at),
                s.reason,
                s.score,
                s.longer,
                s.newer
            ],
        )?;
        if let Some(c) = &s.capture {
            Self::insert_capture(tx, s.article, Some(tx.last_insert_rowid()), c)?;
        }
        Self::upsert_entry(
            tx,
            &s.feed,
            &s.entry_key,
            s.url.as_deref(),
            s.title.as_deref(),
            EntryState::Duplicate,
            Some(s.article),
            None,
            s.seen_at,
        )
    }

    /// The export records: corpus articles in order, then (when asked)
    /// duplicate sightings.
    pub fn export(&self, duplicates: bool) -> Result<Vec<ExportRecord>, StoreError> {
        self.export_filtered(&ArticleFilter::default(), duplicates)
    }

    /// Counts for tests and summaries: (articles, entries, sightings).
    pub fn counts(&self) -> Result<(u64, u64, u64), StoreError> {
        self.conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM entries), (SELECT COUNT(*) FROM sightings)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(self.err())
    }
}

impl Store {
    /// Whether this open created the database: a first run.
    pub fn created(&self) -> bool {
        self.created
    }

    /// What the scheduler needs of every feed (name, next poll, retired),
    /// cheaply: it asks often.
    pub fn feed_schedule(&self) -> Result<Vec<FeedRow>, StoreError> {
        self.query_all("SELECT name, next_poll, retired FROM feeds", [], |r| {
            Ok(FeedRow {
                name: r.get(0)?,
                next_poll: parse_ts(r.get(1)?),
                retired: r.get(2)?,
                ..Default::default()
            })
        })
    }

    /// A permanent redirect moved the feed: poll the new URL from now on.
    pub fn move_feed(&mut self, name: &str, url: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE feeds SET url = ?2, etag = NULL, last_modified = NULL WHERE name = ?1",
                [name, url],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// Keeps the adaptive interval.
    pub fn set_interval(&mut self, name: &str, secs: u64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE feeds SET interval_secs = ?2 WHERE name = ?1",
                params![name, secs],
            )
            .map(drop)
            .map_err(self.err())
    }

    fn enqueue_in(
        conn: &Connection,
        alerts: &[Outgoing],
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        for a in alerts {
            conn.execute(
                "INSERT INTO outbox (sink, event, key, payload, created_at, next_attempt) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT(sink, key) DO NOTHING",
                params![a.sink, a.event, a.key, a.payload, ts(now)],
            )?;
        }
        Ok(())
    }

    /// Queues alerts (each at most once per sink and key).
    pub fn enqueue(&mut self, alerts: &[Outgoing], now: DateTime<Utc>) -> Result<(), StoreError> {
        Self::enqueue_in(&self.conn, alerts, now).map_err(self.err())
    }

    /// Whether an alert with this key was ever queued for the sink.
    pub fn queued(&self, sink: &str, key: &str) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT 1 FROM outbox WHERE sink = ?1 AND key = ?2",
                [sink, key],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(self.err())
    }

    /// Alerts due for delivery, oldest first.
    pub fn due_alerts(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        self.query_all(
            "SELECT id, sink, event, payload, created_at, attempts FROM outbox
                 WHERE state = 'pending' AND next_attempt <= ?1 ORDER BY id LIMIT ?2",
            params![ts(now), limit as i64],
            |r| {
                Ok(OutboxRow {
                    id: r.get(0)?,
                    sink: r.get(1)?,
                    event: r.get(2)?,
                    payload: r.get(3)?,
                    created_at: parse_ts(r.get(4)?).unwrap_or_default(),
                    attempts: r.get(5)?,
                })
            },
        )
    }

    /// When the next pending alert is due, if any.
    pub fn next_alert_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let s: Option<String> = self
            .conn
            .query_row(
                "SELECT MIN(next_attempt) FROM outbox WHERE state = 'pending'",
                [],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        Ok(parse_ts(s))
    }

    pub fn alert_sent(&mut self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
                params![id, ts(now)],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// Records a failed try: retried at `next`, or expired when `None`.
    pub fn alert_failed(
        &mut self,
        id: i64,
        error: &str,
        next: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        match next {
            Some(next) => self.conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt = ?3 WHERE id = ?1",
                params![id, error, ts(next)],
            ),
            None => self.conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, state = 'expired' WHERE id = ?1",
                params![id, error],
            ),
        }
        .map(drop)
        .map_err(self.err())
    }

    /// Expires the pending alerts of every sink not in `configured` (a
    /// reload removed it: nobody will hear of them). Returns how many.
    pub fn expire_unconfigured(&mut self, configured: &[&str]) -> Result<usize, StoreError> {
        let names = serde_json::to_string(configured).unwrap_or_else(|_| "[]".into());
        self.conn
            .execute(
                "UPDATE outbox SET state = 'expired', last_error = 'sink ' || sink || ' is no longer configured'
                 WHERE state = 'pending' AND sink NOT IN (SELECT value FROM json_each(?1))",
                [names],
            )
            .map_err(self.err())
    }

    /// Makes every pending alert due now: a restart is a natural time to
    /// try a sink again.
    pub fn retry_alerts_now(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET next_attempt = ?1 WHERE state = 'pending' AND next_attempt > ?1",
                [ts(now)],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// Holds queued alerts back until `next` (an email digest collecting).
    /// When a sink last took an alert.
    pub fn last_sent(&self, sink: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let s: Option<String> = self
            .conn
            .query_row(
                "SELECT MAX(sent_at) FROM outbox WHERE sink = ?1 AND state = 'sent'",
                params![sink],
                |r| r.get(0),
            )
            .map_err(self.err())?;
        Ok(parse_ts(s))
    }

    /// Makes a sink's alerts that wait for a retry due at `now`: the sink
    /// answered again, so what failed before need not wait out its backoff.
    /// Returns how many.
    pub fn retry_sink_now(&mut self, sink: &str, now: DateTime<Utc>) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE outbox SET next_attempt = ?2
                 WHERE sink = ?1 AND state = 'pending' AND attempts > 0 AND next_attempt > ?2",
                params![sink, ts(now)],
            )
            .map_err(self.err())
    }

    pub fn defer_alerts(&mut self, ids: &[i64], next: DateTime<Utc>) -> Result<(), StoreError> {
        for id in ids {
            self.conn
                .execute(
                    "UPDATE outbox SET next_attempt = ?2 WHERE id = ?1",
                    params![id, ts(next)],
                )
                .map_err(self.err())?;
        }
        Ok(())
    }

    pub fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FILTER (WHERE state = 'pending'), COUNT(*) FILTER (WHERE state = 'sent'),
                 COUNT(*) FILTER (WHERE state = 'expired') FROM outbox",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(self.err())
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
            .map_err(self.err())?;
        let mut hosts = std::collections::HashSet::new();
        for u in urls {
            let u = u.map_err(self.err())?;
            // The outlet as the boilerplate pools count it.
            if let Some(h) = crate::dedup::outlet(&u) {
                hosts.insert(h);
            }
        }
        Ok(hosts.len() as u32)
    }

    /// Columns of the export record, in the order `article_export_row` reads
    /// (search reads its own columns after them, from index 12).
    const EXPORT_COLUMNS: &'static str =
        "id, file, url, canonical_url, title, feed, published, fetched_at, language, words, story, access";

    fn article_export_row(r: &Row) -> rusqlite::Result<ExportRecord> {
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

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn article(id: u64) -> NewArticle {
        NewArticle {
            id,
            file: format!("{id:03}_00000000000000aa.txt"),
            url: Some(format!("https://example.org/{id}")),
            canonical_url: Some(format!("https://example.org/{id}")),
            title: "T".into(),
            feed: Some("f".into()),
            entry_key: Some(format!("k{id}")),
            published: None,
            fetched_at: None,
            language: None,
            author: None,
            site_name: None,
            method: None,
            words: 3,
            text_hash: [id as u8; 16],
            story: id,
            fingerprint: None,
            source: None,
            access: None,
        }
    }

    #[test]
    fn migrations_apply_once_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.db");
        Store::open(&p).unwrap();
        let s = Store::open(&p).unwrap();
        assert_eq!(s.counts().unwrap(), (0, 0, 0));
    }

    /// Two processes starting on a new database at once: the one that
    /// comes second must find the schema made, not make it again (it read
    /// `user_version` outside its transaction and failed with "table
    /// feeds already exists").
    #[test]
    fn a_migration_raced_by_another_process_is_not_applied_twice() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.db");
        // The other process: WAL (so our read goes through) and the write
        // lock held while we start.
        let mut other = Connection::open(&p).unwrap();
        other.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
        let tx = other
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        let p2 = p.clone();
        let ours = std::thread::spawn(move || Store::open(&p2).map(|_| ()));
        // Let ours read the version (0) and wait for the lock; had it not
        // got that far, the test would pass either way, never fail wrongly.
        std::thread::sleep(std::time::Duration::from_millis(300));
        for m in MIGRATIONS {
            tx.execute_batch(m).unwrap();
        }
        tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)
            .unwrap();
        tx.commit().unwrap();
        let opened = ours.join().unwrap();
        assert!(opened.is_ok(), "second open: {}", opened.unwrap_err());
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.db");
        Connection::open(&p)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        assert!(matches!(
            Store::open(&p),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn two_phase_article_marks_its_entry_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        let now = Utc::now();
        s.begin_article(&article(5), None).unwrap();
        assert_eq!(s.pending_articles().unwrap().len(), 1);
        assert_eq!(
            s.article_by_canonical_url("https://example.org/5").unwrap(),
            None
        );
        s.finish_article(5, now, &[], None).unwrap();
        assert!(s.pending_articles().unwrap().is_empty());
        assert_eq!(s.entry_state("f", "k5").unwrap(), Some(EntryState::Stored));
        assert_eq!(
            s.article_by_canonical_url("https://example.org/5").unwrap(),
            Some(5)
        );
        assert_eq!(s.max_article_id().unwrap(), Some(5));
        let capture = Capture {
            location: Location {
                file: "w.warc.gz".into(),
                offset: 100,
                length: 50,
            },
            request: Location {
                file: "w.warc.gz".into(),
                offset: 150,
                length: 30,
            },
            record_id: "<urn:uuid:x>".into(),
            target_uri: "https://example.org/6".into(),
            captured_at: now,
            status: 200,
            payload_digest: "sha1:X".into(),
            payload_length: 10,
            truncated: false,
        };
        s.begin_article(&article(6), Some(&capture)).unwrap();
        assert_eq!(s.archive_end("w.warc.gz").unwrap(), 180);
        s.abandon_article(6).unwrap();
        assert_eq!(s.max_article_id().unwrap(), Some(5));
        assert_eq!(s.capture_of(6).unwrap(), None);
        assert_eq!(s.archive_end("w.warc.gz").unwrap(), 0);
        s.begin_article(&article(7), Some(&capture)).unwrap();
        s.finish_article(7, now, &[], None).unwrap();
        let mut kept = capture.clone();
        kept.captured_at = parse_ts(Some(ts(now))).unwrap();
        assert_eq!(s.capture_of(7).unwrap(), Some(kept));
        assert_eq!(s.captured_articles(None).unwrap().len(), 1);
    }

    #[test]
    fn failed_entries_count_attempts() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        let now = Utc::now();
        for _ in 0..3 {
            s.record_entry(
                "f",
                "k",
                None,
                None,
                EntryState::Failed,
                None,
                Some("HTTP 500"),
                now,
            )
            .unwrap();
        }
        let attempts: u32 = s
            .conn
            .query_row("SELECT attempts FROM entries", [], |r| r.get(0))
            .unwrap();
        assert_eq!(attempts, 3);
        assert_eq!(s.entry_state("f", "k").unwrap(), Some(EntryState::Failed));
    }
}
