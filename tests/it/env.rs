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

/// A real HTTP server on 127.0.0.1 with a random port.
pub struct Server {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    pub hits: Arc<Mutex<Vec<String>>>,
    /// Every POST, in order, with what was answered.
    pub posts: Arc<Mutex<Vec<Seen>>>,
    /// A script for POSTs: each pops the front; `true` answers 500.
    pub post_failures: Arc<Mutex<std::collections::VecDeque<bool>>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Server {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let port = server.server_addr().to_ip().expect("ip address").port();
        let routes: Arc<Mutex<HashMap<String, Route>>> = Arc::default();
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let posts: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let post_failures: Arc<Mutex<std::collections::VecDeque<bool>>> = Arc::default();
        let (s, r, h) = (server.clone(), routes.clone(), hits.clone());
        let (p, pf) = (posts.clone(), post_failures.clone());
        let thread = std::thread::spawn(move || {
            for mut req in s.incoming_requests() {
                let path = req.url().to_string();
                h.lock().unwrap().push(path.clone());
                if *req.method() == tiny_http::Method::Post {
                    let mut body = Vec::new();
                    let _ = std::io::Read::read_to_end(req.as_reader(), &mut body);
                    let fail = pf.lock().unwrap().pop_front().unwrap_or(false);
                    let status = if fail { 500 } else { 200 };
                    let headers = req
                        .headers()
                        .iter()
                        .map(|h| (h.field.to_string(), h.value.to_string()))
                        .collect();
                    p.lock().unwrap().push(Seen {
                        path: path.clone(),
                        headers,
                        body,
                        status,
                    });
                    let _ = req.respond(
                        tiny_http::Response::from_string(if fail { "down" } else { "ok" })
                            .with_status_code(status),
                    );
                    continue;
                }
                let route = r
                    .lock()
                    .unwrap()
                    .get(path.split('?').next().unwrap_or(""))
                    .cloned();
                let resp = match route {
                    Some(rt) => {
                        let mut resp = tiny_http::Response::from_data(rt.body)
                            .with_status_code(rt.status)
                            .with_header(
                                tiny_http::Header::from_bytes(
                                    "Content-Type",
                                    rt.content_type.as_bytes(),
                                )
                                .unwrap(),
                            );
                        for (k, v) in &rt.headers {
                            resp = resp.with_header(
                                tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap(),
                            );
                        }
                        resp
                    }
                    None => {
                        tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404)
                    }
                };
                let _ = req.respond(resp);
            }
        });
        Server {
            base: format!("http://127.0.0.1:{port}"),
            routes,
            hits,
            posts,
            post_failures,
            server,
            thread: Some(thread),
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

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
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
