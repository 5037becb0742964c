//! `tidings run` on PostgreSQL, with the real binary: one worker's
//! `run --once`, and three daemons sharing one database and one news site,
//! one of them killed mid-run. A throwaway cluster per test (`pg::Cluster`);
//! skipped like the other PostgreSQL tests when no server can be started.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::env::stderr;
use crate::faults::{FaultServer, Reply};
use crate::pg::Cluster;
use crate::service::{spawn, wait_until, Daemon};

/// A page of its own text (no two look alike to dedup), its title first.
fn page(feed: usize, art: usize) -> String {
    let body = crate::synthetic::paragraphs(
        crate::synthetic::seed_of(&format!("workers {feed}/{art}")),
        6,
        40,
    );
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Report {feed}-{art}</title></head>\
         <body><main><article><h1>Report {feed}-{art}</h1>{body}</article></main></body></html>"
    )
}

fn rss(base: &str, feed: usize, links: &[String]) -> String {
    let items: String = links
        .iter()
        .enumerate()
        .map(|(a, link)| {
            format!(
                "<item><title>Report {feed}-{a}</title><link>{base}{link}</link><guid>f{feed}-{a}</guid>\
                 <pubDate>Fri, 20 Nov 2026 10:{a:02}:00 GMT</pubDate></item>"
            )
        })
        .collect();
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed {feed}</title>{items}</channel></rss>")
}

/// A news site of `feeds` feeds with `per_feed` articles each; every
/// feed's last entry links to a copy of feed 0's first article (another
/// URL, the same page), so each copy must be stored once across workers.
struct Site {
    _server: FaultServer,
    base: String,
    feeds: usize,
    /// The distinct articles (the copies are not counted).
    articles: usize,
}

impl Site {
    fn start(feeds: usize, per_feed: usize, page_delay: Duration) -> Site {
        let server = FaultServer::start();
        let base = server.base("127.0.0.1");
        for f in 0..feeds {
            let mut links: Vec<String> = (0..per_feed).map(|a| format!("/f{f}/a{a}")).collect();
            for (a, link) in links.iter().enumerate() {
                server.route(
                    link,
                    vec![Reply::ok("text/html; charset=utf-8", page(f, a)).delay(page_delay)],
                );
            }
            if f > 0 {
                let copy = format!("/copy/f{f}");
                server.route(
                    &copy,
                    vec![Reply::ok("text/html; charset=utf-8", page(0, 0)).delay(page_delay)],
                );
                links.push(copy);
            }
            server.route(
                &format!("/f{f}.xml"),
                vec![Reply::ok("application/rss+xml", rss(&base, f, &links))],
            );
        }
        Site {
            _server: server,
            base,
            feeds,
            articles: feeds * per_feed,
        }
    }

    fn feeds_toml(&self) -> String {
        (0..self.feeds)
            .map(|f| {
                format!(
                    "[[feeds]]\nname = \"f{f}\"\nurl = \"{}/f{f}.xml\"\n",
                    self.base
                )
            })
            .collect()
    }
}

/// A worker's config: the cluster's database, a corpus directory (shared
/// or not), and the site's feeds.
fn write_config(
    dir: &Path,
    database: &str,
    corpus: &Path,
    worker: &str,
    extra: &str,
    site: &Site,
) -> PathBuf {
    let path = dir.join(format!("{worker}.toml"));
    let store = if database.starts_with("postgres") {
        format!("database = \"{database}\"\nworker = \"{worker}\"\nlease = \"2s\"\n")
    } else {
        format!("database = \"{database}\"\n")
    };
    let text = format!(
        "[store]\n{store}corpus = \"{}\"\n\n[fetch]\nallow_private_networks = true\ntimeout = \"3s\"\n\
         per_host_gap = \"0s\"\nper_host_connections = 4\nconcurrency = 4\n\n[archive]\nenabled = false\n\n{extra}\n{}",
        corpus.display(),
        site.feeds_toml()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn tidings(config: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidings"));
    cmd.arg("--config")
        .arg(config)
        .env_remove("TIDINGS_CONFIG")
        .env_remove("PGPASSWORD")
        .env("TIDINGS_LOG", "warn");
    cmd
}

/// The corpus files, name → text.
fn files(corpus: &Path) -> HashMap<String, String> {
    std::fs::read_dir(corpus)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".txt"))
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The article rows, file → text, and their canonical URLs.
fn rows(cluster: &Cluster) -> (HashMap<String, String>, Vec<String>) {
    let mut c = postgres::Client::connect(&cluster.url("tidings"), postgres::NoTls).unwrap();
    let mut texts = HashMap::new();
    let mut urls = Vec::new();
    for r in c
        .query(
            "SELECT file, text, canonical_url FROM articles ORDER BY id",
            &[],
        )
        .unwrap()
    {
        texts.insert(r.get::<_, String>(0), r.get::<_, String>(1));
        urls.extend(r.get::<_, Option<String>>(2));
    }
    (texts, urls)
}

#[test]
fn run_once_on_postgres_stores_what_sqlite_stores_with_files_equal_to_rows() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(3, 3, Duration::ZERO);
    let pg_corpus = dir.path().join("pg-corpus");
    let pg = write_config(
        dir.path(),
        &cluster.url("tidings"),
        &pg_corpus,
        "w1",
        "",
        &site,
    );
    let out = tidings(&pg).args(["run", "--once"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let (texts, urls) = rows(&cluster);
    assert_eq!(texts.len(), site.articles, "each distinct article once");
    let unique: HashSet<&String> = urls.iter().collect();
    assert_eq!(unique.len(), urls.len(), "a canonical URL stored twice");
    assert_eq!(files(&pg_corpus), texts, "files = rows, byte for byte");

    // The same site through SQLite gives the same corpus.
    let sq_corpus = dir.path().join("sqlite-corpus");
    let sq = write_config(dir.path(), "t.db", &sq_corpus, "sqlite", "", &site);
    let out = tidings(&sq).args(["run", "--once"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // Numbers follow the order of commits, which concurrent polls vary.
    let texts_of = |c: &Path| {
        let mut t: Vec<String> = files(c).into_values().collect();
        t.sort();
        t
    };
    let (sq_texts, pg_texts) = (texts_of(&sq_corpus), texts_of(&pg_corpus));
    assert_eq!(sq_texts.len(), pg_texts.len());
    assert!(sq_texts == pg_texts, "SQLite and PostgreSQL corpora differ");

    // A second run finds nothing new (every entry is known).
    let out = tidings(&pg)
        .args(["run", "--once", "--force"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(rows(&cluster).0.len(), site.articles);
    // ... and skips each entry before its page: every entry was recorded
    // with its article, so no page was fetched twice.
    for f in 0..site.feeds {
        for a in 0..site.articles / site.feeds {
            let hits = site._server.hits_of(&format!("/f{f}/a{a}"));
            assert_eq!(
                hits.len(),
                2,
                "/f{f}/a{a}: once by PostgreSQL, once by SQLite"
            );
        }
    }
}

#[test]
fn three_workers_one_killed_store_every_article_once_and_take_its_feeds_over() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(12, 6, Duration::from_millis(100));
    let corpus = dir.path().join("corpus");
    let url = cluster.url("tidings");
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    // Every worker tells one webhook of each new article (`--alert`: the
    // first poll alerts too).
    let hook = crate::env::Server::start();
    let hook_toml = format!(
        "[[alerts]]\nkind = \"webhook\"\nurl = \"{}/hook\"\n",
        hook.base
    );
    let configs: Vec<PathBuf> = (0..3)
        // Four polls at once each (`write_config`): w0 holds only some of
        // the feeds.
        .map(|w| {
            write_config(
                dir.path(),
                &url,
                &corpus,
                &format!("w{w}"),
                &hook_toml,
                &site,
            )
        })
        .collect();
    let start = |w: usize| {
        let mut cmd = tidings(&configs[w]);
        cmd.args(["run", "--alert"]).env("TIDINGS_LOG", "info");
        Some(spawn(cmd))
    };
    // w0 first, so that it surely holds feeds when it is killed; the others
    // join while it polls.
    let mut workers: Vec<Option<Daemon>> = vec![start(0)];

    // Killed mid-poll: as soon as it holds a feed.
    let holds = |db: &mut postgres::Client| -> i64 {
        db.query_one("SELECT count(*) FROM feeds WHERE lease_owner = 'w0'", &[])
            .map(|r| r.get(0))
            .unwrap_or(0)
    };
    wait_until("w0 to take a feed", Duration::from_secs(30), || {
        holds(&mut db) > 0
    });
    workers.push(start(1));
    workers.push(start(2));
    std::thread::sleep(Duration::from_millis(150));
    let killed_at = std::time::Instant::now();
    workers[0].take().unwrap().signal("KILL");
    let held: i64 = holds(&mut db);
    assert!(
        held > 0,
        "w0's leases vanished with it: they should run out instead"
    );

    let count = |db: &mut postgres::Client, sql: &str| -> i64 {
        db.query_one(sql, &[]).map(|r| r.get(0)).unwrap_or(-1)
    };
    wait_until("the fleet to finish", Duration::from_secs(60), || {
        count(
            &mut db,
            "SELECT count(*) FROM feeds WHERE last_success IS NULL OR lease_owner IS NOT NULL",
        ) == 0
            && count(&mut db, "SELECT count(*) FROM articles") == site.articles as i64
    });
    assert!(
        killed_at.elapsed() >= Duration::from_millis(1500),
        "taken over before the lease ran out"
    );
    for w in workers.iter_mut().skip(1) {
        let mut d = w.take().unwrap();
        d.signal("TERM");
        let status = d.wait_exit(Duration::from_secs(20));
        assert!(
            status.success(),
            "a worker failed to stop cleanly: {status:?}\n{}",
            d.log()
        );
    }

    // Every entry stored once: one row per distinct page, no URL or text
    // twice; the copies became sightings.
    let (texts, urls) = rows(&cluster);
    assert_eq!(texts.len(), site.articles);
    assert_eq!(
        urls.iter().collect::<HashSet<_>>().len(),
        urls.len(),
        "a URL stored twice"
    );
    assert_eq!(
        count(&mut db, "SELECT count(DISTINCT text_hash) FROM articles"),
        site.articles as i64
    );
    assert!(count(&mut db, "SELECT count(*) FROM sightings") >= (site.feeds - 1) as i64);
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM entries WHERE state NOT IN ('stored', 'duplicate')"
        ),
        0,
        "an entry was lost"
    );
    // Every entry recorded: the pages and the copies (11 feeds have one).
    assert_eq!(
        count(&mut db, "SELECT count(*) FROM entries"),
        (site.articles + site.feeds - 1) as i64,
        "an entry left unrecorded is fetched again at every poll"
    );

    // Files = rows: every file is its row's text; a row whose file the kill
    // cut short is the one exception, and `corpus sync` writes it.
    let on_disk = files(&corpus);
    for (name, text) in &on_disk {
        assert_eq!(texts.get(name), Some(text), "{name} is not its row's text");
    }
    assert!(
        texts.len() - on_disk.len() <= 8,
        "too many rows without a file"
    );
    let out = tidings(&configs[1])
        .args(["corpus", "sync"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(files(&corpus), texts, "files = rows after corpus sync");

    // No feed polled twice at once: a feed fetched twice is w0's, taken over
    // only after its lease ran out.
    let mut taken_over = 0;
    for f in 0..site.feeds {
        let hits = site._server.hits_of(&format!("/f{f}.xml"));
        assert!(
            !hits.is_empty() && hits.len() <= 2,
            "f{f} fetched {} times",
            hits.len()
        );
        if let [a, b] = &hits[..] {
            assert!(
                b.at.duration_since(a.at) >= Duration::from_millis(1500),
                "f{f} polled twice at once"
            );
            taken_over += 1;
        }
    }
    assert!(
        taken_over >= 1,
        "no feed of the killed worker was taken over"
    );

    // The host's budget (4 in flight) held across the three workers.
    let most = (0..site.feeds)
        .flat_map(|f| {
            let mut paths = vec![format!("/f{f}.xml")];
            paths.extend((0..site.articles / site.feeds).map(|a| format!("/f{f}/a{a}")));
            paths
        })
        .flat_map(|p| site._server.hits_of(&p))
        .map(|h| h.in_flight)
        .max()
        .unwrap_or(0);
    assert!(most <= 4, "{most} requests in flight to one host, budget 4");

    // Each article's alert delivered, by whichever worker claimed it. A
    // live worker never repeats one; the killed worker may have sent some
    // without living to record it, and those are sent again once its claim
    // lapses (at least once, as on SQLite after a crash), with the same
    // Idempotency-Key for the receiver to drop them by.
    let ids_of = |hook: &crate::env::Server| -> HashSet<u64> {
        hook.delivered("/hook")
            .iter()
            .filter_map(|p| p.json()["article"]["id"].as_u64())
            .collect()
    };
    wait_until("every alert delivered", Duration::from_secs(90), || {
        ids_of(&hook).len() >= site.articles
    });
    assert_eq!(ids_of(&hook).len(), site.articles);
    let mut keys: HashMap<u64, HashSet<String>> = HashMap::new();
    let posts = hook.delivered("/hook");
    for p in &posts {
        let id = p.json()["article"]["id"].as_u64().unwrap();
        let key = p.header("idempotency-key").unwrap_or_default().to_string();
        keys.entry(id).or_default().insert(key);
    }
    assert!(
        keys.values().all(|k| k.len() == 1),
        "one key per alert: {keys:?}"
    );
    let repeats = posts.len() - site.articles;
    assert!(
        repeats <= 4,
        "{repeats} alerts sent again: more than the killed worker held"
    );
}

/// An alert another worker queued (and died before sending) wakes no one:
/// a worker looks at the shared outbox again within seconds, not at its
/// next minute.
#[test]
fn an_alert_another_worker_queued_is_sent_within_seconds() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(1, 1, Duration::ZERO);
    let hook = crate::env::Server::start();
    let sink = format!(
        "[[alerts]]\nname = \"desk\"\nkind = \"webhook\"\nurl = \"{}/hook\"\n",
        hook.base
    );
    let url = cluster.url("tidings");
    let config = write_config(
        dir.path(),
        &url,
        &dir.path().join("corpus"),
        "w1",
        &sink,
        &site,
    );
    let mut cmd = tidings(&config);
    cmd.arg("run").env("TIDINGS_LOG", "info");
    let mut d = spawn(cmd);
    d.wait_log("daemon started", Duration::from_secs(30));
    // The first poll is a silent backfill; let the loop go idle after it.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(hook.delivered("/hook").is_empty(), "{}", d.log());

    let gone = tidings::model::Event::FeedFailing {
        feed: tidings::model::FeedHealth {
            name: "f0".into(),
            url: format!("{}/f0.xml", site.base),
            failing_since: "2026-12-06T00:00:00Z".into(),
            last_error: Some("HTTP 500".into()),
        },
    };
    let mut other = crate::cluster::Cluster::store(&cluster);
    other
        .enqueue_alert(
            "desk",
            gone.kind(),
            "failing:f0:2026-12-06T00:00:00Z",
            &gone.webhook_body(),
            chrono::Utc::now(),
        )
        .unwrap();
    let queued = std::time::Instant::now();
    wait_until("the other worker's alert", Duration::from_secs(20), || {
        !hook.delivered("/hook").is_empty()
    });
    assert!(
        queued.elapsed() < Duration::from_secs(10),
        "took {:?}",
        queued.elapsed()
    );
    assert_eq!(hook.delivered("/hook")[0].json()["event"], "feed_failing");
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(20)).code(), Some(0));
}

/// The server restarts under a running worker (maintenance, a fail-over):
/// the writer connects again instead of failing every poll until the
/// process is restarted.
#[test]
fn a_worker_connects_again_after_the_server_restarts() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let site = Site::start(4, 1, Duration::ZERO);
    let path = write_config(
        dir.path(),
        &cluster.url("tidings"),
        &dir.path().join("corpus"),
        "w1",
        "",
        &site,
    );
    let config = tidings::config::Config::load(&path).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (pipeline, _) = tidings::pipeline::Pipeline::open(config.clone(), false)
            .await
            .unwrap();
        let first = pipeline.refresh_feed(&config.feeds[0]).await;
        assert!(first.error.is_none() && first.stored == 1, "{first:?}");
        cluster.restart();
        // The call that meets a lost connection fails (the writer's, then
        // the host gate's), and so does its poll (which is then due again
        // only after a back-off); the next call on it works. So each poll
        // is of a feed not polled yet.
        let mut polls = Vec::new();
        for feed in &config.feeds[1..] {
            let out = pipeline.refresh_feed(feed).await;
            let done = out.error.is_none();
            polls.push(out);
            if done {
                break;
            }
        }
        let last = polls.last().unwrap();
        assert!(last.error.is_none() && last.stored == 1, "{polls:?}");
    });
}
