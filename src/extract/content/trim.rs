//! Trims applied to the body after the container is chosen: paragraphs the
//! publisher's own `articleBody` lacks, and the author's bio at the end
//! (named by the metadata, or by its shape).
//!
//! Pure: paragraphs in, fewer paragraphs out; never adds text and never
//! looks at the tree. Part of `extract` (ARCHITECTURE.md, "Codemap").

use std::collections::HashSet;

/// Lower-cased words of a text: runs of letters and digits, so that
/// punctuation, quotes and line wrapping do not matter. A lower-case letter
/// followed by a capital also ends a word: `articleBody` texts are often
/// block texts glued without a space ("…at lululemon.comLululemon Review").
pub(super) fn word_tokens(s: &str) -> Vec<String> {
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
pub(super) const REFERENCE_MIN_COVER: f64 = 0.6;
/// If vetting would drop more than half the text, the reference is another
/// text (an older version, a translation), not ours with furniture removed.
pub(super) const REFERENCE_MAX_DROP: f64 = 0.5;
/// Text after the last paragraph the reference holds is furniture (a bio, a
/// sign-up box: a paragraph or three) when it is short; at this many
/// paragraphs and this share of the whole, it is the rest of an article whose
/// reference stops early (an older version).
pub(super) const REFERENCE_TAIL_PARAGRAPHS: usize = 4;
pub(super) const REFERENCE_TAIL_SHARE: f64 = 0.1;
/// Paragraphs shorter than this say too little to show where the reference
/// ends: a heading's words turn up anywhere in it.
pub(super) const REFERENCE_ANCHOR_WORDS: usize = 8;

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

/// How far from the end of the body an author's bio is looked for.
pub(super) const BIO_WINDOW: usize = 3;
/// A bio is a sentence about the author, not a lone name or "Jane Writer
/// contributed reporting".
pub(super) const BIO_MIN_WORDS: usize = 8;

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
pub(super) const CLOSING_BIO_WORDS: usize = 90;
