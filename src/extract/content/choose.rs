//! The article's container: the element whose prose, net of the furniture
//! under it, is largest (`coverage_best`), or, when no element has prose net
//! of furniture, Readability-style scoring (`choose_by_score`). The chosen
//! blocks go to `clean` for the paragraph-level rules.
//!
//! Pure: blocks and the parsed document in, paragraphs out; no wording
//! rules of its own (those are in `lines`). Part of `extract`
//! (ARCHITECTURE.md, "Codemap").

use std::collections::{HashMap, HashSet};

use ego_tree::{NodeId, NodeRef};
use scraper::{Html, Node};

use super::clean::clean;
use super::marks::{attr_words, has_content_hint, is_noise, NEGATIVE_WORDS, POSITIVE_WORDS};
use super::walk::{Block, Kind, MAX_DEPTH};

pub(super) fn class_weight(el: &scraper::node::Element) -> f64 {
    let words = attr_words(el.attr("class"), el.attr("id"));
    let mut w = 0.0;
    if words.iter().any(|x| NEGATIVE_WORDS.contains(&x.as_str())) {
        w -= 25.0;
    }
    if words.iter().any(|x| POSITIVE_WORDS.contains(&x.as_str())) {
        w += 25.0;
    }
    if has_content_hint(el.attr("class"), el.attr("id"), el.attr("itemprop")) {
        w += 25.0;
    }
    w
}

pub(super) fn tag_score(name: &str) -> f64 {
    match name {
        "article" => 10.0,
        "div" | "main" | "section" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    }
}

pub(super) fn commas(s: &str) -> usize {
    s.chars()
        .filter(|c| matches!(c, ',' | '，' | '、' | '،'))
        .count()
}

/// The result of choosing the article's container.
pub struct Chosen {
    pub paragraphs: Vec<String>,
    pub chars: usize,
}

/// Picks the article's blocks among `blocks` (all blocks of the page).
pub fn choose(doc: &Html, blocks: &[Block], title: &str) -> Chosen {
    if let Some(c) = coverage_best(doc, blocks) {
        return emit(doc, blocks, &HashSet::from([c]), title);
    }
    // No element with prose net of furniture.
    choose_by_score(doc, blocks, title)
}

/// The container by Readability-style content scoring alone: the fallback
/// of [`choose`], and the second opinion of `extract::second`.
pub fn choose_by_score(doc: &Html, blocks: &[Block], title: &str) -> Chosen {
    // Totals of text and link text under every element, for link density.
    let mut totals: HashMap<NodeId, (usize, usize)> = HashMap::new();
    let mut scores: HashMap<NodeId, f64> = HashMap::new();
    for b in blocks.iter().filter(|b| !b.noise) {
        let Some(owner) = doc.tree.get(b.owner) else {
            continue;
        };
        for (i, a) in std::iter::once(owner).chain(owner.ancestors()).enumerate() {
            if i > MAX_DEPTH {
                break;
            }
            let t = totals.entry(a.id()).or_default();
            t.0 += b.chars;
            t.1 += b.link_chars;
        }
        if b.chars < 25 || matches!(b.kind, Kind::Heading(_)) {
            continue;
        }
        let ld = b.link_chars as f64 / b.chars.max(1) as f64;
        if ld > 0.5 {
            continue;
        }
        let score = 1.0 + commas(&b.text) as f64 + (b.chars as f64 / 100.0).min(3.0);
        // The owner itself is a candidate when it holds text directly (a div
        // of text with <br>s); for a <p> its parent is the first candidate.
        let owner_is_para = matches!(owner.value(), Node::Element(e) if e.name() == "p");
        let start: Box<dyn Iterator<Item = NodeRef<Node>>> = if owner_is_para {
            Box::new(owner.ancestors())
        } else {
            Box::new(std::iter::once(owner).chain(owner.ancestors()))
        };
        for (level, a) in start.take(5).enumerate() {
            let Node::Element(el) = a.value() else { break };
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f64 * 3.0,
            };
            let s = scores
                .entry(a.id())
                .or_insert_with(|| tag_score(el.name()) + class_weight(el));
            *s += score / divider;
        }
    }
    let final_score = |id: NodeId, s: f64| {
        let (chars, links) = totals.get(&id).copied().unwrap_or((0, 0));
        s * (1.0 - links as f64 / chars.max(1) as f64)
    };
    let mut best: Option<(NodeId, f64)> = None;
    for (&id, &s) in &scores {
        let f = final_score(id, s);
        if best.is_none_or(|(bid, b)| f > b || (f == b && id < bid)) {
            best = Some((id, f));
        }
    }
    let Some((mut top, top_score)) = best else {
        return Chosen {
            paragraphs: Vec::new(),
            chars: 0,
        };
    };
    // Climb while the parent scores at least as well (the article is split
    // across sibling containers) or while the container is an only child.
    let mut last = top_score;
    while let Some(parent) = doc.tree.get(top).and_then(|n| n.parent()) {
        if matches!(parent.value(), Node::Element(e) if e.name() == "body" || e.name() == "html") {
            break;
        }
        let ps = scores
            .get(&parent.id())
            .map(|&s| final_score(parent.id(), s));
        match ps {
            Some(ps) if ps > last => {
                top = parent.id();
                last = ps;
            }
            _ => {
                let element_children = parent.children().filter(|c| c.value().is_element()).count();
                if element_children == 1 {
                    top = parent.id();
                } else {
                    break;
                }
            }
        }
    }
    // Siblings that score like the top candidate belong to the article too.
    let mut chosen: HashSet<NodeId> = HashSet::new();
    chosen.insert(top);
    let threshold = (top_score * 0.2).max(10.0);
    if let Some(parent) = doc.tree.get(top).and_then(|n| n.parent()) {
        for sib in parent.children() {
            if sib.id() == top {
                continue;
            }
            let Node::Element(el) = sib.value() else {
                continue;
            };
            if is_noise(el) {
                continue;
            }
            if let Some(&s) = scores.get(&sib.id()) {
                if final_score(sib.id(), s) >= threshold {
                    chosen.insert(sib.id());
                    continue;
                }
            }
            if el.name() == "p" {
                let (chars, links) = totals.get(&sib.id()).copied().unwrap_or((0, 0));
                let ld = links as f64 / chars.max(1) as f64;
                if chars > 80 && ld < 0.25 {
                    chosen.insert(sib.id());
                }
            }
        }
    }
    emit(doc, blocks, &chosen, title)
}

pub(super) fn emit(doc: &Html, blocks: &[Block], chosen: &HashSet<NodeId>, title: &str) -> Chosen {
    let in_chosen = |b: &Block| -> bool {
        let Some(owner) = doc.tree.get(b.owner) else {
            return false;
        };
        std::iter::once(owner)
            .chain(owner.ancestors())
            .take(MAX_DEPTH)
            .any(|a| chosen.contains(&a.id()))
    };
    let kept: Vec<&Block> = blocks.iter().filter(|b| !b.noise && in_chosen(b)).collect();
    let paragraphs = clean(doc, &kept, title);
    let chars = paragraphs.iter().map(|p| p.chars().count()).sum();
    Chosen { paragraphs, chars }
}

/// What furniture under an element can take off its prose, as a share of
/// the prose, unless the element holds the site's navigation: a blog post
/// whose comment thread shares its wrapper and holds three times its text
/// is still worth a quarter of its prose, which beats any one of its
/// paragraphs when none holds a quarter of the post. (A post of two or
/// three paragraphs under such a thread is still cut to one.)
pub(super) const AGAINST_CAP: f64 = 0.75;

/// The element that holds the most article-like text net of furniture: each
/// prose block counts for its length, each furniture, link-list or scrap
/// block against it (up to [`AGAINST_CAP`] of the prose). The best container
/// is the one where the sum peaks, so prose split over many sibling wrappers
/// is found whole, and a wrapper that adds a sidebar or more furniture than
/// it adds prose loses to the tighter one.
pub(super) fn coverage_best(doc: &Html, blocks: &[Block]) -> Option<NodeId> {
    // Prose, and what counts against it, under each element.
    let mut value: HashMap<NodeId, (f64, f64)> = HashMap::new();
    for b in blocks {
        let ld = b.link_chars as f64 / b.chars.max(1) as f64;
        let c = b.chars as f64;
        let w = if b.noise {
            -c
        } else if matches!(b.kind, Kind::Heading(_)) {
            0.0
        } else if ld > 0.33 {
            -0.5 * c
        } else if b.chars < 30 {
            -0.2 * c
        } else {
            c * (1.0 - ld)
        };
        let Some(owner) = doc.tree.get(b.owner) else {
            continue;
        };
        for a in std::iter::once(owner)
            .chain(owner.ancestors())
            .take(MAX_DEPTH)
        {
            if a.value().is_element() {
                let e = value.entry(a.id()).or_default();
                if w >= 0.0 {
                    e.0 += w;
                } else {
                    e.1 -= w;
                }
            }
        }
    }
    // The cap is for furniture inside the article's own wrapper (its
    // comment thread, its boxes); an element that holds the site's
    // navigation is page chrome, and pays for all of it, so `body` and the
    // page wrappers do not get a floor of a quarter of the page's prose.
    let chrome = holding_navigation(doc);
    let worth = |id: NodeId, (prose, against): (f64, f64)| {
        if chrome.contains(&id) {
            prose - against
        } else {
            prose - against.min(prose * AGAINST_CAP)
        }
    };
    let mut best: Option<(NodeId, f64)> = None;
    for (&id, &pa) in &value {
        let v = worth(id, pa);
        // Ties go to the deeper (later-created) element: same text, less room.
        if best.is_none_or(|(bid, bv)| v > bv || (v == bv && id > bid)) {
            best = Some((id, v));
        }
    }
    let (best, best_value) = best.filter(|(_, v)| *v > 0.0)?;
    // An ancestor worth nearly as much that holds far more prose is the
    // article, whose own boxes (tips, key takeaways, a quote form between
    // its sections) cost it about what its other sections add; the best
    // alone is one of those sections.
    let mut pick = (best, value[&best].0);
    for a in doc.tree.get(best)?.ancestors().take(MAX_DEPTH) {
        let Some(&pa) = value.get(&a.id()) else {
            break;
        };
        let (v, prose) = (worth(a.id(), pa), pa.0);
        if v >= best_value * NEAR_VALUE && prose >= pick.1 * MORE_PROSE {
            pick = (a.id(), prose);
        }
    }
    Some(pick.0)
}

/// Every element that is or holds the site's navigation (`<nav>`,
/// `<menu>`, a navigation, menu or banner role).
pub(super) fn holding_navigation(doc: &Html) -> HashSet<NodeId> {
    let mut out = HashSet::new();
    for n in doc.tree.nodes() {
        let Node::Element(el) = n.value() else {
            continue;
        };
        let nav = matches!(el.name(), "nav" | "menu")
            || el.attr("role").is_some_and(|r| {
                matches!(
                    r.trim().to_ascii_lowercase().as_str(),
                    "navigation" | "menu" | "menubar" | "banner"
                )
            });
        if !nav {
            continue;
        }
        // Stop at the first ancestor already marked: each element is
        // marked once, however many menus a page has.
        for a in std::iter::once(n).chain(n.ancestors()) {
            if !out.insert(a.id()) {
                break;
            }
        }
    }
    out
}

/// How near the best value an ancestor must come, and how much more prose
/// it must hold, to be taken instead (see `coverage_best`).
pub(super) const NEAR_VALUE: f64 = 0.95;
pub(super) const MORE_PROSE: f64 = 1.5;
