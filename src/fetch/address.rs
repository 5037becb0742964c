//! Which addresses a public news site never has. A leaf that imports
//! nothing of the crate: `config` checks proxy hosts with it and `fetch`'s
//! guard checks every address, without `config` and `fetch` importing
//! each other. Must not resolve names or send anything; see
//! ARCHITECTURE.md, "Codemap" (`fetch`).

use std::net::IpAddr;

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
