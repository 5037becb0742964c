//! The private-address guard: the literal check on a URL's host (which
//! addresses are private is `address`), the check of a name before a
//! proxy gets it, and the resolver that drops private answers. Must not
//! send requests; see ARCHITECTURE.md, "Codemap" (`fetch`) and
//! "Invariants".

use std::net::{IpAddr, SocketAddr};

use url::Url;

use super::address::is_private;
use super::error::{FetchError, PrivateAddress, Unresolved};

/// Whether a URL names a private address literally, or by a name that
/// is loopback by definition (`localhost`, `*.localhost`); other names are
/// checked after resolution, by the resolver (or before a proxy gets them).
pub(super) fn literal_private_host(url: &Url) -> Option<String> {
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
pub(super) async fn check_proxied_target(url: &Url, proxy: &str) -> Result<(), FetchError> {
    if proxy.to_ascii_lowercase().starts_with("socks5h:") {
        return Ok(());
    }
    let Some(url::Host::Domain(name)) = url.host() else {
        return Ok(());
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs = tokio::net::lookup_host((name, port))
        .await
        .map_err(|source| FetchError::Network {
            url: url.to_string(),
            source: Box::new(Unresolved {
                name: name.to_string(),
                source,
            }),
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
pub(super) struct GuardedResolver {
    pub(super) proxy_host: Option<String>,
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
                // Found again by type in reqwest's error (`from_reqwest`).
                let e = PrivateAddress { host };
                return Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
