//! The summary `run --once` prints: words for a person, or one JSON object
//! with `--json`. Pure: a [`Summary`] in, text out.

use serde_json::json;

use crate::model::FeedOutcome;
use crate::pipeline::Summary;

/// "1 feed", "2 feeds".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Entries the poll had seen before (skipped before their page).
fn seen_before(f: &FeedOutcome) -> usize {
    f.entries
        .saturating_sub(f.stored + f.duplicates + f.offtopic + f.no_article + f.failed)
}

/// What became of one poll: `ok`, `unchanged` (304), `failed`, or
/// `elsewhere` (another worker of a fleet held the feed).
fn poll_state(f: &FeedOutcome) -> &'static str {
    if f.leased_elsewhere {
        return "elsewhere";
    }
    match (&f.error, f.not_modified) {
        (Some(_), _) => "failed",
        (None, true) => "unchanged",
        (None, false) => "ok",
    }
}

/// The summary's lines. "Failed" is kept for feeds that could not be
/// polled; pages that could not be fetched are "to retry", and a 304 is
/// "unchanged" rather than "0 entries".
pub fn text(s: &Summary) -> String {
    let polled = s.feeds.iter().filter(|f| !f.leased_elsewhere).count();
    let unchanged = s
        .feeds
        .iter()
        .filter(|f| poll_state(f) == "unchanged")
        .count();
    let failed: Vec<&str> = s
        .feeds
        .iter()
        .filter(|f| f.error.is_some())
        .map(|f| f.feed.as_str())
        .collect();
    let mut head = format!("polled {}", count(polled, "feed", "feeds"));
    let mut notes = Vec::new();
    if unchanged > 0 {
        notes.push(format!("{unchanged} unchanged since the last poll"));
    }
    if !failed.is_empty() {
        notes.push(format!("{} could not be polled", failed.len()));
    }
    if !notes.is_empty() {
        head.push_str(&format!(" ({})", notes.join(", ")));
    }
    let new = s.total(|f| f.entries) - s.total(seen_before);
    let mut out = format!(
        "{head}: {}, {} new: {} stored, {}, {} off-topic, {} without an article, {} to retry\n",
        count(s.total(|f| f.entries), "entry", "entries"),
        new,
        count(s.total(|f| f.stored), "article", "articles"),
        count(s.total(|f| f.duplicates), "duplicate", "duplicates"),
        s.total(|f| f.offtopic),
        s.total(|f| f.no_article),
        count(s.total(|f| f.failed), "page", "pages"),
    );
    let elsewhere: Vec<&str> = s
        .feeds
        .iter()
        .filter(|f| f.leased_elsewhere)
        .map(|f| f.feed.as_str())
        .collect();
    if !elsewhere.is_empty() {
        out.push_str(&format!(
            "{} left to the worker polling {}: {}\n",
            count(elsewhere.len(), "feed", "feeds"),
            if elsewhere.len() == 1 { "it" } else { "them" },
            elsewhere.join(", ")
        ));
    }
    if !s.not_due.is_empty() {
        out.push_str(&format!(
            "{} not due yet (--force polls them): {}\n",
            count(s.not_due.len(), "feed", "feeds"),
            s.not_due.join(", ")
        ));
    }
    out
}

/// The summary as one JSON object (one line).
pub fn json(s: &Summary) -> serde_json::Value {
    let feeds: Vec<_> = s
        .feeds
        .iter()
        .map(|f| {
            json!({
                "feed": f.feed,
                "poll": poll_state(f),
                "error": f.error.as_ref().map(|e| e.message.clone()),
                "entries": f.entries,
                "seen_before": seen_before(f),
                "stored": f.stored,
                "duplicates": f.duplicates,
                "offtopic": f.offtopic,
                "no_article": f.no_article,
                "to_retry": f.failed,
            })
        })
        .collect();
    json!({
        "feeds": feeds,
        "not_due": s.not_due,
        "retired": s.retired,
        "stored": s.total(|f| f.stored),
        "duplicates": s.total(|f| f.duplicates),
        "offtopic": s.total(|f| f.offtopic),
        "failed_feeds": s.failed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FailureKind, PollFailure};

    fn feed(name: &str) -> FeedOutcome {
        FeedOutcome {
            feed: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn feeds_another_worker_held_are_named_not_counted_as_polled() {
        let mut a = feed("a");
        a.entries = 2;
        a.stored = 2;
        let (mut b, mut c) = (feed("b"), feed("c"));
        b.leased_elsewhere = true;
        c.leased_elsewhere = true;
        let s = Summary {
            feeds: vec![a, b, c],
            ..Default::default()
        };
        let t = text(&s);
        assert!(t.starts_with("polled 1 feed: 2 entries"), "{t}");
        assert!(
            t.contains("\n2 feeds left to the worker polling them: b, c\n"),
            "{t}"
        );
        assert_eq!(json(&s)["feeds"][1]["poll"], "elsewhere");
    }

    #[test]
    fn summary_counts_in_words_that_agree_with_their_numbers() {
        let mut a = feed("a");
        a.entries = 1;
        a.stored = 1;
        let s = Summary {
            feeds: vec![a],
            ..Default::default()
        };
        assert_eq!(
            text(&s),
            "polled 1 feed: 1 entry, 1 new: 1 article stored, 0 duplicates, 0 off-topic, 0 without an article, 0 pages to retry\n"
        );
    }

    #[test]
    fn summary_says_unchanged_for_a_304_and_failed_only_for_feeds() {
        let mut a = feed("a");
        a.not_modified = true;
        let mut b = feed("b");
        b.error = Some(PollFailure {
            kind: FailureKind::Timeout,
            message: "timed out".into(),
        });
        let mut c = feed("c");
        c.entries = 5;
        c.stored = 1;
        c.failed = 1;
        let s = Summary {
            feeds: vec![a, b, c],
            ..Default::default()
        };
        let t = text(&s);
        assert!(t.starts_with("polled 3 feeds (1 unchanged since the last poll, 1 could not be polled): 5 entries, 2 new: 1 article stored"), "{t}");
        assert!(t.contains("1 page to retry"), "{t}");
        assert_eq!(json(&s)["feeds"][0]["poll"], "unchanged");
        assert_eq!(json(&s)["feeds"][2]["seen_before"], 3);
    }
}
