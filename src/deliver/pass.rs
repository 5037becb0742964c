//! A pass over the outbox and the loops that run passes: due alerts
//! taken (on PostgreSQL, claimed for this worker), sent sink by sink, and
//! each outcome recorded: sent, retried later with backoff, or expired,
//! by the same policy on either backend (`alert::retry_at`). Must not
//! speak to a database but through `outbox`, nor send but through `send`.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use tracing::{error, info, warn};

use super::outbox::Outbox;
use super::send::send_many;
use crate::alert::{self, AlertConfig, EmailSink, Sink};
use crate::config::PostgresConfig;
use crate::fetch::Poster;
use crate::model::Event;
use crate::pipeline::{Pipeline, PipelineError};
use crate::store::OutboxRow;

/// What one pass over the outbox did.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Pass {
    pub sent: usize,
    pub failed: usize,
    pub expired: usize,
}

/// One pass: sends every due alert, each sink's in order, sinks side by
/// side. Without a `poster` the HTTP sinks' alerts fail (and are retried);
/// alerts of sinks no longer configured expire either way.
pub async fn deliver_due(
    pipeline: &Pipeline,
    outbox: &Outbox,
    poster: Option<&Poster>,
    now: DateTime<Utc>,
) -> Result<Pass, PipelineError> {
    // On PostgreSQL the rows are this worker's from here, for the claim's
    // time: reckoned from this clock, whatever `now` says.
    let claimed = Instant::now();
    let rows = outbox.due(now, 500).await?;
    let sinks: HashMap<&str, &AlertConfig> = pipeline
        .config()
        .alerts
        .iter()
        .map(|a| (a.name.as_str(), a))
        .collect();
    let mut by_sink: HashMap<String, Vec<OutboxRow>> = HashMap::new();
    let mut orphans = false;
    for r in rows {
        if sinks.contains_key(r.sink.as_str()) {
            by_sink.entry(r.sink.clone()).or_default().push(r);
        } else {
            orphans = true;
        }
    }
    let mut pass = Pass::default();
    if orphans {
        // A sink removed from the config (by the config `run --once` read,
        // or by a poll that queued on the config before a reload).
        pass.expired += expire_removed(pipeline, outbox).await?;
    }
    // Owned, so the stream's future does not borrow the config map.
    let jobs: Vec<(AlertConfig, Vec<OutboxRow>)> = by_sink
        .into_iter()
        .filter_map(|(name, rows)| sinks.get(name.as_str()).map(|s| ((*s).clone(), rows)))
        .collect();
    let results: Vec<Result<Pass, PipelineError>> =
        stream::iter(jobs)
            .map(|(sink, rows)| async move {
                deliver_sink(outbox, poster, &sink, rows, now, claimed).await
            })
            .buffer_unordered(4)
            .collect()
            .await;
    for r in results {
        let p = r?;
        pass.sent += p.sent;
        pass.failed += p.failed;
        pass.expired += p.expired;
    }
    Ok(pass)
}

async fn deliver_sink(
    outbox: &Outbox,
    poster: Option<&Poster>,
    sink: &AlertConfig,
    rows: Vec<OutboxRow>,
    now: DateTime<Utc>,
    claimed: Instant,
) -> Result<Pass, PipelineError> {
    let mut pass = Pass::default();
    let digest = match &sink.sink {
        Sink::Email(EmailSink {
            digest: Some(d), ..
        }) => Some(*d),
        _ => None,
    };
    let batches: Vec<Vec<OutboxRow>> = match digest {
        Some(period) => {
            let oldest = rows.iter().map(|r| r.created_at).min().unwrap_or(now);
            let due = oldest + chrono::Duration::from_std(period).unwrap_or(chrono::Duration::MAX);
            if now < due {
                let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                outbox.defer(ids, due).await?;
                return Ok(pass);
            }
            vec![rows]
        }
        None => rows.into_iter().map(|r| vec![r]).collect(),
    };
    let mut last_took = outbox.last_sent(sink.name.clone()).await?;
    let mut batches = batches.into_iter();
    while let Some(batch) = batches.next() {
        if outbox
            .claim()
            .is_some_and(|claim| claimed.elapsed() > claim / 2)
        {
            // Half the claim gone (a slow sink): what is left goes back
            // rather than be sent while the claim may lapse under it and
            // another worker send it too. The next pass claims it afresh.
            let rest = std::iter::once(batch).chain(batches.by_ref());
            let ids: Vec<i64> = rest.flatten().map(|r| r.id).collect();
            outbox.release(ids).await?;
            break;
        }
        let (batch, events, unreadable) = read_payloads(batch);
        if !unreadable.is_empty() {
            pass.expired += unreadable.len();
            for (id, msg) in unreadable {
                outbox.failed(vec![(id, None)], msg).await?;
            }
        }
        if batch.is_empty() {
            continue;
        }
        let outcome = send_many(poster, sink, &events).await;
        let ids: Vec<(i64, DateTime<Utc>, u32)> = batch
            .iter()
            .map(|r| (r.id, r.created_at, r.attempts))
            .collect();
        let (retry, expire) = (sink.retry, sink.expire);
        match outcome {
            Ok(answer) => {
                info!(sink = %sink.name, events = ids.len(), "alert sent: {answer}");
                pass.sent += ids.len();
                for _ in 0..ids.len() {
                    crate::service::metrics::global().alert_sent();
                }
                last_took = Some(now);
                let ids = ids.into_iter().map(|(id, ..)| id).collect();
                outbox.sent(ids, now).await?;
            }
            Err(e) => {
                let msg = e.to_string();
                warn!("alert not delivered, will retry: {msg}");
                crate::service::metrics::global().alert_failed();
                let outcomes: Vec<(i64, Option<DateTime<Utc>>)> = ids
                    .into_iter()
                    .map(|(id, created, attempts)| {
                        let failures = alert::failures_counted(attempts + 1, last_took, now);
                        (id, alert::retry_at(created, now, failures, retry, expire))
                    })
                    .collect();
                let retried = outcomes.iter().filter(|(_, next)| next.is_some()).count();
                pass.failed += retried;
                pass.expired += outcomes.len() - retried;
                outbox.failed(outcomes, msg).await?;
            }
        }
    }
    if pass.sent > 0 && digest.is_none() {
        // The sink is back: what failed earlier goes now, not after its
        // backoff (a digest keeps its time).
        outbox.retry_sink_now(sink.name.clone(), now).await?;
    }
    Ok(pass)
}

/// Splits a batch into the rows whose payload reads as an event (with
/// their events) and the ones that do not, each with its error. A payload
/// no sender can read is never sent (retrying cannot fix it), but it is
/// not dropped either: its row is given up on with the reason, for
/// `status` and the outbox to show, and the rest of the batch goes.
fn read_payloads(batch: Vec<OutboxRow>) -> (Vec<OutboxRow>, Vec<Event>, Vec<(i64, String)>) {
    let (mut rows, mut events, mut bad) = (Vec::new(), Vec::new(), Vec::new());
    for row in batch {
        match serde_json::from_str::<Event>(&row.payload) {
            Ok(e) => {
                events.push(e);
                rows.push(row);
            }
            Err(e) => {
                let msg = format!("unreadable payload ({} event): {e}", row.event);
                error!(sink = %row.sink, id = row.id, "alert not delivered: {msg}");
                crate::service::metrics::global().alert_failed();
                bad.push((row.id, msg));
            }
        }
    }
    (rows, events, bad)
}

/// Tells the metrics how many alerts wait.
async fn publish_pending(outbox: &Outbox) {
    if let Ok((pending, _, _)) = outbox.counts().await {
        crate::service::metrics::global().set_alerts_pending(pending);
    }
}

/// Delivers what is due, and what comes due before the deadline, then
/// returns (for `run --once`). What is left stays queued for the next run.
/// Opens the outbox's own connection to the pipeline's database.
pub async fn flush(
    pipeline: &Pipeline,
    poster: &Poster,
    deadline: Duration,
) -> Result<Pass, PipelineError> {
    let end = Utc::now() + chrono::Duration::from_std(deadline).unwrap_or(chrono::Duration::zero());
    let config = pipeline.config();
    let outbox = Outbox::open(&config.database, config.postgres.as_ref()).await?;
    let mut total = Pass::default();
    loop {
        let p = deliver_due(pipeline, &outbox, Some(poster), Utc::now()).await?;
        publish_pending(&outbox).await;
        total.sent += p.sent;
        total.failed += p.failed;
        total.expired += p.expired;
        let next = outbox.next_due().await?;
        match next {
            Some(t) if t <= end => {
                if let Ok(wait) = (t - Utc::now()).to_std() {
                    tokio::time::sleep(wait).await;
                }
            }
            _ => return Ok(total),
        }
    }
}

/// The names of the sinks the pipeline's config has.
fn sink_names(pipeline: &Pipeline) -> Vec<String> {
    pipeline
        .config()
        .alerts
        .iter()
        .map(|a| a.name.clone())
        .collect()
}

/// Expires every pending alert of a sink the pipeline's config no longer
/// has: nobody will hear of them. Returns how many.
async fn expire_removed(pipeline: &Pipeline, outbox: &Outbox) -> Result<usize, PipelineError> {
    outbox.expire_unconfigured(sink_names(pipeline)).await
}

/// How often a worker looks at a fleet's shared outbox when nothing woke
/// it: an alert that another worker queued and could not send (it died)
/// waits at most this long, for one cheap query per worker.
const SHARED_LOOK: Duration = Duration::from_secs(5);

/// The daemon's delivery loop: a pass whenever something is queued or
/// comes due, until the token is cancelled. It follows the pipeline the
/// daemon runs (`current`, replaced on SIGHUP): a sink added by a reload is
/// delivered to, one removed has its queue expired, and a changed `[fetch]`
/// table gets a new poster. The poster (an HTTP client with its TLS roots,
/// a few MB) is built only once there is a sink.
pub async fn run(
    mut current: tokio::sync::watch::Receiver<Pipeline>,
    token: tokio_util::sync::CancellationToken,
) {
    let mut poster: Option<(Poster, crate::config::FetchConfig)> = None;
    // The [fetch] table a client could not be built from: said once.
    let mut unbuildable: Option<crate::config::FetchConfig> = None;
    // The sinks of the config last seen: when a reload changes them, what
    // is queued for a sink no longer there expires at once (not at its next
    // attempt, which an idle loop without sinks would never reach).
    let mut sinks: Option<Vec<String>> = None;
    let (database, postgres) = {
        let pipeline = current.borrow();
        let config = pipeline.config();
        (config.database.clone(), config.postgres.clone())
    };
    let Some(outbox) = open_outbox(&database, postgres.as_ref(), &token).await else {
        return;
    };
    loop {
        let pipeline = current.borrow_and_update().clone();
        let fetch = &pipeline.config().fetch;
        let names = sink_names(&pipeline);
        if sinks.as_ref() != Some(&names) {
            // Bookkeeping that a stop does not wait for (the daemon's
            // first moments, or a reload's): each statement is atomic,
            // and the next start does it again.
            let tidy = async {
                match expire_removed(&pipeline, &outbox).await {
                    Ok(0) => {}
                    Ok(n) => info!(alerts = n, "queued alerts of removed sinks expired"),
                    Err(e) => warn!("alert delivery: {e}"),
                }
                publish_pending(&outbox).await;
            };
            tokio::select! {
                biased;
                _ = token.cancelled() => return,
                _ = tidy => {}
            }
            sinks = Some(names);
        }
        if pipeline.config().alerts.is_empty() {
            poster = None;
            // Nothing to send and nothing queued for anyone: wait for a
            // reload without touching the store.
            tokio::select! {
                _ = token.cancelled() => return,
                changed = current.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
            continue;
        }
        if poster.as_ref().is_none_or(|(_, built)| built != fetch)
            && unbuildable.as_ref() != Some(fetch)
        {
            match Poster::new(fetch) {
                Ok(p) => {
                    poster = Some((p, fetch.clone()));
                    unbuildable = None;
                }
                Err(e) => {
                    // An older client, if there is one, still sends.
                    error!("alerts to HTTP sinks cannot be sent with these [fetch] settings: {e}");
                    unbuildable = Some(fetch.clone());
                }
            }
        }
        let posting = poster.as_ref().map(|(p, _)| p);
        if let Err(e) = deliver_due(&pipeline, &outbox, posting, Utc::now()).await {
            warn!("alert delivery: {e}");
        }
        publish_pending(&outbox).await;
        let next = outbox.next_due().await.ok().flatten();
        // Alerts another worker queued (or a dead one left) wake no one
        // here: a shared outbox is looked at again within seconds.
        let longest = if outbox.is_shared() {
            SHARED_LOOK
        } else {
            Duration::from_secs(60)
        };
        let nap = next
            .and_then(|t| (t - Utc::now()).to_std().ok())
            .unwrap_or(longest)
            .clamp(Duration::from_millis(100), longest);
        tokio::select! {
            _ = token.cancelled() => return,
            _ = pipeline.alert_queued() => {}
            changed = current.changed() => {
                if changed.is_err() {
                    // The daemon is gone: nothing follows.
                    return;
                }
            }
            _ = tokio::time::sleep(nap) => {}
        }
    }
}

/// The outbox's connection for the delivery loop, tried again every
/// minute while it cannot be opened (the database's file system full or
/// gone, or the fleet's database unreachable: ingestion is failing too,
/// and says so); `None` once cancelled.
async fn open_outbox(
    database: &Path,
    postgres: Option<&PostgresConfig>,
    token: &tokio_util::sync::CancellationToken,
) -> Option<Outbox> {
    loop {
        // A stop does not wait for the open either.
        let opened = tokio::select! {
            biased;
            _ = token.cancelled() => return None,
            o = Outbox::open(database, postgres) => o,
        };
        match opened {
            Ok(o) => return Some(o),
            Err(e) => {
                error!("alert delivery: the outbox cannot be opened (tried again in a minute): {e}")
            }
        }
        tokio::select! {
            _ = token.cancelled() => return None,
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}
