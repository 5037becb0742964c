//! The one HTTP client, for feeds and pages alike.
//!
//! The only module that knows reqwest. It never trusts a server: bodies are
//! capped while they stream (after decompression, so a gzip bomb costs no
//! more than the cap), redirects are limited, and by default no request
//! reaches a loopback, private, link-local or cloud-metadata address,
//! checked after DNS resolution and on every redirect. Must not parse what
//! it fetches, nor touch the store or the corpus.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::header::{
    HeaderMap, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use url::Url;

use crate::config::FetchConfig;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: {host} is a private or local address (set fetch.allow_private_networks = true to allow)")]
    Blocked { url: String, host: String },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: body larger than the {limit}-byte limit")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: timed out")]
    Timeout { url: String },
    #[error("{url}: {message}")]
    Network { url: String, message: String },
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
}

/// Whether an address is one a public news site never has: loopback,
/// private ranges, link-local (cloud metadata lives there), CGNAT,
/// unspecified, multicast and their IPv6 counterparts.
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
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Whether a URL names a private address literally (names are checked
/// after resolution, by the resolver).
fn literal_private_host(url: &Url) -> Option<String> {
    match url.host()? {
        url::Host::Ipv4(ip) if is_private(IpAddr::V4(ip)) => Some(ip.to_string()),
        url::Host::Ipv6(ip) if is_private(IpAddr::V6(ip)) => Some(ip.to_string()),
        _ => None,
    }
}

/// Resolves names and drops private addresses from the answer.
struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                addrs.into_iter().filter(|a| !is_private(a.ip())).collect();
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
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn not_modified(&self) -> bool {
        self.status == 304
    }

    /// The charset named by the Content-Type header, if any.
    pub fn charset(&self) -> Option<&str> {
        let ct = self.content_type.as_deref()?;
        ct.split(';').find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| v.trim().trim_matches('"'))
        })
    }
}

const MAX_REDIRECTS: usize = 10;

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    allow_private: bool,
}

impl Fetcher {
    pub fn new(cfg: &FetchConfig) -> Result<Fetcher, FetchError> {
        let allow_private = cfg.allow_private_networks;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
            }
            if attempt.previous().iter().any(|u| u == attempt.url()) {
                let at = attempt.url().to_string();
                return attempt.error(format!("redirect loop at {at}"));
            }
            if !allow_private {
                if let Some(host) = literal_private_host(attempt.url()) {
                    return attempt.error(format!("{host} is a private or local address"));
                }
            }
            attempt.follow()
        });
        let mut b = reqwest::Client::builder()
            .user_agent(&cfg.user_agent)
            .timeout(cfg.timeout)
            .connect_timeout(cfg.connect_timeout)
            .redirect(policy)
            .use_rustls_tls();
        if !allow_private {
            b = b.dns_resolver(Arc::new(GuardedResolver));
        }
        if let Some(p) = &cfg.proxy {
            b = b.proxy(
                reqwest::Proxy::all(p)
                    .map_err(|e| FetchError::Client(format!("proxy {p}: {e}")))?,
            );
        } else {
            b = b.no_proxy();
        }
        let client = b.build().map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Fetcher {
            client,
            allow_private,
        })
    }

    /// GETs a URL, sending the validators, reading at most `max_bytes` of
    /// (decompressed) body. A 304 comes back as a `Fetched` with status 304
    /// and no body; any other non-2xx status is an error.
    pub async fn get(
        &self,
        url: &Url,
        validators: &Validators,
        max_bytes: u64,
    ) -> Result<Fetched, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Network {
                url: url.to_string(),
                message: "only http and https are fetched".into(),
            });
        }
        if !self.allow_private {
            if let Some(host) = literal_private_host(url) {
                return Err(FetchError::Blocked {
                    url: url.to_string(),
                    host,
                });
            }
        }
        let mut req = self.client.get(url.clone());
        if let Some(etag) = &validators.etag {
            req = req.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            req = req.header(IF_MODIFIED_SINCE, lm);
        }
        let mut resp = req
            .send()
            .await
            .map_err(|e| FetchError::from_reqwest(url, e))?;
        let status = resp.status().as_u16();
        let final_url = resp.url().clone();
        let header = |h: &HeaderMap, name| {
            h.get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let headers = resp.headers().clone();
        let mut fetched = Fetched {
            status,
            url: final_url.clone(),
            content_type: header(&headers, CONTENT_TYPE),
            etag: header(&headers, ETAG),
            last_modified: header(&headers, LAST_MODIFIED),
            body: Vec::new(),
        };
        if status == 304 {
            return Ok(fetched);
        }
        if !(200..300).contains(&status) {
            return Err(FetchError::Status {
                url: final_url.to_string(),
                status,
            });
        }
        if resp.content_length().is_some_and(|n| n > max_bytes) {
            return Err(FetchError::TooLarge {
                url: final_url.to_string(),
                limit: max_bytes,
            });
        }
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| FetchError::from_reqwest(&final_url, e))?
        {
            if fetched.body.len() as u64 + chunk.len() as u64 > max_bytes {
                return Err(FetchError::TooLarge {
                    url: final_url.to_string(),
                    limit: max_bytes,
                });
            }
            fetched.body.extend_from_slice(&chunk);
        }
        Ok(fetched)
    }
}

/// The client alerts are sent with. Sink URLs are the operator's own
/// choice, so private addresses are allowed (an ntfy server on the LAN);
/// the proxy, when set, is used as for fetching.
#[derive(Clone)]
pub struct Poster {
    client: reqwest::Client,
}

impl Poster {
    pub fn new(cfg: &FetchConfig) -> Result<Poster, FetchError> {
        let mut b = reqwest::Client::builder()
            .user_agent(&cfg.user_agent)
            .timeout(cfg.timeout)
            .connect_timeout(cfg.connect_timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .use_rustls_tls();
        if let Some(p) = &cfg.proxy {
            b = b.proxy(
                reqwest::Proxy::all(p)
                    .map_err(|e| FetchError::Client(format!("proxy {p}: {e}")))?,
            );
        } else {
            b = b.no_proxy();
        }
        Ok(Poster {
            client: b.build().map_err(|e| FetchError::Client(e.to_string()))?,
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
        let mut req = self.client.post(url.clone()).body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| FetchError::from_reqwest(url, e))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let answer: String = text
            .chars()
            .take(200)
            .collect::<String>()
            .trim()
            .to_string();
        if !(200..300).contains(&status) {
            return Err(FetchError::Status {
                url: url.to_string(),
                status,
            });
        }
        Ok((status, answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn literal_hosts_are_checked_names_are_left_to_the_resolver() {
        assert!(literal_private_host(&Url::parse("http://127.0.0.1:8080/x").unwrap()).is_some());
        assert!(literal_private_host(&Url::parse("http://[::1]/x").unwrap()).is_some());
        assert!(literal_private_host(&Url::parse("http://example.org/x").unwrap()).is_none());
    }
}
