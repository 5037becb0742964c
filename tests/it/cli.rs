//! The commands other than `run`: their output and their errors.

use crate::env::{fixture, read_fixture, stderr, stdout, Env};

#[test]
fn unknown_config_key_is_a_usage_error_with_its_line() {
    let env = Env::new();
    std::fs::write(
        env.config_path(),
        "[store]\ndatabase = \"x.db\"\n\n[fetch]\ntimeuot = \"5s\"\n",
    )
    .unwrap();
    let out = env.tidings(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("tidings.toml:5:") && err.contains("timeuot"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn every_bad_value_is_reported_with_its_line() {
    let env = Env::new();
    std::fs::write(
        env.config_path(),
        "[fetch]\nmax_page_size = \"huge\"\n[topic]\nquery = \"gay AND\"\n[[feeds]]\nname = \"x\"\nurl = \"not a url\"\n",
    )
    .unwrap();
    for cmd in [&["check"][..], &["run", "--once"][..]] {
        let out = env.tidings(cmd);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        let err = stderr(&out);
        assert!(err.contains("tidings.toml:2: fetch.max_page_size"), "{err}");
        assert!(err.contains("tidings.toml:4: topic query"), "{err}");
        assert!(err.contains("tidings.toml:7: feeds.url"), "{err}");
    }
}

#[test]
fn missing_config_file_is_named() {
    let env = Env::new();
    let out = env.tidings(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("tidings.toml: cannot read"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn check_accepts_the_shipped_config() {
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/tidings.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--config")
        .arg(&shipped)
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("ok ("), "{}", stdout(&out));
}

#[test]
fn extract_prints_what_would_be_stored() {
    let env = Env::new();
    for i in 1..=4 {
        let page = fixture(&format!("site/article-{i}.html"));
        let out = env.tidings(&[
            "extract",
            "--base-url",
            "https://example.org/a",
            page.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(
            stdout(&out),
            read_fixture(&format!("site/article-{i}.expected.txt")),
            "article-{i}"
        );
    }
}

#[test]
fn extract_with_an_empty_base_url_is_not_refused() {
    // Scripts fill --base-url from a list; a page with no URL there gave
    // `--base-url ''`, which was exit 2 ("relative URL without a base").
    let env = Env::new();
    let page = fixture("site/article-1.html");
    let out = env.tidings(&["extract", "--base-url", "", page.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), read_fixture("site/article-1.expected.txt"));
    let bad = env.tidings(&["extract", "--base-url", "not a url", page.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}

#[test]
fn extract_fetches_a_url() {
    let env = Env::new();
    env.server.fixture("/a", "text/html", "site/article-2.html");
    env.write_config(&[], "");
    let out = env.tidings(&["extract", &format!("{}/a", env.server.base)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), read_fixture("site/article-2.expected.txt"));
}

#[test]
fn extract_of_a_page_without_article_says_so() {
    let env = Env::new();
    let out = env.tidings(&["extract", fixture("site/noarticle.html").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("noarticle.html: no article"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn feed_lists_entries_and_rejects_non_feeds() {
    let env = Env::new();
    let out = env.tidings(&["feed", fixture("site/rdf.xml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let line = stdout(&out);
    let fields: Vec<_> = line.trim_end().split('\t').collect();
    assert_eq!(fields.len(), 4, "{line}");
    assert_eq!(fields[1], "2026-11-18T07:30:00Z");
    assert_eq!(
        fields[3],
        "Why the world still fails Chechnya’s LGBT people"
    );
    let out = env.tidings(&["feed", fixture("site/noarticle.html").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a feed"), "{}", stderr(&out));
}

#[test]
fn dedup_tells_copies_from_new_text() {
    let env = Env::new();
    let copy = env.path("copy.txt");
    let seed = std::fs::read_to_string(env.corpus().join("002_a07d531173bc95f0.txt")).unwrap();
    std::fs::write(&copy, seed.to_uppercase()).unwrap();
    let fresh = fixture("site/article-3.expected.txt");
    let out = env.tidings(&[
        "dedup",
        "--against",
        env.corpus().to_str().unwrap(),
        copy.to_str().unwrap(),
        fresh.to_str().unwrap(),
    ]);
    // A duplicate among the files: exit 1, as `diff` says "they differ".
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines[0][1], "duplicate");
    assert!(lines[0][2].ends_with("002_a07d531173bc95f0.txt"));
    assert_eq!(lines[1][1..3], ["new", "-"]);
}

#[test]
fn export_without_a_database_is_a_usage_error() {
    let env = Env::new();
    env.write_config(&[], "");
    let out = env.tidings(&["export"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no database yet"), "{}", stderr(&out));
}

#[test]
fn bad_arguments_exit_2() {
    let env = Env::new();
    assert_eq!(env.tidings(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        env.tidings(&["export", "--format", "xml"]).status.code(),
        Some(2)
    );
}

#[test]
fn check_rejects_values_that_crashed_a_started_service() {
    let env = Env::new();
    let deep = format!("{}gay{}", "(".repeat(20_000), ")".repeat(20_000));
    let text = format!(
        "[fetch]\n\
         per_host_gap = \"18446744073709551615d\"\n\
         user_agent = \"tidings\\u0007bell\"\n\
         proxy = \"ftp://ops:hunter2@proxy.example:3128\"\n\
         [schedule]\n\
         interval = \"99999999999d\"\n\
         [topic]\n\
         query = \"{deep}\"\n\
         [[alerts]]\n\
         kind = \"webhook\"\n\
         url = \"https://hooks.example/x\"\n\
         retry = \"9999999999999h\"\n\
         [[alerts]]\n\
         kind = \"email\"\n\
         server = \"smtp.example.org\"\n\
         tls = \"none\"\n\
         username = \"desk\"\n\
         password = \"s3cret\"\n\
         from = \"tidings@example.org\"\n\
         to = [\"desk@example.org\"]\n\
         digest = \"18446744073709551615d\"\n\
         [[alerts]]\n\
         kind = \"command\"\n\
         command = [\"/bin/echo\", \"a\\u0000b\"]\n"
    );
    std::fs::write(env.config_path(), text).unwrap();
    let out = env.tidings(&["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    for want in [
        "tidings.toml:2: fetch.per_host_gap: '18446744073709551615d' is longer than 3650d",
        "tidings.toml:3: fetch.user_agent: must be one non-empty line without control characters",
        "tidings.toml:4: fetch.proxy: 'ftp://ops:…@proxy.example:3128'",
        "tidings.toml:6: schedule.interval: '99999999999d' is longer than 3650d",
        "tidings.toml:8: topic query",
        "tidings.toml:12: alerts.retry: '9999999999999h' is longer than 3650d",
        "tidings.toml:16: alerts.tls: 'none' would send the password in the clear to smtp.example.org",
        "tidings.toml:21: alerts.digest: '18446744073709551615d' is longer than 3650d",
        "tidings.toml:24: alerts.command: an argument holds a control character",
    ] {
        assert!(err.contains(want), "missing {want}: {err}");
    }
    assert!(err.contains("nest more than 64 deep"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn a_printing_command_ends_quietly_when_its_reader_goes_away() {
    use std::os::unix::process::ExitStatusExt;
    let env = Env::new();
    env.write_config(&[], "");
    let feed = fixture("site/atom.xml");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--config")
        .arg(env.config_path())
        .arg("feed")
        .arg(&feed)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before tidings prints a byte: `tidings feed … | head -c 0`.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGPIPE),
        "{:?} {err}",
        out.status
    );
}

/// An env on the fixture site whose every duration is the longest
/// `check` allows, the per-host gap as `gap`.
fn longest_durations(gap: &str) -> Env {
    let env = Env::new();
    crate::pipeline::serve_site(&env);
    let long = "3650d";
    env.write_config(
        &[("open-media", "/rdf.xml")],
        &format!(
            "[schedule]\ninterval = \"{long}\"\nmin_interval = \"{long}\"\nmax_interval = \"{long}\"\nfull_poll = \"{long}\"\n\n\
             [[alerts]]\nkind = \"webhook\"\nurl = \"{}/hook\"\nretry = \"{long}\"\nexpire = \"{long}\"\nfeed_health = \"{long}\"\n\n\
             [[alerts]]\nkind = \"email\"\nserver = \"localhost\"\nport = 9\nfrom = \"a@example.org\"\nto = [\"b@example.org\"]\ndigest = \"{long}\"\n",
            env.server.base
        ),
    );
    let text = std::fs::read_to_string(env.config_path()).unwrap().replace(
        "per_host_gap = \"0s\"",
        &format!("per_host_gap = \"{gap}\""),
    );
    std::fs::write(env.config_path(), text).unwrap();
    let out = env.tidings(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    env
}

#[test]
fn the_longest_durations_check_allows_run_without_a_panic() {
    // Retry, expire, digest, interval and feed health at 3650d.
    let env = longest_durations("0s");
    env.server.fail_posts(&[true]);
    let out = env.tidings(&["run", "--once", "--alert"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // The digest waits; the failed webhook alert's retry falls after its
    // expiry, so it expires.
    assert!(
        stdout(&out).contains("alerts: 0 sent, 1 pending, 1 expired"),
        "{}",
        stdout(&out)
    );
    // A gap of 3650d: the second request to the host waits, until SIGTERM.
    let env = longest_durations("3650d");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--config")
        .arg(env.config_path())
        .args(["run", "--once", "--shutdown-deadline", "1s"])
        .env_remove("TIDINGS_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while env.server.hits_of("/rdf.xml") == 0 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "no poll"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SAFETY: signals the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.code().is_some(), "killed by a signal: {err}");
}

/// An article page padded to `mb` MiB with a comment after the article.
fn padded_page(env: &Env, mb: usize) -> std::path::PathBuf {
    let page = read_fixture("site/article-1.html");
    let at = page.rfind("</body>").expect("the fixture has a body");
    let pad = format!("<!-- {} -->", "x".repeat(mb << 20));
    let path = env.path("big.html");
    std::fs::write(&path, format!("{}{pad}{}", &page[..at], &page[at..])).unwrap();
    path
}

#[test]
fn a_page_under_max_page_size_is_not_too_large_to_extract() {
    // Regression: extraction had its own 8 MiB cap under the 10 MiB
    // max_page_size, so an 8-10 MiB page was fetched and then recorded
    // as "no article" for good.
    let env = Env::new();
    let page = padded_page(&env, 9);
    let out = env.tidings(&["extract", page.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), read_fixture("site/article-1.expected.txt"));
    // The one limit is the config's.
    env.write_config(&[], "max_page_size = \"4 MiB\"\n");
    let out = env.tidings(&["extract", page.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("over the 4194304-byte limit"),
        "{}",
        stderr(&out)
    );
}
