//! Page bytes → article: headline, body paragraphs and metadata.
//!
//! Pure: no I/O, no clock, no environment. Takes the response body, its
//! Content-Type header and the page URL. Must not touch the network, the
//! store or the corpus. The paragraphs come out as single lines of text with
//! whitespace folded; turning them into corpus text is `normalize`'s job.
//!
//! Stages: guards on the raw bytes (size cap, non-HTML bodies) →
//! [`charset`] decoding → parse (html5ever via scraper) → [`meta`]data and the
//! headline → [`content`] scoring for the body → page-level guards (consent
//! walls, paywall teasers, pages with no article). Work is bounded: the input
//! is capped, and every tree walk is depth-limited.

pub mod charset;
pub mod content;
pub mod meta;

use chrono::{DateTime, Utc};
use scraper::Html;
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
    /// Which method produced the body, for diagnostics and metrics:
    /// `density` (content scoring), `json-ld` (the page's own articleBody),
    /// `fallback` (all non-furniture text of a page with no clear container).
    pub method: &'static str,
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
    #[error("page is a paywall teaser, not the full article")]
    Paywall,
}

/// Bounds on the work done for one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractOptions {
    /// Bodies larger than this are refused with [`ExtractError::TooLarge`].
    pub max_bytes: usize,
    /// Fewer words than this in the body is not an article.
    pub min_words: usize,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        // The largest real article pages seen run to 2 MB; 8 MiB leaves room
        // and still bounds parse time to well under a second.
        ExtractOptions {
            max_bytes: 8 * 1024 * 1024,
            min_words: 25,
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
    let (text, _, _) = charset::decode(body, content_type);
    let doc = Html::parse_document(&text);
    let host = page_url.host_str().unwrap_or("");
    let m = meta::read(&doc, page_url);
    let root = doc.root_element().id();
    let blocks = content::blocks(&doc, root);
    let title = meta::headline(&m, &content::h1s(&blocks), host);

    let chosen = content::choose(&doc, &blocks, &title);
    let (mut paragraphs, mut method) = (chosen.paragraphs, "density");
    let mut chars = chosen.chars;

    // Second opinion: the page's own JSON-LD articleBody, when our container
    // holds much less than the publisher says the article is.
    if let Some(ld) = m.ld_body.as_deref() {
        let ld_paras: Vec<String> = ld
            .split(['\n', '\r'])
            .map(fold_space)
            .filter(|p| !p.is_empty())
            .collect();
        let ld_chars: usize = ld_paras.iter().map(|p| p.chars().count()).sum();
        if ld_chars > 400 && chars * 2 < ld_chars && !looks_like_markup(ld) {
            chars = ld_chars;
            paragraphs = ld_paras;
            method = "json-ld";
        }
    }
    if words(&paragraphs) < opts.min_words {
        let all = content::all_text(&blocks, false);
        if words(&all) >= opts.min_words
            && words(&all) < 2000
            && m.og_type.as_deref().is_none_or(|t| t == "article")
        {
            let _ = chars;
            paragraphs = all.into_iter().filter(|p| *p != title).collect();
            method = "fallback";
        }
    }

    let page_text_words = blocks
        .iter()
        .map(|b| b.text.split_whitespace().count())
        .sum::<usize>();
    let body_words = words(&paragraphs);
    if body_words < opts.min_words * 4 {
        let all_lower: String = blocks
            .iter()
            .map(|b| b.text.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        if is_consent_wall(&all_lower, page_text_words) {
            return Err(ExtractError::ConsentWall);
        }
        if is_paywall(&all_lower, m.paywalled) {
            return Err(ExtractError::Paywall);
        }
    }
    if title.is_empty() || body_words < opts.min_words {
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
    })
}

/// Turns a feed entry's HTML content into paragraphs (no scoring: a feed's
/// content is the article, but share links and ads are still dropped).
pub fn fragment_paragraphs(html: &str) -> Vec<String> {
    let doc = Html::parse_fragment(html);
    let root = doc.root_element().id();
    content::all_text(&content::blocks(&doc, root), false)
}

fn words(ps: &[String]) -> usize {
    ps.iter().map(|p| p.split_whitespace().count()).sum()
}

fn looks_like_markup(s: &str) -> bool {
    s.contains("</p>") || s.contains("<div") || s.contains("&lt;p&gt;")
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

fn is_consent_wall(text: &str, page_words: usize) -> bool {
    let hits = CONSENT_PHRASES.iter().filter(|p| text.contains(*p)).count();
    hits >= 3 && page_words < 600
}

const PAYWALL_PHRASES: &[&str] = &[
    "subscribe to continue",
    "subscribe to read",
    "to continue reading",
    "subscribers only",
    "for subscribers",
    "already a subscriber",
    "already subscribed",
    "this article is for",
    "premium content",
    "unlock this article",
    "register to continue",
    "sign in to continue",
    "sign in to read",
    "create a free account to continue",
    "start your subscription",
    "become a subscriber",
    "paywall",
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
