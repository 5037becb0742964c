//! Feed discovery: the feeds a web page announces with
//! `<link rel="alternate" type="application/rss+xml" href="…">` (RSS,
//! Atom, RDF and JSON Feed types).
//!
//! Pure: HTML text in, absolute URLs out; fetching and checking the
//! candidates is the caller's (`tidings feeds add`).

use scraper::{Html, Selector};
use url::Url;

/// A feed a page links to.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovered {
    pub url: Url,
    /// The link's MIME type, lower-cased.
    pub kind: String,
    /// The link's title attribute, if any.
    pub title: Option<String>,
}

/// The MIME types of feeds; `application/json` is what JSON Feed used
/// before it had its own.
const FEED_TYPES: [&str; 5] = [
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
];

/// The feeds `html` announces, in document order, each once, resolved
/// against the page's `<base href>` or else `page_url`. Comment feeds
/// (usually one per article) come after the site's own.
pub fn discover(html: &str, page_url: &Url) -> Vec<Discovered> {
    let doc = Html::parse_document(html);
    let (Ok(links), Ok(base_sel)) = (Selector::parse("link[href]"), Selector::parse("base[href]"))
    else {
        return Vec::new();
    };
    let base = doc
        .select(&base_sel)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut found: Vec<Discovered> = Vec::new();
    for link in doc.select(&links) {
        let el = link.value();
        let alternate = el.attr("rel").is_some_and(|r| {
            r.split_ascii_whitespace()
                .any(|t| t.eq_ignore_ascii_case("alternate"))
        });
        let kind = el
            .attr("type")
            .map(|t| {
                t.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        if !alternate || !FEED_TYPES.contains(&kind.as_str()) {
            continue;
        }
        let Some(url) = el.attr("href").and_then(|h| base.join(h.trim()).ok()) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") || found.iter().any(|d| d.url == url) {
            continue;
        }
        let title = el
            .attr("title")
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| !t.is_empty());
        found.push(Discovered { url, kind, title });
    }
    // Stable: the site's feeds keep their order, comment feeds go last.
    found.sort_by_key(is_comments);
    found
}

fn is_comments(d: &Discovered) -> bool {
    let t = d.title.as_deref().unwrap_or("").to_lowercase();
    t.contains("comment") || d.url.path().to_lowercase().contains("comments")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(html: &str, page: &str) -> Vec<String> {
        discover(html, &Url::parse(page).unwrap())
            .into_iter()
            .map(|d| d.url.to_string())
            .collect()
    }

    #[test]
    fn finds_each_feed_type_resolved_in_order() {
        let html = r#"<html><head>
            <link rel="stylesheet" href="/s.css">
            <link rel="alternate" type="application/rss+xml" title="News" href="/feed.xml">
            <link rel="alternate" type="application/atom+xml" href="atom.xml">
            <link rel="alternate" type="application/feed+json" href="https://cdn.example.org/feed.json">
            <link rel="alternate" hreflang="ru" href="/ru/">
            <link rel="alternate" type="text/html" href="/amp">
            </head><body></body></html>"#;
        assert_eq!(
            urls(html, "https://example.org/news/story"),
            [
                "https://example.org/feed.xml",
                "https://example.org/news/atom.xml",
                "https://cdn.example.org/feed.json"
            ]
        );
        let d = discover(html, &Url::parse("https://example.org/").unwrap());
        assert_eq!(d[0].title.as_deref(), Some("News"));
        assert_eq!(d[1].kind, "application/atom+xml");
    }

    #[test]
    fn tolerates_what_pages_do() {
        // Upper case, extra rel tokens, parameters on the type, a <base>,
        // the same feed twice, a comments feed first, a javascript: href.
        let html = r#"<HEAD><BASE HREF="https://example.org/site/">
            <LINK REL="Alternate Feed" TYPE="application/RSS+XML; charset=utf-8" title="Comments" HREF="comments/feed">
            <link rel="alternate" type="application/rss+xml" href="feed">
            <link rel="alternate" type="application/rss+xml" href="./feed">
            <link rel="alternate" type="application/rss+xml" href="javascript:void(0)">
            </HEAD>"#;
        assert_eq!(
            urls(html, "https://example.org/a"),
            [
                "https://example.org/site/feed",
                "https://example.org/site/comments/feed"
            ]
        );
    }

    #[test]
    fn a_page_without_feeds_finds_none() {
        assert!(urls("<p>hello</p>", "https://example.org/").is_empty());
        assert!(urls("", "https://example.org/").is_empty());
        assert!(urls(
            r#"<link rel="alternate" type="application/rss+xml">"#,
            "https://example.org/"
        )
        .is_empty());
    }
}
