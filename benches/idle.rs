//! The idle daemon's cost: `tidings run` holding FEEDS feeds (default
//! 10,000) of which almost none is due, for SECONDS seconds (default 600).
//! Prints the daemon's CPU time as a share of one core and its resident
//! memory per feed.
//!
//!     cargo bench --bench idle
//!     FEEDS=2000 SECONDS=60 cargo bench --bench idle
//!     TIDINGS_BIN=/path/to/old/tidings cargo bench --bench idle
//!
//! A first `run --once` polls every feed (each answers an empty feed with a
//! long <ttl>), so that the daemon then starts with every feed scheduled
//! hours ahead, as a long-running daemon mostly is. The last line,
//! `bench-result {json}`, is for `bench/compare/run`.

use std::io::Write;
use std::time::{Duration, Instant};

#[path = "../tests/it/faults.rs"]
#[allow(dead_code)]
mod faults;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// utime + stime of a process, in seconds, and its resident set in KiB.
fn usage(pid: u32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let cpu = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (cpu / ticks, rss)
}

fn main() {
    let feeds = env_u64("FEEDS", 10_000);
    let seconds = env_u64("SECONDS", 600);
    // The tests' hand-written server: one thread and one connection per
    // request, nothing kept alive.
    let server = faults::FaultServer::start();
    let base = server.base("127.0.0.1");
    let body = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><ttl>1440</ttl></channel></rss>";
    for f in 0..feeds {
        server.route(
            &format!("/f{f}.xml"),
            vec![faults::Reply::ok("application/rss+xml", body)],
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = String::from(
        "[store]\ndatabase = \"t.db\"\ncorpus = \"corpus\"\n[fetch]\nallow_private_networks = true\nconcurrency = 32\n\
         per_host_gap = \"0s\"\nper_host_connections = 32\nmax_connections = 64\n[schedule]\ninterval = \"6h\"\n",
    );
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
    // TIDINGS_BIN measures another build (an older commit's) the same way.
    let bin =
        std::env::var_os("TIDINGS_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_tidings").into());
    let t = Instant::now();
    let out = std::process::Command::new(&bin)
        .arg("--config")
        .arg(&cfg_path)
        .args(["run", "--once"])
        .env("TIDINGS_LOG", "error")
        .output()
        .expect("run --once");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "first poll of {feeds} feeds: {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let mut child = std::process::Command::new(&bin)
        .arg("--config")
        .arg(&cfg_path)
        .arg("run")
        .env("TIDINGS_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run");
    // Let it start and settle, then measure.
    std::thread::sleep(Duration::from_secs(5));
    let (cpu0, _) = usage(child.id());
    let t0 = Instant::now();
    let mut peak = 0;
    while t0.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_secs(1));
        peak = peak.max(usage(child.id()).1);
    }
    let (cpu1, rss) = usage(child.id());
    let wall = t0.elapsed().as_secs_f64();
    let _ = child.kill();
    let _ = child.wait();
    println!(
        "idle daemon, {feeds} feeds, {wall:.0} s: CPU {:.3} s = {:.3}% of one core; RSS {:.1} MB (peak {:.1} MB) = {:.2} KB per feed",
        cpu1 - cpu0,
        100.0 * (cpu1 - cpu0) / wall,
        rss as f64 / 1024.0,
        peak as f64 / 1024.0,
        rss as f64 * 1.024 / feeds as f64
    );
    println!(
        "bench-result {}",
        serde_json::json!({
            "stage": "idle",
            "feeds": feeds,
            "seconds": wall,
            "cpu_pct": 100.0 * (cpu1 - cpu0) / wall,
            "rss_mb": rss as f64 / 1024.0,
            "peak_rss_mb": peak as f64 / 1024.0,
        })
    );
}
