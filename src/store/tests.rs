//! The store's unit tests that span its files, and the article the
//! other files' tests start from.

use chrono::Utc;
use rusqlite::Connection;

use super::articles::NewArticle;
use super::db::{parse_ts, Store, StoreError};
use super::entries::EntryState;
use super::schema::MIGRATIONS;
use crate::model::{ts, Capture, Location};

pub(crate) fn article(id: u64) -> NewArticle {
    NewArticle {
        id,
        file: format!("{id:03}_00000000000000aa.txt"),
        url: Some(format!("https://example.org/{id}")),
        canonical_url: Some(format!("https://example.org/{id}")),
        title: "T".into(),
        feed: Some("f".into()),
        entry_key: Some(format!("k{id}")),
        published: None,
        fetched_at: None,
        language: None,
        author: None,
        site_name: None,
        method: None,
        words: 3,
        text_hash: [id as u8; 16],
        story: id,
        fingerprint: None,
        source: None,
        access: None,
    }
}

#[test]
fn migrations_apply_once_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.db");
    Store::open(&p).unwrap();
    let s = Store::open(&p).unwrap();
    assert_eq!(s.counts().unwrap(), (0, 0, 0));
}

/// Two processes starting on a new database at once: the one that
/// comes second must find the schema made, not make it again (it read
/// `user_version` outside its transaction and failed with "table
/// feeds already exists").
#[test]
fn a_migration_raced_by_another_process_is_not_applied_twice() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.db");
    // The other process: WAL (so our read goes through) and the write
    // lock held while we start.
    let mut other = Connection::open(&p).unwrap();
    other.execute_batch("PRAGMA journal_mode = WAL;").unwrap();
    let tx = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let p2 = p.clone();
    let ours = std::thread::spawn(move || Store::open(&p2).map(|_| ()));
    // Let ours read the version (0) and wait for the lock; had it not
    // got that far, the test would pass either way, never fail wrongly.
    std::thread::sleep(std::time::Duration::from_millis(300));
    for m in MIGRATIONS {
        tx.execute_batch(m).unwrap();
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len() as i64)
        .unwrap();
    tx.commit().unwrap();
    let opened = ours.join().unwrap();
    assert!(opened.is_ok(), "second open: {}", opened.unwrap_err());
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.db");
    Connection::open(&p)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    assert!(matches!(
        Store::open(&p),
        Err(StoreError::TooNew { found: 99, .. })
    ));
}

#[test]
fn two_phase_article_marks_its_entry_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("t.db")).unwrap();
    let now = Utc::now();
    s.begin_article(&article(5), None).unwrap();
    assert_eq!(s.pending_articles().unwrap().len(), 1);
    assert_eq!(
        s.article_by_canonical_url("https://example.org/5").unwrap(),
        None
    );
    s.finish_article(5, now, &[], None).unwrap();
    assert!(s.pending_articles().unwrap().is_empty());
    assert_eq!(s.entry_state("f", "k5").unwrap(), Some(EntryState::Stored));
    assert_eq!(
        s.article_by_canonical_url("https://example.org/5").unwrap(),
        Some(5)
    );
    assert_eq!(s.max_article_id().unwrap(), Some(5));
    let capture = Capture {
        location: Location {
            file: "w.warc.gz".into(),
            offset: 100,
            length: 50,
        },
        request: Location {
            file: "w.warc.gz".into(),
            offset: 150,
            length: 30,
        },
        record_id: "<urn:uuid:x>".into(),
        target_uri: "https://example.org/6".into(),
        captured_at: now,
        status: 200,
        payload_digest: "sha1:X".into(),
        payload_length: 10,
        truncated: false,
    };
    s.begin_article(&article(6), Some(&capture)).unwrap();
    assert_eq!(s.archive_end("w.warc.gz").unwrap(), 180);
    s.abandon_article(6).unwrap();
    assert_eq!(s.max_article_id().unwrap(), Some(5));
    assert_eq!(s.capture_of(6).unwrap(), None);
    assert_eq!(s.archive_end("w.warc.gz").unwrap(), 0);
    s.begin_article(&article(7), Some(&capture)).unwrap();
    s.finish_article(7, now, &[], None).unwrap();
    let mut kept = capture.clone();
    kept.captured_at = parse_ts(Some(ts(now))).unwrap();
    assert_eq!(s.capture_of(7).unwrap(), Some(kept));
    assert_eq!(s.captured_articles(None).unwrap().len(), 1);
}

#[test]
fn failed_entries_count_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("t.db")).unwrap();
    let now = Utc::now();
    for _ in 0..3 {
        s.record_entry(
            "f",
            "k",
            None,
            None,
            EntryState::Failed,
            None,
            Some("HTTP 500"),
            now,
        )
        .unwrap();
    }
    let attempts: u32 = s
        .conn
        .query_row("SELECT attempts FROM entries", [], |r| r.get(0))
        .unwrap();
    assert_eq!(attempts, 3);
    assert_eq!(s.entry_state("f", "k").unwrap(), Some(EntryState::Failed));
}

/// A reader is kept from writing by SQLite itself, and the refusal names
/// the database.
#[test]
fn a_reader_refuses_writes_and_names_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.db");
    let mut w = Store::open(&p).unwrap();
    w.sync_feeds(&[("f".into(), "https://example.org/f".into())])
        .unwrap();
    let mut r = Store::open_reader(&p).unwrap();
    assert_eq!(r.feeds().unwrap().len(), 1);
    let e = r
        .sync_feeds(&[("g".into(), "https://example.org/g".into())])
        .unwrap_err();
    assert!(matches!(e, StoreError::Sqlite { .. }), "{e:?}");
    assert!(e.to_string().contains(&p.display().to_string()), "{e}");
    assert_eq!(w.feeds().unwrap().len(), 1, "the write did not happen");
}

/// A writer in the middle of a transaction holds no reader up, and the
/// reader sees what was committed.
#[test]
fn a_reader_opens_and_reads_beside_a_writer_in_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.db");
    Store::open(&p)
        .unwrap()
        .sync_feeds(&[("f".into(), "https://example.org/f".into())])
        .unwrap();
    let mut other = Connection::open(&p).unwrap();
    let tx = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)
        .unwrap();
    tx.execute("UPDATE feeds SET entries_seen = 99", [])
        .unwrap();
    let started = std::time::Instant::now();
    let r = Store::open_reader(&p).unwrap();
    assert_eq!(r.feeds().unwrap()[0].entries_seen, 0);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    tx.commit().unwrap();
    assert_eq!(r.feeds().unwrap()[0].entries_seen, 99);
}

/// A reader does not migrate: an older schema is refused (and left as it
/// was), and so is a newer one.
#[test]
fn a_reader_refuses_a_schema_it_does_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.db");
    drop(Store::open(&p).unwrap());
    let known = MIGRATIONS.len() as i64;
    let set = |v: i64| {
        Connection::open(&p)
            .unwrap()
            .pragma_update(None, "user_version", v)
            .unwrap()
    };
    set(known - 1);
    let e = Store::open_reader(&p).err().expect("refused");
    assert!(
        matches!(e, StoreError::TooOld { found, .. } if found == known - 1),
        "{e:?}"
    );
    assert!(e.to_string().contains("run --once"), "{e}");
    let version: i64 = Connection::open(&p)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, known - 1, "not migrated");
    set(known + 1);
    assert!(matches!(
        Store::open_reader(&p),
        Err(StoreError::TooNew { .. })
    ));
    let missing = dir.path().join("none.db");
    assert!(Store::open_reader(&missing).is_err());
    assert!(!missing.exists(), "a reader makes no database");
}

/// A failed poll keeps its kind on the row until a poll succeeds.
#[test]
fn a_failed_poll_keeps_its_kind() {
    use super::feeds::PollResult;
    use crate::model::FailureKind;
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("t.db")).unwrap();
    s.sync_feeds(&[("f".into(), "https://example.org/f".into())])
        .unwrap();
    let now = Utc::now();
    let kind = |s: &Store| s.feed("f").unwrap().unwrap().failure_kind;
    assert_eq!(kind(&s), None);
    let fault = PollResult::Outage {
        error: "storage fault: database t.db: disk full".into(),
        kind: FailureKind::Store,
    };
    s.record_poll("f", &fault, now, now).unwrap();
    assert_eq!(kind(&s), Some(FailureKind::Store));
    assert_eq!(s.feed("f").unwrap().unwrap().consecutive_failures, 0);
    let failure = PollResult::Failure {
        error: "https://example.org/f: HTTP 503".into(),
        kind: FailureKind::Http5xx,
    };
    s.record_poll("f", &failure, now, now).unwrap();
    assert_eq!(kind(&s), Some(FailureKind::Http5xx));
    s.record_poll("f", &PollResult::NotModified, now, now)
        .unwrap();
    assert_eq!(kind(&s), None);
}

/// A storage fault recorded before the kind had a column is given its
/// kind by the migration that adds it; another failure is not.
#[test]
fn the_failure_kind_migration_keeps_old_storage_faults() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.db");
    drop(Store::open(&p).unwrap());
    {
        let c = Connection::open(&p).unwrap();
        c.execute_batch(
            "ALTER TABLE feeds DROP COLUMN failure_kind;
             INSERT INTO feeds (name, url, last_error) VALUES
               ('fault', 'u', 'storage fault: database t.db: disk full'),
               ('server', 'u', 'https://example.org/f: storage fault words');",
        )
        .unwrap();
        c.pragma_update(None, "user_version", MIGRATIONS.len() as i64 - 1)
            .unwrap();
    }
    let s = Store::open(&p).unwrap();
    let kind = |name: &str| s.feed(name).unwrap().unwrap().failure_kind;
    assert_eq!(kind("fault"), Some(crate::model::FailureKind::Store));
    assert_eq!(kind("server"), None);
}

/// A transaction takes the write lock as it begins: another connection
/// that commits between its first read and its first write waits instead
/// (deferred, the transaction's write failed at once, SQLITE_BUSY, since
/// what it had read was no longer the latest).
#[test]
fn a_transaction_holds_the_write_lock_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.db");
    let mut ours = Store::open(&p).unwrap();
    let other = Connection::open(&p).unwrap();
    other.busy_timeout(std::time::Duration::ZERO).unwrap();
    let other_wrote = ours
        .transaction(|tx| {
            let _: i64 = tx.query_row("SELECT COUNT(*) FROM feeds", [], |r| r.get(0))?;
            let other_wrote = other
                .execute("INSERT INTO feeds (name, url) VALUES ('b', 'u')", [])
                .is_ok();
            tx.execute("INSERT INTO feeds (name, url) VALUES ('a', 'u')", [])?;
            Ok(other_wrote)
        })
        .unwrap();
    assert!(!other_wrote, "the other connection waits for the lock");
    assert_eq!(ours.feeds().unwrap().len(), 1);
}

/// The full-text index and the filters (`store::search`), here rather than
/// in search.rs so that file's tests do not make it import `articles`.
mod search {
    use super::super::db::{Store, StoreError};
    use super::super::search::*;
    use crate::topic::Query;
    use chrono::{DateTime, Utc};

    fn fts(q: &str) -> Result<String, StoreError> {
        fts5_query(&Query::parse(q).unwrap())
    }

    #[test]
    fn topic_syntax_renders_as_quoted_fts5() {
        assert_eq!(fts("gay").unwrap(), "\"gay\"");
        assert_eq!(fts("chechen*").unwrap(), "\"chechen\"*");
        assert_eq!(
            fts("\"sexual orientation\" OR lgbt*").unwrap(),
            "(\"sexual orientation\" OR \"lgbt\"*)"
        );
        assert_eq!(
            fts("(chechnya OR chechen*) AND gay").unwrap(),
            "((\"chechnya\" OR \"chechen\"*) AND \"gay\")"
        );
        // Operators FTS5 knows but the topic language does not are words.
        assert_eq!(fts("near body").unwrap(), "(\"near\" AND \"body\")");
    }

    #[test]
    fn not_becomes_binary_and_a_lone_not_is_refused() {
        assert_eq!(
            fts("gay NOT football NOT rugby").unwrap(),
            "(\"gay\") NOT \"football\" NOT \"rugby\""
        );
        assert_eq!(fts("gay NOT NOT lgbt").unwrap(), "(\"gay\" AND \"lgbt\")");
        for q in ["NOT football", "gay AND (NOT a OR b)", "NOT a NOT b"] {
            let e = fts(q).unwrap_err().to_string();
            assert!(e.contains("NOT must follow"), "{q}: {e}");
        }
    }

    fn store_with(texts: &[(u64, &str, &str, Option<&str>)]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        for (id, title, body, feed) in texts {
            let mut a = super::article(*id);
            a.title = title.to_string();
            a.feed = feed.map(str::to_string);
            a.published = Some(
                DateTime::parse_from_rfc3339(&format!("2026-11-{:02}T12:00:00Z", id))
                    .unwrap()
                    .with_timezone(&Utc),
            );
            s.begin_article(&a, None).unwrap();
            s.finish_article(*id, Utc::now(), &[], Some(&format!("{title}\n\n{body}")))
                .unwrap();
        }
        (dir, s)
    }

    fn ids(hits: &[SearchHit]) -> Vec<u64> {
        hits.iter().map(|h| h.record.id.unwrap()).collect()
    }

    #[test]
    fn search_ranks_highlights_and_filters() {
        let (_d, s) = store_with(&[
            (
                1,
                "Weather",
                "Rain in Grozny. Nothing about people.",
                Some("a"),
            ),
            (
                2,
                "Chechnya purge",
                "Gay men detained in Chechnya.",
                Some("b"),
            ),
            (
                3,
                "Sport",
                "Football in Chechnya, and one gay fan.",
                Some("a"),
            ),
        ]);
        let opts = |filter| SearchOptions {
            filter,
            limit: 10,
            marks: ("[", "]"),
        };
        let q = Query::parse("chechnya gay").unwrap();
        let hits = s.search(&q, &opts(ArticleFilter::default())).unwrap();
        assert_eq!(ids(&hits), [2, 3], "the headline match ranks first");
        assert_eq!(hits[0].title_marked, "[Chechnya] purge");
        assert!(hits[0].snippet.contains("[Gay]"), "{}", hits[0].snippet);
        assert!(hits[0].score > hits[1].score);
        let feed_a = ArticleFilter {
            feed: Some("a".into()),
            ..Default::default()
        };
        assert_eq!(ids(&s.search(&q, &opts(feed_a)).unwrap()), [3]);
        let day = |d: u32| {
            DateTime::parse_from_rfc3339(&format!("2026-11-{d:02}T00:00:00Z"))
                .unwrap()
                .with_timezone(&Utc)
        };
        let since3 = ArticleFilter {
            since: Some(day(3)),
            ..Default::default()
        };
        assert_eq!(ids(&s.search(&q, &opts(since3)).unwrap()), [3]);
        let before3 = ArticleFilter {
            before: Some(day(3)),
            ..Default::default()
        };
        assert_eq!(ids(&s.search(&q, &opts(before3)).unwrap()), [2]);
        let accents = Query::parse("GROZNÝ").unwrap();
        assert_eq!(
            ids(&s.search(&accents, &opts(ArticleFilter::default())).unwrap()),
            [1]
        );
        let prefix = Query::parse("chech* NOT football").unwrap();
        assert_eq!(
            ids(&s.search(&prefix, &opts(ArticleFilter::default())).unwrap()),
            [2]
        );
    }

    #[test]
    fn unindexed_articles_are_found_and_indexed() {
        let (_d, mut s) = store_with(&[(1, "Indexed", "body", None)]);
        let mut a = super::article(2);
        a.title = "Later".into();
        s.begin_article(&a, None).unwrap();
        assert!(s.unindexed_articles().unwrap().is_empty(), "pending is not");
        s.finish_article(2, Utc::now(), &[], None).unwrap();
        assert_eq!(s.unindexed_count().unwrap(), 1);
        assert_eq!(
            s.unindexed_articles().unwrap(),
            [(2, "002_00000000000000aa.txt".to_string())]
        );
        s.index_texts(&[(2, "Later\n\nwords here")]).unwrap();
        assert!(s.unindexed_articles().unwrap().is_empty());
        assert_eq!(s.unindexed_count().unwrap(), 0);
        let q = Query::parse("words").unwrap();
        let opts = SearchOptions {
            filter: ArticleFilter::default(),
            limit: 5,
            marks: ("", ""),
        };
        assert_eq!(ids(&s.search(&q, &opts).unwrap()), [2]);
    }

    #[test]
    fn reextract_write_reindexes_the_new_text() {
        let (_d, mut s) = store_with(&[(1, "Grozny report", "old words", None)]);
        let opts = SearchOptions {
            filter: ArticleFilter::default(),
            limit: 5,
            marks: ("", ""),
        };
        let find = |s: &Store, q: &str| ids(&s.search(&Query::parse(q).unwrap(), &opts).unwrap());
        assert_eq!(find(&s, "old"), [1]);
        let rewrite = super::super::articles::Rewrite {
            original: "Grozny report\n\nold words",
            title: "Grozny report",
            text: "Grozny report\n\nfresh paragraph",
            words: 4,
            text_hash: [0; 16],
        };
        s.record_reextract(1, &rewrite, Utc::now()).unwrap();
        assert!(find(&s, "old").is_empty(), "the replaced text is gone");
        assert_eq!(find(&s, "fresh"), [1]);
    }
}
