//! The tools for the people who use the corpus: search, export filters,
//! status, stats, the feed list (add, OPML), completions, man page and the
//! progress bar, through the binary (assert_cmd) on a corpus made by
//! `run --once` against the fixture site.

use assert_cmd::Command;
use serde_json::Value;

use crate::env::{stderr, stdout, Env};
use crate::pipeline::site_env;

/// `tidings --config <env's> ARGS` as an assert_cmd command.
fn tidings(env: &Env, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("tidings").expect("the tidings binary");
    cmd.arg("--config")
        .arg(env.config_path())
        .args(args)
        .env_remove("TIDINGS_CONFIG")
        .env_remove("NO_COLOR")
        .env("TIDINGS_LOG", "warn");
    cmd
}

/// The fixture site ingested once.
fn corpus_env() -> Env {
    let env = site_env();
    tidings(&env, &["run", "--once"]).assert().code(0);
    env
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Asserts a failure is exit 2 with one line on stderr holding `needle`.
fn usage_error(mut cmd: Command, needle: &str) {
    let out = cmd.output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("tidings: ") && err.contains(needle),
        "{err}"
    );
    assert!(!err.to_lowercase().contains("sql"), "no SQL in: {err}");
}

/// Asserts the command succeeds and says `needle` on standard output.
fn succeeds_with(mut cmd: Command, needle: &str) {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(needle), "{}", stdout(&out));
}

fn search_json(env: &Env, args: &[&str]) -> Vec<Value> {
    let mut a = vec!["search", "--json"];
    a.extend_from_slice(args);
    let out = tidings(env, &a).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    json_lines(&out.stdout)
}

fn files(hits: &[Value]) -> Vec<String> {
    hits.iter()
        .map(|h| h["file"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn search_ranks_marks_and_filters() {
    let env = corpus_env();
    let hits = search_json(&env, &["chechnya", "-n", "50"]);
    assert_eq!(hits.len(), 10, "every article names Chechnya");
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    for h in &hits {
        let marked = format!("{} {}", h["title_marked"], h["snippet"]).to_lowercase();
        assert!(marked.contains("[chechnya"), "{h}");
    }
    // A word of one article's body only, and a phrase of a seed's body
    // (imported files are indexed too).
    let hague = search_json(&env, &["lawyers"]);
    assert_eq!(files(&hague).len(), 1);
    assert_eq!(hague[0]["feed"], "caucasus");
    assert!(hague[0]["snippet"].as_str().unwrap().contains("[lawyers]"));
    let seed = search_json(&env, &["\"gay star news\""]);
    assert_eq!(files(&seed), ["001_5afd2d6900440003.txt"]);
    // Prefixes, OR, NOT, accents and case as in the topic query.
    let relocate = search_json(&env, &["RELOCAT*", "NOT", "purge"]);
    assert!(files(&relocate).contains(&hits_file(&env, "pink-news", "relocate")));
    assert!(search_json(&env, &["lawyérs"]).len() == 1);
    // Filters.
    for h in search_json(&env, &["chechnya", "--feed", "pink-news"]) {
        assert_eq!(h["feed"], "pink-news");
    }
    let since = search_json(&env, &["chechnya", "--since", "2026-11-21"]);
    assert_eq!(since.len(), 1);
    assert_eq!(since[0]["published"], "2026-11-21T12:00:00Z");
    let until = search_json(&env, &["chechnya", "--until", "2026-11-20"]);
    assert_eq!(
        until.len(),
        4,
        "the 20th counts whole; undated seeds are out"
    );
    let story = search_json(&env, &["chechnya", "--story", "5"]);
    assert_eq!(story.len(), 1);
    assert_eq!(story[0]["story"], 5);
    assert_eq!(search_json(&env, &["chechnya", "-n", "2"]).len(), 2);
}

/// The file of the one article of `feed` whose title holds `word`.
fn hits_file(env: &Env, feed: &str, word: &str) -> String {
    env.export(&["--feed", feed])
        .into_iter()
        .find(|r| r["title"].as_str().unwrap().to_lowercase().contains(word))
        .and_then(|r| r["file"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no {word} in {feed}"))
}

#[test]
fn search_prints_readable_results_and_exits_1_on_none() {
    let env = corpus_env();
    let out = tidings(&env, &["search", "lawyers"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("2026-11-20  caucasus  story 6  "),
        "{text}"
    );
    assert!(
        lines[0].ends_with(".txt") && lines[0].contains("corpus/"),
        "{text}"
    );
    assert_eq!(
        lines[1],
        "Survivors of Chechnya’s gay purge testify in The Hague"
    );
    assert!(
        lines[2].starts_with("    ") && lines[2].contains("[lawyers]"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colour in a pipe: {text:?}");
    tidings(&env, &["search", "zanzibar"])
        .assert()
        .code(1)
        .stdout("")
        .stderr("");
}

#[test]
fn search_refuses_bad_input_in_one_line() {
    let env = corpus_env();
    usage_error(
        tidings(&env, &["search", "(gay OR"]),
        "search: unexpected end of query at character 7",
    );
    usage_error(tidings(&env, &["search", "(gay"]), "search: expected ')'");
    usage_error(tidings(&env, &["search", "\"open"]), "unclosed quote");
    usage_error(tidings(&env, &["search", "NOT", "gay"]), "NOT must follow");
    usage_error(
        tidings(&env, &["search", "gay", "--feed", "nonesuch"]),
        "no feed is named 'nonesuch' (known: caucasus, open-media, pink-news, rights-watch)",
    );
    usage_error(
        tidings(&env, &["search", "gay", "--since", "yesterday"]),
        "--since: 'yesterday' is not a day",
    );
    usage_error(
        tidings(&env, &["search", "gay", "--story", "999"]),
        "no story 999",
    );
    // FTS5's own syntax is not the user's: NEAR(...) is refused (it was
    // read in silence as the word "near"), column filters are plain words.
    usage_error(
        tidings(&env, &["search", "NEAR(gay", "men)"]),
        "NEAR(...) is not supported",
    );
    assert_eq!(search_json(&env, &["title:chechnya"]).len(), 0);
    let fresh = Env::new();
    fresh.write_config(&[], "");
    usage_error(tidings(&fresh, &["search", "gay"]), "no database yet");
}

#[test]
fn a_database_from_before_the_index_is_indexed_by_the_next_run() {
    let env = corpus_env();
    {
        let db = rusqlite::Connection::open(env.path("tidings.db")).unwrap();
        // Articles are indexed as they are stored, not only at the next open.
        let indexed: i64 = db
            .query_row("SELECT COUNT(*) FROM article_text", [], |r| r.get(0))
            .unwrap();
        assert_eq!(indexed, 10);
        // The schema as it was before full-text search (migration 7), and
        // so before the columns of the steps that follow it (articles'
        // access, feeds' failure_kind).
        db.execute_batch(
            "DROP TABLE article_text; ALTER TABLE articles DROP COLUMN access;
             ALTER TABLE feeds DROP COLUMN failure_kind; PRAGMA user_version = 6;",
        )
        .unwrap();
    }
    // A reader does not migrate: search says who will.
    let out = tidings(&env, &["search", "lawyers"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("older schema"), "{}", stderr(&out));
    tidings(&env, &["run", "--once"]).assert().code(0);
    let hague = search_json(&env, &["lawyers"]);
    assert_eq!(hague.len(), 1, "bodies come from the corpus files");
    assert_eq!(search_json(&env, &["chechnya", "-n", "50"]).len(), 10);
}

#[test]
fn export_filters_by_feed_date_and_story() {
    let env = corpus_env();
    let all = env.export(&[]);
    assert_eq!(all.len(), 10);
    let pink = env.export(&["--feed", "pink-news"]);
    assert_eq!(pink.len(), 2);
    assert!(pink.iter().all(|r| r["feed"] == "pink-news"));
    let since = env.export(&["--since", "2026-11-21T00:00:00Z"]);
    assert_eq!(since.len(), 1);
    let until = env.export(&["--until", "2026-11-20T09:00:00Z"]);
    assert_eq!(until.len(), 4, "an instant is inclusive");
    assert_eq!(env.export(&["--until", "2026-11-20T08:59:59Z"]).len(), 0);
    // A story with its copies: the article and its duplicate sighting.
    let story = env.export(&["--story", "5", "--duplicates"]);
    assert_eq!(story.len(), 2, "{story:?}");
    assert_eq!(story[1]["duplicate_of"], 5);
    // Sightings follow their own feed.
    let caucasus = env.export(&["--feed", "caucasus", "--duplicates"]);
    assert_eq!(caucasus.len(), 2);
    assert!(caucasus.iter().all(|r| r["feed"] == "caucasus"));
    let csv = tidings(&env, &["export", "--format", "csv", "--feed", "open-media"])
        .output()
        .unwrap();
    let csv = stdout(&csv);
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.lines().nth(1).unwrap().contains(",open-media,"));
    usage_error(
        tidings(&env, &["export", "--feed", "nonesuch"]),
        "no feed is named 'nonesuch'",
    );
    usage_error(
        tidings(&env, &["export", "--until", "2026-02-30"]),
        "--until",
    );
}

#[test]
fn status_shows_health_and_speaks_json() {
    let env = corpus_env();
    let text = env.path("tidings.toml");
    let config = std::fs::read_to_string(&text).unwrap();
    std::fs::write(
        &text,
        format!("{config}\n[[feeds]]\nname = \"dead\"\nurl = \"http://127.0.0.1:9/feed.xml\"\n\n[[feeds]]\nname = \"later\"\nurl = \"{}/later.xml\"\n", env.server.base),
    )
    .unwrap();
    tidings(&env, &["run", "--once", "--force"])
        .assert()
        .code(3);
    // A feed added to the config but never polled: sync on the next open.
    let out = tidings(&env, &["status"]).output().unwrap();
    let table = stdout(&out);
    assert!(!table.contains('\x1b'), "no colour in a pipe");
    let rows: Vec<Vec<&str>> = table.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows[0][..3], ["FEED", "HEALTH", "LAST SUCCESS"]);
    let row = |name: &str| rows.iter().find(|r| r[0] == name).unwrap().clone();
    assert_eq!(row("rights-watch")[1], "ok");
    assert_eq!(row("dead")[1], "failing");
    assert!(row("dead")[3].contains("127.0.0.1:9"));
    assert_eq!(row("later")[1], "failing", "404: {:?}", row("later"));
    let out = tidings(&env, &["status", "--json"]).output().unwrap();
    // JSON Lines, one feed per line.
    let feeds: Vec<Value> = json_lines(&out.stdout);
    assert_eq!(feeds.len(), 6);
    let dead = feeds.iter().find(|f| f["name"] == "dead").unwrap();
    assert_eq!(dead["health"], "failing");
    assert_eq!(dead["consecutive_failures"], 1);
    let rw = feeds.iter().find(|f| f["name"] == "rights-watch").unwrap();
    assert_eq!(rw["articles_stored"], 1);
    assert_eq!(rw["entries_seen"], 6, "three entries, polled twice");
}

#[test]
fn stats_count_what_the_corpus_holds() {
    let env = corpus_env();
    let out = tidings(&env, &["stats", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let records = env.export(&["--duplicates"]);
    let articles = records.iter().filter(|r| r["id"].is_number()).count() as u64;
    let t = &s["totals"];
    assert_eq!(t["articles"], articles);
    assert_eq!(t["imported"], 5);
    assert_eq!(t["duplicates"], records.len() as u64 - articles);
    assert_eq!(t["offtopic"], 1, "the harvest page");
    let n = |v: &Value, k: &str| v[k].as_u64().unwrap();
    let per_day: u64 = s["per_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| n(d, "articles"))
        .sum();
    assert_eq!(per_day + n(t, "undated"), articles);
    assert_eq!(s["per_day"][0]["day"], "2026-11-21", "newest first");
    let per_feed = s["per_feed"].as_array().unwrap();
    assert_eq!(
        per_feed.iter().map(|f| n(f, "articles")).sum::<u64>(),
        articles
    );
    let caucasus = per_feed.iter().find(|f| f["feed"] == "caucasus").unwrap();
    assert_eq!(n(caucasus, "duplicates"), 1);
    assert_eq!(s["per_story"][0]["story"], 5, "the story with a copy leads");
    assert_eq!(s["per_story"][0]["duplicates"], 1);
    let out = tidings(&env, &["stats", "--days", "1", "--top", "2"])
        .output()
        .unwrap();
    let text = stdout(&out);
    for section in [
        "Totals",
        "Articles per day",
        "Per feed",
        "Stories carried most widely",
    ] {
        assert!(text.contains(section), "{text}");
    }
    assert!(
        text.contains("2026-11-21") && !text.contains("2026-11-20"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["duplicates", "1"]),
        "{text}"
    );
}

/// A config a person wrote: comments, blank lines, a feed, an alert sink.
const HANDMADE: &str = "# Our monitoring config.\n[store]\ndatabase = \"tidings.db\"   # next to this file\ncorpus = \"corpus\"\n\n[fetch]\nallow_private_networks = true  # the test site is local\n\n# The feeds we read.\n[[feeds]]\nname = \"caucasus\"\nurl = \"BASE/atom.xml\"\n";

fn handmade_env() -> Env {
    let env = Env::new();
    crate::pipeline::serve_site(&env);
    std::fs::write(
        env.config_path(),
        HANDMADE.replace("BASE", &env.server.base),
    )
    .unwrap();
    env
}

fn config_text(env: &Env) -> String {
    std::fs::read_to_string(env.config_path()).unwrap()
}

#[test]
fn feeds_add_discovers_checks_and_appends_keeping_the_file() {
    let env = handmade_env();
    let base = env.server.base.clone();
    let before = config_text(&env);
    env.server.route(
        "/news/some-story",
        200,
        "text/html",
        "<html><head><title>A story</title>\
         <link rel=\"alternate\" type=\"application/rss+xml\" title=\"Comments\" href=\"/comments/feed\">\
         <link rel=\"alternate\" type=\"application/rss+xml\" href=\"/rss.xml\">\
         </head><body><p>Text.</p></body></html>",
    );
    let out = tidings(
        &env,
        &[
            "feeds",
            "add",
            &format!("{base}/news/some-story"),
            "--tag",
            "europe",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(
            "added feed 'rights-watch': {base}/rss.xml (3 entries, \"Rights Watch\")"
        )),
        "{}",
        stdout(&out)
    );
    let after = config_text(&env);
    assert_eq!(
        after,
        format!("{before}\n[[feeds]]\nname = \"rights-watch\"\nurl = \"{base}/rss.xml\"\ntags = [\"europe\"]\n"),
        "appended; comments and layout kept"
    );
    succeeds_with(tidings(&env, &["check"]), "ok (2 feeds;");
    // A feed URL is taken as it is; its name comes from its title.
    let out = tidings(&env, &["feeds", "add", &format!("{base}/feed.json")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(config_text(&env).contains("name = \"pink-news-daily\""));
    // Duplicates, by URL (given or discovered) and by name.
    usage_error(
        tidings(&env, &["feeds", "add", &format!("{base}/rss.xml")]),
        "is in the config already, as 'rights-watch'",
    );
    usage_error(
        tidings(&env, &["feeds", "add", &format!("{base}/news/some-story")]),
        "is in the config already, as 'rights-watch'",
    );
    usage_error(
        tidings(
            &env,
            &[
                "feeds",
                "add",
                &format!("{base}/rdf.xml"),
                "--name",
                "caucasus",
            ],
        ),
        "a feed is already named 'caucasus'",
    );
    let unchanged = config_text(&env);
    // Pages without a feed, or whose feeds do not parse.
    env.server
        .route("/plain", 200, "text/html", "<p>No feeds here.</p>");
    usage_error(
        tidings(&env, &["feeds", "add", &format!("{base}/plain")]),
        "is not a feed and announces none",
    );
    env.server.route(
        "/broken",
        200,
        "text/html",
        "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/missing.xml\">",
    );
    usage_error(
        tidings(&env, &["feeds", "add", &format!("{base}/broken")]),
        "none of the feeds",
    );
    usage_error(
        tidings(&env, &["feeds", "add", "ftp://example.org/"]),
        "not an http(s) URL",
    );
    assert_eq!(
        config_text(&env),
        unchanged,
        "refusals leave the file alone"
    );
}

#[test]
fn opml_round_trips_through_export_and_import() {
    let site = site_env();
    let out = tidings(&site, &["feeds", "export"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let opml = stdout(&out);
    assert!(opml.starts_with("<?xml"), "{opml}");
    assert_eq!(opml.matches("xmlUrl=").count(), 4, "{opml}");
    let env = handmade_env();
    let file = env.path("subscriptions.opml");
    // The same site, served by this test's server.
    std::fs::write(&file, opml.replace(&site.server.base, &env.server.base)).unwrap();
    let before = config_text(&env);
    let out = tidings(&env, &["feeds", "import", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("added 3 feeds") && stdout(&out).contains("1 configured already"),
        "{}",
        stdout(&out)
    );
    let after = config_text(&env);
    assert!(after.starts_with(&before), "the old text is kept:\n{after}");
    for name in ["rights-watch", "open-media", "pink-news"] {
        assert!(after.contains(&format!("name = \"{name}\"")), "{after}");
    }
    succeeds_with(tidings(&env, &["check"]), "ok (4 feeds;");
    // Again: nothing new.
    succeeds_with(
        tidings(&env, &["feeds", "import", file.to_str().unwrap()]),
        "added 0 feeds",
    );
    assert_eq!(config_text(&env), after);
}

#[test]
fn opml_import_refuses_unreadable_and_foreign_files() {
    let env = handmade_env();
    let missing = env.path("nope.opml");
    usage_error(
        tidings(&env, &["feeds", "import", missing.to_str().unwrap()]),
        "nope.opml: cannot read",
    );
    usage_error(
        tidings(&env, &["feeds", "import", env.corpus().to_str().unwrap()]),
        "cannot read",
    );
    let rss = env.path("feed.xml");
    std::fs::write(&rss, "<rss version=\"2.0\"><channel/></rss>").unwrap();
    usage_error(
        tidings(&env, &["feeds", "import", rss.to_str().unwrap()]),
        "feed.xml: not OPML",
    );
    let broken = env.path("broken.opml");
    std::fs::write(&broken, "<opml><body><outline xmlUrl=\"x\"></body></opml>").unwrap();
    usage_error(
        tidings(&env, &["feeds", "import", broken.to_str().unwrap()]),
        "broken.opml: malformed XML",
    );
}

#[test]
fn check_lists_every_problem_with_its_line() {
    let env = Env::new();
    std::fs::write(
        env.config_path(),
        "[store]\ndatabase = \"x.db\"\n[fetch]\ntimeout = \"soon\"\n\n[[feeds]]\nname = \"a\"\nurl = \"https://a.example/\"\ninterval = \"often\"\n[[feeds]]\nname = \"a\"\nurl = \"https://b.example/\"\n",
    )
    .unwrap();
    let out = tidings(&env, &["check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].contains("tidings.toml:4:") && lines[0].contains("timeout"),
        "{err}"
    );
    assert!(
        lines[1].contains("tidings.toml:9:") && lines[1].contains("interval"),
        "{err}"
    );
    assert!(
        lines[2].contains("tidings.toml:11:") && lines[2].contains("'a' is used by another feed"),
        "{err}"
    );
}

#[test]
fn completions_and_man_page_come_from_the_commands() {
    let env = Env::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef tidings"),
        ("fish", "complete -c tidings"),
    ] {
        let out = tidings(&env, &["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: {script}");
        for sub in ["search", "stats", "feeds", "since"] {
            assert!(script.contains(sub), "{shell} lacks {sub}");
        }
    }
    tidings(&env, &["completions", "cmd.exe"]).assert().code(2);
    let out = tidings(&env, &["man"]).output().unwrap();
    let page = stdout(&out);
    assert!(page.contains(".TH tidings 1"), "{page}");
    for section in ["TIDINGS SEARCH", "TIDINGS FEEDS", "TIDINGS STATS"] {
        assert!(page.contains(&format!(".SH \"{section}\"")), "{section}");
    }
    assert!(page.contains("\\-\\-since"), "options are listed");
    // --help answers with examples.
    let help = stdout(&tidings(&env, &["search", "--help"]).output().unwrap());
    assert!(
        help.contains("Examples:") && help.contains("--feed"),
        "{help}"
    );
}

/// Runs tidings on a pseudo-terminal (script(1)), as a person at a
/// terminal would, with `vars` set (`None` removes one); returns what the
/// terminal showed.
fn on_a_terminal(env: &Env, args: &str, vars: &[(&str, Option<&str>)]) -> String {
    let bin = assert_cmd::cargo::cargo_bin("tidings");
    let line = format!(
        "{} --config {} {args}",
        bin.display(),
        env.config_path().display()
    );
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("TIDINGS_LOG", "warn")
        .env_remove("TIDINGS_CONFIG");
    for (k, v) in vars {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd.output().expect("script(1) from util-linux");
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", stdout(&out));
    stdout(&out)
}

fn once_on_a_terminal(env: &Env, journal: bool) -> String {
    let stream = if journal { Some("8:12345") } else { None };
    on_a_terminal(
        env,
        "run --once --force",
        &[("JOURNAL_STREAM", stream), ("NO_COLOR", None)],
    )
}

#[test]
fn status_is_a_coloured_table_on_a_terminal_unless_no_color() {
    let env = corpus_env();
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    std::fs::write(
        env.config_path(),
        format!("{text}\n[[feeds]]\nname = \"dead\"\nurl = \"http://127.0.0.1:9/x\"\n"),
    )
    .unwrap();
    tidings(&env, &["run", "--once", "--force"])
        .assert()
        .code(3);
    let coloured = on_a_terminal(
        &env,
        "status",
        &[("NO_COLOR", None), ("TERM", Some("xterm"))],
    );
    assert!(coloured.contains("\x1b[31mfailing"), "{coloured:?}");
    assert!(coloured.contains("\x1b[32mok"), "{coloured:?}");
    let plain = on_a_terminal(&env, "status", &[("NO_COLOR", Some("1"))]);
    assert!(!plain.contains('\x1b'), "{plain:?}");
    let dead = plain.lines().find(|l| l.starts_with("dead ")).unwrap();
    assert!(!dead.contains('\t'), "aligned, not tab-separated: {dead:?}");
    assert!(dead.contains("  failing  "), "{dead:?}");
}

#[test]
fn progress_bar_only_for_a_person_at_a_terminal() {
    let env = site_env();
    let shown = once_on_a_terminal(&env, false);
    assert!(shown.contains("/4 feeds"), "a bar on a terminal: {shown:?}");
    assert!(shown.contains("polled 4 feeds"), "{shown:?}");
    let journal = once_on_a_terminal(&env, true);
    assert!(
        !journal.contains("/4 feeds"),
        "none under systemd: {journal:?}"
    );
    assert!(journal.contains("polled 4 feeds"), "{journal:?}");
    let piped = tidings(&env, &["run", "--once", "--force"])
        .output()
        .unwrap();
    assert_eq!(piped.status.code(), Some(0));
    assert!(
        !stderr(&piped).contains("feeds"),
        "none in a pipe: {}",
        stderr(&piped)
    );
}
