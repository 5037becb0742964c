//! `Fetcher`: a GET with validators, redirects followed by hand (at most
//! ten, loops refused, every hop checked by the guard, all of them within
//! one `timeout`), the host's politeness slot, and the body read under
//! its cap. Must not parse what it fetches; see ARCHITECTURE.md,
//! "Codemap" (`fetch`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use reqwest::header::{
    HeaderMap, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, EXPIRES,
    IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION, RETRY_AFTER,
};
use url::Url;

use super::body::{DecodeFailure, Decoding};
use super::client::{client, Purpose};
use super::error::{ClientError, FetchError, Redirect};
use super::guard::{check_proxied_target, literal_private_host};
use super::politeness::{host_key, HostGate, Politeness};
use super::response::{parse_freshness, parse_retry_after, Exchange, Fetched, Validators};
use crate::config::FetchConfig;

const MAX_REDIRECTS: usize = 10;

/// The encodings pages and feeds are asked for, and decoded here.
const ACCEPTED_ENCODINGS: &str = "gzip, deflate, br";
#[derive(Clone)]
pub struct Fetcher {
    /// One client per proxy (`None`: direct).
    clients: HashMap<Option<String>, reqwest::Client>,
    default_proxy: Option<String>,
    allow_private: bool,
    politeness: Arc<Politeness>,
    /// A host budget shared with other processes, consulted after ours.
    gate: Option<Arc<dyn HostGate>>,
    user_agent: String,
    /// One request's whole time, redirects and body included.
    timeout: Duration,
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
        Ok(Fetcher {
            clients,
            default_proxy: cfg.proxy.clone(),
            allow_private: cfg.allow_private_networks,
            politeness: Arc::new(Politeness::new(cfg)),
            gate: None,
            user_agent: cfg.user_agent.clone(),
            timeout: cfg.timeout,
        })
    }

    /// The same fetcher, its requests also held to a host budget shared
    /// beyond this process (a fleet's): each request takes this process's
    /// slot for the host, then a place from `gate`; a Retry-After is told
    /// to the gate too.
    pub fn with_gate(mut self, gate: Arc<dyn HostGate>) -> Fetcher {
        self.gate = Some(gate);
        self
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
        let (proxy_url, client) = self
            .clients
            .get_key_value(&wanted)
            .or_else(|| self.clients.get_key_value(&self.default_proxy))
            .ok_or(FetchError::Client(ClientError::Missing))?;
        let mut current = url.clone();
        let mut seen: HashSet<String> = HashSet::new();
        let mut permanent = true;
        let mut deadline: Option<tokio::time::Instant> = None;
        let gate = self.gate.as_ref();
        for hop in 0..=MAX_REDIRECTS {
            self.check_hop(&current, proxy_url.as_deref()).await?;
            if !seen.insert(current.to_string()) {
                return Err(FetchError::Redirect {
                    url: url.to_string(),
                    source: Redirect::Loop {
                        at: current.to_string(),
                    },
                });
            }
            // The first hop starts the clock: waiting for the host's turn
            // does not count, every hop and every body byte after it does
            // (the client's own timeout restarts at each hop).
            let slot = match deadline {
                None => {
                    let slot = self.politeness.acquire(&current, gate).await?;
                    deadline = Some(tokio::time::Instant::now() + self.timeout);
                    slot
                }
                Some(d) => within(d, &current, self.politeness.acquire(&current, gate)).await??,
            };
            let until = deadline.unwrap_or_else(tokio::time::Instant::now);
            // Validators belong to the URL they were given for: the first.
            let validators = (hop == 0).then_some(validators);
            let (resp, sent) = self.send(client, &current, validators, until).await?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let exchange = exchange_of(&resp, sent, proxy_url.is_some());
            let header = |name| header_text(&headers, name);
            if (300..400).contains(&status) && status != 304 {
                let Some(loc) = header(LOCATION) else {
                    return Err(FetchError::Status {
                        url: current.to_string(),
                        status,
                        retry_after: None,
                    });
                };
                let next = current
                    .join(loc.trim())
                    .map_err(|source| FetchError::Redirect {
                        url: current.to_string(),
                        source: Redirect::BadLocation {
                            location: loc.clone(),
                            source,
                        },
                    })?;
                permanent &= matches!(status, 301 | 308);
                drop(slot);
                current = next;
                continue;
            }
            let now = Utc::now();
            let mut fetched = Fetched {
                status,
                url: current.clone(),
                moved_to: (hop > 0 && permanent).then(|| current.clone()),
                content_type: header(CONTENT_TYPE),
                etag: header(ETAG),
                last_modified: header(LAST_MODIFIED),
                fresh_until: parse_freshness(
                    header(CACHE_CONTROL).as_deref(),
                    header(EXPIRES).as_deref(),
                    now,
                ),
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
                    if let Some(gate) = gate {
                        // Awaited, so the others know by the time this
                        // request's error is seen.
                        gate.throttle(&host_key(&current), t).await;
                    }
                }
                return Err(FetchError::Status {
                    url: current.to_string(),
                    status,
                    retry_after,
                });
            }
            let encoding = header(CONTENT_ENCODING);
            fetched.body = read_body(resp, &current, encoding, max_bytes, until).await?;
            return Ok(fetched);
        }
        Err(FetchError::Redirect {
            url: url.to_string(),
            source: Redirect::TooMany {
                limit: MAX_REDIRECTS,
            },
        })
    }

    /// Refuses a hop before anything is sent: a scheme other than http(s)
    /// (where a redirect led; the config's URLs are checked at load: the
    /// server's doing, not the network's), or a private address while
    /// those are off.
    async fn check_hop(&self, current: &Url, proxy: Option<&str>) -> Result<(), FetchError> {
        if !matches!(current.scheme(), "http" | "https") {
            return Err(FetchError::Redirect {
                url: current.to_string(),
                source: Redirect::Scheme,
            });
        }
        if self.allow_private {
            return Ok(());
        }
        if let Some(host) = literal_private_host(current) {
            return Err(FetchError::Blocked {
                url: current.to_string(),
                host,
            });
        }
        if let Some(p) = proxy {
            check_proxied_target(current, p).await?;
        }
        Ok(())
    }

    /// Sends one request (no redirect followed) and notes for the outage
    /// detector whether the host answered; gives back the response and
    /// the request's headers as sent.
    async fn send(
        &self,
        client: &reqwest::Client,
        current: &Url,
        validators: Option<&Validators>,
        until: tokio::time::Instant,
    ) -> Result<(reqwest::Response, Vec<(String, String)>), FetchError> {
        let mut req = client
            .get(current.clone())
            .header(ACCEPT_ENCODING, ACCEPTED_ENCODINGS);
        let mut sent = self.request_headers(current);
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                req = req.header(IF_NONE_MATCH, etag);
                sent.push(("If-None-Match".into(), etag.clone()));
            }
            if let Some(lm) = &v.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm);
                sent.push(("If-Modified-Since".into(), lm.clone()));
            }
        }
        let host = current.host_str().unwrap_or("");
        match within(until, current, req.send()).await? {
            Ok(resp) => {
                self.politeness.note(host, true);
                Ok((resp, sent))
            }
            Err(e) => {
                let err = FetchError::from_reqwest(current, e);
                if err.is_network() {
                    self.politeness.note(host, false);
                }
                Err(err)
            }
        }
    }
}

/// A header's value as text, when it is text.
fn header_text(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The exchange as the archive records it.
fn exchange_of(resp: &reqwest::Response, sent: Vec<(String, String)>, proxied: bool) -> Exchange {
    Exchange {
        version: format!("{:?}", resp.version()),
        reason: resp.status().canonical_reason().unwrap_or("").to_string(),
        request_headers: sent,
        response_headers: resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
            .collect(),
        remote_ip: (!proxied)
            .then(|| resp.remote_addr().map(|a| a.ip()))
            .flatten(),
        at: Utc::now(),
    }
}

/// Streams a body in, decoding it, under the cap and the deadline.
async fn read_body(
    mut resp: reqwest::Response,
    url: &Url,
    encoding: Option<String>,
    max_bytes: u64,
    until: tokio::time::Instant,
) -> Result<Vec<u8>, FetchError> {
    let too_large = || FetchError::TooLarge {
        url: url.to_string(),
        limit: max_bytes,
    };
    // Content-Length counts encoded bytes: only an unencoded one tells the
    // decoded size in advance.
    if encoding.is_none() && resp.content_length().is_some_and(|n| n > max_bytes) {
        return Err(too_large());
    }
    let mut decoding = Decoding::new(encoding.as_deref(), max_bytes);
    let failed = |f: DecodeFailure| match f {
        DecodeFailure::TooLarge => too_large(),
        DecodeFailure::Bad(source) => FetchError::Decode {
            url: url.to_string(),
            encoding: encoding.as_deref().unwrap_or("sent").to_string(),
            source,
        },
    };
    let mut received: u64 = 0;
    while let Some(chunk) = within(until, url, resp.chunk())
        .await?
        .map_err(|e| FetchError::from_reqwest(url, e))?
    {
        received += chunk.len() as u64;
        if received > max_bytes {
            return Err(too_large());
        }
        decoding.write(&chunk).map_err(failed)?;
    }
    decoding.finish().map_err(failed)
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
