//! Furniture and content by markup: which tags are never read, which are
//! block boundaries, and which tags, ARIA roles and class/id words mark an
//! element as page furniture (hard: navigation, comments, consent panels;
//! soft: share bars, related links, sidebars) or as the article's body.
//!
//! Pure tables and predicates on one element; no tree walk, no text rules
//! (those are in `lines`). Part of `extract` (ARCHITECTURE.md, "Codemap").

pub(super) const SKIP_TAGS: &[&str] = &[
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
pub(super) const NOISE_TAGS: &[&str] = &[
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
pub(super) const NOISE_ROLES: &[&str] = &[
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
pub(super) const NOISE_WORDS: &[&str] = &[
    "share",
    "sharing",
    "social",
    "sociallinks",
    "newsletter",
    "subscribe",
    "subscription",
    "signup",
    "related",
    // Jetpack's related-posts box (`jp-relatedposts`), on WordPress sites.
    "relatedposts",
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
pub(super) const HARD_WORDS: &[&str] = &[
    "comment", "comments", "disqus", "cookie", "cookies", "consent", "gdpr", "onetrust",
];

/// How consent managers name their panels: the start of a class or an id
/// (`qc-cmp2-container`, `sp_message_container_12`, `cliSettingsPopup`).
/// Whole class names, never parts of one: `sticky-` is not `cky-`.
pub(super) const CONSENT_PREFIXES: &[&str] = &[
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

pub(super) fn is_consent_panel(class: Option<&str>, id: Option<&str>) -> bool {
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
pub(super) const CONTENT_HINTS: &[&str] = &[
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
pub(super) const POSITIVE_WORDS: &[&str] = &[
    "article", "body", "content", "entry", "main", "page", "post", "text", "blog", "story",
    "prose", "hentry",
];
pub(super) const NEGATIVE_WORDS: &[&str] = &[
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

pub(super) fn attr_words(class: Option<&str>, id: Option<&str>) -> Vec<String> {
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

pub(super) fn has_content_hint(
    class: Option<&str>,
    id: Option<&str>,
    itemprop: Option<&str>,
) -> bool {
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

pub(super) fn is_hidden(el: &scraper::node::Element) -> bool {
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
pub(super) enum Noise {
    No,
    Soft,
    Hard,
}

/// Whether an element is page furniture by its own tag, role or class/id.
pub(super) fn noise_of(el: &scraper::node::Element) -> Noise {
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

pub(super) fn is_noise(el: &scraper::node::Element) -> bool {
    noise_of(el) != Noise::No
}
