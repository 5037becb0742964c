//! The connection to the shared database: `PgStore`, its error type, and
//! what every other file of `store::pg` uses to name the database in an
//! error (`wrap`). Must not hold the fleet's decisions (the sibling files
//! do).
//!
//! Connecting decides TLS (README, "More than one machine"): whenever TLS
//! is used the server's certificate is verified, chain and host name,
//! against the CA the caller read (`[store] ca_file`) or the webpki roots,
//! whatever `sslmode` says; a password goes only over such a session or to
//! this machine. Reads no file: the CA's text comes from the caller.

use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::PostgresConfig;
use postgres::config::SslMode;
use postgres::{Client, NoTls};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio_postgres_rustls::MakeRustlsConnect;

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
    /// The CA file holds no certificate rustls accepts.
    #[error("database {url}: store.ca_file {}: {source}", path.display())]
    CaFile {
        url: String,
        path: PathBuf,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The TLS handshake failed: most often a certificate that does not
    /// chain to `roots` or does not name the host.
    #[error("database {url}: TLS failed ({}); the server's certificate must chain to {roots} and name the host", tls_detail(source))]
    Tls {
        url: String,
        roots: String,
        source: postgres::Error,
    },
}

/// The CA a server's certificate must chain to (`[store] ca_file`), as
/// the caller read it: its PEM text, and its path for messages.
#[derive(Debug, Clone, Copy)]
pub struct PgCa<'a> {
    pub path: &'a Path,
    pub pem: &'a str,
}

/// The CA file a worker's config names, as a connection takes it.
fn ca_of(pg: &PostgresConfig) -> Option<PgCa<'_>> {
    pg.ca_file.as_ref().map(|c| PgCa {
        path: &c.path,
        pem: &c.pem,
    })
}

/// A connection to the shared database, its schema brought up to date.
pub struct PgStore {
    /// Closed in `Drop` off any async thread (see there).
    pub(super) client: ManuallyDrop<Client>,
    /// The URL as shown in messages: no password.
    pub(super) shown: String,
}

impl PgStore {
    /// Connects as the config says (URL, password, CA) and applies pending
    /// migrations: a worker's connection.
    pub fn open(pg: &PostgresConfig) -> Result<PgStore, PgError> {
        PgStore::connect(&pg.url, pg.password.as_deref(), ca_of(pg))
    }

    /// Connects as the config says for reading (`connect_reader`).
    pub fn open_reader(pg: &PostgresConfig) -> Result<PgStore, PgError> {
        PgStore::connect_reader(&pg.url, pg.password.as_deref(), ca_of(pg))
    }

    /// Connects to `url` (`postgres://user@host:port/db`, its `sslmode`
    /// honoured), with `password` when given (read by the caller from the
    /// environment or a credential file, never from the config), verifying
    /// the server against `ca` (else the webpki roots), and applies pending
    /// migrations.
    pub fn connect(
        url: &str,
        password: Option<&str>,
        ca: Option<PgCa<'_>>,
    ) -> Result<PgStore, PgError> {
        let mut store = PgStore::connect_only(url, password, ca)?;
        store.migrate()?;
        Ok(store)
    }

    /// The connection alone, the schema as found (`connect` migrates it;
    /// a reader only checks it).
    pub(super) fn connect_only(
        url: &str,
        password: Option<&str>,
        ca: Option<PgCa<'_>>,
    ) -> Result<PgStore, PgError> {
        let shown = shown_url(url);
        let bad = |message: String| PgError::Url {
            url: shown.clone(),
            message,
        };
        let (url, asked) = split_sslmode(url).map_err(bad)?;
        let mut config: postgres::Config = url.parse().map_err(|e| bad(format!("{e}")))?;
        if let Some(p) = password {
            config.password(p);
        }
        if config.get_application_name().is_none() {
            config.application_name("tidings");
        }
        let mode = tls_mode(asked, config.get_password().is_some(), is_local(&config))
            .map_err(|m| bad(m.into()))?;
        config.ssl_mode(mode);
        let tls = connector(ca).map_err(|source| PgError::CaFile {
            url: shown.clone(),
            path: ca.map(|c| c.path.to_path_buf()).unwrap_or_default(),
            source,
        })?;
        let client = match config.connect(tls) {
            Ok(client) => client,
            // As libpq's `prefer` does, a session whose TLS fails goes on
            // in the clear; `tls_mode` chose `prefer` only where that may
            // carry the password.
            Err(e) if mode == SslMode::Prefer && tls_failure(&e).is_some() => {
                config.ssl_mode(SslMode::Disable);
                config.connect(NoTls).map_err(wrap(&shown))?
            }
            Err(source) if tls_failure(&source).is_some() => {
                return Err(PgError::Tls {
                    url: shown,
                    roots: match ca {
                        Some(ca) => format!("the CA in {}", ca.path.display()),
                        None => "the system's roots (a private CA: set store.ca_file)".into(),
                    },
                    source,
                })
            }
            Err(source) => return Err(wrap(&shown)(source)),
        };
        Ok(PgStore {
            client: ManuallyDrop::new(client),
            shown,
        })
    }

    /// Whether the connection is gone (the server closed it, or a call
    /// found it broken): a new one must be made.
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
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

/// What the URL's `sslmode` asks for (libpq's names; `prefer` when absent).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Asked {
    Disable,
    Prefer,
    /// `require`, `verify-ca` and `verify-full` alike: TLS, and (as for
    /// every TLS session here) a verified chain and host name.
    Require,
}

/// The URL without its `sslmode` (the driver knows neither `verify-ca`
/// nor `verify-full`), and what it asked for.
fn split_sslmode(url: &str) -> Result<(String, Asked), String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), Asked::Prefer));
    };
    let mut asked = Asked::Prefer;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslmode", value)) => {
                asked = match value {
                    "disable" => Asked::Disable,
                    "prefer" => Asked::Prefer,
                    "require" | "verify-ca" | "verify-full" => Asked::Require,
                    other => {
                        return Err(format!(
                        "sslmode={other}: use disable, prefer, require, verify-ca or verify-full"
                    ))
                    }
                }
            }
            _ => kept.push(pair),
        }
    }
    if kept.is_empty() {
        Ok((base.to_string(), asked))
    } else {
        Ok((format!("{base}?{}", kept.join("&")), asked))
    }
}

/// The driver's TLS mode for what the URL asked. A password crosses the
/// network only inside verified TLS: to a server that is not on this
/// machine, `prefer` becomes `require` (no fallback to the clear) and
/// `disable` is refused.
fn tls_mode(asked: Asked, password: bool, local: bool) -> Result<SslMode, &'static str> {
    let clear_ok = !password || local;
    match asked {
        Asked::Disable if !clear_ok => Err(
            "a password is sent only over TLS or to a server on this machine: drop \
             sslmode=disable from the URL (the server's certificate is checked against \
             the system's roots, or the CA in store.ca_file)",
        ),
        Asked::Disable => Ok(SslMode::Disable),
        Asked::Prefer if clear_ok => Ok(SslMode::Prefer),
        Asked::Prefer | Asked::Require => Ok(SslMode::Require),
    }
}

/// The TLS connector: rustls with the ring provider (as reqwest's in this
/// tree), trusting only the CA file's certificates when one is given, else
/// the webpki roots (reqwest's too).
fn connector(
    ca: Option<PgCa<'_>>,
) -> Result<MakeRustlsConnect, Box<dyn std::error::Error + Send + Sync>> {
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(ca) => {
            for cert in CertificateDer::pem_slice_iter(ca.pem.as_bytes()) {
                roots.add(cert?)?;
            }
            if roots.is_empty() {
                return Err("no PEM certificate in it".into());
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The TLS layer's own error when that is where connecting failed (told
/// by its type, not its words).
fn tls_failure(e: &postgres::Error) -> Option<&rustls::Error> {
    let mut next = std::error::Error::source(e);
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        let inner = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|i| i.downcast_ref::<rustls::Error>());
        if inner.is_some() {
            return inner;
        }
        next = err.source();
    }
    None
}

fn tls_detail(e: &postgres::Error) -> String {
    tls_failure(e).map_or_else(|| e.to_string(), |t| t.to_string())
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
    fn a_password_goes_only_to_this_machine_or_over_tls() {
        let local: postgres::Config = "postgres://t@127.0.0.1/db".parse().unwrap();
        assert!(is_local(&local));
        let remote: postgres::Config = "postgres://t@db.example/db".parse().unwrap();
        assert!(!is_local(&remote));
        // (asked, password, local) → the driver's mode.
        use {Asked::*, SslMode as M};
        for (asked, password, local, mode) in [
            (Prefer, true, false, Some(M::Require)),
            (Require, true, false, Some(M::Require)),
            (Disable, true, false, None),
            (Prefer, true, true, Some(M::Prefer)),
            (Disable, true, true, Some(M::Disable)),
            (Prefer, false, false, Some(M::Prefer)),
            (Disable, false, false, Some(M::Disable)),
            (Require, false, true, Some(M::Require)),
        ] {
            assert_eq!(
                tls_mode(asked, password, local).ok(),
                mode,
                "{asked:?} password={password} local={local}"
            );
        }
        // Refused before any connection is tried.
        let err = PgStore::connect(
            "postgres://t@db.example/db?sslmode=disable",
            Some("secret"),
            None,
        )
        .err()
        .expect("refused before connecting");
        let msg = err.to_string();
        assert!(msg.contains("postgres://t@db.example/db"), "{msg}");
        assert!(msg.contains("only over TLS"), "{msg}");
        assert!(msg.contains("sslmode=disable"), "{msg}");
        assert!(!msg.contains("secret") && !msg.contains('\n'), "{msg}");
    }

    #[test]
    fn sslmode_is_read_off_the_url_in_libpq_s_names() {
        let split = |u: &str| split_sslmode(u).unwrap();
        assert_eq!(
            split("postgres://h/db"),
            ("postgres://h/db".into(), Asked::Prefer)
        );
        assert_eq!(
            split("postgres://h/db?sslmode=verify-full"),
            ("postgres://h/db".into(), Asked::Require)
        );
        assert_eq!(
            split("postgres://h/db?connect_timeout=5&sslmode=disable&application_name=x"),
            (
                "postgres://h/db?connect_timeout=5&application_name=x".into(),
                Asked::Disable
            )
        );
        assert_eq!(split("postgres://h/db?sslmode=verify-ca").1, Asked::Require);
        assert_eq!(split("postgres://h/db?sslmode=require").1, Asked::Require);
        let err = split_sslmode("postgres://h/db?sslmode=allow").unwrap_err();
        assert!(err.contains("sslmode=allow"), "{err}");
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_named() {
        let ca = PgCa {
            path: Path::new("/etc/tidings/pg-ca.pem"),
            pem: "not a certificate\n",
        };
        let err = PgStore::connect("postgres://t@127.0.0.1:1/db", None, Some(ca))
            .err()
            .expect("refused before connecting");
        assert!(matches!(err, PgError::CaFile { .. }), "{err:?}");
        assert!(err.to_string().contains("/etc/tidings/pg-ca.pem"), "{err}");
    }
}
