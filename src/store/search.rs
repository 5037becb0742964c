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

const LONE_NOT: &str =
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fts(q: &str) -> Result<String, StoreError> {
        fts5_query(&Query::parse(q).unwrap())
    }

    #[test]
    fn topic_syntax_renders_as_quoted_fts5() {
        assert_eq!(fts("gay").unwrap(), "\"gay\"");
        assert_eq!(fts("chechen*").unwrap(), "\"chechen\"*");
        assert_eq!(
            fts("\"sexual orientation\" OR lgbt*").unwrap(),
            "(\"sexual orientation\" OR \"lgbt\"*)"
        );
        assert_eq!(
            fts("(chechnya OR chechen*) AND gay").unwrap(),
            "((\"chechnya\" OR \"chechen\"*) AND \"gay\")"
        );
        // Operators FTS5 knows but the topic language does not are words.
        assert_eq!(fts("near body").unwrap(), "(\"near\" AND \"body\")");
    }

    #[test]
    fn not_becomes_binary_and_a_lone_not_is_refused() {
        assert_eq!(
            fts("gay NOT football NOT rugby").unwrap(),
            "(\"gay\") NOT \"football\" NOT \"rugby\""
        );
        assert_eq!(fts("gay NOT NOT lgbt").unwrap(), "(\"gay\" AND \"lgbt\")");
        for q in ["NOT football", "gay AND (NOT a OR b)", "NOT a NOT b"] {
            let e = fts(q).unwrap_err().to_string();
            assert!(e.contains("NOT must follow"), "{q}: {e}");
        }
    }

    fn store_with(texts: &[(u64, &str, &str, Option<&str>)]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        for (id, title, body, feed) in texts {
            let mut a = super::super::tests::article(*id);
            a.title = title.to_string();
            a.feed = feed.map(str::to_string);
            a.published = Some(
                DateTime::parse_from_rfc3339(&format!("2026-11-{:02}T12:00:00Z", id))
                    .unwrap()
                    .with_timezone(&Utc),
            );
            s.begin_article(&a, None).unwrap();
            s.finish_article(*id, Utc::now(), &[], Some(&format!("{title}\n\n{body}")))
                .unwrap();
        }
        (dir, s)
    }

    fn ids(hits: &[SearchHit]) -> Vec<u64> {
        hits.iter().map(|h| h.record.id.unwrap()).collect()
    }

    #[test]
    fn search_ranks_highlights_and_filters() {
        let (_d, s) = store_with(&[
            (
                1,
                "Weather",
                "Rain in Grozny. Nothing about people.",
                Some("a"),
            ),
            (
                2,
                "Chechnya purge",
                "Gay men detained in Chechnya.",
                Some("b"),
            ),
            (
                3,
                "Sport",
                "Football in Chechnya, and one gay fan.",
                Some("a"),
            ),
        ]);
        let opts = |filter| SearchOptions {
            filter,
            limit: 10,
            marks: ("[", "]"),
        };
        let q = Query::parse("chechnya gay").unwrap();
        let hits = s.search(&q, &opts(ArticleFilter::default())).unwrap();
        assert_eq!(ids(&hits), [2, 3], "the headline match ranks first");
        assert_eq!(hits[0].title_marked, "[Chechnya] purge");
        assert!(hits[0].snippet.contains("[Gay]"), "{}", hits[0].snippet);
        assert!(hits[0].score > hits[1].score);
        let feed_a = ArticleFilter {
            feed: Some("a".into()),
            ..Default::default()
        };
        assert_eq!(ids(&s.search(&q, &opts(feed_a)).unwrap()), [3]);
        let day = |d: u32| {
            DateTime::parse_from_rfc3339(&format!("2026-11-{d:02}T00:00:00Z"))
                .unwrap()
                .with_timezone(&Utc)
        };
        let since3 = ArticleFilter {
            since: Some(day(3)),
            ..Default::default()
        };
        assert_eq!(ids(&s.search(&q, &opts(since3)).unwrap()), [3]);
        let before3 = ArticleFilter {
            before: Some(day(3)),
            ..Default::default()
        };
        assert_eq!(ids(&s.search(&q, &opts(before3)).unwrap()), [2]);
        let accents = Query::parse("GROZNÝ").unwrap();
        assert_eq!(
            ids(&s.search(&accents, &opts(ArticleFilter::default())).unwrap()),
            [1]
        );
        let prefix = Query::parse("chech* NOT football").unwrap();
        assert_eq!(
            ids(&s.search(&prefix, &opts(ArticleFilter::default())).unwrap()),
            [2]
        );
    }

    #[test]
    fn unindexed_articles_are_found_and_indexed() {
        let (_d, mut s) = store_with(&[(1, "Indexed", "body", None)]);
        let mut a = super::super::tests::article(2);
        a.title = "Later".into();
        s.begin_article(&a, None).unwrap();
        assert!(s.unindexed_articles().unwrap().is_empty(), "pending is not");
        s.finish_article(2, Utc::now(), &[], None).unwrap();
        assert_eq!(s.unindexed_count().unwrap(), 1);
        assert_eq!(
            s.unindexed_articles().unwrap(),
            [(2, "002_00000000000000aa.txt".to_string())]
        );
        s.index_texts(&[(2, "Later\n\nwords here")]).unwrap();
        assert!(s.unindexed_articles().unwrap().is_empty());
        assert_eq!(s.unindexed_count().unwrap(), 0);
        let q = Query::parse("words").unwrap();
        let opts = SearchOptions {
            filter: ArticleFilter::default(),
            limit: 5,
            marks: ("", ""),
        };
        assert_eq!(ids(&s.search(&q, &opts).unwrap()), [2]);
    }

    #[test]
    fn reextract_write_reindexes_the_new_text() {
        let (_d, mut s) = store_with(&[(1, "Grozny report", "old words", None)]);
        let opts = SearchOptions {
            filter: ArticleFilter::default(),
            limit: 5,
            marks: ("", ""),
        };
        let find = |s: &Store, q: &str| ids(&s.search(&Query::parse(q).unwrap(), &opts).unwrap());
        assert_eq!(find(&s, "old"), [1]);
        let rewrite = super::super::articles::Rewrite {
            original: "Grozny report\n\nold words",
            title: "Grozny report",
            text: "Grozny report\n\nfresh paragraph",
            words: 4,
            text_hash: [0; 16],
        };
        s.record_reextract(1, &rewrite, Utc::now()).unwrap();
        assert!(find(&s, "old").is_empty(), "the replaced text is gone");
        assert_eq!(find(&s, "fresh"), [1]);
    }
}
