//! The reqwest clients: one builder for fetching (redirects by hand,
//! bodies decoded by `body`, the guard's resolver) and for alert sinks.
//! Must not send requests; see ARCHITECTURE.md, "Codemap" (`fetch`).

use std::sync::Arc;

use url::Url;

use super::error::{ClientError, FetchError};
use super::guard::GuardedResolver;
use crate::config::FetchConfig;

/// Who a client is for: fetching (redirects by hand, private addresses
/// refused unless allowed) or alerts (sinks the operator chose).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Purpose {
    Fetch,
    Alert,
}

pub(super) fn client(
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
        Some(p) => b.proxy(reqwest::Proxy::all(p).map_err(|source| {
            FetchError::Client(ClientError::Proxy {
                proxy: crate::config::hide_password(p),
                source,
            })
        })?),
        None => b.no_proxy(),
    };
    b.build()
        .map_err(|e| FetchError::Client(ClientError::Build(e)))
}
