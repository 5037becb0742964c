//! Alerts: which sinks hear of what, and what each one is sent.
//!
//! Pure: sink definitions, filters, message formats, signatures and retry
//! decisions, over plain values. Sending (HTTP, SMTP, commands) and the
//! outbox loop are in `deliver`; the outbox rows are in `store`. Must not
//! do I/O.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use url::Url;

use crate::model::{ts, Event, ExportRecord};
use crate::topic::Query;

/// How an email sink reaches its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// TLS from the first byte (port 465).
    Implicit,
    /// Plain connection upgraded with STARTTLS (port 587); refused without it.
    StartTls,
    /// No encryption: only for a relay on the same machine.
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailSink {
    pub server: String,
    pub port: u16,
    pub tls: Tls,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    /// Collect articles and send one message per this period.
    pub digest: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Sink {
    /// The generic webhook (README, "Alerts"), HMAC-signed when a secret is set.
    Webhook {
        url: Url,
        secret: Option<String>,
    },
    Slack {
        url: Url,
    },
    Discord {
        url: Url,
    },
    /// An ntfy topic URL.
    Ntfy {
        url: Url,
    },
    Email(EmailSink),
    /// A program run without a shell: the event as JSON on stdin and as
    /// environment variables.
    Command {
        argv: Vec<String>,
        timeout: Duration,
    },
}

impl Sink {
    pub fn kind(&self) -> &'static str {
        match self {
            Sink::Webhook { .. } => "webhook",
            Sink::Slack { .. } => "slack",
            Sink::Discord { .. } => "discord",
            Sink::Ntfy { .. } => "ntfy",
            Sink::Email(_) => "email",
            Sink::Command { .. } => "command",
        }
    }
}

/// Which articles a sink hears of; empty lists mean all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub feeds: Vec<String>,
    pub tags: Vec<String>,
    pub query: Option<Query>,
}

impl Filter {
    /// Whether an article from `feed` (with the feed's `tags`) and `text`
    /// passes.
    pub fn accepts(&self, feed: &str, tags: &[String], text: &str) -> bool {
        (self.feeds.is_empty() || self.feeds.iter().any(|f| f == feed))
            && (self.tags.is_empty() || self.tags.iter().any(|t| tags.contains(t)))
            && self.query.as_ref().is_none_or(|q| q.matches(text))
    }
}

/// One configured alert sink.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertConfig {
    pub name: String,
    pub sink: Sink,
    pub filter: Filter,
    /// Give up delivering an event this long after it was queued.
    pub expire: Duration,
    /// The first wait before a retry ([`DEFAULT_RETRY`]); it doubles per
    /// failure, up to an hour.
    pub retry: Duration,
    /// Send one follow-up when a story is carried by this many outlets.
    pub pickup: Option<u32>,
    /// Say when a feed has been failing this long, and when it recovers.
    pub feed_health: Option<Duration>,
}

/// The first wait after a failed send, unless a sink sets `retry`: short,
/// so that a receiver that fails now and then still hears of everything
/// within seconds (30 s had a flaky receiver miss most articles of a run).
pub const DEFAULT_RETRY: Duration = Duration::from_secs(2);

/// The message formats of an event (the event itself is `model::Event`).
impl Event {
    pub fn new_article(record: &ExportRecord) -> Event {
        Event::NewArticle {
            article: record.clone(),
        }
    }

    pub fn story_pickup(record: &ExportRecord, outlets: u32) -> Event {
        Event::StoryPickup {
            article: record.clone(),
            outlets,
        }
    }

    /// The article's link, for messages that make the headline a link.
    fn url(&self) -> Option<&str> {
        self.article()?.url.as_deref()
    }

    /// The key a receiver drops repeats by: the article id for article
    /// events (README, "Alerts"), else the event and its subject.
    pub fn idempotency_key(&self) -> String {
        let kind = self.kind();
        match self {
            Event::NewArticle { article } => match article.id {
                Some(id) => id.to_string(),
                // `alert test`'s sample has no id: its key must never be a
                // real article's (0 is the first one), nor repeat between
                // tests.
                None => format!("test-{}", article.fetched_at.as_deref().unwrap_or_default()),
            },
            Event::StoryPickup { article, outlets } => match article.id {
                Some(id) => format!("{kind}-{id}-{outlets}"),
                None => kind.to_string(),
            },
            Event::FeedFailing { feed } | Event::FeedRecovered { feed } => {
                format!("{kind}-{}-{}", feed.name, feed.failing_since)
            }
        }
    }

    /// A one-line headline for chat messages and subjects.
    pub fn headline(&self) -> String {
        let title = self.article().map_or("", |a| a.title.as_str());
        match self {
            Event::NewArticle { .. } => format!("New: {title}"),
            Event::StoryPickup { outlets, .. } => {
                format!("Now carried by {outlets} outlets: {title}")
            }
            Event::FeedFailing { feed } => format!("Feed failing: {}", feed.name),
            Event::FeedRecovered { feed } => format!("Feed recovered: {}", feed.name),
        }
    }

    /// Plain-text details: where, from which feed, when.
    pub fn details(&self) -> String {
        if let Some(f) = self.feed() {
            let err = f
                .last_error
                .as_deref()
                .map(|e| format!("\nLast error: {e}"))
                .unwrap_or_default();
            return format!("{}\nFailing since {}{err}", f.url, f.failing_since);
        }
        let Some(a) = self.article() else {
            return String::new();
        };
        let mut lines: Vec<String> = a.url.iter().cloned().collect();
        let mut facts = Vec::new();
        if let Some(f) = &a.feed {
            facts.push(format!("feed {f}"));
        }
        if let Some(p) = &a.published {
            facts.push(format!("published {p}"));
        }
        facts.push(format!("{} words", a.words));
        if let Some(f) = &a.file {
            facts.push(f.clone());
        }
        if !facts.is_empty() {
            lines.push(facts.join(" · "));
        }
        lines.join("\n")
    }

    /// The generic webhook body: `{"event": …, "article": {export record}}`.
    pub fn webhook_body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn slack_body(&self) -> String {
        let text = match self.url() {
            Some(url) => format!(
                "*<{}|{}>*\n{}",
                url,
                slack_escape(&self.headline()),
                slack_escape(&self.details())
            ),
            None => format!(
                "*{}*\n{}",
                slack_escape(&self.headline()),
                slack_escape(&self.details())
            ),
        };
        serde_json::json!({ "text": text }).to_string()
    }

    pub fn discord_body(&self) -> String {
        let mut embed = serde_json::json!({
            "title": truncate(&self.headline(), 256),
            "description": truncate(&self.details(), 4000),
        });
        if let Some(url) = self.url() {
            embed["url"] = url.into();
        }
        serde_json::json!({ "content": truncate(&self.headline(), 2000), "embeds": [embed] })
            .to_string()
    }

    /// Environment variables for a command sink.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut out = vec![("TIDINGS_EVENT".to_string(), self.kind().to_string())];
        if let Some(a) = self.article() {
            let vars = [
                ("ID", a.id.map(|v| v.to_string())),
                ("FILE", a.file.clone()),
                ("URL", a.url.clone()),
                ("CANONICAL_URL", a.canonical_url.clone()),
                ("TITLE", Some(a.title.clone())),
                ("FEED", a.feed.clone()),
                ("PUBLISHED", a.published.clone()),
                ("LANGUAGE", a.language.clone()),
                ("STORY", Some(a.story.to_string())),
            ];
            out.extend(
                vars.into_iter()
                    .filter_map(|(k, v)| Some((format!("TIDINGS_{k}"), v?))),
            );
        }
        if let Some(f) = self.feed() {
            out.push(("TIDINGS_FEED".into(), f.name.clone()));
            out.push(("TIDINGS_FEED_URL".into(), f.url.clone()));
        }
        out
    }
}

fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// `sha256=` and the hex HMAC-SHA256 of the body under the secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// When to try again after `attempts` failures: `first` doubling per
/// failure, capped at one hour (or at `first`, if that is longer); `None`
/// once the event has outlived `expire`.
pub fn retry_at(
    created: DateTime<Utc>,
    now: DateTime<Utc>,
    attempts: u32,
    first: Duration,
    expire: Duration,
) -> Option<DateTime<Utc>> {
    let wait = first
        .saturating_mul(1 << attempts.saturating_sub(1).min(16))
        .min(Duration::from_secs(3600).max(first));
    let next = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
    let deadline =
        created + chrono::Duration::from_std(expire).unwrap_or(chrono::Duration::days(36500));
    (next <= deadline).then_some(next)
}

/// How long after a sink last took an alert a failure counts as a flaky
/// receiver rather than one that is down.
pub const FLAKY_WINDOW: Duration = Duration::from_secs(60);

/// The failure count a retry's wait is reckoned from (see [`retry_at`]): an
/// alert's own `attempts`, except when its sink took an alert within
/// [`FLAKY_WINDOW`]: that receiver is up but failing now and then, and a
/// wait doubled per failure would leave some alerts waiting long after the
/// receiver took others; they are retried after the first wait instead.
pub fn failures_counted(
    attempts: u32,
    sink_last_took: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> u32 {
    let window = chrono::Duration::from_std(FLAKY_WINDOW).unwrap_or_default();
    match sink_last_took {
        Some(t) if now - t <= window => 1,
        _ => attempts,
    }
}

/// The sinks that hear of a new article.
pub fn sinks_for<'a>(
    alerts: &'a [AlertConfig],
    feed: &str,
    tags: &[String],
    text: &str,
) -> Vec<&'a AlertConfig> {
    alerts
        .iter()
        .filter(|a| a.filter.accepts(feed, tags, text))
        .collect()
}

/// A sample event for `tidings alert test`.
pub fn sample(now: DateTime<Utc>) -> Event {
    let record = ExportRecord {
        id: None,
        file: None,
        url: Some("https://example.org/tidings-test".into()),
        canonical_url: Some("https://example.org/tidings-test".into()),
        title: "tidings test alert".into(),
        feed: Some("test".into()),
        published: Some(ts(now)),
        fetched_at: Some(ts(now)),
        language: Some("en".into()),
        words: 3,
        duplicate_of: None,
        story: 0,
        access: None,
    };
    Event::new_article(&record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeedHealth;

    fn record() -> ExportRecord {
        ExportRecord {
            id: Some(12),
            file: Some("012_00000000000000aa.txt".into()),
            url: Some("https://example.org/a?x=<1>".into()),
            canonical_url: None,
            title: "Chechnya & the <world>".into(),
            feed: Some("hrw".into()),
            published: Some("2026-11-20T09:00:00Z".into()),
            fetched_at: None,
            language: None,
            words: 300,
            duplicate_of: None,
            story: 12,
            access: None,
        }
    }

    /// The bodies byte for byte, as receivers have always had them: the
    /// tag first, the article's keys in alphabetical order (they went
    /// through a sorted `serde_json::Value` before `Event` was typed).
    #[test]
    fn webhook_bodies_are_pinned_byte_for_byte() {
        let article = r#"{"canonical_url":null,"duplicate_of":null,"feed":"hrw","fetched_at":null,"file":"012_00000000000000aa.txt","id":12,"language":null,"published":"2026-11-20T09:00:00Z","story":12,"title":"Chechnya & the <world>","url":"https://example.org/a?x=<1>","words":300}"#;
        assert_eq!(
            Event::new_article(&record()).webhook_body(),
            format!(r#"{{"event":"new_article","article":{article}}}"#)
        );
        assert_eq!(
            Event::story_pickup(&record(), 3).webhook_body(),
            format!(r#"{{"event":"story_pickup","article":{article},"outlets":3}}"#)
        );
        let paywalled = ExportRecord {
            access: Some("paywalled".into()),
            ..record()
        };
        assert!(Event::new_article(&paywalled).webhook_body().starts_with(
            r#"{"event":"new_article","article":{"access":"paywalled","canonical_url":null,"#
        ));
        let feed = FeedHealth {
            name: "hrw".into(),
            url: "https://example.org/feed".into(),
            failing_since: "2026-11-20T09:00:00Z".into(),
            last_error: None,
        };
        assert_eq!(
            Event::FeedRecovered { feed }.webhook_body(),
            r#"{"event":"feed_recovered","feed":{"name":"hrw","url":"https://example.org/feed","failing_since":"2026-11-20T09:00:00Z","last_error":null}}"#
        );
        // What the outbox holds reads back as the same event.
        let e = Event::story_pickup(&paywalled, 2);
        assert_eq!(serde_json::from_str::<Event>(&e.webhook_body()).unwrap(), e);
    }

    #[test]
    fn webhook_body_is_the_design_payload() {
        let e = Event::new_article(&record());
        let v: serde_json::Value = serde_json::from_str(&e.webhook_body()).unwrap();
        assert_eq!(v["event"], "new_article");
        assert_eq!(v["article"]["id"], 12);
        assert_eq!(v["article"]["title"], "Chechnya & the <world>");
        assert!(v["article"]["duplicate_of"].is_null());
        assert!(v.get("feed").is_none());
        assert_eq!(e.idempotency_key(), "12");
    }

    #[test]
    fn a_paywalled_article_says_so_in_the_payload() {
        let free = Event::new_article(&record());
        let v: serde_json::Value = serde_json::from_str(&free.webhook_body()).unwrap();
        assert!(v["article"].get("access").is_none());
        let paywalled = ExportRecord {
            access: Some("paywalled".into()),
            ..record()
        };
        let v: serde_json::Value =
            serde_json::from_str(&Event::new_article(&paywalled).webhook_body()).unwrap();
        assert_eq!(v["article"]["access"], "paywalled");
    }

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn slack_text_is_escaped_and_linked() {
        let v: serde_json::Value =
            serde_json::from_str(&Event::new_article(&record()).slack_body()).unwrap();
        let text = v["text"].as_str().unwrap();
        assert!(
            text.starts_with(
                "*<https://example.org/a?x=<1>|New: Chechnya &amp; the &lt;world&gt;>*"
            ),
            "{text}"
        );
    }

    #[test]
    fn discord_has_an_embed_with_the_link() {
        let v: serde_json::Value =
            serde_json::from_str(&Event::new_article(&record()).discord_body()).unwrap();
        assert_eq!(v["embeds"][0]["url"], "https://example.org/a?x=<1>");
        assert!(v["embeds"][0]["description"]
            .as_str()
            .unwrap()
            .contains("feed hrw"));
    }

    #[test]
    fn command_env_carries_the_facts() {
        let env = Event::new_article(&record()).env();
        assert!(env.contains(&("TIDINGS_ID".into(), "12".into())));
        assert!(env.contains(&("TIDINGS_TITLE".into(), "Chechnya & the <world>".into())));
        assert!(env.contains(&("TIDINGS_EVENT".into(), "new_article".into())));
    }

    #[test]
    fn filters_combine_feeds_tags_and_query() {
        let f = Filter {
            feeds: vec!["hrw".into()],
            tags: vec![],
            query: Some(Query::parse("chechnya").unwrap()),
        };
        assert!(f.accepts("hrw", &[], "News from Chechnya"));
        assert!(!f.accepts("other", &[], "News from Chechnya"));
        assert!(!f.accepts("hrw", &[], "News from elsewhere"));
        let t = Filter {
            tags: vec!["ngo".into()],
            ..Default::default()
        };
        assert!(t.accepts("x", &["ngo".into()], ""));
        assert!(!t.accepts("x", &["media".into()], ""));
    }

    #[test]
    fn retries_back_off_and_expire() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let day = Duration::from_secs(86400);
        let first = Duration::from_secs(30);
        let a = retry_at(t0, t0, 1, first, day).unwrap();
        let b = retry_at(t0, t0, 3, first, day).unwrap();
        assert_eq!((a - t0).num_seconds(), 30);
        assert_eq!((b - t0).num_seconds(), 120);
        assert_eq!(
            (retry_at(t0, t0, 30, first, day).unwrap() - t0).num_seconds(),
            3600
        );
        assert_eq!(
            retry_at(t0, t0 + chrono::Duration::hours(24), 1, first, day),
            None
        );
    }

    #[test]
    fn a_sink_that_took_an_alert_lately_retries_after_the_first_wait() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let lately = Some(t0 - chrono::Duration::seconds(20));
        assert_eq!(failures_counted(7, lately, t0), 1);
        assert_eq!(
            failures_counted(7, Some(t0 - chrono::Duration::minutes(5)), t0),
            7
        );
        assert_eq!(failures_counted(7, None, t0), 7);
    }
}
