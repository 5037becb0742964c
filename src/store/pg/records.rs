//! Export records read from the shared database: one article's record
//! (what `show` and story pick-up alerts carry), the export with its
//! filters (`--feed`, `--since`, `--until`, `--story`, `--stored-since`),
//! and the names a filter is checked against.
//!
//! The records are `model::ExportRecord`, the same values the SQLite store
//! returns, so the commands print them once for both backends. Times are
//! `timestamptz` here and RFC 3339 text to the second in SQLite; they are
//! rendered in SQL as that text (`ts_sql`), so filters compare text with
//! text as SQLite does and the records are byte-identical. Strings sort in
//! byte order (`COLLATE "C"`), SQLite's, whatever the database's locale.
//! Must not shape the output (the caller's) or touch files.

use chrono::{DateTime, SubsecRound, Utc};
use postgres::types::ToSql;
use postgres::Row;

use super::client::{PgError, PgStore};
use crate::model::{ts, ExportRecord};
use crate::store::search::ArticleFilter;

/// A statement's parameters, in `$n` order.
pub(super) type Params = Vec<Box<dyn ToSql + Sync>>;

/// The parameters as the driver takes them.
pub(super) fn refs(params: &Params) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref()).collect()
}

/// A `timestamptz` expression as the text SQLite keeps (`model::ts`):
/// RFC 3339 in UTC, to the second (truncated, as `ts` does).
pub(super) fn ts_sql(expr: &str) -> String {
    format!(r#"to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"#)
}

/// A time read back as SQLite mode gives it: to the second.
pub(super) fn secs(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(0)
}

/// The export record's columns of `articles` aliased `a`, in the order
/// `export_row` reads them (a caller's own columns follow, from 12).
pub(super) fn export_columns() -> String {
    format!(
        "a.id, a.file, a.url, a.canonical_url, a.title, a.feed, a.published, {}, a.language, \
         a.words, a.story, a.access",
        ts_sql("a.fetched_at")
    )
}

/// Reads `export_columns`.
pub(super) fn export_row(r: &Row) -> ExportRecord {
    let url: Option<String> = r.get(2);
    let canonical: Option<String> = r.get(3);
    ExportRecord {
        id: Some(r.get::<_, i64>(0) as u64),
        file: Some(r.get(1)),
        canonical_url: canonical.map(|c| crate::dedup::served_canonical(&c, url.as_deref())),
        url,
        title: r.get(4),
        feed: r.get(5),
        published: r.get(6),
        fetched_at: r.get(7),
        language: r.get(8),
        words: r.get::<_, i32>(9) as u64,
        duplicate_of: None,
        story: r.get::<_, i64>(10) as u64,
        access: r.get(11),
    }
}

/// The filter's conditions (joined by AND, `TRUE` when empty) over the
/// expressions `cols` names: (feed, date as text, story, stored as text).
/// Its values are appended to `params`.
pub(super) fn filter_sql(
    f: &ArticleFilter,
    cols: (&str, &str, &str, &str),
    params: &mut Params,
) -> String {
    let (feed, date, story, stored) = cols;
    let mut conds = vec!["TRUE".to_string()];
    let mut push = |cond: String, value: Box<dyn ToSql + Sync>| {
        params.push(value);
        conds.push(cond.replace('?', &format!("${}", params.len())));
    };
    if let Some(name) = &f.feed {
        push(format!("{feed} = ?"), Box::new(name.clone()));
    }
    // Text against text in byte order, as SQLite compares them.
    if let Some(t) = f.since {
        push(format!(r#"{date} >= ? COLLATE "C""#), Box::new(ts(t)));
    }
    if let Some(t) = f.before {
        push(format!(r#"{date} < ? COLLATE "C""#), Box::new(ts(t)));
    }
    if let Some(s) = f.story {
        push(format!("{story} = ?"), Box::new(s as i64));
    }
    if let Some(t) = f.stored_since {
        push(format!(r#"{stored} >= ? COLLATE "C""#), Box::new(ts(t)));
    }
    conds.join(" AND ")
}

impl PgStore {
    /// The export record of one article (stored or imported; None for a
    /// number no article has).
    pub fn article_record(&mut self, id: u64) -> Result<Option<ExportRecord>, PgError> {
        let sql = format!(
            "SELECT {} FROM articles a WHERE a.id = $1",
            export_columns()
        );
        let row = self
            .client
            .query_opt(&sql, &[&(id as i64)])
            .map_err(self.err())?;
        Ok(row.as_ref().map(export_row))
    }

    /// The export records `filter` selects: corpus articles in number
    /// order, then (when asked) duplicate sightings, selected by their own
    /// feed and date and by their article's story (as in SQLite mode).
    pub fn export_filtered(
        &mut self,
        filter: &ArticleFilter,
        duplicates: bool,
    ) -> Result<Vec<ExportRecord>, PgError> {
        let mut params = Params::new();
        let fetched = ts_sql("a.fetched_at");
        let cond = filter_sql(
            filter,
            (
                "a.feed",
                &format!("COALESCE(a.published, {fetched})"),
                "a.story",
                &fetched,
            ),
            &mut params,
        );
        let sql = format!(
            "SELECT {} FROM articles a WHERE a.state != 'pending' AND {cond} ORDER BY a.id",
            export_columns()
        );
        let rows = self
            .client
            .query(&sql, &refs(&params))
            .map_err(self.err())?;
        let mut out: Vec<ExportRecord> = rows.iter().map(export_row).collect();
        if duplicates {
            out.extend(self.duplicate_records(filter)?);
        }
        Ok(out)
    }

    /// Duplicate sightings as export records, in the order they were seen.
    fn duplicate_records(&mut self, filter: &ArticleFilter) -> Result<Vec<ExportRecord>, PgError> {
        let mut params = Params::new();
        let seen = ts_sql("s.seen_at");
        let cond = filter_sql(
            filter,
            (
                "s.feed",
                &format!("COALESCE(s.published, {seen})"),
                "a.story",
                &seen,
            ),
            &mut params,
        );
        let sql = format!(
            "SELECT s.url, s.canonical_url, COALESCE(s.title, a.title), s.feed, s.published, {seen},
                 a.language, a.words, s.article, a.story
             FROM sightings s JOIN articles a ON a.id = s.article WHERE {cond} ORDER BY s.id"
        );
        let rows = self
            .client
            .query(&sql, &refs(&params))
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| {
                let url: Option<String> = r.get(0);
                let canonical: Option<String> = r.get(1);
                ExportRecord {
                    id: None,
                    file: None,
                    canonical_url: canonical
                        .map(|c| crate::dedup::served_canonical(&c, url.as_deref())),
                    url,
                    title: r.get(2),
                    feed: r.get(3),
                    published: r.get(4),
                    fetched_at: r.get(5),
                    language: r.get(6),
                    words: r.get::<_, i32>(7) as u64,
                    duplicate_of: Some(r.get::<_, i64>(8) as u64),
                    story: r.get::<_, i64>(9) as u64,
                    access: None,
                }
            })
            .collect())
    }

    /// Every feed name the database knows (configured now or once), in
    /// byte order.
    pub fn feed_names(&mut self) -> Result<Vec<String>, PgError> {
        let rows = self
            .client
            .query(
                r#"SELECT name FROM (SELECT name FROM feeds
                       UNION SELECT feed FROM articles WHERE feed IS NOT NULL) n
                   ORDER BY name COLLATE "C""#,
                &[],
            )
            .map_err(self.err())?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Whether a story of this id exists.
    pub fn story_exists(&mut self, story: u64) -> Result<bool, PgError> {
        Ok(self
            .client
            .query_opt(
                "SELECT 1 FROM articles WHERE story = $1 LIMIT 1",
                &[&(story as i64)],
            )
            .map_err(self.err())?
            .is_some())
    }
}
