//! A fleet's shared budgets against a real PostgreSQL cluster (the
//! harness of `pg.rs`) and real local servers: two fetchers as two
//! workers, each with its own gate (`FleetHosts`) on one database, keep one
//! host's budget between them; two delivery passes on one outbox send each
//! alert once; a failing sink retries and expires as it does on SQLite.
//! Skipped with a message when no PostgreSQL server can be started.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use tidings::config::{Config, FetchConfig, HostLimits, PostgresConfig};
use tidings::deliver::{deliver_due, Outbox, Pass};
use tidings::fetch::{Fetcher, Gated, HostGate, Validators};
use tidings::pipeline::{FleetHosts, Pipeline};
use tidings::store::pg::{HostGrant, PgStore};
use url::Url;

use crate::env::{Answer, Env, HttpServer};
use crate::pg::Cluster;

fn fleet(pg: &Cluster) -> PostgresConfig {
    PostgresConfig {
        url: pg.url("tidings"),
        password: None,
        worker: None,
        lease: Duration::from_secs(60),
        ca_file: None,
    }
}

/// What a counting site saw: requests in flight now, the most at once,
/// and when each started.
#[derive(Default)]
struct Counted {
    now: AtomicUsize,
    most: AtomicUsize,
    starts: Mutex<Vec<Instant>>,
}

/// A site that counts requests in flight: `/busy` answers 429 with a
/// Retry-After of a minute, anything else 200 after 100 ms.
fn counting_site() -> (HttpServer, Url, Arc<Counted>) {
    let counted = Arc::new(Counted::default());
    let c = counted.clone();
    let http = HttpServer::start(move |req| {
        let inside = c.now.fetch_add(1, SeqCst) + 1;
        c.most.fetch_max(inside, SeqCst);
        c.starts.lock().unwrap().push(Instant::now());
        let answer = if req.path == "/busy" {
            Answer {
                status: 429,
                headers: vec![("Retry-After".into(), "60".into())],
                body: vec![],
            }
        } else {
            std::thread::sleep(Duration::from_millis(100));
            Answer {
                status: 200,
                headers: vec![],
                body: b"ok".to_vec(),
            }
        };
        c.now.fetch_sub(1, SeqCst);
        answer
    });
    let base = Url::parse(&format!("http://127.0.0.1:{}/", http.port)).unwrap();
    (http, base, counted)
}

/// A worker's fetcher: its own local budget of `limits`, and a gate of its
/// own on the fleet's database.
fn worker(pg: &Cluster, name: &str, limits: HostLimits) -> Fetcher {
    let cfg = FetchConfig {
        allow_private_networks: true,
        per_host: limits,
        ..Default::default()
    };
    let gate = FleetHosts::connect(&fleet(pg), name, cfg.timeout).expect("gate");
    Fetcher::new(&cfg, &[]).unwrap().with_gate(Arc::new(gate))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `n` requests from each fetcher, all at once; every one succeeds.
fn all_at_once(rt: &tokio::runtime::Runtime, fetchers: &[Fetcher], base: &Url, n: usize) {
    let gets = (0..n * fetchers.len()).map(|i| {
        let url = base.join(&format!("page/{i}")).unwrap();
        let f = fetchers[i % fetchers.len()].clone();
        async move { f.get(&url, &Validators::default(), 1 << 20, None).await }
    });
    for r in rt.block_on(futures_util::future::join_all(gets)) {
        assert_eq!(r.expect("fetched").body, b"ok");
    }
}

#[test]
fn fleet_two_workers_keep_one_hosts_budget_and_gap() {
    let Some(pg) = Cluster::start() else { return };
    let rt = runtime();

    // In flight: each worker alone may keep two; the fleet keeps two.
    let two = HostLimits {
        connections: 2,
        gap: Duration::ZERO,
    };
    let (_site, base, counted) = counting_site();
    let workers = [worker(&pg, "w1", two), worker(&pg, "w2", two)];
    all_at_once(&rt, &workers, &base, 4);
    assert_eq!(counted.starts.lock().unwrap().len(), 8);
    assert_eq!(counted.most.load(SeqCst), 2, "the fleet's budget of two");
    let mut s = pg.store();
    let free = |s: &mut PgStore| {
        let now = Utc::now();
        s.acquire_permit("127.0.0.1", "check", 2, chrono::Duration::zero(), now, now)
    };
    // Every permit given back (none waits for its lapse): two fit at once.
    std::thread::sleep(Duration::from_millis(200));
    assert!(matches!(free(&mut s).unwrap(), HostGrant::Granted(_)));
    assert!(matches!(free(&mut s).unwrap(), HostGrant::Granted(_)));

    // The gap: starts at least `gap` apart across both workers (each one
    // alone would keep it only between its own).
    let gap = Duration::from_millis(400);
    let spaced = HostLimits {
        connections: 4,
        gap,
    };
    let (_site, base, counted) = counting_site();
    let workers = [worker(&pg, "w1", spaced), worker(&pg, "w2", spaced)];
    all_at_once(&rt, &workers, &base, 3);
    let mut starts = counted.starts.lock().unwrap().clone();
    starts.sort();
    assert_eq!(starts.len(), 6);
    for pair in starts.windows(2) {
        let apart = pair[1] - pair[0];
        // Granted `gap` apart; the requests' way to the server varies
        // (a loaded machine). Without the fleet's gap they start together.
        assert!(apart >= gap - Duration::from_millis(150), "{apart:?} apart");
    }
}

#[test]
fn fleet_a_retry_after_answered_to_one_worker_holds_the_other_back() {
    let Some(pg) = Cluster::start() else { return };
    let rt = runtime();
    let (_site, base, counted) = counting_site();
    let limits = HostLimits {
        connections: 2,
        gap: Duration::ZERO,
    };
    let (a, b) = (worker(&pg, "a", limits), worker(&pg, "b", limits));
    let get = |f: &Fetcher, path: &str| {
        let url = base.join(path).unwrap();
        rt.block_on(f.get(&url, &Validators::default(), 1 << 20, None))
    };
    let e = get(&a, "busy").unwrap_err();
    let until = e.not_before().expect("the Retry-After");
    assert!((until - Utc::now()).num_seconds() > 50, "{until}");
    let e = get(&b, "page").unwrap_err();
    // The database keeps times to the microsecond.
    assert!(
        matches!(&e, tidings::fetch::FetchError::Throttled { until: t, .. }
            if (*t - until).num_milliseconds().abs() < 1),
        "{e:?}"
    );
    assert_eq!(
        counted.starts.lock().unwrap().len(),
        1,
        "the second worker sent nothing"
    );
}

#[test]
fn fleet_a_vanished_workers_permits_free_themselves() {
    let Some(pg) = Cluster::start() else { return };
    let rt = runtime();
    let one = HostLimits {
        connections: 1,
        gap: Duration::ZERO,
    };
    // A worker with a one-second fetch timeout takes the host's only place
    // and vanishes: its permit is never given back.
    let dead = FleetHosts::connect(&fleet(&pg), "dead", Duration::from_secs(1)).unwrap();
    let taken = Instant::now();
    let grant = rt.block_on(dead.acquire("127.0.0.1", one)).unwrap();
    assert!(matches!(grant, Gated::Granted(_)), "{grant:?}");
    drop(dead);

    let (_site, base, counted) = counting_site();
    let live = worker(&pg, "live", one);
    let url = base.join("page").unwrap();
    let fetched = rt
        .block_on(live.get(&url, &Validators::default(), 1 << 20, None))
        .expect("fetched once the dead worker's permit lapsed");
    assert_eq!(fetched.body, b"ok");
    let waited = counted.starts.lock().unwrap()[0] - taken;
    // Held for the timeout and as much again (the margin, at most 30 s).
    assert!(waited >= Duration::from_millis(1900), "{waited:?}");
    assert!(waited < Duration::from_secs(6), "{waited:?}");
}

/// An env whose config has one webhook sink, `hook`, at its server's
/// `/hook`, with `retry` and `expire`.
fn sink_env(retry: &str, expire: &str) -> (Env, Config) {
    let env = Env::new();
    env.write_config(
        &[],
        &format!(
            "[[alerts]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"{}/hook\"\n\
             retry = \"{retry}\"\nexpire = \"{expire}\"\n",
            env.server.base
        ),
    );
    let config = Config::load(&env.config_path()).unwrap();
    (env, config)
}

/// Alert `i`'s payload: the sample event, told apart by its title.
fn payload(i: usize, now: DateTime<Utc>) -> String {
    let mut event: serde_json::Value =
        serde_json::from_str(&tidings::alert::sample(now).webhook_body()).unwrap();
    event["article"]["title"] = format!("alert {i}").into();
    event.to_string()
}

#[test]
fn fleet_two_delivery_workers_send_each_alert_once() {
    let Some(pg) = Cluster::start() else { return };
    let (env, config) = sink_env("1s", "1h");
    // More than one pass takes (500), so both workers get a share.
    const N: usize = 1100;
    let now = Utc::now();
    let mut s = pg.store();
    for i in 0..N {
        let key = format!("new_article:{i}");
        s.enqueue_alert("hook", "new_article", &key, &payload(i, now), now)
            .unwrap();
    }
    let rt = runtime();
    let passes: Vec<Pass> = rt.block_on(async {
        let (pipeline, _) = Pipeline::open(config.clone(), false).await.unwrap();
        let poster = tidings::fetch::Poster::new(&config.fetch).unwrap();
        let workers = ["w1", "w2"].map(|name| {
            let pg = PostgresConfig {
                worker: Some(name.into()),
                ..fleet(&pg)
            };
            let (pipeline, poster) = (pipeline.clone(), poster.clone());
            let database = config.database.clone();
            tokio::spawn(async move {
                let outbox = Outbox::open(&database, Some(&pg)).await.unwrap();
                let mut total = Pass::default();
                loop {
                    let p = deliver_due(&pipeline, &outbox, Some(&poster), Utc::now())
                        .await
                        .unwrap();
                    if p == Pass::default() {
                        return total;
                    }
                    total.sent += p.sent;
                    total.failed += p.failed;
                    total.expired += p.expired;
                }
            })
        });
        let mut passes = Vec::new();
        for w in workers {
            passes.push(w.await.unwrap());
        }
        passes
    });
    let delivered = env.server.delivered("/hook");
    let mut titles: Vec<String> = delivered
        .iter()
        .map(|d| d.json()["article"]["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(titles.len(), N, "each alert arrives once");
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), N, "no alert arrives twice");
    assert_eq!(passes.iter().map(|p| p.sent).sum::<usize>(), N);
    assert!(
        passes.iter().all(|p| p.sent > 0),
        "both workers sent: {passes:?}"
    );
    assert_eq!(s.outbox_states().unwrap(), (0, N as u64, 0));
}

/// One alert to a sink that always fails, passes at the times its retries
/// come due: what each pass did, and when the next is due.
async fn failing_passes(
    pipeline: &Pipeline,
    outbox: &Outbox,
    poster: &tidings::fetch::Poster,
    t0: DateTime<Utc>,
) -> Vec<(Pass, Option<DateTime<Utc>>)> {
    let mut at = t0;
    let mut seen = Vec::new();
    for _ in 0..6 {
        let pass = deliver_due(pipeline, outbox, Some(poster), at)
            .await
            .unwrap();
        let next = outbox.next_due().await.unwrap();
        seen.push((pass, next));
        match next {
            Some(t) => at = t,
            None => break,
        }
    }
    seen
}

#[test]
fn fleet_a_failing_sink_retries_then_expires_as_on_sqlite() {
    let Some(pg) = Cluster::start() else { return };
    let (env, config) = sink_env("1m", "10m");
    env.server.fail_posts(&[true; 20]);
    // Whole seconds: SQLite keeps its times to the second.
    let t0 = Utc::now().trunc_subsecs(0);
    let body = payload(0, t0);
    pg.store()
        .enqueue_alert("hook", "new_article", "new_article:0", &body, t0)
        .unwrap();

    let rt = runtime();
    let (on_sqlite, on_pg) = rt.block_on(async {
        let (pipeline, _) = Pipeline::open(config.clone(), false).await.unwrap();
        let poster = tidings::fetch::Poster::new(&config.fetch).unwrap();
        let alert = tidings::store::Outgoing {
            sink: "hook".into(),
            event: "new_article".into(),
            key: "new_article:0".into(),
            payload: body.clone(),
        };
        pipeline
            .with_ingest(move |i| Ok(i.store.enqueue(&[alert], t0)?))
            .await
            .unwrap();
        let sqlite = Outbox::open(&config.database, None).await.unwrap();
        let on_sqlite = failing_passes(&pipeline, &sqlite, &poster, t0).await;

        let fleet = Outbox::open(&config.database, Some(&fleet(&pg)))
            .await
            .unwrap();
        let on_pg = failing_passes(&pipeline, &fleet, &poster, t0).await;
        (on_sqlite, on_pg)
    });
    let minutes = |m| Some(t0 + chrono::Duration::minutes(m));
    let failed = Pass {
        failed: 1,
        ..Pass::default()
    };
    let expired = Pass {
        expired: 1,
        ..Pass::default()
    };
    // A minute, doubling; the retry after t0 + 7 min would be past the
    // ten minutes the sink keeps an alert.
    assert_eq!(
        on_sqlite,
        [
            (failed, minutes(1)),
            (failed, minutes(3)),
            (failed, minutes(7)),
            (expired, None)
        ]
    );
    assert_eq!(on_pg, on_sqlite, "the same policy on PostgreSQL");
    assert_eq!(env.server.posts.lock().unwrap().len(), 8);
    assert_eq!(pg.store().outbox_states().unwrap(), (0, 0, 1));
}
