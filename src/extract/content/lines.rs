//! Lines that are furniture by their wording: boilerplate ("Advertisement",
//! "Share this"), furniture headings ("Related articles"), bylines and
//! dates, notices and sign-up calls, consent prose; the phrase tables they
//! are read by.
//!
//! Pure predicates on one line of text; they never see the tree and never
//! decide what to drop (that is `clean`). Part of `extract`
//! (ARCHITECTURE.md, "Codemap").

/// Short lines that are furniture wherever they appear.
pub(super) const BOILERPLATE: &[&str] = &[
    "advertisement",
    "advertisements",
    "advertising",
    // The marker a site puts where an ad interrupts the text.
    "story continues below",
    "article continues below",
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

pub(super) fn is_boilerplate_line(t: &str) -> bool {
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
pub(super) const COPYRIGHT_LINE_WORDS: usize = 40;

/// Headings that open page furniture rather than a part of the article.
pub(super) fn is_furniture_heading(t: &str) -> bool {
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
pub(super) fn is_more_from_outlet(t: &str) -> bool {
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
pub(super) const END_MATTER: &[&str] = &[
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
pub(super) const SECTION_LINES: &[&str] = &[
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

/// A furniture section title set as a line of text is short.
pub(super) const SECTION_LINE_CHARS: usize = 40;
/// The rank a section title line is given: its real rank is unknown, so only
/// a major heading ends the section it opens.
pub(super) const SECTION_LINE_RANK: u8 = 3;

pub(super) const MONTHS: &[&str] = &[
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
pub(super) fn lower_words(t: &str) -> Vec<String> {
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
pub(super) const DATED_BYLINE_WORDS: usize = 20;
/// Dated bylines are looked for among the first blocks of text only: in an
/// article of short items, "Title | Author | June 17, 2025" further down is
/// an entry of the article's own list.
pub(super) const DATED_BYLINE_ZONE: usize = 3;

/// The number of runs of letters and digits in a line.
pub(super) fn word_count(t: &str) -> usize {
    t.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count()
}

/// Whether the words hold a calendar date: a month name with a day and a
/// year ("Sep 9, 2025", "9 September 2025") or three numbers in a row that
/// end in a year ("03/01/2017").
pub(super) fn has_full_date(words: &[String]) -> bool {
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
pub(super) fn is_dated_byline(t: &str) -> bool {
    let words = lower_words(t);
    words.len() <= DATED_BYLINE_WORDS
        && !t.trim_end().ends_with(['.', '!', '?'])
        && (words.iter().any(|w| w == "by") || t.contains(['|', '·', '•']))
        && has_full_date(&words)
}

/// Cookie notices, affiliate disclosures and newsletter sign-up calls that
/// sit inside the article container: recognised by their wording, since
/// their markup is anything.
pub(super) fn is_notice(t: &str) -> bool {
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
pub(super) const CONSENT_PROSE_WORDS: usize = 160;

/// A consent panel's explanation (lower case): the site speaking of its
/// own cookies, again and again. An article about cookies reports what
/// sites do; it does not say "this website uses".
pub(super) fn is_consent_prose(l: &str) -> bool {
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
