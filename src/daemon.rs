//! `tidings run`: polls each feed when it is due, until SIGTERM or SIGINT.
//!
//! The clock and signals live here; the decisions (when is a feed due)
//! are `schedule`'s and the work is `pipeline::Pipeline::refresh_feed`.
//! On a stop signal no new poll starts, polls in flight get a deadline to
//! finish, and the process exits 0.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::pipeline::{Pipeline, PipelineError};
use crate::schedule;

/// How long polls in flight may run on after a stop signal.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(30);
/// The longest the loop sleeps before looking at the schedule again.
const MAX_NAP: Duration = Duration::from_secs(30);

/// Cancels the token on SIGTERM or SIGINT.
fn watch_signals(token: CancellationToken) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => info!("SIGTERM: stopping"),
            _ = int.recv() => info!("SIGINT: stopping"),
        }
        token.cancel();
    });
    Ok(())
}

pub async fn run(pipeline: Pipeline, poster: crate::fetch::Poster) -> Result<(), PipelineError> {
    let token = CancellationToken::new();
    watch_signals(token.clone())
        .map_err(|e| PipelineError::Task(format!("installing signal handlers: {e}")))?;
    let tracker = TaskTracker::new();
    let slots = Arc::new(Semaphore::new(pipeline.config().fetch.concurrency));
    let in_flight: Arc<Mutex<HashSet<String>>> = Arc::default();
    if !pipeline.config().alerts.is_empty() {
        tracker.spawn(crate::deliver::run(pipeline.clone(), poster, token.clone()));
    }
    info!(feeds = pipeline.config().feeds.len(), "daemon started");
    while !token.is_cancelled() {
        let now = Utc::now();
        let rows = pipeline.feed_rows().await?;
        let mut nap = MAX_NAP;
        for feed in &pipeline.config().feeds {
            let row = rows.iter().find(|r| r.name == feed.name);
            if row.is_some_and(|r| r.retired.is_some()) {
                continue;
            }
            let next = row.and_then(|r| r.next_poll);
            if !schedule::is_due(next, now) {
                if let Some(wait) = next.and_then(|t| (t - now).to_std().ok()) {
                    nap = nap.min(wait);
                }
                continue;
            }
            if !in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(feed.name.clone())
            {
                continue;
            }
            let (p, f, slots, in_flight) = (
                pipeline.clone(),
                feed.clone(),
                slots.clone(),
                in_flight.clone(),
            );
            tracker.spawn(async move {
                if let Ok(_permit) = slots.acquire_owned().await {
                    p.refresh_feed(&f).await;
                }
                in_flight
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&f.name);
            });
        }
        tokio::select! {
            _ = token.cancelled() => break,
            _ = tokio::time::sleep(nap.max(Duration::from_millis(200))) => {}
        }
    }
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_DEADLINE, tracker.wait())
        .await
        .is_err()
    {
        warn!("polls still running after {SHUTDOWN_DEADLINE:?}; stopping anyway (they are retried on the next start)");
    }
    info!("stopped");
    Ok(())
}
