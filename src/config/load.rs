//! Where the config is looked for, and its two steps: the lenient read
//! (`raw`), then every section's check, all problems reported at once in
//! the file's order. Must not open the database, the corpus or the
//! network; see ARCHITECTURE.md, "Codemap" (`config`).

use std::path::{Path, PathBuf};

use super::problem::{ConfigError, Problem};
use super::settings::Config;
use super::{alerts, feeds, raw, sections};

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
        let postgres = sections::postgres(&raw, &paths, &mut problem);
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
            postgres,
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
