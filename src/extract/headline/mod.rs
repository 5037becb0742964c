//! The headline: the page's `<h1>`s against its metadata titles (JSON-LD
//! headline, og:title, twitter:title, `<title>`), site names and taglines
//! cut, casing and quotes taken from the metadata where the `<h1>` lost them.
//!
//! Pure: reads `meta::PageMeta` and the body's blocks (`content`), never the
//! tree; decides nothing about the body. Part of `extract` (ARCHITECTURE.md,
//! "Codemap").

use std::collections::HashSet;

use ego_tree::NodeId;

use super::content::{is_byline_or_date, Block, Kind};
use super::meta::{unescape, PageMeta};

#[cfg(test)]
mod tests;

const SEPARATORS: &[&str] = &[
    " | ", " || ", " - ", " – ", " — ", " :: ", " · ", " » ", " • ", " / ", " ~ ",
];

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Removes a site name before or after a separator: "Title | Site",
/// "Title - Site", "Site: Title".
pub fn strip_site(title: &str, site: Option<&str>, host: &str) -> String {
    strip_site_with(title, site, host, true)
}

/// The site's own name in its host: the label before the public suffix
/// ("news" in "news.example.co.uk" is a subdomain, "example" the name).
fn host_name(host: &str) -> String {
    let mut labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    if labels.len() > 1 {
        labels.pop();
    }
    while labels.len() > 1
        && matches!(
            labels.last(),
            Some(&("co" | "com" | "org" | "net" | "ac" | "gov" | "edu" | "or" | "ne"))
        )
    {
        labels.pop();
    }
    norm(labels.last().copied().unwrap_or(""))
}

/// `guess`: also cut short tails after a separator when the site name is
/// unknown (right for `<title>`, too eager for a visible h1).
fn strip_site_with(title: &str, site: Option<&str>, host: &str, guess: bool) -> String {
    let title = title.trim();
    let site_n = site.map(norm).unwrap_or_default();
    let site_words = site.map_or(0, |s| s.split_whitespace().count());
    let host_n = host_name(host);
    // A part that holds the site's name among a few more words ("Example
    // News Blog", "example.com") is the site; one that holds it among many
    // is a headline that mentions the site ("example.com - The five best …").
    let looks_like_site = |part: &str| {
        let n = norm(part);
        let words = part.split_whitespace().count();
        !n.is_empty()
            && ((!site_n.is_empty()
                && (n == site_n
                    || site_n.contains(&n)
                    || n.contains(&site_n) && words <= site_words + 3))
                || (host_n.len() >= 3
                    && (n.contains(&host_n) && words <= 4 || host_n.contains(&n) && n.len() >= 3)))
    };
    // The site side of the separator: try the rightmost split first, then the leftmost.
    for sep in SEPARATORS {
        if let Some(i) = title.rfind(sep) {
            let (head, tail) = (title[..i].trim(), title[i + sep.len()..].trim());
            if looks_like_site(tail) && !head.is_empty() {
                return strip_site_with(head, site, host, guess);
            }
        }
        if let Some(i) = title.find(sep) {
            let (head, tail) = (title[..i].trim(), title[i + sep.len()..].trim());
            if looks_like_site(head) && !tail.is_empty() {
                return strip_site_with(tail, site, host, guess);
            }
        }
    }
    if !guess {
        return title.to_string();
    }
    // Unknown site name: a short last segment after a strong separator is a
    // site, section or brand more often than part of the headline.
    for sep in [" | ", " || ", " :: ", " » "] {
        if let Some(i) = title.rfind(sep) {
            let (head, tail) = (title[..i].trim(), title[i + sep.len()..].trim());
            if tail.split_whitespace().count() <= 4 && head.split_whitespace().count() >= 3 {
                return strip_site(head, site, host);
            }
        }
    }
    cut_dash_tagline(title).unwrap_or(title).to_string()
}

/// A headline of four words or more before a dash and a short capitalised
/// tail: the tail is a tag line ("… - Personally Tested", "… — Strength
/// Training") or the site; returns the headline without it.
fn cut_dash_tagline(t: &str) -> Option<&str> {
    [" - ", " – ", " — "].into_iter().find_map(|sep| {
        let i = t.rfind(sep)?;
        let (head, tail) = (t[..i].trim(), t[i + sep.len()..].trim());
        (tail.split_whitespace().count() <= 3
            && head.split_whitespace().count() >= 4
            && tail.chars().next().is_some_and(char::is_uppercase))
        .then_some(head)
    })
}

/// One `<h1>` of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct H1 {
    pub text: String,
    /// Inside page furniture (a header, a sidebar).
    pub noise: bool,
    /// All of it is link text (site logos link home).
    pub link: bool,
}

/// The headline by its own rules. The visible `<h1>` is what readers see as
/// the headline, so it wins: first one the page's metadata confirms (the
/// metadata title holds its words in a row; see [`confirms`]), else the first
/// one outside page furniture that is not the site's name (blogs put the site
/// name in an `<h1>` in the header). Only without a usable `<h1>`: the JSON-LD
/// headline, then og:title, then `<title>`, each with the site name cut off.
/// `h1s` are the page's `<h1>` texts in order, each with whether it sits in
/// page furniture. The checks against the metadata come after the pick.
pub fn headline(m: &PageMeta, h1s: &[H1], host: &str) -> String {
    let site = m.site_name.as_deref();
    let picked = pick_headline(m, h1s, host);
    let metas: Vec<String> = [&m.ld_headline, &m.og_title, &m.twitter_title, &m.html_title]
        .into_iter()
        .flatten()
        .map(|t| strip_site(t, site, host))
        .filter(|t| !t.is_empty() && site.is_none_or(|s| norm(t) != norm(s)))
        .collect();
    // The echo settles a disagreement; an h1 that a metadata title repeats
    // word for word has no disagreement to settle.
    let confirmed = {
        let p = norm(&picked);
        h1s.iter().any(|h| norm(&h.text) == p) && metas.iter().any(|t| norm(t) == p)
    };
    if let Some(t) = over_subtitle(&picked, &metas, &m.two_line_h1s) {
        return tidy(t, site, host);
    }
    if let Some(shown) = echoed(&picked, &metas, &m.headings).filter(|_| !confirmed) {
        return tidy(shown, site, host);
    }
    tidy(&second_look(&picked, &metas), site, host)
}

/// The distinct words of a title, lower-cased, punctuation dropped.
fn word_set(s: &str) -> HashSet<String> {
    words(s).into_iter().collect()
}

/// The words of a title in order, lower-cased, punctuation dropped.
fn words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(norm)
        .filter(|w| !w.is_empty())
        .collect()
}

/// An `<h1>` set as a title line over a subtitle line reads as one run-on
/// sentence once its lines are joined ("Top MBA Programs of 2025 (US) Your
/// Guide to…"); the publisher's headline is the metadata title, which either
/// writes the two lines with their separator ("Title - Subtitle") or words
/// them anew. The metadata title must share half its words with the h1, and
/// a metadata title that is the joined lines word for word keeps the h1.
fn over_subtitle<'a>(
    picked: &str,
    metas: &'a [String],
    two_line: &[[String; 2]],
) -> Option<&'a String> {
    let p = norm(picked);
    let [a, b] = two_line
        .iter()
        .find(|[a, b]| norm(&format!("{a}{b}")) == p)?;
    let joined = fold_quotes(&format!("{a} {b}"));
    if metas.iter().any(|t| fold_quotes(t) == joined) {
        return None;
    }
    let h = word_set(picked);
    metas.iter().find(|t| {
        let w = word_set(t);
        !w.is_empty() && w.intersection(&h).count() * 2 >= w.len()
    })
}

const ECHO_MIN_WORDS: usize = 5;

/// A metadata title that the page also shows as a sub-heading (`<h2>`,
/// `<h3>`) is declared by the publisher and visible to the reader, which
/// beats a different pick: themes that give the post title an `<h2>` leave
/// the `<h1>` to a section name, a teaser or a heading inside the text, and
/// a metadata headline cut short has its full form on the page. Titles
/// under [`ECHO_MIN_WORDS`] words are left out: short ones ("What is X?")
/// recur as the sections of an explainer and match them by chance.
fn echoed<'a>(picked: &str, metas: &'a [String], headings: &[String]) -> Option<&'a String> {
    let p = norm(picked);
    let shown: std::collections::HashSet<String> = headings.iter().map(|h| norm(h)).collect();
    metas
        .iter()
        .filter(|t| t.split_whitespace().count() >= ECHO_MIN_WORDS)
        .find(|t| {
            let n = norm(t);
            n != p && shown.contains(&n)
        })
}

/// Checks of a visible `<h1>` against the titles in the page's metadata
/// (`metas`, site names cut, in order of trust).
/// - The same words with other quote marks: the metadata keeps the quotes as
///   the publisher typed them, while themes curl them on display
///   (WordPress's texturize), so the typed title wins — unless a metadata
///   title has the h1's curled form too.
/// - An h1 with characters lost to "?" by a broken encoding, or without the
///   list count that the metadata title puts in front, yields to that title.
/// - A short h1 (four words or fewer) that shares under half its words with
///   the metadata title is a section label or a tag line ("Lessons
///   Learned", "Index funds"), not the headline.
/// - An h1 that is the metadata title behind a kicker label ("Blog: …") or a
///   date ("Dec 18 2025 …") carries page furniture glued to the headline.
fn second_look(picked: &str, metas: &[String]) -> String {
    // A metadata title with the h1's curled quotes shows that the curling is
    // the publisher's own, not the theme's: no typed form to prefer.
    let curled_in_meta = metas.iter().any(|t| t == picked);
    if let Some(typed) = metas.iter().find(|t| {
        !curled_in_meta
            && t.as_str() != picked
            && t.contains(['\'', '"'])
            && fold_quotes(t) == fold_quotes(picked)
    }) {
        return typed.clone();
    }
    // Straightened, the h1 still goes through the rules below (a kicker
    // label, a list count, a dateline).
    let straightened = typed_words(picked, metas);
    let picked = straightened.as_deref().unwrap_or(picked);
    // An h1 in capitals that a metadata title spells in mixed case: the
    // capitals are the design's ("TIPS FOR ONLINE SUCCESS"), the casing the
    // publisher's.
    if shouted(picked) {
        if let Some(t) = metas
            .iter()
            .find(|t| !shouted(t) && fold_quotes(t) == fold_quotes(picked))
        {
            return t.clone();
        }
    }
    if let Some(t) = metas.iter().find(|t| lost_to_question_marks(picked, t)) {
        return t.clone();
    }
    // The metadata title is the h1 behind a list count ("8 Recent Trends…"
    // over an h1 "Recent Trends…"): themes show the count apart from the
    // heading, and the count is part of a list article's headline.
    if let Some(t) = metas.iter().find(|t| {
        t.split_once(' ').is_some_and(|(n, rest)| {
            n.len() <= 3
                && n.chars().all(|c| c.is_ascii_digit())
                && fold_quotes(rest) == fold_quotes(picked)
        })
    }) {
        return t.clone();
    }
    for t in metas.iter().filter(|t| t.split_whitespace().count() >= 3) {
        let Some(prefix) = picked
            .strip_suffix(t.as_str())
            .filter(|p| p.ends_with([' ', ':']))
            .map(str::trim)
        else {
            continue;
        };
        let label = prefix.ends_with(':') && prefix.split_whitespace().count() <= 2;
        // A bare year in front ("2025 Price Guide") is part of the headline.
        let dateline = prefix.split_whitespace().count() >= 2 && is_byline_or_date(prefix);
        if label || dateline {
            return t.clone();
        }
    }
    let Some(first) = metas.first() else {
        return picked.to_string();
    };
    let (h, t) = (word_set(picked), word_set(first));
    if !h.is_empty()
        && picked.split_whitespace().count() <= 4
        && h.intersection(&t).count() * 2 < h.len()
    {
        return first.clone();
    }
    picked.to_string()
}

/// Whether `h1` is `title` with some characters lost to "?" (or U+FFFD) by a
/// broken encoding on the publisher's side ("Planning? Beginner? Guide" for
/// "Planning: Beginner's Guide"): each mark stands for one to three
/// characters of the title and everything else is equal. A mark at the very
/// end is the headline's own question mark and does not count.
fn lost_to_question_marks(h1: &str, title: &str) -> bool {
    let h: Vec<char> = h1.trim_end_matches('?').chars().collect();
    let marks = h.iter().filter(|c| matches!(c, '?' | '\u{FFFD}')).count();
    if marks == 0 || marks > 4 || h1 == title {
        return false;
    }
    let t: Vec<char> = title.chars().collect();
    // Backtracking over at most 3^4 spans per start: titles are short.
    fn fits(h: &[char], t: &[char]) -> bool {
        match h.split_first() {
            None => t.is_empty() || t == ['?'],
            Some((&c, rest)) if c == '?' || c == '\u{FFFD}' => {
                (1..=3.min(t.len())).any(|k| fits(rest, &t[k..]))
            }
            Some((&c, rest)) => t.first() == Some(&c) && fits(rest, &t[1..]),
        }
    }
    fits(&h, &t)
}

/// The h1 with its quotes made straight when the metadata titles, worded
/// otherwise, type one of the h1's quoted words straight ("Visitor's" in
/// og:title, "Visitor’s" in the h1) and none of them has it curled: the same
/// word typed two ways on one page is the theme curling what the publisher
/// typed.
fn typed_words(picked: &str, metas: &[String]) -> Option<String> {
    let is_curly = |c: char| straight(c) != c;
    let word = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let curled: Vec<String> = picked
        .split_whitespace()
        .map(word)
        .filter(|w| w.contains(is_curly))
        .collect();
    if curled.is_empty() {
        return None;
    }
    let meta_words: HashSet<String> = metas
        .iter()
        .flat_map(|t| t.split_whitespace().map(word))
        .collect();
    let curled_there = curled.iter().any(|w| meta_words.contains(w));
    let typed_there = curled.iter().any(|w| meta_words.contains(&fold_quotes(w)));
    (typed_there && !curled_there).then(|| picked.chars().map(straight).collect())
}

/// Set in capitals: nine letters in ten upper case, of eight or more.
fn shouted(s: &str) -> bool {
    let (mut letters, mut upper) = (0usize, 0usize);
    for c in s.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        upper += usize::from(c.is_uppercase());
    }
    letters >= 8 && upper * 10 >= letters * 9
}

/// A typographic quote (or prime) as the typewriter's.
fn straight(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => '"',
        c => c,
    }
}

/// Lower case with typographic quotes made straight, for comparing titles
/// that differ only in quote style.
fn fold_quotes(s: &str) -> String {
    s.chars()
        .map(straight)
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Cleans the chosen headline whatever its source: character references
/// escaped twice by the publisher, the site's name at either end (an h1 can
/// carry it as well as a `<title>`), short " | " sections ("… | Opinion")
/// and a bare domain name before or after the words.
fn tidy(h: &str, site: Option<&str>, host: &str) -> String {
    let mut t = if h.contains('&') && h.contains(';') {
        unescape(h)
    } else {
        h.trim().to_string()
    };
    t = strip_site_with(&t, site, host, false);
    // A pipe is never part of a sentence. A short first segment before a
    // longer rest is a brand or a section put in front ("The Agency | ML
    // at Georgia Tech"); looked at first, since the rest may be short too.
    if let Some(i) = t.find(" | ") {
        let (head, tail) = (t[..i].trim(), t[i + 3..].trim());
        let (h, rest) = (
            head.split_whitespace().count(),
            tail.split_whitespace().count(),
        );
        if h <= 3 && rest > h && !tail.contains(" | ") {
            t = tail.to_string();
        }
    }
    // A short last segment after it is a section, a tag line or a brand.
    while let Some(i) = t.rfind(" | ") {
        let (head, tail) = (t[..i].trim(), t[i + 3..].trim());
        if tail.split_whitespace().count() <= 4 && head.split_whitespace().count() >= 2 {
            t = head.to_string();
        } else {
            break;
        }
    }
    // The cut that `<title>`s get when the site is unknown, from any source.
    if let Some(head) = cut_dash_tagline(&t) {
        t = head.to_string();
    }
    let host_n = host_name(host);
    let is_domain = |w: &str| {
        w.contains('.')
            && w.chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
            && host_n.len() >= 3
            && norm(w).contains(&host_n)
    };
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.len() >= 3 {
        if is_domain(words[0]) {
            return words[1..].join(" ");
        }
        if words.last().is_some_and(|w| is_domain(w)) {
            return words[..words.len() - 1].join(" ");
        }
    }
    t
}

fn pick_headline(m: &PageMeta, h1s: &[H1], host: &str) -> String {
    let site = m.site_name.as_deref();
    let metas: Vec<&String> = [&m.ld_headline, &m.og_title, &m.twitter_title, &m.html_title]
        .into_iter()
        .flatten()
        .collect();
    let host_n = host_name(host);
    let site_like = |h: &str| {
        let n = norm(h);
        n.is_empty()
            || site.is_some_and(|s| norm(s) == n)
            || (host_n.len() >= 4 && n.starts_with(&host_n) && n.len() <= host_n.len() + 4)
    };
    let usable: Vec<&H1> = h1s
        .iter()
        .filter(|h| {
            !site_like(&h.text) && !breadcrumb(&h.text) && h.text.split_whitespace().count() <= 40
        })
        .collect();
    for H1 { text: h, .. } in &usable {
        if norm(h).len() < 8 {
            continue;
        }
        if metas
            .iter()
            .any(|t| confirms(t, h) || confirms(&strip_site(t, site, host), h))
        {
            return h.clone();
        }
    }
    // Unconfirmed by the metadata: a one- or two-word h1 is more often a
    // section label ("Webcams", "Our Blog") than the headline, and an h1 that
    // is all link is a logo, when the metadata offers a title instead. Two
    // words that the metadata title uses both are its short form, not a label.
    let has_meta = !metas.is_empty();
    let in_meta = |h: &str| {
        let w = word_set(h);
        metas.iter().any(|t| w.is_subset(&word_set(t)))
    };
    let plausible = |h: &&&H1| {
        let words = h.text.split_whitespace().count();
        !h.link && (!has_meta || words >= 3 || words == 2 && in_meta(&h.text))
    };
    if let Some(h) = usable.iter().filter(|h| !h.noise).find(plausible) {
        return h.text.clone();
    }
    // Pages often wrap the article header in a <header> that looks like
    // furniture; an h1 there still beats the metadata titles on the dev set.
    if let Some(h) = usable.iter().find(plausible) {
        return h.text.clone();
    }
    let candidates = [&m.ld_headline, &m.og_title, &m.twitter_title, &m.html_title];
    for c in candidates.into_iter().flatten() {
        let t = strip_site(c, site, host);
        if !t.is_empty() && site.is_none_or(|s| norm(&t) != norm(s)) {
            return t;
        }
    }
    h1s.first().map(|h| h.text.clone()).unwrap_or_default()
}

/// Whether metadata title `t` confirms `h1`: the h1's words are a run of the
/// title's words, and a one-word h1 opens the title ("restaurant" in
/// "RESTAURANT Definition & Meaning"). One word inside a title ("Planning"
/// in "… A Wedding Planning Guide") is a menu heading that happens to share
/// it, and a run cut inside a word is no match at all. Words are compared
/// with their punctuation and spacing gone ("Covid-19" is "Covid 19", "Q&A"
/// is "Q & A"): the run may start and end at any word boundary of either.
/// Scripts written without spaces make a whole title one "word", so there a
/// long h1 confirms anywhere inside the title.
fn confirms(t: &str, h1: &str) -> bool {
    let (t, h) = (words(t), words(h1));
    let (joined, run) = (t.concat(), h.concat());
    if run.is_empty() {
        return false;
    }
    // Chinese, Japanese and Thai; a long word of Cyrillic is still one word.
    let unspaced_script =
        |c: &char| matches!(*c as u32, 0x3040..=0x30FF | 0x3400..=0x9FFF | 0x0E00..=0x0E7F);
    let unspaced = h.len() == 1 && run.chars().filter(unspaced_script).count() >= 4;
    if unspaced {
        return joined.contains(&run);
    }
    // Byte offsets where the title's words start (and where it ends).
    let mut bounds = vec![0];
    for w in &t {
        bounds.push(bounds.last().copied().unwrap_or(0) + w.len());
    }
    let starts: &[usize] = if h.len() == 1 { &bounds[..1] } else { &bounds };
    starts
        .iter()
        .any(|&s| joined[s..].starts_with(&run) && bounds.binary_search(&(s + run.len())).is_ok())
}

/// A trail of short section names ("Computer Science > Artificial
/// Intelligence", "News › Europe"): where the page sits, not what it says.
fn breadcrumb(h: &str) -> bool {
    let parts: Vec<&str> = h.split([' ', '\u{a0}']).collect();
    // A spaced » after a « is a French closing quote, not a trail mark.
    let french = h.contains('«');
    let marks = parts
        .iter()
        .filter(|w| matches!(**w, ">" | "›") || **w == "»" && !french)
        .count();
    marks > 0
        && h.split(['>', '›', '»'])
            .all(|seg| (1..=4).contains(&seg.split_whitespace().count()))
}

/// The page's `<h1>` texts in order, each with whether it is in furniture.
/// Text split over several blocks of one `<h1>` is joined.
pub fn h1s(blocks: &[Block]) -> Vec<H1> {
    let mut out: Vec<(NodeId, H1)> = Vec::new();
    for b in blocks.iter().filter(|b| b.kind == Kind::Heading(1)) {
        match out.last_mut() {
            Some((id, h)) if *id == b.owner => {
                h.text.push(' ');
                h.text.push_str(&b.text);
                h.link = h.link && b.link_chars * 10 >= b.chars * 9;
            }
            _ => out.push((
                b.owner,
                H1 {
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
