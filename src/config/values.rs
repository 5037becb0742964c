//! How the config writes values: durations ("1h30m"), sizes ("10MiB"),
//! and a URL with its password hidden for messages. Pure; must not read
//! the config or anything else; see ARCHITECTURE.md, "Codemap" (`config`).

use std::time::Duration;

/// Parses "250ms", "90s", "15m", "2h", "1d", "1h30m".
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let bad = || format!("'{s}' is not a duration like 30s, 15m, 2h or 1d");
    let mut total = Duration::ZERO;
    let mut rest = s;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86400)),
            "" => {
                return Err(format!(
                    "'{s}' is not a duration like 30s, 15m, 2h or 1d (a unit is required)"
                ))
            }
            _ => return Err(bad()),
        };
        total = total.saturating_add(part);
        rest = &rest[unit_len..];
    }
    if total > MAX_DURATION {
        return Err(format!("'{s}' is longer than 3650d"));
    }
    Ok(total)
}

/// The longest duration any setting takes: ten years. Longer ones
/// overflowed the clock arithmetic of a started service (a per-host gap
/// of 18446744073709551615d, a retry or digest of as long) and panicked it.
const MAX_DURATION: Duration = Duration::from_secs(3650 * 86400);

/// A URL as it may appear in a message: a password in it (a proxy's)
/// replaced by `…`. Works on text that is not a valid URL too, since the
/// messages that quote a URL are mostly about it not being one.
pub(crate) fn hide_password(url: &str) -> String {
    let Some(i) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[i + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _)) => format!("{}://{user}:…@{}", &url[..i], &rest[at + 1..]),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Parses "10MiB", "512KiB", "5MB", "1GiB", "1000".
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("'{s}' is not a size like 512KiB or 10MiB"))?;
    let mult: u64 = match unit.trim() {
        "" | "B" => 1,
        "KB" | "kB" => 1000,
        "KiB" => 1 << 10,
        "MB" => 1000 * 1000,
        "MiB" => 1 << 20,
        "GB" => 1000 * 1000 * 1000,
        "GiB" => 1 << 30,
        _ => return Err(format!("'{s}' is not a size like 512KiB or 10MiB")),
    };
    Ok(n.saturating_mul(mult))
}

/// A duration as the config writes it ("5m", "1h30m").
pub(super) fn human(d: Duration) -> String {
    let mut s = d.as_secs();
    let mut out = String::new();
    for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] {
        if s >= size {
            out.push_str(&format!("{}{unit}", s / size));
            s %= size;
        }
    }
    if out.is_empty() {
        format!("{}ms", d.as_millis())
    } else {
        out
    }
}
