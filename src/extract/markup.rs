//! Markup that reached a page's text: tags written into a text node
//! (a CMS that escaped its own HTML, `&lt;strong&gt;`) or into a JSON-LD
//! `articleBody`. They are markup, never words of the article.
//!
//! Pure string work; must not parse the page or judge the article. An
//! article about HTML quotes tags too, so a tag is taken for markup only
//! when it looks like markup in use: it carries attributes, or its partner
//! (open or close) stands in the same text. `<title> and <content>` as
//! field names stay, and so does a headline on "30 Years of <br> Tags".
//!
//! Part of `extract` (ARCHITECTURE.md, "Codemap").

use std::borrow::Cow;

/// Elements whose tags are markup when they show up in text: the block
/// elements the walker knows, and these.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "big", "br", "em", "font", "i", "iframe", "img", "noscript", "picture",
    "small", "source", "span", "strong", "sub", "sup", "u",
];

fn is_element(name: &str) -> bool {
    INLINE.contains(&name) || super::content::BLOCK_TAGS.contains(&name)
}

struct Tag {
    start: usize,
    end: usize,
    name: String,
    close: bool,
    attrs: bool,
}

/// Every tag of a known element in `t`, in order.
fn tags(t: &str) -> Vec<Tag> {
    let b = t.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let start = i + off;
        i = start + 1;
        let close = b.get(i) == Some(&b'/');
        let n0 = if close { i + 1 } else { i };
        let n1 = n0
            + b[n0..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
        if n1 == n0 {
            continue;
        }
        let name = t[n0..n1].to_ascii_lowercase();
        if !is_element(&name) {
            continue;
        }
        // The rest of the tag: attributes up to '>', no '<' inside.
        let Some(gt) = b[n1..].iter().position(|&c| c == b'>' || c == b'<') else {
            break;
        };
        if b[n1 + gt] != b'>' {
            continue;
        }
        let inner = t[n1..n1 + gt].trim().trim_end_matches('/').trim();
        // `<b>` then a space or '/' or '>': `<bold>` was ruled out above.
        if !(gt == 0 || b[n1].is_ascii_whitespace() || b[n1] == b'/') {
            continue;
        }
        out.push(Tag {
            start,
            end: n1 + gt + 1,
            name,
            close,
            attrs: !inner.is_empty(),
        });
        i = n1 + gt + 1;
    }
    out
}

/// `t` without the tags that are markup in use (see the module doc).
pub fn strip_tags(t: &str) -> Cow<'_, str> {
    if !t.contains('<') {
        return Cow::Borrowed(t);
    }
    let found = tags(t);
    let markup: Vec<&Tag> = found
        .iter()
        .filter(|g| g.attrs || found.iter().any(|o| o.name == g.name && o.close != g.close))
        .collect();
    if markup.is_empty() {
        return Cow::Borrowed(t);
    }
    let mut out = String::with_capacity(t.len());
    let mut at = 0;
    for g in markup {
        out.push_str(&t[at..g.start]);
        // A tag stood between words: keep them apart.
        out.push(' ');
        at = g.end;
    }
    out.push_str(&t[at..]);
    Cow::Owned(out)
}

/// The first tag in `text` that stands verbatim, as markup, in `source`
/// (the tag and the 20 bytes after it, whitespace folded): markup of the
/// page that came out as text. A tag the page wrote as text (`&lt;p&gt;`)
/// is not verbatim in the source.
#[cfg(test)]
pub(crate) fn leaked(source: &str, text: &str) -> Option<String> {
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let src = fold(source);
    tags(text).into_iter().find_map(|g| {
        let mut end = (g.end + 20).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let probe = fold(&text[g.start..end]);
        src.contains(&probe).then_some(probe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_markup_in_text_is_dropped() {
        assert_eq!(
            super::super::fold_space(&strip_tags(
                "Look for a <strong>verified battery health report</strong>, not a guess."
            )),
            "Look for a verified battery health report , not a guess."
        );
        assert_eq!(
            strip_tags("Tracking <img height=\"1\" width=\"1\" style=\"display:none\" src=\"https://x/p\"> pixel").split_whitespace().collect::<Vec<_>>(),
            ["Tracking", "pixel"]
        );
    }

    /// Every fixture page of the project, through the whole extractor: no
    /// line of its article shows markup of the page. (The same check over
    /// every eval set is in bench/evalsets.)
    #[test]
    fn no_markup_of_the_page_reaches_the_text() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let url = url::Url::parse("https://news.example.org/a").unwrap();
        let mut pages = 0;
        for dir in ["pages", "site"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = e.unwrap().path();
                if path.extension().is_none_or(|x| x != "html") {
                    continue;
                }
                let body = std::fs::read(&path).unwrap();
                let source = String::from_utf8_lossy(&body);
                if let Ok(a) = crate::extract::extract(&body, None, &url) {
                    pages += 1;
                    for line in std::iter::once(&a.title).chain(&a.paragraphs) {
                        assert_eq!(leaked(&source, line), None, "{}: {line}", path.display());
                    }
                }
            }
        }
        assert!(pages >= 20, "only {pages} fixture pages read");
    }

    #[test]
    fn tags_quoted_as_words_stay() {
        for t in [
            "<title> and <content>: the review's title and text.",
            "Use the <p> element for paragraphs.",
            "30 Years of <br> Tags",
            "if a < b and c > d then",
            "<bold> is not an element",
        ] {
            assert_eq!(strip_tags(t), t);
        }
    }
}
