//! `tidings run`: the single-writer lock, the store and the corpus opened
//! (and repaired), then one pass (`--once`, ended early by a signal) or
//! the daemon, and the alerts flushed. Must hold no pipeline logic; see
//! ARCHITECTURE.md, "Codemap" (`cli`) and "Tasks in the daemon".

use anyhow::{Context, Result};

use super::{progress, runtime, summary, EXIT_INTERRUPTED, EXIT_PARTIAL};
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
    let _lock =
        crate::service::lock::InstanceLock::acquire(&config.database, Some(&config.corpus))?;
    let mut opts = crate::daemon::Options::from_env();
    opts.metrics = run.metrics;
    opts.shutdown_deadline = run.shutdown_deadline;
    let _ = opts
        .notifier
        .status("opening the database and indexing the corpus");
    let rt = runtime()?;
    rt.block_on(async {
        // From here SIGHUP no longer kills (its default action): a reload
        // asked for while the corpus is being indexed is simply not needed.
        let _ = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
        // systemd's watchdog runs from the start, and indexing a large
        // corpus can outlast it: opening is progress, so it is pinged.
        // (A hung open is caught by TimeoutStartSec instead.)
        let opening = tokio_util::sync::CancellationToken::new();
        if let Some(period) = opts.watchdog {
            let (n, done) = (opts.notifier.clone(), opening.clone());
            tokio::spawn(async move {
                while tokio::time::timeout(period / 4, done.cancelled())
                    .await
                    .is_err()
                {
                    let _ = n.watchdog();
                }
            });
        }
        let opened = crate::pipeline::Pipeline::open(config.clone(), run.alert).await;
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
            let outcome = once_until_signal(&pipeline, run.force, run.shutdown_deadline).await;
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
                let (pending, _, _) = pipeline
                    .with_ingest(|i| Ok(i.store.outbox_counts()?))
                    .await?;
                println!(
                    "alerts: {} sent, {} pending, {} expired",
                    pass.sent, pending, pass.expired
                );
            }
            Ok(code)
        } else {
            match crate::daemon::serve(pipeline, opts).await? {
                crate::daemon::Stopped::Interrupt => Ok(EXIT_INTERRUPTED),
                crate::daemon::Stopped::Term => Ok(0),
            }
        }
    })
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
) -> Result<(Option<crate::pipeline::Summary>, bool)> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("installing signal handlers")?;
    let mut int = signal(SignalKind::interrupt()).context("installing signal handlers")?;
    let run = crate::pipeline::run_once(pipeline, force, &progress::report);
    tokio::pin!(run);
    let interrupted = tokio::select! {
        s = &mut run => return Ok((Some(s), false)),
        _ = term.recv() => false,
        _ = int.recv() => true,
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
        _ = term.recv() => {
            tracing::warn!("SIGTERM again: {again}");
            Ok((None, interrupted))
        }
        _ = int.recv() => {
            tracing::warn!("SIGINT again: {again}");
            Ok((None, true))
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
