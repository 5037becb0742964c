//! Configuration: TOML text → a validated [`Config`].
//!
//! Two steps. The raw TOML is read leniently (`raw`): every syntax, type,
//! unknown-key and missing-key error is recorded with its line and dotted
//! key, and what is left is read as if those keys were absent. Then every
//! section is checked by a function of its own (`sections` for store,
//! fetch, schedule, topic and archive; `feeds`; `alerts`: a new check is
//! one more of them), each giving back its runtime object, and all
//! problems are reported at once, in the file's order. `values` reads
//! durations and sizes. `settings` holds the validated types, `load` the
//! two steps, `problem` what is wrong and where; this file only declares
//! them and re-exports their public items. Reads one file, the environment's
//! `STATE_DIRECTORY` and the secrets alerts point at; must not open the
//! database, the corpus or the network. See ARCHITECTURE.md, "Codemap"
//! (`config`).

mod alerts;
pub mod edit;
mod feeds;
mod load;
pub mod opml;
mod problem;
mod raw;
mod secret;
mod sections;
mod settings;
#[cfg(test)]
mod tests;
mod values;

pub use crate::alert::AlertConfig;
pub use feeds::feed_name_problem;
pub use load::default_path;
pub use problem::{ConfigError, Problem};
pub use settings::{
    ArchiveConfig, CaFile, Config, FeedConfig, FetchConfig, HostLimits, PostgresConfig,
    ScheduleConfig,
};
pub(crate) use values::hide_password;
pub use values::{parse_duration, parse_size};
