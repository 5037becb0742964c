//! What a new user meets first: the offline demo, a checkout left clean,
//! `check` that says everything at once, Ctrl-C, and what the commands say.

use std::process::Command;

use crate::env::{stderr, stdout};

fn tidings() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidings"));
    cmd.env_remove("TIDINGS_CONFIG").env_remove("TIDINGS_LOG");
    cmd
}

/// Asserts that `text` says each of `wants`.
fn says_all(text: &str, wants: &[&str]) {
    for want in wants {
        assert!(text.contains(want), "{want}:\n{text}");
    }
}

/// The README's first command, as the user types it.
fn readme_first_command() -> String {
    let readme = include_str!("../../README.md");
    readme
        .lines()
        .find(|l| l.starts_with("    ") && l.contains("cargo "))
        .expect("a command in the README")
        .split('#')
        .next()
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn readme_first_command_is_the_offline_demo_and_it_shows_the_pipeline() {
    assert_eq!(readme_first_command(), "cargo run --release -- demo");
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("demo");
    let out = tidings()
        .args(["demo", "--dir"])
        .arg(&scratch)
        .output()
        .unwrap();
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{o}\n{e}");
    assert!(
        o.contains("2 articles stored, 1 duplicate, 1 off-topic"),
        "{o}"
    );
    assert!(o.contains("$ tidings search chechnya"), "{o}");
    assert!(o.contains("[Chechnya]: rights groups report"), "{o}");
    // `show` on the article the wire copied lists the copy as a sighting.
    assert!(
        o.contains("sightings: 1") && o.contains("/wire/7001"),
        "{o}"
    );
    assert!(e.contains("skipped as off the topic"), "{e}");
    let corpus: Vec<_> = std::fs::read_dir(scratch.join("corpus"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(corpus.len(), 2, "{corpus:?}");
    // The scratch directory is the user's to explore afterwards.
    let out = tidings()
        .arg("--config")
        .arg(scratch.join("tidings.toml"))
        .args(["export"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out).lines().count(), 2, "{}", stderr(&out));
    // The demo site serves plain http: its canonical URLs say so (the
    // file names' hash still folds the scheme).
    for line in stdout(&out).lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        let c = r["canonical_url"].as_str().unwrap();
        assert!(c.starts_with("http://127.0.0.1:"), "{c}");
    }
}

#[test]
fn demo_refuses_a_directory_that_holds_something() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    let out = tidings()
        .args(["demo", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    assert!(!dir.path().join("tidings.toml").exists());
}

#[test]
fn offtopic_pages_are_logged_at_info_with_their_url_and_headline() {
    let dir = tempfile::tempdir().unwrap();
    let out = tidings()
        .args(["demo", "--dir"])
        .arg(dir.path().join("d"))
        .env("TIDINGS_LOG", "info")
        .output()
        .unwrap();
    let e = stderr(&out);
    let line = e
        .lines()
        .find(|l| l.contains("skipped as off the topic"))
        .unwrap_or_else(|| panic!("{e}"));
    assert!(
        line.contains("/desk/harvest") && line.contains("Grain harvest"),
        "{line}"
    );
}

/// A copy of the checkout's shipped parts (config, seeds, .gitignore) with
/// the shipped config's feeds swapped for the test site's.
fn checkout_with_local_feeds(env: &crate::env::Env) -> tempfile::TempDir {
    let root = env!("CARGO_MANIFEST_DIR");
    let top = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(top.path().join("config")).unwrap();
    std::fs::create_dir_all(top.path().join("seeds")).unwrap();
    for e in std::fs::read_dir(format!("{root}/seeds")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, top.path().join("seeds").join(p.file_name().unwrap())).unwrap();
    }
    std::fs::copy(format!("{root}/.gitignore"), top.path().join(".gitignore")).unwrap();
    let shipped = std::fs::read_to_string(format!("{root}/config/tidings.toml")).unwrap();
    let head = &shipped[..shipped.find("[[feeds]]").unwrap()];
    let config = head.replace(
        "allow_private_networks = false",
        "allow_private_networks = true",
    ) + &format!(
        "[[feeds]]\nname = \"local\"\nurl = \"{}/rss.xml\"\n",
        env.server.base
    );
    std::fs::write(top.path().join("config/tidings.toml"), config).unwrap();
    top
}

fn listing(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let body = std::fs::read(&p).unwrap_or_default();
            (p.file_name().unwrap().to_string_lossy().into_owned(), body)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn quick_start_leaves_tracked_seeds_and_the_checkout_top_untouched() {
    let env = crate::env::Env::new();
    crate::pipeline::serve_site(&env);
    let top = checkout_with_local_feeds(&env);
    let seeds_before = listing(&top.path().join("seeds"));
    let out = tidings()
        .current_dir(top.path())
        .args(["run", "--once", "--shutdown-deadline", "5s"])
        .env("TIDINGS_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 article stored"),
        "{}",
        stdout(&out)
    );
    assert_eq!(listing(&top.path().join("seeds")), seeds_before);
    let mut at_top: Vec<String> = listing(top.path()).into_iter().map(|e| e.0).collect();
    at_top.sort();
    assert_eq!(at_top, [".gitignore", "config", "data", "seeds"]);
    let gitignore = std::fs::read_to_string(top.path().join(".gitignore")).unwrap();
    assert!(gitignore.lines().any(|l| l == "/data/"), "{gitignore}");
    // The corpus started from the seeds and grew beside them, in data/.
    let corpus = listing(&top.path().join("data/corpus"));
    assert!(corpus.len() > seeds_before.len(), "{}", corpus.len());
    for seed in &seeds_before {
        assert!(corpus.contains(seed), "{} copied as it was", seed.0);
    }
}

#[test]
fn check_without_a_config_says_where_it_looked_and_how_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = tidings()
        .current_dir(dir.path())
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    says_all(
        &e,
        &[
            "--config",
            "$TIDINGS_CONFIG",
            "config/tidings.toml",
            "/etc/tidings/tidings.toml",
            "tidings demo",
        ],
    );
    assert_eq!(e.lines().count(), 1, "{e}");
}

#[test]
fn check_on_an_empty_config_warns_that_nothing_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    let out = tidings()
        .arg("--config")
        .arg(&config)
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning") && stderr(&out).contains("no feeds are configured"),
        "{}",
        stderr(&out)
    );
    // Its data would go beside it, not into its parent directory.
    let o = stdout(&out);
    assert!(
        o.contains(&format!(
            "database {}",
            dir.path().join("tidings.db").display()
        )),
        "{o}"
    );
}

#[test]
fn check_lists_every_problem_at_once_with_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("t.toml");
    std::fs::write(
        &config,
        "[store]\ncorpse = \"x\"\n[fetch]\nconcurrency = \"eight\"\ntimeout = \n[schedule]\ninterval = \"10m\"\nmin_interval = \"20m\"\n[[feeds]]\nname = \"a b\"\nurl = \"https://a.example/feed\"\n[[feeds]]\nname = \"c\"\nurl = \"https://a.example/feed\"\n[[feeds]]\nname = \"d\"\nurl = \"http://127.0.0.1/feed\"\n",
    )
    .unwrap();
    let out = tidings()
        .arg("--config")
        .arg(&config)
        .arg("check")
        .env("TIDINGS_LOG", "verbose")
        .env("TIDINGS_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    says_all(
        &e,
        &[
            "$TIDINGS_LOG: 'verbose'",
            "$TIDINGS_LOG_FORMAT: 'xml'",
            "t.toml:2: store.corpse: unknown field",
            "t.toml:4: fetch.concurrency: invalid type",
            "t.toml:5: TOML syntax",
            "t.toml:8: schedule.min_interval: 20m is longer than schedule.interval",
            "t.toml:10: feeds.name: 'a b' is not usable",
            "t.toml:14: feeds.url: 'https://a.example/feed' is polled by feed 'a b' already",
            "t.toml:17: feeds.url: 'http://127.0.0.1/feed' is a private address",
        ],
    );
    assert_eq!(e.lines().count(), 9, "{e}");
}

#[test]
fn misnamed_corpus_files_are_warned_about_not_ignored_in_silence() {
    let env = crate::env::Env::new();
    std::fs::write(env.corpus().join("my-notes.txt"), "A file I added.").unwrap();
    std::fs::write(env.corpus().join("012_short.txt"), "Another.").unwrap();
    env.write_config(&[], "");
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let e = stderr(&out);
    for name in ["my-notes.txt", "012_short.txt"] {
        assert!(
            e.lines()
                .any(|l| l.contains(name) && l.contains("ignored") && l.contains("NNN_")),
            "{name}: {e}"
        );
    }
    // The seeds, named right, raise nothing.
    assert_eq!(
        e.lines().filter(|l| l.contains("ignored")).count(),
        2,
        "{e}"
    );
}

#[test]
fn dedup_against_a_directory_never_calls_a_file_a_duplicate_of_itself() {
    let env = crate::env::Env::new();
    let dir = env.path("texts");
    std::fs::create_dir_all(&dir).unwrap();
    let seed = std::fs::read_to_string(env.corpus().join("002_a07d531173bc95f0.txt")).unwrap();
    std::fs::write(dir.join("a.txt"), &seed).unwrap();
    std::fs::write(dir.join("b.txt"), &seed).unwrap();
    std::fs::write(
        dir.join("c.txt"),
        crate::env::read_fixture("site/article-3.expected.txt"),
    )
    .unwrap();
    let arg = |n: &str| dir.join(n).to_str().unwrap().to_string();
    // Only a file that is in the directory, with nothing like it: new, exit 0.
    let out = env.tidings(&["dedup", "--against", &arg(""), &arg("c.txt")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("c.txt\tnew\t-"), "{}", stdout(&out));
    // Two copies: the first is new, the second its duplicate, exit 1.
    let out = env.tidings(&["dedup", "--against", &arg(""), &arg("a.txt"), &arg("b.txt")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let o = stdout(&out);
    let lines: Vec<&str> = o.lines().collect();
    assert!(lines[0].contains("a.txt\tnew\t-"), "{o}");
    assert!(
        lines[1].contains("b.txt\tduplicate\t") && lines[1].contains("a.txt"),
        "{o}"
    );
    // A file that cannot be read is named, and the rest are still judged.
    let out = env.tidings(&[
        "dedup",
        "--against",
        &arg(""),
        &arg("missing.txt"),
        &arg("c.txt"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("missing.txt"), "{}", stderr(&out));
    assert!(stdout(&out).contains("c.txt\tnew"), "{}", stdout(&out));
}

#[test]
fn search_with_no_hits_on_a_terminal_says_so_and_refuses_other_syntax() {
    let env = crate::env::Env::new();
    env.write_config(&[], "");
    assert_eq!(env.tidings(&["run", "--once"]).status.code(), Some(0));
    let mut cmd = tidings();
    cmd.arg("--config")
        .arg(env.config_path())
        .args(["search", "zanzibar"]);
    let (status, tty) = crate::pty::run_on_tty(&mut cmd);
    assert_eq!(status.code(), Some(1));
    assert!(tty.contains("nothing matches zanzibar"), "{tty:?}");
    // In a pipe, nothing, as grep.
    let out = env.tidings(&["search", "zanzibar"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{}",
        stderr(&out)
    );
    for (args, says) in [
        (&["search", "chechnya -football"][..], "write NOT football"),
        (&["search", "gay^2"][..], "no weights"),
        (&["search", "NEAR(gay chechnya)"][..], "NEAR(...)"),
        (&["search", "chechnya", "--limit", "0"][..], "1 or more"),
    ] {
        let out = env.tidings(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn man_page_keeps_examples_and_has_environment_exit_status_and_files() {
    let out = tidings().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let roff = stdout(&out);
    for section in [
        ".SH ENVIRONMENT",
        ".SH FILES",
        ".SH EXIT STATUS",
        ".SH COMMANDS",
    ] {
        assert!(roff.contains(section), "{section}");
    }
    // No references to pages that do not exist.
    assert!(
        !roff.contains("tidings\\-run(1)"),
        "a tidings-run(1) reference"
    );
    // The getting-started lines stay lines: an unfilled block.
    let start = roff.find("Getting started:").unwrap();
    let block = &roff[start..];
    assert!(
        block.starts_with("Getting started:\n.nf\n"),
        "{}",
        &block[..80]
    );
    assert!(roff.contains("\\fBTIDINGS_LOG_FORMAT\\fR"), "environment");
    assert!(roff.contains("\\fB130\\fR\nInterrupted"), "exit status 130");
}

#[test]
fn run_once_names_a_failed_feed_once_not_twice() {
    let env = crate::env::Env::new();
    crate::pipeline::serve_site(&env);
    env.write_config(
        &[
            ("dead", "http://127.0.0.1:9/feed.xml"),
            ("live", "/rss.xml"),
        ],
        "",
    );
    let out = tidings()
        .arg("--config")
        .arg(env.config_path())
        .args(["run", "--once"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let e = stderr(&out);
    let about_it: Vec<&str> = e.lines().filter(|l| l.contains("127.0.0.1:9/")).collect();
    assert_eq!(about_it.len(), 1, "{e}");
    assert!(about_it[0].starts_with("tidings: feed dead: "), "{e}");
    // Asked for, the log line is there as before.
    let out = tidings()
        .arg("--config")
        .arg(env.config_path())
        .args(["run", "--once", "--force"])
        .env("TIDINGS_LOG", "warn")
        .output()
        .unwrap();
    assert!(stderr(&out).contains("poll failed"), "{}", stderr(&out));
}

#[test]
fn a_bare_debug_level_is_tidings_own_not_the_html_parsers() {
    let page = crate::env::fixture("site/article-1.html");
    let out = tidings()
        .args(["extract", "--base-url", "https://example.org/a"])
        .arg(&page)
        .env("TIDINGS_LOG", "trace")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(
        !e.lines()
            .any(|l| l.contains("html5ever") || l.contains("selectors::")),
        "library lines at trace: {} lines\n{}",
        e.lines().count(),
        e.lines().take(5).collect::<Vec<_>>().join("\n")
    );
}

/// A scratch directory the demo has filled (its site gone once it ends).
struct Demo {
    _dir: tempfile::TempDir,
    config: std::path::PathBuf,
}

impl Demo {
    fn run() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let scratch = dir.path().join("demo");
        let out = tidings()
            .args(["demo", "--dir"])
            .arg(&scratch)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        Demo {
            _dir: dir,
            config: scratch.join("tidings.toml"),
        }
    }

    /// Runs tidings on the demo's config.
    fn tidings(&self, args: &[&str]) -> std::process::Output {
        tidings()
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .unwrap()
    }
}

#[test]
fn export_stored_since_finds_what_a_backfill_brought_in() {
    let demo = Demo::run();
    let export = |args: &[&str]| {
        let mut all = vec!["export"];
        all.extend_from_slice(args);
        let out = demo.tidings(&all);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out).lines().count()
    };
    // Published in November 2026, stored just now: --since reads the
    // publication time, --stored-since the time they came in.
    assert_eq!(export(&["--since", "1h"]), 0);
    assert_eq!(export(&["--stored-since", "1h"]), 2);
    assert_eq!(export(&["--stored-since", "1h", "--duplicates"]), 3);
}

#[test]
fn json_output_is_one_convention_lines_for_lists_one_line_for_documents() {
    let demo = Demo::run();
    let run = |args: &[&str]| {
        let out = demo.tidings(args);
        // run --once: the demo site is gone, so its feeds fail (exit 1).
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            stderr(&out)
        );
        stdout(&out)
    };
    let parse_lines = |text: &str| -> Vec<serde_json::Value> {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    };
    // Lists: one object per line.
    let status = parse_lines(&run(&["status", "--json"]));
    assert_eq!(status.len(), 2);
    assert!(status
        .iter()
        .all(|f| f.is_object() && f["health"].is_string()));
    let feed = crate::env::fixture("site/rss2.xml");
    let entries = parse_lines(&run(&["feed", feed.to_str().unwrap(), "--json"]));
    assert_eq!(entries.len(), 3);
    assert_eq!(parse_lines(&run(&["export"])).len(), 2);
    // Documents: one object on one line.
    for args in [&["stats", "--json"][..], &["show", "0", "--json"][..]] {
        let docs = parse_lines(&run(args));
        assert_eq!(docs.len(), 1, "{args:?}");
        assert!(docs[0].is_object(), "{args:?}");
    }
    let show = &parse_lines(&run(&["show", "0", "--json"]))[0];
    assert_eq!(show["id"], 0);
    assert_eq!(show["sightings"][0]["feed"], "wire");
    assert!(show["capture"]["warc_file"]
        .as_str()
        .unwrap()
        .ends_with(".warc.gz"));
    let once = parse_lines(&run(&["run", "--once", "--force", "--json"]));
    assert_eq!(once.len(), 1);
    assert!(once[0]["feeds"].is_array());
}
