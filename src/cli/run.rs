//! `tidings run`: the single-writer lock, the store and the corpus opened
//! (and repaired), then one pass (`--once`, ended early by a signal) or
//! the daemon, and the alerts flushed. Must hold no pipeline logic; see
//! ARCHITECTURE.md, "Codemap" (`cli`) and "Tasks in the daemon".

use anyhow::Result;

use super::exit::{EXIT_INTERRUPTED, EXIT_PARTIAL};
use super::open::runtime;
use super::{progress, summary};
use crate::config::Config;

/// What `tidings run` was asked.
pub(super) struct RunOptions {
    pub(super) once: bool,
    pub(super) force: bool,
    pub(super) alert: bool,
    pub(super) metrics: Option<std::net::SocketAddr>,
    pub(super) shutdown_deadline: std::time::Duration,
    /// The `--once` summary as JSON.
    pub(super) json: bool,
}

/// `tidings run`: takes the database's single-writer lock, opens the store
/// and the corpus (repairing what a crash left), then polls once or runs
/// the daemon.
pub(super) fn cmd_run(config: &Config, run: RunOptions) -> Result<i32> {
    // Before anything is opened: a second writer must not even repair.
    // Workers sharing PostgreSQL are many writers by design (leases and
    // the story lock keep them apart), and may share the corpus directory.
    let _lock = match config.postgres {
        Some(_) => None,
        None => Some(crate::service::lock::InstanceLock::acquire(
            &config.database,
            Some(&config.corpus),
        )?),
    };
    let mut opts = crate::daemon::Options::from_env();
    opts.metrics = run.metrics;
    opts.shutdown_deadline = run.shutdown_deadline;
    let _ = opts
        .notifier
        .status("opening the database and indexing the corpus");
    let rt = runtime()?;
    let result = rt.block_on(async {
        let mut signals = crate::daemon::signals()?;
        // systemd's watchdog runs from the start, and indexing a large
        // corpus can outlast it: opening is progress, so it is pinged.
        // (A hung open is caught by TimeoutStartSec instead.)
        let opening = tokio_util::sync::CancellationToken::new();
        if let Some(period) = opts.watchdog {
            let starting = || crate::service::health::Liveness::Starting;
            crate::daemon::spawn_watchdog(opts.notifier.clone(), period, starting, opening.clone());
        }
        let opened = tokio::select! {
            opened = crate::pipeline::Pipeline::open(config.clone(), run.alert) => opened,
            // A stop while the corpus is indexed: nothing is stored yet.
            s = crate::daemon::next_stop(&mut signals) => return Ok(stop_code(s)),
        };
        opening.cancel();
        let (pipeline, report) = opened?;
        tracing::info!(
            corpus = report.corpus_files,
            imported = report.imported,
            repaired = report.repaired_pending,
            dropped = report.dropped_pending,
            "corpus indexed"
        );
        crate::service::metrics::global().set_corpus_files(report.corpus_files);
        if run.once {
            let outcome =
                once_until_signal(&pipeline, run.force, run.shutdown_deadline, &mut signals).await;
            progress::finish();
            let (summary, interrupted) = outcome?;
            let code = summary.map_or(0, |s| print_summary(&s, run.json));
            if interrupted {
                // Ctrl-C: the run is cut short, whatever it stored.
                return Ok(EXIT_INTERRUPTED);
            }
            if !config.alerts.is_empty() {
                let poster = crate::fetch::Poster::new(&config.fetch)?;
                let pass = crate::deliver::flush(&pipeline, &poster, ALERT_FLUSH).await?;
                let pending = pending_alerts(config).await?;
                println!(
                    "alerts: {} sent, {} pending, {} expired",
                    pass.sent, pending, pass.expired
                );
            }
            Ok(code)
        } else {
            let stopped = crate::daemon::serve(pipeline, opts, signals).await?;
            Ok(stop_code(stopped))
        }
    });
    // Work on blocking threads (a commit waiting for a slow disk, an
    // extraction) is not waited for beyond a grace: the deadline bounds
    // the exit, and what is cut short is safe to drop (the commit order).
    rt.shutdown_timeout(EXIT_GRACE);
    result
}

/// The alerts still queued after the flush, read on a reader connection
/// (SQLite's or PostgreSQL's): a count has no business taking the
/// writer's lock.
async fn pending_alerts(config: &Config) -> Result<u64> {
    let config = config.clone();
    let counts = tokio::task::spawn_blocking(move || -> Result<_> {
        Ok(super::open::open_reader(&config)?.outbox_counts()?)
    })
    .await??;
    Ok(counts.0)
}

/// How long the exit waits for blocking work left after the deadline.
const EXIT_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// The exit status after a stop signal: 0 after SIGTERM, 130 after SIGINT
/// (as an interrupted command).
fn stop_code(s: crate::daemon::Stopped) -> i32 {
    match s {
        crate::daemon::Stopped::Interrupt => EXIT_INTERRUPTED,
        crate::daemon::Stopped::Term => 0,
    }
}

/// How long `run --once` keeps delivering alerts after ingesting; what is
/// not delivered by then stays queued for the next run.
pub(super) const ALERT_FLUSH: std::time::Duration = std::time::Duration::from_secs(30);

/// `run --once`, stopped by SIGTERM or SIGINT: the polls in flight get the
/// deadline to finish, and a second signal stops at once; then the run is
/// dropped (what it had not stored is fetched again next time) and the
/// summary is `None`. Also says whether SIGINT (Ctrl-C) came.
async fn once_until_signal(
    pipeline: &crate::pipeline::Pipeline,
    force: bool,
    deadline: std::time::Duration,
    signals: &mut crate::daemon::Signals,
) -> Result<(Option<crate::pipeline::Summary>, bool)> {
    use crate::daemon::{next_stop, Stopped};
    let run = crate::pipeline::run_once(pipeline, force, &progress::report);
    tokio::pin!(run);
    let interrupted = tokio::select! {
        s = &mut run => return Ok((Some(s), false)),
        s = next_stop(signals) => s == Stopped::Interrupt,
    };
    let name = if interrupted { "SIGINT" } else { "SIGTERM" };
    tracing::info!(
        "{name}: finishing what is in flight (at most {deadline:?}); signal again to stop now"
    );
    let again = "stopping now (what was not stored is fetched again on the next run)";
    tokio::select! {
        r = tokio::time::timeout(deadline, run) => match r {
            Ok(s) => Ok((Some(s), interrupted)),
            Err(_) => {
                tracing::warn!(
                    "polls still running after {deadline:?}; stopping anyway (they are retried on the next run)"
                );
                Ok((None, interrupted))
            }
        },
        s = next_stop(signals) => {
            let name = if s == Stopped::Interrupt { "SIGINT" } else { "SIGTERM" };
            tracing::warn!("{name} again: {again}");
            Ok((None, interrupted || s == Stopped::Interrupt))
        }
    }
}

/// Prints the `--once` summary and returns the exit status.
fn print_summary(s: &crate::pipeline::Summary, json: bool) -> i32 {
    for f in s.feeds.iter() {
        if let Some(e) = &f.error {
            eprintln!("tidings: feed {}: {}", f.feed, e.message);
        }
    }
    if json {
        println!("{}", summary::json(s));
    } else {
        print!("{}", summary::text(s));
    }
    for r in &s.retired {
        eprintln!("tidings: feed {r}: retired after 410 Gone; change its url in the config to poll it again");
    }
    match (s.failed(), s.feeds.len()) {
        (0, _) => 0,
        (f, n) if f == n => 1,
        _ => EXIT_PARTIAL,
    }
}
