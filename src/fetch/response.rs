//! What a fetch gives back: the response that passed the checks, the
//! exchange as it went over the wire (for the archive), the validators to
//! send next time, and the readings of its caching headers (Retry-After,
//! Cache-Control, Expires). Must not send requests; see ARCHITECTURE.md,
//! "Codemap" (`fetch`).

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use url::Url;

/// Validators from an earlier response, sent back exactly as received.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A response that passed the checks.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub status: u16,
    /// Where the body came from, after redirects.
    pub url: Url,
    /// Set when every redirect on the way was permanent (301, 308): the
    /// address to use from now on.
    pub moved_to: Option<Url>,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// How long the server says the response stays fresh (Cache-Control
    /// max-age, else Expires).
    pub fresh_until: Option<DateTime<Utc>>,
    pub body: Vec<u8>,
    /// The exchange as it went over the wire, for the evidence archive.
    pub exchange: Exchange,
}

/// The request tidings sent for a response and the response's status line
/// and headers as received (the body is `Fetched::body`).
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// `HTTP/1.1`, `HTTP/2.0`.
    pub version: String,
    /// The status's reason phrase (the standard one: the client does not
    /// keep the server's).
    pub reason: String,
    /// The request's headers: those tidings sets and the ones its client
    /// adds to every request (Host, Accept, Accept-Encoding, User-Agent).
    /// Connection-level headers the client may add are not known here.
    pub request_headers: Vec<(String, String)>,
    /// The response's headers in the order received (several values of one
    /// name stay together), values as raw bytes.
    pub response_headers: Vec<(String, Vec<u8>)>,
    /// The server's address; `None` through a proxy (the address would be
    /// the proxy's).
    pub remote_ip: Option<IpAddr>,
    /// When the response's headers arrived.
    pub at: DateTime<Utc>,
}

impl Fetched {
    pub fn not_modified(&self) -> bool {
        self.status == 304
    }

    /// The charset named by the Content-Type header, if any.
    pub fn charset(&self) -> Option<&str> {
        charset_of(self.content_type.as_deref()?)
    }
}

/// The charset a Content-Type value names (`text/html; charset="utf-8"`).
pub fn charset_of(content_type: &str) -> Option<&str> {
    content_type.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"'))
    })
}

/// Reads Retry-After: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(now + chrono::Duration::seconds(secs.min(30 * 86400) as i64));
    }
    DateTime::parse_from_rfc2822(v)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Reads how long a response stays fresh: `Cache-Control: max-age` (not
/// with no-cache or no-store), else `Expires`.
pub fn parse_freshness(
    cache_control: Option<&str>,
    expires: Option<&str>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if let Some(cc) = cache_control {
        let lower = cc.to_ascii_lowercase();
        if lower.contains("no-cache") || lower.contains("no-store") {
            return None;
        }
        for part in lower.split(',') {
            if let Some(n) = part.trim().strip_prefix("max-age=") {
                if let Ok(secs) = n.trim().parse::<u64>() {
                    return Some(now + chrono::Duration::seconds(secs.min(30 * 86400) as i64));
                }
            }
        }
    }
    expires
        .and_then(|e| DateTime::parse_from_rfc2822(e.trim()).ok())
        .map(|d| d.with_timezone(&Utc))
        .filter(|d| *d > now)
}
