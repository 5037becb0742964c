//! One decision per story across workers: new article, or a copy of one.
//!
//! Each worker keeps its own dedup index in memory. Two workers meeting
//! copies of one article at once would each find nothing in their own
//! index and both store it. So the decision is made in a `Decision`: a
//! transaction holding a fleet-wide advisory lock, opened with the
//! articles other workers stored since this worker last looked, for its
//! index to catch up on before it decides. The lock is held for the
//! decision and its rows only (no fetching, no file writing inside it).
//! Article numbers are drawn inside the decision, so ids grow in the order
//! decisions commit and "stored after id N" is a complete catch-up; any
//! other path that adds articles must draw its ids under the same lock.
//! Must not decide what is a copy (that is `dedup`, in the caller).

use postgres::Transaction;

use super::client::{wrap, PgError, PgStore};
use crate::model::ts;
use crate::store::articles::{NewArticle, Sighting};
use crate::store::entries::EntryState;

/// The advisory lock key for story decisions.
const STORY_LOCK: i64 = 0x7469_6469_6e67_7302;

/// An article stored by any worker, as a dedup index needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub id: u64,
    pub story: u64,
    pub text_hash: Vec<u8>,
    pub canonical_url: Option<String>,
    pub fingerprint: Option<Vec<u8>>,
    /// The outlet its boilerplate is learnt under, and its publication
    /// date (`DocMeta`).
    pub source: Option<String>,
    pub published: Option<String>,
    /// The text, only when there is no fingerprint to index it by.
    pub text: Option<String>,
}

const KNOWN: &str = "SELECT id, story, text_hash, canonical_url, fingerprint, source, published,
         CASE WHEN fingerprint IS NULL THEN text END
     FROM articles WHERE id > $1 AND state IN ('stored', 'imported') ORDER BY id";

fn known(rows: &[postgres::Row]) -> Vec<Known> {
    rows.iter()
        .map(|r| Known {
            id: r.get::<_, i64>(0) as u64,
            story: r.get::<_, i64>(1) as u64,
            text_hash: r.get(2),
            canonical_url: r.get(3),
            fingerprint: r.get(4),
            source: r.get(5),
            published: r.get(6),
            text: r.get(7),
        })
        .collect()
}

fn since_param(since: Option<u64>) -> i64 {
    since.map_or(-1, |s| s as i64)
}

/// A story decision in progress: the fleet's other deciders wait until it
/// is committed or dropped (dropping rolls it back).
pub struct Decision<'a> {
    tx: Transaction<'a>,
    shown: String,
}

impl PgStore {
    /// Opens a decision: waits for the story lock, then returns the articles
    /// stored after `since` (an id this worker has seen everything up to; None: all),
    /// in id order.
    pub fn begin_decision(
        &mut self,
        since: Option<u64>,
    ) -> Result<(Decision<'_>, Vec<Known>), PgError> {
        let e = wrap(&self.shown);
        let mut tx = self.client.transaction().map_err(e)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&STORY_LOCK])
            .map_err(e)?;
        let rows = tx.query(KNOWN, &[&since_param(since)]).map_err(e)?;
        let known = known(&rows);
        Ok((
            Decision {
                tx,
                shown: self.shown.clone(),
            },
            known,
        ))
    }
}

impl PgStore {
    /// The articles stored after `since` (None: all), in id order, without
    /// waiting for the story lock: what a worker's dedup index starts from.
    /// A decision catches up on whatever lands after.
    pub fn known_articles(&mut self, since: Option<u64>) -> Result<Vec<Known>, PgError> {
        let rows = self
            .client
            .query(KNOWN, &[&since_param(since)])
            .map_err(self.err())?;
        Ok(known(&rows))
    }

    /// How many outlets carry a story: its articles and their sightings.
    pub fn story_outlets(&mut self, story: u64) -> Result<u32, PgError> {
        let rows = self
            .client
            .query(
                "SELECT url FROM articles WHERE story = $1 AND url IS NOT NULL
                 UNION ALL
                 SELECT s.url FROM sightings s JOIN articles a ON a.id = s.article
                 WHERE a.story = $1 AND s.url IS NOT NULL",
                &[&(story as i64)],
            )
            .map_err(self.err())?;
        let urls: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        Ok(crate::store::records::count_outlets(&urls))
    }

    /// The story an article belongs to (outside any decision).
    pub fn story_of(&mut self, id: u64) -> Result<Option<u64>, PgError> {
        let row = self
            .client
            .query_opt("SELECT story FROM articles WHERE id = $1", &[&(id as i64)])
            .map_err(self.err())?;
        Ok(row.map(|r| r.get::<_, i64>(0) as u64))
    }
}

impl Decision<'_> {
    fn err(&self) -> impl Fn(postgres::Error) -> PgError + '_ {
        wrap(&self.shown)
    }

    /// The number the next new article takes, without spending it: a
    /// round numbers its articles from here, one after another, and
    /// [`Decision::spend_ids`] moves the sequence past them. Safe because
    /// every path that draws numbers does so under the story lock.
    pub fn peek_next_id(&mut self) -> Result<u64, PgError> {
        let r = self
            .tx
            .query_one("SELECT last_value, is_called FROM article_ids", &[])
            .map_err(self.err())?;
        let (last, called): (i64, bool) = (r.get(0), r.get(1));
        Ok(if called { last + 1 } else { last }.max(0) as u64)
    }

    /// Marks the numbers up to `last` spent.
    pub fn spend_ids(&mut self, last: u64) -> Result<(), PgError> {
        self.tx
            .execute("SELECT setval('article_ids', $1, true)", &[&(last as i64)])
            .map(drop)
            .map_err(self.err())
    }

    /// The stored article with this canonical URL, if any.
    pub fn article_by_canonical_url(&mut self, canonical: &str) -> Result<Option<u64>, PgError> {
        let row = self
            .tx
            .query_opt(
                "SELECT id FROM articles WHERE canonical_url = $1 AND state <> 'pending'
                 ORDER BY id LIMIT 1",
                &[&canonical],
            )
            .map_err(self.err())?;
        Ok(row.map(|r| r.get::<_, i64>(0) as u64))
    }

    /// The story an article belongs to.
    pub fn story_of(&mut self, id: u64) -> Result<Option<u64>, PgError> {
        let row = self
            .tx
            .query_opt("SELECT story FROM articles WHERE id = $1", &[&(id as i64)])
            .map_err(self.err())?;
        Ok(row.map(|r| r.get::<_, i64>(0) as u64))
    }

    /// Queues alerts with the decision: they exist if and only if their
    /// article does.
    pub fn enqueue(
        &mut self,
        alerts: &[crate::store::outbox::Outgoing],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), PgError> {
        for a in alerts {
            self.tx
                .execute(
                    super::alerts::ENQUEUE,
                    &[&a.sink, &a.event, &a.key, &a.payload, &now],
                )
                .map_err(self.err())?;
        }
        Ok(())
    }

    /// Stores a new article with its corpus file's text (in PostgreSQL mode
    /// the database holds it; the files are written from it).
    pub fn store_article(&mut self, a: &NewArticle, text: &str) -> Result<(), PgError> {
        let published = a.published.map(ts);
        self.tx
            .execute(
                "INSERT INTO articles (id, file, state, url, canonical_url, title, feed, entry_key,
                     published, fetched_at, language, author, site_name, method, words, text_hash,
                     story, fingerprint, source, access, text)
                 VALUES ($1, $2, 'stored', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                     $15, $16, $17, $18, $19, $20)",
                &[
                    &(a.id as i64),
                    &a.file,
                    &a.url,
                    &a.canonical_url,
                    &a.title,
                    &a.feed,
                    &a.entry_key,
                    &published,
                    &a.fetched_at,
                    &a.language,
                    &a.author,
                    &a.site_name,
                    &a.method,
                    &(a.words as i32),
                    &a.text_hash.as_slice(),
                    &(a.story as i64),
                    &a.fingerprint,
                    &a.source,
                    &a.access,
                    &text,
                ],
            )
            .map_err(self.err())?;
        // The entry is stored with its article, as SQLite's commit does:
        // its next poll skips it before fetching its page.
        if let (Some(feed), Some(key)) = (&a.feed, &a.entry_key) {
            self.entry(
                feed,
                key,
                a.url.as_deref(),
                Some(&a.title),
                EntryState::Stored,
                a.id,
                a.fetched_at,
            )?;
        }
        Ok(())
    }

    /// An entry's state, in the decision's transaction.
    #[allow(clippy::too_many_arguments)]
    fn entry(
        &mut self,
        feed: &str,
        key: &str,
        link: Option<&str>,
        title: Option<&str>,
        state: EntryState,
        article: u64,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), PgError> {
        let at = at.unwrap_or_else(chrono::Utc::now);
        let error: Option<&str> = None;
        self.tx
            .execute(
                super::entries::UPSERT_ENTRY,
                &[
                    &feed,
                    &key,
                    &link,
                    &title,
                    &at,
                    &state.as_str(),
                    &(article as i64),
                    &error,
                ],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// Records a copy of a stored article.
    pub fn record_sighting(&mut self, s: &Sighting) -> Result<(), PgError> {
        let published = s.published.map(ts);
        self.tx
            .execute(
                "INSERT INTO sightings (article, url, canonical_url, feed, entry_key, title,
                     published, seen_at, reason, score, longer, newer)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                &[
                    &(s.article as i64),
                    &s.url,
                    &s.canonical_url,
                    &s.feed,
                    &s.entry_key,
                    &s.title,
                    &published,
                    &s.seen_at,
                    &s.reason,
                    &s.score,
                    &s.longer,
                    &s.newer,
                ],
            )
            .map_err(self.err())?;
        self.entry(
            &s.feed,
            &s.entry_key,
            s.url.as_deref(),
            s.title.as_deref(),
            EntryState::Duplicate,
            s.article,
            Some(s.seen_at),
        )
    }

    /// Makes the decision durable and lets the next decider in.
    pub fn commit(self) -> Result<(), PgError> {
        let e = wrap(&self.shown);
        self.tx.commit().map_err(e)
    }
}
