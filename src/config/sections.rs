//! The settings sections, one function each: where files go (`[store]`,
//! relative paths), `[fetch]`, `[schedule]` (and the intervals' order),
//! `[topic]` and `[archive]`. Each reads its raw section, reports every
//! problem through `problem` (a span and a message) and returns the
//! runtime object with defaults where a value was wrong. Must not read
//! files or the network; see ARCHITECTURE.md, "Codemap" (`config`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use url::Url;

use super::problem::Report;
use super::raw::{Raw, RawArchive, RawFetch, RawSchedule, RawTopic};
use super::secret::read_secret;
use super::settings::{ArchiveConfig, CaFile, FetchConfig, PostgresConfig, ScheduleConfig};
use super::values::{hide_password, human, parse_duration, parse_size};
use crate::topic::Query;

/// Where relative paths start: the config file's directory.
pub(super) struct Paths {
    base: PathBuf,
}

impl Paths {
    pub(super) fn of(config: &Path) -> Paths {
        let base = config.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base
        };
        Paths { base }
    }

    /// A path from the config, made absolute against the config's directory.
    pub(super) fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    /// The database, the corpus and the seeds (`[store]`).
    pub(super) fn store(&self, raw: &Raw) -> (PathBuf, PathBuf, Option<PathBuf>) {
        let state = state_dir(&self.base, std::env::var_os("STATE_DIRECTORY").as_deref());
        let database = match &raw.store.database {
            // A fleet's worker keeps only its local files (the archive, the
            // instance lock) in the state directory.
            Some(d)
                if d.get_ref().starts_with("postgres://")
                    || d.get_ref().starts_with("postgresql://") =>
            {
                state.join("tidings.db")
            }
            Some(d) => self.resolve(d.get_ref()),
            None => state.join("tidings.db"),
        };
        let corpus = match &raw.store.corpus {
            Some(c) => self.resolve(c.get_ref()),
            None => state.join("corpus"),
        };
        let seeds = raw.store.seeds.as_ref().map(|s| self.resolve(s.get_ref()));
        (database, corpus, seeds)
    }
}

/// `[store] database = "postgres://…"`: the shared database, its password
/// from `password_env` or `password_file` (else `$PGPASSWORD`, as
/// PostgreSQL's own tools read it), never from the URL. `None` for SQLite;
/// the PostgreSQL-only keys are refused there.
pub(super) fn postgres(raw: &Raw, paths: &Paths, problem: &mut Report) -> Option<PostgresConfig> {
    let s = &raw.store;
    let url = s.database.as_ref().filter(|d| {
        d.get_ref().starts_with("postgres://") || d.get_ref().starts_with("postgresql://")
    });
    let Some(url) = url else {
        for (key, v) in [
            ("password_env", &s.password_env),
            ("password_file", &s.password_file),
            ("worker", &s.worker),
            ("lease", &s.lease),
            ("ca_file", &s.ca_file),
        ] {
            if let Some(v) = v {
                problem(
                    v.span(),
                    format!("store.{key}: only for a postgres:// database"),
                );
            }
        }
        return None;
    };
    if hide_password(url.get_ref()) != *url.get_ref() {
        problem(
            url.span(),
            "store.database: a password in the URL would sit in the config file; use password_env or password_file".into(),
        );
    }
    if let (Some(_), Some(f)) = (&s.password_env, &s.password_file) {
        problem(
            f.span(),
            "store: give one of password_env and password_file".into(),
        );
    }
    let file = s.password_file.as_ref().map(|f| {
        let p = f.get_ref();
        if p.starts_with("$CREDENTIALS_DIRECTORY") {
            PathBuf::from(p)
        } else {
            paths.resolve(p)
        }
    });
    let env = s.password_env.as_ref().map(|e| e.get_ref().as_str());
    let password = match read_secret("password", env, file.as_deref()) {
        Ok(Some(p)) => Some(p),
        Ok(None) => std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()),
        Err(e) => {
            let at = s.password_env.as_ref().or(s.password_file.as_ref());
            problem(at.map_or(url.span(), |v| v.span()), format!("store.{e}"));
            None
        }
    };
    let worker = s.worker.as_ref().and_then(|w| {
        let name = w.get_ref().trim();
        if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
            problem(
                w.span(),
                "store.worker: a name of 1 to 200 printable characters".into(),
            );
            None
        } else {
            Some(name.to_string())
        }
    });
    let mut lease = PostgresConfig::DEFAULT_LEASE;
    positive_duration(&s.lease, "store.lease", &mut lease, problem);
    // Read here, like a password file, so that a missing file is a config
    // error at load and the store opens no files; the certificates in it
    // are parsed when connecting.
    let ca_file = s.ca_file.as_ref().and_then(|f| {
        let path = paths.resolve(f.get_ref());
        match std::fs::read_to_string(&path) {
            Ok(pem) => Some(CaFile { path, pem }),
            Err(e) => {
                problem(
                    f.span(),
                    format!("store.ca_file: cannot read {}: {e}", path.display()),
                );
                None
            }
        }
    });
    Some(PostgresConfig {
        url: url.get_ref().clone(),
        password,
        worker,
        lease,
        ca_file,
    })
}

/// Where the database and corpus go when `[store]` does not say: systemd's
/// `$STATE_DIRECTORY` (its first entry) when set, `/var/lib/tidings` for a
/// config under `/etc`, else beside the config file. Never the config
/// file's parent: that was `/etc` for `/etc/tidings/tidings.toml`.
pub(super) fn state_dir(config_dir: &Path, state_directory: Option<&std::ffi::OsStr>) -> PathBuf {
    if let Some(first) = state_directory
        .and_then(|s| s.to_str())
        .and_then(|s| s.split(':').next())
        .filter(|s| !s.is_empty())
    {
        return PathBuf::from(first);
    }
    if config_dir.starts_with("/etc") {
        return PathBuf::from("/var/lib/tidings");
    }
    config_dir.to_path_buf()
}

/// A duration that must be more than zero, into `into` when it is.
fn positive_duration(
    v: &Option<Spanned<String>>,
    key: &str,
    into: &mut Duration,
    problem: &mut Report,
) {
    if let Some(v) = v {
        match parse_duration(v.get_ref()) {
            Ok(d) if d.is_zero() => problem(v.span(), format!("{key}: must be more than zero")),
            Ok(d) => *into = d,
            Err(e) => problem(v.span(), format!("{key}: {e}")),
        }
    }
}

/// A size that must be more than zero, into `into` when it is.
fn positive_size(v: &Option<Spanned<String>>, key: &str, into: &mut u64, problem: &mut Report) {
    if let Some(v) = v {
        match parse_size(v.get_ref()) {
            Ok(0) => problem(v.span(), format!("{key}: must be more than zero")),
            Ok(n) => *into = n,
            Err(e) => problem(v.span(), format!("{key}: {e}")),
        }
    }
}

/// A count between 1 and `max`, or `None` (reported).
fn count(v: &Spanned<i64>, key: &str, max: usize, problem: &mut Report) -> Option<usize> {
    match usize::try_from(*v.get_ref()) {
        Ok(n) if (1..=max).contains(&n) => Some(n),
        _ => {
            problem(
                v.span(),
                format!("{key}: {} is not between 1 and {max}", v.get_ref()),
            );
            None
        }
    }
}

/// A gap between requests, or `None` (reported).
fn gap(v: &Spanned<String>, key: &str, problem: &mut Report) -> Option<Duration> {
    // "0s" is a fine gap: a host of one's own.
    match parse_duration(v.get_ref()) {
        Ok(d) => Some(d),
        Err(e) => {
            problem(v.span(), format!("{key}: {e}"));
            None
        }
    }
}

/// Whether a proxy URL is one the client can use.
pub(super) fn is_proxy_url(p: &str) -> bool {
    Url::parse(p).is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h"))
}

/// `[fetch]`.
pub(super) fn fetch(raw: &RawFetch, problem: &mut Report) -> FetchConfig {
    let mut fetch = FetchConfig {
        allow_private_networks: raw.allow_private_networks,
        ..Default::default()
    };
    positive_duration(&raw.timeout, "fetch.timeout", &mut fetch.timeout, problem);
    positive_duration(
        &raw.connect_timeout,
        "fetch.connect_timeout",
        &mut fetch.connect_timeout,
        problem,
    );
    positive_size(
        &raw.max_feed_size,
        "fetch.max_feed_size",
        &mut fetch.max_feed_bytes,
        problem,
    );
    positive_size(
        &raw.max_page_size,
        "fetch.max_page_size",
        &mut fetch.max_page_bytes,
        problem,
    );
    if let Some(c) = &raw.concurrency {
        match usize::try_from(*c.get_ref()) {
            Ok(n) if (1..=256).contains(&n) => fetch.concurrency = n,
            _ => problem(
                c.span(),
                format!(
                    "fetch.concurrency: {} is not between 1 and 256",
                    c.get_ref()
                ),
            ),
        }
    }
    if let Some(ua) = &raw.user_agent {
        if ua.get_ref().trim().is_empty() || ua.get_ref().contains(char::is_control) {
            problem(
                ua.span(),
                "fetch.user_agent: must be one non-empty line without control characters".into(),
            );
        } else {
            fetch.user_agent = ua.get_ref().clone();
        }
    }
    if let Some(p) = &raw.proxy {
        if is_proxy_url(p.get_ref()) {
            fetch.proxy = Some(p.get_ref().clone())
        } else {
            problem(
                p.span(),
                format!(
                    "fetch.proxy: '{}' is not an http, https, socks5 or socks5h URL",
                    hide_password(p.get_ref())
                ),
            )
        }
    }
    limits(raw, &mut fetch, problem);
    fetch
}

/// `[fetch]`'s budgets: entries per poll, connections, per-host limits.
fn limits(raw: &RawFetch, fetch: &mut FetchConfig, problem: &mut Report) {
    if let Some(v) = &raw.max_entries {
        fetch.max_entries =
            count(v, "fetch.max_entries", 100_000, problem).unwrap_or(fetch.max_entries);
    }
    if let Some(v) = &raw.max_connections {
        fetch.max_connections =
            count(v, "fetch.max_connections", 1024, problem).unwrap_or(fetch.max_connections);
    }
    if let Some(v) = &raw.per_host_connections {
        fetch.per_host.connections = count(v, "fetch.per_host_connections", 64, problem)
            .unwrap_or(fetch.per_host.connections);
    }
    if let Some(v) = &raw.per_host_gap {
        fetch.per_host.gap = gap(v, "fetch.per_host_gap", problem).unwrap_or(fetch.per_host.gap);
    }
    for (host, h) in &raw.hosts {
        let mut limits = fetch.per_host;
        if let Some(v) = &h.connections {
            limits.connections =
                count(v, "fetch.hosts.connections", 64, problem).unwrap_or(limits.connections);
        }
        if let Some(v) = &h.gap {
            limits.gap = gap(v, "fetch.hosts.gap", problem).unwrap_or(limits.gap);
        }
        fetch.hosts.insert(host.to_ascii_lowercase(), limits);
    }
}

/// `[schedule]`: the default interval and the adaptive schedule's bounds.
pub(super) fn schedule(raw: &RawSchedule, problem: &mut Report) -> (Duration, ScheduleConfig) {
    let mut default_interval = Duration::from_secs(30 * 60);
    positive_duration(
        &raw.interval,
        "schedule.interval",
        &mut default_interval,
        problem,
    );
    let mut schedule = ScheduleConfig::default();
    for (v, key, into) in [
        (
            &raw.min_interval,
            "schedule.min_interval",
            &mut schedule.min_interval,
        ),
        (
            &raw.max_interval,
            "schedule.max_interval",
            &mut schedule.max_interval,
        ),
        (
            &raw.full_poll,
            "schedule.full_poll",
            &mut schedule.full_poll,
        ),
    ] {
        positive_duration(v, key, into, problem);
    }
    if schedule.min_interval > schedule.max_interval {
        let span = raw
            .min_interval
            .as_ref()
            .or(raw.max_interval.as_ref())
            .map(|v| v.span())
            .unwrap_or(0..0);
        problem(
            span,
            "schedule.min_interval: is longer than schedule.max_interval".into(),
        );
    }
    (default_interval, schedule)
}

/// The schedule's intervals in order: min_interval ≤ interval ≤ max_interval.
pub(super) fn check_intervals(
    raw: &Raw,
    interval: Duration,
    schedule: &ScheduleConfig,
    problem: &mut Report,
) {
    let span = |v: &Option<Spanned<String>>| v.as_ref().map(|v| v.span());
    let at = span(&raw.schedule.interval)
        .or(span(&raw.schedule.min_interval))
        .or(span(&raw.schedule.max_interval))
        .unwrap_or(0..0);
    if schedule.min_interval > interval {
        problem(
            span(&raw.schedule.min_interval).unwrap_or(at.clone()),
            format!(
                "schedule.min_interval: {} is longer than schedule.interval ({})",
                human(schedule.min_interval),
                human(interval)
            ),
        );
    }
    if interval > schedule.max_interval {
        problem(
            at,
            format!(
                "schedule.interval: {} is longer than schedule.max_interval ({})",
                human(interval),
                human(schedule.max_interval)
            ),
        );
    }
}

/// `[topic]`.
pub(super) fn topic(raw: &Option<RawTopic>, problem: &mut Report) -> Option<Query> {
    let t = raw.as_ref()?;
    match Query::parse(t.query.get_ref()) {
        Ok(q) => Some(q),
        Err(e) => {
            problem(t.query.span(), e.to_string());
            None
        }
    }
}

/// `[archive]`: the WARC directory defaults to `warc/` beside the database.
pub(super) fn archive(
    raw: &RawArchive,
    paths: &Paths,
    database: &Path,
    problem: &mut Report,
) -> ArchiveConfig {
    let mut archive = ArchiveConfig {
        enabled: raw.enabled.unwrap_or(true),
        dir: match &raw.dir {
            Some(d) => paths.resolve(d.get_ref()),
            None => database
                .parent()
                .map(|p| p.join("warc"))
                .unwrap_or_else(|| PathBuf::from("warc")),
        },
        max_file_bytes: ArchiveConfig::DEFAULT_MAX_FILE_BYTES,
        max_record_bytes: ArchiveConfig::DEFAULT_MAX_RECORD_BYTES,
        capture_duplicates: raw.capture_duplicates.unwrap_or(false),
    };
    positive_size(
        &raw.max_file_size,
        "archive.max_file_size",
        &mut archive.max_file_bytes,
        problem,
    );
    positive_size(
        &raw.max_record_size,
        "archive.max_record_size",
        &mut archive.max_record_bytes,
        problem,
    );
    archive
}
