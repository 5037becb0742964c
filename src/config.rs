//! Configuration: TOML text → a validated [`Config`].
//!
//! Two steps, as in ripgrep's flags: the raw TOML is read strictly (unknown
//! keys are errors), then every value is checked and all problems are
//! reported at once, each with its file and line. Reads one file; must not
//! open the database, the corpus or the network.

pub mod edit;
pub mod opml;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use crate::topic::Query;

/// Where to look for the config when `--config` is not given.
pub fn default_path() -> PathBuf {
    if let Some(p) = std::env::var_os("TIDINGS_CONFIG").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let local = PathBuf::from("config/tidings.toml");
    if local.exists() {
        return local;
    }
    PathBuf::from("/etc/tidings/tidings.toml")
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    fetch: RawFetch,
    topic: Option<RawTopic>,
    #[serde(default)]
    schedule: RawSchedule,
    #[serde(default)]
    feeds: Vec<RawFeed>,
    #[serde(default)]
    alerts: Vec<RawAlert>,
    #[serde(default)]
    archive: RawArchive,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawArchive {
    enabled: Option<bool>,
    dir: Option<Spanned<String>>,
    max_file_size: Option<Spanned<String>>,
    max_record_size: Option<Spanned<String>>,
    capture_duplicates: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStore {
    database: Option<Spanned<String>>,
    corpus: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    #[serde(default)]
    allow_private_networks: bool,
    timeout: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    max_feed_size: Option<Spanned<String>>,
    max_page_size: Option<Spanned<String>>,
    concurrency: Option<Spanned<i64>>,
    max_entries: Option<Spanned<i64>>,
    max_connections: Option<Spanned<i64>>,
    per_host_connections: Option<Spanned<i64>>,
    per_host_gap: Option<Spanned<String>>,
    #[serde(default)]
    hosts: std::collections::BTreeMap<String, RawHost>,
    user_agent: Option<Spanned<String>>,
    proxy: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    query: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    interval: Option<Spanned<String>>,
    min_interval: Option<Spanned<String>>,
    max_interval: Option<Spanned<String>>,
    full_poll: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    connections: Option<Spanned<i64>>,
    gap: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    name: Spanned<String>,
    url: Spanned<String>,
    interval: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<String>,
    proxy: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlert {
    name: Option<Spanned<String>>,
    kind: Spanned<String>,
    url: Option<Spanned<String>>,
    secret: Option<String>,
    #[serde(default)]
    feeds: Vec<Spanned<String>>,
    #[serde(default)]
    tags: Vec<String>,
    query: Option<Spanned<String>>,
    expire: Option<Spanned<String>>,
    retry: Option<Spanned<String>>,
    pickup: Option<Spanned<i64>>,
    feed_health: Option<Spanned<String>>,
    // email
    server: Option<Spanned<String>>,
    port: Option<Spanned<i64>>,
    tls: Option<Spanned<String>>,
    username: Option<String>,
    password: Option<String>,
    password_env: Option<Spanned<String>>,
    from: Option<Spanned<String>>,
    #[serde(default)]
    to: Vec<Spanned<String>>,
    digest: Option<Spanned<String>>,
    // command
    command: Option<Spanned<Vec<String>>>,
    timeout: Option<Spanned<String>>,
}

/// The validated configuration, paths made absolute against the config file.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub database: PathBuf,
    pub corpus: PathBuf,
    pub fetch: FetchConfig,
    pub topic: Option<Query>,
    pub default_interval: Duration,
    pub schedule: ScheduleConfig,
    pub feeds: Vec<FeedConfig>,
    pub alerts: Vec<AlertConfig>,
    pub archive: ArchiveConfig,
}

/// The WARC evidence archive: where, and how much it may hold.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveConfig {
    pub enabled: bool,
    /// Default: `warc/` beside the database.
    pub dir: PathBuf,
    /// A file that has reached this size is closed and the next record
    /// starts a new one.
    pub max_file_bytes: u64,
    /// Response bodies beyond this are cut (the record says `WARC-Truncated:
    /// length`).
    pub max_record_bytes: u64,
    /// Capture the pages of duplicate sightings too.
    pub capture_duplicates: bool,
}

impl ArchiveConfig {
    pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;
    pub const DEFAULT_MAX_RECORD_BYTES: u64 = 10 << 20;
}

#[derive(Debug, Clone, PartialEq)]
pub struct FetchConfig {
    pub allow_private_networks: bool,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_feed_bytes: u64,
    pub max_page_bytes: u64,
    /// Feeds polled at the same time.
    pub concurrency: usize,
    /// New entries taken from one poll of one feed, the newest first: a
    /// feed of 100 000 items with fresh GUIDs would otherwise add every one
    /// of them to the database at every poll.
    pub max_entries: usize,
    /// Requests in flight at once, all hosts together.
    pub max_connections: usize,
    /// Each host's budget, unless `hosts` names it.
    pub per_host: HostLimits,
    pub hosts: std::collections::HashMap<String, HostLimits>,
    pub user_agent: String,
    pub proxy: Option<String>,
}

/// How hard one host may be asked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostLimits {
    /// Requests in flight at once.
    pub connections: usize,
    /// The least time between the starts of two requests.
    pub gap: Duration,
}

/// Bounds of the adaptive schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScheduleConfig {
    pub min_interval: Duration,
    pub max_interval: Duration,
    /// Poll without validators this often, to catch servers whose ETag or
    /// Last-Modified never changes.
    pub full_poll: Duration,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            min_interval: Duration::from_secs(5 * 60),
            max_interval: Duration::from_secs(12 * 3600),
            full_poll: Duration::from_secs(24 * 3600),
        }
    }
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            allow_private_networks: false,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_feed_bytes: 10 << 20,
            max_page_bytes: 10 << 20,
            concurrency: 8,
            max_entries: 200,
            max_connections: 16,
            per_host: HostLimits {
                connections: 2,
                gap: Duration::from_secs(2),
            },
            hosts: std::collections::HashMap::new(),
            user_agent: concat!(
                "tidings/",
                env!("CARGO_PKG_VERSION"),
                " (news monitoring; +https://github.com/tidings-news/tidings)"
            )
            .to_string(),
            proxy: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    pub name: String,
    pub url: Url,
    pub interval: Option<Duration>,
    pub tags: Vec<String>,
    /// A proxy for this feed's requests (its pages included).
    pub proxy: Option<String>,
}

pub use crate::alert::AlertConfig;

/// One thing wrong with the config, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: Option<usize>,
    pub message: String,
}

/// Everything wrong with one config file.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    pub path: PathBuf,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match p.line {
                Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, p.message)?,
                None => write!(f, "{}: {}", self.path.display(), p.message)?,
            }
        }
        Ok(())
    }
}

/// Parses "250ms", "90s", "15m", "2h", "1d", "1h30m".
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let bad = || format!("'{s}' is not a duration like 30s, 15m, 2h or 1d");
    let mut total = Duration::ZERO;
    let mut rest = s;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86400)),
            "" => {
                return Err(format!(
                    "'{s}' is not a duration like 30s, 15m, 2h or 1d (a unit is required)"
                ))
            }
            _ => return Err(bad()),
        };
        total = total.saturating_add(part);
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// Parses "10MiB", "512KiB", "5MB", "1GiB", "1000".
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("'{s}' is not a size like 512KiB or 10MiB"))?;
    let mult: u64 = match unit.trim() {
        "" | "B" => 1,
        "KB" | "kB" => 1000,
        "KiB" => 1 << 10,
        "MB" => 1000 * 1000,
        "MiB" => 1 << 20,
        "GB" => 1000 * 1000 * 1000,
        "GiB" => 1 << 30,
        _ => return Err(format!("'{s}' is not a size like 512KiB or 10MiB")),
    };
    Ok(n.saturating_mul(mult))
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            problems: vec![Problem {
                line: None,
                message: format!("cannot read: {e}"),
            }],
        })?;
        Config::parse(&text, path)
    }

    /// Validates config text; `path` is where it came from (for messages
    /// and for resolving relative paths).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let fail = |problems| ConfigError {
            path: path.to_path_buf(),
            problems,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            fail(vec![Problem {
                line,
                message: e.message().trim().replace('\n', " "),
            }])
        })?;
        let mut problems = Vec::new();
        let mut problem = |span: std::ops::Range<usize>, message: String| {
            problems.push(Problem {
                line: Some(line_of(text, span.start)),
                message,
            })
        };
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base
        };
        let resolve = |p: &str| -> PathBuf {
            let p = Path::new(p);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        let database = resolve(
            raw.store
                .database
                .as_ref()
                .map_or("../tidings.db", |s| s.get_ref()),
        );
        let corpus = resolve(
            raw.store
                .corpus
                .as_ref()
                .map_or("../seeds", |s| s.get_ref()),
        );

        let mut fetch = FetchConfig {
            allow_private_networks: raw.fetch.allow_private_networks,
            ..Default::default()
        };
        let mut duration = |v: &Option<Spanned<String>>, key: &str, into: &mut Duration| {
            if let Some(v) = v {
                match parse_duration(v.get_ref()) {
                    Ok(d) if d.is_zero() => {
                        problem(v.span(), format!("{key}: must be more than zero"))
                    }
                    Ok(d) => *into = d,
                    Err(e) => problem(v.span(), format!("{key}: {e}")),
                }
            }
        };
        duration(&raw.fetch.timeout, "fetch.timeout", &mut fetch.timeout);
        duration(
            &raw.fetch.connect_timeout,
            "fetch.connect_timeout",
            &mut fetch.connect_timeout,
        );
        let mut default_interval = Duration::from_secs(30 * 60);
        duration(
            &raw.schedule.interval,
            "schedule.interval",
            &mut default_interval,
        );
        let mut size = |v: &Option<Spanned<String>>, key: &str, into: &mut u64| {
            if let Some(v) = v {
                match parse_size(v.get_ref()) {
                    Ok(0) => problem(v.span(), format!("{key}: must be more than zero")),
                    Ok(n) => *into = n,
                    Err(e) => problem(v.span(), format!("{key}: {e}")),
                }
            }
        };
        size(
            &raw.fetch.max_feed_size,
            "fetch.max_feed_size",
            &mut fetch.max_feed_bytes,
        );
        size(
            &raw.fetch.max_page_size,
            "fetch.max_page_size",
            &mut fetch.max_page_bytes,
        );
        if let Some(c) = &raw.fetch.concurrency {
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
        if let Some(ua) = &raw.fetch.user_agent {
            if ua.get_ref().trim().is_empty() || ua.get_ref().contains(['\r', '\n']) {
                problem(
                    ua.span(),
                    "fetch.user_agent: must be one non-empty line".into(),
                );
            } else {
                fetch.user_agent = ua.get_ref().clone();
            }
        }
        if let Some(p) = &raw.fetch.proxy {
            match Url::parse(p.get_ref()) {
                Ok(u) if matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h") => {
                    fetch.proxy = Some(p.get_ref().clone())
                }
                _ => problem(
                    p.span(),
                    format!(
                        "fetch.proxy: '{}' is not an http, https, socks5 or socks5h URL",
                        p.get_ref()
                    ),
                ),
            }
        }

        let count = |v: &Spanned<i64>,
                     key: &str,
                     max: usize,
                     problem: &mut dyn FnMut(std::ops::Range<usize>, String)|
         -> Option<usize> {
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
        };
        let gap = |v: &Spanned<String>,
                   key: &str,
                   problem: &mut dyn FnMut(std::ops::Range<usize>, String)|
         -> Option<Duration> {
            // "0s" is a fine gap: a host of one's own.
            match parse_duration(v.get_ref()) {
                Ok(d) => Some(d),
                Err(e) => {
                    problem(v.span(), format!("{key}: {e}"));
                    None
                }
            }
        };
        if let Some(v) = &raw.fetch.max_entries {
            fetch.max_entries =
                count(v, "fetch.max_entries", 100_000, &mut problem).unwrap_or(fetch.max_entries);
        }
        if let Some(v) = &raw.fetch.max_connections {
            fetch.max_connections = count(v, "fetch.max_connections", 1024, &mut problem)
                .unwrap_or(fetch.max_connections);
        }
        if let Some(v) = &raw.fetch.per_host_connections {
            fetch.per_host.connections = count(v, "fetch.per_host_connections", 64, &mut problem)
                .unwrap_or(fetch.per_host.connections);
        }
        if let Some(v) = &raw.fetch.per_host_gap {
            fetch.per_host.gap =
                gap(v, "fetch.per_host_gap", &mut problem).unwrap_or(fetch.per_host.gap);
        }
        for (host, h) in &raw.fetch.hosts {
            let mut limits = fetch.per_host;
            if let Some(v) = &h.connections {
                limits.connections = count(v, "fetch.hosts.connections", 64, &mut problem)
                    .unwrap_or(limits.connections);
            }
            if let Some(v) = &h.gap {
                limits.gap = gap(v, "fetch.hosts.gap", &mut problem).unwrap_or(limits.gap);
            }
            fetch.hosts.insert(host.to_ascii_lowercase(), limits);
        }
        let mut schedule = ScheduleConfig::default();
        for (v, key, into) in [
            (
                &raw.schedule.min_interval,
                "schedule.min_interval",
                &mut schedule.min_interval,
            ),
            (
                &raw.schedule.max_interval,
                "schedule.max_interval",
                &mut schedule.max_interval,
            ),
            (
                &raw.schedule.full_poll,
                "schedule.full_poll",
                &mut schedule.full_poll,
            ),
        ] {
            if let Some(v) = v {
                match parse_duration(v.get_ref()) {
                    Ok(d) if !d.is_zero() => *into = d,
                    Ok(_) => problem(v.span(), format!("{key}: must be more than zero")),
                    Err(e) => problem(v.span(), format!("{key}: {e}")),
                }
            }
        }
        if schedule.min_interval > schedule.max_interval {
            let span = raw
                .schedule
                .min_interval
                .as_ref()
                .or(raw.schedule.max_interval.as_ref())
                .map(|v| v.span())
                .unwrap_or(0..0);
            problem(
                span,
                "schedule.min_interval: is longer than schedule.max_interval".into(),
            );
        }

        let topic = match &raw.topic {
            Some(t) => match Query::parse(t.query.get_ref()) {
                Ok(q) => Some(q),
                Err(e) => {
                    problem(t.query.span(), e.to_string());
                    None
                }
            },
            None => None,
        };

        let mut feeds: Vec<FeedConfig> = Vec::new();
        let mut names = std::collections::HashSet::new();
        for f in &raw.feeds {
            let name = f.name.get_ref().trim().to_string();
            if name.is_empty() {
                problem(f.name.span(), "feeds.name: must not be empty".into());
            } else if !names.insert(name.clone()) {
                problem(
                    f.name.span(),
                    format!("feeds.name: '{name}' is used by another feed"),
                );
            }
            let url = match Url::parse(f.url.get_ref().trim()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
                Ok(u) => {
                    problem(
                        f.url.span(),
                        format!(
                            "feeds.url: '{}' is not http or https ({})",
                            f.url.get_ref(),
                            u.scheme()
                        ),
                    );
                    None
                }
                Err(e) => {
                    problem(
                        f.url.span(),
                        format!("feeds.url: '{}' is not a URL: {e}", f.url.get_ref()),
                    );
                    None
                }
            };
            let mut interval = None;
            if let Some(v) = &f.interval {
                match parse_duration(v.get_ref()) {
                    Ok(d) if d < Duration::from_secs(60) => {
                        problem(v.span(), "feeds.interval: must be at least 1m".into())
                    }
                    Ok(d) => interval = Some(d),
                    Err(e) => problem(v.span(), format!("feeds.interval: {e}")),
                }
            }
            let proxy = f
                .proxy
                .as_ref()
                .and_then(|p| match Url::parse(p.get_ref()) {
                    Ok(u) if matches!(u.scheme(), "http" | "https" | "socks5" | "socks5h") => {
                        Some(p.get_ref().clone())
                    }
                    _ => {
                        problem(
                            p.span(),
                            format!(
                                "feeds.proxy: '{}' is not an http, https, socks5 or socks5h URL",
                                p.get_ref()
                            ),
                        );
                        None
                    }
                });
            if let Some(url) = url {
                feeds.push(FeedConfig {
                    name,
                    url,
                    interval,
                    tags: f.tags.clone(),
                    proxy,
                });
            }
        }

        let mut alerts: Vec<AlertConfig> = Vec::new();
        for (i, a) in raw.alerts.iter().enumerate() {
            let at = a.kind.span();
            let mut bad = |span: std::ops::Range<usize>, m: String| problem(span, m);
            let kind = a.kind.get_ref().as_str();
            let name = a
                .name
                .as_ref()
                .map(|n| n.get_ref().trim().to_string())
                .unwrap_or_else(|| {
                    if raw
                        .alerts
                        .iter()
                        .filter(|b| b.kind.get_ref() == kind)
                        .count()
                        > 1
                    {
                        format!("{kind}-{}", i + 1)
                    } else {
                        kind.to_string()
                    }
                });
            if name.is_empty() || alerts.iter().any(|b| b.name == name) {
                bad(
                    at.clone(),
                    format!("alerts: the name '{name}' is empty or used by another sink"),
                );
            }
            let url = |bad: &mut dyn FnMut(std::ops::Range<usize>, String)| -> Option<Url> {
                match &a.url {
                    None => {
                        bad(at.clone(), format!("alerts.{kind}: a url is required"));
                        None
                    }
                    Some(u) => match Url::parse(u.get_ref()) {
                        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
                        _ => {
                            bad(
                                u.span(),
                                format!(
                                    "alerts.url: '{}' is not an http or https URL",
                                    u.get_ref()
                                ),
                            );
                            None
                        }
                    },
                }
            };
            let dur = |v: &Option<Spanned<String>>,
                       key: &str,
                       default: Option<Duration>,
                       bad: &mut dyn FnMut(std::ops::Range<usize>, String)|
             -> Option<Duration> {
                match v {
                    None => default,
                    Some(v) => match parse_duration(v.get_ref()) {
                        Ok(d) if !d.is_zero() => Some(d),
                        Ok(_) => {
                            bad(v.span(), format!("alerts.{key}: must be more than zero"));
                            default
                        }
                        Err(e) => {
                            bad(v.span(), format!("alerts.{key}: {e}"));
                            default
                        }
                    },
                }
            };
            use crate::alert::{EmailSink, Sink, Tls};
            let sink = match kind {
                "webhook" => url(&mut bad).map(|url| Sink::Webhook {
                    url,
                    secret: a.secret.clone(),
                }),
                "slack" => url(&mut bad).map(|url| Sink::Slack { url }),
                "discord" => url(&mut bad).map(|url| Sink::Discord { url }),
                "ntfy" => url(&mut bad).map(|url| Sink::Ntfy { url }),
                "email" => {
                    let tls = match a.tls.as_ref().map(|t| (t.get_ref().as_str(), t.span())) {
                        None | Some(("starttls", _)) => Tls::StartTls,
                        Some(("implicit", _)) => Tls::Implicit,
                        Some(("none", _)) => Tls::None,
                        Some((other, span)) => {
                            bad(
                                span,
                                format!("alerts.tls: '{other}' is not starttls, implicit or none"),
                            );
                            Tls::StartTls
                        }
                    };
                    let port = match &a.port {
                        None => Some(match tls {
                            Tls::Implicit => 465,
                            Tls::StartTls => 587,
                            Tls::None => 25,
                        }),
                        Some(p) => match u16::try_from(*p.get_ref()) {
                            Ok(n) if n > 0 => Some(n),
                            _ => {
                                bad(
                                    p.span(),
                                    format!("alerts.port: {} is not a port", p.get_ref()),
                                );
                                None
                            }
                        },
                    };
                    let server = a
                        .server
                        .as_ref()
                        .map(|s| s.get_ref().trim().to_string())
                        .filter(|s| !s.is_empty());
                    if server.is_none() {
                        bad(at.clone(), "alerts.email: a server is required".into());
                    }
                    let mailbox = |v: &Spanned<String>, key: &str, bad: &mut dyn FnMut(std::ops::Range<usize>, String)| {
                        if v.get_ref().parse::<lettre::message::Mailbox>().is_err() {
                            bad(v.span(), format!("alerts.{key}: '{}' is not an email address", v.get_ref()));
                        }
                    };
                    match &a.from {
                        Some(f) => mailbox(f, "from", &mut bad),
                        None => bad(
                            at.clone(),
                            "alerts.email: a from address is required".into(),
                        ),
                    }
                    if a.to.is_empty() {
                        bad(
                            at.clone(),
                            "alerts.email: at least one to address is required".into(),
                        );
                    }
                    for t in &a.to {
                        mailbox(t, "to", &mut bad);
                    }
                    let password = match &a.password_env {
                        Some(var) => match std::env::var(var.get_ref()) {
                            Ok(p) => Some(p),
                            Err(_) => {
                                bad(
                                    var.span(),
                                    format!("alerts.password_env: ${} is not set", var.get_ref()),
                                );
                                None
                            }
                        },
                        None => a.password.clone(),
                    };
                    let digest = dur(&a.digest, "digest", None, &mut bad);
                    match (server, port) {
                        (Some(server), Some(port)) => Some(Sink::Email(EmailSink {
                            server,
                            port,
                            tls,
                            username: a.username.clone(),
                            password,
                            from: a
                                .from
                                .as_ref()
                                .map(|f| f.get_ref().clone())
                                .unwrap_or_default(),
                            to: a.to.iter().map(|t| t.get_ref().clone()).collect(),
                            digest,
                        })),
                        _ => None,
                    }
                }
                "command" => match &a.command {
                    Some(c) if !c.get_ref().is_empty() => {
                        let prog = Path::new(&c.get_ref()[0]);
                        if !prog.is_absolute() || !prog.is_file() {
                            bad(
                                c.span(),
                                format!(
                                    "alerts.command: '{}' is not an absolute path to a program",
                                    prog.display()
                                ),
                            );
                        }
                        let timeout = dur(
                            &a.timeout,
                            "timeout",
                            Some(Duration::from_secs(30)),
                            &mut bad,
                        )
                        .unwrap_or(Duration::from_secs(30));
                        Some(Sink::Command {
                            argv: c.get_ref().clone(),
                            timeout,
                        })
                    }
                    _ => {
                        bad(at.clone(), "alerts.command: a command = [\"/path/to/program\", \"arg\", …] is required".into());
                        None
                    }
                },
                other => {
                    bad(at.clone(), format!("alerts.kind: '{other}' is not a sink (webhook, slack, discord, ntfy, email, command)"));
                    None
                }
            };
            for f in &a.feeds {
                if !raw
                    .feeds
                    .iter()
                    .any(|g| g.name.get_ref().trim() == f.get_ref())
                {
                    bad(
                        f.span(),
                        format!("alerts.feeds: no feed is named '{}'", f.get_ref()),
                    );
                }
            }
            let query = a
                .query
                .as_ref()
                .and_then(|q| match Query::parse(q.get_ref()) {
                    Ok(q) => Some(q),
                    Err(e) => {
                        bad(q.span(), format!("alerts.query: {e}"));
                        None
                    }
                });
            let expire = dur(
                &a.expire,
                "expire",
                Some(Duration::from_secs(2 * 86400)),
                &mut bad,
            )
            .unwrap_or(Duration::from_secs(2 * 86400));
            let feed_health = dur(&a.feed_health, "feed_health", None, &mut bad);
            let retry = dur(&a.retry, "retry", Some(Duration::from_secs(30)), &mut bad)
                .unwrap_or(Duration::from_secs(30));
            let pickup = match &a.pickup {
                None => None,
                Some(p) => match u32::try_from(*p.get_ref()) {
                    Ok(n) if n >= 2 => Some(n),
                    _ => {
                        bad(
                            p.span(),
                            format!(
                                "alerts.pickup: {} is not a number of outlets of 2 or more",
                                p.get_ref()
                            ),
                        );
                        None
                    }
                },
            };
            if let Some(sink) = sink {
                alerts.push(AlertConfig {
                    name,
                    sink,
                    filter: crate::alert::Filter {
                        feeds: a.feeds.iter().map(|f| f.get_ref().clone()).collect(),
                        tags: a.tags.clone(),
                        query,
                    },
                    expire,
                    retry,
                    pickup,
                    feed_health,
                });
            }
        }

        let mut archive = ArchiveConfig {
            enabled: raw.archive.enabled.unwrap_or(true),
            dir: match &raw.archive.dir {
                Some(d) => resolve(d.get_ref()),
                None => database
                    .parent()
                    .map(|p| p.join("warc"))
                    .unwrap_or_else(|| PathBuf::from("warc")),
            },
            max_file_bytes: ArchiveConfig::DEFAULT_MAX_FILE_BYTES,
            max_record_bytes: ArchiveConfig::DEFAULT_MAX_RECORD_BYTES,
            capture_duplicates: raw.archive.capture_duplicates.unwrap_or(false),
        };
        for (v, key, into) in [
            (
                &raw.archive.max_file_size,
                "archive.max_file_size",
                &mut archive.max_file_bytes,
            ),
            (
                &raw.archive.max_record_size,
                "archive.max_record_size",
                &mut archive.max_record_bytes,
            ),
        ] {
            if let Some(v) = v {
                match parse_size(v.get_ref()) {
                    Ok(0) => problem(v.span(), format!("{key}: must be more than zero")),
                    Ok(n) => *into = n,
                    Err(e) => problem(v.span(), format!("{key}: {e}")),
                }
            }
        }

        if !problems.is_empty() {
            return Err(fail(problems));
        }
        Ok(Config {
            archive,
            path: path.to_path_buf(),
            database,
            corpus,
            fetch,
            topic,
            default_interval,
            schedule,
            feeds,
            alerts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/tidings/t.toml"))
    }

    #[test]
    fn relative_paths_follow_the_config_file() {
        let c = parse("[store]\ndatabase = \"../x.db\"\ncorpus = \"/srv/corpus\"\n").unwrap();
        assert_eq!(c.database, PathBuf::from("/etc/tidings/../x.db"));
        assert_eq!(c.corpus, PathBuf::from("/srv/corpus"));
    }

    #[test]
    fn archive_sits_beside_the_database_unless_told() {
        let c = parse("[store]\ndatabase = \"../x.db\"\n").unwrap();
        assert_eq!(c.archive.dir, PathBuf::from("/etc/tidings/../warc"));
        assert!(c.archive.enabled && !c.archive.capture_duplicates);
        let c = parse(
            "[archive]\nenabled = false\ndir = \"w\"\nmax_file_size = \"1MiB\"\nmax_record_size = \"2KiB\"\ncapture_duplicates = true\n",
        )
        .unwrap();
        assert_eq!(
            c.archive,
            ArchiveConfig {
                enabled: false,
                dir: PathBuf::from("/etc/tidings/w"),
                max_file_bytes: 1 << 20,
                max_record_bytes: 2048,
                capture_duplicates: true,
            }
        );
        let e = parse("[archive]\nmax_record_size = \"0\"\nmax_file_size = \"big\"\n").unwrap_err();
        assert_eq!(e.problems.len(), 2, "{e}");
    }

    #[test]
    fn unknown_key_names_its_line() {
        let e = parse("[store]\ndatabase = \"a.db\"\ncorpse = \"x\"\n").unwrap_err();
        assert_eq!(e.problems.len(), 1);
        assert_eq!(e.problems[0].line, Some(3));
        assert!(e.problems[0].message.contains("corpse"), "{e}");
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let text = "[fetch]\ntimeout = \"soon\"\nmax_page_size = \"lots\"\n\n[topic]\nquery = \"(gay\"\n\n[[feeds]]\nname = \"a\"\nurl = \"ftp://x\"\n";
        let e = parse(text).unwrap_err();
        let lines: Vec<_> = e.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![Some(2), Some(3), Some(6), Some(10)], "{e}");
        assert!(
            e.to_string()
                .starts_with("/etc/tidings/t.toml:2: fetch.timeout"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_feed_names_are_refused() {
        let e = parse("[[feeds]]\nname = \"a\"\nurl = \"https://a.example/\"\n[[feeds]]\nname = \"a\"\nurl = \"https://b.example/\"\n")
            .unwrap_err();
        assert_eq!(e.problems[0].line, Some(5));
    }

    #[test]
    fn durations_and_sizes_read_like_people_write_them() {
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("m5").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("15").is_err());
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("5MB"), Ok(5_000_000));
        assert!(parse_size("5 parsecs").is_err());
    }
}
