//! Page bytes → article: headline, body paragraphs and metadata.
//!
//! Pure: no I/O, no clock. Takes the response body, its Content-Type header
//! and the page URL. Must not touch the network, the store or the corpus.
//! The paragraphs come out as single lines of text with whitespace folded;
//! turning them into corpus text is `normalize`'s job.

use chrono::{DateTime, Utc};
use scraper::{ElementRef, Html, Node, Selector};
use serde::Serialize;
use url::Url;

/// The article found in a page.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Article {
    pub title: String,
    pub paragraphs: Vec<String>,
    pub canonical_url: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub author: Option<String>,
    pub language: Option<String>,
    pub site_name: Option<String>,
    /// Which method produced the body, for diagnostics and metrics.
    pub method: &'static str,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExtractError {
    #[error("not an HTML page (content type {0})")]
    NotHtml(String),
    #[error("no article found in the page")]
    NoArticle,
}

/// Extracts the article from one HTML page.
pub fn extract(
    body: &[u8],
    content_type: Option<&str>,
    page_url: &Url,
) -> Result<Article, ExtractError> {
    if let Some(ct) = content_type {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !mime.is_empty()
            && mime != "text/html"
            && mime != "application/xhtml+xml"
            && mime != "text/plain"
        {
            return Err(ExtractError::NotHtml(mime));
        }
    }
    let text = decode(body, content_type);
    let doc = Html::parse_document(&text);
    let meta = |sel: &str| -> Option<String> {
        let s = Selector::parse(sel).ok()?;
        doc.select(&s)
            .filter_map(|e| e.value().attr("content"))
            .map(fold_space)
            .find(|v| !v.is_empty())
    };
    let site_name = meta("meta[property='og:site_name']");
    let title = headline(&doc, site_name.as_deref()).unwrap_or_default();
    let paragraphs = body_paragraphs(&doc, &title);
    if title.is_empty() || paragraphs.is_empty() {
        return Err(ExtractError::NoArticle);
    }
    let canonical_url = Selector::parse("link[rel='canonical']")
        .ok()
        .and_then(|s| doc.select(&s).find_map(|e| e.value().attr("href")))
        .and_then(|h| page_url.join(h.trim()).ok())
        .map(|u| u.to_string());
    let published = meta("meta[property='article:published_time']")
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|d| d.with_timezone(&Utc));
    let language = Selector::parse("html")
        .ok()
        .and_then(|s| doc.select(&s).find_map(|e| e.value().attr("lang")))
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| !l.is_empty());
    Ok(Article {
        title,
        paragraphs,
        canonical_url,
        published,
        author: meta("meta[name='author']"),
        language,
        site_name,
        method: "density",
    })
}

/// Decodes the page: BOM, then the HTTP charset, then `<meta charset>`,
/// else UTF-8.
fn decode(body: &[u8], content_type: Option<&str>) -> String {
    let from_label = |label: &str| {
        encoding_rs::Encoding::for_label(label.trim().trim_matches(['"', '\'']).as_bytes())
    };
    let http = content_type
        .and_then(|ct| {
            ct.split(';')
                .find_map(|p| p.trim().strip_prefix("charset=").map(str::to_string))
        })
        .and_then(|l| from_label(&l));
    let head = String::from_utf8_lossy(&body[..body.len().min(2048)]).to_ascii_lowercase();
    let meta = head.find("charset=").and_then(|i| {
        let rest = head[i + 8..].trim_start_matches(['"', '\'']);
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        from_label(&rest[..end])
    });
    let enc = http.or(meta).unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = enc.decode(body);
    text.into_owned()
}

fn fold_space(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The headline: og:title, else the first `<h1>`, else `<title>`, with a
/// trailing " | Site" or " - Site" removed.
fn headline(doc: &Html, site_name: Option<&str>) -> Option<String> {
    let first = |sel: &str, attr: Option<&str>| -> Option<String> {
        let s = Selector::parse(sel).ok()?;
        doc.select(&s)
            .map(|e| match attr {
                Some(a) => e.value().attr(a).map(fold_space).unwrap_or_default(),
                None => fold_space(&e.text().collect::<String>()),
            })
            .find(|t| !t.is_empty())
    };
    let raw = first("meta[property='og:title']", Some("content"))
        .or_else(|| first("h1", None))
        .or_else(|| first("title", None))?;
    Some(strip_site_suffix(&raw, site_name))
}

fn strip_site_suffix(title: &str, site_name: Option<&str>) -> String {
    for sep in [" | ", " – ", " — ", " - ", " :: "] {
        if let Some(i) = title.rfind(sep) {
            let (head, tail) = (&title[..i], &title[i + sep.len()..]);
            let is_site = site_name.is_some_and(|s| tail.eq_ignore_ascii_case(s))
                || tail.split_whitespace().count() <= 3;
            if is_site && head.split_whitespace().count() >= 3 {
                return head.trim().to_string();
            }
        }
    }
    title.trim().to_string()
}

const SKIP_TAGS: &[&str] = &[
    "script", "style", "noscript", "nav", "header", "footer", "aside", "form", "button", "figure",
    "iframe", "svg", "template",
];
const NOISE: &[&str] = &[
    "share",
    "social",
    "newsletter",
    "subscribe",
    "signup",
    "sign-up",
    "cookie",
    "consent",
    "related",
    "comment",
    "promo",
    "advert",
    "sidebar",
    "breadcrumb",
    "menu",
    "popup",
    "modal",
    "footer",
    "header",
    "nav",
];

fn is_noise(e: &ElementRef) -> bool {
    let el = e.value();
    if SKIP_TAGS.contains(&el.name()) {
        return true;
    }
    let mut attrs = String::new();
    for a in [el.attr("class"), el.attr("id"), el.attr("role")]
        .into_iter()
        .flatten()
    {
        attrs.push_str(&a.to_ascii_lowercase());
        attrs.push(' ');
    }
    NOISE.iter().any(|n| attrs.contains(n))
}

/// Collects text blocks under `root`, skipping boilerplate subtrees.
fn collect_blocks(root: ElementRef, out: &mut Vec<(String, usize)>) {
    for child in root.children() {
        let Some(el) = ElementRef::wrap(child) else {
            continue;
        };
        if is_noise(&el) {
            continue;
        }
        match el.value().name() {
            "p" | "h2" | "h3" | "h4" | "blockquote" | "pre" => {
                let text = fold_space(&el.text().collect::<String>());
                let link_chars: usize = el
                    .descendants()
                    .filter(|n| matches!(n.value(), Node::Element(e) if e.name() == "a"))
                    .filter_map(ElementRef::wrap)
                    .map(|a| a.text().map(str::len).sum::<usize>())
                    .sum();
                if !text.is_empty() {
                    out.push((text, link_chars));
                }
            }
            _ => collect_blocks(el, out),
        }
    }
}

fn body_paragraphs(doc: &Html, title: &str) -> Vec<String> {
    let candidates =
        Selector::parse("article, main, [itemprop='articleBody'], body").expect("static selector");
    let mut body: Option<(usize, Vec<String>)> = None;
    let mut inner: Option<(usize, Vec<String>)> = None;
    for root in doc.select(&candidates) {
        let mut blocks = Vec::new();
        collect_blocks(root, &mut blocks);
        let kept: Vec<String> = blocks
            .into_iter()
            .filter(|(t, links)| *links * 2 < t.len())
            .map(|(t, _)| t)
            .filter(|t| t != title)
            .collect();
        let len: usize = kept.iter().map(String::len).sum();
        let slot = if root.value().name() == "body" {
            &mut body
        } else {
            &mut inner
        };
        if slot.as_ref().is_none_or(|(l, _)| len > *l) {
            *slot = Some((len, kept));
        }
    }
    // The most specific container wins unless the whole body holds much more.
    match (inner, body) {
        (Some((il, i)), Some((bl, b))) => {
            if bl > il * 2 {
                b
            } else {
                i
            }
        }
        (Some((_, i)), None) => i,
        (None, Some((_, b))) => b,
        (None, None) => Vec::new(),
    }
}
