//! Feed bytes → entries: RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed, as
//! they are found in the wild.
//!
//! Pure: no I/O, no clock. Takes the body, the charset the HTTP header
//! claimed (if any) and the feed URL (for relative links), and returns the
//! entries with stable identity keys. Must not touch the network, the store
//! or the corpus.
//!
//! The stages, each in its own submodule:
//! 1. [`decode`]: bytes → UTF-8 (BOM, valid UTF-8, HTTP charset, XML
//!    declaration, then a guess).
//! 2. [`repair`]: broken XML → well-formed XML (roots, namespaces, entities,
//!    stray markup, truncation).
//! 3. feed-rs on the repaired text, with our [`date`] parser.
//! 4. [`salvage`]: entry-by-entry recovery when feed-rs fails or drops
//!    entries that are plainly there; [`json`] does the same for JSON Feed.
//!
//! A well-formed UTF-8 feed takes a fast path: feed-rs on the bytes as they
//! are, checked against a count of the item tags in the body; only a feed
//! that fails that check pays for repair and salvage.
//!
//! Every call into feed-rs runs under `catch_unwind` with a fresh parser, so
//! a panic inside it, or state left by an earlier failed document, never
//! takes anything else down.

pub mod date;
pub mod decode;
pub mod discover;
pub mod json;
pub mod repair;
pub mod salvage;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use salvage::{RawEntry, RawFeed};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use url::Url;

/// What tidings sees in one feed document.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Feed {
    pub title: Option<String>,
    /// The feed's own polling hint (`<ttl>` or `sy:updatePeriod`), seconds.
    pub ttl_seconds: Option<u64>,
    pub entries: Vec<Entry>,
}

/// One feed entry, links resolved to absolute URLs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Entry {
    /// Stable identity within the feed: the GUID (disambiguated when several
    /// entries share one), else the link, else a hash of title and content.
    pub key: String,
    pub guid: Option<String>,
    pub link: Option<String>,
    pub title: Option<String>,
    /// `None`: the feed gave no readable date; the pipeline substitutes the
    /// time it first saw the entry.
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub authors: Vec<String>,
    /// Short description as given (HTML or text).
    pub summary: Option<String>,
    /// Full content as given (HTML or text), when the feed carries it.
    pub content: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FeedError {
    /// The document is not a feed; the text says what it is instead, e.g.
    /// `empty body`, `HTML page`, `JSON without an items list`.
    #[error("not a feed: {0}")]
    NotAFeed(String),
    /// Declared entities would expand the document past the size limit.
    #[error("declared entities expand the feed past the {limit}-byte limit")]
    TooLarge { limit: usize },
}

/// The limit [`parse`] puts on a document's size after entity expansion:
/// the default `max_feed_size`.
pub const DEFAULT_MAX_BYTES: usize = 10 << 20;

/// Parses one feed document. Never panics.
pub fn parse(body: &[u8], http_charset: Option<&str>, feed_url: &Url) -> Result<Feed, FeedError> {
    parse_capped(body, http_charset, feed_url, DEFAULT_MAX_BYTES)
}

/// Parses one feed document whose text, once its declared entities are
/// expanded, may be at most `max_bytes` long (the cap the body was fetched
/// under, so expansion cannot get round it). Never panics.
pub fn parse_capped(
    body: &[u8],
    http_charset: Option<&str>,
    feed_url: &Url,
    max_bytes: usize,
) -> Result<Feed, FeedError> {
    // Our own code is written not to panic; this is the last line of defence
    // so that one hostile document can never take the daemon down.
    match catch_unwind(AssertUnwindSafe(|| {
        parse_inner(body, http_charset, feed_url, max_bytes)
    })) {
        Ok(r) => r,
        Err(_) => Err(FeedError::NotAFeed(
            "unreadable document (parser failure)".into(),
        )),
    }
}

fn parse_inner(
    body: &[u8],
    http_charset: Option<&str>,
    feed_url: &Url,
    max_bytes: usize,
) -> Result<Feed, FeedError> {
    if let Some(feed) = fast_path(body, feed_url) {
        return Ok(feed);
    }
    let (text, _) = decode::decode(body, http_charset);
    let trimmed =
        text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}' || c == '\0');
    if trimmed.is_empty() {
        return Err(not_a_feed("empty body"));
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        // feed-rs only for an object: given `[…<?xml…`, it parses the XML
        // after the bracket and quick-xml panics on the late declaration.
        let model = trimmed
            .starts_with('{')
            .then(|| strict(trimmed.as_bytes(), feed_url))
            .flatten();
        if let Some(model) = model {
            return Ok(finish(from_model(model, feed_url, None)));
        }
        let raw = json::read(trimmed).map_err(not_a_feed)?;
        return Ok(finish(from_raw(raw, feed_url)));
    }
    let rep = match repair::repair(trimmed, max_bytes) {
        Ok(rep) => rep,
        Err(repair::Unrepairable::NoRoot) => return Err(not_a_feed(what_is_it(trimmed))),
        Err(repair::Unrepairable::TooLarge { limit }) => return Err(FeedError::TooLarge { limit }),
    };
    let raw = from_raw(salvage::salvage(&rep.xml, feed_url), feed_url);
    if let Some(model) = strict(rep.xml.as_bytes(), feed_url) {
        if model.entries.len() >= raw.entries.len() {
            let mut feed = from_model(model, feed_url, Some(&rep.xml));
            if feed.entries.len() == raw.entries.len() {
                merge(&mut feed, raw);
            }
            return Ok(finish(feed));
        }
    }
    Ok(finish(raw))
}

/// Fills what feed-rs left empty from what salvage read, entry by entry (both
/// list entries in document order): dates in elements feed-rs does not know
/// (`<pubdate>`), links it ignores (`atom:link` in RSS), permalink GUIDs.
fn merge(feed: &mut Feed, raw: Feed) {
    feed.title = feed.title.take().or(raw.title);
    feed.ttl_seconds = feed.ttl_seconds.or(raw.ttl_seconds);
    for (e, r) in feed.entries.iter_mut().zip(raw.entries) {
        e.guid = e.guid.take().or(r.guid);
        e.link = e.link.take().or(r.link);
        e.title = e.title.take().or(r.title);
        e.published = e.published.or(r.published);
        e.updated = e.updated.or(r.updated);
        e.summary = e.summary.take().or(r.summary);
        e.content = e.content.take().or(r.content);
        if e.authors.is_empty() {
            e.authors = r.authors;
        }
    }
}

fn not_a_feed(why: &str) -> FeedError {
    FeedError::NotAFeed(why.to_string())
}

/// A name for a document without a feed root.
fn what_is_it(text: &str) -> &'static str {
    let head: String = text
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.contains("<html") || head.contains("<!doctype html") || head.contains("<body") {
        "HTML page"
    } else if head.starts_with('<') {
        "XML without an RSS, Atom or RDF root element"
    } else {
        "neither XML nor JSON"
    }
}

/// Well-formed UTF-8 feeds: feed-rs on the bytes as they are, accepted only
/// when it finds at least as many entries as the body has item tags.
fn fast_path(body: &[u8], feed_url: &Url) -> Option<Feed> {
    let text = std::str::from_utf8(body).ok()?;
    let t = text.trim_start_matches([' ', '\t', '\r', '\n']);
    if t.starts_with('{') {
        return Some(finish(from_model(
            strict(t.as_bytes(), feed_url)?,
            feed_url,
            None,
        )));
    }
    if !t.starts_with("<?xml") && !t.starts_with("<rss") && !t.starts_with("<feed") {
        return None;
    }
    // feed-rs decodes by the declaration; only a UTF-8 one is safe here.
    if let Some(enc) = decode::xml_declared_encoding(t.as_bytes()) {
        if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
            return None;
        }
    }
    // An XML declaration anywhere but at the start makes quick-xml panic
    // (contained, but noisy): such documents go through repair instead.
    if memchr::memmem::find(t.as_bytes().get(1..).unwrap_or_default(), b"<?xml").is_some() {
        return None;
    }
    if has_foreign_entities(t.as_bytes()) {
        // The strict reader passes `&eacute;` through as text.
        return None;
    }
    let model = strict(t.as_bytes(), feed_url)?;
    if model.entries.len() < count_item_tags(t.as_bytes()) {
        return None;
    }
    let feed = from_model(model, feed_url, Some(t));
    // An entry without a link, a date or any text may have them in a form
    // feed-rs does not read (`<pubdate>`, `atom:link` in RSS, raw HTML in a
    // description); the slow path asks salvage too.
    if feed.entries.iter().any(|e| {
        e.link.is_none() || e.published.is_none() || (e.summary.is_none() && e.content.is_none())
    }) {
        return None;
    }
    Some(finish(feed))
}

/// An `&` that does not start one of XML's five entities or a character
/// reference.
fn has_foreign_entities(b: &[u8]) -> bool {
    memchr::memchr_iter(b'&', b).any(|at| {
        let rest = &b[at + 1..];
        !(rest.starts_with(b"amp;")
            || rest.starts_with(b"lt;")
            || rest.starts_with(b"gt;")
            || rest.starts_with(b"quot;")
            || rest.starts_with(b"apos;")
            || rest.starts_with(b"#"))
    })
}

/// Item and entry start tags in the body: what a reader plainly sees.
fn count_item_tags(b: &[u8]) -> usize {
    let mut n = 0;
    for pat in [&b"<item"[..], &b"<entry"[..]] {
        for at in memchr::memmem::find_iter(b, pat) {
            if matches!(
                b.get(at + pat.len()),
                Some(b'>' | b' ' | b'\t' | b'\r' | b'\n' | b'/')
            ) {
                n += 1;
            }
        }
    }
    n
}

/// feed-rs with a fresh parser, our date reader, no invented ids (keys are
/// ours), and any panic contained.
fn strict(bytes: &[u8], feed_url: &Url) -> Option<feed_rs::model::Feed> {
    // feed-rs gets the base URI only when the document has an xml:base to
    // resolve against it: otherwise the links it leaves relative are joined
    // to the feed URL by `absolute`, the same result, and handing feed-rs
    // the base cost up to a third of its parse time (RSS 1.0).
    let base = memchr::memmem::find(bytes, b"xml:base").map(|_| feed_url.as_str());
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base)
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(date::parse_date)
        .sanitize_content(false)
        .build();
    catch_unwind(AssertUnwindSafe(|| parser.parse(bytes)))
        .ok()?
        .ok()
}

fn from_model(m: feed_rs::model::Feed, feed_url: &Url, text: Option<&str>) -> Feed {
    let entries = m
        .entries
        .into_iter()
        .map(|e| {
            let link = e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or_else(|| {
                    e.links
                        .iter()
                        .find(|l| !matches!(l.rel.as_deref(), Some("enclosure" | "self")))
                })
                .or(e.links.first())
                .and_then(|l| absolute(feed_url, &l.href));
            let guid = clean_line(&e.id);
            let mut authors: Vec<String> = Vec::new();
            for p in &e.authors {
                if let Some(n) = p
                    .name
                    .as_deref()
                    .or(p.email.as_deref())
                    .and_then(clean_line)
                {
                    if !authors.contains(&n) {
                        authors.push(n);
                    }
                }
            }
            Entry {
                key: String::new(),
                guid,
                link,
                title: e.title.as_ref().and_then(|t| {
                    // Atom `type="html"` titles carry markup; a title is text.
                    if t.content_type.to_string().starts_with("text/html") {
                        clean_line(&html_to_text(&t.content))
                    } else {
                        clean_line(&t.content)
                    }
                }),
                published: e.published.or(e.updated),
                updated: e.updated,
                authors,
                summary: e.summary.and_then(|t| clean_block(t.content)),
                content: e.content.and_then(|c| c.body).and_then(clean_block),
            }
        })
        .collect();
    let ttl = m
        .ttl
        .map(|min| u64::from(min) * 60)
        .or_else(|| text.and_then(syndication_hint));
    Feed {
        title: m.title.as_ref().and_then(|t| clean_line(&t.content)),
        ttl_seconds: ttl,
        entries,
    }
}

fn from_raw(raw: RawFeed, feed_url: &Url) -> Feed {
    let ttl = raw
        .ttl_minutes
        .map(|m| m * 60)
        .or_else(|| period_seconds(raw.update_period.as_deref(), raw.update_frequency));
    let entries = raw
        .entries
        .into_iter()
        .map(|r: RawEntry| {
            let guid = r.guid.as_deref().and_then(clean_line);
            let link = r
                .link
                .as_deref()
                .and_then(|l| absolute(feed_url, l))
                .or_else(|| permalink(guid.as_deref(), r.guid_permalink));
            let updated = r.updated.as_deref().and_then(date::parse_date);
            Entry {
                key: String::new(),
                guid,
                link,
                title: r.title.as_deref().and_then(clean_line),
                published: r
                    .published
                    .as_deref()
                    .and_then(date::parse_date)
                    .or(updated),
                updated,
                authors: r.authors.iter().filter_map(|a| clean_line(a)).collect(),
                summary: r.summary.and_then(clean_block),
                content: r.content.and_then(clean_block),
            }
        })
        .collect();
    Feed {
        title: raw.title.as_deref().and_then(clean_line),
        ttl_seconds: ttl,
        entries,
    }
}

fn finish(mut feed: Feed) -> Feed {
    assign_keys(&mut feed.entries);
    feed
}

/// A GUID that is an absolute web URL stands in for a missing link, unless
/// the feed said `isPermaLink="false"`.
fn permalink(guid: Option<&str>, is_permalink: Option<bool>) -> Option<String> {
    if is_permalink == Some(false) {
        return None;
    }
    let u = Url::parse(guid?).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

fn absolute(feed_url: &Url, href: &str) -> Option<String> {
    let h: String = href.chars().filter(|c| !c.is_control()).collect();
    let h = h.trim();
    if h.is_empty() {
        return None;
    }
    feed_url.join(h).ok().map(|u| u.to_string())
}

/// One line of text: control characters dropped, whitespace runs collapsed.
fn clean_line(s: &str) -> Option<String> {
    let fixed = decode::fix_double_encoding(s);
    let out = fixed
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!out.is_empty()).then_some(out)
}

/// A block of text or HTML: trimmed, control characters other than line
/// breaks and tabs dropped. Takes the string by value: the common clean case
/// costs one byte scan and no copy.
fn clean_block(s: String) -> Option<String> {
    let s = match decode::fix_double_encoding(&s) {
        std::borrow::Cow::Borrowed(_) => s,
        std::borrow::Cow::Owned(fixed) => fixed,
    };
    let b = s.as_bytes();
    // C0 controls, and C1 controls (U+0080–U+009F are C2 80–C2 9F in UTF-8).
    // A branch-free pass first (it vectorises); the exact check only when a
    // suspect byte turns up.
    let suspect = b.chunks(4096).any(|ch| {
        ch.iter().fold(false, |a, &c| {
            a | ((c < 0x20) & (c != b'\n') & (c != b'\r') & (c != b'\t'))
                | (c == 0x7F)
                | (c == 0xC2)
        })
    });
    let dirty = suspect
        && b.iter().enumerate().any(|(i, &c)| {
            (c < 0x20 && !matches!(c, b'\n' | b'\r' | b'\t'))
                || c == 0x7F
                || (c == 0xC2 && b.get(i + 1).is_some_and(|&n| (0x80..0xA0).contains(&n)))
        });
    let s = if dirty {
        s.chars()
            .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
            .collect()
    } else {
        s
    };
    let t = s.trim();
    if t.is_empty() {
        None
    } else if t.len() == s.len() {
        Some(s)
    } else {
        Some(t.to_string())
    }
}

/// HTML → text: tags dropped, entities decoded. For short fields (titles).
fn html_to_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if in_tag {
            in_tag = c != '>';
        } else if c == '<'
            && rest[1..].starts_with(|n: char| n.is_ascii_alphabetic() || n == '/' || n == '!')
        {
            in_tag = true;
        } else if c == '&' {
            let semi = rest.bytes().take(40).position(|b| b == b';');
            let decoded = semi.and_then(|e| {
                let body = &rest[1..e];
                let text: Option<String> = match body.strip_prefix('#') {
                    Some(n) => match n.strip_prefix(['x', 'X']) {
                        Some(h) => u32::from_str_radix(h, 16).ok(),
                        None => n.parse().ok(),
                    }
                    .and_then(char::from_u32)
                    .map(String::from),
                    None => web_atoms::NAMED_ENTITIES.get(&rest[1..=e]).map(|&(a, b)| {
                        [a, b]
                            .iter()
                            .filter(|&&x| x != 0)
                            .filter_map(|&x| char::from_u32(x))
                            .collect()
                    }),
                };
                text.map(|t| (t, e + 1))
            });
            if let Some((t, len)) = decoded {
                out.push_str(&t);
                rest = &rest[len..];
                continue;
            }
            out.push('&');
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `sy:updatePeriod` / `sy:updateFrequency` in the channel header.
fn syndication_hint(text: &str) -> Option<u64> {
    let head_end = text
        .find("<item")
        .or_else(|| text.find("<entry"))
        .unwrap_or(text.len())
        .min(64 * 1024);
    let head = text.get(..head_end)?;
    let value = |tag: &str| -> Option<String> {
        let at = head.find(tag)?;
        let rest = &head[at + tag.len()..];
        let rest = &rest[rest.find('>')? + 1..];
        Some(rest[..rest.find('<')?].trim().to_ascii_lowercase())
    };
    let period = value("updatePeriod")?;
    period_seconds(
        Some(&period),
        value("updateFrequency").and_then(|f| f.parse().ok()),
    )
}

fn period_seconds(period: Option<&str>, frequency: Option<u64>) -> Option<u64> {
    let secs = match period? {
        "hourly" => 3600,
        "daily" => 86_400,
        "weekly" => 7 * 86_400,
        "monthly" => 30 * 86_400,
        "yearly" => 365 * 86_400,
        _ => return None,
    };
    Some(secs / frequency.filter(|&f| f > 0).unwrap_or(1).min(secs))
}

fn short_hash(parts: &[&str], hex_len: usize) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    let d = h.finalize();
    let mut s = String::with_capacity(hex_len);
    for b in d.iter() {
        s.push_str(&format!("{b:02x}"));
        if s.len() >= hex_len {
            break;
        }
    }
    s.truncate(hex_len);
    s
}

/// Keys: the GUID, else the link, else a hash of headline and content.
///
/// When several entries share a base (the same GUID on every item is common),
/// each gets `BASE#FP`, FP a hash of its own link and headline (or content),
/// so its key depends only on the entry itself and survives new items at the
/// top and old ones falling off the bottom. Entries identical in all of that
/// are told apart by their rank counted from the bottom of the feed, the end
/// that changes least as a feed grows.
fn assign_keys(entries: &mut [Entry]) {
    let bases: Vec<String> = entries
        .iter()
        .map(|e| {
            e.guid
                .clone()
                .or_else(|| e.link.clone())
                .unwrap_or_else(|| {
                    let body = e.content.as_deref().or(e.summary.as_deref()).unwrap_or("");
                    format!(
                        "sha256:{}",
                        short_hash(&[e.title.as_deref().unwrap_or(""), body], 16)
                    )
                })
        })
        .collect();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for b in &bases {
        *count.entry(b.as_str()).or_default() += 1;
    }
    let mut keys: Vec<String> = Vec::with_capacity(entries.len());
    for (e, b) in entries.iter().zip(&bases) {
        if count[b.as_str()] == 1 {
            keys.push(b.clone());
        } else {
            let body = e.content.as_deref().or(e.summary.as_deref()).unwrap_or("");
            let fp = short_hash(
                &[
                    e.link.as_deref().unwrap_or(""),
                    e.title.as_deref().unwrap_or(""),
                    body,
                ],
                10,
            );
            keys.push(format!("{b}#{fp}"));
        }
    }
    // Exact repeats: rank from the bottom.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for k in keys.iter_mut().rev() {
        let n = seen.entry(k.clone()).or_default();
        *n += 1;
        if *n > 1 {
            k.push_str(&format!("~{n}"));
        }
    }
    for (e, k) in entries.iter_mut().zip(keys) {
        e.key = k;
    }
}

/// One line per entry, `KEY<TAB>PUBLISHED<TAB>LINK<TAB>TITLE`, as
/// `tidings feed` prints it; `-` for an absent field, RFC 3339 UTC dates.
pub fn format_tsv(feed: &Feed) -> String {
    let field = |s: Option<&str>| -> String {
        match s {
            Some(s) if !s.is_empty() => s.replace(['\t', '\n', '\r'], " "),
            _ => "-".into(),
        }
    };
    let mut out = String::new();
    for e in &feed.entries {
        let published = e
            .published
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        out.push_str(&field(Some(&e.key)));
        out.push('\t');
        out.push_str(&field(published.as_deref()));
        out.push('\t');
        out.push_str(&field(e.link.as_deref()));
        out.push('\t');
        out.push_str(&field(e.title.as_deref()));
        out.push('\n');
    }
    out
}
