//! Full-text search on PostgreSQL: the topic query rendered as a
//! `tsquery`, matched against `articles.search` (the headline weighted A,
//! the whole text B, the `simple` configuration; a generated column with a
//! GIN index, so every article is searchable as soon as it is committed).
//!
//! It answers what SQLite mode's FTS5 answers, as far as the two engines
//! agree: the same articles for a query of plain words, prefixes, phrases
//! and AND/OR/NOT (a NOT must stand beside what it excludes from, as in
//! SQLite mode), the same export records. What differs, by design of the
//! engines: the order and `score` (`ts_rank` with the headline weighing
//! four times the body and a length normalisation, not bm25), the marked
//! passage (`ts_headline`, not FTS5's snippet, and without "…"), and
//! accents: `simple` keeps them, so a query word (folded by the topic
//! parser) does not find an accented word of the text. The user's words
//! reach PostgreSQL only quoted inside the tsquery, never as syntax.
//! Must not touch files.

use super::client::{PgError, PgStore};
use super::records::{export_columns, export_row, filter_sql, refs, ts_sql, Params};
use crate::store::search::{SearchHit, SearchOptions, LONE_NOT};
use crate::topic::{Expr, Query};

/// Why a search found nothing to say.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// A query the search cannot answer (said to the user as theirs).
    #[error("search query {query}: {message}")]
    Query { query: String, message: String },
    #[error(transparent)]
    Db(#[from] PgError),
}

/// Rank weights of D, C, B, A: the headline (A) weighs four times the
/// text (B), as in SQLite mode's bm25.
const WEIGHTS: &str = "'{0.1, 0.2, 0.25, 1.0}'::float4[]";
/// `ts_rank`'s normalisation 1: divided by 1 + the log of the length, so a
/// long article does not win by length alone.
const NORMALISATION: i32 = 1;
/// Words in a passage (FTS5's snippet takes 24 tokens).
const PASSAGE_WORDS: u32 = 24;

/// Renders a parsed query as `to_tsquery` input: every word single-quoted
/// (so no word is read as an operator), phrases with `<->`, a prefix with
/// `:*`.
pub fn tsquery(query: &Query) -> Result<String, SearchError> {
    render(query.expr()).map_err(|message| SearchError::Query {
        query: query.as_str().to_string(),
        message,
    })
}

fn quoted(word: &str) -> String {
    let escaped = word.replace('\\', "\\\\").replace('\'', "\\'");
    format!("'{escaped}'")
}

fn render(e: &Expr) -> Result<String, String> {
    match e {
        Expr::Phrase { words, prefix } => {
            let mut parts: Vec<String> = words.iter().map(|w| quoted(w)).collect();
            if *prefix {
                if let Some(last) = parts.last_mut() {
                    last.push_str(":*");
                }
            }
            Ok(format!("({})", parts.join(" <-> ")))
        }
        // As in SQLite mode: a NOT alone would list every article but some.
        Expr::Not(_) => Err(LONE_NOT.into()),
        Expr::Or(parts) => {
            let rendered: Result<Vec<_>, _> = parts.iter().map(render).collect();
            Ok(format!("({})", rendered?.join(" | ")))
        }
        Expr::And(parts) => {
            let (mut keep, mut drop) = (Vec::new(), Vec::new());
            for p in parts {
                match p {
                    Expr::Not(inner) => match inner.as_ref() {
                        Expr::Not(x) => keep.push(render(x)?),
                        x => drop.push(format!("!{}", render(x)?)),
                    },
                    p => keep.push(render(p)?),
                }
            }
            if keep.is_empty() {
                return Err(LONE_NOT.into());
            }
            keep.extend(drop);
            Ok(format!("({})", keep.join(" & ")))
        }
    }
}

/// `ts_headline` options: the marks double-quoted (a quote doubled).
fn headline_options(marks: (&str, &str), rest: &str) -> String {
    let q = |m: &str| format!("\"{}\"", m.replace('"', "\"\""));
    format!("StartSel={}, StopSel={}, {rest}", q(marks.0), q(marks.1))
}

impl PgStore {
    /// Full-text search, best first (then by number).
    pub fn search(
        &mut self,
        query: &Query,
        opts: &SearchOptions,
    ) -> Result<Vec<SearchHit>, SearchError> {
        let tsq = tsquery(query)?;
        let mut params = Params::new();
        let fetched = ts_sql("a.fetched_at");
        let cond = filter_sql(
            &opts.filter,
            (
                "a.feed",
                &format!("COALESCE(a.published, {fetched})"),
                "a.story",
                &fetched,
            ),
            &mut params,
        );
        let n = params.len();
        params.push(Box::new(tsq));
        params.push(Box::new(opts.limit.min(i64::MAX as usize) as i64));
        params.push(Box::new(headline_options(opts.marks, "HighlightAll=true")));
        params.push(Box::new(headline_options(
            opts.marks,
            &format!(
                "MaxWords={PASSAGE_WORDS}, MinWords={}, ShortWord=0",
                PASSAGE_WORDS / 2
            ),
        )));
        // The headlines are made for the page of hits only.
        let sql = format!(
            "WITH q AS (SELECT to_tsquery('simple', ${q}) AS q),
             hits AS (
                 SELECT a.id, ts_rank({WEIGHTS}, a.search, q.q, {NORMALISATION}) AS rank
                 FROM articles a, q
                 WHERE a.search @@ q.q AND a.state != 'pending' AND {cond}
                 ORDER BY rank DESC, a.id LIMIT ${limit})
             SELECT {cols}, hits.rank,
                 ts_headline('simple', a.title, q.q, ${title}),
                 ts_headline('simple', regexp_replace(a.text, '^[^\\n]*\\n', ''), q.q, ${passage})
             FROM hits JOIN articles a ON a.id = hits.id, q
             ORDER BY hits.rank DESC, a.id",
            q = n + 1,
            limit = n + 2,
            title = n + 3,
            passage = n + 4,
            cols = export_columns(),
        );
        let rows = self
            .client
            .query(&sql, &refs(&params))
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| SearchHit {
                record: export_row(r),
                score: r.get::<_, f32>(12) as f64,
                title_marked: r.get(13),
                // A passage is one line, as in SQLite mode.
                snippet: r
                    .get::<_, String>(14)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(q: &str) -> Result<String, String> {
        tsquery(&Query::parse(q).unwrap()).map_err(|e| e.to_string())
    }

    #[test]
    fn words_are_quoted_and_operators_are_ours() {
        assert_eq!(rendered("chechnya").unwrap(), "('chechnya')");
        assert_eq!(
            rendered("\"sexual orientation\" AND (chechnya OR chechen*)").unwrap(),
            "(('sexual' <-> 'orientation') & (('chechnya') | ('chechen':*)))"
        );
        assert_eq!(
            rendered("gay NOT football").unwrap(),
            "(('gay') & !('football'))"
        );
        // Folded by the topic parser, as SQLite mode's query is.
        assert_eq!(rendered("Čečnja").unwrap(), "('cecnja')");
    }

    #[test]
    fn a_lone_not_is_refused_as_in_sqlite_mode() {
        let e = rendered("NOT football").unwrap_err();
        assert!(e.contains("NOT must follow what it excludes from"), "{e}");
    }

    #[test]
    fn marks_are_quoted_for_ts_headline() {
        assert_eq!(
            headline_options(("\x1b[1;33m", "\x1b[0m"), "HighlightAll=true"),
            "StartSel=\"\x1b[1;33m\", StopSel=\"\x1b[0m\", HighlightAll=true"
        );
        assert_eq!(
            headline_options(("\"", "]"), "x"),
            "StartSel=\"\"\"\", StopSel=\"]\", x"
        );
    }
}
