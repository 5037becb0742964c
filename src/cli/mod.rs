//! The command line: parses arguments, runs a command, maps errors to exit
//! codes (0 success, 2 usage or config error, 1 anything else, 3 some feeds
//! failed, 130 interrupted by Ctrl-C). Must hold no pipeline logic of its own.
//! The grammar is `args`; each command's body is a file of its own (`run`,
//! `inspect` for extract/feed/dedup, `feeds`, `search`, …); here are the
//! dispatch, the exit codes and what commands share. See ARCHITECTURE.md,
//! "Codemap" (`cli`) and "Entry points".

mod args;
mod demo;
mod docs;
mod feeds;
mod filter;
mod inspect;
mod migrate;
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

use std::path::Path;

use anyhow::{Context, Result};
use clap::Parser;

use crate::config::{Config, ConfigError};
use args::{AlertCommand, Cli, Command, Format};
use inspect::{cmd_dedup, cmd_extract, cmd_feed};
use paint::Paint;
use run::{cmd_run, RunOptions, ALERT_FLUSH};

/// Exit status for a failure that is the user's input (usage, config).
pub const EXIT_USAGE: i32 = 2;
/// Exit status of `run --once` when some feeds failed and others did not.
pub const EXIT_PARTIAL: i32 = 3;
/// Exit status after Ctrl-C (SIGINT), as shells report an interrupted
/// command: 128 + 2.
pub const EXIT_INTERRUPTED: i32 = 130;

/// A failure that is the user's input: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(String);

/// "no feed is named 'x' (known: a, b)": the one wording for a name that
/// matches nothing, listing what would have matched.
pub(crate) fn unknown_name<S: AsRef<str>>(what: &str, name: &str, known: &[S]) -> String {
    let known: Vec<&str> = known.iter().map(AsRef::as_ref).collect();
    let list = if known.is_empty() {
        "none".to_string()
    } else {
        known.join(", ")
    };
    format!("no {what} is named '{name}' (known: {list})")
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let verbose = matches!(cli.command, Command::Run { .. } | Command::Demo(_));
    if !matches!(
        cli.command,
        Command::Run { .. } | Command::Demo(_) | Command::Alert { .. }
    ) {
        end_quietly_on_broken_pipe();
    }
    // run --once names each failed feed in its summary (`tidings: feed
    // NAME: error`): the pipeline's own line for it would say it twice.
    let once = matches!(cli.command, Command::Run { once: true, .. });
    let quiet: &[&str] = if once {
        &[crate::pipeline::POLL_FAILURES]
    } else {
        &[]
    };
    if once && progress::wanted() {
        progress::install();
        crate::service::log::init_to(verbose, quiet, progress::LogWriter);
    } else {
        crate::service::log::init(verbose, quiet);
    }
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            progress::finish();
            let usage = e.downcast_ref::<ConfigError>().is_some()
                || e.downcast_ref::<UsageError>().is_some();
            if let Some(c) = e.downcast_ref::<ConfigError>() {
                for line in c.to_string().lines() {
                    eprintln!("tidings: {line}");
                }
            } else {
                eprintln!("tidings: {}", one_line(&e));
            }
            if usage {
                EXIT_USAGE
            } else {
                1
            }
        }
    }
}

/// Lets a printing command end as Unix tools do when its reader goes away
/// (`tidings export | head`): killed by SIGPIPE. Rust ignores the signal,
/// so every print into the closed pipe panicked instead. Not for `run` and
/// `alert`, which write into command sinks' standard input: a sink that
/// exits without reading must be an error of that sink, not the end of
/// tidings. (Sockets are unaffected either way: the standard library sends
/// with MSG_NOSIGNAL.)
fn end_quietly_on_broken_pipe() {
    // SAFETY: restores the default disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The error and its causes on one line, without repeating a cause that
/// an outer message already quotes.
fn one_line(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out.replace('\n', " ")
}

fn load_config(path: Option<&Path>) -> Result<Config> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let p = crate::config::default_path();
            if !p.exists() && std::env::var_os("TIDINGS_CONFIG").is_none_or(|v| v.is_empty()) {
                return Err(UsageError(NO_CONFIG.into()).into());
            }
            p
        }
    };
    Ok(Config::load(&path)?)
}

/// What a user is told when no config is found: where tidings looked,
/// and how to get one.
const NO_CONFIG: &str = "no config found: looked for --config FILE (not given), $TIDINGS_CONFIG (not set), config/tidings.toml (in the current directory) and /etc/tidings/tidings.toml. To start one: `tidings demo` shows a working setup and leaves its config behind; the source tree's config/tidings.toml is a commented example; or write a file with [[feeds]] tables (name, url) and run `tidings --config FILE check`";

/// `tidings check`: the config's problems and the logging variables',
/// all at once; a config that configures nothing is a warning.
fn cmd_check(config: Option<&Path>) -> Result<i32> {
    let mut env_problems = Vec::new();
    if let Ok(v) = std::env::var("TIDINGS_LOG") {
        if let Err(e) = crate::service::log::filter_directives(Some(&v), "info", &[]) {
            env_problems.push(e);
        }
    }
    if let Ok(v) = std::env::var("TIDINGS_LOG_FORMAT") {
        if let Err(e) = crate::service::log::check_format(&v) {
            env_problems.push(e);
        }
    }
    // Logging's start has said what is wrong with them (service::log).
    let c = load_config(config)?;
    if !env_problems.is_empty() {
        return Ok(EXIT_USAGE);
    }
    if c.feeds.is_empty() {
        eprintln!(
            "tidings: warning: {}: no feeds are configured, so nothing would be polled; add one with `tidings feeds add URL` or a [[feeds]] table",
            c.path.display()
        );
    }
    let feeds = if c.feeds.len() == 1 { "feed" } else { "feeds" };
    println!(
        "{}: ok ({} {feeds}; database {}, corpus {})",
        c.path.display(),
        c.feeds.len(),
        c.database.display(),
        c.corpus.display()
    );
    Ok(0)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn dispatch(cli: Cli) -> Result<i32> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Run {
            once,
            force,
            alert,
            metrics,
            shutdown_deadline,
            json,
        } => cmd_run(
            &load_config(config)?,
            RunOptions {
                once,
                force,
                alert,
                metrics,
                shutdown_deadline,
                json,
            },
        ),
        Command::Demo(args) => demo::run(&args),
        Command::Alert {
            command: AlertCommand::Test { sink },
        } => cmd_alert_test(&load_config(config)?, &sink),
        Command::Extract { source, base_url } => cmd_extract(config, &source, base_url.as_deref()),
        Command::Feed { source, json } => cmd_feed(config, &source, json),
        Command::Dedup { against, files } => cmd_dedup(config, against.as_deref(), &files),
        Command::Export {
            format,
            duplicates,
            filter,
        } => cmd_export(&load_config(config)?, format, duplicates, &filter),
        Command::Search(args) => search::run(&load_config(config)?, &args),
        Command::Status { json } => status::run(&load_config(config)?, json),
        Command::Stats(args) => stats::run(&load_config(config)?, &args),
        Command::Feeds { command } => feeds::run(&load_config(config)?, &command),
        Command::Show { id, json } => show::cmd_show(&load_config(config)?, id, json),
        Command::Reextract { since, write } => {
            reextract::cmd_reextract(&load_config(config)?, since.as_deref(), write)
        }
        Command::Check => cmd_check(config),
        Command::Migrate { to } => migrate::cmd_migrate(&load_config(config)?, &to),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man => docs::man(),
    }
}

fn cmd_alert_test(config: &Config, name: &str) -> Result<i32> {
    let Some(sink) = config.alerts.iter().find(|a| a.name == name) else {
        let names: Vec<&str> = config.alerts.iter().map(|a| a.name.as_str()).collect();
        return Err(UsageError(unknown_name("alert sink", name, &names)).into());
    };
    let poster = crate::fetch::Poster::new(&config.fetch)?;
    let event = crate::alert::sample(chrono::Utc::now());
    match runtime()?.block_on(crate::deliver::send(&poster, sink, &event)) {
        Ok(answer) => {
            println!("{name}: delivered: {answer}");
            Ok(0)
        }
        Err(e) => {
            eprintln!("tidings: {e}");
            Ok(1)
        }
    }
}

fn open_store(config: &Config) -> Result<crate::store::Store> {
    if !config.database.exists() {
        return Err(UsageError(format!(
            "{}: no database yet (run `tidings run --once` first)",
            config.database.display()
        ))
        .into());
    }
    Ok(crate::store::Store::open(&config.database)?)
}

fn cmd_export(
    config: &Config,
    format: Format,
    duplicates: bool,
    filter: &filter::FilterArgs,
) -> Result<i32> {
    let store = open_store(config)?;
    let filter = filter.resolve(config, &store, chrono::Utc::now())?;
    let records = store.export_filtered(&filter, duplicates)?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    use std::io::Write;
    match format {
        Format::Jsonl => {
            for r in &records {
                serde_json::to_writer(&mut w, r)?;
                w.write_all(b"\n")?;
            }
        }
        Format::Csv => {
            writeln!(w, "id,file,url,canonical_url,title,feed,published,fetched_at,language,words,duplicate_of,story")?;
            for r in &records {
                let opt_n = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
                let fields = [
                    opt_n(r.id),
                    r.file.clone().unwrap_or_default(),
                    r.url.clone().unwrap_or_default(),
                    r.canonical_url.clone().unwrap_or_default(),
                    r.title.clone(),
                    r.feed.clone().unwrap_or_default(),
                    r.published.clone().unwrap_or_default(),
                    r.fetched_at.clone().unwrap_or_default(),
                    r.language.clone().unwrap_or_default(),
                    r.words.to_string(),
                    opt_n(r.duplicate_of),
                    r.story.to_string(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(w, "{}", line.join(","))?;
            }
        }
    }
    w.flush()?;
    Ok(0)
}

/// RFC 4180 quoting.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_default_port_is_not_node_exporters() {
        let cli = Cli::try_parse_from(["tidings", "run", "--metrics"]).unwrap();
        let Command::Run { metrics, .. } = cli.command else {
            panic!("run")
        };
        let addr = metrics.unwrap();
        assert!(addr.ip().is_loopback());
        assert_ne!(addr.port(), 9100, "node_exporter's port");
        assert_eq!(addr.port(), 9731);
    }
}
