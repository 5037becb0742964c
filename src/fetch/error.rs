//! What went wrong with a request, told by the error's type and never by
//! its words: reqwest's own kinds (`is_timeout`, `is_connect`), the
//! guard's [`PrivateAddress`] found in the `source()` chain, and the
//! source kept for whoever wants the detail. Must not decide policy
//! (what a failure does to a feed's schedule is the pipeline's); see
//! ARCHITECTURE.md, "Fetching".

use std::error::Error as StdError;

use chrono::{DateTime, Utc};
use url::Url;

/// A source error of any type, kept whole.
pub type Source = Box<dyn StdError + Send + Sync>;

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
    /// A redirect not followed: refused by us, or not a URL.
    #[error("{url}: {source}")]
    Redirect {
        url: String,
        #[source]
        source: Redirect,
    },
    /// The server could not be reached or the connection broke: name
    /// resolution, connection refused or reset, TLS handshake.
    #[error("{url}: {}", detail(source.as_ref()))]
    Network {
        url: String,
        #[source]
        source: Source,
    },
    /// The server was reached but did not answer in HTTP (a wrong port,
    /// a garbled or missing status line): the network works.
    #[error("{url}: the answer is not HTTP: {}", detail(source))]
    Protocol {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The body does not decode as its Content-Encoding says.
    #[error("{url}: body does not decode as {encoding}: {source}")]
    Decode {
        url: String,
        /// The Content-Encoding as sent ("sent" when there was none).
        encoding: String,
        #[source]
        source: std::io::Error,
    },
    /// Our side: the client could not be built or used.
    #[error("HTTP client: {0}")]
    Client(#[source] ClientError),
}

/// Why a redirect was not followed. Our own refusals carry no source; a
/// Location that is not a URL keeps the parser's error.
#[derive(Debug, thiserror::Error)]
pub enum Redirect {
    #[error("redirect loop at {at}")]
    Loop { at: String },
    #[error("more than {limit} redirects")]
    TooMany { limit: usize },
    /// Where a redirect led (the config's URLs are checked at load).
    #[error("only http and https are fetched")]
    Scheme,
    #[error("bad redirect to {location}: {source}")]
    BadLocation {
        location: String,
        #[source]
        source: url::ParseError,
    },
    /// An alert sink that answers 3xx: alerts go only to the configured
    /// URL, so its signature and secrets go nowhere else.
    #[error("HTTP {status}: the sink redirects elsewhere, and alerts are sent only to the configured URL")]
    Sink { status: u16 },
}

/// What went wrong on our side of a request.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A proxy URL reqwest refuses; `proxy` has its password hidden.
    #[error("proxy {proxy}: {source}")]
    Proxy {
        proxy: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{0}")]
    Build(#[source] reqwest::Error),
    /// No client for the proxy asked for, nor a direct one.
    #[error("no HTTP client")]
    Missing,
    /// The budget of requests in flight was closed.
    #[error("{0}")]
    Budget(#[source] tokio::sync::AcquireError),
    /// The shared host budget (a fleet's gate) could not be asked.
    #[error("the shared budget of {host}: {source}")]
    Gate {
        host: String,
        #[source]
        source: Source,
    },
}

/// The guard's refusal, returned by the resolver inside reqwest and found
/// again in the error's `source()` chain.
#[derive(Debug, thiserror::Error)]
#[error("{host} is a private or local address")]
pub struct PrivateAddress {
    pub host: String,
}

/// A name that could not be resolved before a proxy was handed it.
#[derive(Debug, thiserror::Error)]
#[error("{name} cannot be resolved here to check it before the proxy gets it: {source}")]
pub struct Unresolved {
    pub name: String,
    pub source: std::io::Error,
}

/// The first error of type `T` in `e`'s chain, `e` included.
fn find<'a, T: StdError + 'static>(e: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut at = Some(e);
    while let Some(e) = at {
        if let Some(t) = e.downcast_ref::<T>() {
            return Some(t);
        }
        at = e.source();
    }
    None
}

/// What a message shows of a source: for reqwest's layered errors the
/// innermost one ("Connection refused", "invalid HTTP version parsed"),
/// whose outer layers say only "error sending request"; else the error.
fn detail(e: &(dyn StdError + 'static)) -> String {
    if e.downcast_ref::<reqwest::Error>().is_none() {
        return e.to_string();
    }
    let mut last = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

impl FetchError {
    /// Sorts a reqwest error by its kind. The URL is kept in `url` and
    /// dropped from the source, whose text would otherwise repeat it (and
    /// for an alert sink, show its secret path).
    pub(super) fn from_reqwest(url: &Url, e: reqwest::Error) -> FetchError {
        let url = url.to_string();
        let e = e.without_url();
        if e.is_timeout() {
            return FetchError::Timeout { url };
        }
        if let Some(p) = find::<PrivateAddress>(&e) {
            return FetchError::Blocked {
                url,
                host: p.host.clone(),
            };
        }
        // A connection that was made and then broke is the network's too;
        // one that carried an answer that is not HTTP is the server's.
        if e.is_connect() || find::<std::io::Error>(&e).is_some() {
            return FetchError::Network {
                url,
                source: Box::new(e),
            };
        }
        FetchError::Protocol { url, source: e }
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
