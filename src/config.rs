//! Configuration: TOML text → a validated [`Config`].
//!
//! Two steps. The raw TOML is read leniently (`raw`): every syntax, type,
//! unknown-key and missing-key error is recorded with its line and dotted
//! key, and what is left is read as if those keys were absent. Then every
//! section is checked by a function of its own (`sections` for store,
//! fetch, schedule, topic and archive; `feeds`; `alerts`: a new check is
//! one more of them), each giving back its runtime object, and all
//! problems are reported at once, in the file's order. `values` reads
//! durations and sizes. Reads one file, the environment's
//! `STATE_DIRECTORY` and the secrets alerts point at; must not open the
//! database, the corpus or the network. See ARCHITECTURE.md, "Codemap"
//! (`config`).

mod alerts;
pub mod edit;
mod feeds;
pub mod opml;
mod raw;
mod sections;
#[cfg(test)]
mod tests;
mod values;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::topic::Query;

pub use feeds::feed_name_problem;
pub(crate) use values::hide_password;
pub use values::{parse_duration, parse_size};

/// Where a section check reports a problem: the value's byte span in the
/// file, and the message.
type Report<'a> = dyn FnMut(std::ops::Range<usize>, String) + 'a;

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
    /// and for resolving relative paths). Sections that cannot share a
    /// line are checked one after the other; the problems are then put in
    /// the file's order.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let (raw, mut problems) = raw::read_leniently(text);
        let mut problem = |span: std::ops::Range<usize>, message: String| {
            problems.push(Problem {
                line: Some(raw::line_of(text, span.start)),
                message,
            })
        };
        let paths = sections::Paths::of(path);
        let (database, corpus, seeds) = paths.store(&raw);
        let fetch = sections::fetch(&raw.fetch, &mut problem);
        let (default_interval, schedule) = sections::schedule(&raw.schedule, &mut problem);
        let topic = sections::topic(&raw.topic, &mut problem);
        let feeds = feeds::feeds(&raw.feeds, &mut problem);
        let alerts = alerts::alerts(&raw, &paths, &mut problem);
        let archive = sections::archive(&raw.archive, &paths, &database, &mut problem);
        feeds::check_feeds(&raw, &fetch, &mut problem);
        sections::check_intervals(&raw, default_interval, &schedule, &mut problem);
        if !problems.is_empty() {
            // Syntax and type problems are found first, the rest after:
            // the reader wants them in the file's order.
            problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
            return Err(ConfigError {
                path: path.to_path_buf(),
                problems,
            });
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
