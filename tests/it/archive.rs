//! The WARC evidence archive end to end: a `--once` run over the fixture
//! site, its files read back by warcio (an independent reader, installed
//! by `.ci/run`), `reextract`, `show` and the archive section of `stats`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use crate::env::{read_fixture, stderr, stdout, Env};
use crate::pipeline::site_env;

/// The pages the fixture site serves, by URL, as served.
fn served(env: &Env) -> BTreeMap<String, Vec<u8>> {
    let base = &env.server.base;
    let mut out = BTreeMap::new();
    for (path, fixture) in [
        ("/news/chechnya-detentions", "site/article-1.html"),
        ("/reports/hague-testimony", "site/article-3.html"),
        ("/opinion/world-fails", "site/article-4.html"),
        ("/2026/11/eu-sanctions", "site/article-2.html"),
    ] {
        let body = read_fixture(fixture).replace("{{BASE}}", base);
        out.insert(format!("{base}{path}"), body.into_bytes());
    }
    let copy = read_fixture("site/article-1.html")
        .lines()
        .filter(|l| !l.contains("rel=\"canonical\""))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("Rights Watch", "Wire Service");
    out.insert(format!("{base}/wire/detentions-copy"), copy.into_bytes());
    out
}

/// The site, with one page sent gzip-encoded (the client decodes it: the
/// archive must say so honestly).
fn archive_env(extra: &str) -> (Env, BTreeMap<String, Vec<u8>>) {
    let env = site_env();
    let served = served(&env);
    let url = format!("{}/2026/11/eu-sanctions", env.server.base);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&served[&url]).unwrap();
    env.server.route_with_headers(
        "/2026/11/eu-sanctions",
        200,
        "text/html",
        &[("Content-Encoding", "gzip")],
        gz.finish().unwrap(),
    );
    if !extra.is_empty() {
        let text = std::fs::read_to_string(env.config_path()).unwrap();
        std::fs::write(env.config_path(), format!("{extra}\n{text}")).unwrap();
    }
    (env, served)
}

/// Runs the warcio check; panics with its message when it fails.
fn warcio_check(env: &Env, served: &BTreeMap<String, Vec<u8>>) -> String {
    let json: BTreeMap<&String, String> = served
        .iter()
        .map(|(u, b)| (u, data_encoding::BASE64.encode(b)))
        .collect();
    let path = env.path("served.json");
    std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/warc_check.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(env.path("warc"))
        .arg(env.path("tidings.db"))
        .arg(&path)
        .output()
        .expect("python3 runs (CPython 3.11 with warcio: `python3 -m pip install warcio`)");
    assert!(
        out.status.success(),
        "warcio check failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn warc_files(env: &Env) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(env.path("warc"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn once_run_is_read_back_by_warcio_and_reextracts_exactly() {
    let (env, served) = archive_env("");
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains("5 articles stored, 1 duplicate"),
        "{}",
        stdout(&out)
    );

    // Four articles came from pages (the fifth from its feed's own text).
    let report = warcio_check(&env, &served);
    assert!(
        report.starts_with(
            "checked 4 article responses (0 truncated), 0 sighting responses; records: 1 warcinfo, 4 response, 4 request"
        ),
        "{report}"
    );
    let files = warc_files(&env);
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("tidings-") && name.ends_with("-00000.warc.gz") && name.len() == 36,
        "{name}"
    );

    // The gzip-encoded page is stored decoded, and its record says so.
    let show8 = stdout(&env.tidings(&["show", "8"]));
    let warc = show8
        .lines()
        .find_map(|l| l.strip_prefix("warc: "))
        .unwrap_or_else(|| panic!("no warc line: {show8}"));
    let parts: Vec<&str> = warc.split_whitespace().collect();
    let at = tidings::model::Location {
        file: parts[0].to_string(),
        offset: parts[2].parse().unwrap(),
        length: parts[4].parse().unwrap(),
    };
    let record = tidings::archive::read(&env.path("warc"), &at).unwrap();
    assert_eq!(
        record.field("WARC-Target-URI"),
        Some(format!("{}/2026/11/eu-sanctions", env.server.base).as_str())
    );
    assert_eq!(
        record.field("WARC-Tidings-Original-Content-Encoding"),
        Some("gzip")
    );
    let http = tidings::archive::HttpResponse::parse(&record.block).unwrap();
    assert_eq!(http.header("content-encoding"), None);
    assert_eq!(http.body, served[record.field("WARC-Target-URI").unwrap()]);

    // The current extractor reproduces every stored text from the archive.
    let out = env.tidings(&["reextract"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "reextract: 4 archived articles: 0 changed, 4 unchanged, 0 skipped\n"
    );

    // A stored text that no longer matches its page is reported, and only
    // rewritten with --write, which keeps what was there.
    let (file, original) = env
        .corpus_files()
        .into_iter()
        .find(|(n, _)| n.starts_with("006_"))
        .unwrap();
    let path = env.corpus().join(&file);
    let edited = format!("{original}\n\nA paragraph someone added by hand.");
    std::fs::write(&path, &edited).unwrap();
    let out = env.tidings(&["reextract", "--since", "2000-01-01"]);
    assert_eq!(
        stdout(&out),
        format!(
            "changed\t{file}\t{}/reports/hague-testimony\nreextract: 4 archived articles: 1 changed, 3 unchanged, 0 skipped\n",
            env.server.base
        )
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        edited,
        "no --write, no change"
    );
    let out = env.tidings(&["reextract", "--since", "2999-01-01"]);
    assert!(
        stdout(&out).starts_with("reextract: 0 archived articles"),
        "{}",
        stdout(&out)
    );
    let out = env.tidings(&["reextract", "--write"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("rewritten\t{file}\n")),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    let out = env.tidings(&["reextract"]);
    assert!(
        stdout(&out).contains(": 0 changed, 4 unchanged"),
        "{}",
        stdout(&out)
    );
    let show = stdout(&env.tidings(&["show", "6"]));
    assert!(
        show.contains("\ntext: rewritten by reextract --write at "),
        "{show}"
    );

    // Provenance of the article the wire service copied.
    let out = env.tidings(&["show", "5"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let show = stdout(&out);
    let base = &env.server.base;
    for want in [
        "id: 5\n".to_string(),
        format!("url: {base}/news/chechnya-detentions?utm_source=rss&utm_medium=feed\n"),
        // Served over http: the canonical URL keeps that scheme.
        format!("canonical_url: {base}/news/chechnya-detentions\n"),
        "feed: rights-watch\n".into(),
        "feeds: rights-watch, caucasus\n".into(),
        format!("capture_url: {base}/news/chechnya-detentions?utm_source=rss&utm_medium=feed\n"),
        format!("warc: {name} offset "),
        "sightings: 1\n".into(),
        "/wire/detentions-copy (text ".into(),
        "text: as first stored\n".into(),
    ] {
        assert!(show.contains(&want), "missing {want:?} in:\n{show}");
    }
    let show9 = stdout(&env.tidings(&["show", "9"]));
    assert!(
        show9.contains("warc: none (the feed's own text stood in for the page)"),
        "{show9}"
    );
    let seed = stdout(&env.tidings(&["show", "0"]));
    assert!(
        seed.contains("warc: none (a file found in the corpus directory)"),
        "{seed}"
    );

    // Unknown ids are a usage error, on one line.
    let out = env.tidings(&["show", "999"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "tidings: no article numbered 999\n");
    let out = env.tidings(&["reextract", "--since", "last tuesday"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));

    // The stats section counts what is on disk.
    let out = env.tidings(&["stats", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    let a = archive_stats(&env);
    assert_eq!(a["files"], 1, "{a}");
    assert_eq!(a["bytes"], bytes, "{a}");
    assert_eq!(a["counts"]["articles"], 4, "{a}");
    assert_eq!(a["counts"]["sightings"], 0, "{a}");
    assert_eq!(a["counts"]["articles_without"], 1, "{a}");
    assert_eq!(a["counts"]["rewritten"], 1, "{a}");
    let text = stdout(&env.tidings(&["stats"]));
    assert!(
        text.contains("Evidence archive (")
            && text.contains(&format!("{:<18}{bytes:>12}", "bytes on disk")),
        "{text}"
    );
}

#[test]
fn oversize_pages_are_truncated_duplicates_captured_and_a_torn_tail_cut() {
    let (env, served) = archive_env(
        "[archive]\nmax_record_size = \"2KiB\"\ncapture_duplicates = true\nmax_file_size = \"4KiB\"\n",
    );
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let pages_over = served.values().filter(|b| b.len() > 2048).count();
    assert!(
        pages_over == served.len(),
        "the fixture pages are larger than the limit"
    );
    let report = warcio_check(&env, &served);
    assert!(
        report.starts_with("checked 4 article responses (4 truncated), 1 sighting responses;"),
        "{report}"
    );
    assert!(
        report.contains("5 response, 5 request"),
        "the duplicate is captured: {report}"
    );
    let files = warc_files(&env);
    assert!(files.len() >= 2, "rotated at 4KiB: {files:?}");
    let show = stdout(&env.tidings(&["show", "5"]));
    assert!(show.contains("/wire/detentions-copy (text "), "{show}");
    assert!(show.contains(", truncated)\n"), "{show}");
    let out = env.tidings(&["reextract"]);
    assert!(
        stdout(&out)
            .ends_with("reextract: 4 archived articles: 0 changed, 0 unchanged, 4 skipped\n"),
        "{}",
        stdout(&out)
    );
    let a = archive_stats(&env);
    assert_eq!(a["counts"]["truncated"], 5, "{a}");
    assert_eq!(a["counts"]["sightings"], 1, "{a}");

    // A crash mid-record: the last file ends in half a gzip member. The
    // next start cuts it off, so every file reads whole again.
    let last = files.last().unwrap();
    let whole = std::fs::metadata(last).unwrap().len();
    let mut f = std::fs::OpenOptions::new().append(true).open(last).unwrap();
    f.write_all(&[
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x01, 0x02,
    ])
    .unwrap();
    drop(f);
    let out = env.tidings(&["run", "--once", "--force"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(std::fs::metadata(last).unwrap().len(), whole);
    warcio_check(&env, &served);
}

#[test]
fn a_disabled_archive_writes_nothing() {
    let (env, _) = archive_env("[archive]\nenabled = false\n");
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(!env.path("warc").exists());
    let a = archive_stats(&env);
    assert_eq!(a["enabled"], false, "{a}");
    assert_eq!(a["counts"]["articles_without"], 5, "{a}");
    assert!(stdout(&env.tidings(&["stats"])).contains(", disabled)"));
}

/// The archive section of `tidings stats --json`.
fn archive_stats(env: &Env) -> serde_json::Value {
    let out = env.tidings(&["stats", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stats --json is JSON");
    v["archive"].clone()
}
