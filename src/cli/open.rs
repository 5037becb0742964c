//! What commands open before they run: the config (`--config`,
//! `$TIDINGS_CONFIG` or the default places), a store on an existing
//! database (`Reader` for the read commands, SQLite or PostgreSQL), and
//! the async runtime. Must not run a command; see ARCHITECTURE.md,
//! "Codemap" (`cli`).

use std::path::Path;

use anyhow::{Context, Result};

use super::exit::UsageError;
use crate::config::Config;
use crate::store::pg::{PgStore, SearchError};
use crate::store::{SearchHit, SearchOptions, Store, StoreError};
use crate::topic::Query;

pub(super) fn load_config(path: Option<&Path>) -> Result<Config> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let p = crate::config::default_path();
            if !p.exists() && std::env::var_os("TIDINGS_CONFIG").is_none_or(|v| v.is_empty()) {
                return Err(UsageError(NO_CONFIG.into()).into());
            }
            p
        }
    };
    Ok(Config::load(&path)?)
}

/// What a user is told when no config is found: where tidings looked,
/// and how to get one.
const NO_CONFIG: &str = "no config found: looked for --config FILE (not given), $TIDINGS_CONFIG (not set), config/tidings.toml (in the current directory) and /etc/tidings/tidings.toml. To start one: `tidings demo` shows a working setup and leaves its config behind; the source tree's config/tidings.toml is a commented example; or write a file with [[feeds]] tables (name, url) and run `tidings --config FILE check`";

pub(super) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The SQLite store for a command that only reads: a reader connection,
/// which SQLite keeps from writing and which never migrates (see
/// `store::db`). For the commands that work on SQLite only; those that
/// read both backends open a `Reader`.
pub(super) fn open_store(config: &Config) -> Result<Store> {
    database_exists(config)?;
    Ok(Store::open_reader(&config.database)?)
}

/// The store for a command that writes outside the daemon
/// (`reextract --write`, under the instance lock): a writer connection.
pub(super) fn open_writer(config: &Config) -> Result<Store> {
    database_exists(config)?;
    Ok(Store::open(&config.database)?)
}

fn database_exists(config: &Config) -> Result<()> {
    // With PostgreSQL, `database` is a path in the state directory that
    // holds no database: opening it would answer from an empty store.
    if let Some(pg) = &config.postgres {
        return Err(UsageError(format!(
            "this command works on a SQLite store only; the config names the PostgreSQL \
             database {}",
            pg.url
        ))
        .into());
    }
    if !config.database.exists() {
        return Err(UsageError(format!(
            "{}: no database yet (run `tidings run --once` first)",
            config.database.display()
        ))
        .into());
    }
    Ok(())
}

/// The store the read commands (`status`, `stats`, `search`, `export`,
/// `show`) ask: SQLite's reader connection, or the shared PostgreSQL
/// database when the config names one. Both answer with the same plain
/// types (`FeedRow`, `ExportRecord`, `Totals`, …), so each command prints
/// once for both.
pub(super) type Reader = crate::store::Backend;

/// Opens the store the config names, for reading: neither backend's
/// reader migrates or writes.
pub(super) fn open_reader(config: &Config) -> Result<Reader> {
    match &config.postgres {
        Some(pg) => Ok(Reader::Postgres(PgStore::open_reader(pg)?)),
        None => Ok(Reader::Sqlite(open_store(config)?)),
    }
}

impl Reader {
    /// Articles a search cannot find yet: SQLite mode indexes them when
    /// the writer next runs; PostgreSQL's index is a generated column,
    /// complete at every commit.
    pub(super) fn unindexed_count(&mut self) -> Result<u64> {
        match self {
            Reader::Sqlite(s) => Ok(s.unindexed_count()?),
            Reader::Postgres(_) => Ok(0),
        }
    }

    /// Full-text search, best first. A query the engine cannot answer is
    /// the user's mistake (a usage error), named with the query.
    pub(super) fn search(&mut self, query: &Query, opts: &SearchOptions) -> Result<Vec<SearchHit>> {
        let theirs = |message: String| -> anyhow::Error {
            UsageError(format!("search: {}: {message}", query.as_str())).into()
        };
        match self {
            Reader::Sqlite(s) => match s.search(query, opts) {
                Err(StoreError::Query { message, .. }) => Err(theirs(message)),
                r => Ok(r?),
            },
            Reader::Postgres(p) => match p.search(query, opts) {
                Err(SearchError::Query { message, .. }) => Err(theirs(message)),
                r => Ok(r?),
            },
        }
    }
}
