//! Arbitrary bytes (and an arbitrary HTTP charset) through the whole feed
//! stage: decode, repair, feed-rs, salvage. Any panic that escapes `parse`,
//! any abort or stack overflow, is a bug.
#![no_main]

#[path = "../../src/feed/mod.rs"]
#[allow(dead_code)]
mod feed;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let url = url::Url::parse("https://example.com/feed.xml").expect("static URL");
    // First byte picks an HTTP charset claim, so that path is fuzzed too.
    let (cs, body) = match data.split_first() {
        Some((&b, rest)) => {
            let cs = match b % 6 {
                0 => None,
                1 => Some("utf-8"),
                2 => Some("iso-8859-1"),
                3 => Some("utf-16"),
                4 => Some("shift_jis"),
                _ => Some("bogus"),
            };
            (cs, rest)
        }
        None => (None, data),
    };
    let _ = feed::parse(body, cs, &url);
});
