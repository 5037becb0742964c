//! The command line: parses arguments, runs a command, maps errors to exit
//! codes (0 success, 2 usage or config error, 1 anything else, 3 some feeds
//! failed, 130 interrupted by Ctrl-C). Must hold no pipeline logic of its own.
//! The grammar is `args`; each command's body is a file of its own (`run`,
//! `inspect` for extract/feed/dedup, `feeds`, `search`, …); `dispatch` is
//! `main` and the dispatch, `exit` the exit codes and the errors that
//! choose them, `open` what commands open (the config, the store, the
//! runtime). This file only declares them and re-exports their public
//! items. See ARCHITECTURE.md, "Codemap" (`cli`) and "Entry points".

mod args;
mod corpus;
mod demo;
mod dispatch;
mod docs;
mod exit;
mod export;
mod feeds;
mod filter;
mod inspect;
mod migrate;
mod open;
mod paint;
mod progress;
mod reextract;
mod run;
mod search;
mod show;
mod stats;
mod stats_archive;
mod status;
mod summary;

pub use dispatch::main;
pub use exit::{EXIT_INTERRUPTED, EXIT_PARTIAL, EXIT_USAGE};
