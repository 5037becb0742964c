//! `tidings run` as a service: systemd notifications and watchdog, signals,
//! config reload, the single-writer lock, the metrics endpoint, the unit
//! files, and crash safety under `kill -9` at many points of an ingestion.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::env::{free_port, is_root, stderr, stdout};

/// A synthetic news site on 127.0.0.1: `feeds` RSS feeds of `per_feed`
/// articles each, every article distinct in words (so dedup keeps them
/// all), served with a delay per request so a test has time to kill.
struct Site {
    base: String,
    hits: Arc<AtomicUsize>,
    _http: crate::env::HttpServer,
    /// (feed path, [(article path, headline)])
    feeds: Vec<(String, Vec<(String, String)>)>,
}

/// Words for synthetic articles: 40 syllable pairs give 1600 words, and a
/// per-article pseudo-random walk over them keeps any two articles far
/// apart for the near-duplicate detector.
fn word(n: u64) -> String {
    const SYL: [&str; 40] = [
        "ka", "lo", "mi", "re", "tu", "sa", "ne", "vo", "pi", "da", "zu", "ho", "fe", "gri", "bar",
        "tol", "men", "sik", "var", "don", "lem", "pra", "sto", "kel", "mur", "tan", "vel", "zor",
        "bri", "cha", "dro", "fen", "gal", "hir", "jon", "kru", "lin", "mor", "nis", "oth",
    ];
    format!(
        "{}{}",
        SYL[(n % 40) as usize],
        SYL[((n / 40) % 40) as usize]
    )
}

fn article_text(seed: u64) -> (String, Vec<String>) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let title = format!(
        "Report {seed}: {} {} {}",
        word(next()),
        word(next()),
        word(next())
    );
    let paragraphs = (0..5)
        .map(|_| {
            let mut p: Vec<String> = (0..40).map(|_| word(next())).collect();
            p[0] = capitalise(&p[0]);
            p.join(" ") + "."
        })
        .collect();
    (title, paragraphs)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

impl Site {
    fn start(feeds: usize, per_feed: usize, delay: Duration) -> Site {
        // Bound first: the pages name their own URLs.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("address").port();
        let base = format!("http://127.0.0.1:{port}");
        let routes: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        let hits = Arc::new(AtomicUsize::new(0));
        let mut listing = Vec::new();
        for f in 0..feeds {
            let mut items = String::new();
            let mut arts = Vec::new();
            for a in 0..per_feed {
                let seed = (f * 1000 + a) as u64 + 1;
                let (title, paragraphs) = article_text(seed);
                let path = format!("/f{f}/a{a}");
                let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
                let html = format!(
                    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
                     <link rel=\"canonical\" href=\"{base}{path}\"></head><body><nav><a href=\"/\">Home</a></nav>\
                     <article><h1>{title}</h1>\n{body}</article><footer>Site footer</footer></body></html>"
                );
                routes.lock().unwrap().insert(path.clone(), html);
                items.push_str(&format!(
                    "<item><title>{title}</title><link>{base}{path}</link><guid>{base}{path}</guid>\
                     <pubDate>Mon, {:02} Nov 2026 {:02}:00:00 GMT</pubDate></item>\n",
                    (a % 28) + 1,
                    f % 24
                ));
                arts.push((path, title));
            }
            let feed_path = format!("/f{f}/rss.xml");
            let rss = format!(
                "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed {f}</title>\
                 <link>{base}/</link>\n{items}</channel></rss>"
            );
            routes.lock().unwrap().insert(feed_path.clone(), rss);
            listing.push((feed_path, arts));
        }
        let (r, h) = (routes.clone(), hits.clone());
        // One request at a time, slowly: the kill lands mid-poll.
        let turn = Mutex::new(());
        let http = crate::env::HttpServer::on(listener, move |req| {
            let _turn = turn.lock().unwrap();
            let path = req.path.split('?').next().unwrap_or("").to_string();
            let body = r.lock().unwrap().get(&path).cloned();
            std::thread::sleep(delay);
            h.fetch_add(1, Ordering::SeqCst);
            match body {
                Some(b) => {
                    let ct = if path.ends_with(".xml") {
                        "application/rss+xml"
                    } else {
                        "text/html; charset=utf-8"
                    };
                    crate::env::Answer {
                        status: 200,
                        headers: vec![("Content-Type".into(), ct.into())],
                        body: b.into_bytes(),
                    }
                }
                None => crate::env::Answer {
                    status: 404,
                    headers: vec![],
                    body: b"not found".to_vec(),
                },
            }
        });
        Site {
            base,
            hits,
            _http: http,
            feeds: listing,
        }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    fn headlines(&self) -> Vec<String> {
        self.feeds
            .iter()
            .flat_map(|(_, a)| a.iter().map(|(_, t)| t.clone()))
            .collect()
    }

    fn requests_per_full_run(&self) -> usize {
        self.feeds.iter().map(|(_, a)| 1 + a.len()).sum()
    }
}

/// A temp dir with the seeds as corpus and a config naming some feeds.
struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    fn new() -> Dir {
        let dir = tempfile::tempdir().expect("temp dir");
        let corpus = dir.path().join("corpus");
        std::fs::create_dir_all(&corpus).unwrap();
        for e in std::fs::read_dir(crate::env::seeds_dir()).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, corpus.join(p.file_name().unwrap())).unwrap();
        }
        Dir { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("tidings.toml")
    }

    fn corpus(&self) -> PathBuf {
        self.dir.path().join("corpus")
    }

    fn write_config(&self, base: &str, feeds: &[&str], extra: &str) {
        let mut t = format!(
            "[store]\ndatabase = \"tidings.db\"\ncorpus = \"corpus\"\n\n[fetch]\nallow_private_networks = true\ntimeout = \"10s\"\nper_host_gap = \"0s\"\nper_host_connections = 8\n{extra}\n"
        );
        for (i, f) in feeds.iter().enumerate() {
            t.push_str(&format!(
                "\n[[feeds]]\nname = \"feed{i}\"\nurl = \"{base}{f}\"\n"
            ));
        }
        std::fs::write(self.config(), t).unwrap();
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidings"));
        cmd.arg("--config")
            .arg(self.config())
            .args(args)
            .env_remove("TIDINGS_CONFIG")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("WATCHDOG_PID")
            .env_remove("JOURNAL_STREAM")
            .env("TIDINGS_LOG", "info")
            .env("TIDINGS_LOG_FORMAT", "text");
        cmd
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        self.command(args).output().expect("run tidings")
    }

    fn spawn(&self, args: &[&str]) -> Daemon {
        spawn(self.command(args))
    }
}

/// Starts a daemon whose stderr is gathered into its log.
pub fn spawn(mut cmd: Command) -> Daemon {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tidings");
    let log = Arc::new(Mutex::new(String::new()));
    let err = child.stderr.take().unwrap();
    let l = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let mut g = l.lock().unwrap();
            g.push_str(&line);
            g.push('\n');
        }
    });
    Daemon { child, log }
}

impl Dir {
    /// Every corpus file: name → text.
    /// The corpus files, without the writer's staged temporaries.
    fn corpus_files(&self) -> Vec<(String, String)> {
        let mut v: Vec<_> = std::fs::read_dir(self.corpus())
            .unwrap()
            .filter(|e| {
                !e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(".tidings-tmp-"))
            })
            .map(|e| {
                let p = e.unwrap().path();
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                (p.file_name().unwrap().to_string_lossy().into_owned(), text)
            })
            .collect();
        v.sort();
        v
    }

    fn export_files(&self) -> Vec<String> {
        let out = self.run(&["export"]);
        assert!(out.status.success(), "export: {}", stderr(&out));
        stdout(&out)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
                v["file"].as_str().expect("file").to_string()
            })
            .collect()
    }
}

pub struct Daemon {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Daemon {
    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log holds `needle` (or panics with the log).
    pub fn wait_log(&self, needle: &str, within: Duration) {
        let start = Instant::now();
        while start.elapsed() < within {
            if self.log().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "no {needle:?} in the log within {within:?}:\n{}",
            self.log()
        );
    }

    /// Waits for the exit status, at most `within`.
    pub fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            if start.elapsed() > within {
                let _ = self.child.kill();
                panic!("tidings did not exit within {within:?}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn wait_until(what: &str, within: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < within {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

/// The invariants a crash must not break, checked after a restart.
fn check_invariants(dir: &Dir, site: &Site, context: &str) {
    let files = dir.corpus_files();
    let names: Vec<&String> = files.iter().map(|(n, _)| n).collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".tidings-tmp-")),
        "{context}: a temporary file is left: {names:?}"
    );
    assert!(
        names
            .iter()
            .all(|n| tidings::corpus::FileName::parse(n).is_some()),
        "{context}: a stray file in the corpus: {names:?}"
    );
    // Every file has its row and every row its file.
    let mut exported = dir.export_files();
    exported.sort();
    let on_disk: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    assert_eq!(exported, on_disk, "{context}: rows and files differ");
    // No pending row survives a restart.
    let db = rusqlite::Connection::open(dir.dir.path().join("tidings.db")).unwrap();
    let pending: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM articles WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pending, 0, "{context}: pending rows after a restart");
    // Sequence numbers and texts are unique.
    let seqs: HashSet<u64> = names
        .iter()
        .filter_map(|n| tidings::corpus::FileName::parse(n).map(|f| f.seq))
        .collect();
    assert_eq!(seqs.len(), names.len(), "{context}: a number is used twice");
    let texts: HashSet<&String> = files.iter().map(|(_, t)| t).collect();
    assert_eq!(
        texts.len(),
        files.len(),
        "{context}: a text is stored twice"
    );
    // Every article of the site is stored exactly once.
    for h in site.headlines() {
        let n = files
            .iter()
            .filter(|(_, t)| t.lines().next() == Some(h.as_str()))
            .count();
        assert_eq!(n, 1, "{context}: {h:?} is stored {n} times");
    }
    assert_eq!(
        files.len(),
        5 + site.headlines().len(),
        "{context}: the seeds plus one file per article"
    );
}

/// `kill -9` at 50 points of an ingestion (in the daemon and in
/// `--once`, after the Nth request the site answered plus a jitter that
/// moves the kill across page fetches, extraction and the two-phase write),
/// then a restart to completion: nothing is lost, half-written, orphaned
/// or stored twice.
#[test]
fn kill_9_at_fifty_points_loses_and_duplicates_nothing() {
    let kill_points = 50;
    let mut killed_mid_run = 0;
    // Restarts that found a half-done article (killed inside the two-phase
    // write): reported, not asserted, as timing decides it.
    let mut repaired = 0;
    for point in 0..kill_points {
        let site = Site::start(3, 4, Duration::from_millis(2));
        let dir = Dir::new();
        let feeds: Vec<&str> = site.feeds.iter().map(|(f, _)| f.as_str()).collect();
        dir.write_config(&site.base, &feeds, "concurrency = 3\n");
        let total = site.requests_per_full_run();
        // Kill after hit 1..=total, then 0-5 ms more: the later points fall
        // inside the last pages' extraction and commit.
        let after_hits = 1 + point % total;
        let jitter = Duration::from_micros(((point * 1237) % 5000) as u64);
        let args: &[&str] = if point % 2 == 0 {
            &["run"]
        } else {
            &["run", "--once"]
        };
        let mut d = dir.spawn(args);
        let start = Instant::now();
        while site.hits() < after_hits && start.elapsed() < Duration::from_secs(20) {
            if d.child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(jitter);
        if d.child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        let _ = d.child.kill(); // SIGKILL
        let _ = d.child.wait();
        // Every third point crashes the restart too, before it finishes.
        if point % 3 == 0 {
            let mut again = dir.spawn(&["run", "--once"]);
            std::thread::sleep(Duration::from_millis(5 + (point % 7) as u64 * 10));
            let _ = again.child.kill();
            let _ = again.child.wait();
        }
        let out = dir.run(&["run", "--once"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "point {point}: restart failed: {}",
            stderr(&out)
        );
        let log = stderr(&out);
        if !log.contains("repaired=0") || !log.contains("dropped=0") {
            repaired += 1;
        }
        check_invariants(
            &dir,
            &site,
            &format!("kill point {point} (after {after_hits} hits + {jitter:?}, {args:?})"),
        );
    }
    eprintln!("{killed_mid_run} of {kill_points} kills landed mid-run; {repaired} restarts repaired a half-done article");
    assert!(
        killed_mid_run >= kill_points * 9 / 10,
        "only {killed_mid_run} of {kill_points} kills landed before the run ended"
    );
}

/// Collects the datagrams tidings sends to `$NOTIFY_SOCKET`.
fn notify_socket(dir: &Path) -> (PathBuf, Arc<Mutex<Vec<String>>>) {
    let path = dir.join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let g = got.clone();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 4096];
        while let Ok(n) = sock.recv(&mut buf) {
            g.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    });
    (path, got)
}

fn http_get(port: u16, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect metrics");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// The value of a metric sample in a /metrics response.
fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn tells_systemd_ready_status_watchdog_and_stopping_and_serves_metrics() {
    let site = Site::start(2, 2, Duration::from_millis(1));
    let dir = Dir::new();
    let feeds: Vec<&str> = site.feeds.iter().map(|(f, _)| f.as_str()).collect();
    dir.write_config(&site.base, &feeds, "");
    let (sock, got) = notify_socket(dir.dir.path());
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = dir.command(&["run", "--metrics", &addr]);
    cmd.env("NOTIFY_SOCKET", &sock)
        .env("WATCHDOG_USEC", "400000");
    let mut d = spawn(cmd);
    let has = |prefix: &str| {
        got.lock()
            .unwrap()
            .iter()
            .any(|m| m.lines().any(|l| l.starts_with(prefix)))
    };
    wait_until("READY=1", Duration::from_secs(20), || has("READY=1"));
    wait_until("all four articles stored", Duration::from_secs(20), || {
        dir.corpus_files().len() == 9
    });
    // Several watchdog periods pass: the pings keep coming.
    let count = |m: &str| got.lock().unwrap().iter().filter(|x| *x == m).count();
    let before = count("WATCHDOG=1");
    std::thread::sleep(Duration::from_millis(900));
    assert!(
        count("WATCHDOG=1") >= before + 3,
        "watchdog pings stopped: {:?}",
        got.lock().unwrap()
    );
    assert!(has("STATUS="), "{:?}", got.lock().unwrap());
    let first = got.lock().unwrap()[0].clone();
    assert!(first.starts_with("STATUS=opening"), "{first}");

    let health = http_get(port, "/healthz");
    assert!(health.starts_with("HTTP/1.0 200"), "{health}");
    let metrics = http_get(port, "/metrics");
    assert!(metrics.starts_with("HTTP/1.0 200"), "{metrics}");
    assert_eq!(sample(&metrics, "tidings_articles_stored_total"), Some(4.0));
    assert_eq!(
        sample(&metrics, "tidings_polls_total{outcome=\"ok\"}"),
        Some(2.0)
    );
    assert_eq!(sample(&metrics, "tidings_feeds"), Some(2.0));
    assert_eq!(sample(&metrics, "tidings_corpus_files"), Some(9.0));
    assert_eq!(
        sample(&metrics, "tidings_poll_duration_seconds_count"),
        Some(2.0)
    );
    let methods: f64 = metrics
        .lines()
        .filter(|l| l.starts_with("tidings_articles_by_method_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(methods, 4.0, "{metrics}");
    assert!(http_get(port, "/nope").starts_with("HTTP/1.0 404"));

    d.signal("TERM");
    let status = d.wait_exit(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0));
    std::thread::sleep(Duration::from_millis(100));
    let msgs = got.lock().unwrap().clone();
    let stopping = msgs
        .iter()
        .position(|m| m.starts_with("STOPPING=1"))
        .unwrap_or_else(|| panic!("no STOPPING=1: {msgs:?}"));
    let ready = msgs.iter().position(|m| m.starts_with("READY=1")).unwrap();
    assert!(ready < stopping, "{msgs:?}");
    // The endpoint goes away with the daemon.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

/// Regression: the delivery loop kept the config it started with, so a
/// sink added by SIGHUP never heard of anything (with no sink at start
/// there was no loop at all); and once a loop that waits while there are no
/// sinks was added, what was queued for the last sink removed never expired.
#[test]
fn sinks_added_and_removed_by_sighup_take_effect() {
    let site = Site::start(3, 1, Duration::from_millis(1));
    let hook = crate::env::Server::start();
    let dir = Dir::new();
    let (f0, f1, f2) = (&site.feeds[0].0, &site.feeds[1].0, &site.feeds[2].0);
    dir.write_config(&site.base, &[f0], "");
    // --alert: a feed's first poll alerts too, so a feed alerts when added.
    let mut d = dir.spawn(&["run", "--alert"]);
    wait_until("feed 0's article", Duration::from_secs(20), || {
        dir.corpus_files().len() == 6
    });
    let sink = format!(
        "\n[[alerts]]\nname = \"desk\"\nkind = \"webhook\"\nurl = \"{}/hook\"\nretry = \"1h\"\n",
        hook.base
    );
    dir.write_config(&site.base, &[f0, f1], &sink);
    d.signal("HUP");
    d.wait_log("config reloaded", Duration::from_secs(20));
    assert!(d.log().contains("added=feed1"), "{}", d.log());
    wait_until(
        "the alert for feed 1's article",
        Duration::from_secs(20),
        || !hook.delivered("/hook").is_empty(),
    );
    // The sink now fails: feed 2's alert stays queued (retry in an hour).
    hook.fail_posts(&[true; 8]);
    dir.write_config(&site.base, &[f0, f1, f2], &sink);
    d.signal("HUP");
    let db = dir.dir.path().join("tidings.db");
    let outbox = || {
        tidings::store::Store::open(&db)
            .unwrap()
            .outbox_counts()
            .unwrap()
    };
    wait_until("feed 2's alert queued", Duration::from_secs(20), || {
        outbox().0 == 1
    });
    // Every sink removed: what was queued for it expires.
    dir.write_config(&site.base, &[f0, f1, f2], "");
    d.signal("HUP");
    wait_until("the queued alert expired", Duration::from_secs(20), || {
        outbox() == (0, 1, 1)
    });
    assert_eq!(outbox(), (0, 1, 1), "{}", d.log());
    let got = hook.delivered("/hook");
    assert_eq!(got.len(), 1, "{}", d.log());
    let body = got[0].json();
    assert_eq!(body["event"], "new_article");
    assert_eq!(body["article"]["feed"], "feed1");
    // The stop no longer waits out the 30 s deadline for a delivery loop
    // that was only told to stop after it.
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(20)).code(), Some(0));
    assert!(!d.log().contains("still running"), "{}", d.log());
}

/// A daemon on a one-feed site, once it has stored the feed's two
/// articles beside the five seeds.
fn daemon_with_its_articles() -> (Site, Dir, Daemon) {
    let site = Site::start(1, 2, Duration::from_millis(1));
    let dir = Dir::new();
    dir.write_config(&site.base, &[&site.feeds[0].0], "");
    let d = dir.spawn(&["run"]);
    wait_until("both articles", Duration::from_secs(20), || {
        dir.corpus_files().len() == 7
    });
    (site, dir, d)
}

#[test]
fn second_writer_is_refused_while_readers_work() {
    let (_site, dir, mut d) = daemon_with_its_articles();
    for args in [&["run"][..], &["run", "--once"]] {
        let out = dir.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("is in use by another tidings")
                && err.contains(&format!("(pid {})", d.pid())),
            "{args:?}: {err}"
        );
    }
    let status = dir.run(&["status"]);
    assert!(status.status.success(), "{}", stderr(&status));
    assert!(stdout(&status).contains("feed0"), "{}", stdout(&status));
    assert_eq!(dir.export_files().len(), 7);
    let (headline, _) = article_text(1);
    let word = headline.split(' ').next_back().unwrap();
    let search = dir.run(&["search", word]);
    assert!(search.status.success(), "{}", stderr(&search));
    // The matched word is marked [like this] in a pipe.
    let found = stdout(&search).replace(['[', ']'], "");
    assert!(found.contains(&headline), "{}", stdout(&search));
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(20)).code(), Some(0));
    // With the daemon gone the lock is free again.
    let out = dir.run(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_second_database_on_the_corpus_or_the_database_through_a_symlink_is_refused() {
    let (_site, dir, mut d) = daemon_with_its_articles();
    let state = dir.dir.path();
    std::os::unix::fs::symlink(state.join("tidings.db"), state.join("link.db")).unwrap();
    let config = std::fs::read_to_string(dir.config()).unwrap();
    for (db, want) in [("other.db", "corpus "), ("link.db", "database ")] {
        let path = state.join(format!("{db}.toml"));
        std::fs::write(&path, config.replace("tidings.db", db)).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_tidings"))
            .arg("--config")
            .arg(&path)
            .args(["run", "--once"])
            .env_remove("TIDINGS_CONFIG")
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{db}: {err}");
        assert!(
            err.contains(want) && err.contains("is in use by another tidings"),
            "{db}: {err}"
        );
    }
    assert!(
        !state.join("other.db").exists(),
        "the refused run opened a store"
    );
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(20)).code(), Some(0));
}

#[test]
fn journald_lines_carry_syslog_priorities_and_json_is_json() {
    let dir = Dir::new();
    // A feed that fails: a WARN line; the start: INFO lines.
    dir.write_config("http://127.0.0.1:9", &["/nothing.xml"], "");
    let out = dir
        .command(&["run", "--once"])
        .env("TIDINGS_LOG_FORMAT", "journal")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(err.lines().any(|l| l.starts_with("<6>")), "{err}");
    assert!(err.lines().any(|l| l.starts_with("<4>")), "{err}");
    assert!(
        err.lines()
            .all(|l| l.starts_with('<') || l.starts_with("tidings: ")),
        "{err}"
    );
    let out = dir
        .command(&["run", "--once", "--force"])
        .env("TIDINGS_LOG_FORMAT", "json")
        .output()
        .unwrap();
    for line in stderr(&out).lines().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
        assert!(v["level"].is_string(), "{line}");
    }
    assert!(stderr(&out).lines().any(|l| l.contains("\"WARN\"")));
}

/// The unit files, with ExecStart pointed at the built binary.
fn units(dir: &Path) -> Vec<PathBuf> {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let mut out = Vec::new();
    for name in [
        "tidings.service",
        "tidings-once.service",
        "tidings-once.timer",
    ] {
        let text = std::fs::read_to_string(deploy.join(name)).expect(name);
        let text = text.replace("/usr/local/bin/tidings", env!("CARGO_BIN_EXE_tidings"));
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        out.push(p);
    }
    out
}

fn systemd_analyze() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")?
        .to_string_lossy()
        .split(':')
        .map(|d| Path::new(d).join("systemd-analyze"))
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!("SKIPPED: systemd-analyze is not installed (.ci/run installs it)");
    }
    found
}

#[test]
fn units_verify_and_the_service_is_well_sandboxed() {
    let Some(analyze) = systemd_analyze() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let units = units(tmp.path());
    let out = Command::new(&analyze)
        .arg("verify")
        .args(&units)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}",
        stderr(&out)
    );
    for unit in &units[..2] {
        let out = Command::new(&analyze)
            // systemd 252 takes the threshold in tenths: 20 is an exposure of 2.0.
            .args(["security", "--offline=yes", "--threshold=20", "--no-pager"])
            .arg(unit)
            .output()
            .unwrap();
        let text = stdout(&out);
        let score: f64 = text
            .lines()
            .find_map(|l| l.split("Overall exposure level for ").nth(1))
            .and_then(|l| l.split(": ").nth(1))
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no exposure score: {text}{}", stderr(&out)));
        assert!(
            out.status.success() && score <= 2.0,
            "{}: exposure {score} > 2.0:\n{text}",
            unit.display()
        );
    }
}

#[test]
fn run_flags_are_checked() {
    let dir = Dir::new();
    dir.write_config("http://127.0.0.1:9", &[], "");
    let out = dir.run(&["run", "--shutdown-deadline", "soon"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = dir.run(&["run", "--metrics", "not-an-address"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// SIGTERM mid-poll: with time enough the poll finishes and its articles
/// are stored; with a short deadline tidings stops anyway. Either way it
/// exits 0 and a restart completes the corpus with nothing half-written.
/// (The daemon's loop is tested for the same in paused time, in
/// `daemon::tests`; here `run --once` and a real poll cut short.)
#[test]
fn sigterm_finishes_polls_in_flight_up_to_the_deadline() {
    // (args, deadline, the site's delay per request, whether the poll ends
    // before the deadline): 4 requests of 500 ms do not fit in 1 s.
    for (args, deadline, delay, finishes) in [
        (&["run", "--once"][..], "20s", 150, true),
        (&["run", "--once"][..], "1s", 500, false),
    ] {
        let site = Site::start(1, 3, Duration::from_millis(delay));
        let dir = Dir::new();
        dir.write_config(&site.base, &[&site.feeds[0].0], "");
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--shutdown-deadline", deadline]);
        let mut d = dir.spawn(&all);
        let start = Instant::now();
        while site.hits() < 1 {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{all:?}: no request:\n{}",
                d.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let signalled = Instant::now();
        d.signal("TERM");
        let status = d.wait_exit(Duration::from_secs(20));
        let context = format!("{all:?}");
        assert_eq!(status.code(), Some(0), "{context}:\n{}", d.log());
        let stored = dir.corpus_files().len() - 5;
        if finishes {
            assert_eq!(
                stored,
                3,
                "{context}: the poll in flight was cut:\n{}",
                d.log()
            );
        } else {
            assert!(
                signalled.elapsed() < Duration::from_secs(3),
                "{context}: the deadline was not kept"
            );
            assert!(stored < 3, "{context}: finished before the deadline anyway");
            assert!(
                d.log().contains("stopping anyway"),
                "{context}:\n{}",
                d.log()
            );
        }
        let out = dir.run(&["run", "--once"]);
        assert_eq!(out.status.code(), Some(0), "{context}: {}", stderr(&out));
        check_invariants(&dir, &site, &context);
    }
}

/// Ctrl-C: the first lets the polls in flight finish (within the
/// deadline), a second stops at once; either way the exit status says the
/// run was interrupted (130), where it was 0 and a second Ctrl-C was
/// ignored until the deadline. (The daemon's second Ctrl-C is tested in
/// paused time, in `daemon::tests`.)
#[test]
fn ctrl_c_finishes_in_flight_then_a_second_stops_now_exit_130() {
    // (args, the site's delay per request, a second Ctrl-C): 4 requests of
    // 3 s take 12 s, far beyond the moment of the second signal.
    for (args, delay, twice) in [
        (&["run"][..], 150, false),
        (&["run", "--once"][..], 150, false),
        (&["run", "--once"][..], 3000, true),
    ] {
        let site = Site::start(1, 3, Duration::from_millis(delay));
        let dir = Dir::new();
        dir.write_config(&site.base, &[&site.feeds[0].0], "");
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--shutdown-deadline", "60s"]);
        let mut d = dir.spawn(&all);
        wait_until("a first request", Duration::from_secs(20), || {
            site.hits() >= 1
        });
        d.signal("INT");
        let context = format!("{all:?}, twice: {twice}");
        if twice {
            d.wait_log("signal again to stop now", Duration::from_secs(10));
            let second = Instant::now();
            d.signal("INT");
            let status = d.wait_exit(Duration::from_secs(30));
            assert!(
                second.elapsed() < Duration::from_secs(6),
                "{context}: the second Ctrl-C did not stop it now:\n{}",
                d.log()
            );
            assert_eq!(status.code(), Some(130), "{context}:\n{}", d.log());
            assert!(
                d.log().contains("again: stopping now"),
                "{context}:\n{}",
                d.log()
            );
        } else {
            let status = d.wait_exit(Duration::from_secs(30));
            assert_eq!(status.code(), Some(130), "{context}:\n{}", d.log());
            assert_eq!(
                dir.corpus_files().len() - 5,
                3,
                "{context}: the poll in flight was cut:\n{}",
                d.log()
            );
        }
        // The site answers one request at a time: what the stopped run
        // left queued there (its pages are fetched several at once) must
        // drain before the next run's requests get their turn in time.
        let started = Instant::now();
        loop {
            let before = site.hits();
            std::thread::sleep(Duration::from_millis(delay) + Duration::from_millis(500));
            if site.hits() == before || started.elapsed() > Duration::from_secs(60) {
                break;
            }
        }
        let out = dir.run(&["run", "--once"]);
        assert_eq!(out.status.code(), Some(0), "{context}: {}", stderr(&out));
        check_invariants(&dir, &site, &context);
    }
}

fn tool(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// As close to tidings.service's sandbox as a machine without systemd as
/// PID 1 allows: a private mount namespace where everything is read-only
/// but the state directory (ProtectSystem=strict), empty /root and /home
/// (ProtectHome), a user that owns nothing else (DynamicUser), no
/// capabilities (CapabilityBoundingSet=), NoNewPrivileges, and, when the
/// kernel has it, MemoryDenyWriteExecute (prctl PR_SET_MDWE). The daemon
/// starts, says READY, ingests, and stops cleanly on SIGTERM.
#[test]
fn sandboxed_daemon_ingests_and_stops_cleanly() {
    if !(is_root() && tool("unshare") && tool("setpriv")) {
        eprintln!("SKIPPED: the sandbox test needs root, unshare and setpriv");
        return;
    }
    let probe = Command::new("unshare")
        .args(["--mount", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !probe {
        eprintln!("SKIPPED: this machine does not allow mount namespaces");
        return;
    }
    let site = Site::start(2, 2, Duration::from_millis(1));
    let dir = Dir::new();
    let feeds: Vec<&str> = site.feeds.iter().map(|(f, _)| f.as_str()).collect();
    dir.write_config(&site.base, &feeds, "");
    let (sock, got) = notify_socket(dir.dir.path());
    let state = dir.dir.path();
    const UID: &str = "61999";
    let ok = Command::new("chown")
        .args(["-R", &format!("{UID}:{UID}")])
        .arg(state)
        .status()
        .unwrap()
        .success();
    assert!(ok, "chown the state directory");
    std::fs::set_permissions(&sock, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    let mdwe = if tool("python3") {
        "python3 -c 'import ctypes,os,sys; l=ctypes.CDLL(None); r=l.prctl(65,1,0,0,0); os.execvp(sys.argv[1],sys.argv[1:])'"
    } else {
        ""
    };
    let script = format!(
        r#"set -e
mount --make-rprivate /
mount --bind "$STATE" "$STATE"
for m in $(awk '{{print $5}}' /proc/self/mountinfo | sort -r); do
  [ "$m" = "$STATE" ] && continue
  mount -o remount,bind,ro "$m" 2>/dev/null || true
done
for h in /root /home; do [ -d "$h" ] && mount -t tmpfs -o ro,mode=0755 tmpfs "$h"; done
cd "$STATE"
exec {mdwe} setpriv --reuid={UID} --regid={UID} --clear-groups --no-new-privs \
  --bounding-set=-all --inh-caps=-all "$TIDINGS" --config "$STATE/tidings.toml" run
"#
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--fork", "sh", "-c", &script])
        .env("STATE", state)
        .env("TIDINGS", env!("CARGO_BIN_EXE_tidings"))
        .env("NOTIFY_SOCKET", &sock)
        .env("WATCHDOG_USEC", "1000000")
        .env("TIDINGS_LOG", "info")
        .env("TIDINGS_LOG_FORMAT", "text")
        .env_remove("TIDINGS_CONFIG")
        .env_remove("JOURNAL_STREAM");
    let mut d = spawn(cmd);
    let has = |prefix: &str| {
        got.lock()
            .unwrap()
            .iter()
            .any(|m| m.lines().any(|l| l.starts_with(prefix)))
    };
    let start = Instant::now();
    while !has("READY=1") {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no READY=1 from the sandbox:\n{}",
            d.log()
        );
        assert!(d.child.try_wait().unwrap().is_none(), "died:\n{}", d.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    wait_until("four articles", Duration::from_secs(20), || {
        dir.corpus_files().len() == 9
    });
    wait_until("a watchdog ping", Duration::from_secs(5), || {
        has("WATCHDOG=1")
    });
    // tidings itself (not the unshare wrapper) gets the SIGTERM: its pid is
    // in the lock file.
    let pid = std::fs::read_to_string(state.join("tidings.db.lock")).unwrap();
    let ok = Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    assert_eq!(
        d.wait_exit(Duration::from_secs(20)).code(),
        Some(0),
        "{}",
        d.log()
    );
    assert!(has("STOPPING=1"));
    let log = d.log();
    assert!(!log.contains("ERROR") && !log.contains("WARN"), "{log}");
    // The files belong to the sandbox's user, as under DynamicUser.
    let out = Command::new("stat")
        .args(["-c", "%u"])
        .arg(state.join("tidings.db"))
        .output()
        .unwrap();
    assert_eq!(stdout(&out).trim(), UID);
    check_invariants(&dir, &site, "sandboxed daemon");
}

/// systemd's watchdog runs from the start: while a large corpus is being
/// indexed, tidings pings it, and READY=1 follows.
#[test]
fn watchdog_is_pinged_while_the_corpus_is_indexed() {
    let dir = Dir::new();
    for i in 0..300u64 {
        let text = format!(
            "Headline {i}\n\n{}",
            (0..200)
                .map(|w| word(i * 7919 + w))
                .collect::<Vec<_>>()
                .join(" ")
        );
        std::fs::write(
            dir.corpus().join(format!("{:03}_{:016x}.txt", i + 10, i)),
            text,
        )
        .unwrap();
    }
    dir.write_config("http://127.0.0.1:9", &[], "");
    let (sock, got) = notify_socket(dir.dir.path());
    let mut cmd = dir.command(&["run"]);
    cmd.env("NOTIFY_SOCKET", &sock)
        .env("WATCHDOG_USEC", "40000");
    let mut d = spawn(cmd);
    wait_until("READY=1", Duration::from_secs(30), || {
        got.lock().unwrap().iter().any(|m| m.starts_with("READY=1"))
    });
    let msgs = got.lock().unwrap().clone();
    let ready = msgs.iter().position(|m| m.starts_with("READY=1")).unwrap();
    assert!(
        msgs[..ready].iter().any(|m| m == "WATCHDOG=1"),
        "no ping before READY: {msgs:?}"
    );
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(20)).code(), Some(0));
}

/// The states a crash can leave, made by hand so each is covered whatever
/// the timing: a row still pending whose file was written (finished at
/// restart, not fetched again), a row pending whose file never appeared
/// (dropped, and the article fetched again), and a half-written temporary
/// file (removed).
#[test]
fn restart_reconciles_each_state_a_crash_can_leave() {
    let site = Site::start(1, 3, Duration::from_millis(1));
    let dir = Dir::new();
    dir.write_config(&site.base, &[&site.feeds[0].0], "");
    let out = dir.run(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let files = dir.corpus_files();
    assert_eq!(files.len(), 8);
    let db = rusqlite::Connection::open(dir.dir.path().join("tidings.db")).unwrap();
    let row = |id: u64| -> String {
        db.query_row("SELECT file FROM articles WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let (written, lost) = (row(7), row(6));
    for id in [6u64, 7] {
        db.execute("UPDATE articles SET state = 'pending' WHERE id = ?1", [id])
            .unwrap();
        db.execute("DELETE FROM entries WHERE article = ?1", [id])
            .unwrap();
    }
    drop(db);
    std::fs::remove_file(dir.corpus().join(&lost)).unwrap();
    let tmp = dir.corpus().join(format!(".tidings-tmp-4242-{lost}"));
    std::fs::write(&tmp, "Half a headl").unwrap();
    let hits_before = site.hits();

    let out = dir.run(&["run", "--once", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(
        log.contains("repaired=1") && log.contains("dropped=1"),
        "{log}"
    );
    assert!(!tmp.exists(), "the temporary file is still there");
    assert!(dir.corpus().join(&written).exists());
    // Only the lost article's page was fetched again (plus the feed).
    assert_eq!(site.hits() - hits_before, 2);
    check_invariants(&dir, &site, "hand-made crash states");
}

/// Regression: the deadline bounds the exit even while a commit waits on
/// a blocked writer (another connection holds the database's write lock,
/// so each write waits out SQLite's 10 s busy timeout on a blocking
/// thread). The loop read the schedule behind that writer before it
/// looked at signals, and dropping the runtime waited for the blocking
/// work without limit: the exit took 10 s and more with a 1 s deadline.
#[test]
fn the_deadline_bounds_the_exit_while_the_writer_is_blocked() {
    for args in [&["run"][..], &["run", "--once"][..]] {
        let site = Site::start(1, 3, Duration::from_millis(300));
        let dir = Dir::new();
        dir.write_config(&site.base, &[&site.feeds[0].0], "");
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--shutdown-deadline", "1s"]);
        let mut d = dir.spawn(&all);
        wait_until("the feed's request", Duration::from_secs(20), || {
            site.hits() >= 1
        });
        let db = rusqlite::Connection::open(dir.dir.path().join("tidings.db")).unwrap();
        db.execute_batch("BEGIN EXCLUSIVE").unwrap();
        // The pages fetched and extracted: the commit waits for the lock.
        wait_until("the pages' requests", Duration::from_secs(20), || {
            site.hits() >= 4
        });
        std::thread::sleep(Duration::from_millis(1500));
        let signalled = Instant::now();
        d.signal("TERM");
        let status = d.wait_exit(Duration::from_secs(60));
        let took = signalled.elapsed();
        let context = format!("{all:?}");
        assert!(
            took < Duration::from_secs(4),
            "{context}: exit took {took:?} with a 1 s deadline:\n{}",
            d.log()
        );
        assert!(status.code().is_some(), "{context}: killed:\n{}", d.log());
        db.execute_batch("ROLLBACK").unwrap();
        drop(db);
        let out = dir.run(&["run", "--once"]);
        assert_eq!(out.status.code(), Some(0), "{context}: {}", stderr(&out));
        check_invariants(&dir, &site, &context);
    }
}
