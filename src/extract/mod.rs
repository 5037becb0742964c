//! Page bytes → article: headline, body paragraphs and metadata.
//!
//! Pure: no I/O, no clock, no environment. Takes the response body, its
//! Content-Type header and the page URL. Must not touch the network, the
//! store or the corpus. The paragraphs come out as single lines of text with
//! whitespace folded; turning them into corpus text is `normalize`'s job.
//!
//! Stages: guards on the raw bytes (size cap, non-HTML bodies) →
//! [`charset`] decoding → parse (html5ever via scraper) → [`meta`]data →
//! `headline` (the page's `<h1>`s against the metadata titles) → [`content`]
//! for the body (walk, choose, clean, trim) → page-level guards (consent
//! walls, paywall teasers, pages with no article). Work is bounded: the input
//! is capped, the parse runs under a step and node [`budget`], and every
//! tree walk is depth-limited. See ARCHITECTURE.md, "Codemap" and "The
//! shape"; the golden pages that pin the output are in `tests.rs`.

pub mod budget;
pub mod charset;
pub mod content;
mod headline;
mod markup;
pub mod meta;
mod repair;
mod second;
mod untitled;

use chrono::{DateTime, Utc};
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
    pub method: Method,
    /// Behind a paywall: the body is only the public part (the teaser the
    /// page shows everyone). Stored all the same, so the coverage counts.
    pub paywalled: bool,
}

/// Which method produced an article's body. Stored, exported and printed
/// (`extract --json`) as its name ([`Method::as_str`]); the names are part
/// of the database and the export format and must not change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub enum Method {
    /// `density`: content scoring, the first pass (and the default).
    #[default]
    #[serde(rename = "density")]
    Density,
    /// `json-ld`: the page's own articleBody, when the container held much
    /// less than the publisher says the article is.
    #[serde(rename = "json-ld")]
    JsonLd,
    /// `relaxed`: content scoring again with only the hard furniture marks,
    /// when the first pass found next to nothing.
    #[serde(rename = "relaxed")]
    Relaxed,
    /// `scored`: a short first pick that Readability-style scoring agreed
    /// with and found more prose around (see `second`).
    #[serde(rename = "scored")]
    Scored,
    /// `fallback`: all non-furniture text of a page with no clear container.
    #[serde(rename = "fallback")]
    Fallback,
    /// `feed`: the feed entry's own full text (set by the pipeline, never
    /// by `extract`).
    #[serde(rename = "feed")]
    Feed,
}

impl Method {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Density => "density",
            Method::JsonLd => "json-ld",
            Method::Relaxed => "relaxed",
            Method::Scored => "scored",
            Method::Fallback => "fallback",
            Method::Feed => "feed",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExtractError {
    #[error("not an HTML page (content type {0})")]
    NotHtml(String),
    #[error("no article found in the page")]
    NoArticle,
    #[error("page of {size} bytes is over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("page is a cookie or consent wall, not the article")]
    ConsentWall,
    #[error("page is a paywall with no public part")]
    Paywall,
    #[error("page nests elements deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("page takes more than the parse budget ({steps} steps, {nodes} nodes)")]
    OverBudget { steps: u64, nodes: u64 },
}

/// Bounds on the work done for one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractOptions {
    /// Bodies larger than this are refused with [`ExtractError::TooLarge`].
    pub max_bytes: usize,
    /// Fewer words than this in the body is not an article.
    pub min_words: usize,
    /// Pages whose tags nest deeper than this are refused with
    /// [`ExtractError::TooDeep`]: the HTML tree builder does work
    /// proportional to the depth for every tag, so 100 000 nested `<div>`s
    /// (500 KB) would take minutes. Real article pages stay under ~150.
    pub max_depth: usize,
    /// The parse stops past this much work ([`ExtractError::OverBudget`]):
    /// depth alone does not bound it, tokens × depth does.
    pub budget: budget::Budget,
}

/// The parse budget of a page. 1 414 real pages (the extraction dev and
/// L3S sets) took at most 158 046 steps and 27 414 nodes; a real page of
/// the full 8 MiB would take some 2 million steps and 190 000 nodes. The
/// nodes bound memory (250 000 nodes are some 60 MB of tree), the steps
/// bound time (20 million are a fraction of a second).
pub const PAGE_BUDGET: budget::Budget = budget::Budget {
    steps: 20_000_000,
    nodes: 250_000,
};

impl Default for ExtractOptions {
    fn default() -> Self {
        // The largest real article pages seen run to 2 MB; 10 MiB, the
        // default page size limit of the fetch settings, leaves room and
        // still bounds parse time to well under a second.
        ExtractOptions {
            max_bytes: 10 * 1024 * 1024,
            min_words: 25,
            max_depth: 4096,
            budget: PAGE_BUDGET,
        }
    }
}

impl ExtractOptions {
    /// The default bounds with the page size limit of the fetch settings
    /// (`max_page_size`): one limit, so a page the fetcher accepted is never
    /// refused as too large here.
    pub fn for_page_limit(max_page_bytes: u64) -> Self {
        ExtractOptions {
            max_bytes: usize::try_from(max_page_bytes).unwrap_or(usize::MAX),
            ..Default::default()
        }
    }
}

/// Extracts the article from one HTML page with default limits.
pub fn extract(
    body: &[u8],
    content_type: Option<&str>,
    page_url: &Url,
) -> Result<Article, ExtractError> {
    extract_with(body, content_type, page_url, &ExtractOptions::default())
}

/// Extracts the article from one HTML page.
pub fn extract_with(
    body: &[u8],
    content_type: Option<&str>,
    page_url: &Url,
    opts: &ExtractOptions,
) -> Result<Article, ExtractError> {
    if body.len() > opts.max_bytes {
        return Err(ExtractError::TooLarge {
            size: body.len(),
            limit: opts.max_bytes,
        });
    }
    check_html(body, content_type)?;
    if nesting_exceeds(body, opts.max_depth) {
        return Err(ExtractError::TooDeep {
            limit: opts.max_depth,
        });
    }
    let (text, _, _) = charset::decode(body, content_type);
    let doc =
        budget::parse_document(&repair::close_runaway_title(&text), opts.budget).map_err(|_| {
            ExtractError::OverBudget {
                steps: opts.budget.steps,
                nodes: opts.budget.nodes,
            }
        })?;
    let host = page_url.host_str().unwrap_or("");
    let m = meta::read(&doc, page_url);
    let root = doc.root_element().id();
    let blocks = content::blocks(&doc, root);
    let mut title = headline::headline(&m, &headline::h1s(&blocks), host);

    let (chosen, seconded) = second::choose(&doc, &blocks, &title);
    let mut method = if seconded {
        Method::Scored
    } else {
        Method::Density
    };
    let mut paragraphs = chosen.paragraphs;
    let mut chars = chosen.chars;
    // Second look when nearly nothing was found: the article may sit inside a
    // wrapper named like furniture. Only the hard marks (navigation,
    // comments, consent) still hold.
    if words(&paragraphs) < opts.min_words {
        let relaxed = content::choose(&doc, &content::without_soft_furniture(&blocks), &title);
        if words(&relaxed.paragraphs) >= opts.min_words {
            (paragraphs, chars, method) = (relaxed.paragraphs, relaxed.chars, Method::Relaxed);
        }
    }

    // Second opinion: the page's own JSON-LD articleBody, when our container
    // holds much less than the publisher says the article is.
    if let Some(ld) = m.ld_body.as_deref() {
        // Markup in the publisher's text (an image's <noscript> fallback,
        // inline <strong>) is markup, not words.
        let ld_paras: Vec<String> = ld
            .split(['\n', '\r'])
            .map(|l| fold_space(&markup::strip_tags(l)))
            .filter(|p| !p.is_empty())
            .collect();
        let ld_chars: usize = ld_paras.iter().map(|p| p.chars().count()).sum();
        if ld_chars > 400 && chars * 2 < ld_chars && !looks_like_markup(ld) {
            chars = ld_chars;
            paragraphs = ld_paras;
            method = Method::JsonLd;
        }
    }
    // The reverse check: when the publisher's articleBody covers what our
    // container holds, paragraphs it lacks are furniture inside the container.
    if method != Method::JsonLd {
        if let Some(ld) = m.ld_body.as_deref().filter(|ld| !looks_like_markup(ld)) {
            paragraphs = content::vet_by_reference(paragraphs, ld);
        }
    }
    if let Some(author) = m.author.as_deref() {
        paragraphs = content::without_author_bio(paragraphs, author);
    }
    // A bio whose name the metadata does not give: its shape tells it ("Jane
    // Writer is a ... at ...").
    paragraphs = content::without_closing_bio(paragraphs);
    if words(&paragraphs) < opts.min_words {
        let all = content::all_text(&blocks, false);
        if words(&all) >= opts.min_words
            && words(&all) < 2000
            && m.og_type.as_deref().is_none_or(|t| t == "article")
        {
            let _ = chars;
            paragraphs = all.into_iter().filter(|p| *p != title).collect();
            method = Method::Fallback;
        }
    }

    if title.is_empty() {
        (title, paragraphs) = untitled::headline(&blocks, paragraphs);
    }

    let page_text_words = blocks
        .iter()
        .map(|b| b.text.split_whitespace().count())
        .sum::<usize>();
    let body_words = words(&paragraphs);
    let body_lower = paragraphs.join(" ").to_lowercase();
    // A consent wall is a page whose text is the consent form: no article
    // beside it, or an "article" that is the consent text itself. A real
    // article with a cookie banner under it is not one.
    if body_words < opts.min_words || (body_words < 200 && consent_hits(&body_lower) >= 2) {
        let page_lower: String = blocks
            .iter()
            .map(|b| b.text.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        if consent_hits(&page_lower) >= 3 && page_text_words < 600 {
            return Err(ExtractError::ConsentWall);
        }
    }
    // A paywalled article's public part is coverage all the same: it is
    // kept, marked, however short, when there is one.
    let paywalled = body_words < PAYWALL_TEASER_WORDS
        && is_paywall(&content::prompt_text(&blocks), m.paywalled);
    if paywalled {
        // The prompt itself is no part of the article.
        paragraphs.retain(|p| !is_paywall(&p.to_lowercase(), false));
    }
    let body_words = words(&paragraphs);
    if paywalled && (title.is_empty() || body_words == 0) {
        return Err(ExtractError::Paywall);
    }
    if !paywalled && (title.is_empty() || body_words < opts.min_words) {
        return Err(ExtractError::NoArticle);
    }
    let language = m.language.clone().or_else(|| detect_language(&paragraphs));
    Ok(Article {
        title,
        paragraphs,
        canonical_url: m.canonical_url,
        published: m.published,
        author: m.author,
        language,
        site_name: m.site_name,
        method,
        paywalled,
    })
}

/// Turns a feed entry's HTML content into paragraphs (no scoring: a feed's
/// content is the article, but share links and ads are still dropped).
/// A fragment over the page budget gives nothing.
pub fn fragment_paragraphs(html: &str) -> Vec<String> {
    let Ok(doc) = budget::parse_fragment(html, PAGE_BUDGET) else {
        return Vec::new();
    };
    let root = doc.root_element().id();
    content::all_text(&content::blocks(&doc, root), false)
}

fn words(ps: &[String]) -> usize {
    ps.iter().map(|p| p.split_whitespace().count()).sum()
}

fn looks_like_markup(s: &str) -> bool {
    s.contains("</p>") || s.contains("<div") || s.contains("&lt;p&gt;")
}

/// A linear pre-scan of the raw bytes: open tags push, close tags pop, void
/// and self-closing tags do neither. An estimate (implied end tags are not
/// modelled), used only to refuse absurd pages before the quadratic parse.
fn nesting_exceeds(body: &[u8], limit: usize) -> bool {
    const VOID: &[&[u8]] = &[
        b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta",
        b"param", b"source", b"track", b"wbr",
    ];
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = body
        .get(i..)
        .and_then(|r| r.iter().position(|&b| b == b'<'))
    {
        i += off + 1;
        let close = body.get(i) == Some(&b'/');
        let start = if close { i + 1 } else { i };
        let name_len = body.get(start..).map_or(0, |r| {
            r.iter().take_while(|b| b.is_ascii_alphanumeric()).count()
        });
        if name_len == 0 || !body[start].is_ascii_alphabetic() {
            continue;
        }
        let name = body[start..start + name_len].to_ascii_lowercase();
        let end = body
            .get(start..)
            .and_then(|r| r.iter().position(|&b| b == b'>'))
            .map_or(body.len(), |e| start + e);
        if close {
            depth = depth.saturating_sub(1);
        } else if !(VOID.contains(&name.as_slice()) || body.get(end.wrapping_sub(1)) == Some(&b'/'))
        {
            depth += 1;
            if depth > limit {
                return true;
            }
        }
        i = end;
    }
    false
}

/// Refuses bodies that are not HTML by their Content-Type or by their first
/// bytes (servers label PDFs and images text/html often enough).
fn check_html(body: &[u8], content_type: Option<&str>) -> Result<(), ExtractError> {
    if let Some(ct) = content_type {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let ok = mime.is_empty()
            || matches!(
                mime.as_str(),
                "text/html"
                    | "application/xhtml+xml"
                    | "text/plain"
                    | "application/xml"
                    | "text/xml"
            )
            || mime == "application/octet-stream";
        if !ok {
            return Err(ExtractError::NotHtml(mime));
        }
    }
    let head = &body[..body.len().min(16)];
    let magic: &[(&[u8], &str)] = &[
        (b"%PDF-", "application/pdf"),
        (b"\x89PNG", "image/png"),
        (b"\xFF\xD8\xFF", "image/jpeg"),
        (b"GIF8", "image/gif"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x1F\x8B", "application/gzip"),
        (b"OggS", "audio/ogg"),
        (b"ID3", "audio/mpeg"),
    ];
    for (m, name) in magic {
        if head.starts_with(m) {
            return Err(ExtractError::NotHtml((*name).to_string()));
        }
    }
    if head.starts_with(b"RIFF") && body.get(8..12) == Some(b"WEBP") {
        return Err(ExtractError::NotHtml("image/webp".into()));
    }
    // Binary data has NUL bytes; text in UTF-16 without a BOM is too rare to
    // keep for.
    let probe = &body[..body.len().min(1024)];
    if encoding_rs::Encoding::for_bom(body).is_none()
        && probe.iter().filter(|&&b| b == 0).count() > 4
    {
        return Err(ExtractError::NotHtml("binary data".into()));
    }
    Ok(())
}

const CONSENT_PHRASES: &[&str] = &[
    "cookie",
    "consent",
    "accept all",
    "reject all",
    "manage preferences",
    "privacy settings",
    "we value your privacy",
    "before you continue",
    "legitimate interest",
    "partners",
    "personalised ads",
    "personalized ads",
    "gdpr",
];

fn consent_hits(text: &str) -> usize {
    CONSENT_PHRASES.iter().filter(|p| text.contains(*p)).count()
}

/// A body shorter than this with a paywall marker is the teaser, not the
/// article.
///
/// The markers are the prompts a paywall shows. Bare words that articles and
/// readers use about paywalls ("paywall", "this article is for ...") are not
/// markers: a short article on a site's pricing, or one with a comment
/// grumbling about a paywall, is still an article.
const PAYWALL_TEASER_WORDS: usize = 150;

const PAYWALL_PHRASES: &[&str] = &[
    "subscribe to continue",
    "subscribe to read",
    "to continue reading",
    "subscribers only",
    "for subscribers",
    "already a subscriber",
    "already subscribed",
    "premium content",
    "unlock this article",
    "register to continue",
    "sign in to continue",
    "sign in to read",
    "create a free account to continue",
    "start your subscription",
    "become a subscriber",
];

fn is_paywall(text: &str, ld_paywalled: bool) -> bool {
    let hits = PAYWALL_PHRASES.iter().filter(|p| text.contains(*p)).count();
    hits >= 1 || ld_paywalled
}

/// Language when the page does not say: whatlang on the body, accepted only
/// when it is confident.
fn detect_language(paragraphs: &[String]) -> Option<String> {
    let mut sample = String::new();
    for p in paragraphs {
        if sample.len() > 4000 {
            break;
        }
        sample.push_str(p);
        sample.push('\n');
    }
    let info = whatlang::detect(&sample)?;
    info.is_reliable()
        .then(|| iso639_1(info.lang()).to_string())
}

fn iso639_1(l: whatlang::Lang) -> &'static str {
    use whatlang::Lang::*;
    match l {
        Eng => "en",
        Rus => "ru",
        Ukr => "uk",
        Deu => "de",
        Fra => "fr",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Nld => "nl",
        Swe => "sv",
        Dan => "da",
        Nob => "nb",
        Fin => "fi",
        Pol => "pl",
        Ces => "cs",
        Slk => "sk",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Bul => "bg",
        Mkd => "mk",
        Bel => "be",
        Ron => "ro",
        Hun => "hu",
        Ell => "el",
        Tur => "tr",
        Ara => "ar",
        Heb => "he",
        Pes => "fa",
        Urd => "ur",
        Hin => "hi",
        Ben => "bn",
        Cmn => "zh",
        Jpn => "ja",
        Kor => "ko",
        Vie => "vi",
        Tha => "th",
        Ind => "id",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Kat => "ka",
        Hye => "hy",
        Aze => "az",
        Uzb => "uz",
        Epo => "eo",
        other => other.code(),
    }
}

pub(crate) fn fold_space(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
