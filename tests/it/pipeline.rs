//! `run --once` end to end against a local site serving feeds in all four
//! formats and article pages with their furniture.

use crate::env::{read_fixture, stderr, stdout, Env};

pub const TOPIC: &str =
    "[topic]\nquery = '(chechnya OR chechen*) AND (gay OR lgbt* OR \"sexual orientation\")'\n";

/// The fixture site: four feeds, their pages, one page missing (its feed
/// carries the full text), one off-topic page, one page with no article,
/// and a republished copy of article 1 under another URL.
pub fn serve_site(env: &Env) {
    let s = &env.server;
    s.fixture(
        "/rss.xml",
        "application/rss+xml; charset=utf-8",
        "site/rss2.xml",
    );
    s.fixture("/atom.xml", "application/atom+xml", "site/atom.xml");
    s.fixture("/rdf.xml", "application/rdf+xml", "site/rdf.xml");
    s.fixture("/feed.json", "application/feed+json", "site/feed.json");
    s.fixture(
        "/news/chechnya-detentions",
        "text/html; charset=utf-8",
        "site/article-1.html",
    );
    s.fixture("/world/harvest", "text/html", "site/offtopic.html");
    s.fixture("/tag/chechnya", "text/html", "site/noarticle.html");
    s.fixture(
        "/reports/hague-testimony",
        "text/html",
        "site/article-3.html",
    );
    s.fixture("/opinion/world-fails", "text/html", "site/article-4.html");
    s.fixture("/2026/11/eu-sanctions", "text/html", "site/article-2.html");
    let copy = read_fixture("site/article-1.html")
        .lines()
        .filter(|l| !l.contains("rel=\"canonical\""))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("Rights Watch", "Wire Service");
    s.route("/wire/detentions-copy", 200, "text/html", copy);
}

pub const FEEDS: &[(&str, &str)] = &[
    ("rights-watch", "/rss.xml"),
    ("caucasus", "/atom.xml"),
    ("open-media", "/rdf.xml"),
    ("pink-news", "/feed.json"),
];

pub fn site_env() -> Env {
    let env = Env::new();
    serve_site(&env);
    // One feed at a time, so sequence numbers are deterministic.
    env.write_config(FEEDS, &format!("{TOPIC}\n[fetch]\n"));
    // The [fetch] table is already open above: rewrite with concurrency.
    let text = std::fs::read_to_string(env.config_path())
        .unwrap()
        .replace("\n[fetch]\n\n[[feeds]]", "\n[[feeds]]");
    let text = text.replace(
        "timeout = \"10s\"\n",
        "timeout = \"10s\"\nconcurrency = 1\n",
    );
    std::fs::write(env.config_path(), text).unwrap();
    env
}

fn expected_name(seq: u64, url: &str) -> String {
    let canonical = tidings::dedup::canonical_url(url).unwrap();
    format!("{seq:03}_{}.txt", tidings::corpus::identifier(&canonical))
}

#[test]
fn once_turns_feeds_of_every_format_into_seed_format_files() {
    let env = site_env();
    let seeds_before: Vec<_> = env.corpus_files();
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains("polled 4 feeds: 8 entries, 8 new: 5 articles stored, 1 duplicate, 1 off-topic, 1 without an article, 0 pages to retry"),
        "{}",
        stdout(&out)
    );
    let files = env.corpus_files();
    // The seeds are untouched, byte for byte.
    for seed in &seeds_before {
        assert!(files.contains(seed), "seed {} was changed", seed.0);
    }
    let base = &env.server.base;
    let expected = [
        (
            5,
            format!("{base}/news/chechnya-detentions"),
            "site/article-1.expected.txt",
        ),
        (
            6,
            format!("{base}/reports/hague-testimony"),
            "site/article-3.expected.txt",
        ),
        (
            7,
            format!("{base}/opinion/world-fails"),
            "site/article-4.expected.txt",
        ),
        (
            8,
            format!("{base}/2026/11/eu-sanctions"),
            "site/article-2.expected.txt",
        ),
        (
            9,
            format!("{base}/2026/11/relocations"),
            "site/article-5.expected.txt",
        ),
    ];
    assert_eq!(
        files.len(),
        seeds_before.len() + expected.len(),
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (seq, url, fixture) in &expected {
        let name = expected_name(*seq, url);
        let text = &files
            .iter()
            .find(|f| f.0 == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .1;
        assert_eq!(
            text,
            &read_fixture(fixture),
            "{name} differs from {fixture}"
        );
    }
}

#[test]
fn once_records_provenance_duplicates_and_stories() {
    let env = site_env();
    assert_eq!(env.tidings(&["run", "--once"]).status.code(), Some(0));
    let records = env.export(&[]);
    assert_eq!(records.len(), 10, "5 seeds + 5 new: {records:#?}");
    let seed = &records[0];
    assert_eq!(seed["id"], 0);
    assert_eq!(seed["file"], "000_db41c36133a0800f.txt");
    assert!(seed["feed"].is_null() && seed["url"].is_null());
    let a1 = &records[5];
    let base = &env.server.base;
    assert_eq!(a1["id"], 5);
    assert_eq!(a1["feed"], "rights-watch");
    assert_eq!(
        a1["url"],
        format!("{base}/news/chechnya-detentions?utm_source=rss&utm_medium=feed")
    );
    // The site is served over http, and its canonical URL says so.
    assert_eq!(
        a1["canonical_url"],
        format!("{base}/news/chechnya-detentions")
    );
    assert_eq!(
        a1["title"],
        "Chechnya: new wave of detentions of gay men reported"
    );
    assert_eq!(a1["published"], "2026-11-20T09:00:00Z");
    assert_eq!(a1["language"], "en");
    assert_eq!(a1["story"], 5);
    assert!(a1["duplicate_of"].is_null());
    assert!(a1["fetched_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        a1["words"], 148,
        "words of the stored text, headline included"
    );
    let relocations = &records[9];
    assert_eq!(relocations["feed"], "pink-news");
    assert_eq!(relocations["published"], "2026-11-21T12:00:00Z");

    let with_dups = env.export(&["--duplicates"]);
    assert_eq!(with_dups.len(), 11);
    let dup = &with_dups[10];
    assert_eq!(dup["duplicate_of"], 5);
    assert_eq!(dup["feed"], "caucasus");
    assert_eq!(dup["url"], format!("{base}/wire/detentions-copy"));
    assert!(dup["id"].is_null() && dup["file"].is_null());

    let csv = stdout(&env.tidings(&["export", "--format", "csv"]));
    assert_eq!(csv.lines().count(), 11);
    assert!(csv.starts_with("id,file,url,canonical_url,title,feed,published,fetched_at,language,words,duplicate_of,story\n"));
}

#[test]
fn second_once_adds_no_file_and_no_row() {
    let env = site_env();
    assert_eq!(env.tidings(&["run", "--once"]).status.code(), Some(0));
    let (files, records) = (env.corpus_files(), env.export(&["--duplicates"]));
    let page_hits = env.server.hits_of("/news/chechnya-detentions");
    let out = env.tidings(&["run", "--once", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("0 articles stored, 0 duplicates"),
        "{}",
        stdout(&out)
    );
    assert_eq!(env.corpus_files(), files);
    assert_eq!(env.export(&["--duplicates"]), records);
    // Entries seen before are skipped before their pages are fetched.
    assert_eq!(env.server.hits_of("/news/chechnya-detentions"), page_hits);
    assert_eq!(env.server.hits_of("/rss.xml"), 2);
}

#[test]
fn once_skips_feeds_that_are_not_due_unless_forced() {
    let env = site_env();
    assert_eq!(env.tidings(&["run", "--once"]).status.code(), Some(0));
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("polled 0 feeds: 0 entries"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("4 feeds not due yet"),
        "{}",
        stdout(&out)
    );
    assert_eq!(env.server.hits_of("/rss.xml"), 1, "not polled again");
    let status = stdout(&env.tidings(&["status"]));
    let row: Vec<&str> = status
        .lines()
        .find(|l| l.starts_with("rights-watch\t"))
        .unwrap()
        .split('\t')
        .collect();
    let next = chrono::DateTime::parse_from_rfc3339(row[4]).unwrap();
    // The feed's <ttl> is 60 minutes: never sooner.
    assert!(
        next > chrono::Utc::now() + chrono::Duration::minutes(55),
        "{row:?}"
    );
}

#[test]
fn failed_page_is_retried_on_the_next_run() {
    let env = Env::new();
    serve_site(&env);
    env.server
        .route("/reports/hague-testimony", 500, "text/html", "oops");
    env.write_config(&[("caucasus", "/atom.xml")], TOPIC);
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the feed itself was polled: {}",
        stderr(&out)
    );
    assert!(
        // The wire copy is new here (its original is not in this corpus);
        // the page that answers 500 is the one failure.
        stdout(&out).contains(
            "2 entries, 2 new: 1 article stored, 0 duplicates, 0 off-topic, 0 without an article, 1 page to retry"
        ),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("/reports/hague-testimony: HTTP 500"),
        "{}",
        stderr(&out)
    );
    assert!(!env
        .corpus_files()
        .iter()
        .any(|f| f.1.starts_with("Survivors")));
    env.server.fixture(
        "/reports/hague-testimony",
        "text/html",
        "site/article-3.html",
    );
    let out = env.tidings(&["run", "--once", "--force"]);
    assert_eq!(out.status.code(), Some(0));
    let stored: Vec<_> = env
        .corpus_files()
        .into_iter()
        .filter(|f| f.1.starts_with("Survivors"))
        .collect();
    assert_eq!(stored.len(), 1, "stored on the retry");
    assert_eq!(stored[0].1, read_fixture("site/article-3.expected.txt"));
}

#[test]
fn unreachable_feed_does_not_stop_the_others() {
    let env = Env::new();
    serve_site(&env);
    env.write_config(
        &[
            ("dead", "http://127.0.0.1:9/feed.xml"),
            ("open-media", "/rdf.xml"),
        ],
        TOPIC,
    );
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "some feeds failed: {}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains("feed dead: http://127.0.0.1:9/feed.xml"),
        "{err}"
    );
    assert_eq!(
        err.lines()
            .filter(|l| l.starts_with("tidings: feed dead"))
            .count(),
        1,
        "{err}"
    );
    assert!(env
        .corpus_files()
        .iter()
        .any(|f| f.1 == read_fixture("site/article-4.expected.txt")));
    let status = stdout(&env.tidings(&["status"]));
    let dead = status.lines().find(|l| l.starts_with("dead\t")).unwrap();
    assert!(dead.contains("127.0.0.1:9"), "{dead}");
}

#[test]
fn every_feed_failing_exits_1() {
    let env = Env::new();
    env.write_config(
        &[
            ("dead", "http://127.0.0.1:9/feed.xml"),
            ("missing", "/nothing.xml"),
        ],
        "",
    );
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/nothing.xml: HTTP 404"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn body_that_is_not_a_feed_is_named() {
    let env = Env::new();
    serve_site(&env);
    env.write_config(
        &[("page", "/opinion/world-fails"), ("open-media", "/rdf.xml")],
        TOPIC,
    );
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.starts_with("tidings: feed page:"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains("/opinion/world-fails") && line.contains("not a feed"),
        "{line}"
    );
}

#[test]
fn without_a_topic_everything_is_coverage() {
    let env = Env::new();
    serve_site(&env);
    env.write_config(&[("rights-watch", "/rss.xml")], "");
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(env
        .corpus_files()
        .iter()
        .any(|f| f.1.starts_with("Grain harvest in southern Russia")));
}

#[test]
fn numbering_continues_after_the_largest_number_present() {
    let env = Env::new();
    serve_site(&env);
    std::fs::write(
        env.corpus().join("999_00000000000000ff.txt"),
        "A file a person put here\n\nIt counts.",
    )
    .unwrap();
    env.write_config(&[("open-media", "/rdf.xml")], TOPIC);
    assert_eq!(env.tidings(&["run", "--once"]).status.code(), Some(0));
    let url = format!("{}/opinion/world-fails", env.server.base);
    let name = format!(
        "1000_{}.txt",
        tidings::corpus::identifier(&tidings::dedup::canonical_url(&url).unwrap())
    );
    assert!(
        env.corpus_files().iter().any(|f| f.0 == name),
        "{:?}",
        env.corpus_files().iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let records = env.export(&[]);
    assert_eq!(
        records
            .iter()
            .map(|r| r["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4, 999, 1000]
    );
}

#[test]
fn private_addresses_are_refused_unless_allowed() {
    let env = Env::new();
    serve_site(&env);
    env.write_config(&[("open-media", "/rdf.xml")], "");
    let text = std::fs::read_to_string(env.config_path()).unwrap().replace(
        "allow_private_networks = true",
        "allow_private_networks = false",
    );
    std::fs::write(env.config_path(), text).unwrap();
    // Refused by the config check, before any request: a feed that
    // could never be polled.
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is a private address, and fetch.allow_private_networks is false"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        env.server.hits_of("/rdf.xml"),
        0,
        "no request reached the server"
    );
}

#[test]
fn an_article_already_in_the_seeds_is_a_sighting_not_a_file() {
    let env = Env::new();
    // A page whose text is seed 004, word for word.
    let seed = std::fs::read_to_string(env.corpus().join("004_9d58132667f5f0f0.txt")).unwrap();
    let mut lines = seed.split("\n\n");
    let title = lines.next().unwrap();
    let body: String = lines
        .map(|p| format!("<p>{}</p>\n", p.replace('&', "&amp;").replace('<', "&lt;")))
        .collect();
    let page = format!("<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>");
    env.server.route("/hrf/silent", 200, "text/html", page);
    let feed = format!(
        "<rss version=\"2.0\"><channel><title>HRF</title><item><title>x</title><link>{}/hrf/silent</link></item></channel></rss>",
        env.server.base
    );
    env.server
        .route("/hrf.xml", 200, "application/rss+xml", feed);
    env.write_config(&[("hrf", "/hrf.xml")], "");
    let out = env.tidings(&["run", "--once"]);
    assert!(
        stdout(&out).contains("0 articles stored, 1 duplicate"),
        "{}",
        stdout(&out)
    );
    assert_eq!(env.corpus_files().len(), 5);
    let dups = env.export(&["--duplicates"]);
    assert_eq!(dups.last().unwrap()["duplicate_of"], 4);
}

#[test]
fn a_canonical_link_to_another_site_does_not_take_its_identity() {
    let env = Env::new();
    let s = &env.server;
    let port = s.base.rsplit(':').next().unwrap().to_string();
    // The same server under two names: two sites as far as tidings knows.
    let planted_site = s.base.clone();
    let genuine_site = format!("http://localhost:{port}");
    let page = |title: &str, canonical: &str| {
        let body = crate::synthetic::paragraphs(crate::synthetic::seed_of(title), 4, 40);
        format!("<html><head><title>{title}</title><link rel=\"canonical\" href=\"{canonical}\"></head><body><article><h1>{title}</h1>{body}</article></body></html>")
    };
    let rss = |link: &str| {
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><title>x</title><link>{link}</link></item></channel></rss>")
    };
    let genuine = format!("{genuine_site}/news/genuine");
    s.route("/planted", 200, "text/html", page("Planted text", &genuine));
    s.route(
        "/news/genuine",
        200,
        "text/html",
        page("Genuine report", &genuine),
    );
    s.route(
        "/a.xml",
        200,
        "application/rss+xml",
        rss(&format!("{planted_site}/planted")),
    );
    s.route("/b.xml", 200, "application/rss+xml", rss(&genuine));
    env.write_config(&[("planted", "/a.xml")], "");
    let out = env.tidings(&["run", "--once"]);
    assert!(
        stdout(&out).contains("1 article stored"),
        "{}",
        stdout(&out)
    );
    let feed_b = format!("{genuine_site}/b.xml");
    env.write_config(&[("planted", "/a.xml"), ("genuine", feed_b.as_str())], "");
    let out = env.tidings(&["run", "--once"]);
    assert!(
        stdout(&out).contains("1 article stored, 0 duplicates"),
        "the genuine article was taken for the planted one: {}",
        stdout(&out)
    );
    let records = env.export(&[]);
    let planted = records
        .iter()
        .find(|r| r["feed"] == "planted")
        .expect("planted record");
    assert!(
        planted["canonical_url"]
            .as_str()
            .unwrap()
            .ends_with("/planted"),
        "{planted}"
    );
}

/// Whether this machine lets a test mount a tmpfs in a mount namespace of
/// its own (root, util-linux's unshare): how a full disk is made here.
fn can_mount_tmpfs(dir: &std::path::Path) -> bool {
    let probe = dir.join("probe");
    std::fs::create_dir_all(&probe).unwrap();
    std::process::Command::new("unshare")
        .args([
            "--mount",
            "--fork",
            "sh",
            "-c",
            "mount -t tmpfs -o size=64k tmpfs \"$1\"",
        ])
        .arg("sh")
        .arg(&probe)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `run --once` with `dir` (relative to the env) on a tmpfs that its
/// old content is copied into and that is then filled up (`mode` "full")
/// or made read-only ("ro"): a full or read-only disk for the database,
/// the corpus or the archive alone. Returns the output and the names in
/// `dir` when tidings stopped, and what `status` then said on standard
/// error, with its exit status on the last line.
fn run_once_on_a_faulty(
    env: &Env,
    dir: &str,
    mode: &str,
) -> (std::process::Output, Vec<String>, String) {
    let script = r#"set -e
cp -a "$DIR/." "$SAVED/"
mount -t tmpfs -o size=16m tmpfs "$DIR"
cp -a "$SAVED/." "$DIR/"
if [ "$MODE" = full ]; then cat /dev/zero > "$DIR/filler.bin" 2>/dev/null || true
else mount -o remount,ro "$DIR"; fi
set +e
"$TIDINGS" --config "$CONFIG" run --once > "$OUT/stdout" 2> "$OUT/stderr"
echo $? > "$OUT/code"
ls -A "$DIR" > "$OUT/listing"
"$TIDINGS" --config "$CONFIG" status > /dev/null 2> "$OUT/status"
echo $? >> "$OUT/status"
"#;
    let (saved, out) = (env.path("saved"), env.path("out"));
    for d in [&saved, &out] {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::create_dir_all(env.path(dir)).unwrap();
    let ran = std::process::Command::new("unshare")
        .args(["--mount", "--fork", "sh", "-c", script])
        .env("DIR", env.path(dir))
        .env("MODE", mode)
        .env("SAVED", &saved)
        .env("OUT", &out)
        .env("CONFIG", env.config_path())
        .env("TIDINGS", env!("CARGO_BIN_EXE_tidings"))
        .env("TIDINGS_LOG", "warn")
        .env_remove("TIDINGS_CONFIG")
        .status()
        .unwrap();
    assert!(ran.success(), "the full-disk script failed");
    let read = |f: &str| std::fs::read(out.join(f)).unwrap();
    let code: i32 = String::from_utf8(read("code"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let output = std::process::Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(code << 8),
        stdout: read("stdout"),
        stderr: read("stderr"),
    };
    let listing = String::from_utf8(read("listing"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    (output, listing, String::from_utf8(read("status")).unwrap())
}

#[test]
fn a_full_or_read_only_disk_fails_the_run_and_says_so() {
    let probe_env = Env::new();
    if !can_mount_tmpfs(probe_env.dir.path()) {
        eprintln!("SKIPPED: a full disk needs root and mount namespaces (unshare)");
        return;
    }
    for (dir, mode) in [
        ("corpus", "full"),
        ("warc", "full"),
        ("db", "full"),
        ("corpus", "ro"),
        ("warc", "ro"),
    ] {
        let env = Env::new();
        serve_site(&env);
        env.write_config(
            &[("open-media", "/rdf.xml")],
            "[archive]\ndir = \"warc\"\n\n",
        );
        let text = std::fs::read_to_string(env.config_path())
            .unwrap()
            .replace("database = \"tidings.db\"", "database = \"db/tidings.db\"");
        std::fs::write(env.config_path(), &text).unwrap();
        let out = env.tidings(&["run", "--once"]);
        assert_eq!(out.status.code(), Some(0), "{dir}: {}", stderr(&out));
        // A second feed brings new articles, to a disk that is full; each
        // would start an archive file of its own.
        env.write_config(
            FEEDS,
            "[archive]\ndir = \"warc\"\nmax_file_size = \"1KiB\"\n\n",
        );
        std::fs::write(
            env.config_path(),
            std::fs::read_to_string(env.config_path())
                .unwrap()
                .replace("database = \"tidings.db\"", "database = \"db/tidings.db\""),
        )
        .unwrap();
        let warcs_before = std::fs::read_dir(env.path("warc")).unwrap().count();
        let (out, listing, status_err) = run_once_on_a_faulty(&env, dir, mode);
        let what = match dir {
            "db" => "database",
            "warc" => "archive",
            other => other,
        };
        let problem = match mode {
            "full" => "file system full",
            _ => "read-only file system",
        };
        // Even when the database cannot record it, status says so.
        assert!(
            status_err.contains(&format!("tidings: storage: {what} "))
                && status_err.contains(problem)
                && status_err.trim_end().ends_with('1'),
            "{dir} {mode}: {status_err}"
        );
        let err = stderr(&out);
        assert_ne!(out.status.code(), Some(0), "{dir}: {}\n{err}", stdout(&out));
        // A full database may fail the start already (SQLite cannot grow
        // its WAL index): an error naming it.
        let named = match dir {
            "db" => err.contains("storage fault") || err.contains("db/tidings.db"),
            _ if mode == "full" => err.contains("storage fault") && err.contains("No space left"),
            _ => err.contains("storage fault") && err.contains("Read-only file system"),
        };
        assert!(named, "{dir}: {err}");
        assert!(!err.contains("panicked"), "{dir}: {err}");
        if dir == "warc" {
            let warcs: Vec<_> = listing.iter().filter(|n| n.ends_with(".warc.gz")).collect();
            assert_eq!(
                warcs.len(),
                warcs_before,
                "an empty file per failed article: {warcs:?}"
            );
        }
        if dir != "db" {
            // The database was writable: status names the fault.
            let status = stdout(&env.tidings(&["status"]));
            assert!(
                status
                    .lines()
                    .any(|l| l.contains("failing") && l.contains("storage fault")),
                "{dir}: {status}"
            );
        }
    }
}

#[test]
fn a_paywalled_article_is_stored_with_its_public_part_and_marked() {
    // Regression: a paywalled page was refused ("paywall teaser"), so the
    // coverage it carried was never counted or alerted.
    let env = Env::new();
    serve_site(&env);
    env.server.fixture(
        "/reports/hague-testimony",
        "text/html",
        "pages/guard-paywall.html",
    );
    env.write_config(&[("caucasus", "/atom.xml")], "");
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = env.export(&[]);
    let paywalled: Vec<_> = records
        .iter()
        .filter(|r| r["access"] == "paywalled")
        .collect();
    assert_eq!(paywalled.len(), 1, "{records:?}");
    assert_eq!(
        paywalled[0]["title"],
        "Rights groups report new detentions in Chechnya"
    );
    assert!(
        records
            .iter()
            .filter(|r| r["access"] != "paywalled")
            .all(|r| r.get("access").is_none()),
        "a free article carries no access field: {records:?}"
    );
    let (_, text) = env
        .corpus_files()
        .into_iter()
        .find(|f| f.1.starts_with("Rights groups report"))
        .expect("the public part is in the corpus");
    assert!(text.contains("Police in Grozny detained"), "{text}");
    assert!(!text.contains("Subscribe to continue"), "{text}");
    let id = paywalled[0]["id"].to_string();
    let show = env.tidings(&["show", &id]);
    assert!(
        stdout(&show).contains("access: paywalled"),
        "{}",
        stdout(&show)
    );
}
