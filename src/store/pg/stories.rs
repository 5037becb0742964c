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
        let rows = tx
            .query(
                "SELECT id, story, text_hash, canonical_url, fingerprint FROM articles
                 WHERE id > $1 AND state IN ('stored', 'imported') ORDER BY id",
                &[&(since.map_or(-1, |s| s as i64))],
            )
            .map_err(e)?;
        let known = rows
            .iter()
            .map(|r| Known {
                id: r.get::<_, i64>(0) as u64,
                story: r.get::<_, i64>(1) as u64,
                text_hash: r.get(2),
                canonical_url: r.get(3),
                fingerprint: r.get(4),
            })
            .collect();
        Ok((
            Decision {
                tx,
                shown: self.shown.clone(),
            },
            known,
        ))
    }
}

impl Decision<'_> {
    fn err(&self) -> impl Fn(postgres::Error) -> PgError + '_ {
        wrap(&self.shown)
    }

    /// A new article's number, unique across workers (its corpus file is
    /// named after it). A decision rolled back leaves a gap in the numbers.
    pub fn next_article_id(&mut self) -> Result<u64, PgError> {
        let id: i64 = self
            .tx
            .query_one("SELECT nextval('article_ids')", &[])
            .map_err(self.err())?
            .get(0);
        Ok(id as u64)
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
            .map_err(self.err())
            .map(drop)
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
            .map_err(self.err())
            .map(drop)
    }

    /// Makes the decision durable and lets the next decider in.
    pub fn commit(self) -> Result<(), PgError> {
        let e = wrap(&self.shown);
        self.tx.commit().map_err(e)
    }
}
