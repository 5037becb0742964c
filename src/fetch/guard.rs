//! The private-address guard: which addresses a public news site never
//! has, the literal check on a URL's host, the check of a name before a
//! proxy gets it, and the resolver that drops private answers. Must not
//! send requests; see ARCHITECTURE.md, "Codemap" (`fetch`) and
//! "Invariants".

use std::net::{IpAddr, SocketAddr};

use url::Url;

use super::error::{PrivateAddress, Unresolved};
use super::FetchError;

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
