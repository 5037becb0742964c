//! Page metadata: JSON-LD (NewsArticle and kin), OpenGraph, `<meta>` tags,
//! `<link rel=canonical>`, `<html lang>`, and the headline candidates they
//! give (which one becomes the headline is `headline`'s job).
//!
//! Pure: works on a parsed document, no I/O, no clock. Must not look at the
//! body text (that is `content`). Part of `extract` (ARCHITECTURE.md,
//! "Codemap").

use chrono::{DateTime, Utc};
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use url::Url;

use super::fold_space;
use crate::feed::date::parse_page_date as parse_date;

/// What the page says about itself, before the body is looked at.
#[derive(Debug, Default, Clone)]
pub struct PageMeta {
    pub og_title: Option<String>,
    pub twitter_title: Option<String>,
    pub ld_headline: Option<String>,
    pub html_title: Option<String>,
    pub h1s: Vec<String>,
    /// The `<h1>`s set as a title line and a subtitle line (see
    /// [`two_lines`]), each as its two lines.
    pub two_line_h1s: Vec<[String; 2]>,
    /// The texts of the page's `<h2>` and `<h3>` headings, in order (the
    /// first [`HEADINGS_MAX`]).
    pub headings: Vec<String>,
    pub site_name: Option<String>,
    pub canonical_url: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub author: Option<String>,
    pub language: Option<String>,
    pub ld_body: Option<String>,
    /// JSON-LD `isAccessibleForFree: false`.
    pub paywalled: bool,
    pub og_type: Option<String>,
}

/// JSON-LD is walked to this depth at most, so a hostile nesting cannot
/// blow the stack.
const LD_MAX_DEPTH: usize = 24;

/// Sub-headings kept for the headline's checks: the article's title, when it
/// is not the `<h1>`, sits near the top of the page.
const HEADINGS_MAX: usize = 64;

pub fn read(doc: &Html, page_url: &Url) -> PageMeta {
    let mut m = PageMeta::default();
    let metas = Selector::parse("meta").expect("static selector");
    let mut metamap: Vec<(String, String)> = Vec::new();
    for e in doc.select(&metas) {
        let v = e.value();
        let key = v
            .attr("property")
            .or_else(|| v.attr("name"))
            .or_else(|| v.attr("itemprop"));
        if let (Some(k), Some(c)) = (key, v.attr("content")) {
            let c = unescape(&fold_space(c));
            if !c.is_empty() {
                metamap.push((k.trim().to_ascii_lowercase(), c));
            }
        }
    }
    let get = |k: &str| {
        metamap
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    m.og_title = get("og:title");
    m.twitter_title = get("twitter:title");
    m.og_type = get("og:type");
    m.site_name = get("og:site_name").or_else(|| get("application-name"));
    m.author = get("author")
        .or_else(|| get("article:author"))
        .or_else(|| get("parsely-author"))
        .or_else(|| get("sailthru.author"));
    m.author = m.author.filter(|a| !a.starts_with("http"));
    m.published = [
        "article:published_time",
        "datepublished",
        "og:published_time",
        "pubdate",
        "publishdate",
        "date",
        "dc.date",
        "dcterms.created",
    ]
    .iter()
    .find_map(|k| get(k).and_then(|d| parse_date(&d)));

    let title_sel = Selector::parse("title").expect("static selector");
    m.html_title = doc.select(&title_sel).map(text_of).find(|t| !t.is_empty());
    let h1 = Selector::parse("h1").expect("static selector");
    for e in doc.select(&h1) {
        let t = text_of(e);
        if t.is_empty() {
            continue;
        }
        if let Some(lines) = two_lines(e) {
            m.two_line_h1s.push(lines);
        }
        m.h1s.push(t);
        if m.h1s.len() >= 8 {
            break;
        }
    }
    let sub = Selector::parse("h2, h3").expect("static selector");
    m.headings = doc
        .select(&sub)
        .map(text_of)
        .filter(|t| !t.is_empty())
        .take(HEADINGS_MAX)
        .collect();

    let canon = Selector::parse("link[rel]").expect("static selector");
    m.canonical_url = doc
        .select(&canon)
        .filter(|e| {
            e.value().attr("rel").is_some_and(|r| {
                r.split_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("canonical"))
            })
        })
        .find_map(|e| e.value().attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.to_string())
        .or_else(|| {
            get("og:url")
                .and_then(|h| page_url.join(&h).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(|u| u.to_string())
        });

    let ld = Selector::parse("script[type]").expect("static selector");
    for s in doc.select(&ld) {
        if !s
            .value()
            .attr("type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"))
        {
            continue;
        }
        let raw: String = s.text().collect();
        if let Ok(v) = serde_json::from_str::<Value>(raw.trim()) {
            visit_ld(&v, &mut m, 0);
        }
    }
    if m.site_name.is_none() {
        m.site_name = None;
    }

    let html = Selector::parse("html").expect("static selector");
    m.language = doc
        .select(&html)
        .find_map(|e| {
            e.value()
                .attr("lang")
                .or_else(|| e.value().attr("xml:lang"))
        })
        .or_else(|| {
            metamap
                .iter()
                .find(|(k, _)| k == "og:locale" || k == "content-language" || k == "language")
                .map(|(_, v)| v.as_str())
        })
        .and_then(normalize_lang)
        .or(m.language.take());
    m
}

/// Inline elements that style words inside a line rather than start a new one.
const PHRASING: &[&str] = &[
    "a", "abbr", "b", "cite", "code", "em", "i", "mark", "q", "s", "sub", "sup", "time", "u",
];

/// An `<h1>` whose direct content is two lines of three words or more: text
/// then a `<br>` then text, or two sibling elements ("<span>Title</span>
/// <span>Subtitle</span>"), as themes set a headline over its subtitle.
/// Returns the two lines, or `None` for anything else (one line, three or
/// more parts, a short label part). Reads only the heading's direct children.
fn two_lines(h1: ElementRef) -> Option<[String; 2]> {
    let mut lines: Vec<String> = vec![String::new()];
    // Whether the current line may take more text: a block-like child fills
    // a line of its own.
    let mut open = true;
    for child in h1.children() {
        if let Some(t) = child.value().as_text() {
            if t.trim().is_empty() {
                continue;
            }
            if !open {
                lines.push(String::new());
                open = true;
            }
            lines.last_mut()?.push_str(t);
        } else if let Some(e) = ElementRef::wrap(child) {
            let name = e.value().name();
            if name == "br" {
                lines.push(String::new());
                open = true;
                continue;
            }
            let text: String = e.text().collect();
            if text.trim().is_empty() {
                continue;
            }
            if PHRASING.contains(&name) && open {
                lines.last_mut()?.push_str(&text);
                continue;
            }
            if !lines.last()?.trim().is_empty() {
                lines.push(String::new());
            }
            lines.last_mut()?.push_str(&text);
            open = false;
        }
        if lines.len() > 3 {
            return None;
        }
    }
    let lines: Vec<String> = lines
        .iter()
        .map(|l| fold_space(l))
        .filter(|l| !l.is_empty())
        .collect();
    match lines.as_slice() {
        [a, b] if a.split_whitespace().count() >= 3 && b.split_whitespace().count() >= 3 => {
            Some([a.clone(), b.clone()])
        }
        _ => None,
    }
}

/// "en-US" → "en", "pt_BR" → "pt": the corpus records the language, not the region.
pub fn normalize_lang(l: &str) -> Option<String> {
    let primary = l.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    (primary.len() >= 2 && primary.len() <= 3 && primary.chars().all(|c| c.is_ascii_alphabetic()))
        .then_some(primary)
}

fn is_article_type(v: &Value) -> bool {
    let check = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.contains("article")
            || s.contains("posting")
            || s == "report"
            || s == "newsarticle"
            || s == "analysisnewsarticle"
    };
    match v.get("@type") {
        Some(Value::String(s)) => check(s),
        Some(Value::Array(a)) => a.iter().any(|t| t.as_str().is_some_and(check)),
        _ => false,
    }
}

fn visit_ld(v: &Value, m: &mut PageMeta, depth: usize) {
    if depth > LD_MAX_DEPTH {
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| visit_ld(i, m, depth + 1)),
        Value::Object(o) => {
            if is_article_type(v) {
                let s = |k: &str| {
                    o.get(k)
                        .and_then(Value::as_str)
                        .map(|v| unescape(&fold_space(v)))
                        .filter(|s| !s.is_empty())
                };
                if m.ld_headline.is_none() {
                    m.ld_headline = s("headline").or_else(|| s("name"));
                }
                if m.published.is_none() {
                    m.published = s("datePublished").and_then(|d| parse_date(&d));
                }
                if m.author.is_none() {
                    m.author = o.get("author").and_then(|a| names(a, depth));
                }
                if m.site_name.is_none() {
                    m.site_name = o
                        .get("publisher")
                        .and_then(|p| p.get("name"))
                        .and_then(Value::as_str)
                        .map(fold_space);
                }
                if m.language.is_none() {
                    m.language = s("inLanguage").and_then(|l| normalize_lang(&l));
                }
                if m.ld_body.is_none() {
                    m.ld_body = o
                        .get("articleBody")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                }
                if o.get("isAccessibleForFree").is_some_and(|f| {
                    f == &Value::Bool(false)
                        || f.as_str().is_some_and(|s| s.eq_ignore_ascii_case("false"))
                }) {
                    m.paywalled = true;
                }
            }
            if let Some(g) = o.get("@graph") {
                visit_ld(g, m, depth + 1);
            }
            if let Some(main) = o.get("mainEntity") {
                visit_ld(main, m, depth + 1);
            }
        }
        _ => {}
    }
}

fn names(a: &Value, depth: usize) -> Option<String> {
    if depth > LD_MAX_DEPTH {
        return None;
    }
    match a {
        Value::String(s) => Some(fold_space(s)).filter(|s| !s.is_empty() && !s.starts_with("http")),
        Value::Object(o) => o
            .get("name")
            .and_then(Value::as_str)
            .map(fold_space)
            .filter(|s| !s.is_empty()),
        Value::Array(items) => {
            let all: Vec<String> = items.iter().filter_map(|i| names(i, depth + 1)).collect();
            (!all.is_empty()).then(|| all.join(", "))
        }
        _ => None,
    }
}

/// Decodes character references left in attribute values that were escaped
/// twice by the publisher ("&amp;#8217;" arrives as "&#8217;").
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let frag = Html::parse_fragment(s);
    fold_space(&frag.root_element().text().collect::<String>())
}

fn text_of(e: ElementRef) -> String {
    fold_space(&e.text().collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_wild_parse() {
        for d in [
            "2025-03-01T10:00:00Z",
            "2025-03-01T10:00:00+0000",
            "2025-03-01 10:00:00",
            "2025-03-01",
        ] {
            assert!(parse_date(d).is_some(), "{d}");
        }
        assert!(parse_date("yesterday").is_none());
    }
}
