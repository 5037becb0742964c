//! The client alerts are sent with: POST to the sink the operator chose,
//! no redirects, the URL shown only as [`redact`] shows it. Must not
//! decide what is alerted nor retry (that is `deliver`); see
//! ARCHITECTURE.md, "Codemap" (`fetch`, `deliver`).

use url::Url;

use super::client::{client, Purpose};
use super::error::{FetchError, Redirect};
use crate::config::FetchConfig;

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
        // The sources carry no URL (`from_reqwest` drops it): only the
        // `url` fields need hiding.
        let hide = |e: FetchError| match e {
            FetchError::Network { source, .. } => FetchError::Network {
                url: shown.clone(),
                source,
            },
            FetchError::Protocol { source, .. } => FetchError::Protocol {
                url: shown.clone(),
                source,
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
                source: Redirect::Sink { status },
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
