//! Feed bytes → UTF-8 text, whatever the feed claims.
//!
//! Pure: bytes and the HTTP charset in, text out. Order of trust: a byte
//! order mark; then the bytes themselves when they are valid UTF-8 (servers
//! and XML declarations lie far more often than valid UTF-8 happens by
//! chance); then the HTTP charset, then the XML declaration; then a guess
//! between damaged UTF-8 and windows-1252.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
use std::borrow::Cow;

/// What `decode` chose, for tests and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    Bom(&'static str),
    ValidUtf8,
    Declared(&'static str),
    LossyUtf8,
    Windows1252,
}

/// Decodes the body to UTF-8. Leading byte order marks are removed.
pub fn decode<'a>(body: &'a [u8], http_charset: Option<&str>) -> (Cow<'a, str>, Chosen) {
    // Byte order marks, possibly repeated (some pipelines add one per pass).
    if let Some(rest) = body.strip_prefix(b"\xEF\xBB\xBF") {
        let rest = strip_utf8_boms(rest);
        let text = UTF_8.decode_without_bom_handling(rest).0;
        return (text, Chosen::Bom("UTF-8"));
    }
    if let Some(rest) = body.strip_prefix(b"\xFF\xFE") {
        return (utf16(UTF_16LE, rest), Chosen::Bom("UTF-16LE"));
    }
    if let Some(rest) = body.strip_prefix(b"\xFE\xFF") {
        return (utf16(UTF_16BE, rest), Chosen::Bom("UTF-16BE"));
    }
    if let Some(enc) = sniff_utf16(body) {
        return (utf16(enc, body), Chosen::Declared(enc.name()));
    }
    if let Ok(s) = std::str::from_utf8(body) {
        return (Cow::Borrowed(s), Chosen::ValidUtf8);
    }
    let declared = http_charset
        .and_then(label)
        .or_else(|| xml_declared_encoding(body).and_then(label));
    if let Some(enc) = declared {
        if enc != UTF_8 && enc != UTF_16LE && enc != UTF_16BE {
            let text = enc.decode_without_bom_handling(body).0;
            return (text, Chosen::Declared(enc.name()));
        }
    }
    // Declared UTF-8 (or nothing usable) but the bytes are not: either a few
    // damaged bytes in real UTF-8, or a legacy single-byte encoding. Count
    // which story the bytes support.
    if mostly_utf8(body) {
        (
            Cow::Owned(String::from_utf8_lossy(body).into_owned()),
            Chosen::LossyUtf8,
        )
    } else {
        (
            WINDOWS_1252.decode_without_bom_handling(body).0,
            Chosen::Windows1252,
        )
    }
}

fn strip_utf8_boms(mut b: &[u8]) -> &[u8] {
    while let Some(rest) = b.strip_prefix(b"\xEF\xBB\xBF") {
        b = rest;
    }
    b
}

fn utf16(enc: &'static Encoding, b: &[u8]) -> Cow<'static, str> {
    let s = enc.decode_without_bom_handling(b).0.into_owned();
    Cow::Owned(s.trim_start_matches('\u{FEFF}').to_string())
}

/// Encoding for a charset label; UTF-16 without a BOM is handled by sniffing,
/// so a label saying UTF-16 over 8-bit bytes is ignored.
fn label(l: &str) -> Option<&'static Encoding> {
    let l = l.trim().trim_matches(|c| c == '"' || c == '\'');
    Encoding::for_label_no_replacement(l.as_bytes())
}

/// UTF-16 without a BOM: markup characters alternate with zero bytes.
fn sniff_utf16(b: &[u8]) -> Option<&'static Encoding> {
    let head = &b[..b.len().min(64) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = head.len() / 2;
    let zeros_even = head.iter().step_by(2).filter(|&&x| x == 0).count();
    let zeros_odd = head.iter().skip(1).step_by(2).filter(|&&x| x == 0).count();
    if zeros_odd * 4 >= pairs * 3 && zeros_even == 0 {
        Some(UTF_16LE)
    } else if zeros_even * 4 >= pairs * 3 && zeros_odd == 0 {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// The `encoding="…"` of an XML declaration at the start of the body.
pub fn xml_declared_encoding(b: &[u8]) -> Option<&str> {
    let head = &b[..b.len().min(512)];
    let start = head.windows(5).position(|w| w == b"<?xml")?;
    let end = start + head[start..].windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[start..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + 8..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let rest = &rest[1..];
    Some(&rest[..rest.find(quote)?])
}

/// True when valid multi-byte UTF-8 sequences outnumber invalid bytes.
fn mostly_utf8(mut b: &[u8]) -> bool {
    let mut good = 0usize;
    let mut bad = 0usize;
    loop {
        match std::str::from_utf8(b) {
            Ok(s) => {
                good += s.bytes().filter(|&c| c >= 0xC0).count();
                break;
            }
            Err(e) => {
                let (ok, rest) = b.split_at(e.valid_up_to());
                good += ok.iter().filter(|&&c| c >= 0xC0).count();
                bad += 1;
                let skip = e.error_len().unwrap_or(rest.len()).max(1);
                b = &rest[skip.min(rest.len())..];
                if b.is_empty() {
                    break;
                }
            }
        }
    }
    good > 0 && good >= bad
}

/// Repairs text that was UTF-8, decoded once more as windows-1252 or
/// Latin-1 and encoded again (`Ã©` for `é`, `â€™` for `’`): runs of
/// characters whose single-byte codes form valid multi-byte UTF-8 are
/// decoded back. Text without that tell-tale pattern is returned as is.
pub fn fix_double_encoding(s: &str) -> Cow<'_, str> {
    if !looks_double_encoded(s.as_bytes()) {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(lead) = single_byte(c).filter(|b| (0xC2..=0xF4).contains(b)) {
            let n = if lead < 0xE0 {
                2
            } else if lead < 0xF0 {
                3
            } else {
                4
            };
            if i + n <= chars.len() {
                let mut buf = [lead, 0, 0, 0];
                let ok = (1..n).all(|k| match single_byte(chars[i + k]) {
                    Some(b) if (0x80..=0xBF).contains(&b) => {
                        buf[k] = b;
                        true
                    }
                    _ => false,
                });
                if ok {
                    if let Ok(t) = std::str::from_utf8(&buf[..n]) {
                        out.push_str(t);
                        i += n;
                        continue;
                    }
                }
            }
        }
        out.push(c);
        i += 1;
    }
    Cow::Owned(out)
}

/// The byte a character has in windows-1252 (Latin-1 for the C1 range).
fn single_byte(c: char) -> Option<u8> {
    let cp = c as u32;
    if cp <= 0xFF {
        return Some(cp as u8);
    }
    let mut buf = [0u8; 4];
    let (bytes, _, unmappable) = WINDOWS_1252.encode(c.encode_utf8(&mut buf));
    (!unmappable && bytes.len() == 1).then(|| bytes[0])
}

/// Byte-level tell: a character U+00C2–U+00F4 (UTF-8 `C3 82`–`C3 B4`)
/// followed by one from U+0080–U+00BF (`C2 xx`) or a windows-1252 symbol
/// (`C5`, `C6`, `CB` or `E2` lead bytes).
fn looks_double_encoded(b: &[u8]) -> bool {
    memchr::memchr_iter(0xC3, b).any(|i| {
        b.get(i + 1).is_some_and(|&x| (0x82..=0xB4).contains(&x))
            && b.get(i + 2)
                .is_some_and(|&y| matches!(y, 0xC2 | 0xC5 | 0xC6 | 0xCB | 0xE2))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_wins_over_declaration() {
        let mut b = vec![0xFF, 0xFE];
        for u in "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss/>".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        let (t, c) = decode(&b, None);
        assert_eq!(c, Chosen::Bom("UTF-16LE"));
        assert!(t.starts_with("<?xml"));
    }

    #[test]
    fn utf16_without_bom_is_sniffed() {
        let mut b = Vec::new();
        for u in "<?xml version=\"1.0\"?><rss>Grüße</rss>".encode_utf16() {
            b.extend_from_slice(&u.to_be_bytes());
        }
        let (t, _) = decode(&b, None);
        assert!(t.contains("Grüße"), "{t}");
    }

    #[test]
    fn valid_utf8_beats_a_lying_declaration() {
        let b = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><t>café</t>".as_bytes();
        let (t, c) = decode(b, Some("iso-8859-1"));
        assert_eq!(c, Chosen::ValidUtf8);
        assert!(t.contains("café"));
    }

    #[test]
    fn declared_legacy_encodings_are_used() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("<t>Новости</t>");
        let mut b = b"<?xml version=\"1.0\" encoding=\"windows-1251\"?>".to_vec();
        b.extend_from_slice(&bytes);
        assert!(decode(&b, None).0.contains("Новости"));
        // The HTTP header is believed over the declaration.
        let (bytes, _, _) = encoding_rs::KOI8_R.encode("<t>Новости</t>");
        let mut b = b"<?xml version=\"1.0\" encoding=\"windows-1251\"?>".to_vec();
        b.extend_from_slice(&bytes);
        assert!(decode(&b, Some("koi8-r")).0.contains("Новости"));
    }

    #[test]
    fn cp1252_bytes_declared_utf8() {
        let (bytes, _, _) = WINDOWS_1252.encode("<t>Don\u{2019}t \u{201C}panic\u{201D}</t>");
        let (t, c) = decode(&bytes, Some("utf-8"));
        assert_eq!(c, Chosen::Windows1252);
        assert!(t.contains("Don\u{2019}t"));
    }

    #[test]
    fn mostly_utf8_with_a_bad_byte_stays_utf8() {
        let mut b = "<t>café naïve".as_bytes().to_vec();
        b.push(0xFF);
        b.extend_from_slice(b"</t>");
        let (t, c) = decode(&b, None);
        assert_eq!(c, Chosen::LossyUtf8);
        assert!(t.contains("café naïve\u{FFFD}"));
    }

    #[test]
    fn double_encoding_undone() {
        let smart = "Don\u{2019}t \u{201C}panic\u{201D} \u{2013} caf\u{E9} \u{20AC}5";
        let (latin1, _, _) = encoding_rs::UTF_8.encode(smart);
        let once: String = latin1.iter().map(|&b| b as char).collect();
        assert_eq!(fix_double_encoding(&once), smart);
        let via_1252 = WINDOWS_1252
            .decode_without_bom_handling(smart.as_bytes())
            .0
            .into_owned();
        assert_eq!(fix_double_encoding(&via_1252), smart);
        for clean in [
            "café “quoted” – São Paulo nº 5",
            "Ångström ©2024 «x»",
            "plain",
        ] {
            assert_eq!(fix_double_encoding(clean), clean);
        }
    }

    #[test]
    fn double_bom_removed() {
        let (t, _) = decode(b"\xEF\xBB\xBF\xEF\xBB\xBF<rss/>", None);
        assert_eq!(t, "<rss/>");
    }
}
