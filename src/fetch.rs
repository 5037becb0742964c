//! The one HTTP client, for feeds and pages alike.
//!
//! The only module that knows reqwest. It never trusts a server: bodies are
//! capped while they stream (after decompression, so a gzip bomb costs no
//! more than the cap), redirects are followed by hand (at most ten, loops
//! refused, every hop checked, all of them within one `timeout`), and by
//! default no request reaches a loopback, private, link-local or
//! cloud-metadata address, checked after DNS resolution and on every
//! redirect (through a proxy, before the proxy is handed the name;
//! `socks5h` names excepted, see `check_proxied_target`). One politeness
//! budget per host
//! (requests in flight, a gap between starts, Retry-After) covers feed
//! polls and page fetches alike. Must not parse what it fetches, nor touch
//! the store or the corpus.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, EXPIRES,
    IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION, RETRY_AFTER,
};
use url::Url;

use crate::config::{FetchConfig, HostLimits};

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: {host} is a private or local address (set fetch.allow_private_networks = true to allow)")]
    Blocked { url: String, host: String },
    #[error("{url}: HTTP {status}{}", retry_after.map(|t| format!(" (retry after {})", crate::model::ts(t))).unwrap_or_default())]
    Status {
        url: String,
        status: u16,
        /// When the server said to come back (429 and 503).
        retry_after: Option<DateTime<Utc>>,
    },
    #[error("{url}: throttled by the server until {}", crate::model::ts(*until))]
    Throttled { url: String, until: DateTime<Utc> },
    #[error("{url}: body larger than the {limit}-byte limit")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: timed out")]
    Timeout { url: String },
    #[error("{url}: {message}")]
    Redirect { url: String, message: String },
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    /// The body does not decode as its Content-Encoding says.
    #[error("{url}: {message}")]
    Decode { url: String, message: String },
    #[error("HTTP client: {0}")]
    Client(String),
}

impl FetchError {
    fn from_reqwest(url: &Url, e: reqwest::Error) -> FetchError {
        let url = url.to_string();
        if e.is_timeout() {
            return FetchError::Timeout { url };
        }
        // The chain holds the useful part ("connection refused", "dns error").
        let mut message = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            message = s.to_string();
            src = s.source();
        }
        if message.contains("is a private or local address") {
            let host = message.split_whitespace().next().unwrap_or("").to_string();
            return FetchError::Blocked { url, host };
        }
        FetchError::Network { url, message }
    }

    /// Whether the failure says nothing about the server (the network
    /// itself may be down): connection errors and time-outs.
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            FetchError::Network { .. } | FetchError::Timeout { .. }
        )
    }

    /// When the server asked not to be asked again before.
    pub fn not_before(&self) -> Option<DateTime<Utc>> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            FetchError::Throttled { until, .. } => Some(*until),
            _ => None,
        }
    }
}

/// Whether an address is one a public news site never has: loopback,
/// private ranges, link-local (cloud metadata lives there), CGNAT,
/// benchmarking, IETF protocol assignments, documentation, reserved,
/// unspecified, multicast and their IPv6 counterparts. IPv6 forms that
/// carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are
/// judged by the address they carry, so `64:ff9b::7f00:1` is loopback
/// while a NAT64 network's public sites stay reachable.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] == 0
                // 192.0.0.0/24: IETF protocol assignments.
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                // 198.18.0.0/15: benchmarking, routed inside labs.
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                // 240.0.0.0/4: reserved.
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                // fec0::/10: the deprecated site-local range.
                || (s[0] & 0xffc0) == 0xfec0
                // 64:ff9b:1::/48: NAT64 for local use.
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
                // 2001:db8::/32: documentation.
                || (s[0] == 0x2001 && s[1] == 0xdb8)
        }
    }
}

/// The IPv4 address an IPv6 address carries: IPv4-mapped `::ffff:a.b.c.d`,
/// IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`
/// and Teredo `2001::/32` (whose client address is stored inverted).
fn embedded_v4(v6: std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    let s = v6.segments();
    let v4 = |hi: u16, lo: u16| {
        std::net::Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    match s {
        // `::` and `::1` are IPv6's own unspecified and loopback addresses.
        [0, 0, 0, 0, 0, 0, hi, lo] if (hi, lo) != (0, 1) => Some(v4(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(v4(hi, lo)),
        [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        [0x2001, 0, .., hi, lo] => Some(v4(!hi, !lo)),
        _ => None,
    }
}

/// Whether a URL names a private address literally, or by a name that
/// is loopback by definition (`localhost`, `*.localhost`); other names are
/// checked after resolution, by the resolver (or before a proxy gets them).
fn literal_private_host(url: &Url) -> Option<String> {
    match url.host()? {
        url::Host::Ipv4(ip) if is_private(IpAddr::V4(ip)) => Some(ip.to_string()),
        url::Host::Ipv6(ip) if is_private(IpAddr::V6(ip)) => Some(ip.to_string()),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            (name == "localhost" || name.ends_with(".localhost")).then_some(name)
        }
        _ => None,
    }
}

/// Through a proxy, the proxy resolves the target's name, where the
/// resolver below never sees it: the name is resolved here first and
/// refused if any of its addresses is private (the proxy might pick that
/// one). Not through `socks5h`: its point is that names are resolved by
/// the proxy alone (Tor), and resolving them here would tell the local
/// resolver every site fetched. There the literal checks hold and names
/// are the proxy's to refuse (Tor refuses private destinations itself).
async fn check_proxied_target(url: &Url, proxy: &str) -> Result<(), FetchError> {
    if proxy.to_ascii_lowercase().starts_with("socks5h:") {
        return Ok(());
    }
    let Some(url::Host::Domain(name)) = url.host() else {
        return Ok(());
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs = tokio::net::lookup_host((name, port))
        .await
        .map_err(|e| FetchError::Network {
            url: url.to_string(),
            message: format!(
                "{name} cannot be resolved here to check it before the proxy gets it: {e}"
            ),
        })?;
    for a in addrs {
        if is_private(a.ip()) {
            return Err(FetchError::Blocked {
                url: url.to_string(),
                host: format!("{name} ({})", a.ip()),
            });
        }
    }
    Ok(())
}

/// Resolves names and drops private addresses from the answer, except for
/// the proxy's own name: where the proxy is (`socks5h://localhost:9050`
/// for Tor) is the operator's choice.
struct GuardedResolver {
    proxy_host: Option<String>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let exempt = self
            .proxy_host
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(name.as_str()));
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| exempt || !is_private(a.ip()))
                .collect();
            if public.is_empty() {
                let e = std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("{host} is a private or local address"),
                );
                return Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

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

const MAX_REDIRECTS: usize = 10;

/// The encodings pages and feeds are asked for, and decoded here.
const ACCEPTED_ENCODINGS: &str = "gzip, deflate, br";

/// A body's Content-Encoding, undone while it streams into a buffer that
/// refuses to grow past the size cap, so the cap holds inside the decoder
/// (841 bytes of brotli decode to a gibibyte: a check between writes would
/// come too late). Decoded here rather than by the client because the
/// client drops the Content-Encoding and Content-Length headers when it
/// decodes, and the archive must record them as received. An encoding not
/// known here leaves the body as it came.
enum Decoding {
    Identity(Capped),
    Gzip(flate2::write::MultiGzDecoder<Capped>),
    Deflate(flate2::write::ZlibDecoder<Capped>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Capped>>),
}

/// Why a body could not be decoded.
#[derive(Debug)]
enum DecodeFailure {
    /// It decodes to more than the cap.
    TooLarge,
    /// It is not what its Content-Encoding says.
    Bad(std::io::Error),
}

/// The decoded body; a write that would take it past `limit` fails and
/// nothing more is kept.
struct Capped {
    buf: Vec<u8>,
    limit: usize,
    over: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.over || self.buf.len().saturating_add(bytes.len()) > self.limit {
            self.over = true;
            return Err(std::io::Error::other("decoded body over the size cap"));
        }
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Decoding {
    fn new(content_encoding: Option<&str>, limit: u64) -> Decoding {
        let out = Capped {
            buf: Vec::new(),
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            over: false,
        };
        let enc = content_encoding.unwrap_or("").trim().to_ascii_lowercase();
        match enc.as_str() {
            "gzip" | "x-gzip" => Decoding::Gzip(flate2::write::MultiGzDecoder::new(out)),
            "deflate" => Decoding::Deflate(flate2::write::ZlibDecoder::new(out)),
            "br" => Decoding::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(
                out, 4096,
            ))),
            _ => Decoding::Identity(out),
        }
    }

    fn out(&self) -> &Capped {
        match self {
            Decoding::Identity(v) => v,
            Decoding::Gzip(d) => d.get_ref(),
            Decoding::Deflate(d) => d.get_ref(),
            Decoding::Brotli(d) => d.get_ref(),
        }
    }

    /// Tells the cap from a broken stream: the decoders report the
    /// buffer's refusal as an I/O error like any other.
    fn failure(&self, e: std::io::Error) -> DecodeFailure {
        if self.out().over {
            DecodeFailure::TooLarge
        } else {
            DecodeFailure::Bad(e)
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), DecodeFailure> {
        use std::io::Write;
        let r = match self {
            Decoding::Identity(v) => v.write_all(bytes),
            Decoding::Gzip(d) => d.write_all(bytes),
            Decoding::Deflate(d) => d.write_all(bytes),
            Decoding::Brotli(d) => d.write_all(bytes),
        };
        r.map_err(|e| self.failure(e))
    }

    fn finish(mut self) -> Result<Vec<u8>, DecodeFailure> {
        let r = match &mut self {
            Decoding::Identity(_) => Ok(()),
            Decoding::Gzip(d) => d.try_finish(),
            Decoding::Deflate(d) => d.try_finish(),
            Decoding::Brotli(d) => d.close(),
        };
        r.map_err(|e| self.failure(e))?;
        let out = match self {
            Decoding::Identity(v) => v,
            Decoding::Gzip(d) => d.finish().map_err(DecodeFailure::Bad)?,
            Decoding::Deflate(d) => d.finish().map_err(DecodeFailure::Bad)?,
            Decoding::Brotli(d) => d.into_inner().map_err(|_| {
                DecodeFailure::Bad(std::io::Error::other("brotli stream left unfinished"))
            })?,
        };
        Ok(out.buf)
    }
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

/// One host's share of the politeness budget.
#[derive(Default)]
struct HostState {
    in_flight: usize,
    last_start: Option<Instant>,
    /// The whole host asked us to wait (several of its URLs throttled).
    throttled_until: Option<(Instant, DateTime<Utc>)>,
    /// URLs that answered 429/503 with Retry-After, and until when.
    throttled_urls: HashMap<String, (Instant, DateTime<Utc>)>,
}

/// Requests in flight per host, the gap between starts, and Retry-After,
/// for every request tidings makes.
struct Politeness {
    hosts: Mutex<HashMap<String, HostState>>,
    changed: tokio::sync::Notify,
    global: Arc<tokio::sync::Semaphore>,
    default: HostLimits,
    overrides: HashMap<String, HostLimits>,
    /// Network-level failures and successes, for telling an outage from a
    /// broken feed: (when, host, ok).
    recent: Mutex<std::collections::VecDeque<(Instant, String, bool)>>,
}

/// Held while a request runs; gives the host slot back when dropped.
struct Slot {
    politeness: Arc<Politeness>,
    host: String,
    _global: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut hosts) = self.politeness.hosts.lock() {
            if let Some(h) = hosts.get_mut(&self.host) {
                h.in_flight = h.in_flight.saturating_sub(1);
            }
        }
        self.politeness.changed.notify_waiters();
    }
}

/// How long the outage detector looks back.
const OUTAGE_WINDOW: Duration = Duration::from_secs(120);
/// Distinct hosts that must fail at once for an outage.
const OUTAGE_HOSTS: usize = 3;

impl Politeness {
    fn limits(&self, host: &str) -> HostLimits {
        self.overrides.get(host).copied().unwrap_or(self.default)
    }

    /// Waits for a slot on the URL's host; refuses at once when the URL or
    /// the host is under a Retry-After.
    async fn acquire(self: &Arc<Self>, url: &Url) -> Result<Slot, FetchError> {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let limits = self.limits(&host);
        let permit = self
            .global
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| FetchError::Client(e.to_string()))?;
        loop {
            // Registered before the state is read, so a slot freed in
            // between still wakes this waiter.
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let wait = {
                let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
                let h = hosts.entry(host.clone()).or_default();
                let now = Instant::now();
                h.throttled_urls.retain(|_, (until, _)| *until > now);
                if let Some((until, at)) = h
                    .throttled_urls
                    .get(url.as_str())
                    .copied()
                    .or(h.throttled_until)
                {
                    if until > now {
                        return Err(FetchError::Throttled {
                            url: url.to_string(),
                            until: at,
                        });
                    }
                    h.throttled_until = None;
                }
                let gap_left = h
                    .last_start
                    .map(|t| (t + limits.gap).saturating_duration_since(now));
                match gap_left {
                    _ if h.in_flight >= limits.connections => None,
                    Some(left) if !left.is_zero() => Some(left),
                    _ => {
                        h.in_flight += 1;
                        h.last_start = Some(now);
                        return Ok(Slot {
                            politeness: self.clone(),
                            host,
                            _global: permit,
                        });
                    }
                }
            };
            match wait {
                Some(d) => tokio::time::sleep(d).await,
                None => notified.await,
            }
        }
    }

    /// Records a Retry-After for a URL; when several URLs of one host are
    /// throttled, the whole host waits.
    fn throttle(&self, url: &Url, until: DateTime<Utc>) {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let left = (until - Utc::now()).to_std().unwrap_or_default();
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        let h = hosts.entry(host).or_default();
        let instant = Instant::now() + left;
        h.throttled_urls.insert(url.to_string(), (instant, until));
        if h.throttled_urls.len() >= 2 {
            let latest = h.throttled_urls.values().copied().min_by_key(|(i, _)| *i);
            h.throttled_until = latest;
        }
    }

    /// Hosts currently under a Retry-After.
    fn throttled_hosts(&self) -> usize {
        let now = Instant::now();
        let hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .values()
            .filter(|h| {
                h.throttled_until.is_some_and(|(t, _)| t > now)
                    || h.throttled_urls.values().any(|(t, _)| *t > now)
            })
            .count()
    }

    fn note(&self, host: &str, ok: bool) {
        let now = Instant::now();
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        // Oldest first: drop what fell out of the window, and keep the
        // record small (a few hundred outcomes tell an outage as well).
        while recent
            .front()
            .is_some_and(|(t, _, _)| now.duration_since(*t) >= OUTAGE_WINDOW)
            || recent.len() >= 512
        {
            recent.pop_front();
        }
        recent.push_back((now, host.to_string(), ok));
    }

    /// The network looks down: nothing answered lately, and several hosts
    /// failed at the connection level.
    fn outage(&self) -> bool {
        let now = Instant::now();
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let live: Vec<_> = recent
            .iter()
            .filter(|(t, _, _)| now.duration_since(*t) < OUTAGE_WINDOW)
            .collect();
        let any_ok = live.iter().any(|(_, _, ok)| *ok);
        let failed: HashSet<&str> = live
            .iter()
            .filter(|(_, _, ok)| !ok)
            .map(|(_, h, _)| h.as_str())
            .collect();
        !any_ok && failed.len() >= OUTAGE_HOSTS
    }
}

#[derive(Clone)]
pub struct Fetcher {
    /// One client per proxy (`None`: direct).
    clients: HashMap<Option<String>, reqwest::Client>,
    default_proxy: Option<String>,
    allow_private: bool,
    politeness: Arc<Politeness>,
    user_agent: String,
    /// One request's whole time, redirects and body included.
    timeout: Duration,
}

/// Who a client is for: fetching (redirects by hand, private addresses
/// refused unless allowed) or alerts (sinks the operator chose).
#[derive(Clone, Copy, PartialEq)]
enum Purpose {
    Fetch,
    Alert,
}

fn client(
    cfg: &FetchConfig,
    proxy: Option<&str>,
    purpose: Purpose,
) -> Result<reqwest::Client, FetchError> {
    // Never followed by the client: fetches follow them by hand, checking
    // every hop; a redirected alert would carry its signature elsewhere.
    let mut b = reqwest::Client::builder()
        .user_agent(&cfg.user_agent)
        .timeout(cfg.timeout)
        .connect_timeout(cfg.connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .use_rustls_tls();
    if purpose == Purpose::Fetch {
        // Bodies are decoded by `Decoding`, which keeps the headers.
        b = b.no_gzip().no_brotli().no_deflate();
        if !cfg.allow_private_networks {
            let proxy_host = proxy
                .and_then(|p| Url::parse(p).ok())
                .and_then(|u| u.host_str().map(str::to_string));
            b = b.dns_resolver(Arc::new(GuardedResolver { proxy_host }));
        }
    }
    b = match proxy {
        Some(p) => b.proxy(reqwest::Proxy::all(p).map_err(|e| {
            FetchError::Client(format!("proxy {}: {e}", crate::config::hide_password(p)))
        })?),
        None => b.no_proxy(),
    };
    b.build().map_err(|e| FetchError::Client(e.to_string()))
}

impl Fetcher {
    /// Builds the client(s): the configured proxy, plus one per distinct
    /// per-feed proxy.
    pub fn new(cfg: &FetchConfig, feed_proxies: &[&str]) -> Result<Fetcher, FetchError> {
        let mut clients = HashMap::new();
        clients.insert(
            cfg.proxy.clone(),
            client(cfg, cfg.proxy.as_deref(), Purpose::Fetch)?,
        );
        for p in feed_proxies {
            if let std::collections::hash_map::Entry::Vacant(e) = clients.entry(Some(p.to_string()))
            {
                e.insert(client(cfg, Some(p), Purpose::Fetch)?);
            }
        }
        let politeness = Politeness {
            hosts: Mutex::default(),
            changed: tokio::sync::Notify::new(),
            global: Arc::new(tokio::sync::Semaphore::new(cfg.max_connections)),
            default: cfg.per_host,
            overrides: cfg.hosts.clone(),
            recent: Mutex::default(),
        };
        Ok(Fetcher {
            clients,
            default_proxy: cfg.proxy.clone(),
            allow_private: cfg.allow_private_networks,
            politeness: Arc::new(politeness),
            user_agent: cfg.user_agent.clone(),
            timeout: cfg.timeout,
        })
    }

    /// The headers the client sends with every request to `url`, in the
    /// form a server sees them (reqwest adds them itself, so they are
    /// restated here for the archive).
    fn request_headers(&self, url: &Url) -> Vec<(String, String)> {
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => String::new(),
        };
        vec![
            ("Host".into(), host),
            ("User-Agent".into(), self.user_agent.clone()),
            ("Accept".into(), "*/*".into()),
            ("Accept-Encoding".into(), ACCEPTED_ENCODINGS.into()),
        ]
    }

    /// Whether the network itself looks down (every host failing at once).
    pub fn outage(&self) -> bool {
        self.politeness.outage()
    }

    /// Hosts currently under a Retry-After.
    pub fn throttled_hosts(&self) -> usize {
        self.politeness.throttled_hosts()
    }

    /// GETs a URL, sending the validators, reading at most `max_bytes` of
    /// (decompressed) body, through `proxy` (else the configured one). A
    /// 304 comes back as a `Fetched` with status 304 and no body; any other
    /// non-2xx status is an error.
    pub async fn get(
        &self,
        url: &Url,
        validators: &Validators,
        max_bytes: u64,
        proxy: Option<&str>,
    ) -> Result<Fetched, FetchError> {
        let wanted = proxy
            .map(str::to_string)
            .or_else(|| self.default_proxy.clone());
        let (proxied, client) = self
            .clients
            .get_key_value(&wanted)
            .or_else(|| self.clients.get_key_value(&self.default_proxy))
            .ok_or_else(|| FetchError::Client("no HTTP client".into()))?;
        let proxy_url = proxied.clone();
        let proxied = proxied.is_some();
        let mut current = url.clone();
        let mut seen: HashSet<String> = HashSet::new();
        let mut permanent = true;
        let mut deadline: Option<tokio::time::Instant> = None;
        for hop in 0..=MAX_REDIRECTS {
            if !matches!(current.scheme(), "http" | "https") {
                // Where a redirect led (the config's URLs are checked at
                // load): the server's doing, not the network's.
                return Err(FetchError::Redirect {
                    url: current.to_string(),
                    message: "only http and https are fetched".into(),
                });
            }
            if !self.allow_private {
                if let Some(host) = literal_private_host(&current) {
                    return Err(FetchError::Blocked {
                        url: current.to_string(),
                        host,
                    });
                }
                if let Some(p) = &proxy_url {
                    check_proxied_target(&current, p).await?;
                }
            }
            if !seen.insert(current.to_string()) {
                return Err(FetchError::Redirect {
                    url: url.to_string(),
                    message: format!("redirect loop at {current}"),
                });
            }
            // The first hop starts the clock: waiting for the host's turn
            // does not count, every hop and every body byte after it does
            // (the client's own timeout restarts at each hop).
            let slot = match deadline {
                None => {
                    let slot = self.politeness.acquire(&current).await?;
                    deadline = Some(tokio::time::Instant::now() + self.timeout);
                    slot
                }
                Some(d) => within(d, &current, self.politeness.acquire(&current)).await??,
            };
            let until = deadline.unwrap_or_else(tokio::time::Instant::now);
            let mut req = client
                .get(current.clone())
                .header(ACCEPT_ENCODING, ACCEPTED_ENCODINGS);
            let mut sent = self.request_headers(&current);
            // Validators belong to the URL they were given for: the first.
            if hop == 0 {
                if let Some(etag) = &validators.etag {
                    req = req.header(IF_NONE_MATCH, etag);
                    sent.push(("If-None-Match".into(), etag.clone()));
                }
                if let Some(lm) = &validators.last_modified {
                    req = req.header(IF_MODIFIED_SINCE, lm);
                    sent.push(("If-Modified-Since".into(), lm.clone()));
                }
            }
            let host = current.host_str().unwrap_or("").to_string();
            let resp = match within(until, &current, req.send()).await? {
                Ok(r) => r,
                Err(e) => {
                    let err = FetchError::from_reqwest(&current, e);
                    if err.is_network() {
                        self.politeness.note(&host, false);
                    }
                    return Err(err);
                }
            };
            self.politeness.note(&host, true);
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let exchange = Exchange {
                version: format!("{:?}", resp.version()),
                reason: resp.status().canonical_reason().unwrap_or("").to_string(),
                request_headers: sent,
                response_headers: headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
                    .collect(),
                remote_ip: (!proxied)
                    .then(|| resp.remote_addr().map(|a| a.ip()))
                    .flatten(),
                at: Utc::now(),
            };
            let header = |name| {
                headers
                    .get(name)
                    .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                    .map(str::to_string)
            };
            let now = Utc::now();
            if (300..400).contains(&status) && status != 304 {
                let Some(loc) = header(LOCATION) else {
                    return Err(FetchError::Status {
                        url: current.to_string(),
                        status,
                        retry_after: None,
                    });
                };
                let next = current.join(loc.trim()).map_err(|e| FetchError::Redirect {
                    url: current.to_string(),
                    message: format!("bad redirect to {loc}: {e}"),
                })?;
                permanent &= matches!(status, 301 | 308);
                drop(slot);
                current = next;
                continue;
            }
            let fresh_until = parse_freshness(
                header(CACHE_CONTROL).as_deref(),
                header(EXPIRES).as_deref(),
                now,
            );
            let mut fetched = Fetched {
                status,
                url: current.clone(),
                moved_to: (hop > 0 && permanent).then(|| current.clone()),
                content_type: header(CONTENT_TYPE),
                etag: header(ETAG),
                last_modified: header(LAST_MODIFIED),
                fresh_until,
                body: Vec::new(),
                exchange,
            };
            if status == 304 {
                return Ok(fetched);
            }
            if !(200..300).contains(&status) {
                let retry_after = matches!(status, 429 | 503)
                    .then(|| header(RETRY_AFTER).and_then(|v| parse_retry_after(&v, now)))
                    .flatten();
                if let Some(t) = retry_after {
                    self.politeness.throttle(&current, t);
                }
                return Err(FetchError::Status {
                    url: current.to_string(),
                    status,
                    retry_after,
                });
            }
            let mut resp = resp;
            let too_large = || FetchError::TooLarge {
                url: current.to_string(),
                limit: max_bytes,
            };
            let encoding = header(CONTENT_ENCODING);
            // Content-Length counts encoded bytes: only an unencoded one
            // tells the decoded size in advance.
            if encoding.is_none() && resp.content_length().is_some_and(|n| n > max_bytes) {
                return Err(too_large());
            }
            let mut decoding = Decoding::new(encoding.as_deref(), max_bytes);
            let failed = |f: DecodeFailure| match f {
                DecodeFailure::TooLarge => too_large(),
                DecodeFailure::Bad(e) => FetchError::Decode {
                    url: current.to_string(),
                    message: format!(
                        "body does not decode as {}: {e}",
                        encoding.as_deref().unwrap_or("sent")
                    ),
                },
            };
            let mut received: u64 = 0;
            while let Some(chunk) = within(until, &current, resp.chunk())
                .await?
                .map_err(|e| FetchError::from_reqwest(&current, e))?
            {
                received += chunk.len() as u64;
                if received > max_bytes {
                    return Err(too_large());
                }
                decoding.write(&chunk).map_err(failed)?;
            }
            fetched.body = decoding.finish().map_err(failed)?;
            return Ok(fetched);
        }
        Err(FetchError::Redirect {
            url: url.to_string(),
            message: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }
}

/// Runs `f` until `deadline`; past it, the URL timed out.
async fn within<T>(
    deadline: tokio::time::Instant,
    url: &Url,
    f: impl std::future::Future<Output = T>,
) -> Result<T, FetchError> {
    tokio::time::timeout_at(deadline, f)
        .await
        .map_err(|_| FetchError::Timeout {
            url: url.to_string(),
        })
}

/// The client alerts are sent with. Sink URLs are the operator's own
/// choice, so private addresses are allowed (an ntfy server on the LAN);
/// the proxy, when set, is used as for fetching. Redirects are not
/// followed: a signed alert goes to the address configured and nowhere
/// else. A sink URL is often its own credential (Slack, Discord, a
/// webhook's secret path), so errors name it as [`redact`] shows it.
#[derive(Clone)]
pub struct Poster {
    client: reqwest::Client,
}

/// How much of a sink's answer is read: enough for its first words (what
/// `alert test` shows); the rest is never read, so an endless answer costs
/// nothing.
const MAX_ANSWER_BYTES: usize = 16 << 10;

/// A sink URL as it may be shown: scheme, host and port; the path, query
/// and any user name or password, which may be the credential, hidden.
pub fn redact(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let rest = if url.path() == "/" && url.query().is_none() {
        "/"
    } else {
        "/…"
    };
    format!("{}://{host}{port}{rest}", url.scheme())
}

impl Poster {
    pub fn new(cfg: &FetchConfig) -> Result<Poster, FetchError> {
        Ok(Poster {
            client: client(cfg, cfg.proxy.as_deref(), Purpose::Alert)?,
        })
    }

    /// POSTs a body; returns the status and the start of the answer. A
    /// status other than 2xx is an error.
    pub async fn post(
        &self,
        url: &Url,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<(u16, String), FetchError> {
        let shown = redact(url);
        let hide = |e: FetchError| match e {
            FetchError::Network { message, .. } => FetchError::Network {
                url: shown.clone(),
                message: message.replace(url.as_str(), &shown),
            },
            FetchError::Timeout { .. } => FetchError::Timeout { url: shown.clone() },
            other => other,
        };
        let mut req = self.client.post(url.clone()).body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let mut resp = req
            .send()
            .await
            .map_err(|e| hide(FetchError::from_reqwest(url, e)))?;
        let status = resp.status().as_u16();
        if (300..400).contains(&status) {
            return Err(FetchError::Redirect {
                url: shown,
                message: format!(
                    "HTTP {status}: the sink redirects elsewhere, and alerts are sent only to the configured URL"
                ),
            });
        }
        let mut answer = Vec::new();
        while answer.len() < MAX_ANSWER_BYTES {
            match resp.chunk().await {
                Ok(Some(chunk)) => answer.extend_from_slice(&chunk),
                // What the sink said is a courtesy: its status decides.
                Ok(None) | Err(_) => break,
            }
        }
        let answer: String = String::from_utf8_lossy(&answer)
            .chars()
            .take(200)
            .collect::<String>()
            .trim()
            .to_string();
        if !(200..300).contains(&status) {
            return Err(FetchError::Status {
                url: shown,
                status,
                retry_after: None,
            });
        }
        Ok((status, answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_decode_in_slices_and_bad_ones_are_errors() {
        use std::io::Write;
        let text = b"<p>hello, archive</p>".repeat(200);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&text).unwrap();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&text).unwrap();
        for (enc, bytes) in [
            (Some("gzip"), gz.finish().unwrap()),
            (Some("Deflate"), z.finish().unwrap()),
            (None, text.clone()),
            (Some("identity"), text.clone()),
        ] {
            let mut d = Decoding::new(enc, 1 << 20);
            for slice in bytes.chunks(7) {
                d.write(slice).unwrap();
            }
            assert_eq!(d.finish().unwrap(), text, "{enc:?}");
        }
        let mut d = Decoding::new(Some("gzip"), 1 << 20);
        let garbage = d
            .write(b"this is not gzip at all")
            .and_then(|_| d.finish().map(drop));
        assert!(matches!(garbage, Err(DecodeFailure::Bad(_))), "{garbage:?}");
        // An encoding not known here leaves the body as it came.
        let mut d = Decoding::new(Some("zstd"), 1 << 20);
        d.write(b"\x28\xb5\x2f\xfd").unwrap();
        assert_eq!(d.finish().unwrap(), b"\x28\xb5\x2f\xfd");
    }

    /// 1681 bytes of brotli that decode to 1 GiB of `a` (made with
    /// Python's `brotli.compress(b"a" * 2**30, quality=11)`).
    const BROTLI_GIB: &[u8] = include_bytes!("../tests/fixtures/bombs/1gib.br");

    #[test]
    fn a_brotli_bomb_stops_at_the_cap_inside_one_write() {
        // The whole bomb in one write, as one network chunk would bring it:
        // the decoder must stop at the cap, not decode it all first.
        let mut d = Decoding::new(Some("br"), 1 << 20);
        let r = d.write(BROTLI_GIB);
        assert!(matches!(r, Err(DecodeFailure::TooLarge)), "{r:?}");
        assert!(d.out().buf.len() <= 1 << 20);
        let mut d = Decoding::new(Some("identity"), 10);
        assert!(d.write(b"0123456789").is_ok());
        assert!(matches!(d.write(b"x"), Err(DecodeFailure::TooLarge)));
    }

    #[test]
    fn gzip_and_deflate_bombs_stop_at_the_cap_too() {
        use std::io::Write;
        let zeros = vec![0u8; 1 << 20];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..64 {
            gz.write_all(&zeros).unwrap();
            z.write_all(&zeros).unwrap();
        }
        for (enc, bomb) in [
            ("gzip", gz.finish().unwrap()),
            ("deflate", z.finish().unwrap()),
        ] {
            let mut d = Decoding::new(Some(enc), 1 << 20);
            let r = d.write(&bomb).and_then(|_| d.finish().map(drop));
            assert!(matches!(r, Err(DecodeFailure::TooLarge)), "{enc}: {r:?}");
        }
    }

    #[test]
    fn private_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn reserved_ranges_and_ipv4_in_ipv6_are_private() {
        for ip in [
            "198.18.0.1",
            "198.19.255.254",
            "240.0.0.1",
            "255.255.255.254",
            "192.0.0.8",
            "192.0.2.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "::127.0.0.1",
            "::10.0.0.1",
            "::",
            "fec0::1",
            "feff::1",
            "2001:db8::1",
            // Teredo, client 127.0.0.1 stored inverted.
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        // Public sites through NAT64 and 6to4 stay reachable.
        for ip in ["64:ff9b::5db8:d822", "2002:5db8:d822::1", "198.20.0.1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(crate::proptest_cases()))]

        /// Every IPv6 form that carries an IPv4 address is judged as that
        /// address: no spelling of a private address gets through.
        #[test]
        fn ipv4_in_ipv6_forms_judge_the_ipv4_address(bits in proptest::prelude::any::<u32>()) {
            let v4 = std::net::Ipv4Addr::from(bits);
            let [a, b, c, d] = v4.octets();
            let (hi, lo) = (u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]));
            let forms = [
                v4.to_ipv6_mapped(),
                std::net::Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, hi, lo),
                std::net::Ipv6Addr::new(0x2002, hi, lo, 0, 0, 0, 0, 1),
                std::net::Ipv6Addr::new(0x2001, 0, 0x4136, 0xe378, 0x8000, 0x63bf, !hi, !lo),
            ];
            let private = is_private(IpAddr::V4(v4));
            for v6 in forms {
                proptest::prop_assert_eq!(is_private(IpAddr::V6(v6)), private, "{} as {}", v4, v6);
            }
            let compat = std::net::Ipv6Addr::new(0, 0, 0, 0, 0, 0, hi, lo);
            proptest::prop_assert_eq!(is_private(IpAddr::V6(compat)), private, "{} as {}", v4, compat);
        }
    }

    #[test]
    fn literal_hosts_are_checked_names_are_left_to_the_resolver() {
        assert!(literal_private_host(&Url::parse("http://127.0.0.1:8080/x").unwrap()).is_some());
        assert!(literal_private_host(&Url::parse("http://[::1]/x").unwrap()).is_some());
        assert!(literal_private_host(&Url::parse("http://example.org/x").unwrap()).is_none());
        assert!(literal_private_host(&Url::parse("http://LocalHost./x").unwrap()).is_some());
        assert!(literal_private_host(&Url::parse("http://a.localhost:8/x").unwrap()).is_some());
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(now + chrono::Duration::seconds(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 11:00:00 GMT", now),
            Some(now + chrono::Duration::hours(1))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn freshness_from_cache_control_then_expires() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_freshness(Some("public, max-age=600"), None, now),
            Some(now + chrono::Duration::seconds(600))
        );
        assert_eq!(
            parse_freshness(Some("no-cache, max-age=600"), None, now),
            None
        );
        assert_eq!(
            parse_freshness(None, Some("Sun, 22 Nov 2026 12:00:00 GMT"), now),
            Some(now + chrono::Duration::hours(2))
        );
        assert_eq!(
            parse_freshness(None, Some("Sun, 22 Nov 2026 09:00:00 GMT"), now),
            None,
            "past"
        );
    }
}
