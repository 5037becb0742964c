//! The connection to the shared database: `PgStore`, its error type, and
//! what every other file of `store::pg` uses to name the database in an
//! error (`wrap`). Must not hold the fleet's decisions (the sibling files
//! do).

use std::mem::ManuallyDrop;

use postgres::{Client, NoTls};

/// Errors of the PostgreSQL store; each names the database (its URL with
/// any password left out).
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("database {url}: {}", detail(source))]
    Postgres {
        url: String,
        source: postgres::Error,
    },
    #[error("database {url}: {message}")]
    Url { url: String, message: String },
    #[error(
        "database {url} was written by a newer tidings (schema {found}, this one knows {known})"
    )]
    TooNew { url: String, found: i64, known: i64 },
    /// A reader met a schema older than this binary's; only a worker
    /// migrates.
    #[error(
        "database {url} has an older schema ({found}, this tidings knows {known}): it is upgraded when a worker next starts (`tidings run`)"
    )]
    TooOld { url: String, found: i64, known: i64 },
}

/// A connection to the shared database, its schema brought up to date.
pub struct PgStore {
    /// Closed in `Drop` off any async thread (see there).
    pub(super) client: ManuallyDrop<Client>,
    /// The URL as shown in messages: no password.
    pub(super) shown: String,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`), with `password`
    /// when given (read by the caller from the environment or a credential
    /// file, never from the config), and applies pending migrations.
    pub fn connect(url: &str, password: Option<&str>) -> Result<PgStore, PgError> {
        let mut store = PgStore::connect_only(url, password)?;
        store.migrate()?;
        Ok(store)
    }

    /// The connection alone, the schema as found (`connect` migrates it;
    /// a reader only checks it).
    pub(super) fn connect_only(url: &str, password: Option<&str>) -> Result<PgStore, PgError> {
        let shown = shown_url(url);
        let mut config: postgres::Config = url.parse().map_err(|e| PgError::Url {
            url: shown.clone(),
            message: format!("{e}"),
        })?;
        if let Some(p) = password {
            config.password(p);
        }
        if config.get_application_name().is_none() {
            config.application_name("tidings");
        }
        // TLS to the database is not built yet: a password would cross the
        // network in the clear, so only a local server is accepted with one.
        if config.get_password().is_some() && !is_local(&config) {
            return Err(PgError::Url {
                url: shown,
                message: "a password is only sent to a server on this machine (TLS to \
                          PostgreSQL is not supported yet)"
                    .into(),
            });
        }
        let client = config.connect(NoTls).map_err(|source| PgError::Postgres {
            url: shown.clone(),
            source,
        })?;
        Ok(PgStore {
            client: ManuallyDrop::new(client),
            shown,
        })
    }

    /// Maps a driver error to ours, naming the database.
    pub(super) fn err(&self) -> impl Fn(postgres::Error) -> PgError + '_ {
        wrap(&self.shown)
    }

    /// The schema version this database is at.
    pub fn schema_version(&mut self) -> Result<i64, PgError> {
        let row = self
            .client
            .query_one("SELECT max(version) FROM tidings_schema", &[])
            .map_err(self.err())?;
        Ok(row.get::<_, Option<i32>>(0).unwrap_or(0) as i64)
    }

    /// Makes the feeds table match the config: new feeds get a row, a
    /// changed URL is updated (and its validators dropped).
    pub fn sync_feeds(&mut self, feeds: &[(String, String)]) -> Result<(), PgError> {
        let e = wrap(&self.shown);
        let mut tx = self.client.transaction().map_err(&e)?;
        for (name, url) in feeds {
            tx.execute(
                "INSERT INTO feeds (name, url, config_url) VALUES ($1, $2, $2)
                 ON CONFLICT (name) DO UPDATE SET url = $2, config_url = $2, etag = NULL,
                     last_modified = NULL, retired = NULL, consecutive_failures = 0,
                     next_poll = NULL, failing_since = NULL
                 WHERE feeds.config_url IS DISTINCT FROM $2",
                &[name, url],
            )
            .map_err(&e)?;
        }
        tx.commit().map_err(&e)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // SAFETY: taken once, here, and never used again.
        let client = unsafe { ManuallyDrop::take(&mut self.client) };
        // The driver closes the connection by blocking on a runtime of its
        // own, which panics on a thread that runs async tasks (a pipeline
        // dropped at the end of `run`): close it on a thread of its own.
        if tokio::runtime::Handle::try_current().is_ok() {
            let _ = std::thread::Builder::new()
                .name("pg-close".into())
                .spawn(move || drop(client));
        } else {
            drop(client);
        }
    }
}

/// What the server said, when it said something: the driver's own Display
/// is only "db error" for those.
fn detail(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        None => e.to_string(),
    }
}

/// Maps a driver error to ours, naming the database by its shown URL.
/// Borrows only that field, so it can sit beside a transaction that
/// borrows the client.
pub(super) fn wrap(shown: &str) -> impl Fn(postgres::Error) -> PgError + Copy + '_ {
    move |source| PgError::Postgres {
        url: shown.to_string(),
        source,
    }
}

/// The URL without its password, for messages and logs.
fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("…"));
            }
            u.to_string()
        }
        Err(_) => "(an unreadable postgres URL)".into(),
    }
}

/// Whether every host the config names is this machine (a Unix socket or
/// loopback).
fn is_local(config: &postgres::Config) -> bool {
    use postgres::config::Host;
    config.get_hosts().iter().all(|h| match h {
        Host::Unix(_) => true,
        Host::Tcp(name) => {
            name == "localhost"
                || name
                    .trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_url_is_never_shown() {
        let s = shown_url("postgres://tidings:hunter2@db.example:5432/news");
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains("db.example"), "{s}");
        assert_eq!(shown_url("not a url"), "(an unreadable postgres URL)");
    }

    #[test]
    fn a_password_goes_only_to_this_machine() {
        let local: postgres::Config = "postgres://t@127.0.0.1/db".parse().unwrap();
        assert!(is_local(&local));
        let remote: postgres::Config = "postgres://t@db.example/db".parse().unwrap();
        assert!(!is_local(&remote));
        let err = PgStore::connect("postgres://t@db.example/db", Some("secret"))
            .err()
            .expect("refused before connecting");
        let msg = err.to_string();
        assert!(
            msg.contains("only sent to a server on this machine"),
            "{msg}"
        );
        assert!(!msg.contains("secret"), "{msg}");
    }
}
