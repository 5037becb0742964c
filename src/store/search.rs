//! The full-text index (`article_text`, SQLite FTS5) and the filters that
//! `search` and `export` share: which articles, by feed, date and story.
//!
//! Part of the store (the only module that knows SQL); must not read the
//! corpus directory: the text to index comes in as an argument. The user's
//! query arrives parsed by `topic` and is rendered here into FTS5's own
//! syntax, so that FTS5 never sees raw user input and its syntax errors
//! cannot reach the user.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter};
use serde::Serialize;

use super::db::{Store, StoreError};
use crate::model::{ts, ExportRecord};
use crate::topic::{Expr, Query};

/// Which articles a command is about. Every field narrows; `None` is all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleFilter {
    /// The feed's name.
    pub feed: Option<String>,
    /// Published (else fetched) at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Published (else fetched) before this instant.
    pub before: Option<DateTime<Utc>>,
    /// In this story (the id of its first article).
    pub story: Option<u64>,
    /// Stored (fetched; a sighting: seen) at or after this instant,
    /// whatever its publication date: what a backfill brought in.
    pub stored_since: Option<DateTime<Utc>>,
}

impl ArticleFilter {
    /// SQL conditions (joined by AND, `1` when empty) and their values,
    /// over the columns named by `cols`: (feed, date, story, stored).
    fn sql(&self, cols: (&str, &str, &str, &str)) -> (String, Vec<Value>) {
        let (feed, date, story, stored) = cols;
        let mut conds = vec!["1".to_string()];
        let mut values = Vec::new();
        if let Some(f) = &self.feed {
            values.push(Value::Text(f.clone()));
            conds.push(format!("{feed} = ?{}", values.len()));
        }
        if let Some(t) = self.since {
            values.push(Value::Text(ts(t)));
            conds.push(format!("{date} >= ?{}", values.len()));
        }
        if let Some(t) = self.before {
            values.push(Value::Text(ts(t)));
            conds.push(format!("{date} < ?{}", values.len()));
        }
        if let Some(s) = self.story {
            values.push(Value::Integer(s as i64));
            conds.push(format!("{story} = ?{}", values.len()));
        }
        if let Some(t) = self.stored_since {
            values.push(Value::Text(ts(t)));
            conds.push(format!("{stored} >= ?{}", values.len()));
        }
        (conds.join(" AND "), values)
    }
}

/// One search result: the article's export record, its headline and a
/// passage of its body with the matched words between the markers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchHit {
    #[serde(flatten)]
    pub record: ExportRecord,
    /// Higher is better (FTS5's bm25, negated).
    pub score: f64,
    pub title_marked: String,
    pub snippet: String,
}

/// What a search asks beyond the query.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOptions<'a> {
    pub filter: ArticleFilter,
    pub limit: usize,
    /// Put around each matched word.
    pub marks: (&'a str, &'a str),
}

/// A word of the headline weighs this many of the body: a headline names
/// what the article is about.
const TITLE_WEIGHT: f64 = 4.0;
/// Tokens in a snippet.
const SNIPPET_TOKENS: i64 = 24;

/// Renders a parsed query in FTS5's query syntax. Every word and phrase is
/// quoted (so no word can be read as an FTS5 operator or column name);
/// FTS5's NOT is binary ("this but not that"), so a NOT must stand beside
/// something it excludes from.
pub fn fts5_query(query: &Query) -> Result<String, StoreError> {
    render(query.expr()).map_err(|message| StoreError::Query {
        query: query.as_str().to_string(),
        message,
    })
}

pub(super) const LONE_NOT: &str =
    "NOT must follow what it excludes from (as in 'gay NOT football'): the index cannot list every article but some";

fn render(e: &Expr) -> Result<String, String> {
    match e {
        Expr::Phrase { words, prefix } => Ok(format!(
            "\"{}\"{}",
            words.join(" "),
            if *prefix { "*" } else { "" }
        )),
        Expr::Not(_) => Err(LONE_NOT.into()),
        Expr::Or(parts) => {
            let rendered: Result<Vec<_>, _> = parts.iter().map(render).collect();
            Ok(format!("({})", rendered?.join(" OR ")))
        }
        Expr::And(parts) => {
            let (mut keep, mut drop) = (Vec::new(), Vec::new());
            for p in parts {
                match p {
                    Expr::Not(inner) => match inner.as_ref() {
                        // NOT NOT x is x.
                        Expr::Not(x) => keep.push(render(x)?),
                        x => drop.push(render(x)?),
                    },
                    p => keep.push(render(p)?),
                }
            }
            if keep.is_empty() {
                return Err(LONE_NOT.into());
            }
            let mut out = format!("({})", keep.join(" AND "));
            for d in drop {
                out.push_str(&format!(" NOT {d}"));
            }
            Ok(out)
        }
    }
}

impl Store {
    /// Articles (not pending) that have no row in the full-text index yet:
    /// (id, file).
    pub fn unindexed_articles(&self) -> Result<Vec<(u64, String)>, StoreError> {
        self.query_all(
            "SELECT id, file FROM articles a WHERE state != 'pending'
             AND NOT EXISTS (SELECT 1 FROM article_text t WHERE t.rowid = a.id) ORDER BY id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// How many articles (not pending) the full-text index lacks: what a
    /// search cannot find until the writer indexes them.
    pub fn unindexed_count(&self) -> Result<u64, StoreError> {
        Ok(self
            .query_one(
                "SELECT COUNT(*) FROM articles a WHERE state != 'pending'
                 AND NOT EXISTS (SELECT 1 FROM article_text t WHERE t.rowid = a.id)",
                [],
            )?
            .unwrap_or(0))
    }

    /// Indexes articles' corpus text (id, text) in one transaction,
    /// replacing any row they had.
    pub fn index_texts(&mut self, texts: &[(u64, &str)]) -> Result<(), StoreError> {
        self.transaction(|tx| {
            for (id, text) in texts {
                index_text_in(tx, *id, text)?;
            }
            Ok(())
        })
    }

    /// Full-text search, best first.
    pub fn search(
        &self,
        query: &Query,
        opts: &SearchOptions,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let fts = fts5_query(query)?;
        let (cond, mut values) = opts.filter.sql((
            "a.feed",
            "COALESCE(a.published, a.fetched_at)",
            "a.story",
            "a.fetched_at",
        ));
        let n = values.len();
        values.push(Value::Text(fts.clone()));
        values.push(Value::Text(opts.marks.0.to_string()));
        values.push(Value::Text(opts.marks.1.to_string()));
        values.push(Value::Integer(opts.limit.min(i64::MAX as usize) as i64));
        let sql = format!(
            "SELECT {cols}, bm25(article_text, {TITLE_WEIGHT}, 1.0),
                highlight(article_text, 0, ?{m1}, ?{m2}),
                snippet(article_text, 1, ?{m1}, ?{m2}, '…', {SNIPPET_TOKENS})
             FROM article_text JOIN articles a ON a.id = article_text.rowid
             WHERE article_text MATCH ?{q} AND a.state != 'pending' AND {cond}
             ORDER BY bm25(article_text, {TITLE_WEIGHT}, 1.0), a.id LIMIT ?{limit}",
            cols = Store::EXPORT_COLUMNS
                .split(", ")
                .map(|c| format!("a.{c}"))
                .collect::<Vec<_>>()
                .join(", "),
            q = n + 1,
            m1 = n + 2,
            m2 = n + 3,
            limit = n + 4,
        );
        let result = self.query_all(&sql, params_from_iter(values), |r| {
            Ok(SearchHit {
                record: Store::article_export_row(r)?,
                score: -r.get::<_, f64>(12)?,
                title_marked: r.get(13)?,
                // Paragraphs are indexed one per line; a passage is one line.
                snippet: r.get::<_, String>(14)?.replace('\n', " "),
            })
        });
        // The query was rendered by us, so FTS5 should accept it; if it
        // does not, the user hears about their query, not about SQL.
        result.map_err(|e| match e {
            StoreError::Sqlite { source, .. } if source.to_string().contains("fts5") => {
                StoreError::Query {
                    query: query.as_str().to_string(),
                    message: source.to_string(),
                }
            }
            e => e,
        })
    }

    /// The export records `filter` selects: corpus articles in order, then
    /// (when asked) duplicate sightings, which are selected by their own
    /// feed and date and by their article's story.
    pub fn export_filtered(
        &self,
        filter: &ArticleFilter,
        duplicates: bool,
    ) -> Result<Vec<ExportRecord>, StoreError> {
        let (cond, values) = filter.sql((
            "feed",
            "COALESCE(published, fetched_at)",
            "story",
            "fetched_at",
        ));
        let mut out = self.query_all(
            &format!(
                "SELECT {} FROM articles WHERE state != 'pending' AND {cond} ORDER BY id",
                Store::EXPORT_COLUMNS
            ),
            params_from_iter(values),
            Store::article_export_row,
        )?;
        if duplicates {
            let (cond, values) = filter.sql((
                "s.feed",
                "COALESCE(s.published, s.seen_at)",
                "a.story",
                "s.seen_at",
            ));
            out.extend(self.query_all(
                &format!(
                    "SELECT s.url, s.canonical_url, COALESCE(s.title, a.title), s.feed, s.published, s.seen_at,
                     a.language, a.words, s.article, a.story
                     FROM sightings s JOIN articles a ON a.id = s.article WHERE {cond} ORDER BY s.id"
                ),
                params_from_iter(values),
                |r| {
                    let url: Option<String> = r.get(0)?;
                    let canonical: Option<String> = r.get(1)?;
                    Ok(ExportRecord {
                        id: None,
                        file: None,
                        canonical_url: canonical
                            .map(|c| crate::dedup::served_canonical(&c, url.as_deref())),
                        url,
                        title: r.get(2)?,
                        feed: r.get(3)?,
                        published: r.get(4)?,
                        fetched_at: r.get(5)?,
                        language: r.get(6)?,
                        words: r.get(7)?,
                        duplicate_of: Some(r.get(8)?),
                        story: r.get(9)?,
                        access: None,
                    })
                },
            )?);
        }
        Ok(out)
    }

    /// Every feed name the database knows (configured now or once).
    pub fn feed_names(&self) -> Result<Vec<String>, StoreError> {
        self.query_all(
            "SELECT name FROM feeds UNION SELECT feed FROM articles WHERE feed IS NOT NULL ORDER BY 1",
            [],
            |r| r.get(0),
        )
    }

    /// Whether a story of this id exists.
    pub fn story_exists(&self, story: u64) -> Result<bool, StoreError> {
        Ok(self
            .query_one::<i64>("SELECT 1 FROM articles WHERE story = ?1 LIMIT 1", [story])?
            .is_some())
    }
}

/// Indexes one article's corpus text (headline, then paragraphs) inside a
/// caller's transaction.
pub(super) fn index_text_in(
    conn: &rusqlite::Connection,
    id: u64,
    text: &str,
) -> rusqlite::Result<()> {
    let (title, paragraphs) = crate::normalize::split(text);
    let body = paragraphs.join("\n");
    conn.execute("DELETE FROM article_text WHERE rowid = ?1", [id])?;
    conn.execute(
        "INSERT INTO article_text (rowid, title, body) VALUES (?1, ?2, ?3)",
        params![id, title, body],
    )?;
    Ok(())
}
