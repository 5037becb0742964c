//! Fetching and scheduling against a server with faults: politeness per
//! host, conditional GET, Retry-After, redirects, 410, limits, outages.

use std::time::Duration;

use crate::env::{stderr, stdout, Env};
use crate::faults::{Body, FaultServer, Reply};

/// A page whose text is its own (see `synthetic`).
pub fn page(title: &str) -> String {
    let body = crate::synthetic::paragraphs(crate::synthetic::seed_of(title), 4, 40);
    format!("<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>")
}

/// An RSS feed of these links, each its own GUID.
pub fn rss(links: &[String]) -> String {
    let items: String = links
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!("<item><title>Item {i}</title><link>{l}</link><guid>{l}</guid></item>")
        })
        .collect();
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>")
}

/// An environment whose feeds are on the fault server, with `fetch` lines
/// replacing the test defaults.
pub fn env_with(feeds: &[(&str, String)], fetch: &str) -> Env {
    let env = Env::new();
    let f: Vec<(&str, &str)> = feeds.iter().map(|(n, u)| (*n, u.as_str())).collect();
    env.write_config(&f, "");
    let text = std::fs::read_to_string(env.config_path())
        .unwrap()
        .replace("per_host_gap = \"0s\"\nper_host_connections = 8\n", fetch);
    std::fs::write(env.config_path(), text).unwrap();
    env
}

fn status_row(env: &Env, feed: &str) -> Vec<String> {
    let out = stdout(&env.tidings(&["status"]));
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("{feed}\t")))
        .unwrap_or_else(|| panic!("{out}"));
    line.split('\t').map(str::to_string).collect()
}

#[test]
fn requests_to_one_host_keep_the_politeness_budget() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    let mut feeds = Vec::new();
    for f in 0..3 {
        let links: Vec<String> = (0..3).map(|a| format!("{base}/f{f}/a{a}")).collect();
        for (a, l) in links.iter().enumerate() {
            let path = l.trim_start_matches(&base).to_string();
            s.route(
                &path,
                vec![Reply::ok("text/html", page(&format!("Report {f}-{a}")))
                    .delay(Duration::from_millis(600))],
            );
        }
        s.route(
            &format!("/f{f}.xml"),
            vec![Reply::ok("application/rss+xml", rss(&links))],
        );
        feeds.push((["a", "b", "c"][f], format!("{base}/f{f}.xml")));
    }
    let env = env_with(
        &feeds,
        "per_host_connections = 2\nper_host_gap = \"250ms\"\nconcurrency = 3\n",
    );
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("9 articles stored"),
        "{}",
        stdout(&out)
    );
    let hits = s.hits.lock().unwrap().clone();
    assert_eq!(hits.len(), 12);
    assert!(
        hits.iter().all(|h| h.in_flight <= 2),
        "{:?}",
        hits.iter().map(|h| h.in_flight).collect::<Vec<_>>()
    );
    assert!(hits.iter().any(|h| h.in_flight == 2), "the budget was used");
    let mut starts: Vec<_> = hits.iter().map(|h| h.at).collect();
    starts.sort();
    let min_gap = starts.windows(2).map(|w| w[1] - w[0]).min().unwrap();
    assert!(
        // What the server sees also carries its own accept latency, which
        // swings on a loaded machine: allow 100 ms of it.
        min_gap >= Duration::from_millis(150),
        "gap {min_gap:?}"
    );
}

#[test]
fn validators_go_back_exactly_and_304_is_a_success() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    let etag = "W/\"5e-odd \\\"quoted\\\"\"";
    let lm = "Sat, 21 Nov 2026 10:00:00 GMT";
    s.route(
        "/feed.xml",
        vec![
            Reply::ok("application/rss+xml", rss(&[format!("{base}/a")]))
                .header("ETag", etag)
                .header("Last-Modified", lm),
            Reply::status(304),
        ],
    );
    s.route("/a", vec![Reply::ok("text/html", page("Conditional"))]);
    let env = env_with(&[("f", format!("{base}/feed.xml"))], "");
    assert_eq!(env.tidings(&["run", "--once"]).status.code(), Some(0));
    let out = env.tidings(&["run", "--once", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hits = s.hits_of("/feed.xml");
    assert_eq!(hits.len(), 2);
    assert!(!hits[0].headers.contains_key("if-none-match"));
    assert_eq!(
        hits[1].headers.get("if-none-match").map(String::as_str),
        Some(etag)
    );
    assert_eq!(
        hits[1].headers.get("if-modified-since").map(String::as_str),
        Some(lm)
    );
    let row = status_row(&env, "f");
    assert_eq!(row[3], "-", "a 304 is no error: {row:?}");
}

#[test]
fn retry_after_holds_the_feed_back() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    s.route(
        "/feed.xml",
        vec![Reply::status(429).header("Retry-After", "3600")],
    );
    let env = env_with(
        &[
            ("f", format!("{base}/feed.xml")),
            ("g", format!("{base}/other.xml")),
        ],
        "",
    );
    s.route(
        "/other.xml",
        vec![Reply::ok("application/rss+xml", rss(&[]))],
    );
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("HTTP 429 (retry after"),
        "{}",
        stderr(&out)
    );
    let next = chrono::DateTime::parse_from_rfc3339(&status_row(&env, "f")[4]).unwrap();
    assert!(
        next >= chrono::Utc::now() + chrono::Duration::minutes(59),
        "{next}"
    );
    // The other feed on the same host was not held back.
    assert_eq!(status_row(&env, "g")[3], "-");
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        s.hits_of("/feed.xml").len(),
        1,
        "no request before the Retry-After ran out"
    );
}

#[test]
fn throttled_pages_widen_to_their_host_only() {
    let s = FaultServer::start();
    let (feed_base, page_base) = (s.base("127.0.0.1"), s.base("localhost"));
    let links: Vec<String> = (0..4).map(|a| format!("{page_base}/p{a}")).collect();
    s.route(
        "/feed.xml",
        vec![Reply::ok("application/rss+xml", rss(&links))],
    );
    for a in 0..2 {
        s.route(
            &format!("/p{a}"),
            vec![Reply::status(503).header("Retry-After", "600")],
        );
    }
    for a in 2..4 {
        s.route(
            &format!("/p{a}"),
            vec![Reply::ok("text/html", page(&format!("Page {a}")))],
        );
    }
    let env = env_with(&[("f", format!("{feed_base}/feed.xml"))], "");
    let out = env.tidings(&["run", "--once", "--json"]);
    // The feed's own host was not held back.
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Pages are fetched several at once: p1 and p0 answer 503, and once
    // both have, the pages of their host not yet asked wait too.
    let summary: serde_json::Value = serde_json::from_str(stdout(&out).trim())
        .unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    let feed = &summary["feeds"][0];
    let (stored, to_retry) = (
        feed["stored"].as_u64().unwrap(),
        feed["to_retry"].as_u64().unwrap(),
    );
    assert_eq!(stored + to_retry, 4, "{summary}");
    assert!(to_retry >= 2, "{summary}");
    for a in 0..2 {
        assert_eq!(s.hits_of(&format!("/p{a}")).len(), 1, "p{a}");
    }
    let out = env.tidings(&["run", "--once", "--force"]);
    // In a new process the throttle is forgotten: the pages held back are
    // fetched, and the two throttled ones retried (and fail again).
    assert!(
        stdout(&out).contains("2 pages to retry"),
        "{}",
        stdout(&out)
    );
    assert_eq!(env.corpus_files().len(), 5 + 2, "{}", stdout(&out));
}

#[test]
fn redirects_are_followed_checked_and_remembered() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    s.route("/old.xml", vec![Reply::redirect(301, "/mid.xml")]);
    s.route(
        "/mid.xml",
        vec![Reply::redirect(308, &format!("{base}/new.xml"))],
    );
    s.route(
        "/new.xml",
        vec![Reply::ok(
            "application/rss+xml",
            rss(&[format!("{base}/a")]),
        )],
    );
    s.route("/a", vec![Reply::redirect(302, "/b")]);
    s.route("/b", vec![Reply::ok("text/html", page("Moved page"))]);
    s.route("/loop.xml", vec![Reply::redirect(302, "/loop2.xml")]);
    s.route("/loop2.xml", vec![Reply::redirect(302, "/loop.xml")]);
    let env = env_with(
        &[
            ("moved", format!("{base}/old.xml")),
            ("loop", format!("{base}/loop.xml")),
        ],
        "",
    );
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("redirect loop"), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 article stored"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        status_row(&env, "moved")[8],
        format!("{base}/new.xml"),
        "the move is remembered"
    );
    env.tidings(&["run", "--once", "--force"]);
    assert_eq!(s.hits_of("/old.xml").len(), 1, "polled at its new address");
    assert_eq!(s.hits_of("/new.xml").len(), 2);
}

#[test]
fn gone_feed_is_retired_not_polled() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    s.route("/gone.xml", vec![Reply::status(410)]);
    let env = env_with(&[("gone", format!("{base}/gone.xml"))], "");
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(status_row(&env, "gone")[4], "retired");
    let out = env.tidings(&["run", "--once", "--force"]);
    assert!(
        stderr(&out).contains("feed gone: retired after 410 Gone"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.hits_of("/gone.xml").len(), 1);
}

#[test]
fn failures_back_off_and_are_never_given_up() {
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    s.route("/feed.xml", vec![Reply::status(500)]);
    let env = env_with(&[("f", format!("{base}/feed.xml"))], "");
    let mut waits = Vec::new();
    for _ in 0..3 {
        let before = chrono::Utc::now();
        env.tidings(&["run", "--once", "--force"]);
        let row = status_row(&env, "f");
        let next = chrono::DateTime::parse_from_rfc3339(&row[4]).unwrap();
        waits.push((next.with_timezone(&chrono::Utc) - before).num_seconds());
    }
    assert!(waits[0] < waits[1] && waits[1] < waits[2], "{waits:?}");
    assert_eq!(status_row(&env, "f")[7], "3", "three failures counted");
    s.route(
        "/feed.xml",
        vec![Reply::ok("application/rss+xml", rss(&[]))],
    );
    env.tidings(&["run", "--once", "--force"]);
    assert_eq!(status_row(&env, "f")[7], "0", "and recovered");
}

#[test]
fn an_outage_is_not_counted_against_the_feeds() {
    // Nothing listens on port 9 of these loopback addresses: every host
    // fails at once, as when the network is down.
    let feeds: Vec<(&str, String)> = ["a", "b", "c"]
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, format!("http://127.0.0.{}:9/feed.xml", i + 1)))
        .collect();
    let env = env_with(&feeds, "");
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(1));
    for f in ["a", "b", "c"] {
        let row = status_row(&env, f);
        assert_ne!(row[3], "-", "the error is shown");
        // The first failures happen before the pattern is clear; the rest
        // are not counted.
        assert!(row[7].parse::<u32>().unwrap() <= 1, "{row:?}");
    }
    let total: u32 = ["a", "b", "c"]
        .iter()
        .map(|f| status_row(&env, f)[6].parse::<u32>().unwrap())
        .sum();
    assert!(
        total <= 2,
        "an outage counts against nobody after the first hosts: {total}"
    );
}

#[test]
fn bodies_are_capped_while_streaming_and_bombs_defused() {
    use std::io::Write;
    let s = FaultServer::start();
    let base = s.base("127.0.0.1");
    s.route(
        "/endless.xml",
        vec![Reply {
            body: Body::Endless {
                chunk: 16384,
                pause: Duration::from_millis(1),
            },
            ..Reply::ok("application/rss+xml", "")
        }],
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 200_000);
    s.route(
        "/bomb",
        vec![Reply::ok("text/html", bomb).header("Content-Encoding", "gzip")],
    );
    s.route("/pdf", vec![Reply::ok("application/pdf", "%PDF-1.7 ...")]);
    s.route(
        "/slow",
        vec![Reply::ok("text/html", page("Slow")).delay(Duration::from_secs(4))],
    );
    s.route("/good", vec![Reply::ok("text/html", page("Good one"))]);
    let links = vec![
        format!("{base}/good"),
        format!("{base}/slow"),
        format!("{base}/pdf"),
        format!("{base}/bomb"),
    ];
    s.route(
        "/feed.xml",
        vec![Reply::ok("application/rss+xml", rss(&links))],
    );
    let env = env_with(
        &[("endless", format!("{base}/endless.xml")), ("f", format!("{base}/feed.xml"))],
        "max_feed_size = \"256KiB\"\nmax_page_size = \"1MiB\"\nper_host_gap = \"0s\"\nper_host_connections = 4\n",
    );
    let text = std::fs::read_to_string(env.config_path())
        .unwrap()
        .replace("timeout = \"10s\"", "timeout = \"2s\"");
    std::fs::write(env.config_path(), text).unwrap();
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("/endless.xml: body larger than the 262144-byte limit"),
        "{err}"
    );
    assert!(
        err.contains("/bomb: body larger than the 1048576-byte limit"),
        "{err}"
    );
    assert!(err.contains("/slow: timed out"), "{err}");
    assert!(err.contains("not an HTML page"), "{err}");
    assert!(
        stdout(&out).contains("1 article stored"),
        "the good page still landed: {}",
        stdout(&out)
    );
}

#[test]
fn every_fault_at_once_spares_the_healthy_feeds() {
    use std::io::Write;
    let s = FaultServer::start();
    // The faults live on one host name, the healthy feeds on another: a
    // host that throttles several URLs is rightly held back as a whole.
    let base = s.base("127.0.0.1");
    let good = s.base("localhost");
    let mut feeds: Vec<(&str, String)> = Vec::new();
    // Healthy feeds, three articles each.
    let healthy = ["h1", "h2", "h3"];
    for h in healthy {
        let links: Vec<String> = (0..3).map(|a| format!("{good}/{h}/a{a}")).collect();
        for (a, l) in links.iter().enumerate() {
            s.route(
                l.trim_start_matches(&good),
                vec![Reply::ok("text/html", page(&format!("{h} story {a}")))],
            );
        }
        s.route(
            &format!("/{h}.xml"),
            vec![Reply::ok("application/rss+xml", rss(&links))],
        );
        feeds.push((h, format!("{good}/{h}.xml")));
    }
    // And one of every fault.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..64 {
        gz.write_all(&[b' '; 1 << 20]).unwrap();
    }
    s.route(
        "/bomb.xml",
        vec![Reply::ok("application/rss+xml", gz.finish().unwrap())
            .header("Content-Encoding", "gzip")],
    );
    s.route(
        "/endless.xml",
        vec![Reply {
            body: Body::Endless {
                chunk: 65536,
                pause: Duration::ZERO,
            },
            ..Reply::ok("text/xml", "")
        }],
    );
    s.route(
        "/drip.xml",
        vec![Reply {
            body: Body::Endless {
                chunk: 16,
                pause: Duration::from_millis(200),
            },
            ..Reply::ok("text/xml", "")
        }],
    );
    s.route(
        "/slow.xml",
        vec![Reply::ok("application/rss+xml", rss(&[])).delay(Duration::from_secs(5))],
    );
    s.route("/e500.xml", vec![Reply::status(500)]);
    s.route(
        "/e503.xml",
        vec![Reply::status(503).header("Retry-After", "120")],
    );
    s.route(
        "/e429.xml",
        vec![Reply::status(429).header("Retry-After", "Wed, 21 Oct 2037 07:28:00 GMT")],
    );
    s.route("/gone.xml", vec![Reply::status(410)]);
    s.route("/loop.xml", vec![Reply::redirect(302, "/loop.xml")]);
    s.route(
        "/html.xml",
        vec![Reply::ok("text/html", page("Not a feed"))],
    );
    for f in [
        "bomb", "endless", "drip", "slow", "e500", "e503", "e429", "gone", "loop", "html",
        "missing",
    ] {
        feeds.push((f, format!("{base}/{f}.xml")));
    }
    let env = env_with(
        &feeds,
        "per_host_connections = 3\nper_host_gap = \"20ms\"\nconcurrency = 8\nmax_feed_size = \"1MiB\"\n",
    );
    let text = std::fs::read_to_string(env.config_path())
        .unwrap()
        .replace("timeout = \"10s\"", "timeout = \"2s\"");
    std::fs::write(env.config_path(), text).unwrap();
    let (out, peak_rss_kib) = env.tidings_with_peak_rss(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("polled 14 feeds (11 could not be polled)"),
        "{}",
        stdout(&out)
    );
    // Every healthy feed's articles are in.
    assert!(
        stdout(&out).contains("9 articles stored"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // No request broke the budget, whatever the faults did.
    let hits = s.hits.lock().unwrap().clone();
    assert!(
        hits.iter().all(|h| h.in_flight <= 6),
        "{:?}",
        hits.iter().map(|h| h.in_flight).collect::<Vec<_>>()
    );
    // No feed is dropped for good: each has a next poll, but for a 410
    // (retired, visibly) — which the host's throttling may have postponed.
    for (f, _) in &feeds {
        let row = status_row(&env, f);
        let scheduled = chrono::DateTime::parse_from_rfc3339(&row[4]).is_ok();
        assert!(
            scheduled || (*f == "gone" && row[4] == "retired"),
            "{f}: {row:?}"
        );
    }
    // Memory stayed bounded: the bomb and the endless bodies were cut at the cap.
    assert!(
        peak_rss_kib < 150 * 1024,
        "peak RSS of the tidings run {peak_rss_kib} KiB"
    );
}

/// This machine's name, which resolves to a loopback or private address
/// here (Debian and container images map it in /etc/hosts): a name, not a
/// literal, and not `localhost`, so only resolving it tells what it is.
fn private_hostname() -> String {
    use std::net::ToSocketAddrs;
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("hostname")
        .trim()
        .to_string();
    let addrs: Vec<_> = (name.as_str(), 80)
        .to_socket_addrs()
        .unwrap_or_else(|e| panic!("{name} does not resolve here: {e}"))
        .collect();
    assert!(
        addrs.iter().all(|a| tidings::fetch::is_private(a.ip())),
        "{name} resolves to {addrs:?}, not a private address: the test needs one"
    );
    name
}

/// [`env_with`], with the private-network guard on.
fn guarded_env_with(feeds: &[(&str, String)], fetch: &str) -> Env {
    let env = env_with(feeds, fetch);
    let text = std::fs::read_to_string(env.config_path()).unwrap().replace(
        "allow_private_networks = true",
        "allow_private_networks = false",
    );
    std::fs::write(env.config_path(), text).unwrap();
    env
}

#[test]
fn an_http_proxy_does_not_carry_the_guard_past_a_private_name() {
    // The fault server stands in for the proxy: it would answer anything.
    let proxy = FaultServer::start();
    let target = format!("http://{}:9/feed.xml", private_hostname());
    proxy.route(&target, vec![Reply::ok("application/rss+xml", rss(&[]))]);
    let env = guarded_env_with(
        &[("inside", target.clone())],
        &format!("proxy = \"{}\"\n", proxy.base("127.0.0.1")),
    );
    let out = env.tidings(&["run", "--once"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("private or local address"),
        "{}",
        stderr(&out)
    );
    assert!(
        proxy.hits.lock().unwrap().is_empty(),
        "the proxy was asked for {target}"
    );
}

/// A SOCKS5 proxy that answers every CONNECT itself with one HTTP reply,
/// and records the names it was asked to connect to.
fn socks5_server(reply: String) -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let asked: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let seen = asked.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let mut hello = [0u8; 2];
            let _ = s.read_exact(&mut hello);
            let _ = s.read_exact(&mut vec![0; hello[1] as usize]);
            let _ = s.write_all(&[5, 0]);
            let mut req = [0u8; 4];
            let _ = s.read_exact(&mut req);
            let name = match req[3] {
                3 => {
                    let mut len = [0u8];
                    let _ = s.read_exact(&mut len);
                    let mut name = vec![0; len[0] as usize];
                    let _ = s.read_exact(&mut name);
                    String::from_utf8_lossy(&name).into_owned()
                }
                1 => {
                    let mut ip = [0u8; 4];
                    let _ = s.read_exact(&mut ip);
                    std::net::Ipv4Addr::from(ip).to_string()
                }
                _ => "?".into(),
            };
            let _ = s.read_exact(&mut [0u8; 2]);
            seen.lock().unwrap().push(name);
            let _ = s.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 80]);
            let mut r = BufReader::new(s.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            let _ = s.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                )
                .as_bytes(),
            );
        }
    });
    (port, asked)
}

#[test]
fn a_socks5h_proxy_named_localhost_gets_the_names_unresolved() {
    let (port, asked) = socks5_server(rss(&["http://news.invalid/a".into()]));
    let env = guarded_env_with(&[], &format!("proxy = \"socks5h://localhost:{port}\"\n"));
    let out = env.tidings(&["feed", "http://news.invalid/feed.xml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("http://news.invalid/a"),
        "{}",
        stdout(&out)
    );
    assert_eq!(*asked.lock().unwrap(), vec!["news.invalid".to_string()]);
    // A literal private target is still refused before the proxy hears of it.
    let out = env.tidings(&["feed", "http://127.0.0.1:9/feed.xml"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("private or local address"),
        "{}",
        stderr(&out)
    );
    assert_eq!(asked.lock().unwrap().len(), 1);
}
