//! A second opinion on a short first pick.
//!
//! Pure, like the rest of `extract`; must not parse or read metadata. The
//! first pass (`content::choose`) takes the element whose prose, net of the
//! furniture under it, is largest. On a short article that shares its
//! wrapper with a teaser list or a sign-up box, the furniture can outweigh
//! the prose and the pick shrinks to one paragraph: the article is cut.
//! When the first pick is that short, content scoring in the manner of
//! Readability (`content::choose_by_score`, which credits paragraphs to
//! their containers and ignores furniture) gives a second opinion; it is
//! taken only when it agrees, holding every paragraph of the first pick,
//! and finds more prose. Pages whose first pick is long enough never pay
//! for it.
//!
//! Part of `extract` (ARCHITECTURE.md, "Codemap").

use scraper::Html;

use super::content::{self, Block, Chosen};

/// A first pick with fewer words than this, or of one paragraph, asks for
/// a second opinion.
const SHORT_WORDS: usize = 120;

/// The article's paragraphs, and whether the second opinion gave them.
pub fn choose(doc: &Html, blocks: &[Block], title: &str) -> (Chosen, bool) {
    let first = content::choose(doc, blocks, title);
    let words: usize = first
        .paragraphs
        .iter()
        .map(|p| p.split_whitespace().count())
        .sum();
    if first.paragraphs.is_empty() || (words >= SHORT_WORDS && first.paragraphs.len() > 1) {
        return (first, false);
    }
    let second = content::choose_by_score(doc, blocks, title);
    let agrees = first
        .paragraphs
        .iter()
        .all(|p| second.paragraphs.contains(p));
    if agrees && second.chars > first.chars {
        (second, true)
    } else {
        (first, false)
    }
}

#[cfg(test)]
mod tests {
    use crate::extract::extract;
    use url::Url;

    #[test]
    fn a_short_article_beside_a_teaser_list_keeps_all_its_paragraphs() {
        // Regression: the teaser cards' blurbs, furniture under the
        // article's own wrapper, outweighed its three short paragraphs, and
        // the first pass cut the article down to its longest one.
        let card = |i: usize| {
            format!(
                "<div class=\"item\"><h3><a href=\"/s/{i}\">Another story from the same site, number {i}</a></h3>\
                 <p>A blurb of the other story that reads like prose, long enough to weigh as much as a paragraph of the article does.</p></div>"
            )
        };
        let html = format!(
            "<html><head><title>Court orders inquiry</title></head><body><div class=\"page\"><h1>Court orders inquiry</h1>\
             <p>A court in Moscow on Thursday ordered investigators to open an inquiry into the detention of four men in Grozny last spring.</p>\
             <p>The men's families had asked the court to act after prosecutors left eleven letters unanswered, their lawyer said.</p>\
             <p>Investigators have a month to report to the court on what they have found, the judge said.</p>\
             <div class=\"list\">{}{}{}</div></div></body></html>",
            card(1),
            card(2),
            card(3)
        );
        let url = Url::parse("https://news.example.org/a").unwrap();
        let a = extract(html.as_bytes(), None, &url).expect("the article");
        assert_eq!(a.paragraphs.len(), 3, "{:?}", a.paragraphs);
        assert!(
            a.paragraphs[2].starts_with("Investigators"),
            "{:?}",
            a.paragraphs
        );
        assert_eq!(a.method, crate::extract::Method::Scored);
    }
}
