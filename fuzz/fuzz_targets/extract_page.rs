//! Arbitrary bytes (with an arbitrary Content-Type) through the whole
//! extraction stage: guards, charset decoding, the HTML parse, metadata,
//! content scoring; and a feed entry's HTML through `fragment_paragraphs`.
//! Any panic, abort or stack overflow is a bug, and so is a page that
//! takes seconds (libFuzzer's `-timeout` reports those).
#![no_main]

#[path = "../../src/extract/mod.rs"]
#[allow(dead_code)]
mod extract;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let url = url::Url::parse("https://example.com/news/article").expect("static URL");
    // First byte picks the Content-Type claim, so the charset and guard
    // paths are fuzzed too.
    let (ct, body) = match data.split_first() {
        Some((&b, rest)) => {
            let ct = match b % 6 {
                0 => None,
                1 => Some("text/html"),
                2 => Some("text/html; charset=utf-8"),
                3 => Some("text/html; charset=windows-1251"),
                4 => Some("application/xhtml+xml; charset=utf-16"),
                _ => Some("text/html; charset=bogus"),
            };
            (ct, rest)
        }
        None => (None, data),
    };
    let _ = extract::extract(body, ct, &url);
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = extract::fragment_paragraphs(text);
    }
});
