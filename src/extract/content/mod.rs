//! The main text of a page: which blocks of text are the article.
//!
//! Pure: works on a parsed document. The method is site-independent:
//! 1. one walk over the DOM cuts the page into text blocks (a run of inline
//!    text between block-level boundaries), each with its link text, its
//!    owning block element, and whether it sits in page furniture (navigation,
//!    share bars, newsletter boxes, related links, cookie notices, comments:
//!    recognised by tag, ARIA role and class/id words; inside `<pre>` and
//!    `<code>` classes are highlighting, not furniture);
//! 2. the container: the element whose prose, net of the furniture under it,
//!    is largest (`coverage_best`); only when no element has prose net of
//!    furniture, content scoring in the manner of Readability (paragraph-sized
//!    blocks credit their ancestors by length and commas, damped by link
//!    density; the best container and its like-scored siblings);
//! 3. paragraph-level rules drop what slipped through (link lists, sharing
//!    calls, bylines, notices and sign-up calls found by their wording, short
//!    boilerplate lines, furniture sections, trailing headings).
//!
//! Walks are depth-limited so a pathologically nested page costs linear time
//! and bounded stack.
//!
//! The stages live in one file each: `marks` (furniture by markup), `walk`
//! (blocks), `choose` (the container), `lines` (furniture by wording),
//! `clean` (paragraph rules) and `trim` (reference and bio trims). Must not
//! touch the page's metadata or the headline (`meta`, `headline`). Part of
//! `extract` (ARCHITECTURE.md, "Codemap").

mod choose;
mod clean;
mod lines;
mod marks;
mod trim;
mod walk;

#[cfg(test)]
mod tests;

pub use choose::{choose, choose_by_score, Chosen};
pub(crate) use lines::is_byline_or_date;
pub(crate) use marks::BLOCK_TAGS;
pub use trim::{vet_by_reference, without_author_bio, without_closing_bio};
pub use walk::{all_text, blocks, prompt_text, without_soft_furniture, Block, Kind, MAX_DEPTH};
