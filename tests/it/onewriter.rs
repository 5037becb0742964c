//! One writer: the commands that only read open a reader store, which
//! works beside a writer holding the database and never writes to it.
//! Through the real binary, on a corpus `run --once` made from the
//! fixture site.

use crate::env::{stderr, stdout, Env};
use crate::pipeline::site_env;

/// The fixture site ingested once.
fn corpus_env() -> Env {
    let env = site_env();
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    env
}

fn succeeds(env: &Env, args: &[&str]) -> String {
    let out = env.tidings(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn reading_commands_work_beside_a_writer_in_a_transaction() {
    let env = corpus_env();
    let mut writer = rusqlite::Connection::open(env.path("tidings.db")).unwrap();
    writer.busy_timeout(std::time::Duration::ZERO).unwrap();
    let tx = writer
        .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)
        .unwrap();
    tx.execute("UPDATE feeds SET entries_seen = 999", [])
        .unwrap();
    tx.execute("DELETE FROM sightings", []).unwrap();
    let status = succeeds(&env, &["status", "--json"]);
    assert!(status.contains("\"entries_seen\":3"), "{status}");
    assert!(!status.contains("999"), "uncommitted: {status}");
    let export = succeeds(&env, &["export", "--duplicates"]);
    assert_eq!(export.lines().count(), 11, "{export}");
    succeeds(&env, &["stats", "--json"]);
    succeeds(&env, &["show", "5"]);
    succeeds(&env, &["search", "chechnya"]);
    // The writer was never kept waiting either: it commits at once.
    tx.commit().unwrap();
}
