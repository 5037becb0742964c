//! The database handle: `Store`, its error type, opening (the writer
//! brings the schema up to date; a reader only reads) and the query helpers
//! the other store files share.
//!
//! Two ways to open: `Store::open` for the writer (ingestion, and the
//! outbox's own connection), which creates the database and runs the
//! migrations; `Store::open_reader` for the commands that only read
//! (`status`, `search`, `export`, `show`, `stats`, …), a connection SQLite
//! itself keeps from writing (`PRAGMA query_only`). A reader never
//! migrates: a schema older than this binary's is refused (`TooOld`) with
//! the advice to let the writer open it first, since a reader that migrated
//! would be a second writer, changing the schema under a daemon of the
//! older version that is still running.
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
    /// The shared PostgreSQL database failed (it names itself).
    #[error(transparent)]
    Postgres(#[from] super::pg::client::PgError),
    /// A SQLite-only operation was asked of the PostgreSQL store.
    #[error("{what}: not available with a PostgreSQL database")]
    NotOnPostgres { what: &'static str },
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
    /// A reader met a schema older than this binary's; only the writer
    /// migrates.
    #[error(
        "database {path} has an older schema ({found}, this tidings knows {known}): it is upgraded when the writer next opens it (`tidings run` or `tidings run --once`)"
    )]
    TooOld {
        path: PathBuf,
        found: i64,
        known: i64,
    },
}

pub(super) fn parse_ts(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// How long a statement waits for another connection's lock before it
/// fails: the writer's commit rounds are short, so this is ample.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub struct Store {
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
    /// Whether this open created the database (a first run).
    created: bool,
}

impl Store {
    /// Opens the writer's connection: creates the database if needed and
    /// brings its schema up to date.
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

    /// Opens an existing database to read only: SQLite refuses every
    /// write on this connection (`query_only`), and closing it does not
    /// checkpoint the log into the database file (the writer does). The
    /// schema must be this binary's: a reader does not migrate (see the
    /// module doc). Opens beside a running writer (the log is WAL).
    pub fn open_reader(path: &Path) -> Result<Store, StoreError> {
        use rusqlite::config::DbConfig;
        use rusqlite::OpenFlags;
        let e = |source| StoreError::Sqlite {
            path: path.into(),
            source,
        };
        // Without CREATE: a reader never makes a database.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(e)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(e)?;
        conn.pragma_update(None, "query_only", true).map_err(e)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(e)?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
            created: false,
        };
        let (found, known) = (store.schema_version()?, MIGRATIONS.len() as i64);
        if found < known {
            return Err(StoreError::TooOld {
                path: path.into(),
                found,
                known,
            });
        }
        Ok(store)
    }

    /// The schema's version (`user_version`), refused when it is newer
    /// than this binary knows.
    fn schema_version(&self) -> Result<i64, StoreError> {
        Self::read_version(&self.conn, &self.path)
    }

    fn read_version(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
        let known = MIGRATIONS.len() as i64;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|source| StoreError::Sqlite {
                path: path.into(),
                source,
            })?;
        if version > known {
            return Err(StoreError::TooNew {
                path: path.into(),
                found: version,
                known,
            });
        }
        Ok(version)
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
        self.conn.busy_timeout(BUSY_TIMEOUT).map_err(e)?;
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(e)?;
        let known = MIGRATIONS.len() as i64;
        // An up-to-date schema takes no lock, so readers open beside a
        // busy writer. Otherwise the version is read again under the write
        // lock (an IMMEDIATE transaction): read only outside it, two
        // processes starting on a new database both saw version 0 and the
        // second failed making tables the first had made.
        if self.schema_version()? == known {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        let version = Self::read_version(&tx, &path)?;
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
    ///
    /// The transaction takes the write lock when it begins (IMMEDIATE),
    /// waiting out the busy timeout for it. Ingestion and delivery write
    /// through connections of their own: a deferred transaction that read
    /// first and then wrote would fail at once (SQLITE_BUSY, no waiting)
    /// whenever the other connection had committed since its read.
    pub(super) fn transaction<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let path = self.path.clone();
        let e = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
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
