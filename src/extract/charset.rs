//! Page bytes → text: finds the character encoding of a page.
//!
//! Pure: no I/O. The order is the one browsers use, with one repair: a BOM
//! wins; then the HTTP charset; then `<meta charset>` / `http-equiv`; then,
//! with no label, a UTF-8 check and chardetng's sniffing. A label that the
//! bytes contradict (a page that says windows-1252 or UTF-8 but is really
//! windows-1251 or KOI8-R, as older Russian sites often are) is overruled by
//! the sniffer, because a mislabelled page decoded by its label is mojibake.
//!
//! Must not judge the page or its article: bytes in, text out.
//! Part of `extract` (ARCHITECTURE.md, "Codemap").

use encoding_rs::{Encoding, UTF_8};

/// How the encoding was chosen, for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Bom,
    Http,
    Meta,
    Sniffed,
}

/// Decodes `body` to text, returning the encoding used and why.
pub fn decode(body: &[u8], content_type: Option<&str>) -> (String, &'static Encoding, Source) {
    if let Some((enc, bom_len)) = Encoding::for_bom(body) {
        let (text, _) = enc.decode_without_bom_handling(&body[bom_len..]);
        return (text.into_owned(), enc, Source::Bom);
    }
    let labelled = content_type
        .and_then(http_charset)
        .map(|e| (e, Source::Http))
        .or_else(|| meta_charset(body).map(|e| (e, Source::Meta)));
    let (enc, source) = match labelled {
        // A page labelled UTF-8 that is valid UTF-8 is what it says.
        Some((enc, src)) if enc == UTF_8 && std::str::from_utf8(body).is_ok() => (enc, src),
        Some((enc, src)) => {
            let sniffed = sniff(body);
            if labelled_is_wrong(body, enc, sniffed) {
                (sniffed, Source::Sniffed)
            } else {
                (enc, src)
            }
        }
        None if std::str::from_utf8(body).is_ok() => (UTF_8, Source::Sniffed),
        None => (sniff(body), Source::Sniffed),
    };
    // UTF-16 labels on a byte page are always wrong (the BOM case is above).
    let enc = enc.output_encoding();
    let (text, _) = enc.decode_without_bom_handling(body);
    (repair_mojibake(&text), enc, source)
}

/// The windows-1252 characters at 0x80–0x9F, in byte order (0 = unassigned).
const CP1252_HIGH: [char; 32] = [
    '€', '\0', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\0', 'Ž', '\0', '\0', '‘',
    '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\0', 'ž', 'Ÿ',
];

fn as_1252_byte(c: char) -> Option<u8> {
    let u = c as u32;
    if (0xA0..=0xFF).contains(&u) || (0x80..=0x9F).contains(&u) {
        return Some(u as u8);
    }
    CP1252_HIGH
        .iter()
        .position(|&x| x == c && x != '\0')
        .map(|i| 0x80 + i as u8)
}

/// Undoes UTF-8 that was decoded as windows-1252 or Latin-1 somewhere before
/// it reached the page ("doesnâ€™t" → "doesn’t"), which publishers' CMSs do
/// to parts of a page. Only runs of such characters that form valid
/// multi-byte UTF-8 are replaced, so real accented text ("été") is untouched.
pub fn repair_mojibake(text: &str) -> String {
    // Cheap exit: mojibake always starts with Â, Ã, â, ð or similar lead bytes.
    if !text.chars().any(|c| matches!(c as u32, 0xC2..=0xF4)) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut run: Vec<(char, u8)> = Vec::new();
    let flush = |run: &mut Vec<(char, u8)>, out: &mut String| {
        if run.len() >= 2 {
            let bytes: Vec<u8> = run.iter().map(|&(_, b)| b).collect();
            if let Ok(s) = std::str::from_utf8(&bytes) {
                if !s.is_ascii() {
                    out.push_str(s);
                    run.clear();
                    return;
                }
            }
        }
        out.extend(run.iter().map(|&(c, _)| c));
        run.clear();
    };
    for c in text.chars() {
        match as_1252_byte(c) {
            Some(b) => run.push((c, b)),
            None => {
                flush(&mut run, &mut out);
                out.push(c);
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

fn sniff(body: &[u8]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new();
    // The first 64 KiB are plenty to tell scripts apart and keep this bounded.
    det.feed(&body[..body.len().min(64 * 1024)], body.len() <= 64 * 1024);
    det.guess(None, true)
}

/// True when the label is contradicted by the bytes: invalid UTF-8 under a
/// UTF-8 label, or a single-byte label where the sniffer sees Cyrillic text
/// in another single-byte encoding (the mislabelled Russian page).
fn labelled_is_wrong(body: &[u8], label: &'static Encoding, sniffed: &'static Encoding) -> bool {
    if label == sniffed {
        return false;
    }
    if label == UTF_8 {
        // Invalid UTF-8: a few stray bytes in a UTF-8 page are not enough to
        // switch; most of the high bytes failing is.
        return utf8_error_share(body) > 0.2;
    }
    let cyrillic = [
        encoding_rs::WINDOWS_1251,
        encoding_rs::KOI8_R,
        encoding_rs::KOI8_U,
        encoding_rs::IBM866,
    ];
    if sniffed == UTF_8 {
        return std::str::from_utf8(body).is_ok();
    }
    if cyrillic.contains(&label) && cyrillic.contains(&sniffed) {
        // Two Cyrillic single-byte encodings swap letter case against each
        // other; real Russian prose is mostly lower case, so the decoding
        // with more lower-case letters is the right one.
        return lowercase_share(body, sniffed) > lowercase_share(body, label) + 0.2;
    }
    cyrillic.contains(&sniffed) && !cyrillic.contains(&label)
}

fn lowercase_share(body: &[u8], enc: &'static Encoding) -> f64 {
    let (text, _) = enc.decode_without_bom_handling(&body[..body.len().min(64 * 1024)]);
    let (mut lower, mut all) = (0usize, 0usize);
    for c in text
        .chars()
        .filter(|c| ('\u{0400}'..='\u{04FF}').contains(c))
    {
        all += 1;
        if c.is_lowercase() {
            lower += 1;
        }
    }
    lower as f64 / all.max(1) as f64
}

/// The share of non-ASCII sequences that are invalid UTF-8.
fn utf8_error_share(body: &[u8]) -> f64 {
    let mut bad = 0usize;
    let mut good = 0usize;
    let mut rest = body;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                good += s.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                good += std::str::from_utf8(valid)
                    .map(|s| s.chars().filter(|c| !c.is_ascii()).count())
                    .unwrap_or(0);
                bad += 1;
                let skip = e.error_len().unwrap_or(after.len()).max(1);
                rest = &after[skip.min(after.len())..];
            }
        }
    }
    if good + bad == 0 {
        0.0
    } else {
        bad as f64 / (good + bad) as f64
    }
}

fn label(raw: &str) -> Option<&'static Encoding> {
    let l = raw.trim().trim_matches(['"', '\'', ';', ' ']);
    Encoding::for_label(l.as_bytes())
}

fn http_charset(ct: &str) -> Option<&'static Encoding> {
    ct.split(';').find_map(|p| {
        let p = p.trim();
        let (k, v) = p.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("charset") {
            label(v)
        } else {
            None
        }
    })
}

/// `<meta charset=…>` or `<meta http-equiv=Content-Type content="…charset=…">`
/// in the first 4 KiB (browsers look at 1 KiB; pages in the wild put it later).
fn meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(i) = find(&lower[from..], b"<meta") {
        let start = from + i;
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| start + e);
        let tag = String::from_utf8_lossy(&lower[start..end]);
        if let Some(j) = tag.find("charset") {
            let rest = tag[j + 7..].trim_start();
            if let Some(rest) = rest.strip_prefix('=') {
                let rest = rest.trim_start().trim_start_matches(['"', '\'']);
                let stop = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.:".contains(c)))
                    .unwrap_or(rest.len());
                if let Some(enc) = label(&rest[..stop]) {
                    return Some(enc);
                }
            }
        }
        from = end;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RU: &str =
        "Правозащитники сообщили о новых задержаниях в Чечне. Людей удерживают без суда.";

    #[test]
    fn bom_wins_over_label() {
        let mut body = b"\xEF\xBB\xBF".to_vec();
        body.extend_from_slice(format!("<meta charset=windows-1252><p>{RU}</p>").as_bytes());
        let (text, enc, src) = decode(&body, Some("text/html; charset=iso-8859-1"));
        assert_eq!((enc, src), (UTF_8, Source::Bom));
        assert!(text.contains(RU));
    }

    #[test]
    fn mislabelled_cyrillic_is_sniffed() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(RU);
        let body = [
            b"<html><head><meta charset=\"windows-1252\"></head><body><p>".as_slice(),
            &bytes,
            b"</p>",
        ]
        .concat();
        let (text, enc, _) = decode(&body, None);
        assert_eq!(enc, encoding_rs::WINDOWS_1251);
        assert!(text.contains(RU));
    }

    #[test]
    fn http_label_is_used() {
        let (bytes, _, _) = encoding_rs::KOI8_R.encode(RU);
        let (text, enc, src) = decode(&bytes, Some("text/html; charset=KOI8-R"));
        assert_eq!((enc, src), (encoding_rs::KOI8_R, Source::Http));
        assert_eq!(text, RU);
    }

    #[test]
    fn double_encoded_utf8_is_repaired() {
        assert_eq!(
            repair_mojibake("doesnâ€™t fit, the cafÃ© is â€œopenâ€\u{9d}"),
            "doesn’t fit, the café is “open”"
        );
        assert_eq!(repair_mojibake("isn\u{e2}\u{80}\u{99}t"), "isn’t");
        // Real accented text is left alone.
        assert_eq!(repair_mojibake("été à Noël, Ærø"), "été à Noël, Ærø");
    }

    #[test]
    fn unlabelled_utf8_stays_utf8() {
        let (text, enc, _) = decode(RU.as_bytes(), None);
        assert_eq!(enc, UTF_8);
        assert_eq!(text, RU);
    }
}
