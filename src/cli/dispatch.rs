//! `tidings`' entry: parses the command line, sets up logging, runs the
//! command and maps its error to an exit code; `check` and `alert test`,
//! which are short, are here too. Must hold no pipeline logic; see
//! ARCHITECTURE.md, "Entry points".

use std::path::Path;

use anyhow::Result;
use clap::Parser;

use super::args::{AlertCommand, Cli, Command};
use super::exit::{one_line, unknown_name, UsageError, EXIT_USAGE};
use super::export::cmd_export;
use super::inspect::{cmd_dedup, cmd_extract, cmd_feed};
use super::open::{load_config, runtime};
use super::run::{cmd_run, RunOptions};
use super::{corpus, demo, docs, feeds, progress, reextract, search, show, stats, status};
use crate::config::{Config, ConfigError};

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
        Command::Corpus { command } => corpus::run(&load_config(config)?, &command),
        Command::Show { id, json } => show::cmd_show(&load_config(config)?, id, json),
        Command::Reextract { since, write } => {
            reextract::cmd_reextract(&load_config(config)?, since.as_deref(), write)
        }
        Command::Check => cmd_check(config),
        Command::Migrate { to } => super::migrate::cmd_migrate(&load_config(config)?, &to),
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
