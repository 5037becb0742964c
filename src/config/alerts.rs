//! `[[alerts]]`: each sink's kind and its settings (URLs and secrets,
//! which may be kept out of the file in a variable or a file, SMTP
//! settings, a command), its filter and its timings. Reads the secret
//! files and variables it is pointed at; must not open the network or
//! send anything (that is `deliver`); see ARCHITECTURE.md, "Codemap"
//! (`config`, `alert`).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use url::Url;

use super::problem::Report;
use super::raw::{Raw, RawAlert};
use super::secret::read_secret;
use super::sections::Paths;
use super::values::parse_duration;
use crate::alert::AlertConfig;
use crate::alert::{EmailSink, Sink, Tls};
use crate::topic::Query;

/// The usable sinks; the others are reported.
pub(super) fn alerts(raw: &Raw, paths: &Paths, problem: &mut Report) -> Vec<AlertConfig> {
    let mut alerts: Vec<AlertConfig> = Vec::new();
    for (i, a) in raw.alerts.iter().enumerate() {
        let at = a.kind.span();
        let name = name_of(&raw.alerts, i, a);
        if name.is_empty() || alerts.iter().any(|b| b.name == name) {
            problem(
                at.clone(),
                format!("alerts: the name '{name}' is empty or used by another sink"),
            );
        }
        let read = Reader { a, at, paths };
        let sink = read.sink(problem);
        for f in &a.feeds {
            if !raw
                .feeds
                .iter()
                .any(|g| g.name.get_ref().trim() == f.get_ref())
            {
                problem(
                    f.span(),
                    format!("alerts.feeds: no feed is named '{}'", f.get_ref()),
                );
            }
        }
        let query = a
            .query
            .as_ref()
            .and_then(|q| match Query::parse(q.get_ref()) {
                Ok(q) => Some(q),
                Err(e) => {
                    problem(q.span(), format!("alerts.query: {e}"));
                    None
                }
            });
        let two_days = Duration::from_secs(2 * 86400);
        let expire = duration(&a.expire, "expire", Some(two_days), problem).unwrap_or(two_days);
        let feed_health = duration(&a.feed_health, "feed_health", None, problem);
        let retry = duration(
            &a.retry,
            "retry",
            Some(crate::alert::DEFAULT_RETRY),
            problem,
        )
        .unwrap_or(crate::alert::DEFAULT_RETRY);
        let pickup = pickup(a, problem);
        if let Some(sink) = sink {
            alerts.push(AlertConfig {
                name,
                sink,
                filter: crate::alert::Filter {
                    feeds: a.feeds.iter().map(|f| f.get_ref().clone()).collect(),
                    tags: a.tags.clone(),
                    query,
                },
                expire,
                retry,
                pickup,
                feed_health,
            });
        }
    }
    alerts
}

/// A sink's name: its own, else its kind, numbered when the kind is used
/// more than once.
fn name_of(all: &[RawAlert], i: usize, a: &RawAlert) -> String {
    let kind = a.kind.get_ref().as_str();
    a.name
        .as_ref()
        .map(|n| n.get_ref().trim().to_string())
        .unwrap_or_else(|| {
            if all.iter().filter(|b| b.kind.get_ref() == kind).count() > 1 {
                format!("{kind}-{}", i + 1)
            } else {
                kind.to_string()
            }
        })
}

/// How many outlets must carry a story before it is alerted.
fn pickup(a: &RawAlert, problem: &mut Report) -> Option<u32> {
    let p = a.pickup.as_ref()?;
    match u32::try_from(*p.get_ref()) {
        Ok(n) if n >= 2 => Some(n),
        _ => {
            problem(
                p.span(),
                format!(
                    "alerts.pickup: {} is not a number of outlets of 2 or more",
                    p.get_ref()
                ),
            );
            None
        }
    }
}

/// A sink's duration: `default` when absent or wrong (reported).
fn duration(
    v: &Option<Spanned<String>>,
    key: &str,
    default: Option<Duration>,
    problem: &mut Report,
) -> Option<Duration> {
    match v {
        None => default,
        Some(v) => match parse_duration(v.get_ref()) {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                problem(v.span(), format!("alerts.{key}: must be more than zero"));
                default
            }
            Err(e) => {
                problem(v.span(), format!("alerts.{key}: {e}"));
                default
            }
        },
    }
}

/// Reads one `[[alerts]]` table's sink; `at` (the `kind` key) is where a
/// problem without a key of its own is reported.
struct Reader<'a> {
    a: &'a RawAlert,
    at: Range<usize>,
    paths: &'a Paths,
}

impl Reader<'_> {
    fn sink(&self, problem: &mut Report) -> Option<Sink> {
        let a = self.a;
        match a.kind.get_ref().as_str() {
            "webhook" => {
                let key = self.secret(
                    "secret",
                    a.secret.as_deref().map(|v| (v, self.at.clone())),
                    &a.secret_env,
                    &a.secret_file,
                    problem,
                );
                self.url(problem).map(|url| Sink::Webhook {
                    url,
                    secret: key.map(|k| k.0),
                })
            }
            "slack" => self.url(problem).map(|url| Sink::Slack { url }),
            "discord" => self.url(problem).map(|url| Sink::Discord { url }),
            "ntfy" => self.url(problem).map(|url| Sink::Ntfy { url }),
            "email" => self.email(problem),
            "command" => self.command(problem),
            other => {
                problem(self.at.clone(), format!("alerts.kind: '{other}' is not a sink (webhook, slack, discord, ntfy, email, command)"));
                None
            }
        }
    }

    /// A secret from the file itself, or kept out of it by `*_env` or
    /// `*_file`; the span is the key's, for the messages.
    fn secret(
        &self,
        key: &str,
        direct: Option<(&str, Range<usize>)>,
        env: &Option<Spanned<String>>,
        file: &Option<Spanned<String>>,
        problem: &mut Report,
    ) -> Option<(String, Range<usize>)> {
        let given = [env.is_some(), file.is_some(), direct.is_some()];
        let span = env
            .as_ref()
            .or(file.as_ref())
            .map(|v| v.span())
            .or(direct.as_ref().map(|d| d.1.clone()))?;
        if given.iter().filter(|g| **g).count() > 1 {
            problem(
                span,
                format!("alerts.{key}: give one of {key}, {key}_env and {key}_file"),
            );
            return None;
        }
        if let Some((value, span)) = direct {
            return Some((value.to_string(), span));
        }
        let file = file.as_ref().map(|f| {
            let p = f.get_ref();
            if p.starts_with("$CREDENTIALS_DIRECTORY") {
                PathBuf::from(p)
            } else {
                self.paths.resolve(p)
            }
        });
        match read_secret(
            key,
            env.as_ref().map(|e| e.get_ref().as_str()),
            file.as_deref(),
        ) {
            Ok(v) => v.map(|v| (v, span)),
            Err(e) => {
                problem(span, format!("alerts.{e}"));
                None
            }
        }
    }

    /// The sink's URL, written in the file or kept out of it.
    fn url(&self, problem: &mut Report) -> Option<Url> {
        let a = self.a;
        let direct = a.url.as_ref().map(|u| (u.get_ref().as_str(), u.span()));
        let kept_out = a.url_env.is_some() || a.url_file.is_some();
        match self.secret("url", direct, &a.url_env, &a.url_file, problem) {
            None if a.url.is_none() && !kept_out => {
                let kind = a.kind.get_ref();
                problem(self.at.clone(), format!("alerts.{kind}: a url is required"));
                None
            }
            None => None,
            Some((u, span)) => match Url::parse(u.trim()) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
                // Only a URL written in the file is quoted: one kept out of
                // it is a credential.
                _ if kept_out => {
                    problem(
                        span,
                        "alerts.url: the value read is not an http or https URL".into(),
                    );
                    None
                }
                _ => {
                    problem(
                        span,
                        format!("alerts.url: '{u}' is not an http or https URL"),
                    );
                    None
                }
            },
        }
    }

    /// `kind = "email"`: the server, its TLS and port, the addresses.
    fn email(&self, problem: &mut Report) -> Option<Sink> {
        let a = self.a;
        let at = &self.at;
        let tls = match a.tls.as_ref().map(|t| (t.get_ref().as_str(), t.span())) {
            None | Some(("starttls", _)) => Tls::StartTls,
            Some(("implicit", _)) => Tls::Implicit,
            Some(("none", _)) => Tls::None,
            Some((other, span)) => {
                problem(
                    span,
                    format!("alerts.tls: '{other}' is not starttls, implicit or none"),
                );
                Tls::StartTls
            }
        };
        let port = match &a.port {
            None => Some(match tls {
                Tls::Implicit => 465,
                Tls::StartTls => 587,
                Tls::None => 25,
            }),
            Some(p) => match u16::try_from(*p.get_ref()) {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    problem(
                        p.span(),
                        format!("alerts.port: {} is not a port", p.get_ref()),
                    );
                    None
                }
            },
        };
        let server = a
            .server
            .as_ref()
            .map(|s| s.get_ref().trim().to_string())
            .filter(|s| !s.is_empty());
        if server.is_none() {
            problem(at.clone(), "alerts.email: a server is required".into());
        }
        self.addresses(problem);
        let password = self
            .secret(
                "password",
                a.password.as_deref().map(|v| (v, at.clone())),
                &a.password_env,
                &a.password_file,
                problem,
            )
            .map(|p| p.0);
        if let (Tls::None, Some(server)) = (tls, &server) {
            if (a.username.is_some() || password.is_some()) && !is_loopback_server(server) {
                problem(
                    a.tls.as_ref().map_or(at.clone(), |t| t.span()),
                    format!("alerts.tls: 'none' would send the password in the clear to {server}: use starttls or implicit, or a relay on this machine"),
                );
            }
        }
        let digest = duration(&a.digest, "digest", None, problem);
        let (server, port) = (server?, port?);
        Some(Sink::Email(EmailSink {
            server,
            port,
            tls,
            username: a.username.clone(),
            password,
            from: a
                .from
                .as_ref()
                .map(|f| f.get_ref().clone())
                .unwrap_or_default(),
            to: a.to.iter().map(|t| t.get_ref().clone()).collect(),
            digest,
        }))
    }

    /// An email sink's from and to addresses.
    fn addresses(&self, problem: &mut Report) {
        let a = self.a;
        let mailbox = |v: &Spanned<String>, key: &str, problem: &mut Report| {
            if v.get_ref().parse::<lettre::message::Mailbox>().is_err() {
                problem(
                    v.span(),
                    format!("alerts.{key}: '{}' is not an email address", v.get_ref()),
                );
            }
        };
        match &a.from {
            Some(f) => mailbox(f, "from", problem),
            None => problem(
                self.at.clone(),
                "alerts.email: a from address is required".into(),
            ),
        }
        if a.to.is_empty() {
            problem(
                self.at.clone(),
                "alerts.email: at least one to address is required".into(),
            );
        }
        for t in &a.to {
            mailbox(t, "to", problem);
        }
    }

    /// `kind = "command"`: an absolute program and its arguments.
    fn command(&self, problem: &mut Report) -> Option<Sink> {
        let a = self.a;
        let c = match &a.command {
            Some(c) if !c.get_ref().is_empty() => c,
            _ => {
                problem(
                    self.at.clone(),
                    "alerts.command: a command = [\"/path/to/program\", \"arg\", …] is required"
                        .into(),
                );
                return None;
            }
        };
        if c.get_ref().iter().any(|arg| arg.contains(char::is_control)) {
            problem(
                c.span(),
                "alerts.command: an argument holds a control character".into(),
            );
        }
        let prog = Path::new(&c.get_ref()[0]);
        if !prog.is_absolute() || !prog.is_file() {
            problem(
                c.span(),
                format!(
                    "alerts.command: '{}' is not an absolute path to a program",
                    prog.display()
                ),
            );
        }
        let thirty = Duration::from_secs(30);
        let timeout = duration(&a.timeout, "timeout", Some(thirty), problem).unwrap_or(thirty);
        Some(Sink::Command {
            argv: c.get_ref().clone(),
            timeout,
        })
    }
}

/// Whether an SMTP server name is this machine.
fn is_loopback_server(server: &str) -> bool {
    let host = server.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
