//! Unit tests of the whole extractor, on the golden pages in
//! `tests/fixtures/pages/` and on small pages built here.

use super::*;
use crate::normalize::corpus_text;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/pages/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn expected(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("fixture text is UTF-8")
}

fn url() -> Url {
    Url::parse("https://news.example.org/2025/03/detentions?utm_source=feed").expect("static URL")
}

fn stored(name: &str, content_type: Option<&str>) -> String {
    let a = extract(&fixture(&format!("{name}.html")), content_type, &url())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    corpus_text(&a.title, &a.paragraphs)
}

/// The golden pages: every `tests/fixtures/pages/X.html` is extracted (with
/// the Content-Type header in `X.content-type` when there is one) and its
/// outcome compared with the expected file beside it: `X.txt`, the corpus
/// text of the article, or `X.refused`, the message of the refusal. Every
/// page must have one, and every expected file its page. What each page
/// holds and why it is there: `tests/fixtures/pages/README.md`.
///
/// Bless mode: `TIDINGS_BLESS=1 cargo test --lib golden` writes the current
/// outcome of every page into its expected file (removing a stale file of
/// the other kind) instead of comparing; review the diff before committing.
#[test]
fn golden_pages() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pages");
    let bless = std::env::var_os("TIDINGS_BLESS").is_some_and(|v| v == "1");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    let pages: Vec<&str> = names
        .iter()
        .filter_map(|n| n.strip_suffix(".html"))
        .collect();
    assert!(
        pages.len() >= 20,
        "golden pages missing from {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for page in &pages {
        let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{page}.{ext}"))).ok();
        let ct = read("content-type").map(|c| c.trim().to_string());
        let (got, ext, stale) =
            match extract(&fixture(&format!("{page}.html")), ct.as_deref(), &url()) {
                Ok(a) => (corpus_text(&a.title, &a.paragraphs), "txt", "refused"),
                Err(e) => (format!("{e}\n"), "refused", "txt"),
            };
        if bless {
            std::fs::write(dir.join(format!("{page}.{ext}")), &got).expect("write expected file");
            let _ = std::fs::remove_file(dir.join(format!("{page}.{stale}")));
            continue;
        }
        match read(ext) {
            Some(want) if want == got => {}
            Some(want) => failures.push(format!(
                "{page}.{ext}: differs\n--- want\n{want}\n--- got\n{got}"
            )),
            None => failures.push(format!(
                "{page}: no {page}.{ext} (got {ext}: {})",
                got.lines().next().unwrap_or("")
            )),
        }
    }
    for n in &names {
        let stem = n.rsplit_once('.').map_or(n.as_str(), |(s, _)| s);
        let expected =
            n.ends_with(".txt") || n.ends_with(".refused") || n.ends_with(".content-type");
        if expected && !pages.contains(&stem) {
            failures.push(format!("{n}: no {stem}.html"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden page(s) fail (TIDINGS_BLESS=1 cargo test --lib golden rewrites them):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn metadata_is_read() {
    let a = extract(
        &fixture("furniture-nav.html"),
        Some("text/html; charset=utf-8"),
        &url(),
    )
    .expect("article");
    assert_eq!(a.title, "Rights groups report new detentions in Chechnya");
    assert_eq!(
        a.canonical_url.as_deref(),
        Some("https://news.example.org/2025/03/detentions")
    );
    assert_eq!(
        a.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2025-03-04T08:30:00+00:00")
    );
    assert_eq!(a.author.as_deref(), Some("Jane Writer"));
    assert_eq!(a.language.as_deref(), Some("en"));
    assert_eq!(a.site_name.as_deref(), Some("The Example Ledger"));
    assert_eq!(a.method, Method::Density);
}

#[test]
fn language_is_detected_when_the_page_is_silent() {
    let a = extract(&fixture("charset-windows-1251.html"), None, &url()).expect("article");
    assert_eq!(a.language.as_deref(), Some("ru"));
}

#[test]
fn json_ld_metadata_and_headline() {
    let body = r#"<html><head><title>Something else entirely | Site</title>
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"Site"},
{"@type":"NewsArticle","headline":"Court hears the case of the missing singer &amp; his family","datePublished":"2025-05-01T10:00:00Z",
"author":[{"@type":"Person","name":"A. Reporter"},{"@type":"Person","name":"B. Editor"}],"publisher":{"@type":"Organization","name":"Site News"},"inLanguage":"en-GB"}]}</script>
</head><body><div><p>The court in Strasbourg heard arguments on Tuesday in the case brought by the family of a singer who disappeared in 2017, after years of delays.</p>
<p>Lawyers for the family said the authorities had never opened a proper investigation, despite witness statements describing his detention.</p></div></body></html>"#;
    let a = extract(body.as_bytes(), None, &url()).expect("article");
    assert_eq!(
        a.title,
        "Court hears the case of the missing singer & his family"
    );
    assert_eq!(a.author.as_deref(), Some("A. Reporter, B. Editor"));
    assert_eq!(a.site_name.as_deref(), Some("Site News"));
    assert_eq!(a.language.as_deref(), Some("en"));
    assert!(a.published.is_some());
}

#[test]
fn headline_prefers_the_article_h1_over_a_logo_h1() {
    let body = r#"<html><head><title>Old title for search engines - The Ledger</title>
<meta property="og:site_name" content="The Ledger"></head><body>
<header><h1><a href="/">The Ledger</a></h1></header>
<article><h1>Witnesses describe raids on private flats</h1>
<p>Three witnesses told investigators that police entered private flats at night, confiscated phones and took several people to a police station.</p>
<p>None of those detained was allowed to call a lawyer, according to the statements, which were later filed with a court.</p></article></body></html>"#;
    let a = extract(body.as_bytes(), None, &url()).expect("article");
    assert_eq!(a.title, "Witnesses describe raids on private flats");
    assert!(
        !a.paragraphs
            .iter()
            .any(|p| p.contains("Witnesses describe")),
        "headline repeated in body"
    );
}

#[test]
fn non_html_bodies_are_refused() {
    assert!(
        matches!(extract(&fixture("guard-pdf.bin"), None, &url()), Err(ExtractError::NotHtml(m)) if m == "application/pdf")
    );
    assert!(matches!(
        extract(b"<html></html>", Some("image/png"), &url()),
        Err(ExtractError::NotHtml(m)) if m == "image/png"
    ));
    assert!(matches!(
        extract(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Some("text/html"), &url()),
        Err(ExtractError::NotHtml(_))
    ));
}

#[test]
fn walls_teasers_and_empty_pages_are_recognised() {
    assert_eq!(
        extract(&fixture("guard-consent.html"), None, &url()),
        Err(ExtractError::ConsentWall)
    );
    assert_eq!(
        extract(&fixture("guard-no-article.html"), None, &url()),
        Err(ExtractError::NoArticle)
    );
    // A paywall with nothing public left is no article either.
    let bare = String::from_utf8(fixture("guard-paywall.html"))
        .unwrap()
        .replace("Police in Grozny detained at least twelve men last month, according to two rights groups that documented the arrests through interviews with relatives and lawyers.", "");
    assert_eq!(
        extract(bare.as_bytes(), None, &url()),
        Err(ExtractError::Paywall)
    );
}

#[test]
fn a_paywalled_page_keeps_its_public_part_marked() {
    // Regression: the teaser was refused as "a paywall teaser", and the
    // coverage with it.
    let a = extract(&fixture("guard-paywall.html"), None, &url()).expect("the public part");
    assert!(a.paywalled);
    assert_eq!(a.title, "Rights groups report new detentions in Chechnya");
    assert_eq!(a.paragraphs.len(), 1, "{:?}", a.paragraphs);
    assert!(a.paragraphs[0].starts_with("Police in Grozny"));
    assert!(
        !extract(&fixture("guard-paywall-talk.html"), None, &url())
            .unwrap()
            .paywalled
    );
}

#[test]
fn an_article_about_a_paywall_is_not_a_paywall() {
    // A short article that says "paywall", carries a "this article is
    // for ..." note, and has comments with subscription prompts in them.
    assert_eq!(
        stored("guard-paywall-talk", None),
        expected("guard-paywall-talk.txt")
    );
}

#[test]
fn oversized_pages_are_refused() {
    let body = fixture("furniture-nav.html");
    let opts = ExtractOptions {
        max_bytes: 1000,
        ..ExtractOptions::default()
    };
    assert_eq!(
        extract_with(&body, None, &url(), &opts),
        Err(ExtractError::TooLarge {
            size: body.len(),
            limit: 1000
        })
    );
    assert!(extract_with(&body, None, &url(), &ExtractOptions::default()).is_ok());
}

#[test]
fn feed_fragments_become_paragraphs() {
    let ps = fragment_paragraphs(
        "<p>First paragraph of the entry.</p><div class=\"share\"><a href=\"#\">Share</a></div>Loose text<br><br>after a break<ul><li>an item</li></ul>",
    );
    assert_eq!(
        ps,
        vec![
            "First paragraph of the entry.",
            "Loose text",
            "after a break",
            "an item"
        ]
    );
}

#[test]
fn pathological_nesting_is_refused() {
    let depth = 100_000;
    let mut body = String::from("<html><body>");
    body.push_str(&"<div>".repeat(depth));
    body.push_str("deep text");
    body.push_str(&"</div>".repeat(depth));
    body.push_str("<article><p>");
    body.push_str(
        &"Words of a real paragraph that is long enough to be an article body. ".repeat(10),
    );
    body.push_str("</p></article></body></html>");
    assert_eq!(
        extract(body.as_bytes(), None, &url()),
        Err(ExtractError::TooDeep { limit: 4096 })
    );
    // Nesting within the limit is parsed, and the walk does not
    // overflow the stack.
    let page = |depth: usize| {
        let mut p =
            String::from("<html><head><title>A page nested deep in wrappers</title></head><body>");
        p.push_str(&"<div>".repeat(depth));
        p.push_str("<article><p>");
        p.push_str(
            &"Words of a real paragraph that is long enough to be an article body. ".repeat(10),
        );
        p.push_str("</p></article>");
        p.push_str(&"</div>".repeat(depth));
        p.push_str("</body></html>");
        p
    };
    assert!(extract(page(300).as_bytes(), None, &url()).is_ok());
    // Deeper than the walks go: text past the walk depth is not read,
    // but the page is handled without overflowing the stack.
    assert_eq!(
        extract(page(3000).as_bytes(), None, &url()),
        Err(ExtractError::NoArticle)
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// Fixture pages the mutations start from.
    const SEEDS: [&str; 6] = [
        "furniture-comments.html",
        "furniture-wrapper.html",
        "charset-koi8-r.html",
        "charset-bom.html",
        "guard-paywall.html",
        "guard-consent.html",
    ];

    /// Markup that steers the tree builder and the walks into their odd
    /// corners: unclosed and stray tags, comments, scripts, references
    /// past the Unicode range, byte order marks.
    const INSERTS: &[&[u8]] = &[
        b"<",
        b"</div>",
        b"<div class=\"share\">",
        b"<script>",
        b"<!--",
        b"\xFF\xFE",
        b"&#x110000;",
        b"<h1>",
        b"<br><br>",
        b"<table><td>",
        b"<meta charset=\"koi8-r\">",
        b"<pre><code><span class=\"hljs-comment\">",
        b"<ol class=\"commentlist\"><li class=\"comment\">",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: crate::proptest_cases(), failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(
            body in proptest::collection::vec(any::<u8>(), 0..4096),
            ct in proptest::option::of("text/html(; charset=[a-z0-9-]{0,12})?"),
        ) {
            let _ = extract(&body, ct.as_deref(), &url());
            let _ = fragment_paragraphs(&String::from_utf8_lossy(&body));
        }

        #[test]
        fn mutated_pages_never_panic(
            seed in 0..SEEDS.len(),
            edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..5), 1..24),
        ) {
            // Only the chosen page is read: every case would read all six.
            let mut page = fixture(SEEDS[seed]);
            for (pos, byte, op) in edits {
                if page.is_empty() {
                    break;
                }
                let p = pos % page.len();
                match op {
                    0 => page[p] = byte,
                    1 => page.insert(p, byte),
                    2 => {
                        page.remove(p);
                    }
                    3 => {
                        let ins = INSERTS[byte as usize % INSERTS.len()];
                        page.splice(p..p, ins.iter().copied());
                    }
                    _ => page.truncate(p),
                }
            }
            let _ = extract(&page, None, &url());
            let _ = fragment_paragraphs(&String::from_utf8_lossy(&page));
        }
    }

    /// Extraction is a function of its input: each seed page, twice,
    /// gives the same article. (Six pages, so a loop, not a property.)
    #[test]
    fn same_page_same_article() {
        for name in SEEDS {
            let page = fixture(name);
            assert_eq!(
                extract(&page, None, &url()),
                extract(&page, None, &url()),
                "{name}"
            );
        }
    }
}

/// The method names are stored in the database and printed by the export
/// and `extract --json`: the enum must give the exact strings it replaced.
#[test]
fn method_names_are_the_stored_strings() {
    for (m, name) in [
        (Method::Density, "density"),
        (Method::JsonLd, "json-ld"),
        (Method::Relaxed, "relaxed"),
        (Method::Scored, "scored"),
        (Method::Fallback, "fallback"),
        (Method::Feed, "feed"),
    ] {
        assert_eq!(m.as_str(), name);
        assert_eq!(m.to_string(), name);
        assert_eq!(serde_json::to_value(m).unwrap(), serde_json::json!(name));
    }
    let a = Article {
        method: Method::JsonLd,
        ..Article::default()
    };
    assert_eq!(serde_json::to_value(&a).unwrap()["method"], "json-ld");
}
