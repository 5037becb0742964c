//! Service figures, medians of repeated runs of the real binary:
//! start to READY=1 (first start importing the corpus, and a restart),
//! SIGTERM (sent as READY=1 arrives) to exit, a /metrics scrape, and
//! rendering the metrics.
//!
//!     cargo bench --bench service
//!     TIDINGS_BIN=/path/to/old/tidings cargo bench --bench service
//!
//! Plain `Instant`, no harness. SIGTERM to exit is given apart after the
//! first start (its exit checkpoints the import's log into the database
//! file, an fsync-bound few MB) and after a restart (little to
//! checkpoint): one median of the two kinds together would be the fastest
//! of the one or the slowest of the other, whichever the disk favoured.
//!
//! The binary `cargo bench` builds carries tokio's `test-util` (a
//! dev-dependency of the daemon's paused-time tests, and Cargo unifies
//! dev-dependency features into what a bench builds); the shipped one,
//! `cargo build --release`, does not. Compare builds made the same way.

use std::io::{Read, Write};
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tidings::model::FeedOutcome;
use tidings::service::metrics::Metrics;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn corpus(dir: &Path, files: usize) {
    let c = dir.join("corpus");
    std::fs::create_dir_all(&c).unwrap();
    for i in 0..files {
        let words: String = (0..300).map(|w| format!("w{}x{} ", i, w % 97)).collect();
        std::fs::write(
            c.join(format!("{i:03}_{:016x}.txt", i as u64 * 7919)),
            format!("Headline {i}\n\n{}", words.trim_end()),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("t.toml"),
        "[store]\ndatabase = \"t.db\"\ncorpus = \"corpus\"\n",
    )
    .unwrap();
}

/// Starts `tidings run` and returns it once READY=1 has arrived.
fn start(dir: &Path, extra: &[&str]) -> (Child, Duration, UnixDatagram) {
    let sock_path = dir.join("n.sock");
    let _ = std::fs::remove_file(&sock_path);
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let t = Instant::now();
    let mut child = Command::new(tidings())
        .arg("--config")
        .arg(dir.join("t.toml"))
        .arg("run")
        .args(extra)
        .env("NOTIFY_SOCKET", &sock_path)
        .env("TIDINGS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 512];
    loop {
        let Ok(n) = sock.recv(&mut buf) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no READY=1 within 60 s");
        };
        if buf[..n].starts_with(b"READY=1") {
            return (child, t.elapsed(), sock);
        }
    }
}

/// The binary measured: this tree's, or `TIDINGS_BIN` (another build, an
/// older commit's say, for a before/after in one sitting).
fn tidings() -> std::ffi::OsString {
    std::env::var_os("TIDINGS_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_tidings").into())
}

/// SIGTERM, sent from this process (spawning `kill` would time the spawn),
/// to the child's exit.
fn stop(mut child: Child) -> Duration {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let t = Instant::now();
    // SAFETY: kill(2) with a pid this process spawned and has not reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert!(status.success());
    t.elapsed()
}

fn main() {
    // RUNS: more runs for steadier medians on a busy machine.
    let runs = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9);
    for files in [5, 2000] {
        let (mut first, mut again) = (vec![], vec![]);
        let (mut first_stops, mut stops) = (vec![], vec![]);
        for _ in 0..runs {
            let dir = tempfile::tempdir().unwrap();
            corpus(dir.path(), files);
            let (c, d, _s) = start(dir.path(), &[]);
            first.push(d);
            first_stops.push(stop(c));
            let (c, d, _s) = start(dir.path(), &[]);
            again.push(d);
            stops.push(stop(c));
        }
        println!(
            "corpus of {files:>4} files: start to READY {:>8.1?} (first start, importing) {:>8.1?} (restart); SIGTERM to exit {:>6.1?} (first start) {:>6.1?} (restart)",
            median(first),
            median(again),
            median(first_stops),
            median(stops)
        );
    }

    let dir = tempfile::tempdir().unwrap();
    corpus(dir.path(), 5);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (c, _, _s) = start(dir.path(), &["--metrics", &format!("127.0.0.1:{port}")]);
    let mut scrapes = vec![];
    for _ in 0..200 {
        let t = Instant::now();
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        assert!(out.starts_with(b"HTTP/1.0 200"));
        scrapes.push(t.elapsed());
    }
    stop(c);
    println!("/metrics scrape over loopback: {:>8.1?}", median(scrapes));

    let m = Metrics::new();
    let out = FeedOutcome {
        feed: "f".into(),
        stored: 1,
        ..Default::default()
    };
    let mut renders = vec![];
    let mut size = 0;
    for i in 0..2000 {
        m.poll_finished(&out, Duration::from_millis(i % 900), 1_700_000_000);
        m.article_extracted(if i % 3 == 0 { "feed" } else { "article" });
        let t = Instant::now();
        size = std::hint::black_box(m.render()).len();
        renders.push(t.elapsed());
    }
    println!("Metrics::render ({size} bytes): {:>8.1?}", median(renders));
}
