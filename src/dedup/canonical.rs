//! Article URLs and their identity: the canonical form (tracking
//! parameters and edition prefixes dropped, aggregator redirects
//! unwrapped), the page's own canonical claim when it is trustworthy, the
//! address a reader follows, and the outlet a URL belongs to. Pure; must
//! not fetch or resolve anything; see ARCHITECTURE.md, "Codemap"
//! (`dedup`).

use url::Url;

/// Query parameters that only track the reader or the campaign.
fn is_tracking_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || n.starts_with("at_")
        || n.starts_with("pk_")
        || n.starts_with("mtm_")
        || matches!(
            n.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "gbraid"
                | "wbraid"
                | "msclkid"
                | "mc_cid"
                | "mc_eid"
                | "igshid"
                | "yclid"
                | "_ga"
                | "_gl"
                | "ref"
                | "ref_src"
                | "ref_url"
                | "cmpid"
                | "cmp"
                | "ocid"
                | "smid"
                | "smtyp"
                | "rss"
                | "partner"
                | "s_cid"
                | "wt.mc_id"
                | "wt_mc"
                | "ito"
                | "xtor"
                | "sr_share"
                | "share"
                | "spm"
                | "__twitter_impression"
                | "guccounter"
                | "guce_referrer"
                | "guce_referrer_sig"
                | "outputtype"
        )
}

/// Hosts whose links only redirect to another URL given in a parameter.
fn redirect_target(u: &Url) -> Option<String> {
    let host = u.host_str()?.to_ascii_lowercase();
    let param = match (host.as_str(), u.path()) {
        ("www.google.com" | "google.com" | "news.google.com", "/url") => &["url", "q"][..],
        ("news.google.com", p)
            if p.starts_with("/rss/articles/") || p.starts_with("/articles/") =>
        {
            return google_news_target(u);
        }
        (
            "l.facebook.com" | "lm.facebook.com" | "www.facebook.com" | "m.facebook.com",
            "/l.php",
        ) => &["u"][..],
        ("out.reddit.com", _) => &["url"][..],
        ("www.bing.com" | "bing.com", "/news/apiclick.aspx") => &["url"][..],
        ("t.umblr.com", "/redirect") => &["z"][..],
        ("slack-redir.net", "/link") => &["url"][..],
        _ => return None,
    };
    u.query_pairs()
        .find(|(k, _)| param.contains(&k.as_ref()))
        .map(|(_, v)| v.into_owned())
}

/// Older Google News article ids are base64url of a record that holds the
/// publisher's URL; newer ones cannot be decoded without asking Google.
fn google_news_target(u: &Url) -> Option<String> {
    let id = u.path_segments()?.next_back()?;
    let bytes = data_encoding::BASE64URL_NOPAD
        .decode(id.trim_end_matches('=').as_bytes())
        .ok()?;
    let start = bytes.windows(4).position(|w| w == b"http")?;
    let end = bytes[start..]
        .iter()
        .position(|&b| !(0x21..0x7f).contains(&b))
        .map_or(bytes.len(), |e| start + e);
    Some(std::str::from_utf8(&bytes[start..end]).ok()?.to_string())
}

/// The publisher's URL inside an aggregator or click-redirector link
/// (news search feeds, social link shorteners), if the link carries one:
/// used before a page is fetched, and by `canonical_url`.
pub fn unwrap_redirect(u: &Url) -> Option<Url> {
    redirect_target(u)
        .and_then(|t| Url::parse(&t).ok())
        .filter(|t| matches!(t.scheme(), "http" | "https"))
}

/// The canonical form of an article URL: aggregator redirect links unwrapped,
/// http(s) folded to https, host lower-cased without `www.`, `m.`, `amp.` or
/// `mobile.`, no fragment, no tracking parameters, remaining parameters in
/// name order, no `/amp` suffix, no trailing slash.
pub fn canonical_url(url: &str) -> Option<String> {
    canonical_depth(url, 0)
}

fn canonical_depth(url: &str, depth: u8) -> Option<String> {
    let mut u = Url::parse(url.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    if depth < 3 {
        if let Some(target) = redirect_target(&u) {
            if let Some(c) = canonical_depth(&target, depth + 1) {
                return Some(c);
            }
        }
    }
    let host = bare_host(u.host_str()?);
    u.set_fragment(None);
    let mut kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| !is_tracking_param(k) && !k.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    // Parameter order carries no meaning for an article page.
    kept.sort();
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    let mut path = u.path().to_string();
    for suffix in ["/amp/", "/amp", ".amp"] {
        if let Some(p) = path.strip_suffix(suffix) {
            path = p.to_string();
        }
    }
    let path = path.trim_end_matches('/');
    let query = u.query().map(|q| format!("?{q}")).unwrap_or_default();
    let port = u
        .port()
        .filter(|&p| p != 80 && p != 443)
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    Some(format!("https://{host}{port}{path}{query}"))
}

/// The canonical URL as a reader follows it. The identity form folds
/// http to https (so both schemes name one article and one file name);
/// for a site that serves plain http only that address does not answer,
/// so when the article was fetched over http from the canonical URL's own
/// host, the http scheme is put back. Other hosts' canonicals stay https:
/// nothing says how they are served.
pub fn served_canonical(canonical: &str, fetched: Option<&str>) -> String {
    let (Ok(c), Some(Ok(f))) = (Url::parse(canonical), fetched.map(Url::parse)) else {
        return canonical.to_string();
    };
    let same_host = c.host_str().map(bare_host) == f.host_str().map(bare_host);
    match canonical.strip_prefix("https://") {
        Some(rest) if f.scheme() == "http" && same_host => format!("http://{rest}"),
        _ => canonical.to_string(),
    }
}

/// The canonical URL of a page fetched from `url` that declares
/// `page_canonical` (its `<link rel="canonical">` or `og:url`, resolved
/// against the page URL). The page's own claim wins when it is a usable
/// http(s) URL on the page's own registrable domain that is not just the
/// site's front page (a common template bug); otherwise the fetched URL is
/// canonicalised. A claim on another domain is not trusted: a page on
/// one site naming another's article as its canonical would take that
/// article's identity, and the genuine article, fetched later, would be
/// dropped as a duplicate of the planted text.
pub fn canonical_url_with(url: &str, page_canonical: Option<&str>) -> Option<String> {
    let claimed = page_canonical.and_then(|c| {
        let base = Url::parse(url.trim()).ok()?;
        let abs = base.join(c.trim()).ok()?;
        if !same_site(base.host_str()?, abs.host_str()?) {
            return None;
        }
        let canon = canonical_url(abs.as_str())?;
        let front = matches!(abs.path(), "" | "/") && abs.query().is_none();
        (!front).then_some(canon)
    });
    claimed.or_else(|| canonical_url(url))
}

/// Whether two hosts belong to one registrable domain, as the Public
/// Suffix List draws them (`news.example.co.uk` and `www.example.co.uk`
/// do; `a.github.io` and `b.github.io` do not). Hosts the list cannot
/// place, IP addresses among them, must be equal.
pub fn same_site(a: &str, b: &str) -> bool {
    let norm = |h: &str| h.trim_end_matches('.').to_ascii_lowercase();
    let (a, b) = (norm(a), norm(b));
    if a == b {
        return true;
    }
    let ip = |h: &str| h.starts_with('[') || h.parse::<std::net::Ipv4Addr>().is_ok();
    if ip(&a) || ip(&b) {
        return false;
    }
    let known = |h: &str| {
        psl::domain(h.as_bytes())
            .filter(|d| d.suffix().is_known())
            .map(|d| d.as_bytes().to_vec())
    };
    matches!((known(&a), known(&b)), (Some(x), Some(y)) if x == y)
}

/// The prefixes that name one site's editions (desktop, mobile, AMP) on
/// hosts of their own.
const EDITION_PREFIXES: [&str; 4] = ["www.", "m.", "amp.", "mobile."];

/// A host lower-cased, one edition prefix (`www.`, `m.`, `amp.`,
/// `mobile.`) removed: the host of a canonical URL.
fn bare_host(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    EDITION_PREFIXES
        .iter()
        .find_map(|p| host.strip_prefix(p).map(str::to_string))
        .unwrap_or(host)
}

/// The outlet an article URL belongs to: its host as its canonical URL
/// has it (lower-cased, `www.`, `m.`, `amp.` or `mobile.` removed), so
/// `www.example.org`, `m.example.org` and `example.org` are one outlet
/// and `news.example.org` another (a desktop and a mobile edition carry
/// one newsroom's text; a subdomain may be another desk with its own
/// template). Aggregator redirect links name the outlet they lead to.
/// Both boilerplate pools and story pickup counts use this: `None` for
/// what is not an http(s) URL with a host.
pub fn outlet(url: &str) -> Option<String> {
    let canonical = canonical_url(url)?;
    Url::parse(&canonical).ok()?.host_str().map(str::to_string)
}
