//! Article → corpus text in the seed format.
//!
//! Pure: no I/O. The format: UTF-8 in NFC, LF line ends, the headline on the
//! first line, then the body paragraphs, each on one line, separated by
//! exactly one blank line, no trailing newline. Typographic characters are
//! kept as published. Must not decide what is boilerplate (that is
//! `extract`'s job) nor what is a duplicate (`dedup`'s).

use unicode_normalization::UnicodeNormalization;

/// Folds one block of text to a single clean line: NFC, every run of
/// whitespace (including line breaks and no-break spaces) one space, control
/// and zero-width format characters dropped.
pub fn line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfc() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else if c.is_control() || is_invisible(c) {
            continue;
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Format characters that carry nothing in plain text.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// The corpus text of an article: the headline, then the paragraphs. Empty
/// paragraphs are dropped, and so is a first paragraph that repeats the
/// headline.
pub fn corpus_text(title: &str, paragraphs: &[String]) -> String {
    let title = line(title);
    let mut out = title.clone();
    for (i, p) in paragraphs.iter().enumerate() {
        let p = line(p);
        if p.is_empty() || (i == 0 && p == title) {
            continue;
        }
        out.push_str("\n\n");
        out.push_str(&p);
    }
    out
}

/// Splits corpus text back into its headline and paragraphs.
pub fn split(text: &str) -> (&str, Vec<&str>) {
    let mut parts = text.split('\n').filter(|l| !l.trim().is_empty());
    let title = parts.next().unwrap_or("");
    (title, parts.collect())
}

/// Words in a text, as users count them: whitespace-separated tokens that
/// hold at least one letter or digit (so a lone dash is not a word).
pub fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_text_has_seed_shape() {
        let text = corpus_text(
            " A  headline\n",
            &[
                "First\tparagraph\r\nwraps.".into(),
                "  ".into(),
                "Second “quoted” — dash.".into(),
            ],
        );
        assert_eq!(
            text,
            "A headline\n\nFirst paragraph wraps.\n\nSecond “quoted” — dash."
        );
    }

    #[test]
    fn line_composes_to_nfc_and_drops_invisibles() {
        assert_eq!(
            line("Cafe\u{301}\u{200B} bar\u{00A0}\u{00A0}baz"),
            "Café bar baz"
        );
    }

    #[test]
    fn repeated_headline_is_not_a_paragraph() {
        assert_eq!(
            corpus_text("Title", &["Title".into(), "Body.".into()]),
            "Title\n\nBody."
        );
    }

    #[test]
    fn split_round_trips() {
        let (t, ps) = split("T\n\nA\n\nB");
        assert_eq!((t, ps), ("T", vec!["A", "B"]));
    }

    #[test]
    fn words_are_counted() {
        assert_eq!(word_count("It’s 32 countries — in Geneva."), 5);
    }
}
