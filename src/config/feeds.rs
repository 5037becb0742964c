//! `[[feeds]]`: each feed's name, URL, interval and proxy, then what the
//! list as a whole must not hold (one URL twice, a private address while
//! those are refused). Must not read files or the network; see
//! ARCHITECTURE.md, "Codemap" (`config`).

use std::time::Duration;

use url::Url;

use super::problem::Report;
use super::raw::{Raw, RawFeed};
use super::sections::is_proxy_url;
use super::settings::{FeedConfig, FetchConfig};
use super::values::{hide_password, parse_duration};

/// The feeds that are usable; the others are reported.
pub(super) fn feeds(raw: &[RawFeed], problem: &mut Report) -> Vec<FeedConfig> {
    let mut feeds: Vec<FeedConfig> = Vec::new();
    let mut names = std::collections::HashSet::new();
    for f in raw {
        let name = f.name.get_ref().trim().to_string();
        if let Some(why) = feed_name_problem(&name) {
            problem(f.name.span(), format!("feeds.name: {why}"));
        } else if !names.insert(name.clone()) {
            problem(
                f.name.span(),
                format!("feeds.name: '{name}' is used by another feed"),
            );
        }
        let url = feed_url(f, problem);
        let mut interval = None;
        if let Some(v) = &f.interval {
            match parse_duration(v.get_ref()) {
                Ok(d) if d < Duration::from_secs(60) => {
                    problem(v.span(), "feeds.interval: must be at least 1m".into())
                }
                Ok(d) => interval = Some(d),
                Err(e) => problem(v.span(), format!("feeds.interval: {e}")),
            }
        }
        let proxy = f.proxy.as_ref().and_then(|p| {
            if is_proxy_url(p.get_ref()) {
                return Some(p.get_ref().clone());
            }
            problem(
                p.span(),
                format!(
                    "feeds.proxy: '{}' is not an http, https, socks5 or socks5h URL",
                    hide_password(p.get_ref())
                ),
            );
            None
        });
        if let Some(url) = url {
            feeds.push(FeedConfig {
                name,
                url,
                interval,
                tags: f.tags.clone(),
                proxy,
            });
        }
    }
    feeds
}

/// A feed's URL, if it is an http or https one.
fn feed_url(f: &RawFeed, problem: &mut Report) -> Option<Url> {
    match Url::parse(f.url.get_ref().trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
        Ok(u) => {
            problem(
                f.url.span(),
                format!(
                    "feeds.url: '{}' is not http or https ({})",
                    f.url.get_ref(),
                    u.scheme()
                ),
            );
            None
        }
        Err(e) => {
            problem(
                f.url.span(),
                format!("feeds.url: '{}' is not a URL: {e}", f.url.get_ref()),
            );
            None
        }
    }
}

/// A feed name must work as a word on the command line and in logs:
/// letters, digits, `-`, `_` and `.`, not opening with `-` or `.`.
pub fn feed_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("must not be empty".into());
    }
    if name.starts_with(['-', '.']) {
        return Some(format!("'{name}' must not start with '-' or '.'"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!(
            "'{name}' is not usable as a name: {c:?} (use letters, digits, '-', '_' or '.')"
        ));
    }
    None
}

/// What the feeds' list must not hold: two feeds polling one URL, and
/// feeds at private addresses while those are refused (every poll would
/// fail; `check` says so before the first one).
pub(super) fn check_feeds(raw: &Raw, fetch: &FetchConfig, problem: &mut Report) {
    let mut urls: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for f in &raw.feeds {
        let Ok(url) = Url::parse(f.url.get_ref().trim()) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        let name = f.name.get_ref().trim();
        if let Some(other) = urls.insert(url.to_string(), name.to_string()) {
            problem(
                f.url.span(),
                format!("feeds.url: '{url}' is polled by feed '{other}' already"),
            );
        }
        if !fetch.allow_private_networks {
            let private = match url.host() {
                Some(url::Host::Ipv4(ip)) => crate::fetch::address::is_private(ip.into()),
                Some(url::Host::Ipv6(ip)) => crate::fetch::address::is_private(ip.into()),
                Some(url::Host::Domain(d)) => {
                    let d = d.trim_end_matches('.').to_ascii_lowercase();
                    d == "localhost" || d.ends_with(".localhost")
                }
                None => false,
            };
            if private {
                problem(
                    f.url.span(),
                    format!("feeds.url: '{url}' is a private address, and fetch.allow_private_networks is false"),
                );
            }
        }
    }
}
