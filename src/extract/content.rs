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

use std::collections::{HashMap, HashSet};

use ego_tree::{NodeId, NodeRef};
use scraper::{Html, Node};

use super::fold_space;

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
    anchor_chars: usize,
    pub chars: usize,
    /// The block element that owns this run of text.
    pub owner: NodeId,
    pub kind: Kind,
    /// Inside page furniture (resolved after the walk, see [`blocks`]).
    pub noise: bool,
    /// Furniture by tag, role or a hard class word: never article text.
    hard: bool,
    /// Elements around this block that look like furniture by class or tag
    /// alone; they are furniture unless they turn out to hold the article.
    soft: Vec<NodeId>,
    /// Hard only for being placeholder text ("Lorem ipsum ..."), which is
    /// furniture beside real prose but is all the text a bare page has.
    placeholder: bool,
}

/// Elements never read for text.
const SKIP_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed",
    "select", "option", "button", "input", "textarea", "canvas", "head", "video", "audio", "map",
    "dialog", "img", "picture", "source",
];

/// Block-level elements: each starts and ends a text block.
pub(crate) const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "aside",
    "nav",
    "header",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "figure",
    "figcaption",
    "form",
    "fieldset",
    "address",
    "hr",
    "body",
    "html",
    "center",
    "details",
    "summary",
    "caption",
    "legend",
];

/// Furniture by tag.
const NOISE_TAGS: &[&str] = &[
    "nav",
    "aside",
    "footer",
    "header",
    "menu",
    "form",
    "figcaption",
    "address",
];

/// Furniture by ARIA role.
const NOISE_ROLES: &[&str] = &[
    "navigation",
    "complementary",
    "banner",
    "contentinfo",
    "menu",
    "menubar",
    "dialog",
    "alertdialog",
    "search",
    "toolbar",
];

/// Furniture by a whole word of class or id ("share-bar" → "share", "bar").
/// Soft: an element so named is still the article if it holds the prose
/// (themes call their main wrapper "content-sidebar-wrap").
const NOISE_WORDS: &[&str] = &[
    "share",
    "sharing",
    "social",
    "sociallinks",
    "newsletter",
    "subscribe",
    "subscription",
    "signup",
    "related",
    "recommended",
    "recommendations",
    "promo",
    "advert",
    "advertisement",
    "ad",
    "ads",
    "adsbygoogle",
    "sponsored",
    "sidebar",
    "breadcrumb",
    "breadcrumbs",
    "menu",
    "nav",
    "navbar",
    "navigation",
    "popup",
    "modal",
    "footer",
    "header",
    "masthead",
    "toolbar",
    "tags",
    "tagcloud",
    "byline",
    "author",
    "bio",
    "dateline",
    "timestamp",
    "caption",
    "credit",
    "banner",
    "outbrain",
    "taboola",
    "paywall",
    "toc",
    "pagination",
    "pager",
    "trending",
    "popular",
    "readmore",
    "newsletters",
    "follow",
    "donate",
    "donation",
    "login",
    "signin",
    "rating",
    "reactions",
    "disclosure",
];
/// Furniture whatever it holds: comments are prose too, but not the article.
const HARD_WORDS: &[&str] = &[
    "comment", "comments", "disqus", "cookie", "cookies", "consent", "gdpr", "onetrust",
];

/// How consent managers name their panels: the start of a class or an id
/// (`qc-cmp2-container`, `sp_message_container_12`, `cliSettingsPopup`).
/// Whole class names, never parts of one: `sticky-` is not `cky-`.
const CONSENT_PREFIXES: &[&str] = &[
    "cli-",
    "clisettings",
    "cookielawinfo",
    "cookie-law-info",
    "cky-",
    "cookieyes",
    "cmplz",
    "moove_gdpr",
    "didomi",
    "qc-cmp",
    "sp_message",
    "sp-message",
    "ot-sdk",
    "ot-pc",
    "onetrust",
    "cybotcookiebot",
    "cookiebot",
    "usercentrics",
    "iubenda",
    "osano-cm",
    "borlabscookie",
    "truste",
    "trustarc",
    "fc-consent",
    "cc-window",
    "cookie-notice",
    "cookie-consent",
];

fn is_consent_panel(class: Option<&str>, id: Option<&str>) -> bool {
    class
        .into_iter()
        .flat_map(str::split_ascii_whitespace)
        .chain(id)
        .any(|name| {
            let l = name.to_ascii_lowercase();
            CONSENT_PREFIXES.iter().any(|p| l.starts_with(p))
        })
}

/// Words that mark the article itself; they override furniture words.
const CONTENT_HINTS: &[&str] = &[
    "articlebody",
    "article-body",
    "article_body",
    "articlecontent",
    "article-content",
    "article__body",
    "article__content",
    "post-content",
    "postcontent",
    "post-body",
    "post_content",
    "entry-content",
    "entrycontent",
    "story-body",
    "storybody",
    "story-content",
    "content-body",
    "body-text",
    "article-text",
    "articletext",
    "main-content",
    "rich-text",
    "richtext",
    "text-content",
    "post-text",
    "blog-content",
    "single-content",
    "td-post-content",
];

/// Class/id words that raise or lower a container's score (Readability's
/// class weight).
const POSITIVE_WORDS: &[&str] = &[
    "article", "body", "content", "entry", "main", "page", "post", "text", "blog", "story",
    "prose", "hentry",
];
const NEGATIVE_WORDS: &[&str] = &[
    "hidden",
    "banner",
    "combx",
    "comment",
    "com",
    "contact",
    "foot",
    "footer",
    "footnote",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    "tool",
    "widget",
    "nav",
    "menu",
    "social",
    "newsletter",
    "teaser",
    "recommend",
    "more",
];

pub const MAX_DEPTH: usize = 400;
const SOFT_MIN_CHARS: usize = 1000;

fn attr_words(class: Option<&str>, id: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for s in [class, id].into_iter().flatten() {
        for w in s.split(|c: char| !c.is_ascii_alphanumeric()) {
            if !w.is_empty() {
                out.push(w.to_ascii_lowercase());
            }
        }
    }
    out
}

fn has_content_hint(class: Option<&str>, id: Option<&str>, itemprop: Option<&str>) -> bool {
    if itemprop
        .is_some_and(|p| p.eq_ignore_ascii_case("articleBody") || p.eq_ignore_ascii_case("text"))
    {
        return true;
    }
    [class, id].into_iter().flatten().any(|s| {
        let l = s.to_ascii_lowercase();
        CONTENT_HINTS.iter().any(|h| l.contains(h))
    })
}

fn is_hidden(el: &scraper::node::Element) -> bool {
    if el.attr("hidden").is_some() || el.attr("aria-hidden").is_some_and(|v| v.trim() == "true") {
        return true;
    }
    el.attr("style").is_some_and(|s| {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        s.contains("display:none") || s.contains("visibility:hidden")
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Noise {
    No,
    Soft,
    Hard,
}

/// Whether an element is page furniture by its own tag, role or class/id.
fn noise_of(el: &scraper::node::Element) -> Noise {
    let name = el.name();
    if matches!(name, "body" | "html" | "main" | "article") {
        return Noise::No;
    }
    if has_content_hint(el.attr("class"), el.attr("id"), el.attr("itemprop")) {
        return Noise::No;
    }
    if matches!(name, "nav" | "menu") {
        return Noise::Hard;
    }
    if el
        .attr("role")
        .is_some_and(|r| NOISE_ROLES.contains(&r.trim().to_ascii_lowercase().as_str()))
    {
        return Noise::Soft;
    }
    let words = attr_words(el.attr("class"), el.attr("id"));
    if words.iter().any(|w| HARD_WORDS.contains(&w.as_str()))
        || is_consent_panel(el.attr("class"), el.attr("id"))
    {
        return Noise::Hard;
    }
    if NOISE_TAGS.contains(&name) || words.iter().any(|w| NOISE_WORDS.contains(&w.as_str())) {
        return Noise::Soft;
    }
    Noise::No
}

fn is_noise(el: &scraper::node::Element) -> bool {
    noise_of(el) != Noise::No
}

struct Walker<'c> {
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
                    self.buf.push_str(&super::markup::strip_tags(t));
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
const SELF_LINK_LEVELS: usize = 4;

/// Whether a link points to itself or to an element it sits in:
/// `<h3 id="x"><a href="#x">Title</a></h3>`.
fn is_self_link(node: NodeRef<Node>, el: &scraper::node::Element) -> bool {
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
fn is_placeholder(t: &str) -> bool {
    // The template's own words, not an article that mentions them.
    t.get(..17)
        .is_some_and(|p| p.eq_ignore_ascii_case("lorem ipsum dolor"))
}

fn is_footnote_marker(node: NodeRef<Node>) -> bool {
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
fn find_cards(doc: &Html) -> HashSet<NodeId> {
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
struct ProseTally {
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

fn class_weight(el: &scraper::node::Element) -> f64 {
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

fn tag_score(name: &str) -> f64 {
    match name {
        "article" => 10.0,
        "div" | "main" | "section" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    }
}

fn commas(s: &str) -> usize {
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

fn emit(doc: &Html, blocks: &[Block], chosen: &HashSet<NodeId>, title: &str) -> Chosen {
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
    let paragraphs = clean(&kept, title);
    let chars = paragraphs.iter().map(|p| p.chars().count()).sum();
    Chosen { paragraphs, chars }
}

/// What furniture under an element can take off its prose, as a share of
/// the prose, unless the element holds the site's navigation: a blog post
/// whose comment thread shares its wrapper and holds three times its text
/// is still worth a quarter of its prose, which beats any one of its
/// paragraphs when none holds a quarter of the post. (A post of two or
/// three paragraphs under such a thread is still cut to one.)
const AGAINST_CAP: f64 = 0.75;

/// The element that holds the most article-like text net of furniture: each
/// prose block counts for its length, each furniture, link-list or scrap
/// block against it (up to [`AGAINST_CAP`] of the prose). The best container
/// is the one where the sum peaks, so prose split over many sibling wrappers
/// is found whole, and a wrapper that adds a sidebar or more furniture than
/// it adds prose loses to the tighter one.
fn coverage_best(doc: &Html, blocks: &[Block]) -> Option<NodeId> {
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
fn holding_navigation(doc: &Html) -> HashSet<NodeId> {
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
const NEAR_VALUE: f64 = 0.95;
const MORE_PROSE: f64 = 1.5;

/// Short lines that are furniture wherever they appear.
const BOILERPLATE: &[&str] = &[
    "advertisement",
    "advertisements",
    "sponsored",
    "share",
    "share this",
    "share this article",
    "share on facebook",
    "share on twitter",
    "tweet",
    "email",
    "print",
    "read more",
    "read more:",
    "click here",
    "subscribe",
    "sign up",
    "follow us",
    "related",
    "related articles",
    "related stories",
    "you may also like",
    "recommended",
    "comments",
    "leave a comment",
    "leave a reply",
    "skip to content",
    "skip to main content",
    "back to top",
    "all rights reserved",
    "loading...",
    "loading",
    "continue reading",
    "listen",
    "listen to this article",
    "copy link",
    "link copied",
    "facebook",
    "twitter",
    "linkedin",
    "whatsapp",
    "reddit",
    "pinterest",
    "telegram",
    "toggle navigation",
    "menu",
    "close",
    "search",
    "next",
    "previous",
    "top stories",
    "most read",
    "more from",
    "image",
    "photo",
    "video",
    "also read",
    "see also",
    "read also",
    "read next",
    "trending",
    // A blog's likes button before its script fills it in ("Like" and
    // "Loading…" run together), and the title above it.
    "like loading",
    "like this",
    // Titles of a table of contents: its entries are links and go, the
    // title would be left standing alone.
    "table of contents",
    "contents",
    "toc",
    "article contents",
    "in this article",
    "in this post",
    "on this page",
    "jump to",
    "jump to section",
    "quick links",
    // Share prompts and the label of a news ticker.
    "share your thoughts",
    "share your thoughts with friends",
    "share with friends",
    "share with your friends",
    "share this story",
    "share this page",
    "share this post",
    "share via email",
    "tell your friends",
    "breaking news",
];

fn is_boilerplate_line(t: &str) -> bool {
    let l = t
        .trim()
        .trim_end_matches([':', '.', '…', '!', '›', '»', '→'])
        .trim()
        .to_lowercase();
    if BOILERPLATE.contains(&l.as_str()) {
        return true;
    }
    // An author box's link to the author's other posts.
    if l.starts_with("latest posts by") && l.ends_with("(see all)") {
        return true;
    }
    let words = t.split_whitespace().count();
    // The small print runs longer than a button's label: "Copyright © 2023
    // NPR. All rights reserved. Visit our website terms of use ...". At
    // that length, "Copyright" must be followed by the sign or a year: a
    // sentence may open with the word ("Copyright claims rose ...").
    let notice = l.starts_with('©')
        || l.contains("all rights reserved")
        || l.strip_prefix("copyright ").is_some_and(|r| {
            r.starts_with(['©', '(']) || r.starts_with(|c: char| c.is_ascii_digit())
        });
    if words <= COPYRIGHT_LINE_WORDS && notice {
        return true;
    }
    let short = words <= 12;
    short
        && (l.starts_with("share this")
            || l.starts_with("sign up for")
            || l.starts_with("subscribe to")
            || l.starts_with("follow us on")
            || l.starts_with("click here to")
            || l.starts_with("read more")
            || l.starts_with("related:")
            || l.starts_with("also read")
            || l.starts_with("see also")
            || l.starts_with("read also")
            || l.starts_with("more:")
            || l.starts_with("copyright ")
            || l.starts_with("photo:")
            || l.starts_with("image:")
            || l.starts_with("credit:")
            || l.starts_with("getty images"))
}

/// A copyright line runs to this many words at most.
const COPYRIGHT_LINE_WORDS: usize = 40;

/// Headings that open page furniture rather than a part of the article.
fn is_furniture_heading(t: &str) -> bool {
    let l = t
        .trim()
        .trim_end_matches([':', '.', '!', '?', '›', '»', '→'])
        .trim()
        .to_lowercase();
    if l.split_whitespace().count() > 6 {
        return false;
    }
    const EXACT: &[&str] = &[
        "related",
        "comments",
        "leave a reply",
        "leave a comment",
        "share",
        "share this",
        "share this article",
        "share this post",
        "tags",
        "topics",
        "recommended",
        "recommended for you",
        "trending",
        "explore more",
        "popular posts",
        "most popular",
        "most read",
        "also in the news",
        "in other news",
        "subscribe",
        "newsletter",
        "sign up for our newsletter",
        "follow us",
        "categories",
        "archives",
        "about us",
        "you may also like",
        "you might also like",
        "we recommend",
        "keep reading",
        "what to read next",
        // Consent panels' titles.
        "privacy overview",
        "cookie settings",
        "cookie preferences",
        "cookie policy",
        "manage consent",
        "manage consent preferences",
        "manage cookies",
        "privacy preference center",
        "privacy preferences",
        "we value your privacy",
    ];
    const PREFIX: &[&str] = &[
        "related ",
        "recent ",
        "latest ",
        "more from ",
        "more stories",
        "more articles",
        "more videos",
        "more news",
        "read next",
        "read this next",
        "about the author",
        "about the reviewer",
        "about the writer",
        "more on ",
        "other articles",
        "similar ",
        "up next",
        "join the conversation",
        "comments (",
        "popular ",
    ];
    EXACT.contains(&l.as_str())
        || END_MATTER.contains(&l.as_str())
        || PREFIX.iter().any(|p| l.starts_with(p))
}

/// "More The Ledger", "More CNN": the title of a list of the outlet's other
/// stories, a name after "More". Not "More details" (no capital), not a
/// sentence. Title case makes "More Considerations" look the same, so the
/// title counts only over linked titles (see `furniture_sections`).
fn is_more_from_outlet(t: &str) -> bool {
    let mut words = t.split_whitespace();
    words.next() == Some("More")
        && words
            .next()
            .and_then(|w| w.chars().next())
            .is_some_and(char::is_uppercase)
        && t.split_whitespace().count() <= 4
        && !t.trim_end().ends_with(['.', '?', '!'])
}

/// Titles of the sections after the article: reference lists and the small
/// print are citations and legal text, not its prose.
const END_MATTER: &[&str] = &[
    "references",
    "footnotes",
    "citations",
    "sources",
    "article sources",
    "works cited",
    "bibliography",
    "further reading",
    "disclaimer",
    "was this page helpful",
    "was this article helpful",
    "contact us",
];

/// Furniture section titles that are still plain to read as titles when set
/// as a line of text rather than a heading. Not the one-word labels of the
/// furniture heading list ("Share", "Comments", "Subscribe"): on a line of
/// their own those are as often the text of a button or a counter.
const SECTION_LINES: &[&str] = &[
    "also in the news",
    "in other news",
    "you may also like",
    "you might also like",
    "what to read next",
    "recommended for you",
    "related posts",
    "related articles",
    "related stories",
    "recent posts",
    "recent articles",
    "latest posts",
    "latest articles",
    "latest news",
    "popular posts",
    "most popular",
    "most read",
    "more stories",
    "more news",
    "about the author",
    "leave a reply",
    "leave a comment",
    "privacy overview",
    "cookie settings",
    "manage consent",
];

/// A line of text, not a heading, that titles a furniture section ("ALSO
/// IN THE NEWS" in a bold `<div>`): themes style section titles without
/// heading tags. Short and free of links: a linked "Contact us" is a button.
fn is_section_title_line(b: &Block) -> bool {
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

/// A furniture section title set as a line of text is short.
const SECTION_LINE_CHARS: usize = 40;
/// The rank a section title line is given: its real rank is unknown, so only
/// a major heading ends the section it opens.
const SECTION_LINE_RANK: u8 = 3;

const MONTHS: &[&str] = &[
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The runs of letters and digits of a line, lower-cased.
fn lower_words(t: &str) -> Vec<String> {
    t.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Bylines and lone dates: "By Jane Doe ⋅ Updated May 6, 2025", "Posted On", "Jan 13, 2025".
pub(crate) fn is_byline_or_date(t: &str) -> bool {
    let words = lower_words(t);
    if words.len() > 14 {
        return false;
    }
    let l = t.trim().to_lowercase();
    if [
        "by ",
        "posted by",
        "written by",
        "posted on",
        "published",
        "updated",
        "last updated",
        "reviewed by",
    ]
    .iter()
    .any(|p| l.starts_with(p) || l == p.trim())
    {
        return true;
    }
    const FILLER: &[&str] = &[
        "am",
        "pm",
        "at",
        "on",
        "posted",
        "updated",
        "published",
        "min",
        "mins",
        "read",
        "reading",
        "time",
        "minute",
        "minutes",
        "estimated",
        "est",
        "utc",
        "gmt",
        "et",
        "pt",
        "st",
        "nd",
        "rd",
        "th",
        "ago",
        "hours",
        "days",
    ];
    !words.is_empty()
        && words.iter().any(|w| w.chars().all(|c| c.is_ascii_digit()))
        && words.iter().all(|w| {
            w.chars().all(|c| c.is_ascii_digit())
                || MONTHS.contains(&w.as_str())
                || FILLER.contains(&w.as_str())
        })
}

/// A dated byline or meta line runs to this many words at most ("By Jane
/// Doe – Updated Sep 9, 2025 at 1:00 PM EST | Fact-checked by John Roe").
const DATED_BYLINE_WORDS: usize = 20;
/// Dated bylines are looked for among the first blocks of text only: in an
/// article of short items, "Title | Author | June 17, 2025" further down is
/// an entry of the article's own list.
const DATED_BYLINE_ZONE: usize = 3;

/// The number of runs of letters and digits in a line.
fn word_count(t: &str) -> usize {
    t.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count()
}

/// Whether the words hold a calendar date: a month name with a day and a
/// year ("Sep 9, 2025", "9 September 2025") or three numbers in a row that
/// end in a year ("03/01/2017").
fn has_full_date(words: &[String]) -> bool {
    let is_year =
        |w: &str| w.len() == 4 && w.parse::<u32>().is_ok_and(|y| (1900..2100).contains(&y));
    let is_day = |w: &str| {
        // "11th": an ordinal's suffix is glued to the number.
        let d = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        !d.is_empty() && d.len() <= 2 && d.parse::<u32>().is_ok_and(|d| (1..=31).contains(&d))
    };
    let is_month = |w: &str| MONTHS.contains(&w);
    let is_num = |w: &str| !w.is_empty() && w.len() <= 2 && w.chars().all(|c| c.is_ascii_digit());
    words.windows(3).any(|w| {
        let (a, b, c) = (w[0].as_str(), w[1].as_str(), w[2].as_str());
        is_year(c)
            && ((is_month(a) && is_day(b))
                || (is_day(a) && is_month(b))
                || (is_num(a) && is_num(b)))
    })
}

/// A byline or meta line with a date that does not open with "By": "October
/// 11, 2023 by Jane Doe", "March 15, 2022 · 3 min read · By Newsroom", "On
/// behalf of Doe LLP | Apr 21, 2017 | Products liability". A date, and a
/// "by" or the separators such lines are set with; short, and not a
/// sentence.
fn is_dated_byline(t: &str) -> bool {
    let words = lower_words(t);
    words.len() <= DATED_BYLINE_WORDS
        && !t.trim_end().ends_with(['.', '!', '?'])
        && (words.iter().any(|w| w == "by") || t.contains(['|', '·', '•']))
        && has_full_date(&words)
}

/// Cookie notices, affiliate disclosures and newsletter sign-up calls that
/// sit inside the article container: recognised by their wording, since
/// their markup is anything.
fn is_notice(t: &str) -> bool {
    let words = t.split_whitespace().count();
    let l = t.to_lowercase();
    if words > 60 {
        return words <= CONSENT_PROSE_WORDS && is_consent_prose(&l);
    }
    let cookie = l.contains("cookie")
        && [
            "consent",
            "accept",
            "we use",
            "this site uses",
            "this website uses",
            "storage or access",
            "preferences",
        ]
        .iter()
        .any(|p| l.contains(p));
    let affiliate = [
        "affiliate link",
        "earn a commission",
        "earn commissions",
        "receive a commission",
        "may earn a",
    ]
    .iter()
    .any(|p| l.contains(p))
        && words <= 40;
    // A call to sign up for the site's mail, set inside the article's
    // container: the promise of the inbox or the sign-up in the first person
    // plural, not a sentence about newsletters.
    let signup = [
        "delivered to your inbox",
        "straight to your inbox",
        "right to your inbox",
        "directly to your inbox",
        "sign up for our newsletter",
        "subscribe to our newsletter",
        "join our newsletter",
        "join our mailing list",
        "more stories like this",
        "sign up for our free",
        "get our free newsletter",
    ]
    .iter()
    .any(|p| l.contains(p));
    cookie || affiliate || signup
}

/// A consent panel's explanation runs longer than a notice.
const CONSENT_PROSE_WORDS: usize = 160;

/// A consent panel's explanation (lower case): the site speaking of its
/// own cookies, again and again. An article about cookies reports what
/// sites do; it does not say "this website uses".
fn is_consent_prose(l: &str) -> bool {
    l.matches("cookie").count() >= 3
        && [
            "this website uses",
            "this site uses",
            "our website uses",
            "our site uses",
            "we use cookies",
            "we and our partners",
            "your consent",
            "your browsing experience",
        ]
        .iter()
        .filter(|p| l.contains(*p))
        .count()
            >= 2
}

/// Which blocks belong to a furniture section ("Related articles", "About
/// the author"), its title included: from a furniture heading to the next
/// heading of the same or a higher rank, or to long link-free prose.
fn furniture_sections(kept: &[&Block]) -> Vec<bool> {
    let mut out = vec![false; kept.len()];
    // The rank of the section being skipped.
    let mut skipping: Option<u8> = None;
    for (i, b) in kept.iter().enumerate() {
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
        }
        out[i] = skipping.is_some();
    }
    out
}

/// For each block, whether the nearest heading above it is mostly link text.
fn under_linked_heading(kept: &[&Block]) -> Vec<bool> {
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
fn dropped_for_its_wording(b: &Block) -> bool {
    (b.kind != Kind::Cell && is_byline_or_date(&b.text))
        || (b.kind != Kind::Pre && is_boilerplate_line(&b.text))
        || is_notice(&b.text)
}

/// Long enough to be prose and mostly not link text.
fn prose_sized(b: &Block) -> bool {
    b.chars >= 80 && b.link_chars * 4 < b.chars
}

fn is_prose(b: &Block) -> bool {
    b.kind == Kind::Para && prose_sized(b)
}

/// A block this long that repeats an earlier one word for word is dropped
/// whatever its kind; shorter repeats only when they are paragraphs (list
/// items and table cells repeat legitimately: "Yes", "Pros", a spec).
const REPEAT_MIN_CHARS: usize = 80;

fn clean(kept: &[&Block], title: &str) -> Vec<String> {
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
    let in_section = furniture_sections(kept);
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
        let repeat = (b.kind == Kind::Para && b.chars >= 20) || b.chars >= REPEAT_MIN_CHARS;
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

/// The page's `<h1>` texts in order, each with whether it is in furniture.
/// Text split over several blocks of one `<h1>` is joined.
pub fn h1s(blocks: &[Block]) -> Vec<crate::extract::meta::H1> {
    let mut out: Vec<(NodeId, crate::extract::meta::H1)> = Vec::new();
    for b in blocks.iter().filter(|b| b.kind == Kind::Heading(1)) {
        match out.last_mut() {
            Some((id, h)) if *id == b.owner => {
                h.text.push(' ');
                h.text.push_str(&b.text);
                h.link = h.link && b.link_chars * 10 >= b.chars * 9;
            }
            _ => out.push((
                b.owner,
                crate::extract::meta::H1 {
                    text: b.text.clone(),
                    noise: b.noise,
                    link: b.link_chars * 10 >= b.chars * 9,
                },
            )),
        }
        if out.len() > 16 {
            break;
        }
    }
    out.into_iter().map(|(_, h)| h).collect()
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

/// Lower-cased words of a text: runs of letters and digits, so that
/// punctuation, quotes and line wrapping do not matter. A lower-case letter
/// followed by a capital also ends a word: `articleBody` texts are often
/// block texts glued without a space ("…at lululemon.comLululemon Review").
fn word_tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if (!c.is_alphanumeric() || (prev_lower && c.is_uppercase())) && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        }
        prev_lower = c.is_lowercase();
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The publisher's `articleBody` must hold at least this share of what the
/// container gave before it is trusted to vet paragraphs: a shorter one is a
/// summary or a teaser, and would throw away real text.
const REFERENCE_MIN_COVER: f64 = 0.6;
/// If vetting would drop more than half the text, the reference is another
/// text (an older version, a translation), not ours with furniture removed.
const REFERENCE_MAX_DROP: f64 = 0.5;
/// Text after the last paragraph the reference holds is furniture (a bio, a
/// sign-up box: a paragraph or three) when it is short; at this many
/// paragraphs and this share of the whole, it is the rest of an article whose
/// reference stops early (an older version).
const REFERENCE_TAIL_PARAGRAPHS: usize = 4;
const REFERENCE_TAIL_SHARE: f64 = 0.1;
/// Paragraphs shorter than this say too little to show where the reference
/// ends: a heading's words turn up anywhere in it.
const REFERENCE_ANCHOR_WORDS: usize = 8;

/// Keeps the paragraphs that the publisher's own article text (JSON-LD
/// `articleBody`) also holds. Furniture set inside the article's container
/// with nothing in its markup to show it (product tiles, author bios, sign-up
/// calls, "jump to" lists) is not in the publisher's text. A paragraph counts
/// as present when at least half its word trigrams are in the reference (the
/// reference often drops link text or wraps lines mid-sentence); one of one
/// or two words must occur there as it stands. A long run after the last
/// paragraph found is kept (the reference stopped early). The paragraphs come
/// back unchanged when the reference is too short to judge by or disagrees
/// with most of them.
pub fn vet_by_reference(paragraphs: Vec<String>, reference: &str) -> Vec<String> {
    let ref_words = word_tokens(reference);
    let ref_chars: usize = ref_words.iter().map(|w| w.chars().count() + 1).sum();
    let chars = |ps: &[String]| -> usize { ps.iter().map(|p| p.chars().count()).sum() };
    let total = chars(&paragraphs);
    if total == 0 || (ref_chars as f64) < total as f64 * REFERENCE_MIN_COVER {
        return paragraphs;
    }
    let trigrams: HashSet<[&str; 3]> = ref_words
        .windows(3)
        .map(|w| [w[0].as_str(), w[1].as_str(), w[2].as_str()])
        .collect();
    let joined = format!(" {} ", ref_words.join(" "));
    // Each paragraph's words, once: both the presence test and the search
    // for the last anchor read them.
    let words: Vec<Vec<String>> = paragraphs.iter().map(|p| word_tokens(p)).collect();
    let present = |ws: &Vec<String>| -> bool {
        if ws.len() < 3 {
            return ws.is_empty() || joined.contains(&format!(" {} ", ws.join(" ")));
        }
        let found = ws
            .windows(3)
            .filter(|w| trigrams.contains(&[w[0].as_str(), w[1].as_str(), w[2].as_str()]))
            .count();
        found * 2 >= ws.len() - 2
    };
    let mut keep: Vec<bool> = words.iter().map(present).collect();
    let last_anchor = (0..paragraphs.len())
        .rev()
        .find(|&i| keep[i] && words[i].len() >= REFERENCE_ANCHOR_WORDS);
    let tail_start = last_anchor.map_or(0, |i| i + 1);
    let tail = &paragraphs[tail_start..];
    if tail.len() >= REFERENCE_TAIL_PARAGRAPHS
        && chars(tail) as f64 > total as f64 * REFERENCE_TAIL_SHARE
    {
        keep[tail_start..].iter_mut().for_each(|k| *k = true);
    }
    let kept: Vec<String> = paragraphs
        .iter()
        .zip(&keep)
        .filter(|(_, &k)| k)
        .map(|(p, _)| p.clone())
        .collect();
    if (chars(&kept) as f64) < total as f64 * (1.0 - REFERENCE_MAX_DROP) {
        return paragraphs;
    }
    kept
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

/// How far from the end of the body an author's bio is looked for.
const BIO_WINDOW: usize = 3;
/// A bio is a sentence about the author, not a lone name or "Jane Writer
/// contributed reporting".
const BIO_MIN_WORDS: usize = 8;

/// Cuts the author's bio off the end of the body: one of the last few
/// paragraphs opens with the full name of an author the page names in its
/// metadata ("Jane Writer covers the North Caucasus for ..."). Themes print
/// the author box inside the article's container, often with nothing in its
/// markup to show it; what follows the bio is more of the box (a contact
/// line, a call to action). `authors` is the metadata's author field, names
/// joined by ", "; names of one word are too loose to go by.
pub fn without_author_bio(mut paragraphs: Vec<String>, authors: &str) -> Vec<String> {
    let names: Vec<&str> = authors
        .split(", ")
        .map(str::trim)
        .filter(|n| n.split_whitespace().count() >= 2)
        .collect();
    if names.is_empty() {
        return paragraphs;
    }
    let opens_with_name = |p: &str| {
        let p = p.trim_start_matches(['(', '*', '_', ' ']);
        names.iter().any(|n| {
            p.strip_prefix(n)
                .is_some_and(|rest| rest.starts_with([' ', ',']))
        })
    };
    let start = paragraphs.len().saturating_sub(BIO_WINDOW);
    if let Some(cut) = (start..paragraphs.len()).find(|&i| {
        paragraphs[i].split_whitespace().count() >= BIO_MIN_WORDS && opens_with_name(&paragraphs[i])
    }) {
        paragraphs.truncate(cut);
    }
    paragraphs
}

/// Cuts an author's bio off the end of the body by its shape, for pages
/// whose metadata names no author (or not as the bio does): one of the last
/// few paragraphs opens with a name (one to three capitalised words) and
/// "is a"/"is an"/"is the", and speaks of the person in the third person or
/// names where they work ("at" and a capital): "Trevor Jackins is a Senior
/// Digital Marketing Manager at Splashtop. He's also ...". A name or a job
/// title alone on the lines before it is the same box.
pub fn without_closing_bio(mut paragraphs: Vec<String>) -> Vec<String> {
    let is_bio = |p: &str| {
        let words: Vec<&str> = p.split_whitespace().collect();
        if words.len() < BIO_MIN_WORDS || words.len() > CLOSING_BIO_WORDS {
            return false;
        }
        let Some(is) = words.iter().take(4).position(|w| *w == "is") else {
            return false;
        };
        let name_ok = is >= 1
            && words[..is].iter().all(|w| {
                w.chars().next().is_some_and(char::is_uppercase)
                    && w.chars()
                        .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’' | '.'))
            });
        let role = words
            .get(is + 1)
            .is_some_and(|w| matches!(*w, "a" | "an" | "the"));
        let third = words.iter().any(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphabetic() && c != '’' && c != '\'');
            matches!(
                w,
                "He" | "She"
                    | "he"
                    | "she"
                    | "his"
                    | "her"
                    | "His"
                    | "Her"
                    | "He’s"
                    | "She’s"
                    | "He's"
                    | "She's"
            )
        }) || words[is..]
            .windows(2)
            .any(|w| w[0] == "at" && w[1].chars().next().is_some_and(char::is_uppercase));
        name_ok && role && third
    };
    let start = paragraphs.len().saturating_sub(BIO_WINDOW);
    // Under a title that vouches for the writer ("Why Trust The Spruce
    // Eats", "Why We're the Experts") the bio is the review's own section
    // on its credentials, part of the article.
    let vouched = |i: usize| {
        i > 0 && {
            let t = paragraphs[i - 1].to_lowercase();
            t.split_whitespace().count() <= 8 && (t.contains("trust") || t.contains("expert"))
        }
    };
    if let Some(mut cut) =
        (start..paragraphs.len()).find(|&i| is_bio(&paragraphs[i]) && !vouched(i))
    {
        while cut > 0
            && paragraphs[cut - 1].split_whitespace().count() <= 4
            && !paragraphs[cut - 1].ends_with(['.', '!', '?', ':'])
        {
            cut -= 1;
        }
        paragraphs.truncate(cut);
    }
    paragraphs
}

/// A bio in an author box is a few sentences.
const CLOSING_BIO_WORDS: usize = 90;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_block_printed_twice_is_kept_once() {
        // A quote carousel whose slides are cloned for endless scrolling, and
        // a summary box printed once for phones and once for desktops.
        let slide = "<li>\u{201c}They found my brother when nobody else would even take our call, and they kept us informed every single day.\u{201d}</li>";
        let summary = "<p class=\"box\">In short: at least twelve men were detained in Grozny last month and held for days without charge, two rights groups say; officials deny it, and diplomats from several European countries have asked for an inquiry into the reports.</p>";
        let html = format!(
            "<html><body><div class=\"story\">{summary}\
             <p>Police in Grozny detained at least twelve men last month, according to two rights groups that documented the arrests.</p>\
             <p>The men were held for several days without charge, the groups said, and some were returned only after paying officers.</p>\
             {summary}<ul>{slide}{slide}</ul></div></body></html>"
        );
        let doc = Html::parse_document(&html);
        let got = choose(&doc, &blocks(&doc, doc.root_element().id()), "").paragraphs;
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(got[0].starts_with("In short"), "{got:?}");
        assert!(got[3].contains("found my brother"), "{got:?}");
    }

    #[test]
    fn comments_that_outweigh_the_article_do_not_leave_one_paragraph() {
        // Regression: a blog post whose paragraphs sit in the same wrapper as
        // its comment thread, which holds three times as much text. The
        // comments made the wrapper worth less than the longest paragraph,
        // and that one paragraph came out as the article.
        let p = |n: usize| {
            format!("<p>Part {n} of the review: the film was dismissed on release and praised later, and the director said the satire was plain to anyone who watched it to the end.</p>")
        };
        let long = "<p>The long paragraph: it is a sharply paced action film as well as a satire, the effects still hold up thirty years on, the cast plays it straight, and the script never winks at the audience, which is why so many viewers missed the joke entirely when it came out in cinemas.</p>";
        let comment = "<li class=\"comment\"><div class=\"comment-content\"><p>I saw this one in the cinema when it came out and did not get the joke at all until years later, when a friend made me watch it again on a rainy afternoon.</p></div></li>";
        let body: String = (1..=8).map(p).collect();
        let html = format!(
            "<html><body><div class=\"postarea\"><h1>Comfort watches</h1>{body}{long}\
             <ol class=\"commentlist\">{}</ol></div></body></html>",
            comment.repeat(20)
        );
        let doc = Html::parse_document(&html);
        let got = choose(&doc, &blocks(&doc, doc.root_element().id()), "").paragraphs;
        assert_eq!(got.len(), 9, "{got:?}");
        assert!(got[0].starts_with("Part 1"), "{got:?}");
    }

    #[test]
    fn highlighted_comments_in_code_are_kept() {
        // Regression: highlight.js marks a code comment `hljs-comment`, and
        // "comment" names furniture, so every comment line of a listing was
        // dropped from the article.
        let html = "<html><body><article><h1>A brief intro to git</h1>\
             <p>One of the many appeals of git is its flexibility, and a wide range of commands come with it; to get started, try these.</p>\
             <pre><code class=\"hljs bash\"><span class=\"hljs-comment\"># clone a repository</span>\n\
             git clone &lt;url&gt;\n<span class=\"token comment\"># view the state of the repository</span>\n\
             git status</code></pre>\
             <p>Each of these commands has numerous options and gives broad control over the repository and its history.</p>\
             <div class=\"comments\"><p>Great intro, thanks for writing it up for the rest of us who are still learning git.</p></div>\
             </article></body></html>";
        let doc = Html::parse_document(html);
        let got = choose(&doc, &blocks(&doc, doc.root_element().id()), "").paragraphs;
        let code = got
            .iter()
            .find(|p| p.contains("git clone"))
            .expect("the listing");
        assert!(code.contains("# clone a repository"), "{got:?}");
        assert!(code.contains("# view the state"), "{got:?}");
        // A comment thread is still furniture.
        assert!(got.iter().all(|p| !p.starts_with("Great intro")), "{got:?}");
    }

    #[test]
    fn a_short_article_on_a_page_heavy_with_navigation_stays_short() {
        // The cap on what furniture takes must not give the page wrappers a
        // floor: a brief beside teaser blurbs (nothing marks them) under a
        // big menu is still the brief, not the whole page.
        let brief = "<p>Police in Grozny detained at least twelve men last month, according to two rights groups that documented the arrests and spoke to the families of several of the men who were held.</p>\
             <p>The men were held for several days without charge, the groups said, and some were returned to their families only after paying officers; officials deny the reports.</p>\
             <p>Diplomats from several European countries have asked for an inquiry, and the groups say they will publish a full report of the detentions next month.</p>";
        let menu: String = (0..120)
            .map(|i| {
                format!("<li><a href=\"/section/{i}\">Section number {i} of the site</a></li>")
            })
            .collect();
        let blurbs: String = (0..14)
            .map(|i| format!("<div class=\"teaser\"><p>Teaser {i}: a reporter looks back at a season of floods, fires and elections across the region, and at who was left to rebuild afterwards.</p></div>"))
            .collect();
        let html = format!(
            "<html><body><nav><ul>{menu}</ul></nav><div class=\"story\">{brief}</div>{blurbs}</body></html>"
        );
        let doc = Html::parse_document(&html);
        let got = choose(&doc, &blocks(&doc, doc.root_element().id()), "").paragraphs;
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got.iter().all(|p| !p.starts_with("Teaser")), "{got:?}");
    }

    #[test]
    fn an_article_whose_boxes_cost_what_its_sections_add_is_taken_whole() {
        // (The column: prose 1456, the form 549 against it, worth 907
        // against the section's 910, within the 95% band; 1456 is 1.6 times
        // the section's prose.)
        // Regression: a guide in sections with a quote form between them;
        // the form cost the article column what its later sections added, so
        // the first section alone was worth a little more and came out as
        // the article.
        let p = "Solar installers file the permits, order the panels and schedule the crew; most homeowners wait four to eight weeks from signing the contract to the day the system is switched on.";
        let q = "Get three free quotes from vetted local installers in minutes and compare their prices side by side before you decide which company to hire to put the panels on your roof this year, today.";
        let paras = |r: std::ops::Range<usize>| -> String {
            r.map(|i| format!("<p>{i}. {p}</p>")).collect()
        };
        let form: String = (0..3).map(|i| format!("<p>{q} {i}</p>")).collect();
        let html = format!(
            "<html><body><div class=\"col\"><h1>How solar gets installed</h1>\
             <div class=\"step\">{}</div><div class=\"promo\">{form}</div>{}</div></body></html>",
            paras(0..5),
            paras(5..8)
        );
        let doc = Html::parse_document(&html);
        let got = choose(&doc, &blocks(&doc, doc.root_element().id()), "").paragraphs;
        assert_eq!(got.len(), 8, "{got:?}");
        assert!(got.iter().all(|p| !p.starts_with("Get three")), "{got:?}");
    }

    #[test]
    fn the_title_of_a_table_of_contents_is_boilerplate() {
        for t in ["Table of Contents", "In this article:", "Jump to"] {
            assert!(is_boilerplate_line(t), "{t}");
        }
        assert!(!is_boilerplate_line("Contents of a winter pack"));
    }

    #[test]
    fn blog_widget_lines_are_boilerplate() {
        // The likes button before its script runs and the author box's link
        // to more posts.
        for t in [
            "Like this:",
            "Like Loading\u{2026}",
            "Like Loading...",
            "Latest posts by Jane Writer (see all)",
        ] {
            assert!(is_boilerplate_line(t), "{t}");
        }
        for t in [
            "Like this one, most cases never reach a court.",
            "Latest posts by the agency: see all of them below",
        ] {
            assert!(!is_boilerplate_line(t), "{t}");
        }
    }

    #[test]
    fn a_dated_byline_before_the_text_is_dropped() {
        // Bylines that open with the date or the firm rather than "By".
        for line in [
            "October 11, 2023 by Jane Writer",
            "On Behalf of Doe &amp; Roe LLP | Apr 21, 2017 | Criminal Defense",
            "03/01/2017 by Jane Writer, Candidate Representative",
            "Mar 15, 2022 · 3 min read · By Newsroom",
        ] {
            let html = format!(
                "<html><body><article><h1>Detentions in Grozny</h1><p>{line}</p>\
                 <p>Rights groups said on Tuesday that at least a dozen men had been detained in Grozny in the past month, and that relatives had been told not to speak to reporters.</p>\
                 <ul><li>Released: June 17, 2025 by the Memorial Centre</li><li>Civic Assistance | 2 July 2025 | Moscow</li></ul>\
                 <p>The prosecutor's office did not answer requests for comment on the detentions, the groups said, and no charges have been filed.</p>\
                 </article></body></html>"
            );
            let doc = Html::parse_document(&html);
            let got = choose(&doc, &blocks(&doc, doc.root_element().id()), "").paragraphs;
            assert!(got[0].starts_with("Rights groups"), "{got:?}");
            // Further down, such a line is the article's own.
            assert_eq!(got.len(), 4, "{got:?}");
        }
        // A sentence with a date and a "by" is not a byline.
        assert!(!is_dated_byline(
            "The court sat on March 3, 2025 by order of the judge."
        ));
        // An article of short items never keeps a block long enough to end
        // the byline zone by its length; its entries further down stay.
        let items: String = [
            "Memorial Centre report",
            "Civic Assistance statement",
            "Lawyers' appeal to the court",
            "The appeal | Doe & Roe LLP | June 17, 2025",
        ]
        .iter()
        .map(|t| format!("<li>{t}</li>"))
        .collect();
        let html = format!(
            "<html><body><article><h1>Documents on the Grozny detentions</h1>\
             <p>October 11, 2023 by Jane Writer</p><p>Four documents, with their dates.</p>\
             <ul>{items}</ul><p>More documents will follow.</p></article></body></html>"
        );
        let doc = Html::parse_document(&html);
        let got = choose(&doc, &blocks(&doc, doc.root_element().id()), "").paragraphs;
        assert_eq!(got[0], "Four documents, with their dates.", "{got:?}");
        assert!(got.iter().any(|p| p.starts_with("The appeal |")), "{got:?}");
        // The byline goes; the intro, the four items and the close stay.
        assert_eq!(got.len(), 6, "{got:?}");
    }

    #[test]
    fn a_section_title_that_links_to_itself_is_kept() {
        // Themes wrap each section title in a link to its own anchor (its
        // permalink); the title was dropped as a line of link text.
        let html = "<html><body><article><h1>Detentions in Grozny</h1>\
             <p>Rights groups said on Tuesday that at least a dozen men had been detained in Grozny in the past month, and that relatives had been told not to speak to reporters.</p>\
             <h2 id=\"the-arrests\"><a href=\"#the-arrests\">The arrests</a></h2>\
             <p>The men were held for several days without charge, the groups said, and some were returned to their families only after paying officers.</p>\
             <h2><a href=\"#the-arrests\">Back to the arrests</a></h2>\
             <p>Lawyers for two families said they had been refused access to their clients and that a complaint to the court went unanswered.</p>\
             <h2><a id=\"the-response\" href=\"#the-response\">The response</a></h2>\
             <p>The prosecutor's office did not answer requests for comment on the detentions, the groups said, and no charges have been filed.</p>\
             <h2 id=\"le-café\"><a href=\"#le-caf%C3%A9\">Le café</a></h2>\
             <p>Relatives met in a café near the court every morning, the groups said, to share what little news the lawyers had been able to get.</p>\
             </article></body></html>";
        let doc = Html::parse_document(html);
        let got = choose(&doc, &blocks(&doc, doc.root_element().id()), "").paragraphs;
        assert!(got.iter().any(|p| p == "The arrests"), "{got:?}");
        assert!(got.iter().any(|p| p == "The response"), "{got:?}");
        // The fragment is percent-encoded, the id is not.
        assert!(got.iter().any(|p| p == "Le café"), "{got:?}");
        // A link to another part of the page, with the article going on
        // below it, is still a link.
        assert!(!got.iter().any(|p| p == "Back to the arrests"), "{got:?}");
    }

    #[test]
    fn linked_section_titles_are_kept_but_not_a_closing_teaser_list() {
        let html = "<html><body><article><h1>Three guides to court records</h1>\
             <p>Rights groups said on Tuesday that court records in the region are hard to find, and that three guides help lawyers and relatives look for them.</p>\
             <h3>1. <a href=\"https://example.org/guide\">The Memorial guide</a></h3>\
             <p>The first guide explains how to ask a district court for the record of a hearing, and which offices keep the files after a case is closed.</p>\
             <h3><a href=\"https://example.net/handbook\">2. The lawyers' handbook</a></h3>\
             <p>The handbook lists the deadlines for appeals and the forms that go with them, with examples filled in by lawyers who used them in court.</p>\
             <h3>The takeaway</h3>\
             <p>None of the guides is complete, the groups said, but together they cover most of what a family needs to follow a case through the courts.</p>\
             <h3><a href=\"/news/a\">Ten years of the Grozny court</a></h3>\
             <p>A look back at a decade of hearings in the city's district court, and at the judges who have sat there since the last reform of the courts.</p>\
             <h3><a href=\"/news/b\">The prosecutor who never calls back</a></h3>\
             <p>Relatives describe months of unanswered letters to the prosecutor's office, and the one official who finally agreed to meet them in person.</p>\
             </article></body></html>";
        let doc = Html::parse_document(html);
        let got = choose(&doc, &blocks(&doc, doc.root_element().id()), "").paragraphs;
        assert!(got.iter().any(|p| p == "1. The Memorial guide"), "{got:?}");
        assert!(
            got.iter().any(|p| p == "2. The lawyers' handbook"),
            "{got:?}"
        );
        // The teasers at the end: linked titles with nothing but their
        // blurbs after them.
        assert!(
            !got.iter().any(|p| p == "Ten years of the Grozny court"),
            "{got:?}"
        );
    }

    #[test]
    fn a_long_copyright_line_is_boilerplate() {
        for t in [
            "Copyright © 2023 The Ledger. All rights reserved. Visit our website terms of use and permissions pages for further information.",
            "© 2000-2025 Ledger Media LLC, ISSN 1559-5137 Editorial HQ: Ledger Media LLC, PO Box 50032, Grozny",
            "All contents of this website are copyrighted by the Ledger and its writers, unless otherwise noted. All rights reserved.",
        ] {
            assert!(is_boilerplate_line(t), "{t}");
        }
        // A sentence that opens with the word is the article's.
        assert!(!is_boilerplate_line(
            "Copyright claims against local newspapers rose by a fifth last year, the press union said in its annual report."
        ));
        // So is a boot log quoted in the article, copyright line and all.
        let html = "<html><body><article><h1>Booting an old workstation</h1>\
             <p>The machine came from a company that decommissioned its hardware in 1999, and it still starts from its own boot ROM after all these years.</p>\
             <pre>(c) Copyright 1990-1994, Hewlett-Packard Company. All rights reserved</pre>\
             <p>From there the boot loader took over and the system came up in a few minutes, slower than a phone but faster than the author had feared.</p>\
             </article></body></html>";
        let doc = Html::parse_document(html);
        let got = choose(&doc, &blocks(&doc, doc.root_element().id()), "").paragraphs;
        assert!(
            got.iter().any(|p| p.starts_with("(c) Copyright")),
            "{got:?}"
        );
    }

    #[test]
    fn a_newsletter_sign_up_call_is_a_notice() {
        for t in [
            "Get the latest news from the Caucasus delivered to your inbox!",
            "Love long reads? Our weekend edition has the best of the week, delivered right to your inbox. Sign up now.",
            "Join our mailing list! Get a note when a new episode is published.",
            "Want more from the Ledger? Sign up for our newsletter, The Brief.",
        ] {
            assert!(is_notice(t), "{t}");
        }
        // Sentences about newsletters and inboxes are not calls to sign up.
        for t in [
            "The paper added 680,000 newsletter subscribers in a year, and readers said what reached their inbox mattered more than its design.",
            "Spam filters decide which messages reach your inbox, the researchers found.",
        ] {
            assert!(!is_notice(t), "{t}");
        }
    }

    #[test]
    fn placeholder_text_is_not_the_article() {
        // A landing-page template whose unfilled slots hold more dummy text
        // than the page has article.
        let lorem = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.</p>";
        let html = format!(
            "<html><body><div class=\"slot\"><h3>Head Line 1</h3>{l}{l}{l}{l}</div>\
             <div class=\"slot\"><h3>Rankings</h3>\
             <p>Each year the firm ranks the hundred largest property insurers by premiums written, with separate tables for personal and commercial lines.</p>\
             <p>This year the largest writers grew their premiums faster than the rest, and three companies new to the list entered the top twenty.</p>\
             </div></body></html>",
            l = lorem
        );
        let doc = Html::parse_document(&html);
        let got = choose(&doc, &blocks(&doc, doc.root_element().id()), "").paragraphs;
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[1].starts_with("Each year"), "{got:?}");
        assert!(got.iter().all(|p| !p.starts_with("Lorem")), "{got:?}");
    }

    #[test]
    fn text_before_a_furniture_block_is_not_furniture() {
        // Regression: text set straight in the article's container, then a
        // block named like furniture (a blog's "tr-caption-container"
        // table): the text was flushed under the table's mark and lost.
        let html = "<html><body><div class=\"post-body\">Silego makes a line of programmable logic devices.<br><br>\
            They are kind of like tiny PSoCs with a mixed signal fabric.\
            <table class=\"tr-caption-container\"><tr><td>Block diagram</td></tr></table>\
            After the table the post goes on.</div></body></html>";
        let doc = Html::parse_document(html);
        let b = blocks(&doc, doc.root_element().id());
        let tiny = b
            .iter()
            .find(|b| b.text.starts_with("They are kind"))
            .expect("the text");
        assert!(!tiny.noise, "{b:?}");
        let caption = b
            .iter()
            .find(|b| b.text == "Block diagram")
            .expect("the caption");
        assert!(caption.noise);
    }

    #[test]
    fn more_and_an_outlets_name_titles_a_teaser_list() {
        for t in ["More The Ledger", "More CNN", "More NPR News"] {
            assert!(is_more_from_outlet(t), "{t}");
        }
        for t in [
            "More details",
            "More than a hundred men were detained",
            "More Arrests?",
        ] {
            assert!(!is_more_from_outlet(t), "{t}");
        }
    }

    #[test]
    fn consent_managers_panels_are_named_by_whole_class_names() {
        for (class, id) in [
            (Some("qc-cmp2-container"), None),
            (Some("x cky-consent-container"), None),
            (None, Some("sp_message_container_1234")),
            (None, Some("cliSettingsPopup")),
            (None, Some("onetrust-banner-sdk")),
        ] {
            assert!(is_consent_panel(class, id), "{class:?} {id:?}");
        }
        for (class, id) in [
            (Some("sticky-header"), None),
            (Some("client-list"), None),
            (None, Some("main")),
        ] {
            assert!(!is_consent_panel(class, id), "{class:?} {id:?}");
        }
    }

    #[test]
    fn a_consent_panels_explanation_is_a_notice_an_article_on_cookies_is_not() {
        let panel = "This website uses cookies to improve your experience while you navigate through the website. Out of these, the cookies that are categorized as necessary are stored on your browser as they are essential for the working of basic functionalities of the website. We also use third-party cookies that help us analyze and understand how you use this website. These cookies will be stored in your browser only with your consent.";
        assert!(is_notice(panel));
        let article = "Regulators said on Tuesday that the largest news sites still set advertising cookies before readers agree to them, and that several of the sites they examined set more than a hundred such cookies on a first visit. The agency said it would write to the publishers and expected them to change how their cookie banners work within three months, or face fines under the data protection law.";
        assert!(!is_notice(article));
    }

    #[test]
    fn a_page_of_placeholder_text_only_is_still_read() {
        // Regression: placeholder text was furniture even on a page that
        // has no other prose, which then had "no article".
        let lorem = "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.</p>";
        let html = format!("<html><head><title>Test page</title></head><body><article><h1>Test page</h1>{lorem}{lorem}</article></body></html>");
        let url = url::Url::parse("https://example.org/test").unwrap();
        let a = crate::extract::extract(html.as_bytes(), None, &url).expect("the article");
        assert!(
            a.paragraphs[0].starts_with("Lorem ipsum"),
            "{:?}",
            a.paragraphs
        );
    }

    #[test]
    fn a_list_of_links_before_the_text_is_tags_not_the_article() {
        // Regression: the rule that keeps a list of links with the article
        // going on below it also kept the tag list under the headline.
        let para = "<p>Rights groups said on Tuesday that at least a dozen men had been detained in Grozny in the past month, and that relatives had been told not to speak to reporters.</p>";
        let html = format!(
            "<html><body><article><h1>Detentions in Grozny</h1>\
             <ul><li><a href=\"/tag/politics\">Politics</a></li><li><a href=\"/tag/europe\">Europe</a></li><li><a href=\"/tag/caucasus\">Caucasus</a></li></ul>\
             {para}{para}\
             <ul><li><a href=\"/report\">The full report of the rights groups</a></li><li><a href=\"/letter\">The letter to the prosecutor</a></li></ul>\
             <p>The prosecutor's office did not answer requests for comment on the detentions, the groups said, and no charges have been filed.</p>\
             </article></body></html>"
        );
        let doc = Html::parse_document(&html);
        let got = choose(&doc, &blocks(&doc, doc.root_element().id()), "").paragraphs;
        assert!(
            !got.iter().any(|p| p == "Politics" || p == "Caucasus"),
            "{got:?}"
        );
        // The list inside the text, with the article going on below, stays.
        assert!(
            got.iter().any(|p| p.starts_with("The full report")),
            "{got:?}"
        );
    }

    #[test]
    fn a_list_of_links_followed_only_by_a_bio_or_a_notice_is_furniture() {
        // Regression: an author's bio, a byline or a cookie notice after a
        // list of recent posts counted as the article going on below it, so
        // the list was kept as the article's own.
        let para = "<p>Rights groups said on Tuesday that at least a dozen men had been detained in Grozny in the past month, and that relatives had been told not to speak to reporters.</p>";
        let more = "<p>The prosecutor's office did not answer requests for comment on the detentions, the groups said, and no charges have been filed.</p>";
        let posts = "<ul><li><a href=\"/a\">Ten years of the Grozny court</a></li><li><a href=\"/b\">The prosecutor who never calls back</a></li></ul>";
        for tail in [
            "<h3>About the author</h3><p>Jane Writer has covered the North Caucasus for the Ledger since 2015 and before that reported from Moscow for a news agency.</p>",
            "<p>By Jane Writer and Ivan Petrov, correspondents of the Ledger in Grozny and Moscow</p>",
            "<p>We use cookies to improve your experience on this site. By continuing to browse you accept our use of cookies and our privacy policy.</p>",
            "<p>Copyright © 2025 The Ledger. All rights reserved. Use of this site constitutes acceptance of our terms of use and privacy policy.</p>",
        ] {
            let html = format!(
                "<html><body><article><h1>Detentions in Grozny</h1>{para}{more}{posts}{tail}</article></body></html>"
            );
            let doc = Html::parse_document(&html);
            let got = choose(&doc, &blocks(&doc, doc.root_element().id()), "").paragraphs;
            assert_eq!(got.len(), 2, "{got:?}");
        }
    }

    fn owned(ps: &[&str]) -> Vec<String> {
        ps.iter().map(|p| p.to_string()).collect()
    }

    const REFERENCE: &str = "Police in Grozny detained at least twelve men last month, according to two rights groups.\n\
        The men were held for several days without charge, and some were returned to their families only after paying officers.Lawyers' account\n\
        Lawyers for two families said they had been refused access to their clients and that a complaint went unanswered.";

    #[test]
    fn paragraphs_missing_from_the_reference_are_dropped() {
        let ps = owned(&[
            "Police in Grozny detained at least twelve men last month, according to two rights groups.",
            "Get our morning briefing, free in your inbox every weekday.",
            // Wrapped and with a link's text left out in the reference.
            "The men were held for several days without any charge, and some were returned to their families only after paying officers.",
            // Glued to the end of the previous block in the reference.
            "Lawyers' account",
            "Lawyers for two families said they had been refused access to their clients and that a complaint went unanswered.",
            "Jane Writer covers the region.",
        ]);
        let mut want = ps.clone();
        want.remove(5);
        want.remove(1);
        assert_eq!(vet_by_reference(ps, REFERENCE), want);
    }

    #[test]
    fn a_long_run_past_the_end_of_the_reference_is_kept() {
        // The reference is an older, shorter version: the added section is
        // article text, not furniture.
        let mut ps = owned(&[
            "Police in Grozny detained at least twelve men last month, according to two rights groups.",
            "The men were held for several days without charge, and some were returned to their families only after paying officers.",
            "Lawyers for two families said they had been refused access to their clients and that a complaint went unanswered.",
        ]);
        for p in [
            "Update: prosecutors opened an inquiry on Friday.",
            "Officers involved would be questioned.",
            "The rights groups welcomed the step.",
            "Relatives said nobody had told them.",
        ] {
            ps.push(p.to_string());
        }
        assert_eq!(vet_by_reference(ps.clone(), REFERENCE), ps);
    }

    #[test]
    fn a_short_or_different_reference_changes_nothing() {
        let ps = owned(&[
            "Police in Grozny detained at least twelve men last month, according to two rights groups.",
            "A second paragraph that the short summary does not hold, long enough to matter in the count.",
            "A third paragraph that the short summary does not hold either, and it is longer than the others.",
        ]);
        assert_eq!(
            vet_by_reference(ps.clone(), "Twelve men detained in Grozny."),
            ps
        );
        let other = "Entirely different words that share nothing with the article at all, written as a translation might be, and just as long as it or longer still so that it covers it. More words follow here, none of them from the article, to make the length plain.";
        assert_eq!(vet_by_reference(ps.clone(), other), ps);
    }

    #[test]
    fn glued_words_are_split() {
        assert_eq!(
            word_tokens("officers.Lawyers at lululemon.comLululemon"),
            ["officers", "lawyers", "at", "lululemon", "com", "lululemon"]
        );
    }

    #[test]
    fn a_closing_bio_without_author_metadata_is_cut() {
        let body = owned(&[
            "Remote access tools let support teams fix a laptop from across the country, and the best of them do it without a VPN.",
            "Start your free trial today.",
            "Jane Writer",
            "Jane Writer is a Senior Marketing Manager at Example Corp. She has written about remote work for ten years.",
        ]);
        let got = without_closing_bio(body.clone());
        assert_eq!(got, body[..2].to_vec(), "{got:?}");
        // A review's section on its writer's credentials is the article's.
        let vouched = owned(&[
            "Stainless steel wins out: it keeps the coffee hot for longer than glass or stoneware does.",
            "Why Trust Us",
            "Jane Writer is a longtime coffee writer whose work has appeared in three magazines. She tested every press here.",
        ]);
        assert_eq!(without_closing_bio(vouched.clone()), vouched);
        // A closing sentence about a thing, not a person, stays.
        let thing = owned(&[
            "The language has grown quickly over the past decade, and its tools have grown with it.",
            "Rust is a language that many teams now use at work for new services and command-line tools.",
        ]);
        assert_eq!(without_closing_bio(thing.clone()), thing);
    }

    #[test]
    fn the_author_bio_at_the_end_is_cut() {
        let body = owned(&[
            "Police in Grozny detained at least twelve men last month, according to two rights groups.",
            "Jane Writer spoke to relatives of four of the men, who described the detentions.",
            "Officials denied that any detentions had taken place.",
            "Jane Writer covers the North Caucasus for the Ledger and has reported from the region since 2015.",
            "Write to her at jane@example.org",
        ]);
        // The name opening an article paragraph further up is left alone.
        assert_eq!(
            without_author_bio(body.clone(), "A. Reporter, Jane Writer"),
            body[..3].to_vec()
        );
        // No author, a one-word author, or an author not named: unchanged.
        assert_eq!(without_author_bio(body.clone(), ""), body);
        assert_eq!(without_author_bio(body.clone(), "Jane"), body);
        assert_eq!(without_author_bio(body.clone(), "Ivan Petrov"), body);
    }
}
