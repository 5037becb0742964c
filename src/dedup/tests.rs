use super::*;

#[test]
fn canonical_url_drops_variants_and_tracking() {
    assert_eq!(
        canonical_url("HTTP://WWW.Example.org/news/story/amp/?utm_source=x&id=3#top").as_deref(),
        Some("https://example.org/news/story?id=3")
    );
    assert_eq!(
        canonical_url("https://m.example.org/a/").as_deref(),
        Some("https://example.org/a")
    );
    assert_eq!(canonical_url("mailto:x@example.org"), None);
}
