//! Text normalisation for identity: what two copies of one article have in
//! common once publishing noise is gone. Pure functions on strings.
//!
//! Order (each step exists because a real copy differs from its original in
//! that way): HTML entities left by feeds and extractors are decoded; NFKC
//! folds NBSP, full-width digits, ligatures and NFD accents; zero-width
//! characters and soft hyphens are dropped without splitting the word they
//! sit in; quotes and dashes become separators like all punctuation (so their
//! typographic form never matters); case is folded. Han, Hiragana and
//! Katakana characters are one token each, because those scripts do not put
//! spaces between words; Hangul does, so it stays word-based.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Characters that are invisible and must not split or change a word.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

/// Scripts written without spaces between words: one token per character.
pub(crate) fn is_cjk_char(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x309F     // Hiragana
        | 0x30A0..=0x30FF   // Katakana
        | 0x31F0..=0x31FF   // Katakana phonetic extensions
        | 0x3400..=0x4DBF   // Han extension A
        | 0x4E00..=0x9FFF   // Han unified
        | 0xF900..=0xFAFF   // Han compatibility
        | 0xFF66..=0xFF9D   // half-width Katakana (NFKC maps most away)
        | 0x20000..=0x2FA1F // Han extensions B.. and supplement
    )
}

/// Decodes HTML character references: numeric ones, and the named ones that
/// feeds and extractors leave behind in practice. Unknown names stay as they
/// are (a literal `&` in text is not an error).
pub fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        // A reference is short; look for its ';' within 12 bytes.
        let end = rest
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|e| decode_one(&rest[1..e]).map(|c| (c, e)));
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn decode_one(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{A0}',
        "shy" => '\u{AD}',
        "ndash" => '\u{2013}',
        "mdash" => '\u{2014}',
        "lsquo" => '\u{2018}',
        "rsquo" => '\u{2019}',
        "sbquo" => '\u{201A}',
        "ldquo" => '\u{201C}',
        "rdquo" => '\u{201D}',
        "bdquo" => '\u{201E}',
        "laquo" => '\u{AB}',
        "raquo" => '\u{BB}',
        "hellip" => '\u{2026}',
        "zwj" => '\u{200D}',
        "zwnj" => '\u{200C}',
        "eacute" => 'é',
        "egrave" => 'è',
        "aacute" => 'á',
        "agrave" => 'à',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "auml" => 'ä',
        "szlig" => 'ß',
        "ccedil" => 'ç',
        "ntilde" => 'ñ',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        _ => return None,
    })
}

/// Feeds `f` with each normalized token of `text`.
pub(crate) fn for_each_token(text: &str, f: impl FnMut(&str)) {
    let decoded = decode_entities(text);
    // Text already in NFKC (all ASCII text, most Latin text) skips the
    // normalising iterator, the costliest step here.
    if is_nfkc_quick(decoded.chars()) == IsNormalized::Yes {
        tokens_of(decoded.chars(), f);
    } else {
        tokens_of(decoded.nfkc(), f);
    }
}

fn tokens_of(chars: impl Iterator<Item = char>, mut f: impl FnMut(&str)) {
    let mut cur = String::new();
    for c in chars {
        if c.is_ascii() {
            // Fast path: no CJK, no invisible characters, no marks here.
            if c.is_ascii_alphanumeric() {
                cur.push(c.to_ascii_lowercase());
            } else if !cur.is_empty() {
                f(&cur);
                cur.clear();
            }
            continue;
        }
        if is_invisible(c) {
            continue;
        }
        if is_cjk_char(c) {
            if !cur.is_empty() {
                f(&cur);
                cur.clear();
            }
            let mut buf = [0u8; 4];
            f(c.encode_utf8(&mut buf));
        } else if c.is_alphanumeric() || (is_combining_mark(c) && !cur.is_empty()) {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            f(&cur);
            cur.clear();
        }
    }
    if !cur.is_empty() {
        f(&cur);
    }
}

/// 64-bit hash of a token: FNV-1a over its bytes, then a finaliser so that
/// every bit depends on every byte (the shingle and MinHash steps rely on it).
pub(crate) fn token_hash(t: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in t.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix64(h)
}

/// The splitmix64 finaliser: a bijection with good avalanche.
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hashes of the normalized tokens of `text`.
pub(crate) fn token_hashes(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for_each_token(text, |t| out.push(token_hash(t)));
    out
}

/// Order-dependent hash of a token-hash sequence (0 stays for "empty").
pub(crate) fn seq_hash(hs: &[u64]) -> u64 {
    if hs.is_empty() {
        return 0;
    }
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
    for &x in hs {
        h = mix64(h.rotate_left(5) ^ x);
    }
    h | 1
}

/// The non-blank lines of a corpus text, each one a paragraph (the headline
/// is the first). Lines holding only whitespace (NBSP included) are blank.
pub(crate) fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.chars().all(|c| c.is_whitespace() || is_invisible(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        let mut v = Vec::new();
        for_each_token(s, |t| v.push(t.to_string()));
        v
    }

    #[test]
    fn entities_decode_and_unknown_ones_stay() {
        assert_eq!(
            decode_entities("A &amp; B &#8217;s &#x2014; &bogus; & x"),
            "A & B ’s — &bogus; & x"
        );
        assert_eq!(decode_entities("&#99999999999;"), "&#99999999999;");
    }

    #[test]
    fn tokens_fold_noise() {
        assert_eq!(toks("Don’t  STOP—now"), ["don", "t", "stop", "now"]);
        assert_eq!(toks("cafe\u{301} ｃａｆé １２"), ["café", "café", "12"]);
        assert_eq!(
            toks("inter\u{00AD}national zero\u{200B}width"),
            ["international", "zerowidth"]
        );
        assert_eq!(toks("&ldquo;Quoted&rdquo; &amp; more"), ["quoted", "more"]);
    }

    #[test]
    fn cjk_is_tokenised_per_character_hangul_per_word() {
        assert_eq!(
            toks("東京タワーへ行く"),
            ["東", "京", "タ", "ワ", "ー", "へ", "行", "く"]
        );
        assert_eq!(toks("서울 특별시"), ["서울", "특별시"]);
        assert_eq!(toks("abc東def"), ["abc", "東", "def"]);
    }

    #[test]
    fn paragraphs_skip_blank_and_whitespace_lines() {
        let t = "Head\r\n\r\nOne\n \u{a0}\nTwo  \n\n\u{200b}\nThree";
        assert_eq!(
            paragraphs(t).collect::<Vec<_>>(),
            ["Head", "One", "Two", "Three"]
        );
    }
}
