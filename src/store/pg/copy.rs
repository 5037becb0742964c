//! `tidings migrate --to postgres://…`: a SQLite store copied into an
//! empty PostgreSQL database, table by table, in one transaction, then the
//! counts compared.
//!
//! Rows keep their ids (corpus files are named after article ids), so the
//! sequences are moved past them afterwards. The article text, which SQLite
//! mode keeps only in the corpus files, comes from the caller (this module
//! must not read the corpus directory). Time stamps, kept as RFC 3339 text
//! in SQLite, become `timestamptz`; 0/1 flags become booleans.

use chrono::{DateTime, Utc};
use postgres::types::ToSql;
use rusqlite::types::Value;

use super::client::{wrap, PgError, PgStore};
use crate::store::db::{Store, StoreError};

/// How a SQLite column becomes a PostgreSQL one.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
    Int4,
    Time,
    Flag,
    Bytes,
    Real,
}

use Kind::*;

/// The copied tables in an order the foreign keys accept, with their
/// columns (articles' text is added from the corpus).
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "feeds",
        &[
            ("name", Text),
            ("url", Text),
            ("config_url", Text),
            ("etag", Text),
            ("last_modified", Text),
            ("last_attempt", Time),
            ("last_success", Time),
            ("last_error", Text),
            ("consecutive_failures", Int4),
            ("next_poll", Time),
            ("entries_seen", Int),
            ("failing_since", Time),
            ("retired", Text),
            ("interval_secs", Int),
            ("last_full_poll", Time),
            ("failure_kind", Text),
        ],
    ),
    (
        "articles",
        &[
            ("id", Int),
            ("file", Text),
            ("state", Text),
            ("url", Text),
            ("canonical_url", Text),
            ("title", Text),
            ("feed", Text),
            ("entry_key", Text),
            ("published", Text),
            ("fetched_at", Time),
            ("language", Text),
            ("author", Text),
            ("site_name", Text),
            ("method", Text),
            ("words", Int4),
            ("text_hash", Bytes),
            ("story", Int),
            ("fingerprint", Bytes),
            ("source", Text),
            ("access", Text),
        ],
    ),
    (
        "entries",
        &[
            ("feed", Text),
            ("key", Text),
            ("link", Text),
            ("title", Text),
            ("first_seen", Time),
            ("last_attempt", Time),
            ("state", Text),
            ("article", Int),
            ("attempts", Int4),
            ("last_error", Text),
        ],
    ),
    (
        "sightings",
        &[
            ("id", Int),
            ("article", Int),
            ("url", Text),
            ("canonical_url", Text),
            ("feed", Text),
            ("entry_key", Text),
            ("title", Text),
            ("published", Text),
            ("seen_at", Time),
            ("reason", Text),
            ("score", Real),
            ("longer", Flag),
            ("newer", Flag),
        ],
    ),
    (
        "captures",
        &[
            ("id", Int),
            ("article", Int),
            ("sighting", Int),
            ("file", Text),
            ("warc_offset", Int),
            ("warc_length", Int),
            ("request_offset", Int),
            ("request_length", Int),
            ("record_id", Text),
            ("target_uri", Text),
            ("captured_at", Time),
            ("status", Int4),
            ("payload_digest", Text),
            ("payload_length", Int),
            ("truncated", Flag),
        ],
    ),
    (
        "original_texts",
        &[("article", Int), ("text", Text), ("replaced_at", Time)],
    ),
    (
        "outbox",
        &[
            ("id", Int),
            ("sink", Text),
            ("event", Text),
            ("key", Text),
            ("payload", Text),
            ("created_at", Time),
            ("next_attempt", Time),
            ("attempts", Int4),
            ("last_error", Text),
            ("state", Text),
            ("sent_at", Time),
        ],
    ),
];

/// Why a copy did not happen or did not match.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Sqlite(#[from] StoreError),
    #[error(transparent)]
    Postgres(#[from] PgError),
    #[error("{0}")]
    Refused(String),
    #[error("{table} row {row}, {column}: {message}")]
    Value {
        table: &'static str,
        row: usize,
        column: &'static str,
        message: String,
    },
    #[error("article {id} ({file}): {message}")]
    Text {
        id: i64,
        file: String,
        message: String,
    },
    #[error("counts differ after the copy: {0}")]
    Mismatch(String),
}

/// How many rows of each table were copied (and found on both sides).
pub type Copied = Vec<(&'static str, u64)>;

/// One row's values, ready for the driver.
type Params = Vec<Box<dyn ToSql + Sync>>;

/// Copies everything in `from` into `to`, which must hold no articles.
/// `text_of(file)` reads an article's corpus file.
pub fn copy_sqlite(
    from: &Store,
    to: &mut PgStore,
    mut text_of: impl FnMut(&str) -> Result<String, String>,
) -> Result<Copied, CopyError> {
    let pending = count_sqlite(from, "articles WHERE state = 'pending'")?;
    if pending > 0 {
        return Err(CopyError::Refused(format!(
            "{pending} articles in {} are pending (a run was cut short): `tidings run --once` \
             finishes or removes them; then migrate",
            from.path.display()
        )));
    }
    let there: i64 = to
        .client
        .query_one("SELECT count(*) FROM articles", &[])
        .map_err(to.err())?
        .get(0);
    if there > 0 {
        return Err(CopyError::Refused(format!(
            "{} already holds {there} articles; migrate copies into an empty database",
            to.shown
        )));
    }
    copy_rows(from, to, &mut text_of)?;
    verify(from, to)
}

/// Every table's rows into `to`, in one transaction.
fn copy_rows(
    from: &Store,
    to: &mut PgStore,
    text_of: &mut impl FnMut(&str) -> Result<String, String>,
) -> Result<(), CopyError> {
    let wrapped = wrap(&to.shown);
    let e = |source| CopyError::Postgres(wrapped(source));
    let mut tx = to.client.transaction().map_err(e)?;
    // Feeds synced from the config before the copy would collide.
    tx.batch_execute("DELETE FROM feeds").map_err(e)?;
    for &(table, columns) in TABLES {
        let rows = read_sqlite(from, table, columns)?;
        let mut names: Vec<&str> = columns.iter().map(|c| c.0).collect();
        if table == "articles" {
            names.push("text");
        }
        let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            placeholders.join(", ")
        );
        let insert = tx.prepare(&sql).map_err(e)?;
        for (n, row) in rows.into_iter().enumerate() {
            let mut params = convert(table, n, columns, &row)?;
            if table == "articles" {
                let (Value::Integer(id), Value::Text(file)) = (&row[0], &row[1]) else {
                    unreachable!("articles.id and file are NOT NULL")
                };
                let text = text_of(file).map_err(|message| CopyError::Text {
                    id: *id,
                    file: file.clone(),
                    message,
                })?;
                params.push(Box::new(text));
            }
            let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref()).collect();
            tx.execute(&insert, &refs).map_err(e)?;
        }
    }
    // New rows continue after the copied ones.
    tx.batch_execute(
        "SELECT setval('article_ids', coalesce((SELECT max(id) FROM articles), 0), \
             (SELECT count(*) > 0 FROM articles));
         SELECT setval(pg_get_serial_sequence('sightings', 'id'), coalesce(max(id), 1), count(*) > 0) FROM sightings;
         SELECT setval(pg_get_serial_sequence('captures', 'id'), coalesce(max(id), 1), count(*) > 0) FROM captures;
         SELECT setval(pg_get_serial_sequence('outbox', 'id'), coalesce(max(id), 1), count(*) > 0) FROM outbox;",
    )
    .map_err(e)?;
    tx.commit().map_err(e)?;
    Ok(())
}

/// Every table's count on both sides; a difference is an error.
fn verify(from: &Store, to: &mut PgStore) -> Result<Copied, CopyError> {
    let mut copied = Vec::new();
    let mut differ = Vec::new();
    for &(table, _) in TABLES {
        let here = count_sqlite(from, table)?;
        let there: i64 = to
            .client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .map_err(to.err())?
            .get(0);
        if here != there as u64 {
            differ.push(format!("{table} {here} in SQLite, {there} in PostgreSQL"));
        }
        copied.push((table, here));
    }
    if differ.is_empty() {
        Ok(copied)
    } else {
        Err(CopyError::Mismatch(differ.join("; ")))
    }
}

fn count_sqlite(from: &Store, what: &str) -> Result<u64, StoreError> {
    from.conn
        .query_row(&format!("SELECT count(*) FROM {what}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n as u64)
        .map_err(from.err())
}

fn read_sqlite(
    from: &Store,
    table: &str,
    columns: &[(&str, Kind)],
) -> Result<Vec<Vec<Value>>, StoreError> {
    let names: Vec<&str> = columns.iter().map(|c| c.0).collect();
    let sql = format!("SELECT {} FROM {table} ORDER BY rowid", names.join(", "));
    let mut stmt = from.conn.prepare(&sql).map_err(from.err())?;
    let rows = stmt
        .query_map([], |r| {
            (0..columns.len())
                .map(|i| r.get::<_, Value>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(from.err())?;
    rows.collect::<Result<_, _>>().map_err(from.err())
}

/// One SQLite row as PostgreSQL parameters of the columns' kinds.
fn convert(
    table: &'static str,
    row: usize,
    columns: &[(&'static str, Kind)],
    values: &[Value],
) -> Result<Params, CopyError> {
    columns
        .iter()
        .zip(values)
        .map(|(&(column, kind), v)| {
            let bad = |message: String| CopyError::Value {
                table,
                row: row + 1,
                column,
                message,
            };
            param(kind, v).map_err(bad)
        })
        .collect()
}

fn param(kind: Kind, v: &Value) -> Result<Box<dyn ToSql + Sync>, String> {
    let unexpected = || format!("unexpected {:?}", v.data_type());
    Ok(match (kind, v) {
        (Text, Value::Null) => Box::new(None::<String>),
        (Text, Value::Text(s)) => Box::new(Some(s.clone())),
        (Int, Value::Null) => Box::new(None::<i64>),
        (Int, Value::Integer(n)) => Box::new(Some(*n)),
        (Int4, Value::Null) => Box::new(None::<i32>),
        (Int4, Value::Integer(n)) => Box::new(Some(
            i32::try_from(*n).map_err(|_| format!("{n} is out of range"))?,
        )),
        (Time, Value::Null) => Box::new(None::<DateTime<Utc>>),
        (Time, Value::Text(s)) => Box::new(Some(
            DateTime::parse_from_rfc3339(s)
                .map_err(|e| format!("{s:?} is not a time stamp ({e})"))?
                .with_timezone(&Utc),
        )),
        (Flag, Value::Integer(n)) => Box::new(*n != 0),
        (Bytes, Value::Null) => Box::new(None::<Vec<u8>>),
        (Bytes, Value::Blob(b)) => Box::new(Some(b.clone())),
        (Real, Value::Null) => Box::new(None::<f64>),
        (Real, Value::Real(x)) => Box::new(Some(*x)),
        (Real, Value::Integer(n)) => Box::new(Some(*n as f64)),
        _ => return Err(unexpected()),
    })
}
