//! `tidings migrate --to postgres://…`: copies this SQLite store (feeds,
//! entries, articles with their corpus texts, sightings, captures, the
//! outbox) into an empty PostgreSQL database and checks the counts. Holds
//! the writer lock meanwhile, so no run adds rows behind the copy. The
//! password comes from `PGPASSWORD` (PostgreSQL's own variable), never
//! from the command line; a private server's CA from `PGSSLROOTCERT`
//! (libpq's), as `[store] ca_file` names it for a worker.

use anyhow::{Context, Result};

use super::exit::UsageError;
use super::open::open_store;
use crate::config::Config;
use crate::corpus::{Corpus, FileName};
use crate::store::pg::{copy_sqlite, PgCa, PgStore};

pub fn cmd_migrate(config: &Config, to: &str) -> Result<i32> {
    if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
        return Err(UsageError(format!("migrate --to: {to:?} is not a postgres:// URL")).into());
    }
    let _lock =
        crate::service::lock::InstanceLock::acquire(&config.database, Some(&config.corpus))?;
    let from = open_store(config)?;
    let corpus = Corpus::open(&config.corpus)?;
    let password = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty());
    let ca_path = std::env::var_os("PGSSLROOTCERT").filter(|p| !p.is_empty());
    let ca_pem = match &ca_path {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("PGSSLROOTCERT: cannot read {}", p.display()))?,
        ),
        None => None,
    };
    let ca = ca_path
        .as_ref()
        .zip(ca_pem.as_deref())
        .map(|(p, pem)| PgCa {
            path: std::path::Path::new(p),
            pem,
        });
    let mut pg = PgStore::connect(to, password.as_deref(), ca)?;
    let copied = copy_sqlite(&from, &mut pg, |file| {
        let name = FileName::parse(file).ok_or("not a corpus file name")?;
        corpus.read(&name).map_err(|e| e.to_string())
    })
    .with_context(|| format!("migrate {} to PostgreSQL", config.database.display()))?;
    for (table, rows) in copied {
        println!("{table:<15} {rows:>8}");
    }
    println!("copied; the counts match");
    Ok(0)
}
