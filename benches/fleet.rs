//! Several workers against one PostgreSQL database, beside SQLite: a local
//! news site of FEEDS feeds of ARTICLES articles whose pages answer after
//! DELAY_MS (network-bound, as real ingestion is), ingested from an empty
//! store by `run --once` processes started together: SQLite with one, then
//! PostgreSQL with 1, 2 and 3 workers. Prints articles per second, the
//! workers' CPU per article, and PostgreSQL's own CPU per article (its
//! server processes, from /proc).
//!
//!     cargo bench --bench fleet                  # 60 feeds x 20, 50 ms
//!     FEEDS=30 ARTICLES=10 DELAY_MS=20 ROUNDS=3 cargo bench --bench fleet
//!
//! Needs PostgreSQL's server binaries (as the tests do); without them it
//! says so and measures SQLite alone. Each worker polls 4 feeds at once
//! (`concurrency = 4`), so more workers mean more pages in flight.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

#[path = "../tests/it/env.rs"]
#[allow(dead_code)]
mod env;

#[path = "../tests/it/cluster.rs"]
#[allow(dead_code)]
mod cluster;

#[path = "../tests/it/faults.rs"]
#[allow(dead_code)]
mod faults;

#[path = "../tests/it/synthetic.rs"]
#[allow(dead_code)]
mod synthetic;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn page(feed: usize, art: usize) -> String {
    let body = synthetic::paragraphs(synthetic::seed_of(&format!("fleet {feed}/{art}")), 8, 45);
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Report {feed}-{art}</title></head>\
         <body><header><nav><a href=\"/\">Home</a></nav></header><main><article><h1>Report {feed}-{art}</h1>\
         {body}</article></main><footer><p>© Outlet {feed}</p></footer></body></html>"
    )
}

fn rss(base: &str, feed: usize, articles: usize) -> String {
    let items: String = (0..articles)
        .map(|a| {
            format!(
                "<item><title>Report {feed}-{a}</title><link>{base}/f{feed}/a{a}</link><guid>f{feed}-{a}</guid>\
                 <pubDate>Fri, 20 Nov 2026 {h:02}:{m:02}:00 GMT</pubDate></item>",
                h = a % 24,
                m = a % 60
            )
        })
        .collect();
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Outlet {feed}</title>{items}</channel></rss>")
}

/// CPU seconds of a process and of its children it has reaped.
fn cpu_of(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command (which may hold spaces) start after ')'.
    let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12, 13, 14]
        .iter()
        .filter_map(|i| f.get(*i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    // SAFETY: sysconf with a valid name.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

/// The PostgreSQL server's CPU: the postmaster (with the backends it has
/// reaped) and its live children.
fn server_cpu(postmaster: u32) -> f64 {
    let mut total = cpu_of(postmaster);
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let parent = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                let rest = s[s.rfind(')')? + 2..].to_string();
                rest.split_whitespace().nth(1)?.parse::<u32>().ok()
            });
        if parent == Some(postmaster) {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks: f64 = [11, 12]
                .iter()
                .filter_map(|i| f.get(*i).and_then(|v| v.parse::<f64>().ok()))
                .sum();
            // SAFETY: sysconf with a valid name.
            total += ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        }
    }
    total
}

struct Run {
    wall: f64,
    cpu: f64,
    stored: u64,
}

/// Starts `workers` `run --once` processes on `store` (a TOML `[store]`
/// body) and reaps them, each with its own usage (wait4).
fn run(dir: &Path, store: &str, workers: usize, feeds: &str) -> Run {
    let configs: Vec<_> = (0..workers)
        .map(|w| {
            let path = dir.join(format!("w{w}.toml"));
            let worker = if store.contains("postgres://") {
                format!("worker = \"w{w}\"\n")
            } else {
                String::new()
            };
            let text = format!(
                "[store]\n{store}{worker}corpus = \"corpus\"\n\n[fetch]\nallow_private_networks = true\n\
                 concurrency = 4\nper_host_gap = \"0s\"\nper_host_connections = 64\nmax_connections = 64\n\n\
                 [archive]\nenabled = false\n\n{feeds}"
            );
            std::fs::File::create(&path)
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            path
        })
        .collect();
    let start = Instant::now();
    let children: Vec<_> = configs
        .iter()
        .map(|c| {
            // Reaped by wait4 below, which clippy cannot see.
            #[allow(clippy::zombie_processes)]
            let child = std::process::Command::new(env!("CARGO_BIN_EXE_tidings"))
                .arg("--config")
                .arg(c)
                .args(["run", "--once"])
                .env("TIDINGS_LOG", "error")
                .env_remove("TIDINGS_CONFIG")
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn tidings");
            child
        })
        .collect();
    let mut cpu = 0.0;
    for child in children {
        let mut status = 0;
        // SAFETY: our own child, reaped once; the usage is written by the kernel.
        let usage = unsafe {
            let mut u: libc::rusage = std::mem::zeroed();
            libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut u);
            u
        };
        assert!(
            libc::WIFEXITED(status) && matches!(libc::WEXITSTATUS(status), 0 | 3),
            "a worker failed (status {status})"
        );
        cpu += (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) as f64
            + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) as f64 / 1e6;
    }
    let wall = start.elapsed().as_secs_f64();
    let stored = std::fs::read_dir(dir.join("corpus"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".txt"))
                .count() as u64
        })
        .unwrap_or(0);
    Run { wall, cpu, stored }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let feeds = env_usize("FEEDS", 60);
    let articles = env_usize("ARTICLES", 20);
    let delay = Duration::from_millis(env_usize("DELAY_MS", 50) as u64);
    let rounds = env_usize("ROUNDS", 1).max(1);
    let server = faults::FaultServer::start();
    let base = server.base("127.0.0.1");
    let mut feeds_toml = String::new();
    for f in 0..feeds {
        server.route(
            &format!("/f{f}.xml"),
            vec![faults::Reply::ok("application/rss+xml", rss(&base, f, articles)).delay(delay)],
        );
        for a in 0..articles {
            server.route(
                &format!("/f{f}/a{a}"),
                vec![faults::Reply::ok("text/html; charset=utf-8", page(f, a)).delay(delay)],
            );
        }
        feeds_toml.push_str(&format!(
            "[[feeds]]\nname = \"f{f}\"\nurl = \"{base}/f{f}.xml\"\n"
        ));
    }
    let want = (feeds * articles) as u64;
    println!(
        "fleet: {feeds} feeds x {articles} articles, pages after {} ms, {rounds} round(s)",
        delay.as_millis()
    );
    let cluster = cluster::Cluster::start();
    let mut setups: Vec<(&str, usize)> = vec![("sqlite", 1)];
    if cluster.is_some() {
        setups.extend([("postgres", 1), ("postgres", 2), ("postgres", 3)]);
    }
    let mut admin = cluster
        .as_ref()
        .map(|c| postgres::Client::connect(&c.url("postgres"), postgres::NoTls).unwrap());
    println!(
        "{:<9} {:>7} {:>10} {:>12} {:>16} {:>16}",
        "store", "workers", "wall s", "articles/s", "worker CPU ms/a", "server CPU ms/a"
    );
    let mut k = 0;
    for (store, workers) in setups {
        let (mut walls, mut cpus, mut servers) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            k += 1;
            let dir = tempfile::tempdir().unwrap();
            let (body, postmaster) = match (store, &cluster, admin.as_mut()) {
                ("postgres", Some(c), Some(admin)) => {
                    admin
                        .batch_execute(&format!("CREATE DATABASE bench{k}"))
                        .unwrap();
                    (
                        format!("database = \"{}\"\n", c.url(&format!("bench{k}"))),
                        Some(c.postmaster_pid()),
                    )
                }
                _ => ("database = \"t.db\"\n".to_string(), None),
            };
            let before = postmaster.map_or(0.0, server_cpu);
            let r = run(dir.path(), &body, workers, &feeds_toml);
            // Backends exit with their worker; give the postmaster a moment
            // to reap them into its own account.
            std::thread::sleep(Duration::from_millis(300));
            let after = postmaster.map_or(0.0, server_cpu);
            assert_eq!(
                r.stored, want,
                "{store} x{workers}: stored {} of {want}",
                r.stored
            );
            walls.push(r.wall);
            cpus.push(r.cpu);
            servers.push(after - before);
        }
        let (wall, cpu, server) = (median(walls), median(cpus), median(servers));
        let n = want as f64;
        println!(
            "{store:<9} {workers:>7} {wall:>10.2} {:>12.1} {:>16.3} {:>16.3}",
            n / wall,
            cpu * 1000.0 / n,
            server * 1000.0 / n
        );
        println!(
            "bench-result {{\"store\":\"{store}\",\"workers\":{workers},\"wall_s\":{wall:.3},\"articles_per_s\":{:.1},\"worker_cpu_ms_per_article\":{:.3},\"server_cpu_ms_per_article\":{:.3}}}",
            n / wall,
            cpu * 1000.0 / n,
            server * 1000.0 / n
        );
    }
    if cluster.is_none() {
        println!("PostgreSQL not measured: no server binaries found (set TIDINGS_PG_BIN)");
    }
}
