//! One writer, and the store as the other parts see it: the commands that
//! only read open a reader store, which works beside a writer holding the
//! database and never writes to it; delivery has a connection of its own;
//! `status` reads a feed's failure by its recorded kind. Through the real
//! binary on a corpus `run --once` made from the fixture site, and the
//! library in process where a writer must be held.

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

fn indexed(env: &Env) -> i64 {
    rusqlite::Connection::open(env.path("tidings.db"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM article_text", [], |r| r.get(0))
        .unwrap()
}

/// The database's bytes, and its write-ahead log's if there is one.
fn database_bytes(env: &Env) -> (Vec<u8>, Option<Vec<u8>>) {
    (
        std::fs::read(env.path("tidings.db")).unwrap(),
        std::fs::read(env.path("tidings.db-wal")).ok(),
    )
}

/// `search` is a reader: articles the index lacks are counted on stderr
/// and left out, and the database is not written (it indexed them itself,
/// from a reader, before). The next run indexes them.
#[test]
fn search_leaves_the_index_to_the_writer_and_says_what_it_lacks() {
    let env = corpus_env();
    rusqlite::Connection::open(env.path("tidings.db"))
        .unwrap()
        .execute("DELETE FROM article_text WHERE rowid IN (5, 6)", [])
        .unwrap();
    assert_eq!(indexed(&env), 8);
    let before = database_bytes(&env);
    let out = env.tidings(&["search", "--json", "-n", "50", "chechnya"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 8, "what is indexed");
    let err = stderr(&out);
    assert!(
        err.contains("2 articles are not indexed yet") && err.contains("run --once"),
        "{err}"
    );
    let after = database_bytes(&env);
    assert!(after.0 == before.0, "the database was written");
    // A reader may leave an empty log behind (it does not checkpoint on
    // close); what matters is that nothing was written into it.
    let frames = |wal: Option<Vec<u8>>| wal.unwrap_or_default();
    assert!(frames(after.1) == frames(before.1), "the log was written");
    assert_eq!(indexed(&env), 8);
    succeeds(&env, &["run", "--once"]);
    assert_eq!(indexed(&env), 10);
    let out = env.tidings(&["search", "--json", "-n", "50", "chechnya"]);
    assert_eq!(stdout(&out).lines().count(), 10);
    assert_eq!(stderr(&out), "");
}

/// Delivery has its own connection to the database: an alert goes out
/// while ingestion's writer is held (as by a slow commit round). Before,
/// delivery took its rows through that writer and waited for it.
#[test]
fn an_alert_is_delivered_while_the_ingestion_writer_is_held() {
    use std::time::Duration;
    use tidings::store::Outgoing;
    let env = Env::new();
    env.write_config(
        &[],
        &format!(
            "[[alerts]]\nname = \"desk\"\nkind = \"webhook\"\nurl = \"{}/hook\"\n",
            env.server.base
        ),
    );
    let config = tidings::config::Config::load(&env.config_path()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let pass = rt.block_on(async {
        let (pipeline, _) = tidings::pipeline::Pipeline::open(config.clone(), false)
            .await
            .unwrap();
        let event = tidings::alert::sample(chrono::Utc::now());
        let alert = Outgoing {
            sink: "desk".into(),
            event: event.kind().into(),
            key: "held".into(),
            payload: event.webhook_body(),
        };
        pipeline
            .with_ingest(move |i| Ok(i.store.enqueue(&[alert], chrono::Utc::now())?))
            .await
            .unwrap();
        // Ingestion's writer, held until released.
        let (started, has_started) = tokio::sync::oneshot::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let held = tokio::spawn({
            let pipeline = pipeline.clone();
            async move {
                pipeline
                    .with_ingest(move |_| {
                        let _ = started.send(());
                        let _ = released.recv();
                        Ok(())
                    })
                    .await
            }
        });
        has_started.await.unwrap();
        let poster = tidings::fetch::Poster::new(&config.fetch).unwrap();
        let flushed = tokio::time::timeout(
            Duration::from_secs(5),
            tidings::deliver::flush(&pipeline, &poster, Duration::ZERO),
        )
        .await;
        release.send(()).unwrap();
        held.await.unwrap().unwrap();
        flushed.expect("delivery waited for the ingestion writer")
    });
    assert_eq!(pass.unwrap().sent, 1);
    assert_eq!(env.server.delivered("/hook").len(), 1);
}

fn health(env: &Env, feed: &str) -> String {
    let out = succeeds(env, &["status", "--json"]);
    let row: serde_json::Value = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["name"] == feed)
        .unwrap();
    assert!(row.get("failure_kind").is_none(), "status --json unchanged");
    row["health"].as_str().unwrap().to_string()
}

/// `status` knows a storage fault by the kind the poll recorded, not by
/// the words of the message (it read "storage fault" at the start of the
/// last error, words a server or proxy can send).
#[test]
fn status_knows_a_storage_fault_by_its_kind_not_its_words() {
    let env = corpus_env();
    let db = rusqlite::Connection::open(env.path("tidings.db")).unwrap();
    // An outage (not counted against the feed) whose message has the words.
    db.execute(
        "UPDATE feeds SET last_error = 'storage fault: the upstream proxy ran out of disk',
         consecutive_failures = 0 WHERE name = 'rights-watch'",
        [],
    )
    .unwrap();
    assert_eq!(health(&env, "rights-watch"), "offline");
    // A storage fault as the pipeline records it.
    db.execute(
        "UPDATE feeds SET last_error = 'the corpus is full', failure_kind = 'store',
         consecutive_failures = 0 WHERE name = 'caucasus'",
        [],
    )
    .unwrap();
    assert_eq!(health(&env, "caucasus"), "failing");
}
