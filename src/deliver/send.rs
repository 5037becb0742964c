//! The senders: one event or a batch to one sink, over HTTP through
//! `fetch::Poster`, SMTP through lettre, or a command through
//! `tokio::process` without a shell; what the sink answered, or why not.
//! Must not touch the outbox (that is `pass`, through `outbox`).

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::alert::{self, AlertConfig, EmailSink, Sink, Tls};
use crate::fetch::Poster;
use crate::model::Event;

#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error("sink {sink}: {message}")]
    Failed { sink: String, message: String },
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
pub(super) async fn send_many(
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
