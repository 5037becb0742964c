//! Unit tests of the pipeline's pure parts and of the group commit over a
//! temporary directory.

use crate::model::FailureKind;
use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use url::Url;

use super::commit::{Candidate, Page, Queued};
use super::entry::{feed_fallback, order_for_ingestion};
use super::*;
use crate::archive;
use crate::config::Config;
use crate::corpus::{self, FileName};
use crate::extract::Article;
use crate::feed::Entry;
use crate::fetch::{Exchange, FetchError};

#[test]
fn failure_kinds_come_from_the_error_type_not_its_words() {
    let url = "https://connect.example.org/tls/feed.xml".to_string();
    let status = |status| FetchError::Status {
        url: url.clone(),
        status,
        retry_after: None,
    };
    for (e, kind) in [
        (status(404), FailureKind::Http4xx),
        (status(503), FailureKind::Http5xx),
        (status(304), FailureKind::Other),
        (
            FetchError::Timeout { url: url.clone() },
            FailureKind::Timeout,
        ),
        (
            FetchError::TooLarge {
                url: url.clone(),
                limit: 10,
            },
            FailureKind::TooLarge,
        ),
        (
            FetchError::Network {
                url: url.clone(),
                source: "dns error".into(),
            },
            FailureKind::Network,
        ),
        (
            FetchError::Decode {
                url: url.clone(),
                encoding: "gzip".into(),
                source: std::io::Error::other("invalid gzip header"),
            },
            FailureKind::Other,
        ),
        // Regression: the words of the URL ("connect", "tls") made a
        // redirect loop count as a network failure.
        (
            FetchError::Redirect {
                url: url.clone(),
                source: crate::fetch::Redirect::TooMany { limit: 10 },
            },
            FailureKind::Other,
        ),
    ] {
        assert_eq!(FailureKind::of_fetch(&e), kind, "{e}");
        let shared = PipelineError::Shared(Arc::new(PipelineError::Fetch(e)));
        assert_eq!(FailureKind::of(&shared), kind);
    }
    assert_eq!(
        FailureKind::of(&PipelineError::Task("panicked".into())),
        FailureKind::Other
    );
    let labels: std::collections::HashSet<_> = FailureKind::ALL.iter().map(|k| k.label()).collect();
    assert_eq!(labels.len(), FailureKind::ALL.len());
}

fn entry(key: &str, published: Option<&str>) -> Entry {
    Entry {
        key: key.into(),
        published: published.map(|p| DateTime::parse_from_rfc3339(p).unwrap().with_timezone(&Utc)),
        ..Default::default()
    }
}

#[test]
fn ingestion_goes_oldest_first() {
    let dated = vec![
        entry("b", Some("2026-01-02T00:00:00Z")),
        entry("a", Some("2026-01-01T00:00:00Z")),
        entry("c", Some("2026-01-03T00:00:00Z")),
    ];
    let keys: Vec<_> = order_for_ingestion(dated)
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(keys, ["a", "b", "c"]);
    let undated = vec![entry("new", None), entry("old", None)];
    let keys: Vec<_> = order_for_ingestion(undated)
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(keys, ["old", "new"]);
}

#[test]
fn teaser_is_not_full_text_but_long_content_is() {
    let link = Url::parse("https://example.org/a").unwrap();
    let teaser = Entry {
        title: Some("T".into()),
        summary: Some("<p>Short teaser.</p>".into()),
        ..Default::default()
    };
    assert!(feed_fallback(&teaser, &link).is_none());
    let body = "<p>".to_string() + &"word ".repeat(80) + "</p><p>" + &"more ".repeat(80) + "</p>";
    let full = Entry {
        title: Some("Title".into()),
        content: Some(body),
        ..Default::default()
    };
    let (a, _) = feed_fallback(&full, &link).unwrap();
    assert_eq!(
        (a.title.as_str(), a.paragraphs.len(), a.method.as_str()),
        ("Title", 2, "feed")
    );
}

/// Commits that wait together: an ingest over a temporary directory,
/// candidates queued at once, and what each was told.
mod rounds {
    use super::*;
    use tokio::sync::oneshot;

    fn ingest_in(dir: &std::path::Path) -> Ingest {
        let config = Config::parse(
            "[store]\ndatabase = \"t.db\"\ncorpus = \"corpus\"\n",
            &dir.join("tidings.toml"),
        )
        .unwrap();
        Ingest::open(&config, Utc::now()).unwrap().0
    }

    /// Eight paragraphs of text that no other `seed` shares.
    fn text_of(seed: u64) -> Vec<String> {
        let words = [
            "council", "river", "winter", "ledger", "orchard", "signal", "harbour", "lantern",
            "meadow", "quarry", "summit", "velvet", "anchor", "bridle", "cobalt", "dune",
        ];
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..8)
            .map(|_| {
                (0..30)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        words[(x % words.len() as u64) as usize]
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// A candidate from feed `f`, entry `key`, at `url`, with the text
    /// of `seed`, and its page for the archive.
    fn candidate(key: &str, url: &str, seed: u64) -> Candidate {
        let article = Article {
            title: format!("Report {seed}"),
            paragraphs: text_of(seed),
            canonical_url: None,
            published: None,
            author: None,
            language: Some("en".into()),
            site_name: None,
            method: crate::extract::Method::Density,
            paywalled: false,
        };
        let (title, text) = article_text(&article, None);
        let url = Url::parse(url).unwrap();
        Candidate {
            feed: "f".into(),
            entry_key: key.into(),
            canonical_url: url.to_string(),
            title,
            text,
            published: None,
            article,
            sinks: Vec::new(),
            pickup: Vec::new(),
            page: Some(Page {
                url: url.clone(),
                status: 200,
                exchange: Exchange {
                    version: "HTTP/1.1".into(),
                    reason: "OK".into(),
                    at: Utc::now(),
                    ..Default::default()
                },
                body: format!("<html><body>page {seed}</body></html>").into_bytes(),
            }),
            staged: None,
            url,
        }
    }

    /// `n` candidates of one outlet, entries `e0…`, no two alike.
    fn distinct(n: u64) -> Vec<Candidate> {
        (0..n)
            .map(|n| candidate(&format!("e{n}"), &format!("https://a.example/{n}"), n))
            .collect()
    }

    /// Queues the candidates as one batch, commits it, and returns each
    /// one's outcome in queue order.
    fn commit_together(i: &mut Ingest, cs: Vec<Candidate>) -> Vec<EntryOutcome> {
        let mut queue = VecDeque::new();
        let mut replies = Vec::new();
        for candidate in cs {
            let (reply, rx) = oneshot::channel();
            queue.push_back(Queued {
                candidate,
                now: Utc::now(),
                reply,
            });
            replies.push(rx);
        }
        i.commit_queued(queue);
        replies
            .into_iter()
            .map(|mut rx| match rx.try_recv() {
                Ok(Ok(o)) => o,
                Ok(Err(e)) => EntryOutcome::Failed(e.to_string()),
                Err(e) => panic!("no outcome sent: {e}"),
            })
            .collect()
    }

    #[test]
    fn articles_committed_together_are_each_stored_with_file_row_and_capture() {
        let dir = tempfile::tempdir().unwrap();
        let mut i = ingest_in(dir.path());
        let out = commit_together(&mut i, distinct(3));
        assert_eq!(
            out,
            [
                EntryOutcome::Stored(0),
                EntryOutcome::Stored(1),
                EntryOutcome::Stored(2)
            ]
        );
        let records = i.store.sqlite("test").unwrap().export(false).unwrap();
        assert_eq!(records.len(), 3);
        for (n, r) in records.iter().enumerate() {
            let name = FileName::parse(r.file.as_deref().unwrap()).unwrap();
            let text = i.corpus.read(&name).unwrap();
            assert!(text.starts_with(&format!("Report {n}\n\n")), "{text}");
            let capture = i
                .store
                .sqlite("test")
                .unwrap()
                .capture_of(n as u64)
                .unwrap()
                .expect("captured");
            let record = archive::read(&dir.path().join("warc"), &capture.location).unwrap();
            let page = format!("page {n}");
            assert!(
                String::from_utf8_lossy(&record.block).contains(&page),
                "article {n}'s capture holds another page"
            );
        }
        assert_eq!(i.index.len(), 3);
        // The next round goes on from the numbers this one spent.
        let out = commit_together(&mut i, vec![candidate("e9", "https://a.example/9", 9)]);
        assert_eq!(out, [EntryOutcome::Stored(3)]);
    }

    /// Regression: two copies that wait together must not both be new
    /// because neither was in the index when the round began.
    #[test]
    fn copies_committed_together_are_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut i = ingest_in(dir.path());
        let out = commit_together(
            &mut i,
            vec![
                candidate("a", "https://a.example/story", 1),
                candidate("b", "https://b.example/syndicated", 1),
                candidate("c", "https://a.example/story", 2),
                candidate("d", "https://c.example/other", 3),
            ],
        );
        assert_eq!(
            out,
            [
                EntryOutcome::Stored(0),
                EntryOutcome::Duplicate(0),
                EntryOutcome::Duplicate(0),
                EntryOutcome::Stored(1)
            ]
        );
        assert_eq!(
            i.store.sqlite("test").unwrap().export(false).unwrap().len(),
            2
        );
        let all = i.store.sqlite("test").unwrap().export(true).unwrap();
        let dups: Vec<_> = all.iter().filter_map(|r| r.duplicate_of).collect();
        assert_eq!(dups, [0, 0]);
        assert_eq!(i.corpus.list().unwrap().len(), 2);
    }

    #[test]
    fn a_file_that_cannot_be_placed_fails_its_article_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut i = ingest_in(dir.path());
        // Something else took the second article's name after start.
        let taken = FileName {
            seq: 1,
            hex: corpus::identifier("https://a.example/1"),
        };
        std::fs::write(i.corpus.path_of(&taken), "not ours").unwrap();
        let out = commit_together(&mut i, distinct(3));
        assert_eq!(out[0], EntryOutcome::Stored(0));
        assert!(
            matches!(&out[1], EntryOutcome::Failed(e) if e.contains("1_")),
            "{:?}",
            out[1]
        );
        assert_eq!(out[2], EntryOutcome::Stored(2));
        let ids: Vec<_> = i
            .store
            .sqlite("test")
            .unwrap()
            .export(false)
            .unwrap()
            .iter()
            .filter_map(|r| r.id)
            .collect();
        assert_eq!(ids, [0, 2]);
        assert!(i
            .store
            .sqlite("test")
            .unwrap()
            .pending_articles()
            .unwrap()
            .is_empty());
        assert_eq!(
            std::fs::read_to_string(i.corpus.path_of(&taken)).unwrap(),
            "not ours"
        );
        // The failed entry is not recorded: its next poll tries again.
        assert_eq!(i.store.entry_state("f", "e1").unwrap(), None);
    }
}
