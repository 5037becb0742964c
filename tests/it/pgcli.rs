//! The read commands (`status`, `stats`, `search`, `export`, `show`) and
//! `corpus sync` on PostgreSQL, against a real cluster: a store built by
//! the real binary on SQLite (the fixture site on 127.0.0.1, `run
//! --once`), copied with `migrate --to`, then each command run with the
//! SQLite config and with the same config naming the PostgreSQL database,
//! their outputs compared byte for byte.
//!
//! Skipped with a message when no PostgreSQL server can be started
//! (`pg::Cluster`), a failure under `TIDINGS_PG_TESTS=required`.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::env::{stderr, stdout, Env};
use crate::pg::Cluster;

/// The fixture site ingested into SQLite and copied into `pg`; returns the
/// environment and the path of its PostgreSQL config.
fn migrated(pg: &Cluster) -> (Env, PathBuf) {
    let env = crate::pipeline::site_env();
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let url = pg.url("tidings");
    let out = env.tidings(&["migrate", "--to", &url]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    let sqlite = "database = \"tidings.db\"";
    assert!(text.contains(sqlite), "{text}");
    let config = env.path("tidings-pg.toml");
    std::fs::write(
        &config,
        text.replace(sqlite, &format!("database = \"{url}\"")),
    )
    .unwrap();
    (env, config)
}

/// Runs tidings with this config (no password in the environment: the
/// test cluster trusts local connections).
fn tidings(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("TIDINGS_CONFIG")
        .env_remove("PGPASSWORD")
        .env("TIDINGS_LOG", "warn")
        .output()
        .expect("run tidings")
}

/// Runs `args` on both configs; their exit codes and standard outputs
/// must be the same. Returns the output.
fn same(env: &Env, pg_config: &Path, args: &[&str]) -> String {
    let lite = tidings(&env.config_path(), args);
    let pg = tidings(pg_config, args);
    assert_eq!(
        lite.status.code(),
        pg.status.code(),
        "{args:?}: SQLite said {}, PostgreSQL said {}",
        stderr(&lite),
        stderr(&pg)
    );
    assert_eq!(
        stdout(&lite),
        stdout(&pg),
        "{args:?}: the outputs differ (left SQLite, right PostgreSQL); stderr {}",
        stderr(&pg)
    );
    stdout(&pg)
}

#[test]
fn pg_read_commands_print_what_they_print_on_sqlite() {
    let Some(pg) = Cluster::start() else { return };
    let (env, pg_config) = migrated(&pg);

    for args in [
        &["status"][..],
        &["status", "--json"],
        &["stats"],
        &["stats", "--json"],
        &["stats", "--days", "1", "--top", "2"],
        &["export"],
        &["export", "--duplicates"],
        &["export", "--format", "csv", "--duplicates"],
        &["export", "--feed", "rights-watch", "--duplicates"],
        &["export", "--since", "2026-11-01", "--until", "2026-11-30"],
        &["export", "--stored-since", "3650d", "--duplicates"],
        &["export", "--story", "5", "--duplicates"],
    ] {
        let out = same(&env, &pg_config, args);
        assert!(!out.is_empty(), "{args:?} printed nothing");
    }
    let export = env.export(&["--duplicates"]);
    assert_eq!(export.len(), 11, "10 articles and a copy");
    // Times written to the microsecond (as a worker's clock gives them)
    // read as SQLite mode keeps them: to the second.
    let mut c = postgres::Client::connect(&pg.url("tidings"), postgres::NoTls).unwrap();
    c.batch_execute(
        "UPDATE feeds SET last_success = last_success + interval '0.25 s',
             next_poll = next_poll + interval '0.999999 s';
         UPDATE articles SET fetched_at = fetched_at + interval '0.5 s';
         UPDATE sightings SET seen_at = seen_at + interval '0.75 s';",
    )
    .unwrap();
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["export", "--duplicates"],
        &["export", "--format", "csv", "--duplicates"],
    ] {
        same(&env, &pg_config, args);
    }
    for id in 0..10 {
        let id = id.to_string();
        same(&env, &pg_config, &["show", &id]);
        same(&env, &pg_config, &["show", &id, "--json"]);
    }
    // Errors alike: an unknown article, feed and story.
    let missing = tidings(&pg_config, &["show", "99"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(stderr(&missing), "tidings: no article numbered 99\n");
    for args in [
        &["export", "--feed", "nope"][..],
        &["export", "--story", "99"],
        &["search", "chechnya", "--feed", "nope"],
    ] {
        same(&env, &pg_config, args);
        let lite = tidings(&env.config_path(), args);
        let pg = tidings(&pg_config, args);
        assert_eq!(stderr(&lite), stderr(&pg), "{args:?}");
    }
}

#[test]
fn pg_readers_never_migrate_and_a_role_that_may_only_read_can_read() {
    let Some(pg) = Cluster::start() else { return };
    let (env, pg_config) = migrated(&pg);
    let mut admin = postgres::Client::connect(&pg.url("tidings"), postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "CREATE ROLE analyst LOGIN;
             GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst;
             REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
        )
        .unwrap();
    admin.batch_execute("CREATE DATABASE empty").unwrap();
    let text = std::fs::read_to_string(&pg_config).unwrap();
    let analyst = env.path("analyst.toml");
    std::fs::write(&analyst, text.replace("tidings@", "analyst@")).unwrap();
    for args in [&["status"][..], &["stats"], &["export"], &["show", "5"]] {
        let lite = tidings(&env.config_path(), args);
        let out = tidings(&analyst, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), stdout(&lite), "{args:?}");
    }
    let sync = tidings(
        &analyst,
        &["corpus", "sync", env.path("mine").to_str().unwrap()],
    );
    assert_eq!(sync.status.code(), Some(0), "{}", stderr(&sync));

    // A database no worker has set up yet is not set up by a reader.
    let empty = env.path("empty.toml");
    std::fs::write(&empty, text.replace("/tidings\"", "/empty\"")).unwrap();
    let out = tidings(&empty, &["status"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("has an older schema (0, this tidings knows"),
        "{err}"
    );
    assert!(err.contains("upgraded when a worker next starts"), "{err}");
    let mut c = postgres::Client::connect(&pg.url("empty"), postgres::NoTls).unwrap();
    let tables: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "the reader created nothing");
}

/// The records of a search's JSON lines, by id, without what the engines
/// compute their own way (score, marked headline, passage).
fn hits(out: &str) -> BTreeMap<u64, serde_json::Value> {
    out.lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            let o = v.as_object_mut().unwrap();
            for k in ["score", "title_marked", "snippet"] {
                assert!(o.remove(k).is_some(), "{k} in {l}");
            }
            (o["id"].as_u64().unwrap(), v)
        })
        .collect()
}

#[test]
fn pg_search_finds_the_same_articles_with_the_same_records() {
    let Some(pg) = Cluster::start() else { return };
    let (env, pg_config) = migrated(&pg);
    // Not "chechnya": the test cluster's C locale counts the ’ of
    // "Chechnya’s" as a letter, one word where SQLite sees two (a
    // difference the search module's documentation names).
    for query in [
        "gay",
        "trump",
        "chechen*",
        "\"human rights\"",
        "gay NOT trump",
        "(lgbti OR lgbtq) AND letter",
        "nothingmatchesthisword",
    ] {
        let args = ["search", query, "--json", "-n", "100"];
        let lite = tidings(&env.config_path(), &args);
        let pg = tidings(&pg_config, &args);
        assert_eq!(
            lite.status.code(),
            pg.status.code(),
            "{query}: {}",
            stderr(&pg)
        );
        let (l, p) = (hits(&stdout(&lite)), hits(&stdout(&pg)));
        assert_eq!(
            l.keys().collect::<Vec<_>>(),
            p.keys().collect::<Vec<_>>(),
            "{query}: the same articles"
        );
        assert_eq!(l, p, "{query}: the same records");
    }
    // Marked words and filters, on the PostgreSQL side.
    let out = tidings(
        &pg_config,
        &["search", "chechnya", "--feed", "rights-watch"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("[Chechnya]") || text.contains("[chechnya]"),
        "{text}"
    );
    assert!(text.contains("rights-watch"), "{text}");
    assert!(!text.contains("caucasus"), "{text}");
    // A query the index cannot answer is the user's, as on SQLite.
    let lite = tidings(&env.config_path(), &["search", "NOT", "gay"]);
    let pg = tidings(&pg_config, &["search", "NOT", "gay"]);
    assert_eq!(pg.status.code(), Some(2), "{}", stderr(&pg));
    assert_eq!(stderr(&lite), stderr(&pg));
}

/// The files of a directory: name → bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

#[test]
fn pg_corpus_sync_makes_files_equal_rows_and_a_second_sync_writes_nothing() {
    let Some(pg) = Cluster::start() else { return };
    let (env, pg_config) = migrated(&pg);
    let dir = env.path("synced");
    let dir_s = dir.to_str().unwrap();
    let sync = |extra: &[&str]| {
        let mut args = vec!["corpus", "sync", dir_s];
        args.extend_from_slice(extra);
        let out = tidings(&pg_config, &args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };

    let first = sync(&[]);
    assert!(
        first.contains(": 10 articles: 10 written, 0 rewritten, 0 unchanged"),
        "{first}"
    );
    let expected = files(&env.corpus());
    assert_eq!(expected.len(), 10);
    assert_eq!(files(&dir), expected, "the SQLite corpus, byte for byte");

    let inodes = |d: &Path| -> BTreeMap<String, (u64, i64)> {
        std::fs::read_dir(d)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let m = e.metadata().unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                (name, (m.ino(), m.mtime_nsec()))
            })
            .collect()
    };
    let before = inodes(&dir);
    let second = sync(&[]);
    assert_eq!(
        second,
        format!("{dir_s}: 10 articles, every file equals its article: nothing written\n")
    );
    assert_eq!(inodes(&dir), before, "no file was touched");

    // A removed file comes back; a changed one is rewritten and named; a
    // corpus file without an article is listed and left, other files
    // ignored.
    let names: Vec<String> = expected.keys().cloned().collect();
    std::fs::remove_file(dir.join(&names[2])).unwrap();
    std::fs::write(dir.join(&names[7]), "Edited\n\nby hand").unwrap();
    let orphan = "042_00000000000000ff.txt";
    std::fs::write(dir.join(orphan), "No row\n\nfor this").unwrap();
    std::fs::write(dir.join("notes.md"), "mine").unwrap();
    let third = sync(&[]);
    assert!(
        third.contains(&format!("rewritten {}: its bytes differed", names[7])),
        "{third}"
    );
    assert!(third.contains(&format!("no article: {orphan}")), "{third}");
    assert!(
        third.contains("1 written, 1 rewritten, 8 unchanged"),
        "{third}"
    );
    assert!(
        third.contains("1 file without an article left alone (--prune removes them)"),
        "{third}"
    );
    let now = files(&dir);
    for (name, bytes) in &expected {
        assert_eq!(now.get(name), Some(bytes), "{name}");
    }
    assert!(now.contains_key(orphan) && now.contains_key("notes.md"));

    let pruned = sync(&["--prune"]);
    assert!(
        pruned.contains(&format!("removed {orphan}: no article in the database")),
        "{pruned}"
    );
    let now = files(&dir);
    assert!(!now.contains_key(orphan), "{pruned}");
    assert_eq!(
        now.get("notes.md").map(Vec::as_slice),
        Some(&b"mine"[..]),
        "not a corpus file"
    );
    assert_eq!(now.len(), 11);
    assert!(
        !now.keys().any(|n| n.starts_with('.')),
        "no temporary file is left"
    );

    // On SQLite, the corpus directory already is the store's.
    let out = env.tidings(&["corpus", "sync", dir_s]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("already is its articles' files"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
