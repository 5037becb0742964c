//! A hostile web: feeds and pages built to exhaust memory or time (bombs,
//! entity expansion, pathological markup, floods of entries, slow drips,
//! throttling). Each run's peak RSS is the tidings process's own.

use std::time::Duration;

use crate::env::{stderr, stdout, Env};
use crate::faults::{Body, FaultServer, Reply};
use crate::fetch::{page, rss};

/// 1681 bytes of brotli that decode to 1 GiB of `a`.
const BROTLI_GIB: &[u8] = include_bytes!("../fixtures/bombs/1gib.br");

/// Peak RSS allowed for a run against hostile input: the issue's bound,
/// several times what a normal run takes.
const PEAK_RSS_KIB: u64 = 150 * 1024;

/// An environment whose feeds are on the fault server, with `fetch`
/// added to the test defaults of the `[fetch]` table.
fn env_with(feeds: &[(&str, String)], fetch: &str) -> Env {
    let defaults = "per_host_gap = \"0s\"\nper_host_connections = 8\n";
    crate::fetch::env_with(feeds, &format!("{defaults}{fetch}"))
}

/// Replaces `from` with `to` in the environment's config.
fn edit_config(env: &Env, from: &str, to: &str) {
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(text.contains(from), "{from:?} not in the config");
    std::fs::write(env.config_path(), text.replace(from, to)).unwrap();
}

/// Serves `/good`, a page, and `/feed.xml` linking `links` and it.
fn feed_with_good_page(s: &FaultServer, mut links: Vec<String>) {
    s.route("/good", vec![Reply::ok("text/html", page("Good one"))]);
    links.push(format!("{}/good", s.base("127.0.0.1")));
    s.route(
        "/feed.xml",
        vec![Reply::ok("application/rss+xml", rss(&links))],
    );
}

/// Runs tidings once and checks what every hostile run must keep: the
/// exit status, the good page stored, and memory within bounds. Returns
/// the log.
fn run_bounded(env: &Env, code: i32) -> String {
    let (out, peak_rss_kib) = env.tidings_with_peak_rss(&["run", "--once"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(
        stdout(&out).contains("1 article stored"),
        "{}",
        stdout(&out)
    );
    assert!(
        peak_rss_kib < PEAK_RSS_KIB,
        "peak RSS of the tidings run {peak_rss_kib} KiB"
    );
    err
}

#[test]
fn brotli_bomb_feed_and_page_stop_at_the_cap() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    s.route(
        "/bomb.xml",
        vec![Reply::ok("application/rss+xml", BROTLI_GIB).header("Content-Encoding", "br")],
    );
    s.route(
        "/bomb",
        vec![Reply::ok("text/html", BROTLI_GIB).header("Content-Encoding", "br")],
    );
    feed_with_good_page(&s, vec![format!("{base}/bomb")]);
    let env = env_with(
        &[
            ("bomb", format!("{base}/bomb.xml")),
            ("f", format!("{base}/feed.xml")),
        ],
        "max_feed_size = \"1MiB\"\nmax_page_size = \"4MiB\"\n",
    );
    let err = run_bounded(&env, 3);
    assert!(
        err.contains("/bomb.xml: body larger than the 1048576-byte limit"),
        "{err}"
    );
    assert!(
        err.contains("/bomb: body larger than the 4194304-byte limit"),
        "{err}"
    );
}

#[test]
fn entity_expansion_counts_against_the_feed_cap() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    // One entity of 10 000 characters used 20 000 times: a 110 KB feed
    // that expands to 200 MB.
    let big = "Chechnya ".repeat(1_111);
    let uses = "&big;".repeat(200);
    let items: String = (0..100)
        .map(|i| {
            format!("<item><title>Item {i}</title><link>{base}/a{i}</link><description>{uses}</description></item>")
        })
        .collect();
    let feed = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY big \"{big}\">]><rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>"
    );
    assert!(feed.len() < 150_000, "{}", feed.len());
    s.route(
        "/entities.xml",
        vec![Reply::ok("application/rss+xml", feed)],
    );
    feed_with_good_page(&s, vec![]);
    let env = env_with(
        &[
            ("entities", format!("{base}/entities.xml")),
            ("f", format!("{base}/feed.xml")),
        ],
        "max_feed_size = \"4MiB\"\n",
    );
    let err = run_bounded(&env, 3);
    assert!(
        err.contains(
            "/entities.xml: declared entities expand the feed past the 4194304-byte limit"
        ),
        "{err}"
    );
}

fn db(env: &Env) -> rusqlite::Connection {
    rusqlite::Connection::open(env.path("tidings.db")).unwrap()
}

/// The state and last error of a feed's entry.
fn entry_row(env: &Env, key: &str) -> (String, Option<String>, u32) {
    db(env)
        .query_row(
            "SELECT state, last_error, attempts FROM entries WHERE key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap_or_else(|e| panic!("{key}: {e}"))
}

#[test]
fn deep_nesting_then_stray_end_tags_is_refused_within_budget_for_good() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    // 4 090 nested divs, then two million `</p>`: 32 s of CPU and 341 MB
    // before, timed out and retried at every poll.
    let hostile = format!(
        "<html><head><title>Deep</title></head><body>{}{}",
        "<div>".repeat(4_090),
        "</p>".repeat(2_000_000)
    );
    s.route("/deep", vec![Reply::ok("text/html", hostile)]);
    feed_with_good_page(&s, vec![format!("{base}/deep")]);
    let env = env_with(&[("f", format!("{base}/feed.xml"))], "");
    let err = run_bounded(&env, 0);
    assert!(
        err.contains("/deep: page takes more than the parse budget"),
        "{err}"
    );
    // Settled for good, visibly: the row says why, and the page is not
    // fetched again.
    let (state, error, _) = entry_row(&env, &format!("{base}/deep"));
    assert_eq!(state, "no_article");
    assert!(error.unwrap().contains("parse budget"));
    let out = env.tidings(&["run", "--once", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.hits_of("/deep").len(), 1);
}

#[test]
fn an_entry_that_keeps_failing_is_given_up_visibly() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    s.route(
        "/slow",
        vec![Reply::ok("text/html", page("Slow")).delay(Duration::from_secs(3))],
    );
    let links = vec![format!("{base}/slow")];
    s.route(
        "/feed.xml",
        vec![Reply::ok("application/rss+xml", rss(&links))],
    );
    let env = env_with(&[("f", format!("{base}/feed.xml"))], "");
    edit_config(&env, "timeout = \"10s\"", "timeout = \"1s\"");
    for attempt in 1..=3 {
        let out = env.tidings(&["run", "--once", "--force"]);
        let err = stderr(&out);
        assert!(err.contains("/slow: timed out"), "attempt {attempt}: {err}");
        let (state, error, attempts) = entry_row(&env, &format!("{base}/slow"));
        assert_eq!(attempts, attempt);
        if attempt < 3 {
            assert_eq!(state, "failed", "attempt {attempt}");
        } else {
            assert_eq!(state, "no_article");
            assert!(
                err.contains("gave up after 3 attempts: "),
                "the log says so: {err}"
            );
            assert!(error.unwrap().starts_with("gave up after 3 attempts: "));
        }
    }
    let out = env.tidings(&["run", "--once", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.hits_of("/slow").len(), 3, "not fetched after giving up");
}

#[test]
fn a_flood_of_entries_is_capped_per_poll() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    // 100 000 items with fresh GUIDs at every poll: each was a row of the
    // database, 14 MB a poll.
    let flood = |poll: usize| {
        let items: String = (0..100_000)
            .map(|i| format!("<item><title>t</title><guid>p{poll}-{i}</guid></item>"))
            .collect();
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>")
    };
    s.route(
        "/flood.xml",
        vec![
            Reply::ok("application/rss+xml", flood(1)),
            Reply::ok("application/rss+xml", flood(2)),
        ],
    );
    let env = env_with(&[("flood", format!("{base}/flood.xml"))], "");
    for poll in 1..=2 {
        let out = env.tidings(&["run", "--once", "--force"]);
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert!(
            err.contains("more than 200 new entries: taking the newest 200 (fetch.max_entries)"),
            "{err}"
        );
        let rows: u32 = db(&env)
            .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 200 * poll as u32);
    }
    // The newest are the ones taken: the feed's first items (no dates).
    let (state, _, _) = entry_row(&env, "p2-0");
    assert_eq!(state, "no_article");
    // And the key is the operator's to change.
    edit_config(&env, "[fetch]\n", "[fetch]\nmax_entries = 0\n");
    let err = stderr(&env.tidings(&["check"]));
    assert!(
        err.contains("fetch.max_entries: 0 is not between 1 and 100000"),
        "{err}"
    );
}

#[test]
fn retry_after_is_honoured_to_the_second_across_runs() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    s.route(
        "/feed.xml",
        vec![
            Reply::status(503).header("Retry-After", "2"),
            Reply::ok("application/rss+xml", rss(&[])),
        ],
    );
    let env = env_with(&[("f", format!("{base}/feed.xml"))], "");
    // An interval shorter than the Retry-After, so that it decides.
    edit_config(
        &env,
        "[fetch]\n",
        "[schedule]\ninterval = \"1s\"\nmin_interval = \"1s\"\n\n[fetch]\n",
    );
    // A timer's runs, back to back: each polls the feed only once it is
    // due, and a new process knows the Retry-After only from the database.
    let started = std::time::Instant::now();
    while s.hits_of("/feed.xml").len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never polled again"
        );
        // Exit 1 while the only feed fails, 0 once it is polled.
        let out = env.tidings(&["run", "--once"]);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        std::thread::sleep(Duration::from_millis(50));
    }
    let hits = s.hits_of("/feed.xml");
    let waited = hits[1].at.duration_since(hits[0].at);
    assert!(
        waited >= Duration::from_secs(2),
        "polled again {waited:?} after a Retry-After of 2 s"
    );
}

#[test]
fn slow_pages_of_a_feed_are_fetched_at_once_each_within_one_deadline() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    let mut links = Vec::new();
    // Five pages that drip 16 bytes every 200 ms: one after another they
    // held the poll for five timeouts.
    for i in 0..5 {
        s.route(
            &format!("/drip{i}"),
            vec![Reply {
                body: Body::Endless {
                    chunk: 16,
                    pause: Duration::from_millis(200),
                },
                ..Reply::ok("text/html", "")
            }],
        );
        links.push(format!("{base}/drip{i}"));
    }
    // A chain of redirects, each hop well inside the timeout, the whole
    // chain not: the client's own timeout restarts at every hop.
    for i in 0..4 {
        s.route(
            &format!("/hop{i}"),
            vec![Reply::redirect(302, &format!("/hop{}", i + 1)).delay(Duration::from_millis(700))],
        );
    }
    s.route(
        "/hop4",
        vec![Reply::ok("text/html", page("End of the chain"))],
    );
    links.push(format!("{base}/hop0"));
    s.route("/good", vec![Reply::ok("text/html", page("Good one"))]);
    links.push(format!("{base}/good"));
    s.route(
        "/feed.xml",
        vec![Reply::ok("application/rss+xml", rss(&links))],
    );
    let env = env_with(&[("f", format!("{base}/feed.xml"))], "");
    edit_config(&env, "timeout = \"10s\"", "timeout = \"2s\"");
    let out = env.tidings(&["run", "--once"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    for i in 0..5 {
        assert!(err.contains(&format!("/drip{i}: timed out")), "{err}");
    }
    assert!(err.contains("/hop") && err.contains("timed out"), "{err}");
    assert!(!err.contains("/hop4"), "the chain ran to its end: {err}");
    assert!(
        stdout(&out).contains("1 article stored"),
        "{}",
        stdout(&out)
    );
    // The drips overlapped: one after another, each would start only once
    // the one before had timed out, some 2 s later (a few ms less, the
    // server noting a request after it was sent).
    let mut starts: Vec<_> = (0..5)
        .flat_map(|i| s.hits_of(&format!("/drip{i}")))
        .map(|h| h.at)
        .collect();
    starts.sort();
    let closest = starts
        .windows(2)
        .map(|w| w[1].duration_since(w[0]))
        .min()
        .unwrap();
    assert!(
        closest < Duration::from_secs(1),
        "the drips were fetched one after another ({closest:?} apart at least)"
    );
}

#[test]
fn a_page_under_retry_after_is_not_given_up() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    let held = Reply::status(503).header("Retry-After", "1");
    s.route(
        "/p",
        vec![
            held.clone(),
            held.clone(),
            held,
            Reply::ok("text/html", page("Worth the wait")),
        ],
    );
    s.route(
        "/feed.xml",
        vec![Reply::ok(
            "application/rss+xml",
            rss(&[format!("{base}/p")]),
        )],
    );
    let env = env_with(&[("f", format!("{base}/feed.xml"))], "");
    for run in 1..=4 {
        let out = env.tidings(&["run", "--once", "--force"]);
        assert!(out.status.success(), "run {run}: {}", stderr(&out));
        // Each run a new process: wait the Retry-After out.
        std::thread::sleep(Duration::from_millis(1100));
    }
    assert_eq!(s.hits_of("/p").len(), 4);
    assert_eq!(
        env.corpus_files().len(),
        5 + 1,
        "three answers of 'come back later' did not give the page up"
    );
}
