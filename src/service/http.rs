//! The optional monitoring endpoint: `GET /metrics` (Prometheus text) and
//! `GET /healthz` (200 `ok`, or 503 and why), over plain HTTP/1.0.
//!
//! Hand-written because it answers two fixed GETs, one per connection, on
//! loopback by default: a web framework would cost more compile time than
//! the whole daemon. It reads at most one request head (8 KiB, 5 s) per
//! connection and never a body. Touches only its listening socket.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::health::Liveness;

const MAX_HEAD: usize = 8 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// What the endpoint asks the daemon when a request comes in.
pub trait Source: Send + Sync + 'static {
    fn metrics(&self) -> String;
    fn health(&self) -> Liveness;
}

/// A response: status line, content type, body.
#[derive(Debug, PartialEq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

/// The response to a request head (pure: the head is an argument).
pub fn respond(head: &[u8], source: &dyn Source) -> Response {
    let text = |status, body: &str| Response {
        status,
        content_type: "text/plain; charset=utf-8",
        body: body.to_string(),
    };
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.trim_end().split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    if method != "GET" && method != "HEAD" {
        return text(405, "only GET\n");
    }
    match path {
        "/metrics" => Response {
            status: 200,
            content_type: "text/plain; version=0.0.4; charset=utf-8",
            body: source.metrics(),
        },
        "/healthz" => match source.health() {
            Liveness::Healthy => text(200, "ok\n"),
            v => text(503, &format!("{v}\n")),
        },
        _ => text(404, "not found: try /metrics or /healthz\n"),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        503 => "Service Unavailable",
        _ => "Bad Request",
    }
}

/// Connections answered at once; more are closed unanswered, so a flood
/// of slow clients costs at most this many tasks.
const MAX_CONNECTIONS: usize = 32;

/// Serves until `stop` is cancelled.
pub async fn serve(listener: TcpListener, source: Arc<dyn Source>, stop: CancellationToken) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let conn = tokio::select! {
            _ = stop.cancelled() => return,
            c = listener.accept() => c,
        };
        match conn {
            Ok((stream, peer)) => {
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    debug!(%peer, "metrics endpoint busy; connection dropped");
                    continue;
                };
                let source = source.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    if let Err(e) = handle(stream, &*source).await {
                        debug!(%peer, "metrics connection: {e}");
                    }
                });
            }
            // Out of file descriptors and the like: wait rather than spin.
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

async fn handle(mut stream: TcpStream, source: &dyn Source) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.windows(2).any(|w| w == b"\n\n") {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
            if head.len() > MAX_HEAD {
                break;
            }
        }
        Ok::<_, std::io::Error>(())
    };
    tokio::time::timeout(READ_TIMEOUT, read)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "request head"))??;
    let r = respond(&head, source);
    let body = if head.starts_with(b"HEAD ") {
        ""
    } else {
        r.body.as_str()
    };
    let out = format!(
        "HTTP/1.0 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        r.status,
        reason(r.status),
        r.content_type,
        r.body.len(),
        body
    );
    stream.write_all(out.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(Liveness);
    impl Source for Fixed {
        fn metrics(&self) -> String {
            "tidings_up 1\n".into()
        }
        fn health(&self) -> Liveness {
            self.0.clone()
        }
    }

    #[test]
    fn routes() {
        let ok = Fixed(Liveness::Healthy);
        let m = respond(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &ok);
        assert_eq!((m.status, m.body.as_str()), (200, "tidings_up 1\n"));
        assert!(m.content_type.contains("version=0.0.4"));
        assert_eq!(respond(b"GET /healthz HTTP/1.1\r\n\r\n", &ok).status, 200);
        let sick = Fixed(Liveness::StoreFailing);
        let h = respond(b"GET /healthz?x=1 HTTP/1.0\r\n\r\n", &sick);
        assert_eq!(h.status, 503);
        assert!(h.body.contains("database"), "{}", h.body);
        assert_eq!(respond(b"POST /metrics HTTP/1.1\r\n\r\n", &ok).status, 405);
        assert_eq!(respond(b"GET / HTTP/1.1\r\n\r\n", &ok).status, 404);
        for junk in [&b""[..], b"\xff\xfe", b"GET", b" \n\n"] {
            assert_ne!(respond(junk, &ok).status, 200);
        }
    }

    /// Random request heads (a fixed xorshift stream, so a failure
    /// reproduces) never panic and only the two routes answer 200.
    #[test]
    fn random_heads_never_panic() {
        let ok = Fixed(Liveness::Healthy);
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let pieces: [&[u8]; 8] = [
            b"GET ",
            b"/metrics",
            b"/healthz",
            b" HTTP/1.1",
            b"\r\n",
            b"?",
            b"\xff",
            b" ",
        ];
        for _ in 0..20_000 {
            let mut head = Vec::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut y = x;
            for _ in 0..(y % 9) {
                head.extend_from_slice(pieces[(y % 8) as usize]);
                y /= 8;
                if y.is_multiple_of(5) {
                    head.push((y >> 3) as u8);
                }
            }
            let r = respond(&head, &ok);
            if r.status == 200 {
                assert!(
                    head.starts_with(b"GET /metrics")
                        || head.starts_with(b"GET /healthz")
                        || head.starts_with(b"HEAD "),
                    "{head:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn answers_over_loopback_and_stops() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let task = tokio::spawn(serve(
            listener,
            Arc::new(Fixed(Liveness::Healthy)),
            stop.clone(),
        ));
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).await.unwrap();
        assert!(resp.starts_with("HTTP/1.0 200 OK\r\n"), "{resp}");
        assert!(resp.ends_with("\r\n\r\nok\n"), "{resp}");
        stop.cancel();
        task.await.unwrap();
    }
}
