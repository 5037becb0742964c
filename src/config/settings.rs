//! The validated configuration: `Config` and its sections as the rest of
//! tidings reads them, with their defaults. Plain values: must not read
//! the file or check anything (that is `load` and the section checks);
//! see ARCHITECTURE.md, "Codemap" (`config`).

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::alert::AlertConfig;
use crate::topic::Query;

/// The validated configuration, paths made absolute against the config file.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    /// The SQLite database. With `postgres` set, a path in the state
    /// directory that places the worker's own files (the archive, the lock).
    pub database: PathBuf,
    /// `[store] database = "postgres://…"`: the shared database of a fleet
    /// of workers, instead of SQLite.
    pub postgres: Option<PostgresConfig>,
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

/// The shared PostgreSQL database and this worker's place in the fleet.
#[derive(Clone, PartialEq)]
pub struct PostgresConfig {
    /// `postgres://user@host:port/db`, without a password.
    pub url: String,
    /// From `password_env`, `password_file`, or `$PGPASSWORD`.
    pub password: Option<String>,
    /// This worker's name in leases and claims; `None`: the host name and
    /// the process id, chosen at start.
    pub worker: Option<String>,
    /// How long a claimed feed stays this worker's without a renewal: a
    /// killed worker's feeds are taken over after it.
    pub lease: Duration,
    /// `[store] ca_file`: the CA the server's certificate must chain to,
    /// instead of the system's roots (a private server's own CA).
    pub ca_file: Option<CaFile>,
}

/// A PEM file of CA certificates, read when the config is loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct CaFile {
    /// Resolved against the config's directory; named in messages.
    pub path: PathBuf,
    pub pem: String,
}

impl PostgresConfig {
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(120);
}

impl std::fmt::Debug for PostgresConfig {
    // The password never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("url", &self.url)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("worker", &self.worker)
            .field("lease", &self.lease)
            .field("ca_file", &self.ca_file.as_ref().map(|c| &c.path))
            .finish()
    }
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
