//! A test server with faults per route, speaking HTTP/1.1 by hand so it can
//! misbehave: slow answers, drips, bombs, redirects, throttling. It records
//! when each request started and how many were in flight at once.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub enum Body {
    Bytes(Vec<u8>),
    /// Bytes without end, `chunk` at a time, `pause` between chunks.
    Endless {
        chunk: usize,
        pause: Duration,
    },
}

#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    pub delay: Duration,
}

impl Reply {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Body::Bytes(body.into()),
            delay: Duration::ZERO,
        }
    }
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: vec![],
            body: Body::Bytes(format!("status {status}").into_bytes()),
            delay: Duration::ZERO,
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
    pub fn redirect(status: u16, to: &str) -> Reply {
        Reply::status(status).header("Location", to)
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Hit {
    pub path: String,
    pub at: Instant,
    pub headers: HashMap<String, String>,
    /// Requests in flight when this one arrived (itself included).
    pub in_flight: usize,
}

pub struct FaultServer {
    pub port: u16,
    routes: Arc<Mutex<HashMap<String, Vec<Reply>>>>,
    pub hits: Arc<Mutex<Vec<Hit>>>,
}

impl FaultServer {
    pub fn start() -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<HashMap<String, Vec<Reply>>>> = Arc::default();
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let in_flight = Arc::new(AtomicUsize::new(0));
        let (r, h) = (routes.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (r, h, f) = (r.clone(), h.clone(), in_flight.clone());
                std::thread::spawn(move || serve(stream, r, h, f));
            }
        });
        FaultServer { port, routes, hits }
    }

    /// `http://HOST:PORT`, HOST being 127.0.0.1 or another loopback name.
    pub fn base(&self, host: &str) -> String {
        format!("http://{host}:{}", self.port)
    }

    /// Serves `reply` at `path`; several replies are served in turn, the
    /// last one repeating.
    pub fn route(&self, path: &str, replies: Vec<Reply>) {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), replies);
    }

    pub fn hits_of(&self, path: &str) -> Vec<Hit> {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.path == path)
            .cloned()
            .collect()
    }
}

fn serve(
    stream: TcpStream,
    routes: Arc<Mutex<HashMap<String, Vec<Reply>>>>,
    hits: Arc<Mutex<Vec<Hit>>>,
    in_flight: Arc<AtomicUsize>,
) {
    let mut w = match stream.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    if r.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut l = String::new();
        if r.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    // A POST's body is read, so closing does not reset the connection
    // under a reply the client has not read yet.
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let _ = std::io::Read::read_exact(&mut r, &mut vec![0; length]);
    let now_in_flight = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    hits.lock().unwrap().push(Hit {
        path: path.clone(),
        at: Instant::now(),
        headers,
        in_flight: now_in_flight,
    });
    let reply = {
        let mut routes = routes.lock().unwrap();
        match routes.get_mut(path.split('?').next().unwrap_or("")) {
            Some(list) if list.len() > 1 => list.remove(0),
            Some(list) => list[0].clone(),
            None => Reply::status(404),
        }
    };
    std::thread::sleep(reply.delay);
    let reason = match reply.status {
        200 => "OK",
        304 => "Not Modified",
        404 => "Not Found",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nConnection: close\r\n",
        reply.status
    );
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    match &reply.body {
        Body::Bytes(b) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", b.len()));
            let mut all = head.into_bytes();
            all.extend_from_slice(b);
            let (most, last) = all.split_at(all.len() - 1);
            let _ = w.write_all(most);
            let _ = w.flush();
            // Out of flight before the last byte goes: once the client has
            // it, it may start its next request at once.
            in_flight.fetch_sub(1, Ordering::SeqCst);
            let _ = w.write_all(last);
            let _ = w.flush();
            return;
        }
        Body::Endless { chunk, pause } => {
            head.push_str("\r\n");
            let _ = w.write_all(head.as_bytes());
            let block = vec![b'a'; *chunk];
            let start = Instant::now();
            // Bounded, so a test that goes wrong still ends.
            while start.elapsed() < Duration::from_secs(30) {
                if w.write_all(&block).is_err() {
                    break;
                }
                std::thread::sleep(*pause);
            }
        }
    }
    let _ = w.flush();
    in_flight.fetch_sub(1, Ordering::SeqCst);
}
