//! Alert delivery: the outbox loop and the senders.
//!
//! Takes due rows from the outbox, sends each to its sink (HTTP through
//! `fetch::Poster`, SMTP through lettre, a command through
//! `tokio::process` without a shell), and records the outcome: sent,
//! retried later with backoff, or expired. Runs beside ingestion on its
//! own connection to the database (`Outbox`), so a slow ingestion round
//! does not hold alerts up, nor delivery a round; the two meet only in
//! SQLite's own write lock, for the moment a statement takes. Alerts are
//! queued by ingestion, in the transaction that stores their article, so
//! an alert never exists without its article nor an article without its
//! alert. Must not decide what is alerted (that is `pipeline` with
//! `alert`'s filters). See `ARCHITECTURE.md`, "Tasks in the daemon".

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use tokio::io::AsyncWriteExt;
use tracing::{error, info, warn};

use crate::alert::{self, AlertConfig, EmailSink, Sink, Tls};
use crate::fetch::Poster;
use crate::model::Event;
use crate::pipeline::{Pipeline, PipelineError};
use crate::store::{OutboxRow, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error("sink {sink}: {message}")]
    Failed { sink: String, message: String },
}

/// Delivery's own connection to the database: the outbox is read and its
/// outcomes recorded here, never through ingestion's writer (whose lock a
/// commit round holds for as long as it takes). Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    store: Arc<Mutex<Store>>,
}

impl Outbox {
    /// Opens a connection to the database the writer has opened (its
    /// schema already brought up to date), with the same busy timeout.
    pub async fn open(database: &Path) -> Result<Outbox, PipelineError> {
        let database = database.to_path_buf();
        let store = tokio::task::spawn_blocking(move || Store::open(&database))
            .await
            .map_err(|e| PipelineError::Task(e.to_string()))??;
        Ok(Outbox {
            store: Arc::new(Mutex::new(store)),
        })
    }

    /// Runs a closure on the outbox's connection on a blocking thread.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, PipelineError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding it leaves SQLite consistent (each
            // statement or transaction is atomic): the connection is usable.
            let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut store)
        })
        .await
        .map_err(|e| PipelineError::Task(e.to_string()))?
        .map_err(PipelineError::from)
    }
}

fn failed(sink: &str, message: impl ToString) -> DeliverError {
    DeliverError::Failed {
        sink: sink.to_string(),
        message: message.to_string(),
    }
}

/// Sends one event to one sink; returns what the sink answered.
pub async fn send(
    poster: &Poster,
    sink: &AlertConfig,
    event: &Event,
) -> Result<String, DeliverError> {
    send_many(Some(poster), sink, std::slice::from_ref(event)).await
}

async fn post_json(
    poster: Option<&Poster>,
    name: &str,
    url: &url::Url,
    mut headers: Vec<(&str, String)>,
    body: String,
) -> Result<String, DeliverError> {
    headers.push(("Content-Type", "application/json".into()));
    // Only HTTP sinks need the client; email and commands send without it.
    let poster =
        poster.ok_or_else(|| failed(name, "no HTTP client could be built (see the log)"))?;
    let (status, answer) = poster
        .post(url, &headers, body.into_bytes())
        .await
        .map_err(|e| failed(name, e))?;
    Ok(if answer.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {answer}")
    })
}

/// Sends events to a sink: one request each, or one digest email.
async fn send_many(
    poster: Option<&Poster>,
    sink: &AlertConfig,
    events: &[Event],
) -> Result<String, DeliverError> {
    let name = sink.name.as_str();
    let mut answers = Vec::new();
    match &sink.sink {
        Sink::Email(email) => return send_email(name, email, events).await,
        Sink::Webhook { url, secret } => {
            for e in events {
                let body = e.webhook_body();
                let mut headers = vec![("Idempotency-Key", e.idempotency_key())];
                if let Some(secret) = secret {
                    headers.push((
                        "X-Tidings-Signature",
                        alert::signature(secret, body.as_bytes()),
                    ));
                }
                answers.push(post_json(poster, name, url, headers, body).await?);
            }
        }
        Sink::Slack { url } => {
            for e in events {
                answers.push(post_json(poster, name, url, vec![], e.slack_body()).await?);
            }
        }
        Sink::Discord { url } => {
            for e in events {
                answers.push(post_json(poster, name, url, vec![], e.discord_body()).await?);
            }
        }
        Sink::Ntfy { url } => {
            // JSON publishing to the server root: titles may be any UTF-8.
            let topic = url
                .path_segments()
                .and_then(|mut s| s.next_back())
                .unwrap_or("")
                .to_string();
            let mut root = url.clone();
            root.set_path("/");
            for e in events {
                let mut body = serde_json::json!({ "topic": topic, "title": e.headline(), "message": e.details() });
                if let Some(link) = e.article().and_then(|a| a.url.as_deref()) {
                    body["click"] = link.into();
                }
                answers.push(post_json(poster, name, &root, vec![], body.to_string()).await?);
            }
        }
        Sink::Command { argv, timeout } => {
            for e in events {
                answers.push(run_command(name, argv, *timeout, e).await?);
            }
        }
    }
    Ok(answers.join("; "))
}

/// The variables of tidings' own environment a command sink is given:
/// where to find programs, the language, the time zone. Nothing else: the
/// environment may hold an SMTP `password_env` secret or a sink URL.
pub const COMMAND_ENV: [&str; 5] = ["PATH", "HOME", "LANG", "LC_ALL", "TZ"];

fn command_env() -> Vec<(&'static str, std::ffi::OsString)> {
    COMMAND_ENV
        .iter()
        .filter_map(|k| std::env::var_os(k).map(|v| (*k, v)))
        .collect()
}

async fn run_command(
    name: &str,
    argv: &[String],
    timeout: Duration,
    event: &Event,
) -> Result<String, DeliverError> {
    let mut child = tokio::process::Command::new(&argv[0])
        .args(&argv[1..])
        .env_clear()
        .envs(command_env())
        .envs(event.env())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed(name, format!("{}: {e}", argv[0])))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A program that does not read its input is fine.
        let _ = stdin.write_all(event.webhook_body().as_bytes()).await;
    }
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| failed(name, format!("{} took longer than {timeout:?}", argv[0])))?
        .map_err(|e| failed(name, e))?;
    let first = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    };
    if out.status.success() {
        Ok(format!("exit 0 {}", first(&out.stdout)).trim().to_string())
    } else {
        Err(failed(
            name,
            format!(
                "{} exited with {}: {}",
                argv[0],
                out.status,
                first(&out.stderr)
            ),
        ))
    }
}

async fn send_email(
    name: &str,
    email: &EmailSink,
    events: &[Event],
) -> Result<String, DeliverError> {
    use lettre::message::header::ContentType;
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let mut builder = match email.tls {
        Tls::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(&email.server)
            .map_err(|e| failed(name, e))?,
        Tls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&email.server)
            .map_err(|e| failed(name, e))?,
        Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&email.server),
    }
    .port(email.port)
    .timeout(Some(Duration::from_secs(30)));
    if let (Some(u), Some(p)) = (&email.username, &email.password) {
        builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
    }
    let transport = builder.build();
    let (subject, body) = match events {
        [one] => (one.headline(), one.details()),
        many => (
            format!("{} new from tidings", many.len()),
            many.iter()
                .map(|e| format!("{}\n{}", e.headline(), e.details()))
                .collect::<Vec<_>>()
                .join("\n\n"),
        ),
    };
    let mut msg = Message::builder()
        .from(
            email
                .from
                .parse()
                .map_err(|e| failed(name, format!("from: {e}")))?,
        )
        .subject(subject)
        .header(ContentType::TEXT_PLAIN);
    for to in &email.to {
        msg = msg.to(to
            .parse()
            .map_err(|e| failed(name, format!("to {to}: {e}")))?);
    }
    let msg = msg.body(body).map_err(|e| failed(name, e))?;
    let resp = transport.send(msg).await.map_err(|e| failed(name, e))?;
    Ok(format!(
        "SMTP {}: {}",
        resp.code(),
        resp.message().collect::<Vec<_>>().join(" ")
    ))
}

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
    let rows = outbox.with(move |s| s.due_alerts(now, 500)).await?;
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
    let results: Vec<Result<Pass, PipelineError>> = stream::iter(jobs)
        .map(|(sink, rows)| async move { deliver_sink(outbox, poster, &sink, rows, now).await })
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
                outbox.with(move |s| s.defer_alerts(&ids, due)).await?;
                return Ok(pass);
            }
            vec![rows]
        }
        None => rows.into_iter().map(|r| vec![r]).collect(),
    };
    let name = sink.name.clone();
    let mut last_took = outbox.with(move |s| s.last_sent(&name)).await?;
    for batch in batches {
        let (batch, events, unreadable) = read_payloads(batch);
        if !unreadable.is_empty() {
            pass.expired += unreadable.len();
            outbox
                .with(move |s| {
                    for (id, msg) in unreadable {
                        s.alert_failed(id, &msg, None)?;
                    }
                    Ok(())
                })
                .await?;
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
                outbox
                    .with(move |s| {
                        for (id, ..) in ids {
                            s.alert_sent(id, now)?;
                        }
                        Ok(())
                    })
                    .await?;
            }
            Err(e) => {
                let msg = e.to_string();
                warn!("alert not delivered, will retry: {msg}");
                crate::service::metrics::global().alert_failed();
                let (f, x) = outbox
                    .with(move |s| {
                        let (mut f, mut x) = (0, 0);
                        for (id, created, attempts) in ids {
                            let failures = alert::failures_counted(attempts + 1, last_took, now);
                            let next = alert::retry_at(created, now, failures, retry, expire);
                            if next.is_some() {
                                f += 1
                            } else {
                                x += 1
                            }
                            s.alert_failed(id, &msg, next)?;
                        }
                        Ok((f, x))
                    })
                    .await?;
                pass.failed += f;
                pass.expired += x;
            }
        }
    }
    if pass.sent > 0 && digest.is_none() {
        // The sink is back: what failed earlier goes now, not after its
        // backoff (a digest keeps its time).
        let name = sink.name.clone();
        outbox.with(move |s| s.retry_sink_now(&name, now)).await?;
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
    if let Ok((pending, _, _)) = outbox.with(|s| s.outbox_counts()).await {
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
    let outbox = Outbox::open(&pipeline.config().database).await?;
    let mut total = Pass::default();
    loop {
        let p = deliver_due(pipeline, &outbox, Some(poster), Utc::now()).await?;
        publish_pending(&outbox).await;
        total.sent += p.sent;
        total.failed += p.failed;
        total.expired += p.expired;
        let next = outbox.with(|s| s.next_alert_due()).await?;
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
    let keep = sink_names(pipeline);
    outbox
        .with(move |s| {
            let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
            s.expire_unconfigured(&keep)
        })
        .await
}

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
    let database = current.borrow().config().database.clone();
    let Some(outbox) = open_outbox(&database, &token).await else {
        return;
    };
    loop {
        let pipeline = current.borrow_and_update().clone();
        let fetch = &pipeline.config().fetch;
        let names = sink_names(&pipeline);
        if sinks.as_ref() != Some(&names) {
            match expire_removed(&pipeline, &outbox).await {
                Ok(0) => {}
                Ok(n) => info!(alerts = n, "queued alerts of removed sinks expired"),
                Err(e) => warn!("alert delivery: {e}"),
            }
            publish_pending(&outbox).await;
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
        let next = outbox.with(|s| s.next_alert_due()).await.ok().flatten();
        let nap = next
            .and_then(|t| (t - Utc::now()).to_std().ok())
            .unwrap_or(Duration::from_secs(60))
            .clamp(Duration::from_millis(100), Duration::from_secs(60));
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
/// gone: ingestion is failing too, and says so); `None` once cancelled.
async fn open_outbox(
    database: &Path,
    token: &tokio_util::sync::CancellationToken,
) -> Option<Outbox> {
    loop {
        match Outbox::open(database).await {
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
