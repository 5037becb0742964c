//! A headline for an article whose page names none.
//!
//! Pure, like the rest of `extract`: works on the text blocks and the body
//! already chosen; must not decide what the body is. Old pages and pages
//! saved in part carry no `<title>`, no `<h1>` and no metadata, yet their
//! article is plain to read: its headline is the short line set just above
//! the body, or, failing one, the body's first words. A missing headline
//! is never a reason to drop the article.
//!
//! Part of `extract` (ARCHITECTURE.md, "Codemap").

use super::content::{is_byline_or_date, Block, Kind};

/// How far above the body's first paragraph a headline may stand, in
/// blocks (a dateline, a byline and a share bar may sit between).
const LOOK_BACK: usize = 8;
/// A headline's length in words.
const MIN_WORDS: usize = 3;
const MAX_WORDS: usize = 25;
/// The body's first words make the headline of last resort.
const FIRST_WORDS: usize = 12;

/// The headline for `paragraphs`, the body found in `blocks`, and the body
/// without it when it was the body's own first line.
pub fn headline(blocks: &[Block], mut paragraphs: Vec<String>) -> (String, Vec<String>) {
    let Some(first) = paragraphs.first() else {
        return (String::new(), paragraphs);
    };
    if let Some(start) = blocks.iter().position(|b| b.text == *first) {
        let above = &blocks[start.saturating_sub(LOOK_BACK)..start];
        let shaped = || {
            above
                .iter()
                .rev()
                .filter(|b| is_headline_shaped(&b.text) && b.link_chars * 2 < b.chars)
        };
        // The nearest heading element, else the nearest line of the shape.
        let pick = shaped()
            .find(|b| matches!(b.kind, Kind::Heading(_)))
            .or_else(|| shaped().next());
        if let Some(b) = pick {
            return (b.text.clone(), paragraphs);
        }
    }
    if paragraphs.len() > 1 && is_headline_shaped(first) {
        let title = paragraphs.remove(0);
        return (title, paragraphs);
    }
    let words: Vec<&str> = first.split_whitespace().collect();
    let mut title = words[..words.len().min(FIRST_WORDS)].join(" ");
    if words.len() > FIRST_WORDS {
        title.push('…');
    }
    (title, paragraphs)
}

/// A line shaped like a headline: a few words, no closing full stop, not a
/// byline or a date.
fn is_headline_shaped(t: &str) -> bool {
    let n = t.split_whitespace().count();
    (MIN_WORDS..=MAX_WORDS).contains(&n) && !t.ends_with(['.', ':', ',']) && !is_byline_or_date(t)
}

#[cfg(test)]
mod tests {
    use crate::extract::extract;
    use url::Url;

    const PARAS: &str = "<p>Rights groups said on Tuesday that at least a dozen men had been detained in Grozny in the past month, and that relatives had been told not to speak to reporters.</p>\
        <p>The men were held for several days, the groups said, and some were released only after their families paid, according to accounts gathered by the monitors.</p>";

    fn page(before: &str) -> String {
        // No <title>, no <h1>, no metadata: a page saved in part.
        format!("<html><body><div class=\"nav\"><a href=\"/\">Home</a></div>{before}{PARAS}</body></html>")
    }

    fn url() -> Url {
        Url::parse("https://news.example.org/2008/01/story.html").unwrap()
    }

    #[test]
    fn an_article_without_a_title_is_not_dropped() {
        // Regression: "no article found" for an article whose page had no
        // headline anywhere (40 of 621 pages of a 2008 news set).
        let html = page("<div class=\"hd\"><b>Rights groups report detentions in Grozny</b></div>");
        let a = extract(html.as_bytes(), None, &url()).expect("the article");
        assert_eq!(a.title, "Rights groups report detentions in Grozny");
        assert_eq!(a.paragraphs.len(), 2, "{:?}", a.paragraphs);
    }

    #[test]
    fn with_no_line_above_the_body_its_first_words_are_the_headline() {
        let a = extract(page("").as_bytes(), None, &url()).expect("the article");
        assert_eq!(
            a.title,
            "Rights groups said on Tuesday that at least a dozen men had…"
        );
        assert_eq!(a.paragraphs.len(), 2, "{:?}", a.paragraphs);
    }
}
