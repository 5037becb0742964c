//! One depth-limited walk over the DOM that cuts the page into text
//! [`Block`]s: a run of inline text between block-level boundaries, with its
//! link text, its owning block element, and whether it sits in furniture
//! (marked by `marks`; resolved after the walk, a soft mark yields when the
//! element turns out to hold the article).
//!
//! Pure: reads the parsed document, never changes it; decides nothing about
//! which blocks are the article (that is `choose`). Part of `extract`
//! (ARCHITECTURE.md, "Codemap").

use std::collections::{HashMap, HashSet};

use ego_tree::{NodeId, NodeRef};
use scraper::{Html, Node};

use super::lines::is_boilerplate_line;
use super::marks::{is_hidden, noise_of, Noise, BLOCK_TAGS, SKIP_TAGS};
use crate::extract::fold_space;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Para,
    Heading(u8),
    Item,
    Quote,
    Pre,
    Cell,
    Caption,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub text: String,
    /// Characters of text inside links.
    pub link_chars: usize,
    /// Of those, characters inside links to a place on the same page
    /// ("#section-2"): a table of contents.
    pub(super) anchor_chars: usize,
    pub chars: usize,
    /// The block element that owns this run of text.
    pub owner: NodeId,
    pub kind: Kind,
    /// Inside page furniture (resolved after the walk, see [`blocks`]).
    pub noise: bool,
    /// Furniture by tag, role or a hard class word: never article text.
    pub(super) hard: bool,
    /// Elements around this block that look like furniture by class or tag
    /// alone; they are furniture unless they turn out to hold the article.
    pub(super) soft: Vec<NodeId>,
    /// Placeholder text ("Lorem ipsum ..."): hard for that alone, as
    /// furniture beside real prose; not hard on a page made of it (see
    /// [`placeholders_are_the_text`]), where it is the text.
    pub(super) placeholder: bool,
}

pub const MAX_DEPTH: usize = 400;
pub(super) const SOFT_MIN_CHARS: usize = 1000;

pub(super) struct Walker<'c> {
    cards: &'c HashSet<NodeId>,
    blocks: Vec<Block>,
    buf: String,
    buf_links: usize,
    buf_anchors: usize,
    /// Depth of same-page links (`href="#..."`) around the walk.
    in_anchor: usize,
    /// Depth of `<pre>` and `<code>` around the walk: inside them classes
    /// name tokens for syntax highlighting ("hljs-comment", "token tag"),
    /// never page furniture.
    in_code: usize,
    owners: Vec<(NodeId, Kind, bool)>,
    soft: Vec<NodeId>,
}

impl Walker<'_> {
    fn flush(&mut self) {
        if self.buf.trim().is_empty() {
            self.buf.clear();
            self.buf_links = 0;
            self.buf_anchors = 0;
            return;
        }
        let text = fold_space(&self.buf);
        let chars = text.chars().count();
        if let Some(&(owner, kind, hard)) = self.owners.last() {
            let soft = self.soft.clone();
            // Placeholder text is a template's unfilled slot, never the
            // article: it must not draw the container choice to itself.
            let placeholder = !hard && is_placeholder(&text);
            let hard = hard || placeholder;
            let noise = hard || !soft.is_empty();
            self.blocks.push(Block {
                text,
                link_chars: self.buf_links.min(chars),
                anchor_chars: self.buf_anchors.min(chars),
                chars,
                owner,
                kind,
                noise,
                hard,
                soft,
                placeholder,
            });
        }
        self.buf.clear();
        self.buf_links = 0;
        self.buf_anchors = 0;
    }

    fn walk(&mut self, node: NodeRef<Node>, depth: usize, noise: bool, in_link: bool) {
        if depth > MAX_DEPTH {
            return;
        }
        match node.value() {
            Node::Text(t) => {
                // Tags a CMS escaped into the text are markup, not words;
                // in code they are what the article shows.
                if self.in_code == 0 {
                    self.buf.push_str(&crate::extract::markup::strip_tags(t));
                } else {
                    self.buf.push_str(t);
                }
                if in_link {
                    let n = t.chars().filter(|c| !c.is_whitespace()).count();
                    self.buf_links += n;
                    if self.in_anchor > 0 {
                        self.buf_anchors += n;
                    }
                }
            }
            Node::Element(el) => {
                let name = el.name();
                if SKIP_TAGS.contains(&name) {
                    return;
                }
                if name == "br" {
                    self.buf.push('\n');
                    // Two breaks in a row end a paragraph.
                    if self.buf.trim_end_matches([' ', '\t']).ends_with("\n\n") {
                        self.flush();
                    }
                    return;
                }
                // Hidden elements are furniture (menus, modals) unless they
                // hold the prose: server-rendered apps ship the whole page in
                // a hidden wrapper and reveal it by script.
                let own = if (is_hidden(el) && !matches!(name, "body" | "html"))
                    || self.cards.contains(&node.id())
                {
                    Noise::Soft
                } else if self.in_code > 0 {
                    Noise::No
                } else {
                    noise_of(el)
                };
                let code = usize::from(matches!(name, "pre" | "code"));
                let el_noise = noise || own == Noise::Hard;
                if BLOCK_TAGS.contains(&name) {
                    // The text before this element is its parent's: flushed
                    // before this element's furniture mark is pushed, not
                    // under it (a paragraph before a "caption-container").
                    self.flush();
                    if own == Noise::Soft {
                        self.soft.push(node.id());
                    }
                    let kind = match name {
                        "h1" => Kind::Heading(1),
                        "h2" => Kind::Heading(2),
                        "h3" => Kind::Heading(3),
                        "h4" | "h5" | "h6" => Kind::Heading(4),
                        "li" | "dt" | "dd" => Kind::Item,
                        "blockquote" => Kind::Quote,
                        "pre" => Kind::Pre,
                        "td" | "th" => Kind::Cell,
                        "figcaption" | "caption" => Kind::Caption,
                        _ => Kind::Para,
                    };
                    self.owners.push((node.id(), kind, el_noise));
                    self.in_code += code;
                    for c in node.children() {
                        self.walk(c, depth + 1, el_noise, in_link);
                    }
                    self.in_code -= code;
                    self.flush();
                    self.owners.pop();
                    if own == Noise::Soft {
                        self.soft.pop();
                    }
                } else {
                    // Inline furniture (a share link, an ad label) is dropped
                    // outright: it would otherwise glue itself to a paragraph.
                    if own != Noise::No {
                        return;
                    }
                    // Footnote markers ("¹", "[3]") would glue digits to words.
                    if name == "sup" && is_footnote_marker(node) {
                        return;
                    }
                    // A section title's link to itself (its permalink,
                    // "#cognitive-benefits") leads nowhere else: its text is
                    // the title's, not link text.
                    let in_heading = self
                        .owners
                        .last()
                        .is_some_and(|&(_, k, _)| matches!(k, Kind::Heading(_)));
                    let a = name == "a" && !(in_heading && is_self_link(node, el));
                    let link = in_link || a;
                    let anchor = a && el.attr("href").is_some_and(|h| h.starts_with('#'));
                    self.in_anchor += usize::from(anchor);
                    self.in_code += code;
                    for c in node.children() {
                        self.walk(c, depth + 1, el_noise, link);
                    }
                    self.in_code -= code;
                    self.in_anchor -= usize::from(anchor);
                }
            }
            _ => {
                for c in node.children() {
                    self.walk(c, depth + 1, noise, in_link);
                }
            }
        }
    }
}

/// How far up from a same-page link the element it points to is looked for.
pub(super) const SELF_LINK_LEVELS: usize = 4;

/// Whether a link points to itself or to an element it sits in:
/// `<h3 id="x"><a href="#x">Title</a></h3>`.
pub(super) fn is_self_link(node: NodeRef<Node>, el: &scraper::node::Element) -> bool {
    let Some(target) = el.attr("href").and_then(|h| h.strip_prefix('#')) else {
        return false;
    };
    // The fragment is percent-encoded ("#caf%C3%A9"), the id is not.
    let target = percent_encoding::percent_decode_str(target).decode_utf8_lossy();
    let target = Some(target.as_ref());
    target != Some("")
        && (el.attr("id") == target
            || node
                .ancestors()
                .take(SELF_LINK_LEVELS)
                .any(|a| matches!(a.value(), Node::Element(e) if e.attr("id") == target)))
}

/// Dummy text ("Lorem ipsum dolor sit amet, ...") that page templates ship
/// in slots the publisher left empty.
pub(super) fn is_placeholder(t: &str) -> bool {
    // The template's own words, not an article that mentions them.
    t.get(..17)
        .is_some_and(|p| p.eq_ignore_ascii_case("lorem ipsum dolor"))
}

/// Whether the page's placeholder text is its text: the other prose of the
/// page is the same dummy text (a template shown as it ships, a test page
/// whose filler paragraphs open with other words of it: "Tempor incididunt
/// ut labore ..."), not an article beside an unfilled slot. A prose block
/// is filler when most of its words are the placeholder blocks' own, or
/// when it reads as Latin, as the generators' scrambled dummy text does
/// ("Quae veniam recusandae vel cupiditate ..."); only pages with a
/// placeholder block pay for the language test. Real prose must outweigh
/// the filler for the placeholders to stay furniture. On a page made of
/// dummy text, the filler blocks are returned: they are placeholder text
/// too.
pub(super) fn placeholders_are_the_text(blocks: &[Block]) -> Option<Vec<usize>> {
    let words = |t: &str| {
        t.split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
    };
    let dummy: HashSet<String> = blocks
        .iter()
        .filter(|b| b.placeholder)
        .flat_map(|b| words(&b.text))
        .collect();
    if dummy.is_empty() {
        return None;
    }
    let (mut filler, mut real) = (Vec::new(), 0usize);
    for (i, b) in blocks.iter().enumerate() {
        if b.hard || !prose_sized(b) {
            continue;
        }
        let ws = words(&b.text);
        let known = ws.iter().filter(|w| dummy.contains(*w)).count();
        if known * 2 >= ws.len() || whatlang::detect_lang(&b.text) == Some(whatlang::Lang::Lat) {
            filler.push(i);
        } else {
            real += b.chars;
        }
    }
    (real <= filler.iter().map(|&i| blocks[i].chars).sum()).then_some(filler)
}

pub(super) fn is_footnote_marker(node: NodeRef<Node>) -> bool {
    let mut text = String::new();
    for d in node.descendants().take(16) {
        if let Node::Text(t) = d.value() {
            text.push_str(t);
        }
    }
    let t = text.trim().trim_start_matches('[').trim_end_matches(']');
    !t.is_empty()
        && t.len() <= 4
        && t.chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '-')
}

/// Teaser cards: three or more sibling containers of one tag and class, each
/// a link with a little text (related posts, "more stories" grids, product
/// tiles). Article prose never comes in that shape.
pub(super) fn find_cards(doc: &Html) -> HashSet<NodeId> {
    let mut cards = HashSet::new();
    for node in doc.tree.nodes() {
        let Node::Element(_) = node.value() else {
            continue;
        };
        let mut groups: HashMap<(&str, &str), Vec<NodeRef<Node>>> = HashMap::new();
        for c in node.children() {
            if let Node::Element(e) = c.value() {
                if matches!(e.name(), "div" | "article" | "section") {
                    if let Some(class) = e.attr("class") {
                        groups.entry((e.name(), class)).or_default().push(c);
                    }
                }
            }
        }
        for (_, members) in groups {
            if members.len() < 3 {
                continue;
            }
            let mut all_cards = true;
            for m in &members {
                let (mut text, mut link) = (0usize, 0usize);
                for d in m.descendants().take(2000) {
                    if let Node::Text(t) = d.value() {
                        let n = t.trim().chars().count();
                        text += n;
                        if d.ancestors()
                            .take(8)
                            .any(|a| matches!(a.value(), Node::Element(e) if e.name() == "a"))
                        {
                            link += n;
                        }
                    }
                }
                if !(link >= 10 && text < 400 && link * 5 >= text) {
                    all_cards = false;
                    break;
                }
            }
            if all_cards {
                cards.extend(members.iter().map(|m| m.id()));
            }
        }
    }
    cards
}

/// The prose inside one soft-furniture element, in document order.
#[derive(Default)]
pub(super) struct ProseTally {
    /// Characters in paragraph-sized, mostly link-free blocks.
    chars: usize,
    /// How many such blocks.
    paras: usize,
    /// Whether one of them follows another with no link line in between.
    in_a_row: bool,
    /// Whether the last such block came after the last link line.
    after_prose: bool,
}

/// Cuts the tree under `root` into text blocks.
pub fn blocks(doc: &Html, root: NodeId) -> Vec<Block> {
    let cards = find_cards(doc);
    let mut w = Walker {
        cards: &cards,
        blocks: Vec::new(),
        buf: String::new(),
        buf_links: 0,
        buf_anchors: 0,
        in_anchor: 0,
        in_code: 0,
        owners: vec![(root, Kind::Para, false)],
        soft: Vec::new(),
    };
    if let Some(n) = doc.tree.get(root) {
        w.walk(n, 0, false, false);
    }
    w.flush();
    let mut blocks = w.blocks;
    if let Some(filler) = placeholders_are_the_text(&blocks) {
        for b in blocks.iter_mut().filter(|b| b.placeholder) {
            // A placeholder was hard for that alone (see `Walker::flush`).
            b.hard = false;
        }
        for i in filler {
            blocks[i].placeholder = true;
        }
    }
    // A soft-furniture element that holds real prose is the article's
    // wrapper, not furniture.
    let mut prose: HashMap<NodeId, ProseTally> = HashMap::new();
    for b in &blocks {
        let is_prose = !b.hard && prose_sized(b);
        let is_link_line = b.link_chars * 2 > b.chars;
        if !is_prose && !is_link_line {
            continue;
        }
        for &id in &b.soft {
            let t = prose.entry(id).or_default();
            if is_link_line {
                t.after_prose = false;
            }
            if is_prose {
                t.chars += b.chars;
                t.paras += 1;
                t.in_a_row |= t.after_prose;
                t.after_prose = true;
            }
        }
    }
    // A soft-furniture element that holds real prose (four paragraphs, a
    // thousand characters) is the article's wrapper despite its class name.
    // Not when no two of its paragraphs come in a row without a link line
    // between them: that is a teaser list (a linked title, a blurb, again
    // and again), whose blurbs read like prose but are not the article.
    let mut released: HashSet<NodeId> = prose
        .iter()
        .filter(|(_, t)| t.chars >= SOFT_MIN_CHARS && t.paras >= 4 && t.in_a_row)
        .map(|(&id, _)| id)
        .collect();
    // Its siblings of the same tag and class are more of the same wrapper:
    // an article cut into sections ("toc-para" chapters), each too short to
    // pass on its own.
    let mut kin = Vec::new();
    for &id in &released {
        let Some(node) = doc.tree.get(id) else {
            continue;
        };
        let Node::Element(el) = node.value() else {
            continue;
        };
        let Some(parent) = node.parent() else {
            continue;
        };
        let hidden = is_hidden(el);
        for sib in parent.children() {
            let Node::Element(e) = sib.value() else {
                continue;
            };
            // Without a class, siblings of one tag say nothing about each
            // other, unless both are hidden: pages streamed in chunks ship
            // each chunk in a hidden, classless <div> and reveal it by script.
            let same = e.name() == el.name()
                && if hidden {
                    is_hidden(e)
                } else {
                    el.attr("class").is_some_and(|c| !c.trim().is_empty())
                        && e.attr("class") == el.attr("class")
                };
            if same {
                kin.push(sib.id());
            }
        }
    }
    released.extend(kin);
    for b in &mut blocks {
        b.soft.retain(|id| !released.contains(id));
        b.noise = b.hard || !b.soft.is_empty();
    }
    blocks
}

/// The same blocks with only the hard furniture marks kept (navigation,
/// comments, cookie notices). For the second look at a page whose article sits
/// inside a wrapper named like furniture ("content-sidebar-wrap",
/// "hub--header") and is too short or too broken up by images to be
/// recognised as the article's wrapper. Placeholder text is no longer
/// furniture either: a page with no other prose is made of it.
pub fn without_soft_furniture(blocks: &[Block]) -> Vec<Block> {
    blocks
        .iter()
        .map(|b| Block {
            noise: b.hard && !b.placeholder,
            ..b.clone()
        })
        .collect()
}

/// Every non-furniture block, for fragments and as a last resort.
pub fn all_text(blocks: &[Block], include_noise: bool) -> Vec<String> {
    blocks
        .iter()
        .filter(|b| include_noise || !b.noise)
        .filter(|b| {
            b.link_chars * 2 <= b.chars && (b.kind == Kind::Pre || !is_boilerplate_line(&b.text))
        })
        .map(|b| b.text.clone())
        .collect()
}

/// The page's text where a paywall prompt could be, lower-cased: every block
/// except hard furniture. Comments are left out because readers talk about
/// paywalls and subscriptions there.
pub fn prompt_text(blocks: &[Block]) -> String {
    blocks
        .iter()
        .filter(|b| !b.hard)
        .map(|b| b.text.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Long enough to be prose and mostly not link text.
pub(super) fn prose_sized(b: &Block) -> bool {
    b.chars >= 80 && b.link_chars * 4 < b.chars
}

pub(super) fn is_prose(b: &Block) -> bool {
    b.kind == Kind::Para && prose_sized(b)
}
