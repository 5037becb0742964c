//! The database handle: `Store`, its error type, opening (and bringing the
//! schema up to date) and the query helpers the other store files share.
//!
//! Part of the store (the only module that knows SQL; `ARCHITECTURE.md`,
//! "Invariants"). Must not touch the corpus directory or the network; the
//! one file it makes is the database's own directory.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row};

use super::schema::MIGRATIONS;

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

pub(super) fn parse_ts(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|d| d.with_timezone(&Utc))
}

pub struct Store {
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
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

    pub(super) fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
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
    pub(super) fn query_all<T>(
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
    pub(super) fn query_one<T: rusqlite::types::FromSql>(
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
    pub(super) fn transaction<T>(
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

    /// Whether this open created the database: a first run.
    pub fn created(&self) -> bool {
        self.created
    }
}
