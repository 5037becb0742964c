//! Repairs to the page text before it is parsed, for damage that would
//! otherwise cost the whole article.
//!
//! Pure: text in, text out; must not parse, score or decide anything about
//! the article.
//!
//! Part of `extract` (ARCHITECTURE.md, "Codemap").

use std::borrow::Cow;

/// Closes a `<title>` that the page never closes.
///
/// A title's content is raw text up to `</title>`, so when the end tag is
/// missing (a page saved in part, a template that lost it) the parser takes
/// the rest of the document, article included, for the title, and the page
/// seems to hold no text at all. The title ends instead where its first line
/// ends, or at the first tag, whichever comes first.
pub fn close_runaway_title(text: &str) -> Cow<'_, str> {
    let Some(open) = find_ascii_ci(text, 0, "<title") else {
        return Cow::Borrowed(text);
    };
    let Some(gt) = text[open..].find('>').map(|i| open + i + 1) else {
        return Cow::Borrowed(text);
    };
    // Only `</title` then space, `/` or `>` ends it (`</titlevalue=...>`
    // does not).
    let mut from = gt;
    while let Some(at) = find_ascii_ci(text, from, "</title") {
        let next = text.as_bytes().get(at + 7).copied();
        if next.is_none_or(|b| b.is_ascii_whitespace() || b == b'/' || b == b'>') {
            return Cow::Borrowed(text);
        }
        from = at + 7;
    }
    let rest = &text[gt..];
    // Skip the blank lines a template may put before the words.
    let lead = rest.len() - rest.trim_start().len();
    let end = rest[lead..]
        .find(['\n', '\r', '<'])
        .map_or(text.len(), |i| gt + lead + i);
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..end]);
    out.push_str("</title>");
    out.push_str(&text[end..]);
    Cow::Owned(out)
}

/// The byte offset of `needle` (ASCII, lower case) in `hay` at or after
/// `from`, ignoring ASCII case.
fn find_ascii_ci(hay: &str, from: usize, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    hay.as_bytes()
        .get(from..)?
        .windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
        .map(|i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_title_ends_with_its_line() {
        let page = "<html><head><TITLE>Golfer wins the open\nvar x = 1;\n</head><body><p>Text.</p>";
        assert_eq!(
            close_runaway_title(page),
            "<html><head><TITLE>Golfer wins the open</title>\nvar x = 1;\n</head><body><p>Text.</p>"
        );
    }

    #[test]
    fn a_broken_end_tag_does_not_close_the_title() {
        let page = "<title id=t>Oil talks - News</titlevalue=\"true\" -->\n<p>Body.</p>";
        assert_eq!(
            close_runaway_title(page),
            "<title id=t>Oil talks - News</title></titlevalue=\"true\" -->\n<p>Body.</p>"
        );
    }

    #[test]
    fn a_closed_title_is_left_alone() {
        for page in ["<title>A</TITLE><p>b</p>", "<p>no title at all</p>"] {
            assert!(
                matches!(close_runaway_title(page), Cow::Borrowed(_)),
                "{page}"
            );
        }
    }

    #[test]
    fn an_unclosed_title_no_longer_hides_the_article() {
        // Regression: the parser read the whole page into the title and
        // found no text at all ("no article found").
        let page = "<html><head>\n<title>Court rules on the complaint (The Ledger)\n<meta charset=\"utf-8\">\n</head><body>\
            <p>The court ruled on Tuesday that the complaint brought by the families of the detained men could go ahead, and ordered the ministry to answer it.</p>\
            <p>Lawyers for the families said the ruling was the first of its kind and that they expected the ministry to appeal against it within the month.</p></body></html>";
        let url = url::Url::parse("https://news.example.org/a").unwrap();
        let a = crate::extract::extract(page.as_bytes(), None, &url).expect("the article");
        assert_eq!(a.title, "Court rules on the complaint (The Ledger)");
        assert_eq!(a.paragraphs.len(), 2, "{:?}", a.paragraphs);
    }
}
