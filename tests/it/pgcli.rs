//! The read commands (`status`, `stats`, `search`, `export`, `show`) on
//! PostgreSQL, against a real cluster: a store built by
//! the real binary on SQLite (the fixture site on 127.0.0.1, `run
//! --once`), copied with `migrate --to`, then each command run with the
//! SQLite config and with the same config naming the PostgreSQL database,
//! their outputs compared byte for byte.
//!
//! Skipped with a message when no PostgreSQL server can be started
//! (`pg::Cluster`), a failure under `TIDINGS_PG_TESTS=required`.

use std::collections::BTreeMap;
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
