//! The shared plain records: the values that cross module boundaries.
//!
//! Time stamps as stored and sent (`ts`), the export record (the public
//! wire format of `export`, `search --json` and alert payloads), an
//! archive capture's location and facts, a poll's outcome, and the alert
//! event queued for a sink. Plain data and their serde shapes only: this
//! module must not do I/O, and must not import any other module of the
//! crate, so that every module can use it without a cycle (ARCHITECTURE.md,
//! "Codemap"). The formats built from these values live with their users
//! (`alert` renders events, `store` reads and writes rows).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// Timestamps are stored and sent as RFC 3339 text in UTC, to the second.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A new WARC record id.
pub fn record_id() -> String {
    format!("<urn:uuid:{}>", uuid::Uuid::new_v4())
}

/// One line of `tidings export`: the export record (README, "Export record").
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExportRecord {
    pub id: Option<u64>,
    pub file: Option<String>,
    pub url: Option<String>,
    pub canonical_url: Option<String>,
    pub title: String,
    pub feed: Option<String>,
    pub published: Option<String>,
    pub fetched_at: Option<String>,
    pub language: Option<String>,
    pub words: u64,
    pub duplicate_of: Option<u64>,
    pub story: u64,
    /// `paywalled` when the text is only the article's public part; absent
    /// when the page showed all of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
}

/// Where a record lies: a file in the archive directory, the offset of its
/// gzip member and the member's length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub offset: u64,
    pub length: u64,
}

/// What capturing one response wrote: the response record's location and
/// the facts the store keeps about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    pub location: Location,
    /// The request record, written right after the response.
    pub request: Location,
    /// `<urn:uuid:…>`
    pub record_id: String,
    pub target_uri: String,
    pub captured_at: DateTime<Utc>,
    pub status: u16,
    /// `sha1:` and the base32 SHA-1 of the payload as stored.
    pub payload_digest: String,
    /// The body's length as received (before any truncation).
    pub payload_length: u64,
    /// The body was longer than `max_record_size` and was cut.
    pub truncated: bool,
}

/// The kind of a poll failure, as `/metrics` counts it. Taken from the
/// error's type where it is made, never from its words (a URL with
/// "connect" in it is not a network failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    Timeout,
    Http4xx,
    Http5xx,
    Network,
    Blocked,
    TooLarge,
    Store,
    Parse,
    Other,
}

impl FailureKind {
    /// Every kind, in the order `/metrics` renders them.
    pub const ALL: [FailureKind; 9] = [
        FailureKind::Timeout,
        FailureKind::Http4xx,
        FailureKind::Http5xx,
        FailureKind::Network,
        FailureKind::Blocked,
        FailureKind::TooLarge,
        FailureKind::Store,
        FailureKind::Parse,
        FailureKind::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Timeout => "timeout",
            FailureKind::Http4xx => "http_4xx",
            FailureKind::Http5xx => "http_5xx",
            FailureKind::Network => "network",
            FailureKind::Blocked => "blocked",
            FailureKind::TooLarge => "too_large",
            FailureKind::Store => "store",
            FailureKind::Parse => "parse",
            FailureKind::Other => "other",
        }
    }
}

/// Why a poll failed: its kind and the one-line message the logs, the
/// feed's row and `status` show.
#[derive(Debug, Clone, PartialEq)]
pub struct PollFailure {
    pub kind: FailureKind,
    pub message: String,
}

/// What one poll of one feed did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedOutcome {
    pub feed: String,
    /// What stopped the poll, if it failed.
    pub error: Option<PollFailure>,
    pub not_modified: bool,
    pub entries: usize,
    pub stored: usize,
    pub duplicates: usize,
    pub offtopic: usize,
    pub no_article: usize,
    pub failed: usize,
    /// With PostgreSQL: another worker held the feed's lease, or polled it
    /// since this one read the schedule, so this one left it (not a
    /// failure, nothing polled).
    pub leased_elsewhere: bool,
}

/// The event kinds an outbox row carries (its `event` column and the
/// payload's `"event"` field).
pub const NEW_ARTICLE: &str = "new_article";
pub const STORY_PICKUP: &str = "story_pickup";
pub const FEED_FAILING: &str = "feed_failing";
pub const FEED_RECOVERED: &str = "feed_recovered";

/// What is queued for a sink. On the wire (the outbox payload and the
/// generic webhook body, README "Alerts") it is
/// `{"event": kind, "article": {export record}, "outlets": n}` or
/// `{"event": kind, "feed": {…}}`: the tag first, then the fields in the
/// order below.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    NewArticle {
        #[serde(serialize_with = "keys_sorted")]
        article: ExportRecord,
    },
    StoryPickup {
        #[serde(serialize_with = "keys_sorted")]
        article: ExportRecord,
        outlets: u32,
    },
    FeedFailing {
        feed: FeedHealth,
    },
    FeedRecovered {
        feed: FeedHealth,
    },
}

impl Event {
    /// The event's kind, as the outbox's `event` column holds it.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::NewArticle { .. } => NEW_ARTICLE,
            Event::StoryPickup { .. } => STORY_PICKUP,
            Event::FeedFailing { .. } => FEED_FAILING,
            Event::FeedRecovered { .. } => FEED_RECOVERED,
        }
    }

    /// The article the event is about, if it is about one.
    pub fn article(&self) -> Option<&ExportRecord> {
        match self {
            Event::NewArticle { article } | Event::StoryPickup { article, .. } => Some(article),
            _ => None,
        }
    }

    /// The feed the event is about, if it is about one.
    pub fn feed(&self) -> Option<&FeedHealth> {
        match self {
            Event::FeedFailing { feed } | Event::FeedRecovered { feed } => Some(feed),
            _ => None,
        }
    }
}

/// An event's article with its keys in alphabetical order, as payloads
/// have always carried it (it went through `serde_json::Value`, a sorted
/// map): receivers that compare or store bodies see the same bytes.
fn keys_sorted<S: serde::Serializer>(r: &ExportRecord, s: S) -> Result<S::Ok, S::Error> {
    serde_json::to_value(r)
        .map_err(serde::ser::Error::custom)?
        .serialize(s)
}

/// A feed's health, as feed events carry it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FeedHealth {
    pub name: String,
    pub url: String,
    pub failing_since: String,
    pub last_error: Option<String>,
}
