//! Duplicate decisions: canonical URLs, exact text hashes and (to come)
//! near-duplicate detection over the whole corpus.
//!
//! Pure: no I/O, no clock. The index is built from corpus texts handed in by
//! the caller (the store persists what it needs). Must not read files, the
//! database or the network.

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use url::Url;

/// An article's identity in the corpus: its sequence number.
pub type DocId = u64;

/// What the index knows about a document besides its text.
#[derive(Debug, Clone, Default)]
pub struct DocMeta {
    /// The outlet (host) it came from, when known.
    pub source: Option<String>,
    /// Publication time, seconds since the Unix epoch, when known.
    pub published: Option<i64>,
}

/// The outcome for one candidate article.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// A copy of `of`: record a sighting, store nothing new.
    Duplicate { of: DocId, score: f64 },
    /// New coverage of the same story as `of`.
    Story { of: DocId, score: f64 },
    /// New coverage, a story of its own.
    New,
}

/// The dedup index over the corpus.
#[derive(Debug, Default)]
pub struct Index {
    exact: HashMap<[u8; 16], DocId>,
}

impl Index {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a corpus document (headline line, then paragraphs).
    pub fn insert(&mut self, id: DocId, text: &str, meta: &DocMeta) {
        let _ = meta;
        self.exact.entry(text_hash(text)).or_insert(id);
    }

    /// Decides whether `text` copies a document of the index.
    pub fn check(&self, text: &str, meta: &DocMeta) -> Decision {
        let _ = meta;
        match self.exact.get(&text_hash(text)) {
            Some(&of) => Decision::Duplicate { of, score: 1.0 },
            None => Decision::New,
        }
    }

    pub fn len(&self) -> usize {
        self.exact.len()
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }
}

/// The tokens that identity is decided on: NFKC, case-folded, quotes and
/// dashes folded, invisible characters dropped, punctuation ignored.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.nfkc().flat_map(char::to_lowercase) {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '`' => '\'',
            _ => c,
        };
        if c.is_alphanumeric() || (c == '\'' && !cur.is_empty()) {
            cur.push(c);
        } else if !matches!(
            c,
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
        ) && !cur.is_empty()
        {
            out.push(std::mem::take(&mut cur).trim_end_matches('\'').to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur.trim_end_matches('\'').to_string());
    }
    out
}

/// Hash of the normalized token stream: equal for texts that differ only in
/// case, whitespace, punctuation, Unicode form or invisible characters.
pub fn text_hash(text: &str) -> [u8; 16] {
    let mut h = Sha256::new();
    for t in tokens(text) {
        h.update(t.as_bytes());
        h.update(b" ");
    }
    let d = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&d[..16]);
    out
}

/// Query parameters that only track the reader.
fn is_tracking_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(
            n.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "mc_cid"
                | "mc_eid"
                | "igshid"
                | "yclid"
                | "_ga"
                | "ref"
                | "ref_src"
                | "cmpid"
                | "ocid"
                | "smid"
                | "rss"
                | "partner"
        )
}

/// The canonical form of an article URL: http(s) folded to https, host
/// lower-cased without `www.`, `m.` or `amp.`, no fragment, no tracking
/// parameters, no `/amp` suffix, no trailing slash.
pub fn canonical_url(url: &str) -> Option<String> {
    let mut u = Url::parse(url.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?.to_ascii_lowercase();
    let host = ["www.", "m.", "amp.", "mobile."]
        .iter()
        .find_map(|p| host.strip_prefix(p))
        .unwrap_or(&host)
        .to_string();
    u.set_fragment(None);
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| !is_tracking_param(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
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
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!("https://{host}{port}{path}{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_url_drops_variants_and_tracking() {
        assert_eq!(
            canonical_url("HTTP://WWW.Example.org/news/story/amp/?utm_source=x&id=3#top")
                .as_deref(),
            Some("https://example.org/news/story?id=3")
        );
        assert_eq!(
            canonical_url("https://m.example.org/a/").as_deref(),
            Some("https://example.org/a")
        );
        assert_eq!(canonical_url("mailto:x@example.org"), None);
    }

    #[test]
    fn hash_ignores_case_space_quotes_and_invisibles() {
        assert_eq!(
            text_hash("It’s  A test.\n\nBody"),
            text_hash("it's a te\u{00AD}st body")
        );
        assert_ne!(text_hash("one two"), text_hash("one three"));
    }

    #[test]
    fn exact_copy_is_a_duplicate() {
        let mut idx = Index::new();
        idx.insert(7, "Title\n\nBody text here.", &DocMeta::default());
        assert_eq!(
            idx.check("TITLE\n\nBody  text here", &DocMeta::default()),
            Decision::Duplicate { of: 7, score: 1.0 }
        );
        assert_eq!(
            idx.check("Other\n\nBody", &DocMeta::default()),
            Decision::New
        );
    }
}
