//! Entry-by-entry recovery from repaired XML, for documents the strict
//! parser rejects or reads as empty.
//!
//! Pure: text in, raw entries out. Works on the output of `repair` (well
//! formed, entities reduced to the five XML ones, attributes double-quoted),
//! matching elements by local name in any namespace and any case, so that a
//! wrong or missing namespace loses nothing.

use url::Url;

/// One entry as found, before dates are read and keys assigned.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RawEntry {
    pub guid: Option<String>,
    /// `isPermaLink` on an RSS guid (`None`: attribute absent).
    pub guid_permalink: Option<bool>,
    pub link: Option<String>,
    pub title: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub authors: Vec<String>,
    pub summary: Option<String>,
    pub content: Option<String>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct RawFeed {
    pub title: Option<String>,
    pub ttl_minutes: Option<u64>,
    pub update_period: Option<String>,
    pub update_frequency: Option<u64>,
    pub entries: Vec<RawEntry>,
}

struct Frame {
    local: String,
    base: Option<Url>,
}

/// Field being collected: which element, at what depth, with what text.
struct Field {
    name: String,
    depth: usize,
    text: String,
    /// For `<author><name>…</name></author>`: the name part.
    sub_name: Option<String>,
    in_sub_name: bool,
}

/// Reads every `item`/`entry` element of repaired XML.
pub fn salvage(xml: &str, feed_url: &Url) -> RawFeed {
    let mut feed = RawFeed::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut cur: Option<(RawEntry, usize)> = None;
    let mut field: Option<Field> = None;
    // Candidate links of the current entry: (rel, href); picked at its end.
    let mut links: Vec<(String, String)> = Vec::new();
    let mut chan_field: Option<(String, String, usize)> = None;
    let b = xml.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let lt = match memchr::memchr(b'<', &b[i..]) {
            Some(p) => p + i,
            None => b.len(),
        };
        if lt > i {
            let t = unescape(&xml[i..lt]);
            push_text(&mut field, &mut chan_field, &t);
        }
        if lt >= b.len() {
            break;
        }
        let rest = &xml[lt..];
        if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let end = body.find("]]>").unwrap_or(body.len());
            push_text(&mut field, &mut chan_field, &body[..end]);
            i = lt + 9 + end + 3;
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i = rest.find('>').map_or(b.len(), |e| lt + e + 1);
            continue;
        }
        let Some(gt) = rest.find('>') else { break };
        let tag = &rest[1..gt];
        i = lt + gt + 1;
        if let Some(name) = tag.strip_prefix('/') {
            let loc = local_lower(name.trim());
            // End tag.
            let depth = stack.len();
            if let Some(f) = field.as_ref() {
                if f.depth == depth {
                    if let Some(f) = field.take() {
                        let base = stack.last().and_then(|fr| fr.base.clone());
                        if let Some((e, _)) = cur.as_mut() {
                            store_field(e, f, &mut links, base.as_ref());
                        }
                    }
                } else if f.in_sub_name && loc == "name" {
                    if let Some(f) = field.as_mut() {
                        f.in_sub_name = false;
                    }
                }
            }
            if let Some((name, text, d)) = chan_field.as_ref() {
                if *d == depth {
                    let (name, text) = (name.clone(), text.clone());
                    chan_field = None;
                    store_channel_field(&mut feed, &name, text);
                }
            }
            if let Some((_, d)) = cur.as_ref() {
                if *d == depth {
                    if let Some((mut e, _)) = cur.take() {
                        e.link = pick_link(&links);
                        links.clear();
                        feed.entries.push(e);
                    }
                }
            }
            stack.pop();
            continue;
        }
        // Start or empty tag.
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, attrs) = match tag.find(|c: char| c.is_ascii_whitespace()) {
            Some(p) => (&tag[..p], &tag[p..]),
            None => (tag, ""),
        };
        let loc = local_lower(name);
        let parent_base = stack
            .last()
            .and_then(|f| f.base.clone())
            .or_else(|| Some(feed_url.clone()));
        let base = match attr(attrs, "xml:base") {
            Some(v) => parent_base
                .as_ref()
                .and_then(|p| p.join(v.trim()).ok())
                .or(parent_base),
            None => parent_base,
        };
        stack.push(Frame {
            local: loc.clone(),
            base,
        });
        let depth = stack.len();
        if cur.is_none() && (loc == "item" || loc == "entry") {
            cur = Some((RawEntry::default(), depth));
            links.clear();
            // RSS 1.0's rdf:about names the item's resource: a link of last
            // resort. Not a GUID: feed-rs does not read it as one, and keys
            // must not depend on which path read the feed.
            if let Some(about) = attr(attrs, "rdf:about") {
                let base = stack.last().and_then(|f| f.base.clone());
                links.push(("about".into(), resolve(base.as_ref(), &about)));
            }
        } else if let Some((e, d)) = cur.as_mut() {
            if depth == *d + 1 {
                if loc == "link" {
                    if let Some(href) = attr(attrs, "href") {
                        let rel = attr(attrs, "rel").unwrap_or_default();
                        let base = stack.last().and_then(|f| f.base.clone());
                        links.push((rel.trim().to_string(), resolve(base.as_ref(), &href)));
                    }
                }
                if loc == "guid" {
                    e.guid_permalink =
                        attr(attrs, "isPermaLink").map(|v| !v.trim().eq_ignore_ascii_case("false"));
                }
                if !self_closing {
                    field = Some(Field {
                        name: loc.clone(),
                        depth,
                        text: String::new(),
                        sub_name: None,
                        in_sub_name: false,
                    });
                }
            } else if loc == "name" {
                if let Some(f) = field.as_mut() {
                    if f.name == "author" {
                        f.in_sub_name = true;
                        f.sub_name.get_or_insert_with(String::new);
                    }
                }
            }
        } else if cur.is_none() && !self_closing && is_channel_level(&stack) {
            chan_field = Some((loc.clone(), String::new(), depth));
        }
        if self_closing {
            stack.pop();
        }
    }
    // Entries still open at the end were cut off: `repair` already drops
    // them, so an open one here means the input did not come from it.
    feed
}

/// Direct children of `<channel>` (RSS) or `<feed>` (Atom).
fn is_channel_level(stack: &[Frame]) -> bool {
    let n = stack.len();
    n >= 2 && matches!(stack[n - 2].local.as_str(), "channel" | "feed")
}

fn push_text(field: &mut Option<Field>, chan: &mut Option<(String, String, usize)>, t: &str) {
    if let Some(f) = field.as_mut() {
        if f.text.len() < 8 << 20 {
            f.text.push_str(t);
        }
        if f.in_sub_name {
            if let Some(n) = f.sub_name.as_mut() {
                n.push_str(t);
            }
        }
    } else if let Some((_, text, _)) = chan.as_mut() {
        if text.len() < 4096 {
            text.push_str(t);
        }
    }
}

fn store_field(e: &mut RawEntry, f: Field, links: &mut Vec<(String, String)>, base: Option<&Url>) {
    let text = f.text;
    let nonempty = || Some(text.trim().to_string()).filter(|s| !s.is_empty());
    match f.name.as_str() {
        "title" if e.title.is_none() => e.title = nonempty(),
        "link" => {
            if let Some(t) = nonempty() {
                links.push((String::new(), resolve(base, &t)));
            }
        }
        "guid" | "id" => {
            if let Some(t) = nonempty() {
                e.guid = Some(t);
            }
        }
        "pubdate" | "published" | "issued" | "date" | "created" if e.published.is_none() => {
            e.published = nonempty()
        }
        "updated" | "modified" if e.updated.is_none() => e.updated = nonempty(),
        "description" | "summary" if e.summary.is_none() => e.summary = nonempty(),
        "encoded" | "content" if e.content.is_none() => e.content = nonempty(),
        "author" | "creator" => {
            let name = f
                .sub_name
                .filter(|n| !n.trim().is_empty())
                .or_else(nonempty);
            if let Some(n) = name {
                let n = n.trim().to_string();
                if !e.authors.contains(&n) {
                    e.authors.push(n);
                }
            }
        }
        _ => {}
    }
}

fn store_channel_field(feed: &mut RawFeed, name: &str, text: String) {
    let t = text.trim();
    match name {
        "title" if feed.title.is_none() && !t.is_empty() => feed.title = Some(t.to_string()),
        "ttl" => feed.ttl_minutes = t.parse().ok(),
        "updateperiod" => feed.update_period = Some(t.to_ascii_lowercase()),
        "updatefrequency" => feed.update_frequency = t.parse().ok(),
        _ => {}
    }
}

/// The entry's link: an alternate (or rel-less) link first, then any.
fn pick_link(links: &[(String, String)]) -> Option<String> {
    links
        .iter()
        .find(|(rel, _)| rel.is_empty() || rel == "alternate")
        .or_else(|| {
            links
                .iter()
                .find(|(rel, _)| rel != "enclosure" && rel != "self")
        })
        .or(links.first())
        .map(|(_, h)| h.clone())
}

fn resolve(base: Option<&Url>, href: &str) -> String {
    let h = href.trim();
    base.and_then(|b| b.join(h).ok())
        .map(|u| u.to_string())
        .unwrap_or_else(|| h.to_string())
}

fn local_lower(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase()
}

/// Value of a double-quoted attribute in a repaired tag's attribute text.
fn attr(attrs: &str, name: &str) -> Option<String> {
    let mut rest = attrs;
    while let Some(eq) = rest.find("=\"") {
        let key = rest[..eq].trim();
        let after = &rest[eq + 2..];
        let end = after.find('"')?;
        if key == name {
            return Some(unescape(&after[..end]).into_owned());
        }
        rest = &after[end + 1..];
    }
    None
}

/// Undoes the five XML entities (all `repair` leaves) and numeric references.
pub fn unescape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let semi = tail.bytes().take(12).position(|c| c == b';');
        let rep = semi.and_then(|e| {
            let body = &tail[1..e];
            let c = match body {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => body.strip_prefix('#').and_then(|n| {
                    let v = match n.strip_prefix(['x', 'X']) {
                        Some(h) => u32::from_str_radix(h, 16).ok(),
                        None => n.parse().ok(),
                    };
                    v.and_then(char::from_u32)
                }),
            };
            c.map(|c| (c, e + 1))
        });
        match rep {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_found_in_any_namespace() {
        let x = r#"<rss version="2.0" xmlns="urn:weird"><channel><title>T</title><ttl>30</ttl><item><title>a &amp; b</title><guid isPermaLink="false">g1</guid><pubDate>d</pubDate><x:creator>Ann</x:creator></item><item><title><![CDATA[<b>c</b>]]></title><link> https://e.com/2 </link></item></channel></rss>"#;
        let f = salvage(x, &Url::parse("https://e.com/feed").unwrap());
        assert_eq!(f.title.as_deref(), Some("T"));
        assert_eq!(f.ttl_minutes, Some(30));
        assert_eq!(f.entries.len(), 2);
        assert_eq!(f.entries[0].title.as_deref(), Some("a & b"));
        assert_eq!(f.entries[0].guid_permalink, Some(false));
        assert_eq!(f.entries[0].authors, vec!["Ann".to_string()]);
        assert_eq!(f.entries[1].title.as_deref(), Some("<b>c</b>"));
        assert_eq!(f.entries[1].link.as_deref(), Some("https://e.com/2"));
    }

    #[test]
    fn xml_base_nests() {
        let x = r#"<feed xml:base="https://b.org/blog/"><entry xml:base="sub/"><link rel="alternate" href="1.html"/><author><name>Ann</name><email>a@b</email></author></entry></feed>"#;
        let f = salvage(x, &Url::parse("https://e.com/feed").unwrap());
        assert_eq!(
            f.entries[0].link.as_deref(),
            Some("https://b.org/blog/sub/1.html")
        );
        assert_eq!(f.entries[0].authors, vec!["Ann".to_string()]);
    }
}
