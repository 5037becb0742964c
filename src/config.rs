//! Configuration: TOML text → a validated [`Config`].
//!
//! Two steps. The raw TOML is read leniently (`read_leniently`): every
//! syntax, type, unknown-key and missing-key error is recorded with its
//! line and dotted key, and what is left is read as if those keys were
//! absent. Then every value is checked, one function or closure per kind
//! of check (`check_feeds`, `check_intervals`, …: a new check is one more
//! of them), and all problems are reported at once, in the file's order.
//! Reads one file and the environment's `STATE_DIRECTORY`; must not open
//! the database, the corpus or the network.

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
    seeds: Option<Spanned<String>>,
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
    url_env: Option<Spanned<String>>,
    url_file: Option<Spanned<String>>,
    secret: Option<String>,
    secret_env: Option<Spanned<String>>,
    secret_file: Option<Spanned<String>>,
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
    password_file: Option<Spanned<String>>,
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
    /// Corpus files copied into an empty corpus at the first start (read,
    /// never written).
    pub seeds: Option<PathBuf>,
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
            // The project has no web address to name; an operator adds a
            // contact of their own (fetch.user_agent).
            user_agent: concat!("tidings/", env!("CARGO_PKG_VERSION"), " (news monitoring)")
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
    if total > MAX_DURATION {
        return Err(format!("'{s}' is longer than 3650d"));
    }
    Ok(total)
}

/// The longest duration any setting takes: ten years. Longer ones
/// overflowed the clock arithmetic of a started service (a per-host gap
/// of 18446744073709551615d, a retry or digest of as long) and panicked it.
const MAX_DURATION: Duration = Duration::from_secs(3650 * 86400);

/// A URL as it may appear in a message: a password in it (a proxy's)
/// replaced by `…`. Works on text that is not a valid URL too, since the
/// messages that quote a URL are mostly about it not being one.
pub(crate) fn hide_password(url: &str) -> String {
    let Some(i) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[i + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _)) => format!("{}://{user}:…@{}", &url[..i], &rest[at + 1..]),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Whether an SMTP server name is this machine.
fn is_loopback_server(server: &str) -> bool {
    let host = server.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A secret kept out of the config file: the value of the variable
/// `*_env` names, or the content of the file `*_file` names (a leading
/// `$CREDENTIALS_DIRECTORY/` is where systemd's `LoadCredential=` puts
/// it), with trailing line ends removed. `Err` is the message for the
/// key at fault.
fn read_secret(
    key: &str,
    env: Option<&str>,
    file: Option<&Path>,
) -> Result<Option<String>, String> {
    if let Some(var) = env {
        return std::env::var(var)
            .map(Some)
            .map_err(|_| format!("{key}_env: ${var} is not set"));
    }
    let Some(file) = file else { return Ok(None) };
    let path = match file.strip_prefix("$CREDENTIALS_DIRECTORY") {
        Ok(rest) => match std::env::var_os("CREDENTIALS_DIRECTORY") {
            Some(dir) => Path::new(&dir).join(rest),
            None => {
                return Err(format!(
                    "{key}_file: $CREDENTIALS_DIRECTORY is not set (systemd sets it for a unit with LoadCredential=)"
                ))
            }
        },
        Err(_) => file.to_path_buf(),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text.trim_end_matches(['\r', '\n']).to_string())),
        Err(e) => Err(format!("{key}_file: cannot read {}: {e}", path.display())),
    }
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

/// Where the database and corpus go when `[store]` does not say: systemd's
/// `$STATE_DIRECTORY` (its first entry) when set, `/var/lib/tidings` for a
/// config under `/etc`, else beside the config file. Never the config
/// file's parent: that was `/etc` for `/etc/tidings/tidings.toml`.
fn state_dir(config_dir: &Path, state_directory: Option<&std::ffi::OsStr>) -> PathBuf {
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

/// How many syntax errors are reported before the rest of the file is
/// given up on (an unclosed string or bracket can make every later line
/// an error of its own).
const MAX_SYNTAX_PROBLEMS: usize = 20;

/// Reads the TOML into [`Raw`], collecting every syntax, type,
/// unknown-key and missing-key problem instead of stopping at the first:
/// each problem's lines are blanked (byte for byte, so offsets and line
/// numbers stay those of the file) and the text is read again. What is
/// left is read as if the blanked keys were absent, so the values around
/// a mistake are still checked.
fn read_leniently(text: &str) -> (Raw, Vec<Problem>) {
    let mut text = text.to_string();
    let mut problems = Vec::new();
    let mut syntax = 0;
    // Each round blanks at least one line, so the file's length bounds it.
    for _ in 0..=text.lines().count() {
        let error = match toml::from_str::<Raw>(&text) {
            Ok(raw) => return (raw, problems),
            Err(e) => e,
        };
        let message = plain_types(error.message());
        let doc = match toml_edit::Document::parse(text.as_str()) {
            Ok(doc) => doc,
            Err(e) => {
                let at = e.span().map_or(0, |s| s.start);
                problems.push(Problem {
                    line: Some(line_of(&text, at)),
                    message: format!("TOML syntax: {}", e.message().trim().replace('\n', " ")),
                });
                syntax += 1;
                if syntax >= MAX_SYNTAX_PROBLEMS {
                    break;
                }
                blank_lines(&mut text, at..at);
                continue;
            }
        };
        let Some(at) = error.span().map(|s| s.start) else {
            problems.push(Problem {
                line: None,
                message,
            });
            break;
        };
        let (key, ranges) = locate(doc.as_table(), at, "").unwrap_or_default();
        problems.push(Problem {
            line: Some(line_of(&text, at)),
            message: if key.is_empty() {
                message
            } else {
                format!("{key}: {message}")
            },
        });
        if ranges.is_empty() {
            break;
        }
        for r in ranges {
            blank_lines(&mut text, r);
        }
    }
    (Raw::default(), problems)
}

/// serde's words for types, in the config's: "expected i64" reads
/// "expected an integer", a struct is a table, a sequence an array.
fn plain_types(message: &str) -> String {
    let mut m = message.trim().replace('\n', " ");
    for (rust, toml) in [
        ("expected i64", "expected an integer"),
        ("expected u64", "expected an integer"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected an array"),
    ] {
        m = m.replace(rust, toml);
    }
    if let Some(i) = m.find("expected struct ") {
        m.truncate(i);
        m.push_str("expected a table");
    }
    m
}

/// Spaces over every line that `range` touches (line ends kept).
fn blank_lines(text: &mut String, range: std::ops::Range<usize>) {
    let start = text[..range.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = text[range.end.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i);
    let blank: String = text[start..end]
        .chars()
        .map(|c| if c == '\n' { c } else { ' ' })
        .collect();
    // Same byte length only for ASCII; pad so offsets after it hold.
    let pad = (end - start).saturating_sub(blank.len());
    text.replace_range(start..end, &(blank + &" ".repeat(pad)));
}

/// The dotted key at byte `at` (the innermost table or key/value that
/// holds it; inline tables and arrays count as one value) and the byte
/// ranges that make it up.
fn locate(
    table: &toml_edit::Table,
    at: usize,
    prefix: &str,
) -> Option<(String, Vec<std::ops::Range<usize>>)> {
    let holds = |r: &Option<std::ops::Range<usize>>| {
        r.as_ref()
            .is_some_and(|r| r.start <= at && at < r.end.max(r.start + 1))
    };
    for (k, item) in table.iter() {
        let path = if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        };
        let key_span = table.key(k).and_then(|k| k.span());
        let tables: Vec<&toml_edit::Table> = match item {
            toml_edit::Item::Table(t) => vec![t],
            toml_edit::Item::ArrayOfTables(a) => a.iter().collect(),
            toml_edit::Item::Value(v) => {
                let span = match (key_span.clone(), v.span()) {
                    (Some(k), Some(v)) => Some(k.start.min(v.start)..v.end),
                    (k, v) => v.or(k),
                };
                if holds(&span) {
                    return Some((path, span.into_iter().collect()));
                }
                continue;
            }
            toml_edit::Item::None => continue,
        };
        for t in tables {
            if let Some(found) = locate(t, at, &path) {
                return Some(found);
            }
            if holds(&t.span()) || (t.span().is_none() && holds(&key_span)) {
                return Some((path, extent(t)));
            }
        }
    }
    None
}

/// Every byte range of a table: its header and its keys, nested ones too.
fn extent(table: &toml_edit::Table) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<_> = table.span().into_iter().collect();
    for (k, item) in table.iter() {
        match item {
            toml_edit::Item::Value(v) => {
                out.extend(table.key(k).and_then(|k| k.span()));
                out.extend(v.span());
            }
            toml_edit::Item::Table(t) => out.extend(extent(t)),
            toml_edit::Item::ArrayOfTables(a) => a.iter().for_each(|t| out.extend(extent(t))),
            toml_edit::Item::None => {}
        }
    }
    out
}

/// A feed name must work as a word on the command line and in logs:
/// letters, digits, `-`, `_` and `.`, not opening with `-` or `.`.
pub fn feed_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("must not be empty".into());
    }
    if name.starts_with(['-', '.']) {
        return Some(format!("'{name}' must not start with '-' or '.'"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!(
            "'{name}' is not usable as a name: {c:?} (use letters, digits, '-', '_' or '.')"
        ));
    }
    None
}

/// What the feeds' list must not hold: two feeds polling one URL, and
/// feeds at private addresses while those are refused (every poll would
/// fail; `check` says so before the first one).
fn check_feeds(
    raw: &Raw,
    fetch: &FetchConfig,
    problem: &mut dyn FnMut(std::ops::Range<usize>, String),
) {
    let mut urls: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for f in &raw.feeds {
        let Ok(url) = Url::parse(f.url.get_ref().trim()) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        let name = f.name.get_ref().trim();
        if let Some(other) = urls.insert(url.to_string(), name.to_string()) {
            problem(
                f.url.span(),
                format!("feeds.url: '{url}' is polled by feed '{other}' already"),
            );
        }
        if !fetch.allow_private_networks {
            let private = match url.host() {
                Some(url::Host::Ipv4(ip)) => crate::fetch::is_private(ip.into()),
                Some(url::Host::Ipv6(ip)) => crate::fetch::is_private(ip.into()),
                Some(url::Host::Domain(d)) => {
                    let d = d.trim_end_matches('.').to_ascii_lowercase();
                    d == "localhost" || d.ends_with(".localhost")
                }
                None => false,
            };
            if private {
                problem(
                    f.url.span(),
                    format!("feeds.url: '{url}' is a private address, and fetch.allow_private_networks is false"),
                );
            }
        }
    }
}

/// The schedule's intervals in order: min_interval ≤ interval ≤ max_interval.
fn check_intervals(
    raw: &Raw,
    interval: Duration,
    schedule: &ScheduleConfig,
    problem: &mut dyn FnMut(std::ops::Range<usize>, String),
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

/// A duration as the config writes it ("5m", "1h30m").
fn human(d: Duration) -> String {
    let mut s = d.as_secs();
    let mut out = String::new();
    for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] {
        if s >= size {
            out.push_str(&format!("{}{unit}", s / size));
            s %= size;
        }
    }
    if out.is_empty() {
        format!("{}ms", d.as_millis())
    } else {
        out
    }
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
        let (raw, mut problems) = read_leniently(text);
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
        let state = state_dir(&base, std::env::var_os("STATE_DIRECTORY").as_deref());
        let database = match &raw.store.database {
            Some(d) => resolve(d.get_ref()),
            None => state.join("tidings.db"),
        };
        let corpus = match &raw.store.corpus {
            Some(c) => resolve(c.get_ref()),
            None => state.join("corpus"),
        };
        let seeds = raw.store.seeds.as_ref().map(|s| resolve(s.get_ref()));

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
            if ua.get_ref().trim().is_empty() || ua.get_ref().contains(char::is_control) {
                problem(
                    ua.span(),
                    "fetch.user_agent: must be one non-empty line without control characters"
                        .into(),
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
                        hide_password(p.get_ref())
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
            if let Some(why) = feed_name_problem(&name) {
                problem(f.name.span(), format!("feeds.name: {why}"));
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
                                hide_password(p.get_ref())
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
            // A secret from the file itself, or kept out of it by `*_env`
            // or `*_file`; the span is the key's, for the messages.
            let secret = |key: &str,
                          direct: Option<(&str, std::ops::Range<usize>)>,
                          env: &Option<Spanned<String>>,
                          file: &Option<Spanned<String>>,
                          bad: &mut dyn FnMut(std::ops::Range<usize>, String)|
             -> Option<(String, std::ops::Range<usize>)> {
                let given = [env.is_some(), file.is_some(), direct.is_some()];
                let span = env
                    .as_ref()
                    .or(file.as_ref())
                    .map(|v| v.span())
                    .or(direct.as_ref().map(|d| d.1.clone()))?;
                if given.iter().filter(|g| **g).count() > 1 {
                    bad(
                        span,
                        format!("alerts.{key}: give one of {key}, {key}_env and {key}_file"),
                    );
                    return None;
                }
                if let Some((value, span)) = direct {
                    return Some((value.to_string(), span));
                }
                let file = file.as_ref().map(|f| {
                    let p = f.get_ref();
                    if p.starts_with("$CREDENTIALS_DIRECTORY") {
                        PathBuf::from(p)
                    } else {
                        resolve(p)
                    }
                });
                match read_secret(
                    key,
                    env.as_ref().map(|e| e.get_ref().as_str()),
                    file.as_deref(),
                ) {
                    Ok(v) => v.map(|v| (v, span)),
                    Err(e) => {
                        bad(span, format!("alerts.{e}"));
                        None
                    }
                }
            };
            let url = |bad: &mut dyn FnMut(std::ops::Range<usize>, String)| -> Option<Url> {
                let direct = a.url.as_ref().map(|u| (u.get_ref().as_str(), u.span()));
                let kept_out = a.url_env.is_some() || a.url_file.is_some();
                match secret("url", direct, &a.url_env, &a.url_file, bad) {
                    None if a.url.is_none() && !kept_out => {
                        bad(at.clone(), format!("alerts.{kind}: a url is required"));
                        None
                    }
                    None => None,
                    Some((u, span)) => match Url::parse(u.trim()) {
                        Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
                        // Only a URL written in the file is quoted: one
                        // kept out of it is a credential.
                        _ if kept_out => {
                            bad(
                                span,
                                "alerts.url: the value read is not an http or https URL".into(),
                            );
                            None
                        }
                        _ => {
                            bad(
                                span,
                                format!("alerts.url: '{u}' is not an http or https URL"),
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
                "webhook" => {
                    let key = secret(
                        "secret",
                        a.secret.as_deref().map(|v| (v, at.clone())),
                        &a.secret_env,
                        &a.secret_file,
                        &mut bad,
                    );
                    url(&mut bad).map(|url| Sink::Webhook {
                        url,
                        secret: key.map(|k| k.0),
                    })
                }
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
                    let password = secret(
                        "password",
                        a.password.as_deref().map(|v| (v, at.clone())),
                        &a.password_env,
                        &a.password_file,
                        &mut bad,
                    )
                    .map(|p| p.0);
                    if let (Tls::None, Some(server)) = (tls, &server) {
                        if (a.username.is_some() || password.is_some())
                            && !is_loopback_server(server)
                        {
                            bad(
                                a.tls.as_ref().map_or(at.clone(), |t| t.span()),
                                format!("alerts.tls: 'none' would send the password in the clear to {server}: use starttls or implicit, or a relay on this machine"),
                            );
                        }
                    }
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
                        if c.get_ref().iter().any(|arg| arg.contains(char::is_control)) {
                            bad(
                                c.span(),
                                "alerts.command: an argument holds a control character".into(),
                            );
                        }
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
            let retry = dur(
                &a.retry,
                "retry",
                Some(crate::alert::DEFAULT_RETRY),
                &mut bad,
            )
            .unwrap_or(crate::alert::DEFAULT_RETRY);
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

        check_feeds(&raw, &fetch, &mut problem);
        check_intervals(&raw, default_interval, &schedule, &mut problem);
        if !problems.is_empty() {
            // Syntax and type problems are found first, the rest after:
            // the reader wants them in the file's order.
            problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
            return Err(fail(problems));
        }
        Ok(Config {
            archive,
            path: path.to_path_buf(),
            database,
            corpus,
            seeds,
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
    fn without_a_store_table_data_goes_to_the_state_directory_or_beside_the_config() {
        assert_eq!(
            state_dir(Path::new("/etc/tidings"), None),
            PathBuf::from("/var/lib/tidings")
        );
        assert_eq!(
            state_dir(Path::new("/home/a/cfg"), None),
            PathBuf::from("/home/a/cfg")
        );
        assert_eq!(
            state_dir(
                Path::new("/etc/tidings"),
                Some(std::ffi::OsStr::new("/var/lib/tidings-x:/var/lib/other"))
            ),
            PathBuf::from("/var/lib/tidings-x")
        );
        let c = Config::parse("", Path::new("/home/a/cfg/t.toml")).unwrap();
        assert_eq!(c.database, PathBuf::from("/home/a/cfg/tidings.db"));
        assert_eq!(c.corpus, PathBuf::from("/home/a/cfg/corpus"));
        assert_eq!(c.archive.dir, PathBuf::from("/home/a/cfg/warc"));
        assert_eq!(c.seeds, None);
    }

    #[test]
    fn default_user_agent_names_no_made_up_address() {
        let ua = FetchConfig::default().user_agent;
        assert!(ua.starts_with("tidings/") && !ua.contains("http"), "{ua}");
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
    fn check_lists_syntax_type_and_unknown_key_problems_at_once() {
        let text = "[store]\ndatabase = \"a.db\"\ncorpse = \"x\"\n\n[fetch]\nconcurrency = \"eight\"\ntimeout = \"soon\"\nbroken = \n\n[[feeds]]\nname = \"a\"\n\n[[feeds]]\nname = \"b\"\nurl = \"https://b.example/\"\ninterval = 5\n";
        let e = parse(text).unwrap_err();
        let got: Vec<(Option<usize>, &str)> = e
            .problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(got.len(), 6, "{e}");
        assert_eq!(got[0].0, Some(3));
        assert!(got[0].1.starts_with("store.corpse: unknown field"), "{e}");
        assert_eq!(got[1].0, Some(6));
        assert!(
            got[1].1.starts_with("fetch.concurrency: invalid type"),
            "{e}"
        );
        assert_eq!(got[2].0, Some(7));
        assert!(got[2].1.starts_with("fetch.timeout: "), "{e}");
        assert_eq!(got[3].0, Some(8));
        assert!(got[3].1.starts_with("TOML syntax"), "{e}");
        assert_eq!(got[4].0, Some(10));
        assert!(got[4].1.contains("missing field `url`"), "{e}");
        assert_eq!(got[5].0, Some(16));
        assert!(got[5].1.starts_with("feeds.interval: invalid type"), "{e}");
    }

    #[test]
    fn check_keeps_line_numbers_past_a_blanked_line_with_accents() {
        let e =
            parse("[topic]\nquery = 'é' # é\nwhat = 1\n[fetch]\ntimeout = \"x\"\n").unwrap_err();
        let lines: Vec<_> = e.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![Some(3), Some(5)], "{e}");
    }

    #[test]
    fn check_refuses_two_feeds_at_one_url() {
        let e = parse("[[feeds]]\nname = \"a\"\nurl = \"https://a.example/feed\"\n[[feeds]]\nname = \"b\"\nurl = \"https://a.example/feed\"\n").unwrap_err();
        assert_eq!(e.problems.len(), 1, "{e}");
        assert_eq!(e.problems[0].line, Some(6));
        assert!(e.problems[0].message.contains("feed 'a'"), "{e}");
    }

    #[test]
    fn check_refuses_min_interval_above_interval() {
        let e = parse("[schedule]\ninterval = \"10m\"\nmin_interval = \"20m\"\n").unwrap_err();
        assert_eq!(e.problems.len(), 1, "{e}");
        assert_eq!(e.problems[0].line, Some(3));
        assert!(
            e.problems[0]
                .message
                .contains("20m is longer than schedule.interval (10m)"),
            "{e}"
        );
        assert!(parse("[schedule]\ninterval = \"24h\"\n").is_err());
        assert!(parse("[schedule]\ninterval = \"10m\"\nmin_interval = \"10m\"\n").is_ok());
    }

    #[test]
    fn check_refuses_feed_names_unusable_as_names() {
        for bad in ["rights watch", "-x", "a/b", "tab\\there", ".hidden"] {
            let text = format!("[[feeds]]\nname = \"{bad}\"\nurl = \"https://a.example/\"\n");
            let e = parse(&text).unwrap_err();
            assert!(
                e.problems[0].message.starts_with("feeds.name:"),
                "{bad}: {e}"
            );
        }
        for good in ["rights-watch", "bbc_news", "taz.de", "meduza"] {
            let text = format!("[[feeds]]\nname = \"{good}\"\nurl = \"https://a.example/\"\n");
            assert!(parse(&text).is_ok(), "{good}");
        }
    }

    #[test]
    fn check_refuses_feeds_at_private_addresses_while_those_are_off() {
        let feeds = "[[feeds]]\nname = \"a\"\nurl = \"http://127.0.0.1:8080/feed\"\n[[feeds]]\nname = \"b\"\nurl = \"http://localhost/feed\"\n[[feeds]]\nname = \"c\"\nurl = \"http://192.168.1.2/feed\"\n";
        let e = parse(feeds).unwrap_err();
        assert_eq!(e.problems.len(), 3, "{e}");
        assert!(e.problems[0].message.contains("private address"), "{e}");
        let allowed = format!("[fetch]\nallow_private_networks = true\n{feeds}");
        assert!(parse(&allowed).is_ok());
    }

    #[test]
    fn proxy_passwords_are_not_echoed() {
        assert_eq!(
            hide_password("socks5h://tor:pa:ss@127.0.0.1:9050/x"),
            "socks5h://tor:…@127.0.0.1:9050/x"
        );
        assert_eq!(hide_password("http://proxy:3128"), "http://proxy:3128");
        assert_eq!(hide_password("user@host"), "user@host");
        let e = parse(
            "[[feeds]]\nname = \"a\"\nurl = \"https://a.example/\"\nproxy = \"gopher://me:pw@p\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("'gopher://me:…@p'"), "{e}");
    }

    #[test]
    fn secrets_come_from_a_variable_or_a_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hook-secret"), "from-file\n").unwrap();
        std::fs::write(dir.path().join("hook-url"), "https://hooks.example/T0K3N\n").unwrap();
        std::env::set_var("TIDINGS_TEST_SECRET_PW", "from-env");
        let text = "[[alerts]]\nkind = \"webhook\"\nurl_file = \"hook-url\"\nsecret_file = \"hook-secret\"\n\n\
            [[alerts]]\nkind = \"email\"\nserver = \"localhost\"\ntls = \"none\"\nusername = \"u\"\npassword_env = \"TIDINGS_TEST_SECRET_PW\"\nfrom = \"a@example.org\"\nto = [\"b@example.org\"]\n";
        let c = Config::parse(text, &dir.path().join("t.toml")).unwrap();
        assert_eq!(
            c.alerts[0].sink,
            crate::alert::Sink::Webhook {
                url: Url::parse("https://hooks.example/T0K3N").unwrap(),
                secret: Some("from-file".into()),
            }
        );
        let crate::alert::Sink::Email(email) = &c.alerts[1].sink else {
            panic!("{:?}", c.alerts[1].sink)
        };
        assert_eq!(email.password.as_deref(), Some("from-env"));
        // Two sources for one secret, a missing file, a bad URL kept out
        // of the file (not quoted: it is the credential).
        std::fs::write(dir.path().join("bad-url"), "hooks.example/T0K3N").unwrap();
        let text = "[[alerts]]\nkind = \"webhook\"\nurl = \"https://a.example/\"\nurl_file = \"hook-url\"\n\n\
            [[alerts]]\nkind = \"webhook\"\nurl_file = \"bad-url\"\nsecret_file = \"nope\"\n";
        let e = Config::parse(text, &dir.path().join("t.toml")).unwrap_err();
        let lines: Vec<_> = e
            .problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(lines.len(), 3, "{e}");
        assert_eq!(lines[0].0, Some(4), "{e}");
        assert!(
            lines[0].1.contains("give one of url, url_env and url_file"),
            "{e}"
        );
        // Listed in line order.
        assert_eq!(
            lines[1].1,
            "alerts.url: the value read is not an http or https URL"
        );
        assert!(
            lines[2].1.starts_with("alerts.secret_file: cannot read"),
            "{e}"
        );
        assert!(!e.to_string().contains("T0K3N"), "{e}");
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
