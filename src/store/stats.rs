//! Counts over the corpus for `tidings stats`: totals, articles per day,
//! per feed and per story.
//!
//! Part of the store (the only module that knows SQL); read-only, and must
//! not touch the corpus directory.

use serde::Serialize;

use super::db::{Store, StoreError};

/// Corpus-wide counts.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Totals {
    /// Articles in the corpus (fetched and imported).
    pub articles: u64,
    /// Of those, files imported from the directory (the seeds).
    pub imported: u64,
    /// Articles with neither a publication nor a fetch time (not in `per_day`).
    pub undated: u64,
    /// Stories: groups of articles on the same event.
    pub stories: u64,
    /// Duplicate sightings (copies recorded, not stored).
    pub duplicates: u64,
    /// Entries whose article did not match the topic query.
    pub offtopic: u64,
    /// Entries whose page held no article.
    pub no_article: u64,
    /// Entries whose page could not be fetched yet (retried).
    pub failed: u64,
}

/// Articles published (else fetched) on one day (UTC).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DayCount {
    pub day: String,
    pub articles: u64,
}

/// One feed's share; `feed` is null for imported files.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FeedCount {
    pub feed: Option<String>,
    pub articles: u64,
    pub duplicates: u64,
    pub offtopic: u64,
}

/// One story: its first article and how widely it was carried.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoryCount {
    pub story: u64,
    pub title: String,
    pub articles: u64,
    pub duplicates: u64,
}

impl Store {
    pub fn totals(&self) -> Result<Totals, StoreError> {
        self.conn
            .query_row(
                "SELECT
                   (SELECT COUNT(*) FROM articles WHERE state != 'pending'),
                   (SELECT COUNT(*) FROM articles WHERE state = 'imported'),
                   (SELECT COUNT(*) FROM articles WHERE state != 'pending' AND published IS NULL AND fetched_at IS NULL),
                   (SELECT COUNT(DISTINCT story) FROM articles WHERE state != 'pending'),
                   (SELECT COUNT(*) FROM sightings),
                   (SELECT COUNT(*) FROM entries WHERE state = 'offtopic'),
                   (SELECT COUNT(*) FROM entries WHERE state = 'no_article'),
                   (SELECT COUNT(*) FROM entries WHERE state = 'failed')",
                [],
                |r| {
                    Ok(Totals {
                        articles: r.get(0)?,
                        imported: r.get(1)?,
                        undated: r.get(2)?,
                        stories: r.get(3)?,
                        duplicates: r.get(4)?,
                        offtopic: r.get(5)?,
                        no_article: r.get(6)?,
                        failed: r.get(7)?,
                    })
                },
            )
            .map_err(self.err())
    }

    /// Articles per day, the latest `days` days that have any, newest first.
    pub fn articles_per_day(&self, days: usize) -> Result<Vec<DayCount>, StoreError> {
        self.query_all(
            "SELECT substr(COALESCE(published, fetched_at), 1, 10) AS day, COUNT(*) FROM articles
             WHERE state != 'pending' AND day IS NOT NULL GROUP BY day ORDER BY day DESC LIMIT ?1",
            [days.min(i64::MAX as usize) as i64],
            |r| {
                Ok(DayCount {
                    day: r.get(0)?,
                    articles: r.get(1)?,
                })
            },
        )
    }

    /// Every feed's articles, duplicate sightings and off-topic entries,
    /// most articles first.
    pub fn per_feed(&self) -> Result<Vec<FeedCount>, StoreError> {
        self.query_all(
            // One pass over each table, grouped, then joined by feed (a
            // correlated count per feed would rescan them per feed).
            "WITH a AS (SELECT feed, COUNT(*) AS n FROM articles WHERE state != 'pending' GROUP BY feed),
                  s AS (SELECT feed, COUNT(*) AS n FROM sightings GROUP BY feed),
                  e AS (SELECT feed, COUNT(*) AS n FROM entries WHERE state = 'offtopic' GROUP BY feed),
                  names AS (SELECT feed FROM a UNION SELECT feed FROM s UNION SELECT feed FROM e)
             SELECT names.feed, COALESCE(a.n, 0) AS articles, COALESCE(s.n, 0), COALESCE(e.n, 0)
             FROM names LEFT JOIN a ON a.feed IS names.feed LEFT JOIN s ON s.feed IS names.feed
               LEFT JOIN e ON e.feed IS names.feed
             ORDER BY articles DESC, names.feed",
            [],
            |r| {
                Ok(FeedCount {
                    feed: r.get(0)?,
                    articles: r.get(1)?,
                    duplicates: r.get(2)?,
                    offtopic: r.get(3)?,
                })
            },
        )
    }

    /// The `top` stories carried most widely (articles and sightings),
    /// with their first article's headline.
    pub fn top_stories(&self, top: usize) -> Result<Vec<StoryCount>, StoreError> {
        self.query_all(
            "WITH arts AS (SELECT story, COUNT(*) AS n FROM articles WHERE state != 'pending' GROUP BY story),
                  dups AS (SELECT a.story, COUNT(*) AS n FROM sightings s JOIN articles a ON a.id = s.article
                           GROUP BY a.story)
             SELECT arts.story, COALESCE(f.title, ''), arts.n, COALESCE(dups.n, 0) AS d
             FROM arts LEFT JOIN dups ON dups.story = arts.story LEFT JOIN articles f ON f.id = arts.story
             ORDER BY arts.n + d DESC, arts.story LIMIT ?1",
            [top.min(i64::MAX as usize) as i64],
            |r| {
                Ok(StoryCount {
                    story: r.get(0)?,
                    title: r.get(1)?,
                    articles: r.get(2)?,
                    duplicates: r.get(3)?,
                })
            },
        )
    }
}
