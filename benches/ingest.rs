//! End-to-end ingestion benchmark: a local HTTP server with FEEDS feeds of
//! ARTICLES articles each, ingested by the release binary's `run --once`
//! from an empty database. Prints articles per second, CPU time per
//! article and the peak resident memory of the tidings process.
//!
//!     cargo bench --bench ingest                 # 100 feeds x 50 articles
//!     FEEDS=20 ARTICLES=10 cargo bench --bench ingest
//!     ARCHIVE=off cargo bench --bench ingest     # without the WARC archive
//!     TIDINGS_BIN=/path/to/old/tidings cargo bench --bench ingest
//!
//! The server answers from memory on 127.0.0.1, one thread per connection, so
//! the figures are tidings' own cost, not the network's.
//!
//! `INGEST_COMPARE='CMD'` then runs `CMD BASE_URL FEEDS OUT_DIR` (through
//! `sh -c`, so CMD may carry arguments) against the same server and prints
//! the same figures for it: how `bench/compare/run` times the Python
//! cron-job equivalent. Each side also gets a `bench-result {json}` line.

use std::io::Write;
use std::time::Instant;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[path = "../tests/it/synthetic.rs"]
mod synthetic;

#[path = "../tests/it/faults.rs"]
#[allow(dead_code)]
mod faults;

/// A page with realistic furniture around eight paragraphs of text of its
/// own, so no two pages look like copies to dedup.
fn page(feed: usize, art: usize) -> String {
    let body = synthetic::paragraphs(synthetic::seed_of(&format!("{feed}/{art}")), 8, 45);
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Chechnya report {feed}-{art} | Outlet {feed}</title>\
         <meta property=\"og:title\" content=\"Chechnya report {feed}-{art}\"></head><body>\
         <header class=\"site-header\"><nav><a href=\"/\">Home</a> <a href=\"/news\">News</a></nav></header>\
         <main><article><h1>Chechnya report {feed}-{art}</h1><div class=\"share-bar\"><a href=\"#\">Share</a></div>\
         {body}<div class=\"newsletter-box\"><p>Sign up for our newsletter.</p></div></article>\
         <section class=\"related-posts\"><ul><li><a href=\"/x\">Related</a></li></ul></section></main>\
         <footer class=\"site-footer\"><p>© Outlet {feed}</p></footer></body></html>"
    )
}

fn feed(base: &str, feed: usize, articles: usize) -> String {
    let mut items = String::new();
    for a in 0..articles {
        items.push_str(&format!(
            "<item><title>Chechnya report {feed}-{a}</title><link>{base}/f{feed}/a{a}</link><guid>f{feed}-a{a}</guid>\
             <pubDate>Fri, 20 Nov 2026 {h:02}:{m:02}:00 GMT</pubDate></item>",
            h = a % 24,
            m = a % 60
        ));
    }
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Outlet {feed}</title>{items}</channel></rss>")
}

fn main() {
    let feeds = env_usize("FEEDS", 100);
    let articles = env_usize("ARTICLES", 50);
    // The tests' hand-written server: a thread per connection, one request
    // each. (tiny_http's task pool, used here before, now and then left a
    // new connection unread behind idle ones until the client's 30 s
    // timeout, which timed the server, not tidings.)
    let server = faults::FaultServer::start();
    let base = server.base("127.0.0.1");
    for f in 0..feeds {
        server.route(
            &format!("/f{f}.xml"),
            vec![faults::Reply::ok(
                "application/rss+xml",
                feed(&base, f, articles),
            )],
        );
        for a in 0..articles {
            server.route(
                &format!("/f{f}/a{a}"),
                vec![faults::Reply::ok("text/html; charset=utf-8", page(f, a))],
            );
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = String::from(
        "[store]\ndatabase = \"t.db\"\ncorpus = \"corpus\"\n[fetch]\nallow_private_networks = true\nconcurrency = 16\nper_host_gap = \"0s\"\nper_host_connections = 16\nmax_connections = 32\n",
    );
    // The archive is on by default, as in a real run; ARCHIVE=off shows
    // what it costs.
    let archive = std::env::var("ARCHIVE").as_deref() != Ok("off");
    if !archive {
        cfg.push_str("[archive]\nenabled = false\n");
    }
    for f in 0..feeds {
        cfg.push_str(&format!(
            "[[feeds]]\nname = \"f{f}\"\nurl = \"{base}/f{f}.xml\"\n"
        ));
    }
    let cfg_path = dir.path().join("tidings.toml");
    std::fs::File::create(&cfg_path)
        .unwrap()
        .write_all(cfg.as_bytes())
        .unwrap();

    // TIDINGS_BIN runs another build (an older commit's, say) against the
    // same server, for a before/after in one sitting.
    let bin =
        std::env::var_os("TIDINGS_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_tidings").into());
    let mut tidings = std::process::Command::new(bin);
    tidings
        .arg("--config")
        .arg(&cfg_path)
        .args(["run", "--once"])
        .env(
            "TIDINGS_LOG",
            std::env::var("TIDINGS_LOG").unwrap_or_else(|_| "error".into()),
        );
    let (out, m) = measured(tidings);
    let stored = std::fs::read_dir(dir.path().join("corpus"))
        .unwrap()
        .count();
    println!("{}", String::from_utf8_lossy(&out.stdout).trim());
    // Exit 3: some feeds failed; their articles are missing from the
    // count, not from the rate, and the errors are shown.
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    println!("feeds {feeds}, articles per feed {articles}, stored {stored}");
    let warc = tidings::archive::disk_use(&dir.path().join("warc")).unwrap_or_default();
    println!(
        "archive {}: {} files, {} bytes ({:.1} KB per article)",
        if archive { "on" } else { "off" },
        warc.files,
        warc.bytes,
        warc.bytes as f64 / 1024.0 / stored.max(1) as f64
    );
    m.print("tidings", stored);

    if let Ok(cmd) = std::env::var("INGEST_COMPARE") {
        let out_dir = dir.path().join("compare");
        std::fs::create_dir_all(&out_dir).unwrap();
        let mut c = std::process::Command::new("sh");
        c.arg("-c")
            .arg(format!("exec {cmd} \"$@\""))
            .arg("sh")
            .arg(&base)
            .arg(feeds.to_string())
            .arg(&out_dir);
        let (out, m) = measured(c);
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "INGEST_COMPARE command failed");
        let stored = std::fs::read_dir(&out_dir).unwrap().count();
        println!("compare: stored {stored}");
        m.print("compare", stored);
    }
}

/// Wall time, CPU time (user + system) and peak resident memory of one
/// process run to its end.
struct Measure {
    wall: f64,
    cpu: f64,
    peak_kb: i64,
}

impl Measure {
    fn print(&self, who: &str, stored: usize) {
        println!(
            "{who}: wall {:.2} s, {:.0} articles/s, CPU {:.2} s ({:.2} ms per article), peak RSS {:.1} MB",
            self.wall,
            stored as f64 / self.wall,
            self.cpu,
            self.cpu * 1000.0 / stored.max(1) as f64,
            self.peak_kb as f64 / 1024.0
        );
        println!(
            "bench-result {}",
            serde_json::json!({
                "stage": "ingest",
                "who": who,
                "stored": stored,
                "wall_s": self.wall,
                "articles_per_s": stored as f64 / self.wall,
                "cpu_s": self.cpu,
                "cpu_ms_per_article": self.cpu * 1000.0 / stored.max(1) as f64,
                "peak_rss_mb": self.peak_kb as f64 / 1024.0,
            })
        );
    }
}

/// Runs `cmd` with its output captured and reaps it with wait4, which gives
/// this one child's own usage (RUSAGE_CHILDREN would add up every child).
fn measured(mut cmd: std::process::Command) -> (std::process::Output, Measure) {
    use std::io::Read;
    let start = Instant::now();
    // Reaped by the wait4 below, which clippy cannot see.
    #[allow(clippy::zombie_processes)]
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Drain both pipes on threads so a chatty child never blocks on a full
    // pipe while we wait for it.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let to = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        b
    });
    let te = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.read_to_end(&mut b);
        b
    });
    let mut status = 0;
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut u);
        u
    };
    let wall = start.elapsed().as_secs_f64();
    let cpu = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) as f64
        + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) as f64 / 1e6;
    let out = std::process::Output {
        status: std::os::unix::process::ExitStatusExt::from_raw(status),
        stdout: to.join().unwrap(),
        stderr: te.join().unwrap(),
    };
    (
        out,
        Measure {
            wall,
            cpu,
            peak_kb: usage.ru_maxrss,
        },
    )
}
