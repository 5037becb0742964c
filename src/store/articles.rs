//! Article rows: the two phases of a commit round (`begin_round`,
//! `finish_round`, `abandon_article`; `ARCHITECTURE.md`, "Durability: the
//! order of a commit"), corpus files imported, dedup fingerprints, duplicate
//! sightings and the texts `reextract --write` replaced.
//!
//! Part of the store (the only module that knows SQL); must not touch the
//! corpus directory (files are the caller's, through `corpus`) or the
//! network.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::db::{parse_ts, Store, StoreError};
use super::entries::EntryState;
use super::outbox::Outgoing;
use super::search;
use crate::model::{ts, Capture};

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

impl Store {
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
}
