//! Paragraph-level rules over the chosen container's blocks: furniture
//! sections from their heading to the next, linked teaser lists, bylines
//! before the text, lines furniture by their wording (`lines`), repeated
//! blocks, the headline repeated as the first paragraph.
//!
//! Pure: blocks in, paragraph texts out; does not choose the container
//! (`choose`). Part of `extract` (ARCHITECTURE.md, "Codemap").

use std::collections::HashSet;

use ego_tree::NodeId;
use scraper::Html;

use super::lines::{
    is_boilerplate_line, is_byline_or_date, is_dated_byline, is_furniture_heading,
    is_more_from_outlet, is_notice, word_count, DATED_BYLINE_WORDS, DATED_BYLINE_ZONE, END_MATTER,
    SECTION_LINES, SECTION_LINE_CHARS, SECTION_LINE_RANK,
};
use super::walk::{is_prose, Block, Kind, MAX_DEPTH};

/// A line of text, not a heading, that titles a furniture section ("ALSO
/// IN THE NEWS" in a bold `<div>`): themes style section titles without
/// heading tags. Short and free of links: a linked "Contact us" is a button.
pub(super) fn is_section_title_line(b: &Block) -> bool {
    if b.kind != Kind::Para || b.chars > SECTION_LINE_CHARS || b.link_chars > 0 {
        return false;
    }
    let l = b
        .text
        .trim()
        .trim_end_matches([':', '.', '!', '?', '›', '»', '→'])
        .trim()
        .to_lowercase();
    SECTION_LINES.contains(&l.as_str()) || END_MATTER.contains(&l.as_str())
}

/// Which blocks belong to a furniture section ("Related articles", "About
/// the author"), its title included: from a furniture heading to the next
/// heading of the same or a higher rank, or to long link-free prose, or,
/// near the top of the article or where the article goes on after it, out
/// of the box that holds its title (see [`section_box`]).
pub(super) fn furniture_sections(doc: &Html, kept: &[&Block]) -> Vec<bool> {
    let mut out = vec![false; kept.len()];
    // The rank of the section being skipped.
    let mut skipping: Option<u8> = None;
    // The element the section's title sits in, while the section is in it.
    let mut within: Option<NodeId> = None;
    // Whether the section held a list in that element.
    let mut listed = false;
    // Paragraphs of prose kept so far.
    let mut prose_before = 0usize;
    for (i, b) in kept.iter().enumerate() {
        // A box of related links set at the top of the article (before the
        // text, or a list of links after its lead) ends where the box does:
        // the article's paragraphs after it are not its own. Further down,
        // a title's box is often a small header over the list that follows
        // it, which is the rest of the section, unless the article plainly
        // goes on after a box that held the list.
        if skipping.is_some() {
            match within {
                Some(w) if !holds(doc, w, b.owner) => {
                    // Further down, two link-free paragraphs in a row after
                    // the box are the article going on; teasers come as a
                    // linked title and a blurb, again and again.
                    let goes_on = kept
                        .get(i..i + 2)
                        .is_some_and(|n| n.iter().all(|n| is_prose(n) && n.link_chars == 0));
                    let top = prose_before <= LEAD_PARAGRAPHS;
                    if prose_before == 0 || (listed && (top || goes_on)) {
                        skipping = None;
                    }
                    within = None;
                }
                Some(_) => listed |= b.kind == Kind::Item,
                None => {}
            }
        }
        let level = match b.kind {
            Kind::Heading(l) => Some(l),
            _ => None,
        };
        if let (Some(s), Some(l)) = (skipping, level) {
            if l <= s {
                skipping = None;
            }
        }
        // Long link-free prose is the article again, whatever the heading
        // said: furniture sections hold teasers and links, not essays.
        if skipping.is_some() && b.chars >= 300 && b.link_chars == 0 {
            skipping = None;
        }
        if skipping.is_none() {
            // "More <Outlet>" over a linked title: the outlet's teasers.
            let more_teasers = is_more_from_outlet(&b.text)
                && b.link_chars == 0
                && kept.get(i + 1).is_some_and(|n| n.link_chars * 2 > n.chars);
            if let Some(l) = level {
                if is_furniture_heading(&b.text) || more_teasers {
                    skipping = Some(l);
                }
            } else if is_section_title_line(b) || (more_teasers && b.chars <= SECTION_LINE_CHARS) {
                skipping = Some(SECTION_LINE_RANK);
            }
            within = if skipping.is_some() {
                section_box(doc, b.owner)
            } else {
                None
            };
            listed = false;
        }
        out[i] = skipping.is_some();
        prose_before += usize::from(!out[i] && is_prose(b));
    }
    out
}

/// The paragraphs of an article's lead (one or two): a furniture box after
/// them is still at the top of the article (see `furniture_sections`).
pub(super) const LEAD_PARAGRAPHS: usize = 2;

/// The box a section title sits in: the title's parent, or further up while
/// that holds nothing but the title (a `<header>` around an `<h2>`). The
/// section cannot outlast it. When the title stands straight in the
/// article's container, the box is the container and the section runs to
/// the next heading as before.
pub(super) fn section_box(doc: &Html, title: NodeId) -> Option<NodeId> {
    let mut node = doc.tree.get(title)?;
    for _ in 0..MAX_DEPTH {
        let parent = node.parent()?;
        let only_child = parent.children().filter(|c| c.value().is_element()).count() == 1;
        node = parent;
        if !only_child {
            break;
        }
    }
    Some(node.id())
}

/// Whether `outer` is `id` or one of its ancestors.
fn holds(doc: &Html, outer: NodeId, id: NodeId) -> bool {
    doc.tree.get(id).is_some_and(|n| {
        std::iter::once(n)
            .chain(n.ancestors())
            .take(MAX_DEPTH)
            .any(|a| a.id() == outer)
    })
}

/// For each block, whether the nearest heading above it is mostly link text.
pub(super) fn under_linked_heading(kept: &[&Block]) -> Vec<bool> {
    let mut linked = false;
    kept.iter()
        .map(|b| {
            if matches!(b.kind, Kind::Heading(_)) {
                linked = b.link_chars * 2 > b.chars;
            }
            linked
        })
        .collect()
}

/// Whether `clean` drops a block for what it says wherever it stands: a
/// byline or a date, a boilerplate line (a copyright line, a likes widget),
/// a notice or a sign-up call. Table cells hold dates as data, and
/// preformatted text is quoted as it stands (a boot log's own copyright
/// line), not the page's small print.
pub(super) fn dropped_for_its_wording(b: &Block) -> bool {
    (b.kind != Kind::Cell && is_byline_or_date(&b.text))
        || (b.kind != Kind::Pre && is_boilerplate_line(&b.text))
        || is_notice(&b.text)
}

/// A block this long that repeats an earlier one word for word is dropped
/// whatever its kind; shorter repeats only when they are paragraphs (list
/// items and table cells repeat legitimately: "Yes", "Pros", a spec).
pub(super) const REPEAT_MIN_CHARS: usize = 80;

pub(super) fn clean(doc: &Html, kept: &[&Block], title: &str) -> Vec<String> {
    let title_n: String = title
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let mut out: Vec<(String, Kind)> = Vec::new();
    // Every text kept so far, for the repeat check.
    let mut emitted: HashSet<&str> = HashSet::new();
    let mut seen_text = false;
    // Whether a block too long to be a byline has been kept.
    let mut seen_prose = false;
    // How many blocks of text (not headings) have been kept.
    let mut kept_text = 0usize;
    let in_section = furniture_sections(doc, kept);
    // Whether prose comes after each block: a list of links with the
    // article going on below it is the article's own (a checklist, a list of
    // resources); one that ends the container is furniture (recent posts,
    // a menu of services). Only prose that stays counts: an author's bio
    // under "About the author", a byline or a cookie notice after a list of
    // recent posts does not make the list part of the article.
    let mut prose_after = vec![false; kept.len()];
    // The same, counting only prose that is not under a heading that is a
    // link: a run of linked titles, each with its blurb, is a teaser list.
    let mut plain_prose_after = vec![false; kept.len()];
    let under_link = under_linked_heading(kept);
    // Once per block: read here and by the loop below.
    let by_wording: Vec<bool> = kept.iter().map(|b| dropped_for_its_wording(b)).collect();
    for i in (0..kept.len().saturating_sub(1)).rev() {
        let n = kept[i + 1];
        let stays = is_prose(n) && !in_section[i + 1] && !by_wording[i + 1];
        prose_after[i] = prose_after[i + 1] || stays;
        plain_prose_after[i] = plain_prose_after[i + 1] || (stays && !under_link[i + 1]);
    }
    for (i, b) in kept.iter().enumerate() {
        if in_section[i] || by_wording[i] {
            continue;
        }
        // Dated bylines come before the text; further down, a line with a
        // date and a "by" is as likely an entry of the article's own list
        // ("Released June 17, 2025 by Tor Books").
        if !seen_prose
            && kept_text < DATED_BYLINE_ZONE
            && !matches!(b.kind, Kind::Cell | Kind::Pre)
            && is_dated_byline(&b.text)
        {
            continue;
        }
        let ld = b.link_chars as f64 / b.chars.max(1) as f64;
        // A block that is mostly link text is navigation or a related-links
        // list, unless it is long prose with a few links, or an item of the
        // article's own list of links (see `prose_after`). A table of
        // contents (links to places on the page) is furniture wherever it is.
        // Prose must come before it too: a list of links between the
        // headline and the text is tags, categories or a breadcrumb.
        let article_list = b.kind == Kind::Item
            && seen_text
            && prose_after[i]
            && b.anchor_chars * 2 < b.link_chars;
        // A heading that is a link (a listicle's "1. Fluke 117", linked to
        // the product) titles a part of the article when the article goes on
        // below its section; a run of linked titles and blurbs with no
        // other prose after it is a list of teasers.
        // A heading that links to another place on the page ("Back to the
        // top") is a link, not a title.
        let linked_heading = matches!(b.kind, Kind::Heading(_))
            && seen_text
            && plain_prose_after[i]
            && b.anchor_chars * 2 < b.link_chars;
        if (ld > 0.5 || (ld > 0.3 && b.chars < 60 && b.kind == Kind::Item))
            && !article_list
            && !linked_heading
        {
            continue;
        }
        let n: String = b
            .text
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        if n.is_empty() {
            continue;
        }
        if !seen_text && (n == title_n || b.kind == Kind::Heading(1)) {
            continue;
        }
        if b.kind == Kind::Caption {
            continue;
        }
        if !matches!(b.kind, Kind::Heading(_)) {
            seen_text = true;
        }
        // A call to action repeated down the page: keep the first. A long
        // block of any kind said twice word for word is a widget printed
        // twice (a carousel's cloned slides, the mobile and desktop copies
        // of a box), not the article repeating itself: keep the first too.
        // Dummy text that reached here is the text of a page made of it
        // (see `walk::placeholders_are_the_text`), which repeats its filler
        // by design.
        let repeat = !b.placeholder
            && ((b.kind == Kind::Para && b.chars >= 20) || b.chars >= REPEAT_MIN_CHARS);
        let first = emitted.insert(b.text.as_str());
        if repeat && !first {
            continue;
        }
        if !matches!(b.kind, Kind::Heading(_)) {
            kept_text += 1;
            seen_prose |= word_count(&b.text) > DATED_BYLINE_WORDS;
        }
        out.push((b.text.clone(), b.kind));
    }
    // Headings with nothing after them head furniture that was removed.
    while out
        .last()
        .is_some_and(|(_, k)| matches!(k, Kind::Heading(_)))
    {
        out.pop();
    }
    out.into_iter().map(|(t, _)| t).collect()
}
