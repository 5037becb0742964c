//! What commands open before they run: the config (`--config`,
//! `$TIDINGS_CONFIG` or the default places), a store on an existing
//! database, and the async runtime. Must not run a command; see
//! ARCHITECTURE.md, "Codemap" (`cli`).

use std::path::Path;

use anyhow::{Context, Result};

use super::exit::UsageError;
use crate::config::Config;

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

/// The store for a command that only reads: a reader connection, which
/// SQLite keeps from writing and which never migrates (see `store::db`).
pub(super) fn open_store(config: &Config) -> Result<crate::store::Store> {
    database_exists(config)?;
    Ok(crate::store::Store::open_reader(&config.database)?)
}

/// The store for a command that writes outside the daemon
/// (`reextract --write`, under the instance lock): a writer connection.
pub(super) fn open_writer(config: &Config) -> Result<crate::store::Store> {
    database_exists(config)?;
    Ok(crate::store::Store::open(&config.database)?)
}

fn database_exists(config: &Config) -> Result<()> {
    if !config.database.exists() {
        return Err(UsageError(format!(
            "{}: no database yet (run `tidings run --once` first)",
            config.database.display()
        ))
        .into());
    }
    Ok(())
}
