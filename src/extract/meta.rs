//! Page metadata and the headline: JSON-LD (NewsArticle and kin), OpenGraph,
//! `<meta>` tags, `<link rel=canonical>`, `<html lang>`.
//!
//! Pure: works on a parsed document, no I/O, no clock.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use url::Url;

use super::fold_space;

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

/// Dates as pages write them: RFC 3339, ISO without a colon in the offset,
/// without a zone (taken as UTC), or a bare day.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(d.and_utc());
        }
    }
    let day = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

const SEPARATORS: &[&str] = &[
    " | ", " || ", " - ", " – ", " — ", " :: ", " · ", " » ", " • ", " / ", " ~ ",
];

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Removes a site name before or after a separator: "Title | Site",
/// "Title - Site", "Site: Title".
pub fn strip_site(title: &str, site: Option<&str>, host: &str) -> String {
    strip_site_with(title, site, host, true)
}

/// The site's own name in its host: the label before the public suffix
/// ("news" in "news.example.co.uk" is a subdomain, "example" the name).
fn host_name(host: &str) -> String {
    let mut labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    if labels.len() > 1 {
        labels.pop();
    }
    while labels.len() > 1
        && matches!(
            labels.last(),
            Some(&("co" | "com" | "org" | "net" | "ac" | "gov" | "edu" | "or" | "ne"))
        )
    {
        labels.pop();
    }
    norm(labels.last().copied().unwrap_or(""))
}

/// `guess`: also cut short tails after a separator when the site name is
/// unknown (right for `<title>`, too eager for a visible h1).
fn strip_site_with(title: &str, site: Option<&str>, host: &str, guess: bool) -> String {
    let title = title.trim();
    let site_n = site.map(norm).unwrap_or_default();
    let site_words = site.map_or(0, |s| s.split_whitespace().count());
    let host_n = host_name(host);
    // A part that holds the site's name among a few more words ("Example
    // News Blog", "example.com") is the site; one that holds it among many
    // is a headline that mentions the site ("example.com - The five best …").
    let looks_like_site = |part: &str| {
        let n = norm(part);
        let words = part.split_whitespace().count();
        !n.is_empty()
            && ((!site_n.is_empty()
                && (n == site_n
                    || site_n.contains(&n)
                    || n.contains(&site_n) && words <= site_words + 3))
                || (host_n.len() >= 3
                    && (n.contains(&host_n) && words <= 4 || host_n.contains(&n) && n.len() >= 3)))
    };
    // The site side of the separator: try the rightmost split first, then the leftmost.
    for sep in SEPARATORS {
        if let Some(i) = title.rfind(sep) {
            let (head, tail) = (title[..i].trim(), title[i + sep.len()..].trim());
            if looks_like_site(tail) && !head.is_empty() {
                return strip_site_with(head, site, host, guess);
            }
        }
        if let Some(i) = title.find(sep) {
            let (head, tail) = (title[..i].trim(), title[i + sep.len()..].trim());
            if looks_like_site(head) && !tail.is_empty() {
                return strip_site_with(tail, site, host, guess);
            }
        }
    }
    if !guess {
        return title.to_string();
    }
    // Unknown site name: a short last segment after a strong separator is a
    // site, section or brand more often than part of the headline.
    for sep in [" | ", " || ", " :: ", " » "] {
        if let Some(i) = title.rfind(sep) {
            let (head, tail) = (title[..i].trim(), title[i + sep.len()..].trim());
            if tail.split_whitespace().count() <= 4 && head.split_whitespace().count() >= 3 {
                return strip_site(head, site, host);
            }
        }
    }
    cut_dash_tagline(title).unwrap_or(title).to_string()
}

/// A headline of four words or more before a dash and a short capitalised
/// tail: the tail is a tag line ("… - Personally Tested", "… — Strength
/// Training") or the site; returns the headline without it.
fn cut_dash_tagline(t: &str) -> Option<&str> {
    [" - ", " – ", " — "].into_iter().find_map(|sep| {
        let i = t.rfind(sep)?;
        let (head, tail) = (t[..i].trim(), t[i + sep.len()..].trim());
        (tail.split_whitespace().count() <= 3
            && head.split_whitespace().count() >= 4
            && tail.chars().next().is_some_and(char::is_uppercase))
        .then_some(head)
    })
}

/// One `<h1>` of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct H1 {
    pub text: String,
    /// Inside page furniture (a header, a sidebar).
    pub noise: bool,
    /// All of it is link text (site logos link home).
    pub link: bool,
}

/// The headline by its own rules. The visible `<h1>` is what readers see as
/// the headline, so it wins: first one the page's metadata confirms (the
/// metadata title holds its words in a row; see [`confirms`]), else the first
/// one outside page furniture that is not the site's name (blogs put the site
/// name in an `<h1>` in the header). Only without a usable `<h1>`: the JSON-LD
/// headline, then og:title, then `<title>`, each with the site name cut off.
/// `h1s` are the page's `<h1>` texts in order, each with whether it sits in
/// page furniture. The checks against the metadata come after the pick.
pub fn headline(m: &PageMeta, h1s: &[H1], host: &str) -> String {
    let site = m.site_name.as_deref();
    let picked = pick_headline(m, h1s, host);
    let metas: Vec<String> = [&m.ld_headline, &m.og_title, &m.twitter_title, &m.html_title]
        .into_iter()
        .flatten()
        .map(|t| strip_site(t, site, host))
        .filter(|t| !t.is_empty() && site.is_none_or(|s| norm(t) != norm(s)))
        .collect();
    // The echo settles a disagreement; an h1 that a metadata title repeats
    // word for word has no disagreement to settle.
    let confirmed = {
        let p = norm(&picked);
        h1s.iter().any(|h| norm(&h.text) == p) && metas.iter().any(|t| norm(t) == p)
    };
    if let Some(t) = over_subtitle(&picked, &metas, &m.two_line_h1s) {
        return tidy(t, site, host);
    }
    if let Some(shown) = echoed(&picked, &metas, &m.headings).filter(|_| !confirmed) {
        return tidy(shown, site, host);
    }
    tidy(&second_look(&picked, &metas), site, host)
}

/// The distinct words of a title, lower-cased, punctuation dropped.
fn word_set(s: &str) -> HashSet<String> {
    words(s).into_iter().collect()
}

/// The words of a title in order, lower-cased, punctuation dropped.
fn words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(norm)
        .filter(|w| !w.is_empty())
        .collect()
}

/// An `<h1>` set as a title line over a subtitle line reads as one run-on
/// sentence once its lines are joined ("Top MBA Programs of 2025 (US) Your
/// Guide to…"); the publisher's headline is the metadata title, which either
/// writes the two lines with their separator ("Title - Subtitle") or words
/// them anew. The metadata title must share half its words with the h1, and
/// a metadata title that is the joined lines word for word keeps the h1.
fn over_subtitle<'a>(
    picked: &str,
    metas: &'a [String],
    two_line: &[[String; 2]],
) -> Option<&'a String> {
    let p = norm(picked);
    let [a, b] = two_line
        .iter()
        .find(|[a, b]| norm(&format!("{a}{b}")) == p)?;
    let joined = fold_quotes(&format!("{a} {b}"));
    if metas.iter().any(|t| fold_quotes(t) == joined) {
        return None;
    }
    let h = word_set(picked);
    metas.iter().find(|t| {
        let w = word_set(t);
        !w.is_empty() && w.intersection(&h).count() * 2 >= w.len()
    })
}

const ECHO_MIN_WORDS: usize = 5;

/// A metadata title that the page also shows as a sub-heading (`<h2>`,
/// `<h3>`) is declared by the publisher and visible to the reader, which
/// beats a different pick: themes that give the post title an `<h2>` leave
/// the `<h1>` to a section name, a teaser or a heading inside the text, and
/// a metadata headline cut short has its full form on the page. Titles
/// under [`ECHO_MIN_WORDS`] words are left out: short ones ("What is X?")
/// recur as the sections of an explainer and match them by chance.
fn echoed<'a>(picked: &str, metas: &'a [String], headings: &[String]) -> Option<&'a String> {
    let p = norm(picked);
    let shown: std::collections::HashSet<String> = headings.iter().map(|h| norm(h)).collect();
    metas
        .iter()
        .filter(|t| t.split_whitespace().count() >= ECHO_MIN_WORDS)
        .find(|t| {
            let n = norm(t);
            n != p && shown.contains(&n)
        })
}

/// Checks of a visible `<h1>` against the titles in the page's metadata
/// (`metas`, site names cut, in order of trust).
/// - The same words with other quote marks: the metadata keeps the quotes as
///   the publisher typed them, while themes curl them on display
///   (WordPress's texturize), so the typed title wins — unless a metadata
///   title has the h1's curled form too.
/// - An h1 with characters lost to "?" by a broken encoding, or without the
///   list count that the metadata title puts in front, yields to that title.
/// - A short h1 (four words or fewer) that shares under half its words with
///   the metadata title is a section label or a tag line ("Lessons
///   Learned", "Index funds"), not the headline.
/// - An h1 that is the metadata title behind a kicker label ("Blog: …") or a
///   date ("Dec 18 2025 …") carries page furniture glued to the headline.
fn second_look(picked: &str, metas: &[String]) -> String {
    // A metadata title with the h1's curled quotes shows that the curling is
    // the publisher's own, not the theme's: no typed form to prefer.
    let curled_in_meta = metas.iter().any(|t| t == picked);
    if let Some(typed) = metas.iter().find(|t| {
        !curled_in_meta
            && t.as_str() != picked
            && t.contains(['\'', '"'])
            && fold_quotes(t) == fold_quotes(picked)
    }) {
        return typed.clone();
    }
    // Straightened, the h1 still goes through the rules below (a kicker
    // label, a list count, a dateline).
    let straightened = typed_words(picked, metas);
    let picked = straightened.as_deref().unwrap_or(picked);
    // An h1 in capitals that a metadata title spells in mixed case: the
    // capitals are the design's ("TIPS FOR ONLINE SUCCESS"), the casing the
    // publisher's.
    if shouted(picked) {
        if let Some(t) = metas
            .iter()
            .find(|t| !shouted(t) && fold_quotes(t) == fold_quotes(picked))
        {
            return t.clone();
        }
    }
    if let Some(t) = metas.iter().find(|t| lost_to_question_marks(picked, t)) {
        return t.clone();
    }
    // The metadata title is the h1 behind a list count ("8 Recent Trends…"
    // over an h1 "Recent Trends…"): themes show the count apart from the
    // heading, and the count is part of a list article's headline.
    if let Some(t) = metas.iter().find(|t| {
        t.split_once(' ').is_some_and(|(n, rest)| {
            n.len() <= 3
                && n.chars().all(|c| c.is_ascii_digit())
                && fold_quotes(rest) == fold_quotes(picked)
        })
    }) {
        return t.clone();
    }
    for t in metas.iter().filter(|t| t.split_whitespace().count() >= 3) {
        let Some(prefix) = picked
            .strip_suffix(t.as_str())
            .filter(|p| p.ends_with([' ', ':']))
            .map(str::trim)
        else {
            continue;
        };
        let label = prefix.ends_with(':') && prefix.split_whitespace().count() <= 2;
        // A bare year in front ("2025 Price Guide") is part of the headline.
        let dateline =
            prefix.split_whitespace().count() >= 2 && super::content::is_byline_or_date(prefix);
        if label || dateline {
            return t.clone();
        }
    }
    let Some(first) = metas.first() else {
        return picked.to_string();
    };
    let (h, t) = (word_set(picked), word_set(first));
    if !h.is_empty()
        && picked.split_whitespace().count() <= 4
        && h.intersection(&t).count() * 2 < h.len()
    {
        return first.clone();
    }
    picked.to_string()
}

/// Whether `h1` is `title` with some characters lost to "?" (or U+FFFD) by a
/// broken encoding on the publisher's side ("Planning? Beginner? Guide" for
/// "Planning: Beginner's Guide"): each mark stands for one to three
/// characters of the title and everything else is equal. A mark at the very
/// end is the headline's own question mark and does not count.
fn lost_to_question_marks(h1: &str, title: &str) -> bool {
    let h: Vec<char> = h1.trim_end_matches('?').chars().collect();
    let marks = h.iter().filter(|c| matches!(c, '?' | '\u{FFFD}')).count();
    if marks == 0 || marks > 4 || h1 == title {
        return false;
    }
    let t: Vec<char> = title.chars().collect();
    // Backtracking over at most 3^4 spans per start: titles are short.
    fn fits(h: &[char], t: &[char]) -> bool {
        match h.split_first() {
            None => t.is_empty() || t == ['?'],
            Some((&c, rest)) if c == '?' || c == '\u{FFFD}' => {
                (1..=3.min(t.len())).any(|k| fits(rest, &t[k..]))
            }
            Some((&c, rest)) => t.first() == Some(&c) && fits(rest, &t[1..]),
        }
    }
    fits(&h, &t)
}

/// The h1 with its quotes made straight when the metadata titles, worded
/// otherwise, type one of the h1's quoted words straight ("Visitor's" in
/// og:title, "Visitor’s" in the h1) and none of them has it curled: the same
/// word typed two ways on one page is the theme curling what the publisher
/// typed.
fn typed_words(picked: &str, metas: &[String]) -> Option<String> {
    let is_curly = |c: char| straight(c) != c;
    let word = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let curled: Vec<String> = picked
        .split_whitespace()
        .map(word)
        .filter(|w| w.contains(is_curly))
        .collect();
    if curled.is_empty() {
        return None;
    }
    let meta_words: HashSet<String> = metas
        .iter()
        .flat_map(|t| t.split_whitespace().map(word))
        .collect();
    let curled_there = curled.iter().any(|w| meta_words.contains(w));
    let typed_there = curled.iter().any(|w| meta_words.contains(&fold_quotes(w)));
    (typed_there && !curled_there).then(|| picked.chars().map(straight).collect())
}

/// Set in capitals: nine letters in ten upper case, of eight or more.
fn shouted(s: &str) -> bool {
    let (mut letters, mut upper) = (0usize, 0usize);
    for c in s.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        upper += usize::from(c.is_uppercase());
    }
    letters >= 8 && upper * 10 >= letters * 9
}

/// A typographic quote (or prime) as the typewriter's.
fn straight(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => '"',
        c => c,
    }
}

/// Lower case with typographic quotes made straight, for comparing titles
/// that differ only in quote style.
fn fold_quotes(s: &str) -> String {
    s.chars()
        .map(straight)
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Cleans the chosen headline whatever its source: character references
/// escaped twice by the publisher, the site's name at either end (an h1 can
/// carry it as well as a `<title>`), short " | " sections ("… | Opinion")
/// and a bare domain name before or after the words.
fn tidy(h: &str, site: Option<&str>, host: &str) -> String {
    let mut t = if h.contains('&') && h.contains(';') {
        unescape(h)
    } else {
        h.trim().to_string()
    };
    t = strip_site_with(&t, site, host, false);
    // A pipe is never part of a sentence. A short first segment before a
    // longer rest is a brand or a section put in front ("The Agency | ML
    // at Georgia Tech"); looked at first, since the rest may be short too.
    if let Some(i) = t.find(" | ") {
        let (head, tail) = (t[..i].trim(), t[i + 3..].trim());
        let (h, rest) = (
            head.split_whitespace().count(),
            tail.split_whitespace().count(),
        );
        if h <= 3 && rest > h && !tail.contains(" | ") {
            t = tail.to_string();
        }
    }
    // A short last segment after it is a section, a tag line or a brand.
    while let Some(i) = t.rfind(" | ") {
        let (head, tail) = (t[..i].trim(), t[i + 3..].trim());
        if tail.split_whitespace().count() <= 4 && head.split_whitespace().count() >= 2 {
            t = head.to_string();
        } else {
            break;
        }
    }
    // The cut that `<title>`s get when the site is unknown, from any source.
    if let Some(head) = cut_dash_tagline(&t) {
        t = head.to_string();
    }
    let host_n = host_name(host);
    let is_domain = |w: &str| {
        w.contains('.')
            && w.chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
            && host_n.len() >= 3
            && norm(w).contains(&host_n)
    };
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.len() >= 3 {
        if is_domain(words[0]) {
            return words[1..].join(" ");
        }
        if words.last().is_some_and(|w| is_domain(w)) {
            return words[..words.len() - 1].join(" ");
        }
    }
    t
}

fn pick_headline(m: &PageMeta, h1s: &[H1], host: &str) -> String {
    let site = m.site_name.as_deref();
    let metas: Vec<&String> = [&m.ld_headline, &m.og_title, &m.twitter_title, &m.html_title]
        .into_iter()
        .flatten()
        .collect();
    let host_n = host_name(host);
    let site_like = |h: &str| {
        let n = norm(h);
        n.is_empty()
            || site.is_some_and(|s| norm(s) == n)
            || (host_n.len() >= 4 && n.starts_with(&host_n) && n.len() <= host_n.len() + 4)
    };
    let usable: Vec<&H1> = h1s
        .iter()
        .filter(|h| {
            !site_like(&h.text) && !breadcrumb(&h.text) && h.text.split_whitespace().count() <= 40
        })
        .collect();
    for H1 { text: h, .. } in &usable {
        if norm(h).len() < 8 {
            continue;
        }
        if metas
            .iter()
            .any(|t| confirms(t, h) || confirms(&strip_site(t, site, host), h))
        {
            return h.clone();
        }
    }
    // Unconfirmed by the metadata: a one- or two-word h1 is more often a
    // section label ("Webcams", "Our Blog") than the headline, and an h1 that
    // is all link is a logo, when the metadata offers a title instead. Two
    // words that the metadata title uses both are its short form, not a label.
    let has_meta = !metas.is_empty();
    let in_meta = |h: &str| {
        let w = word_set(h);
        metas.iter().any(|t| w.is_subset(&word_set(t)))
    };
    let plausible = |h: &&&H1| {
        let words = h.text.split_whitespace().count();
        !h.link && (!has_meta || words >= 3 || words == 2 && in_meta(&h.text))
    };
    if let Some(h) = usable.iter().filter(|h| !h.noise).find(plausible) {
        return h.text.clone();
    }
    // Pages often wrap the article header in a <header> that looks like
    // furniture; an h1 there still beats the metadata titles on the dev set.
    if let Some(h) = usable.iter().find(plausible) {
        return h.text.clone();
    }
    let candidates = [&m.ld_headline, &m.og_title, &m.twitter_title, &m.html_title];
    for c in candidates.into_iter().flatten() {
        let t = strip_site(c, site, host);
        if !t.is_empty() && site.is_none_or(|s| norm(&t) != norm(s)) {
            return t;
        }
    }
    h1s.first().map(|h| h.text.clone()).unwrap_or_default()
}

/// Whether metadata title `t` confirms `h1`: the h1's words are a run of the
/// title's words, and a one-word h1 opens the title ("restaurant" in
/// "RESTAURANT Definition & Meaning"). One word inside a title ("Planning"
/// in "… A Wedding Planning Guide") is a menu heading that happens to share
/// it, and a run cut inside a word is no match at all. Words are compared
/// with their punctuation and spacing gone ("Covid-19" is "Covid 19", "Q&A"
/// is "Q & A"): the run may start and end at any word boundary of either.
/// Scripts written without spaces make a whole title one "word", so there a
/// long h1 confirms anywhere inside the title.
fn confirms(t: &str, h1: &str) -> bool {
    let (t, h) = (words(t), words(h1));
    let (joined, run) = (t.concat(), h.concat());
    if run.is_empty() {
        return false;
    }
    // Chinese, Japanese and Thai; a long word of Cyrillic is still one word.
    let unspaced_script =
        |c: &char| matches!(*c as u32, 0x3040..=0x30FF | 0x3400..=0x9FFF | 0x0E00..=0x0E7F);
    let unspaced = h.len() == 1 && run.chars().filter(unspaced_script).count() >= 4;
    if unspaced {
        return joined.contains(&run);
    }
    // Byte offsets where the title's words start (and where it ends).
    let mut bounds = vec![0];
    for w in &t {
        bounds.push(bounds.last().copied().unwrap_or(0) + w.len());
    }
    let starts: &[usize] = if h.len() == 1 { &bounds[..1] } else { &bounds };
    starts
        .iter()
        .any(|&s| joined[s..].starts_with(&run) && bounds.binary_search(&(s + run.len())).is_ok())
}

/// A trail of short section names ("Computer Science > Artificial
/// Intelligence", "News › Europe"): where the page sits, not what it says.
fn breadcrumb(h: &str) -> bool {
    let parts: Vec<&str> = h.split([' ', '\u{a0}']).collect();
    // A spaced » after a « is a French closing quote, not a trail mark.
    let french = h.contains('«');
    let marks = parts
        .iter()
        .filter(|w| matches!(**w, ">" | "›") || **w == "»" && !french)
        .count();
    marks > 0
        && h.split(['>', '›', '»'])
            .all(|seg| (1..=4).contains(&seg.split_whitespace().count()))
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
    fn headline_from_any_source_is_tidied() {
        // Site name on a visible h1, after a subdomain host.
        assert_eq!(
            tidy("Raids resume – Example", None, "news.example.co.uk"),
            "Raids resume"
        );
        // Short pipe sections, twice escaped references, a bare domain.
        assert_eq!(
            tidy("Raids in Grozny resume | Opinion | Region", None, "x.org"),
            "Raids in Grozny resume"
        );
        // A short segment in front of the pipe is a brand or a section too.
        assert_eq!(
            tidy("The Agency | ML at Georgia Tech", None, "x.org"),
            "ML at Georgia Tech"
        );
        assert_eq!(
            tidy(
                "Rights Desk | Raids in Grozny resume after a pause",
                None,
                "x.org"
            ),
            "Raids in Grozny resume after a pause"
        );
        assert_eq!(tidy("Raids resume | Grozny", None, "x.org"), "Raids resume");
        assert_eq!(
            tidy("Courts &#x26; rights", None, "x.org"),
            "Courts & rights"
        );
        assert_eq!(
            tidy("example.org Raids in Grozny", None, "example.org"),
            "Raids in Grozny"
        );
        // A dash inside a headline stays when nothing says it is the site.
        assert_eq!(
            tidy("Wedding tools – a spreadsheet", None, "x.org"),
            "Wedding tools – a spreadsheet"
        );
        assert_eq!(host_name("www.bbc.co.uk"), "bbc");
        assert_eq!(host_name("promotions.newegg.com"), "newegg");
    }

    /// A page whose only metadata title is its og:title.
    fn og(title: &str) -> PageMeta {
        PageMeta {
            og_title: Some(title.into()),
            ..PageMeta::default()
        }
    }

    fn h1(text: &str) -> H1 {
        H1 {
            text: text.to_string(),
            noise: false,
            link: false,
        }
    }

    #[test]
    fn typed_quotes_and_section_labels_yield_to_the_metadata_title() {
        let m = PageMeta {
            og_title: Some("Yoga won't fix the plumbing, but it might save your sanity".into()),
            html_title: Some(
                "Yoga won't fix the plumbing, but it might save your sanity – Pathways".into(),
            ),
            site_name: Some("Pathways".into()),
            ..PageMeta::default()
        };
        // The theme curled the apostrophe of the visible h1.
        assert_eq!(
            headline(
                &m,
                &[h1(
                    "Yoga won\u{2019}t fix the plumbing, but it might save your sanity"
                )],
                "pathways.example"
            ),
            "Yoga won't fix the plumbing, but it might save your sanity"
        );
        // A curled h1 with no straight twin in the metadata stays as published.
        let curly = og("Yoga won\u{2019}t fix the plumbing");
        assert_eq!(
            headline(&curly, &[h1("Yoga won\u{2019}t fix the plumbing")], "x.org"),
            "Yoga won\u{2019}t fix the plumbing"
        );

        let m = PageMeta {
            og_title: Some("The lean startup".into()),
            html_title: Some("Lessons Learned: The lean startup".into()),
            ..PageMeta::default()
        };
        // A short h1 that shares no word with the title is the blog's tag line.
        assert_eq!(
            headline(&m, &[h1("Lessons Learned")], "x.org"),
            "The lean startup"
        );
        // A kicker label or a date glued in front of the title.
        let kicker = og("Preparing a transition in the archive");
        for h in [
            "Dec 18 2025 Preparing a transition in the archive",
            "Blog: Preparing a transition in the archive",
        ] {
            assert_eq!(
                headline(&kicker, &[h1(h)], "x.org"),
                "Preparing a transition in the archive"
            );
        }
        // Longer words or a bare year in front are part of the headline.
        assert_eq!(
            headline(
                &kicker,
                &[h1("2025 Preparing a transition in the archive")],
                "x.org"
            ),
            "2025 Preparing a transition in the archive"
        );
        assert_eq!(
            headline(
                &kicker,
                &[h1("Why we are Preparing a transition in the archive")],
                "x.org"
            ),
            "Why we are Preparing a transition in the archive"
        );
        // A short h1 that is the title's words stays.
        assert_eq!(
            headline(&m, &[h1("The Lean Startup")], "x.org"),
            "The Lean Startup"
        );
    }

    #[test]
    fn a_metadata_title_shown_as_a_sub_heading_beats_the_h1() {
        let m = PageMeta {
            og_title: Some("Why the river towns flood every spring | The Ledger".into()),
            headings: vec![
                "Share this".into(),
                "Why the river towns flood every spring".into(),
                "What the council plans".into(),
            ],
            ..PageMeta::default()
        };
        // The theme gave the title an <h2>; the <h1> is a heading in the text.
        let h = [h1("Sandbags were stacked along the quay by noon")];
        assert_eq!(
            headline(&m, &h, "ledger.example"),
            "Why the river towns flood every spring"
        );
        // A headline in the JSON-LD cut short yields to the full title the page shows.
        let cut = PageMeta {
            ld_headline: Some("Why the river towns flood every spring (and what".into()),
            og_title: Some("Why the river towns flood every spring (and what helps)".into()),
            headings: vec!["Why the river towns flood every spring (and what helps)".into()],
            ..PageMeta::default()
        };
        assert_eq!(
            headline(&cut, &[], "ledger.example"),
            "Why the river towns flood every spring (and what helps)"
        );
        // Without the echo the h1 stays.
        let quiet = PageMeta {
            headings: vec!["What the council plans".into()],
            ..m.clone()
        };
        assert_eq!(
            headline(&quiet, &h, "ledger.example"),
            "Sandbags were stacked along the quay by noon"
        );
        // An h1 that the JSON-LD headline repeats keeps its place even when
        // the <title>'s wording is shown further down.
        let agreed = PageMeta {
            ld_headline: Some("Sandbags were stacked along the quay by noon".into()),
            ..m.clone()
        };
        assert_eq!(
            headline(&agreed, &h, "ledger.example"),
            "Sandbags were stacked along the quay by noon"
        );
        // A short title matches an explainer's section heading by chance.
        let short = PageMeta {
            og_title: Some("What is flood insurance".into()),
            headings: vec!["What is flood insurance?".into()],
            ..PageMeta::default()
        };
        assert_eq!(
            headline(
                &short,
                &[h1("A plain guide to flood insurance for renters")],
                "x.org"
            ),
            "A plain guide to flood insurance for renters"
        );
    }

    #[test]
    fn sub_headings_are_read_in_order() {
        let doc = Html::parse_document(
            "<html><body><h2>Share  this</h2><article><h3>Why the river\n towns flood</h3>\
             <h2></h2><h4>Not kept</h4></article></body></html>",
        );
        let url = Url::parse("https://ledger.example/a").expect("url");
        assert_eq!(
            read(&doc, &url).headings,
            ["Share this", "Why the river towns flood"]
        );
    }

    #[test]
    fn site_suffixes_and_prefixes_are_cut() {
        assert_eq!(
            strip_site(
                "Raids in Grozny | The Daily",
                Some("The Daily"),
                "daily.example"
            ),
            "Raids in Grozny"
        );
        assert_eq!(
            strip_site("Example News: Raids in Grozny", None, "examplenews.org"),
            "Example News: Raids in Grozny"
        );
        assert_eq!(
            strip_site("Example News - Raids in Grozny", None, "examplenews.org"),
            "Raids in Grozny"
        );
        assert_eq!(
            strip_site("Raids in Grozny resume - BBC News", None, "bbc.co.uk"),
            "Raids in Grozny resume"
        );
        assert_eq!(
            strip_site("Spider-Man - a review", None, "x.org"),
            "Spider-Man - a review"
        );
        // Brand and domain both before the headline.
        assert_eq!(
            strip_site(
                "River Ledger | RiverLedger.example - Five towns that rebuilt after the flood",
                None,
                "www.riverledger.example"
            ),
            "Five towns that rebuilt after the flood"
        );
        // A part naming the site among many words is the headline's.
        assert_eq!(
            strip_site(
                "Flood defences fail again - The Ledger looks back at ten years of repairs",
                Some("The Ledger"),
                "ledger.example"
            ),
            "Flood defences fail again - The Ledger looks back at ten years of repairs"
        );
    }

    #[test]
    fn a_two_line_h1_is_read_as_title_and_subtitle() {
        let url = Url::parse("https://ledger.example/a").expect("url");
        let lines = |body: &str| {
            read(
                &Html::parse_document(&format!("<html><body>{body}</body></html>")),
                &url,
            )
            .two_line_h1s
        };
        let two = |a: &str, b: &str| vec![[a.to_string(), b.to_string()]];
        assert_eq!(
            lines("<h1>Top river towns of 2025<br>Your guide to the quays</h1>"),
            two("Top river towns of 2025", "Your guide to the quays")
        );
        assert_eq!(
            lines("<h1><span>Why towns flood</span> <span>and what the council plans</span></h1>"),
            two("Why towns flood", "and what the council plans")
        );
        assert_eq!(
            lines("<h1>The best river towns<span class=block>Five quays worth a visit</span></h1>"),
            two("The best river towns", "Five quays worth a visit")
        );
        // One line, links and emphasis inside a line, a short label, three parts.
        for body in [
            "<h1><span>Why the river towns flood</span></h1>",
            "<h1>Why the <em>river towns</em> flood <a href=/x>every spring</a></h1>",
            "<h1>Flood guide: <span>Spanish</span></h1>",
            "<h1>Top <span>10</span> river towns to visit</h1>",
        ] {
            assert!(lines(body).is_empty(), "{body}");
        }
    }

    #[test]
    fn a_title_over_a_subtitle_yields_to_the_metadata_title() {
        let m = PageMeta {
            og_title: Some("Top River Towns of 2025: Rankings & Guides | Ledger".into()),
            site_name: Some("Ledger".into()),
            two_line_h1s: vec![[
                "Top River Towns of 2025 (US)".into(),
                "Your Guide to the Best Quays".into(),
            ]],
            ..PageMeta::default()
        };
        let h = [h1(
            "Top River Towns of 2025 (US) Your Guide to the Best Quays",
        )];
        assert_eq!(
            headline(&m, &h, "ledger.example"),
            "Top River Towns of 2025: Rankings & Guides"
        );
        // The metadata writes the two lines with their separator.
        let sep = PageMeta {
            og_title: Some("Top River Towns of 2025 (US) - Your Guide to the Best Quays".into()),
            ..m.clone()
        };
        assert_eq!(
            headline(&sep, &h, "ledger.example"),
            "Top River Towns of 2025 (US) - Your Guide to the Best Quays"
        );
        // A metadata title that is the joined lines keeps the h1, even
        // beside another that shares half its words.
        let same = PageMeta {
            ld_headline: Some("Top River Towns of 2025: the Quays".into()),
            og_title: Some("Top River Towns of 2025 (US) Your Guide to the Best Quays".into()),
            ..m.clone()
        };
        assert_eq!(
            headline(&same, &h, "ledger.example"),
            "Top River Towns of 2025 (US) Your Guide to the Best Quays"
        );
        // A one-line h1 with the same words stays.
        let one = PageMeta {
            two_line_h1s: Vec::new(),
            ..m.clone()
        };
        assert_eq!(
            headline(&one, &h, "ledger.example"),
            "Top River Towns of 2025 (US) Your Guide to the Best Quays"
        );
    }

    #[test]
    fn curled_quotes_that_the_metadata_also_has_stay() {
        let m = PageMeta {
            ld_headline: Some("Why the quay\u{2019}s walls failed".into()),
            og_title: Some("Why the quay's walls failed".into()),
            ..PageMeta::default()
        };
        assert_eq!(
            headline(&m, &[h1("Why the quay\u{2019}s walls failed")], "x.org"),
            "Why the quay\u{2019}s walls failed"
        );
    }

    #[test]
    fn a_word_the_metadata_types_straight_straightens_the_curled_h1() {
        // Worded otherwise than the h1, but the same word typed straight.
        let m = og("Your first trip to Tbilisi: a visitor's guide");
        let curled = "Your first trip to Tbilisi- a visitor\u{2019}s guide";
        assert_eq!(
            headline(&m, &[h1(curled)], "x.org"),
            "Your first trip to Tbilisi- a visitor's guide"
        );
        // A metadata title with the curled word too: the publisher curled it.
        let both = PageMeta {
            ld_headline: Some("A visitor\u{2019}s guide to Tbilisi".into()),
            ..m.clone()
        };
        assert_eq!(headline(&both, &[h1(curled)], "x.org"), curled);
        // No quoted word in common: nothing tells the typed form.
        let other = og("Tbilisi for the first time: it's easy");
        assert_eq!(headline(&other, &[h1(curled)], "x.org"), curled);
        // Straightened, the h1 still meets the later rules: a kicker label.
        assert_eq!(
            headline(
                &og("A visitor's guide to Tbilisi"),
                &[h1("Blog: A visitor\u{2019}s guide to Tbilisi")],
                "x.org"
            ),
            "A visitor's guide to Tbilisi"
        );
    }

    #[test]
    fn one_menu_word_inside_the_title_does_not_confirm_an_h1() {
        // Regression: a mega-menu of one-word h1s ("Inspiration", "Planning")
        // gave "Planning" as the headline, since the title contains it.
        let m = og("Your Wedding Checklist: A Wedding Planning Guide");
        let menu = [h1("Inspiration"), h1("Planning"), h1("Budgeting")];
        assert_eq!(
            headline(&m, &menu, "x.org"),
            "Your Wedding Checklist: A Wedding Planning Guide"
        );
        // One word that opens the title is its short form.
        let m = og("RESTAURANT Definition & Meaning | Dictionary.com");
        assert_eq!(headline(&m, &[h1("restaurant")], "x.org"), "restaurant");
        // A run of words confirms wherever it stands; a run cut inside a word
        // ("Checklists" for "Checklist") does not.
        assert!(confirms(
            "Wedding Guide: Your Wedding Checklist",
            "Your Wedding Checklist"
        ));
        assert!(!confirms(
            "Your Wedding Checklists",
            "Your Wedding Checklist"
        ));
        // Spacing and punctuation inside words do not matter.
        assert!(confirms(
            "Covid 19: a year on | News",
            "Covid-19: a year on"
        ));
        assert!(confirms("Q & A with the mayor", "Q&A"));
        // A title without spaces is one word: a long h1 confirms inside it.
        assert!(confirms(
            "【速報】日本の首相が辞任｜NHKニュース",
            "日本の首相が辞任"
        ));
        assert!(!confirms("Wedding Planning Guide", "Planning"));
        assert!(!confirms("Свадебное планирование", "Планирование"));
    }

    #[test]
    fn a_two_word_h1_whose_words_the_metadata_title_uses_is_the_headline() {
        let m = og("Affordable food: nutrition for families on low incomes");
        assert_eq!(
            headline(&m, &[h1("Affordable nutrition")], "x.org"),
            "Affordable nutrition"
        );
        // Two words the title does not use are a section label.
        assert_eq!(
            headline(&m, &[h1("Our stories")], "x.org"),
            "Affordable food: nutrition for families on low incomes"
        );
    }

    #[test]
    fn a_breadcrumb_h1_is_passed_over_and_a_glued_label_cut() {
        // An archive's abstract page: the subject trail is the first h1, the
        // paper's title the second, behind a "Title:" label with no space.
        let m = og("Merging models under geometric constraints");
        let h1s = [
            h1("Computer Science > Artificial Intelligence"),
            h1("Title:Merging models under geometric constraints"),
        ];
        assert_eq!(
            headline(&m, &h1s, "x.org"),
            "Merging models under geometric constraints"
        );
        assert!(breadcrumb("News \u{203a} Europe \u{203a} Caucasus"));
        assert!(!breadcrumb("\u{ab} Trop tard \u{bb} pour le climat"));
        // A ">" inside a sentence is not a trail.
        assert!(!breadcrumb(
            "Why 5 > 3 matters when voters rank the candidates in the election"
        ));
    }

    #[test]
    fn a_headline_in_capitals_takes_the_casing_of_the_metadata_title() {
        let m = og("Tips for Online Success");
        assert_eq!(
            headline(&m, &[h1("TIPS FOR ONLINE SUCCESS")], "x.org"),
            "Tips for Online Success"
        );
        // Other words in the metadata: the h1 stays as it is.
        let other = og("Online Success Tips");
        assert_eq!(
            headline(&other, &[h1("TIPS FOR ONLINE SUCCESS")], "x.org"),
            "TIPS FOR ONLINE SUCCESS"
        );
        assert!(!shouted("NATO and EU"));
    }

    #[test]
    fn characters_lost_to_question_marks_come_from_the_metadata() {
        let m = og("The Basics Of Flood Planning: Beginner's Guide");
        assert_eq!(
            headline(
                &m,
                &[h1("The Basics Of Flood Planning? Beginner? Guide")],
                "x.org"
            ),
            "The Basics Of Flood Planning: Beginner's Guide"
        );
        // Real question marks, and other words, are not losses.
        assert!(!lost_to_question_marks(
            "Is the quay safe? Experts weigh in",
            "Is the quay safe? Experts weigh in on it"
        ));
        assert!(!lost_to_question_marks(
            "Is the quay safe?",
            "Is the quay safe"
        ));
        assert!(lost_to_question_marks("Caf? owners", "Caf\u{e9} owners"));
    }

    #[test]
    fn a_list_count_in_the_metadata_title_is_kept() {
        let m = PageMeta {
            og_title: Some("8 Recent Trends in Flood Defence - Ledger".into()),
            site_name: Some("Ledger".into()),
            ..PageMeta::default()
        };
        let h = [h1("Recent Trends in Flood Defence")];
        assert_eq!(
            headline(&m, &h, "ledger.example"),
            "8 Recent Trends in Flood Defence"
        );
        // A year in front is another title, not a count.
        let year = og("2025 Recent Trends in Flood Defence");
        assert_eq!(
            headline(&year, &h, "ledger.example"),
            "Recent Trends in Flood Defence"
        );
    }

    #[test]
    fn a_short_tag_line_after_a_dash_is_cut_from_any_headline() {
        assert_eq!(
            tidy("15 Flood Maps Compared - Personally Tested", None, "x.org"),
            "15 Flood Maps Compared"
        );
        assert_eq!(
            tidy(
                "Flood Defences for Beginners — Sandbag Basics",
                None,
                "x.org"
            ),
            "Flood Defences for Beginners"
        );
        // A short headline, a long or lower-case tail: part of the headline.
        for t in [
            "Best Flood Maps – My Favorites!",
            "Flood Defences for Beginners - Features, Costs, and Honest Comparison",
            "The quay walls failed again — and the council knew",
        ] {
            assert_eq!(tidy(t, None, "x.org"), t);
        }
    }

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

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Titles built from the characters the headline rules look at:
        /// separators, quotes of both kinds, breadcrumb marks, "?" and
        /// references.
        fn title() -> impl Strategy<Value = String> {
            proptest::collection::vec(
                prop_oneof![
                    "[A-Za-z]{1,8}",
                    Just(" ".to_string()),
                    Just(" | ".to_string()),
                    Just(" - ".to_string()),
                    Just(" \u{2013} ".to_string()),
                    Just(": ".to_string()),
                    Just(" > ".to_string()),
                    Just(" \u{203a} ".to_string()),
                    Just("'".to_string()),
                    Just("\u{2019}".to_string()),
                    Just("\u{201c}".to_string()),
                    Just("?".to_string()),
                    Just("&amp;#8217;".to_string()),
                    Just("7 ".to_string()),
                ],
                0..16,
            )
            .prop_map(|parts| parts.concat())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: crate::proptest_cases(), failure_persistence: None, ..ProptestConfig::default() })]

            /// Whatever the sources say, the rules never panic and the
            /// headline is trimmed.
            #[test]
            fn the_headline_rules_never_panic_and_trim(
                og in proptest::option::of(title()),
                ld in proptest::option::of(title()),
                html in proptest::option::of(title()),
                site in proptest::option::of("[A-Za-z]{1,8}( [A-Za-z]{1,8})?"),
                headings in proptest::collection::vec(title(), 0..3),
                h1s in proptest::collection::vec((title(), any::<bool>(), any::<bool>()), 0..4),
                split in any::<usize>(),
            ) {
                // The first h1, cut anywhere on a space, as a title line
                // over a subtitle line (what `over_subtitle` looks at).
                let two_line_h1s = h1s
                    .first()
                    .and_then(|(t, ..)| {
                        let spaces: Vec<usize> = t.match_indices(' ').map(|(i, _)| i).collect();
                        let i = *spaces.get(split % spaces.len().max(1))?;
                        Some([t[..i].to_string(), t[i + 1..].to_string()])
                    })
                    .into_iter()
                    .collect();
                let m = PageMeta {
                    og_title: og,
                    ld_headline: ld,
                    html_title: html,
                    site_name: site,
                    headings,
                    two_line_h1s,
                    ..PageMeta::default()
                };
                let h: Vec<H1> = h1s
                    .iter()
                    .map(|(t, noise, link)| H1 {
                        text: t.clone(),
                        noise: *noise,
                        link: *link,
                    })
                    .collect();
                let out = headline(&m, &h, "news.example.org");
                prop_assert_eq!(out.trim(), out.as_str());
            }
        }
    }
}
