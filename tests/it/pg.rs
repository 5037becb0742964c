//! The PostgreSQL store against a real server: a throwaway cluster per test
//! (`cluster.rs`: `initdb` + `pg_ctl` in a temp dir, as an unprivileged user when run as
//! root), several workers as threads with connections of their own.
//!
//! Skipped with a message when no PostgreSQL server binaries are found,
//! except when `TIDINGS_PG_TESTS=required` (`.ci/run` sets it after
//! installing them), where a missing server is a failure.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

pub use crate::cluster::Cluster;
use chrono::{DateTime, Duration, Utc};
use sha2::Digest;
use tidings::store::pg::{HostGrant, PgStore};
use tidings::store::{NewArticle, Sighting};

/// Runs `f` on `n` threads, each with its index and its own connection to
/// `url`, all starting once every one is connected.
fn on_threads<T: Send + 'static>(
    n: usize,
    url: String,
    f: impl Fn(usize, &mut PgStore) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let f = Arc::new(f);
    let gate = Arc::new(std::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (f, gate, url) = (f.clone(), gate.clone(), url.clone());
            std::thread::spawn(move || {
                let mut store = PgStore::connect(&url, None, None).expect("connect");
                gate.wait();
                f(i, &mut store)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn pg_workers_starting_at_once_apply_each_migration_once() {
    let Some(pg) = Cluster::start() else { return };
    let url = pg.url("tidings");
    let gate = Arc::new(std::sync::Barrier::new(6));
    let versions: Vec<_> = (0..6)
        .map(|_| {
            let (url, gate) = (url.clone(), gate.clone());
            std::thread::spawn(move || {
                gate.wait();
                let mut s = PgStore::connect(&url, None, None).map_err(|e| e.to_string())?;
                s.schema_version().map_err(|e| e.to_string())
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    let first = versions[0].clone().expect("a worker opened");
    assert!(first >= 2, "{versions:?}");
    for v in &versions {
        assert_eq!(
            v.as_ref().ok(),
            Some(&first),
            "every worker opened at one version: {versions:?}"
        );
    }
    let mut c = postgres::Client::connect(&pg.url("tidings"), postgres::NoTls).unwrap();
    let steps: i64 = c
        .query_one("SELECT count(*) FROM tidings_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(steps, first, "each step applied once");
}

#[test]
fn pg_no_feed_is_leased_twice_and_a_dead_workers_feeds_are_taken_over() {
    let Some(pg) = Cluster::start() else { return };
    let names: Vec<String> = (0..60).map(|i| format!("f{i:02}")).collect();
    let feeds: Vec<(String, String)> = names
        .iter()
        .map(|n| (n.clone(), format!("http://127.0.0.1:1/{n}.xml")))
        .collect();
    pg.store().sync_feeds(&feeds).unwrap();
    let until = t0() + Duration::minutes(5);
    // Three workers each ask for every feed at once, in different orders.
    let all = names.clone();
    let claims = on_threads(3, pg.url("tidings"), move |w, s| {
        let mut order = all.clone();
        order.rotate_left(w * 20);
        order
            .into_iter()
            .filter(|f| {
                s.claim_feed(&format!("w{w}"), f, t0(), until, false)
                    .unwrap()
            })
            .collect::<Vec<_>>()
    });
    let mut seen = HashSet::new();
    for name in claims.iter().flatten() {
        assert!(seen.insert(name.clone()), "{name} leased twice: {claims:?}");
    }
    assert_eq!(seen.len(), 60, "every due feed leased once");
    assert!(
        claims.iter().filter(|c| !c.is_empty()).count() > 1,
        "the workers shared the feeds: {claims:?}"
    );

    let mut s = pg.store();
    let first = claims.iter().find(|c| !c.is_empty()).unwrap()[0].clone();
    let owner = format!(
        "w{}",
        claims.iter().position(|c| c.contains(&first)).unwrap()
    );
    // A held lease is not taken before its time...
    let before = t0() + Duration::minutes(4);
    assert!(!s.claim_feed("b", &first, before, until, false).unwrap());
    assert!(!s.claim_feed("b", &first, before, until, true).unwrap());
    // ...and is after it: its owner was "killed" holding it.
    assert!(s
        .claim_feed("b", &first, until, until + Duration::minutes(5), false)
        .unwrap());
    // The old owner can neither renew nor drop what b holds now.
    assert!(!s
        .renew_lease(&owner, &first, until + Duration::hours(1))
        .unwrap());
    assert!(!s.drop_lease(&owner, &first).unwrap());
    // b's poll records a next poll in an hour, then drops the lease: the
    // feed is not due before then, except to a forced poll.
    let next = until + Duration::hours(1);
    let ok = tidings::store::PollResult::NotModified;
    s.record_poll(&first, &ok, until, next).unwrap();
    assert!(s.drop_lease("b", &first).unwrap());
    let early = next - Duration::seconds(1);
    assert!(!s.claim_feed("c", &first, early, next, false).unwrap());
    assert!(s.claim_feed("c", &first, early, next, true).unwrap());
    assert!(s.drop_lease("c", &first).unwrap());
    assert!(s
        .claim_feed("c", &first, next, next + Duration::minutes(5), false)
        .unwrap());
}

#[test]
fn pg_the_host_budget_holds_across_workers() {
    let Some(pg) = Cluster::start() else { return };
    const BUDGET: u32 = 2;
    let now_in = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (n, m) = (now_in.clone(), most.clone());
    let granted = on_threads(4, pg.url("tidings"), move |w, s| {
        let mut done = 0;
        while done < 15 {
            let now = Utc::now();
            let grant = s
                .acquire_permit(
                    "news.example",
                    &format!("w{w}"),
                    BUDGET,
                    Duration::zero(),
                    now,
                    now + Duration::minutes(1),
                )
                .unwrap();
            match grant {
                HostGrant::Granted(p) => {
                    let inside = n.fetch_add(1, Ordering::SeqCst) + 1;
                    m.fetch_max(inside, Ordering::SeqCst);
                    std::thread::sleep(StdDuration::from_millis(3));
                    n.fetch_sub(1, Ordering::SeqCst);
                    s.release_permit(p).unwrap();
                    done += 1;
                }
                HostGrant::Wait(_) => std::thread::sleep(StdDuration::from_millis(1)),
            }
        }
        done
    });
    assert_eq!(granted.iter().sum::<i32>(), 60);
    let most = most.load(Ordering::SeqCst);
    assert!(
        most <= BUDGET as usize,
        "{most} requests in flight, budget {BUDGET}"
    );
    assert_eq!(most, BUDGET as usize, "the budget was used in full");

    // The gap, a Retry-After, and a dead worker's permit.
    let mut s = pg.store();
    let gap = Duration::seconds(10);
    let hold = t0() + Duration::minutes(1);
    let grant = |s: &mut PgStore, at| {
        s.acquire_permit("slow.example", "a", 1, gap, at, hold)
            .unwrap()
    };
    let HostGrant::Granted(p) = grant(&mut s, t0()) else {
        panic!("first request")
    };
    s.release_permit(p).unwrap();
    assert_eq!(
        grant(&mut s, t0() + Duration::seconds(1)),
        HostGrant::Wait(t0() + gap)
    );
    s.defer_host("slow.example", t0() + Duration::seconds(100))
        .unwrap();
    s.defer_host("slow.example", t0() + Duration::seconds(50))
        .unwrap();
    assert_eq!(
        grant(&mut s, t0() + gap),
        HostGrant::Wait(t0() + Duration::seconds(100)),
        "a Retry-After holds, and a shorter one does not bring it forward"
    );
    let later = t0() + Duration::seconds(100);
    let dead_hold = later + Duration::seconds(30);
    assert!(matches!(
        s.acquire_permit(
            "slow.example",
            "dead",
            1,
            Duration::zero(),
            later,
            dead_hold
        )
        .unwrap(),
        HostGrant::Granted(_)
    ));
    assert_eq!(
        s.acquire_permit("slow.example", "b", 1, Duration::zero(), later, hold)
            .unwrap(),
        HostGrant::Wait(dead_hold),
        "the budget of one is held by the dead worker until its permit lapses"
    );
    assert!(matches!(
        s.acquire_permit(
            "slow.example",
            "b",
            1,
            Duration::zero(),
            dead_hold,
            dead_hold + gap
        )
        .unwrap(),
        HostGrant::Granted(_)
    ));
}

#[test]
fn pg_each_alert_is_claimed_and_sent_once_across_workers() {
    let Some(pg) = Cluster::start() else { return };
    let mut s = pg.store();
    for i in 0..90 {
        let key = format!("new_article:{i}");
        assert!(s
            .enqueue_alert("hook", "new_article", &key, "{}", t0())
            .unwrap());
    }
    assert!(
        !s.enqueue_alert("hook", "new_article", "new_article:7", "{}", t0())
            .unwrap(),
        "queued once per key"
    );
    let sent = Arc::new(Mutex::new(HashMap::<i64, usize>::new()));
    let tally = sent.clone();
    on_threads(3, pg.url("tidings"), move |w, s| {
        let worker = format!("w{w}");
        loop {
            let batch = s
                .claim_alerts(&worker, t0(), t0() + Duration::minutes(1), 5)
                .unwrap();
            if batch.is_empty() {
                break;
            }
            for a in batch {
                assert!(s.alert_sent(&worker, a.id, t0()).unwrap());
                *tally.lock().unwrap().entry(a.id).or_default() += 1;
            }
        }
    });
    let sent = sent.lock().unwrap();
    assert_eq!(sent.len(), 90);
    assert!(sent.values().all(|&n| n == 1), "each alert sent once");
    assert_eq!(s.outbox_states().unwrap(), (0, 90, 0));

    // A worker killed mid-send: its claims lapse and another sends them;
    // its late report changes nothing.
    s.enqueue_alert("hook", "new_article", "late", "{}", t0())
        .unwrap();
    let until = t0() + Duration::minutes(1);
    let dead = s.claim_alerts("dead", t0(), until, 10).unwrap();
    assert_eq!(dead.len(), 1);
    assert!(
        s.claim_alerts("live", t0(), until, 10).unwrap().is_empty(),
        "held by dead"
    );
    let live = s
        .claim_alerts("live", until, until + Duration::minutes(1), 10)
        .unwrap();
    assert_eq!(live.iter().map(|a| a.id).collect::<Vec<_>>(), [dead[0].id]);
    assert!(!s.alert_sent("dead", dead[0].id, until).unwrap());
    assert!(s
        .alert_failed(
            "live",
            live[0].id,
            "HTTP 503",
            Some(until + Duration::minutes(2))
        )
        .unwrap());
    assert_eq!(s.outbox_states().unwrap(), (1, 90, 0));
    let retry = s
        .claim_alerts(
            "live",
            until + Duration::minutes(2),
            until + Duration::minutes(3),
            10,
        )
        .unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].attempts, 1);
    assert!(s
        .alert_failed("live", retry[0].id, "HTTP 410", None)
        .unwrap());
    assert_eq!(s.outbox_states().unwrap(), (0, 90, 1));
}

/// A worker's side of the story decision, as the pipeline makes it: catch
/// up on what the others stored since this worker last looked, then store
/// the text or record a sighting of the article that has it. `seen` is the
/// worker's own index: the last id it has seen, and text hash → article.
fn meet(
    s: &mut PgStore,
    worker: usize,
    seen: &mut (Option<u64>, HashMap<Vec<u8>, u64>),
    text: &str,
) -> bool {
    let hash: [u8; 16] = sha2::Sha256::digest(text.as_bytes())[..16]
        .try_into()
        .unwrap();
    let (mut decision, known) = s.begin_decision(seen.0).unwrap();
    for k in known {
        seen.0 = Some(seen.0.map_or(k.id, |s| s.max(k.id)));
        seen.1.insert(k.text_hash, k.id);
    }
    let stored = match seen.1.get(hash.as_slice()) {
        Some(&article) => {
            decision
                .record_sighting(&sighting(article, worker, text))
                .unwrap();
            false
        }
        None => {
            // As the pipeline numbers a round: peek, store, spend.
            let id = decision.peek_next_id().unwrap();
            decision.spend_ids(id).unwrap();
            decision
                .store_article(&new_article(id, text, hash), text)
                .unwrap();
            seen.1.insert(hash.to_vec(), id);
            true
        }
    };
    decision.commit().unwrap();
    stored
}

fn new_article(id: u64, text: &str, text_hash: [u8; 16]) -> NewArticle {
    NewArticle {
        id,
        file: format!("{id:06}-{text}.txt"),
        url: Some(format!("http://127.0.0.1:1/{text}")),
        canonical_url: None,
        title: text.to_string(),
        feed: None,
        entry_key: None,
        published: None,
        fetched_at: Some(t0()),
        language: Some("en".into()),
        author: None,
        site_name: None,
        method: None,
        words: 1,
        text_hash,
        story: id,
        fingerprint: None,
        source: None,
        access: None,
    }
}

fn sighting(article: u64, worker: usize, text: &str) -> Sighting {
    Sighting {
        article,
        url: Some(format!("http://127.0.0.1:1/w{worker}/{text}")),
        canonical_url: None,
        feed: format!("w{worker}"),
        entry_key: text.to_string(),
        title: None,
        published: None,
        seen_at: t0(),
        reason: "same_text",
        score: 1.0,
        longer: false,
        newer: false,
        capture: None,
    }
}

#[test]
fn pg_workers_meeting_one_article_at_once_store_it_once() {
    let Some(pg) = Cluster::start() else { return };
    const TEXTS: usize = 40;
    const WORKERS: usize = 3;
    let stored = on_threads(WORKERS, pg.url("tidings"), |w, s| {
        let mut seen = (None, HashMap::new());
        // Each worker meets every text, in its own order.
        let mut order: Vec<usize> = (0..TEXTS).collect();
        order.rotate_left(w * 7 % TEXTS);
        order
            .into_iter()
            .filter(|i| meet(s, w, &mut seen, &format!("text{i}")))
            .count()
    });
    assert_eq!(
        stored.iter().sum::<usize>(),
        TEXTS,
        "each text stored once: {stored:?}"
    );
    let mut c = postgres::Client::connect(&pg.url("tidings"), postgres::NoTls).unwrap();
    let count =
        |c: &mut postgres::Client, sql: &str| -> i64 { c.query_one(sql, &[]).unwrap().get(0) };
    assert_eq!(
        count(&mut c, "SELECT count(DISTINCT text_hash) FROM articles"),
        TEXTS as i64
    );
    assert_eq!(count(&mut c, "SELECT count(*) FROM articles"), TEXTS as i64);
    assert_eq!(
        count(&mut c, "SELECT count(*) FROM sightings"),
        (TEXTS * (WORKERS - 1)) as i64,
        "every other meeting is a sighting"
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) FROM articles WHERE NOT search @@ to_tsquery('simple', title)"
        ),
        0,
        "each article is in the full-text index under its words"
    );
}

#[test]
fn pg_migrate_copies_a_sqlite_store_with_its_texts_and_refuses_twice() {
    let Some(pg) = Cluster::start() else { return };
    let env = crate::pipeline::site_env();
    assert_eq!(env.tidings(&["run", "--once"]).status.code(), Some(0));
    let url = pg.url("tidings");
    let out = env.tidings(&["migrate", "--to", &url]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::env::stderr(&out));
    let said = crate::env::stdout(&out);
    assert!(said.contains("copied; the counts match"), "{said}");
    let row = |table: &str| {
        said.lines()
            .find(|l| l.split_whitespace().next() == Some(table))
            .and_then(|l| l.split_whitespace().nth(1))
            .map(|n| n.parse::<u64>().unwrap())
    };
    assert_eq!(row("articles"), Some(10), "5 seeds and 5 new: {said}");
    assert_eq!(row("sightings"), Some(1), "the republished copy: {said}");

    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let files = env.corpus_files();
    assert_eq!(files.len(), 10);
    for (name, text) in &files {
        let got: String = c
            .query_one("SELECT text FROM articles WHERE file = $1", &[name])
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .get(0);
        assert_eq!(&got, text, "{name} byte for byte");
    }
    let export = env.export(&["--duplicates"]);
    let dup = export
        .iter()
        .find(|r| !r["duplicate_of"].is_null())
        .unwrap();
    let (article, seen_at): (i64, DateTime<Utc>) = {
        let r = c
            .query_one("SELECT article, seen_at FROM sightings", &[])
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(Some(article as u64), dup["duplicate_of"].as_u64());
    assert_eq!(
        seen_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        dup["fetched_at"].as_str().unwrap()
    );
    let next: i64 = c
        .query_one("SELECT nextval('article_ids')", &[])
        .unwrap()
        .get(0);
    assert_eq!(next, 10, "new articles are numbered after the copied ones");

    let again = env.tidings(&["migrate", "--to", &url]);
    assert_ne!(again.status.code(), Some(0));
    let err = crate::env::stderr(&again);
    assert!(err.contains("already holds 10 articles"), "{err}");
    let bad = env.tidings(&["migrate", "--to", "sqlite:///tmp/x.db"]);
    assert_eq!(bad.status.code(), Some(2), "{}", crate::env::stderr(&bad));
}
