//! Unit tests of the headline rules.

use scraper::Html;
use url::Url;

use super::*;
use crate::extract::meta::read;

#[test]
fn headline_from_any_source_is_tidied() {
    // Site name on a visible h1, after a subdomain host.
    assert_eq!(
        tidy("Raids resume – Example", None, "news.example.co.uk"),
        "Raids resume"
    );
    // Short pipe sections, twice escaped references, a bare domain.
    assert_eq!(
        tidy("Raids in Grozny resume | Opinion | Region", None, "x.org"),
        "Raids in Grozny resume"
    );
    // A short segment in front of the pipe is a brand or a section too.
    assert_eq!(
        tidy("The Agency | ML at Georgia Tech", None, "x.org"),
        "ML at Georgia Tech"
    );
    assert_eq!(
        tidy(
            "Rights Desk | Raids in Grozny resume after a pause",
            None,
            "x.org"
        ),
        "Raids in Grozny resume after a pause"
    );
    assert_eq!(tidy("Raids resume | Grozny", None, "x.org"), "Raids resume");
    assert_eq!(
        tidy("Courts &#x26; rights", None, "x.org"),
        "Courts & rights"
    );
    assert_eq!(
        tidy("example.org Raids in Grozny", None, "example.org"),
        "Raids in Grozny"
    );
    // A dash inside a headline stays when nothing says it is the site.
    assert_eq!(
        tidy("Wedding tools – a spreadsheet", None, "x.org"),
        "Wedding tools – a spreadsheet"
    );
    assert_eq!(host_name("www.bbc.co.uk"), "bbc");
    assert_eq!(host_name("promotions.newegg.com"), "newegg");
}

/// A page whose only metadata title is its og:title.
fn og(title: &str) -> PageMeta {
    PageMeta {
        og_title: Some(title.into()),
        ..PageMeta::default()
    }
}

fn h1(text: &str) -> H1 {
    H1 {
        text: text.to_string(),
        noise: false,
        link: false,
    }
}

#[test]
fn typed_quotes_and_section_labels_yield_to_the_metadata_title() {
    let m = PageMeta {
        og_title: Some("Yoga won't fix the plumbing, but it might save your sanity".into()),
        html_title: Some(
            "Yoga won't fix the plumbing, but it might save your sanity – Pathways".into(),
        ),
        site_name: Some("Pathways".into()),
        ..PageMeta::default()
    };
    // The theme curled the apostrophe of the visible h1.
    assert_eq!(
        headline(
            &m,
            &[h1(
                "Yoga won\u{2019}t fix the plumbing, but it might save your sanity"
            )],
            "pathways.example"
        ),
        "Yoga won't fix the plumbing, but it might save your sanity"
    );
    // A curled h1 with no straight twin in the metadata stays as published.
    let curly = og("Yoga won\u{2019}t fix the plumbing");
    assert_eq!(
        headline(&curly, &[h1("Yoga won\u{2019}t fix the plumbing")], "x.org"),
        "Yoga won\u{2019}t fix the plumbing"
    );

    let m = PageMeta {
        og_title: Some("The lean startup".into()),
        html_title: Some("Lessons Learned: The lean startup".into()),
        ..PageMeta::default()
    };
    // A short h1 that shares no word with the title is the blog's tag line.
    assert_eq!(
        headline(&m, &[h1("Lessons Learned")], "x.org"),
        "The lean startup"
    );
    // A kicker label or a date glued in front of the title.
    let kicker = og("Preparing a transition in the archive");
    for h in [
        "Dec 18 2025 Preparing a transition in the archive",
        "Blog: Preparing a transition in the archive",
    ] {
        assert_eq!(
            headline(&kicker, &[h1(h)], "x.org"),
            "Preparing a transition in the archive"
        );
    }
    // Longer words or a bare year in front are part of the headline.
    assert_eq!(
        headline(
            &kicker,
            &[h1("2025 Preparing a transition in the archive")],
            "x.org"
        ),
        "2025 Preparing a transition in the archive"
    );
    assert_eq!(
        headline(
            &kicker,
            &[h1("Why we are Preparing a transition in the archive")],
            "x.org"
        ),
        "Why we are Preparing a transition in the archive"
    );
    // A short h1 that is the title's words stays.
    assert_eq!(
        headline(&m, &[h1("The Lean Startup")], "x.org"),
        "The Lean Startup"
    );
}

#[test]
fn a_metadata_title_shown_as_a_sub_heading_beats_the_h1() {
    let m = PageMeta {
        og_title: Some("Why the river towns flood every spring | The Ledger".into()),
        headings: vec![
            "Share this".into(),
            "Why the river towns flood every spring".into(),
            "What the council plans".into(),
        ],
        ..PageMeta::default()
    };
    // The theme gave the title an <h2>; the <h1> is a heading in the text.
    let h = [h1("Sandbags were stacked along the quay by noon")];
    assert_eq!(
        headline(&m, &h, "ledger.example"),
        "Why the river towns flood every spring"
    );
    // A headline in the JSON-LD cut short yields to the full title the page shows.
    let cut = PageMeta {
        ld_headline: Some("Why the river towns flood every spring (and what".into()),
        og_title: Some("Why the river towns flood every spring (and what helps)".into()),
        headings: vec!["Why the river towns flood every spring (and what helps)".into()],
        ..PageMeta::default()
    };
    assert_eq!(
        headline(&cut, &[], "ledger.example"),
        "Why the river towns flood every spring (and what helps)"
    );
    // Without the echo the h1 stays.
    let quiet = PageMeta {
        headings: vec!["What the council plans".into()],
        ..m.clone()
    };
    assert_eq!(
        headline(&quiet, &h, "ledger.example"),
        "Sandbags were stacked along the quay by noon"
    );
    // An h1 that the JSON-LD headline repeats keeps its place even when
    // the <title>'s wording is shown further down.
    let agreed = PageMeta {
        ld_headline: Some("Sandbags were stacked along the quay by noon".into()),
        ..m.clone()
    };
    assert_eq!(
        headline(&agreed, &h, "ledger.example"),
        "Sandbags were stacked along the quay by noon"
    );
    // A short title matches an explainer's section heading by chance.
    let short = PageMeta {
        og_title: Some("What is flood insurance".into()),
        headings: vec!["What is flood insurance?".into()],
        ..PageMeta::default()
    };
    assert_eq!(
        headline(
            &short,
            &[h1("A plain guide to flood insurance for renters")],
            "x.org"
        ),
        "A plain guide to flood insurance for renters"
    );
}

#[test]
fn sub_headings_are_read_in_order() {
    let doc = Html::parse_document(
        "<html><body><h2>Share  this</h2><article><h3>Why the river\n towns flood</h3>\
         <h2></h2><h4>Not kept</h4></article></body></html>",
    );
    let url = Url::parse("https://ledger.example/a").expect("url");
    assert_eq!(
        read(&doc, &url).headings,
        ["Share this", "Why the river towns flood"]
    );
}

#[test]
fn site_suffixes_and_prefixes_are_cut() {
    assert_eq!(
        strip_site(
            "Raids in Grozny | The Daily",
            Some("The Daily"),
            "daily.example"
        ),
        "Raids in Grozny"
    );
    assert_eq!(
        strip_site("Example News: Raids in Grozny", None, "examplenews.org"),
        "Example News: Raids in Grozny"
    );
    assert_eq!(
        strip_site("Example News - Raids in Grozny", None, "examplenews.org"),
        "Raids in Grozny"
    );
    assert_eq!(
        strip_site("Raids in Grozny resume - BBC News", None, "bbc.co.uk"),
        "Raids in Grozny resume"
    );
    assert_eq!(
        strip_site("Spider-Man - a review", None, "x.org"),
        "Spider-Man - a review"
    );
    // Brand and domain both before the headline.
    assert_eq!(
        strip_site(
            "River Ledger | RiverLedger.example - Five towns that rebuilt after the flood",
            None,
            "www.riverledger.example"
        ),
        "Five towns that rebuilt after the flood"
    );
    // A part naming the site among many words is the headline's.
    assert_eq!(
        strip_site(
            "Flood defences fail again - The Ledger looks back at ten years of repairs",
            Some("The Ledger"),
            "ledger.example"
        ),
        "Flood defences fail again - The Ledger looks back at ten years of repairs"
    );
}

#[test]
fn a_two_line_h1_is_read_as_title_and_subtitle() {
    let url = Url::parse("https://ledger.example/a").expect("url");
    let lines = |body: &str| {
        read(
            &Html::parse_document(&format!("<html><body>{body}</body></html>")),
            &url,
        )
        .two_line_h1s
    };
    let two = |a: &str, b: &str| vec![[a.to_string(), b.to_string()]];
    assert_eq!(
        lines("<h1>Top river towns of 2025<br>Your guide to the quays</h1>"),
        two("Top river towns of 2025", "Your guide to the quays")
    );
    assert_eq!(
        lines("<h1><span>Why towns flood</span> <span>and what the council plans</span></h1>"),
        two("Why towns flood", "and what the council plans")
    );
    assert_eq!(
        lines("<h1>The best river towns<span class=block>Five quays worth a visit</span></h1>"),
        two("The best river towns", "Five quays worth a visit")
    );
    // One line, links and emphasis inside a line, a short label, three parts.
    for body in [
        "<h1><span>Why the river towns flood</span></h1>",
        "<h1>Why the <em>river towns</em> flood <a href=/x>every spring</a></h1>",
        "<h1>Flood guide: <span>Spanish</span></h1>",
        "<h1>Top <span>10</span> river towns to visit</h1>",
    ] {
        assert!(lines(body).is_empty(), "{body}");
    }
}

#[test]
fn a_title_over_a_subtitle_yields_to_the_metadata_title() {
    let m = PageMeta {
        og_title: Some("Top River Towns of 2025: Rankings & Guides | Ledger".into()),
        site_name: Some("Ledger".into()),
        two_line_h1s: vec![[
            "Top River Towns of 2025 (US)".into(),
            "Your Guide to the Best Quays".into(),
        ]],
        ..PageMeta::default()
    };
    let h = [h1(
        "Top River Towns of 2025 (US) Your Guide to the Best Quays",
    )];
    assert_eq!(
        headline(&m, &h, "ledger.example"),
        "Top River Towns of 2025: Rankings & Guides"
    );
    // The metadata writes the two lines with their separator.
    let sep = PageMeta {
        og_title: Some("Top River Towns of 2025 (US) - Your Guide to the Best Quays".into()),
        ..m.clone()
    };
    assert_eq!(
        headline(&sep, &h, "ledger.example"),
        "Top River Towns of 2025 (US) - Your Guide to the Best Quays"
    );
    // A metadata title that is the joined lines keeps the h1, even
    // beside another that shares half its words.
    let same = PageMeta {
        ld_headline: Some("Top River Towns of 2025: the Quays".into()),
        og_title: Some("Top River Towns of 2025 (US) Your Guide to the Best Quays".into()),
        ..m.clone()
    };
    assert_eq!(
        headline(&same, &h, "ledger.example"),
        "Top River Towns of 2025 (US) Your Guide to the Best Quays"
    );
    // A one-line h1 with the same words stays.
    let one = PageMeta {
        two_line_h1s: Vec::new(),
        ..m.clone()
    };
    assert_eq!(
        headline(&one, &h, "ledger.example"),
        "Top River Towns of 2025 (US) Your Guide to the Best Quays"
    );
}

#[test]
fn curled_quotes_that_the_metadata_also_has_stay() {
    let m = PageMeta {
        ld_headline: Some("Why the quay\u{2019}s walls failed".into()),
        og_title: Some("Why the quay's walls failed".into()),
        ..PageMeta::default()
    };
    assert_eq!(
        headline(&m, &[h1("Why the quay\u{2019}s walls failed")], "x.org"),
        "Why the quay\u{2019}s walls failed"
    );
}

#[test]
fn a_word_the_metadata_types_straight_straightens_the_curled_h1() {
    // Worded otherwise than the h1, but the same word typed straight.
    let m = og("Your first trip to Tbilisi: a visitor's guide");
    let curled = "Your first trip to Tbilisi- a visitor\u{2019}s guide";
    assert_eq!(
        headline(&m, &[h1(curled)], "x.org"),
        "Your first trip to Tbilisi- a visitor's guide"
    );
    // A metadata title with the curled word too: the publisher curled it.
    let both = PageMeta {
        ld_headline: Some("A visitor\u{2019}s guide to Tbilisi".into()),
        ..m.clone()
    };
    assert_eq!(headline(&both, &[h1(curled)], "x.org"), curled);
    // No quoted word in common: nothing tells the typed form.
    let other = og("Tbilisi for the first time: it's easy");
    assert_eq!(headline(&other, &[h1(curled)], "x.org"), curled);
    // Straightened, the h1 still meets the later rules: a kicker label.
    assert_eq!(
        headline(
            &og("A visitor's guide to Tbilisi"),
            &[h1("Blog: A visitor\u{2019}s guide to Tbilisi")],
            "x.org"
        ),
        "A visitor's guide to Tbilisi"
    );
}

#[test]
fn one_menu_word_inside_the_title_does_not_confirm_an_h1() {
    // Regression: a mega-menu of one-word h1s ("Inspiration", "Planning")
    // gave "Planning" as the headline, since the title contains it.
    let m = og("Your Wedding Checklist: A Wedding Planning Guide");
    let menu = [h1("Inspiration"), h1("Planning"), h1("Budgeting")];
    assert_eq!(
        headline(&m, &menu, "x.org"),
        "Your Wedding Checklist: A Wedding Planning Guide"
    );
    // One word that opens the title is its short form.
    let m = og("RESTAURANT Definition & Meaning | Dictionary.com");
    assert_eq!(headline(&m, &[h1("restaurant")], "x.org"), "restaurant");
    // A run of words confirms wherever it stands; a run cut inside a word
    // ("Checklists" for "Checklist") does not.
    assert!(confirms(
        "Wedding Guide: Your Wedding Checklist",
        "Your Wedding Checklist"
    ));
    assert!(!confirms(
        "Your Wedding Checklists",
        "Your Wedding Checklist"
    ));
    // Spacing and punctuation inside words do not matter.
    assert!(confirms(
        "Covid 19: a year on | News",
        "Covid-19: a year on"
    ));
    assert!(confirms("Q & A with the mayor", "Q&A"));
    // A title without spaces is one word: a long h1 confirms inside it.
    assert!(confirms(
        "【速報】日本の首相が辞任｜NHKニュース",
        "日本の首相が辞任"
    ));
    assert!(!confirms("Wedding Planning Guide", "Planning"));
    assert!(!confirms("Свадебное планирование", "Планирование"));
}

#[test]
fn a_two_word_h1_whose_words_the_metadata_title_uses_is_the_headline() {
    let m = og("Affordable food: nutrition for families on low incomes");
    assert_eq!(
        headline(&m, &[h1("Affordable nutrition")], "x.org"),
        "Affordable nutrition"
    );
    // Two words the title does not use are a section label.
    assert_eq!(
        headline(&m, &[h1("Our stories")], "x.org"),
        "Affordable food: nutrition for families on low incomes"
    );
}

#[test]
fn a_breadcrumb_h1_is_passed_over_and_a_glued_label_cut() {
    // An archive's abstract page: the subject trail is the first h1, the
    // paper's title the second, behind a "Title:" label with no space.
    let m = og("Merging models under geometric constraints");
    let h1s = [
        h1("Computer Science > Artificial Intelligence"),
        h1("Title:Merging models under geometric constraints"),
    ];
    assert_eq!(
        headline(&m, &h1s, "x.org"),
        "Merging models under geometric constraints"
    );
    assert!(breadcrumb("News \u{203a} Europe \u{203a} Caucasus"));
    assert!(!breadcrumb("\u{ab} Trop tard \u{bb} pour le climat"));
    // A ">" inside a sentence is not a trail.
    assert!(!breadcrumb(
        "Why 5 > 3 matters when voters rank the candidates in the election"
    ));
}

#[test]
fn a_headline_in_capitals_takes_the_casing_of_the_metadata_title() {
    let m = og("Tips for Online Success");
    assert_eq!(
        headline(&m, &[h1("TIPS FOR ONLINE SUCCESS")], "x.org"),
        "Tips for Online Success"
    );
    // Other words in the metadata: the h1 stays as it is.
    let other = og("Online Success Tips");
    assert_eq!(
        headline(&other, &[h1("TIPS FOR ONLINE SUCCESS")], "x.org"),
        "TIPS FOR ONLINE SUCCESS"
    );
    assert!(!shouted("NATO and EU"));
}

#[test]
fn characters_lost_to_question_marks_come_from_the_metadata() {
    let m = og("The Basics Of Flood Planning: Beginner's Guide");
    assert_eq!(
        headline(
            &m,
            &[h1("The Basics Of Flood Planning? Beginner? Guide")],
            "x.org"
        ),
        "The Basics Of Flood Planning: Beginner's Guide"
    );
    // Real question marks, and other words, are not losses.
    assert!(!lost_to_question_marks(
        "Is the quay safe? Experts weigh in",
        "Is the quay safe? Experts weigh in on it"
    ));
    assert!(!lost_to_question_marks(
        "Is the quay safe?",
        "Is the quay safe"
    ));
    assert!(lost_to_question_marks("Caf? owners", "Caf\u{e9} owners"));
}

#[test]
fn a_list_count_in_the_metadata_title_is_kept() {
    let m = PageMeta {
        og_title: Some("8 Recent Trends in Flood Defence - Ledger".into()),
        site_name: Some("Ledger".into()),
        ..PageMeta::default()
    };
    let h = [h1("Recent Trends in Flood Defence")];
    assert_eq!(
        headline(&m, &h, "ledger.example"),
        "8 Recent Trends in Flood Defence"
    );
    // A year in front is another title, not a count.
    let year = og("2025 Recent Trends in Flood Defence");
    assert_eq!(
        headline(&year, &h, "ledger.example"),
        "Recent Trends in Flood Defence"
    );
}

#[test]
fn a_short_tag_line_after_a_dash_is_cut_from_any_headline() {
    assert_eq!(
        tidy("15 Flood Maps Compared - Personally Tested", None, "x.org"),
        "15 Flood Maps Compared"
    );
    assert_eq!(
        tidy(
            "Flood Defences for Beginners — Sandbag Basics",
            None,
            "x.org"
        ),
        "Flood Defences for Beginners"
    );
    // A short headline, a long or lower-case tail: part of the headline.
    for t in [
        "Best Flood Maps – My Favorites!",
        "Flood Defences for Beginners - Features, Costs, and Honest Comparison",
        "The quay walls failed again — and the council knew",
    ] {
        assert_eq!(tidy(t, None, "x.org"), t);
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Titles built from the characters the headline rules look at:
    /// separators, quotes of both kinds, breadcrumb marks, "?" and
    /// references.
    fn title() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                "[A-Za-z]{1,8}",
                Just(" ".to_string()),
                Just(" | ".to_string()),
                Just(" - ".to_string()),
                Just(" \u{2013} ".to_string()),
                Just(": ".to_string()),
                Just(" > ".to_string()),
                Just(" \u{203a} ".to_string()),
                Just("'".to_string()),
                Just("\u{2019}".to_string()),
                Just("\u{201c}".to_string()),
                Just("?".to_string()),
                Just("&amp;#8217;".to_string()),
                Just("7 ".to_string()),
            ],
            0..16,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: crate::proptest_cases(), failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the sources say, the rules never panic and the
        /// headline is trimmed.
        #[test]
        fn the_headline_rules_never_panic_and_trim(
            og in proptest::option::of(title()),
            ld in proptest::option::of(title()),
            html in proptest::option::of(title()),
            site in proptest::option::of("[A-Za-z]{1,8}( [A-Za-z]{1,8})?"),
            headings in proptest::collection::vec(title(), 0..3),
            h1s in proptest::collection::vec((title(), any::<bool>(), any::<bool>()), 0..4),
            split in any::<usize>(),
        ) {
            // The first h1, cut anywhere on a space, as a title line
            // over a subtitle line (what `over_subtitle` looks at).
            let two_line_h1s = h1s
                .first()
                .and_then(|(t, ..)| {
                    let spaces: Vec<usize> = t.match_indices(' ').map(|(i, _)| i).collect();
                    let i = *spaces.get(split % spaces.len().max(1))?;
                    Some([t[..i].to_string(), t[i + 1..].to_string()])
                })
                .into_iter()
                .collect();
            let m = PageMeta {
                og_title: og,
                ld_headline: ld,
                html_title: html,
                site_name: site,
                headings,
                two_line_h1s,
                ..PageMeta::default()
            };
            let h: Vec<H1> = h1s
                .iter()
                .map(|(t, noise, link)| H1 {
                    text: t.clone(),
                    noise: *noise,
                    link: *link,
                })
                .collect();
            let out = headline(&m, &h, "news.example.org");
            prop_assert_eq!(out.trim(), out.as_str());
        }
    }
}
