//! A per-test environment: a temp dir with a corpus (the seeds), a config,
//! and a local HTTP server whose routes the test sets.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn read_fixture(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// A request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The status the server answered.
    pub status: u16,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Clone)]
pub struct Route {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Headers sent besides Content-Type.
    pub headers: Vec<(String, String)>,
}

/// A request as [`HttpServer`] read it.
pub struct Request {
    pub method: String,
    /// The path with its query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What [`HttpServer`] answers.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A real HTTP/1.1 server on 127.0.0.1 with a random port, written by
/// hand: a thread per connection, one request each (`Connection: close`).
/// tiny_http's task pool, used before, now and then left a new connection
/// unread behind idle keep-alive ones until the client timed out (see
/// benches/ingest.rs); with a feed's pages fetched at once, often.
pub struct HttpServer {
    pub port: u16,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    pub fn start(handler: impl Fn(Request) -> Answer + Send + Sync + 'static) -> HttpServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        HttpServer::on(listener, handler)
    }

    /// Serves on a listener already bound (for pages that name their own
    /// address).
    pub fn on(
        listener: std::net::TcpListener,
        handler: impl Fn(Request) -> Answer + Send + Sync + 'static,
    ) -> HttpServer {
        use std::sync::atomic::Ordering;
        let port = listener.local_addr().expect("address").port();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let handler = Arc::new(handler);
        let done = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if done.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let handler = handler.clone();
                std::thread::spawn(move || {
                    let _ = answer(stream, &*handler);
                });
            }
        });
        HttpServer {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request from the connection and writes the handler's answer.
fn answer(stream: std::net::TcpStream, handler: &dyn Fn(Request) -> Answer) -> std::io::Result<()> {
    use std::io::{BufRead, Read, Write};
    let mut w = stream.try_clone()?;
    let mut r = std::io::BufReader::new(stream);
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(());
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut l = String::new();
        if r.read_line(&mut l)? == 0 || l == "\r\n" || l == "\n" {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    r.read_exact(&mut body)?;
    let a = handler(Request {
        method,
        path,
        headers,
        body,
    });
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        a.status,
        if a.status == 200 { "OK" } else { "Status" },
        a.body.len()
    );
    for (k, v) in &a.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    w.write_all(&a.body)?;
    w.flush()
}

/// A test site on an [`HttpServer`]: routes set by the test, POSTs
/// recorded (and failed on request).
pub struct Server {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    pub hits: Arc<Mutex<Vec<String>>>,
    /// Every POST, in order, with what was answered.
    pub posts: Arc<Mutex<Vec<Seen>>>,
    /// A script for POSTs: each pops the front; `true` answers 500.
    pub post_failures: Arc<Mutex<std::collections::VecDeque<bool>>>,
    _http: HttpServer,
}

impl Server {
    pub fn start() -> Server {
        let routes: Arc<Mutex<HashMap<String, Route>>> = Arc::default();
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let posts: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let post_failures: Arc<Mutex<std::collections::VecDeque<bool>>> = Arc::default();
        let (r, h) = (routes.clone(), hits.clone());
        let (p, pf) = (posts.clone(), post_failures.clone());
        let http = HttpServer::start(move |req| {
            h.lock().unwrap().push(req.path.clone());
            if req.method == "POST" {
                let fail = pf.lock().unwrap().pop_front().unwrap_or(false);
                let status = if fail { 500 } else { 200 };
                p.lock().unwrap().push(Seen {
                    path: req.path.clone(),
                    headers: req.headers,
                    body: req.body,
                    status,
                });
                return Answer {
                    status,
                    headers: vec![],
                    body: if fail {
                        b"down".to_vec()
                    } else {
                        b"ok".to_vec()
                    },
                };
            }
            let route = r
                .lock()
                .unwrap()
                .get(req.path.split('?').next().unwrap_or(""))
                .cloned();
            match route {
                Some(rt) => {
                    let mut headers = vec![("Content-Type".to_string(), rt.content_type)];
                    headers.extend(rt.headers);
                    Answer {
                        status: rt.status,
                        headers,
                        body: rt.body,
                    }
                }
                None => Answer {
                    status: 404,
                    headers: vec![],
                    body: b"not found".to_vec(),
                },
            }
        });
        Server {
            base: format!("http://127.0.0.1:{}", http.port),
            routes,
            hits,
            posts,
            post_failures,
            _http: http,
        }
    }

    pub fn route(&self, path: &str, status: u16, content_type: &str, body: impl Into<Vec<u8>>) {
        self.route_with_headers(path, status, content_type, &[], body);
    }

    /// A route that sends more headers (Content-Encoding, …).
    pub fn route_with_headers(
        &self,
        path: &str,
        status: u16,
        content_type: &str,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) {
        let route = Route {
            status,
            content_type: content_type.into(),
            body: body.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        self.routes.lock().unwrap().insert(path.to_string(), route);
    }

    /// Serves a fixture file with `{{BASE}}` replaced by this server's URL.
    pub fn fixture(&self, path: &str, content_type: &str, name: &str) {
        let body = read_fixture(name).replace("{{BASE}}", &self.base);
        self.route(path, 200, content_type, body);
    }

    /// The POSTs to a path that were answered 200.
    pub fn delivered(&self, path: &str) -> Vec<Seen> {
        self.posts
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.path == path && p.status == 200)
            .cloned()
            .collect()
    }

    pub fn fail_posts(&self, script: &[bool]) {
        self.post_failures
            .lock()
            .unwrap()
            .extend(script.iter().copied());
    }

    pub fn hits_of(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.split('?').next() == Some(path))
            .count()
    }
}

/// The five seeds, as shipped.
pub fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub server: Server,
}

impl Env {
    /// A temp dir whose corpus holds a copy of the seeds.
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let corpus = dir.path().join("corpus");
        std::fs::create_dir_all(&corpus).unwrap();
        for e in std::fs::read_dir(seeds_dir()).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, corpus.join(p.file_name().unwrap())).unwrap();
        }
        Env {
            dir,
            server: Server::start(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn corpus(&self) -> PathBuf {
        self.path("corpus")
    }

    pub fn config_path(&self) -> PathBuf {
        self.path("tidings.toml")
    }

    /// Writes a config with the given feeds (name, path on the server) and
    /// extra TOML appended.
    pub fn write_config(&self, feeds: &[(&str, &str)], extra: &str) {
        let mut text = String::from(
            "[store]\ndatabase = \"tidings.db\"\ncorpus = \"corpus\"\n\n[fetch]\nallow_private_networks = true\ntimeout = \"10s\"\nper_host_gap = \"0s\"\nper_host_connections = 8\n\n",
        );
        text.push_str(extra);
        for (name, path) in feeds {
            let url = if path.starts_with("http") {
                path.to_string()
            } else {
                format!("{}{}", self.server.base, path)
            };
            text.push_str(&format!(
                "\n[[feeds]]\nname = \"{name}\"\nurl = \"{url}\"\n"
            ));
        }
        std::fs::write(self.config_path(), text).unwrap();
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidings"));
        cmd.arg("--config")
            .arg(self.config_path())
            .args(args)
            .env_remove("TIDINGS_CONFIG")
            .env("TIDINGS_LOG", "warn");
        cmd
    }

    pub fn tidings(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run tidings")
    }

    /// Runs tidings with more environment variables.
    pub fn tidings_with_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        cmd.envs(vars.iter().copied());
        cmd.output().expect("run tidings")
    }

    /// Runs tidings and returns its output with its own peak RSS in KiB:
    /// the kernel's high-water mark of its memory (VmHWM), read while it
    /// runs. Not wait4's ru_maxrss: the child is spawned with vfork, and
    /// at exec the kernel folds the high-water mark of the memory it was
    /// sharing (this test process's, grown by every test running beside
    /// it) into the child's figure.
    pub fn tidings_with_peak_rss(&self, args: &[&str]) -> (Output, u64) {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let child = self.command(args).spawn_piped();
        let pid = child.id();
        let done = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let sampler = {
            let (done, peak) = (done.clone(), peak.clone());
            std::thread::spawn(move || {
                // The mark only rises, so any read after the peak has it.
                while !done.load(Ordering::SeqCst) {
                    if let Some(kib) = vm_hwm_kib(pid) {
                        peak.fetch_max(kib, Ordering::SeqCst);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            })
        };
        let output = child.wait_with_output().expect("run tidings");
        done.store(true, Ordering::SeqCst);
        sampler.join().unwrap();
        let kib = peak.load(Ordering::SeqCst);
        assert!(kib > 0, "no VmHWM read for tidings (pid {pid})");
        (output, kib)
    }

    /// The corpus files: name → content, in name order.
    pub fn corpus_files(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = std::fs::read_dir(self.corpus())
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
        out.sort();
        out
    }

    pub fn export(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut a = vec!["export"];
        a.extend_from_slice(args);
        let out = self.tidings(&a);
        assert!(
            out.status.success(),
            "export failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).expect("export line is JSON"))
            .collect()
    }
}

/// A process's peak resident memory, from `/proc/PID/status`; `None`
/// once it has exited (a zombie has no memory to report).
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

trait SpawnPiped {
    fn spawn_piped(&mut self) -> std::process::Child;
}

impl SpawnPiped for Command {
    fn spawn_piped(&mut self) -> std::process::Child {
        use std::process::Stdio;
        self.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run tidings")
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A port free on 127.0.0.1 a moment ago (for servers the tests start that
/// must be told their port).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether the tests run as root (some servers refuse to, some sandboxes
/// need it).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}
