//! The fetch module's unit tests: decoding under the cap, the guard's
//! address ranges, the header readings, and error kinds against real
//! servers on 127.0.0.1.

use super::body::{DecodeFailure, Decoding};
use super::guard::literal_private_host;
use super::*;
use crate::config::FetchConfig;
use chrono::{DateTime, Utc};
use std::net::IpAddr;
use url::Url;

#[test]
fn bodies_decode_in_slices_and_bad_ones_are_errors() {
    use std::io::Write;
    let text = b"<p>hello, archive</p>".repeat(200);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&text).unwrap();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&text).unwrap();
    for (enc, bytes) in [
        (Some("gzip"), gz.finish().unwrap()),
        (Some("Deflate"), z.finish().unwrap()),
        (None, text.clone()),
        (Some("identity"), text.clone()),
    ] {
        let mut d = Decoding::new(enc, 1 << 20);
        for slice in bytes.chunks(7) {
            d.write(slice).unwrap();
        }
        assert_eq!(d.finish().unwrap(), text, "{enc:?}");
    }
    let mut d = Decoding::new(Some("gzip"), 1 << 20);
    let garbage = d
        .write(b"this is not gzip at all")
        .and_then(|_| d.finish().map(drop));
    assert!(matches!(garbage, Err(DecodeFailure::Bad(_))), "{garbage:?}");
    // An encoding not known here leaves the body as it came.
    let mut d = Decoding::new(Some("zstd"), 1 << 20);
    d.write(b"\x28\xb5\x2f\xfd").unwrap();
    assert_eq!(d.finish().unwrap(), b"\x28\xb5\x2f\xfd");
}

/// 1681 bytes of brotli that decode to 1 GiB of `a` (made with
/// Python's `brotli.compress(b"a" * 2**30, quality=11)`).
const BROTLI_GIB: &[u8] = include_bytes!("../../tests/fixtures/bombs/1gib.br");

#[test]
fn a_brotli_bomb_stops_at_the_cap_inside_one_write() {
    // The whole bomb in one write, as one network chunk would bring it:
    // the decoder must stop at the cap, not decode it all first.
    let mut d = Decoding::new(Some("br"), 1 << 20);
    let r = d.write(BROTLI_GIB);
    assert!(matches!(r, Err(DecodeFailure::TooLarge)), "{r:?}");
    assert!(d.out().buf.len() <= 1 << 20);
    let mut d = Decoding::new(Some("identity"), 10);
    assert!(d.write(b"0123456789").is_ok());
    assert!(matches!(d.write(b"x"), Err(DecodeFailure::TooLarge)));
}

#[test]
fn gzip_and_deflate_bombs_stop_at_the_cap_too() {
    use std::io::Write;
    let zeros = vec![0u8; 1 << 20];
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..64 {
        gz.write_all(&zeros).unwrap();
        z.write_all(&zeros).unwrap();
    }
    for (enc, bomb) in [
        ("gzip", gz.finish().unwrap()),
        ("deflate", z.finish().unwrap()),
    ] {
        let mut d = Decoding::new(Some(enc), 1 << 20);
        let r = d.write(&bomb).and_then(|_| d.finish().map(drop));
        assert!(matches!(r, Err(DecodeFailure::TooLarge)), "{enc}: {r:?}");
    }
}

#[test]
fn private_addresses_are_recognised() {
    for ip in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
    ] {
        assert!(is_private(ip.parse().unwrap()), "{ip}");
    }
    for ip in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
        assert!(!is_private(ip.parse().unwrap()), "{ip}");
    }
}

#[test]
fn reserved_ranges_and_ipv4_in_ipv6_are_private() {
    for ip in [
        "198.18.0.1",
        "198.19.255.254",
        "240.0.0.1",
        "255.255.255.254",
        "192.0.0.8",
        "192.0.2.1",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::1",
        "2002:7f00:1::",
        "2002:c0a8:101::1",
        "::127.0.0.1",
        "::10.0.0.1",
        "::",
        "fec0::1",
        "feff::1",
        "2001:db8::1",
        // Teredo, client 127.0.0.1 stored inverted.
        "2001:0:4136:e378:8000:63bf:80ff:fffe",
    ] {
        assert!(is_private(ip.parse().unwrap()), "{ip}");
    }
    // Public sites through NAT64 and 6to4 stay reachable.
    for ip in ["64:ff9b::5db8:d822", "2002:5db8:d822::1", "198.20.0.1"] {
        assert!(!is_private(ip.parse().unwrap()), "{ip}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(crate::proptest_cases()))]

    /// Every IPv6 form that carries an IPv4 address is judged as that
    /// address: no spelling of a private address gets through.
    #[test]
    fn ipv4_in_ipv6_forms_judge_the_ipv4_address(bits in proptest::prelude::any::<u32>()) {
        let v4 = std::net::Ipv4Addr::from(bits);
        let [a, b, c, d] = v4.octets();
        let (hi, lo) = (u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]));
        let forms = [
            v4.to_ipv6_mapped(),
            std::net::Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, hi, lo),
            std::net::Ipv6Addr::new(0x2002, hi, lo, 0, 0, 0, 0, 1),
            std::net::Ipv6Addr::new(0x2001, 0, 0x4136, 0xe378, 0x8000, 0x63bf, !hi, !lo),
        ];
        let private = is_private(IpAddr::V4(v4));
        for v6 in forms {
            proptest::prop_assert_eq!(is_private(IpAddr::V6(v6)), private, "{} as {}", v4, v6);
        }
        let compat = std::net::Ipv6Addr::new(0, 0, 0, 0, 0, 0, hi, lo);
        proptest::prop_assert_eq!(is_private(IpAddr::V6(compat)), private, "{} as {}", v4, compat);
    }
}

#[test]
fn literal_hosts_are_checked_names_are_left_to_the_resolver() {
    assert!(literal_private_host(&Url::parse("http://127.0.0.1:8080/x").unwrap()).is_some());
    assert!(literal_private_host(&Url::parse("http://[::1]/x").unwrap()).is_some());
    assert!(literal_private_host(&Url::parse("http://example.org/x").unwrap()).is_none());
    assert!(literal_private_host(&Url::parse("http://LocalHost./x").unwrap()).is_some());
    assert!(literal_private_host(&Url::parse("http://a.localhost:8/x").unwrap()).is_some());
}

#[test]
fn retry_after_reads_seconds_and_dates() {
    let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        parse_retry_after("120", now),
        Some(now + chrono::Duration::seconds(120))
    );
    assert_eq!(
        parse_retry_after("Sun, 22 Nov 2026 11:00:00 GMT", now),
        Some(now + chrono::Duration::hours(1))
    );
    assert_eq!(parse_retry_after("soon", now), None);
}

#[test]
fn freshness_from_cache_control_then_expires() {
    let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(
        parse_freshness(Some("public, max-age=600"), None, now),
        Some(now + chrono::Duration::seconds(600))
    );
    assert_eq!(
        parse_freshness(Some("no-cache, max-age=600"), None, now),
        None
    );
    assert_eq!(
        parse_freshness(None, Some("Sun, 22 Nov 2026 12:00:00 GMT"), now),
        Some(now + chrono::Duration::hours(2))
    );
    assert_eq!(
        parse_freshness(None, Some("Sun, 22 Nov 2026 09:00:00 GMT"), now),
        None,
        "past"
    );
}

/// A server on `ip` that answers every connection with an SSH banner (a
/// feed URL pointing at the wrong port): the network works, the server
/// just does not speak HTTP.
fn not_http_server(ip: &str) -> Url {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind((ip, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n");
        }
    });
    Url::parse(&format!("http://{addr}/feed.xml")).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Regression: every reqwest error but a time-out and the guard's words
/// read as `Network`, so three servers that answered in something other
/// than HTTP made the network look down (`outage`), and the pipeline
/// stopped counting failures against feeds.
#[test]
fn a_server_that_answers_badly_is_not_a_network_failure() {
    let rt = runtime();
    let cfg = FetchConfig {
        allow_private_networks: true,
        ..Default::default()
    };
    let fetcher = Fetcher::new(&cfg, &[]).unwrap();
    // Three hosts, the outage detector's threshold: all of them
    // connected, so the network is up whatever they said.
    for ip in ["127.0.0.1", "127.0.0.2", "127.0.0.3"] {
        let url = not_http_server(ip);
        let e = rt
            .block_on(fetcher.get(&url, &Validators::default(), 1 << 20, None))
            .unwrap_err();
        assert!(matches!(e, FetchError::Protocol { .. }), "{ip}: {e:?}");
        assert!(!e.is_network(), "{ip}: {e}");
        assert!(e.to_string().starts_with(url.as_str()), "{e}");
    }
    assert!(!fetcher.outage(), "servers that answered read as an outage");
}

/// A port nobody listens on is the network's failure, kept with its
/// source: the `io::Error` whose kind says what happened.
#[test]
fn a_refused_connection_is_a_network_failure_with_its_source() {
    let rt = runtime();
    let cfg = FetchConfig {
        allow_private_networks: true,
        ..Default::default()
    };
    let fetcher = Fetcher::new(&cfg, &[]).unwrap();
    // Bound then dropped: the port is free and refuses.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = Url::parse(&format!("http://127.0.0.1:{port}/feed.xml")).unwrap();
    let e = rt
        .block_on(fetcher.get(&url, &Validators::default(), 1 << 20, None))
        .unwrap_err();
    assert!(matches!(e, FetchError::Network { .. }), "{e:?}");
    let mut kind = None;
    let mut at = std::error::Error::source(&e);
    while let Some(s) = at {
        kind = kind.or(s.downcast_ref::<std::io::Error>().map(|io| io.kind()));
        at = s.source();
    }
    assert_eq!(kind, Some(std::io::ErrorKind::ConnectionRefused), "{e:?}");
}

/// A server on 127.0.0.1 that answers each path with a fixed response:
/// redirects that are refused and a body that does not decode.
fn refusing_server() -> Url {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut lines = BufReader::new(conn.try_clone().unwrap()).lines();
            let Some(Ok(first)) = lines.next() else {
                continue;
            };
            // The rest of the request head.
            for line in lines.by_ref() {
                if line.map_or(true, |l| l.is_empty()) {
                    break;
                }
            }
            let path = first.split(' ').nth(1).unwrap_or("/").to_string();
            let answer = match path.as_str() {
                "/loop" => "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n",
                "/bad" => "HTTP/1.1 302 Found\r\nLocation: http://[oops/\r\nContent-Length: 0\r\n\r\n",
                "/gopher" => "HTTP/1.1 301 Moved\r\nLocation: gopher://example.org/\r\nContent-Length: 0\r\n\r\n",
                "/gz" => "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!",
                _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
            };
            let _ = conn.write_all(answer.as_bytes());
        }
    });
    Url::parse(&format!("http://{addr}/")).unwrap()
}

/// The first error of type `T` in `e`'s `source()` chain (`e` left out).
fn cause<T: std::error::Error + 'static>(e: &FetchError) -> Option<&T> {
    let mut at = std::error::Error::source(e);
    while let Some(s) = at {
        if let Some(t) = s.downcast_ref::<T>() {
            return Some(t);
        }
        at = s.source();
    }
    None
}

/// Refused redirects and undecodable bodies keep their cause as a typed
/// source (our own refusal, the URL parser's error, the decoder's
/// `io::Error`), and say what they always said.
#[test]
fn refusals_and_bad_bodies_keep_their_cause() {
    let rt = runtime();
    let cfg = FetchConfig {
        allow_private_networks: true,
        ..Default::default()
    };
    let fetcher = Fetcher::new(&cfg, &[]).unwrap();
    let base = refusing_server();
    let get = |path: &str| {
        let url = base.join(path).unwrap();
        let e = rt
            .block_on(fetcher.get(&url, &Validators::default(), 1 << 20, None))
            .unwrap_err();
        (url, e)
    };

    let (url, e) = get("loop");
    assert!(
        matches!(cause::<Redirect>(&e), Some(Redirect::Loop { at }) if at == url.as_str()),
        "{e:?}"
    );
    assert_eq!(e.to_string(), format!("{url}: redirect loop at {url}"));

    let (url, e) = get("bad");
    let parse = cause::<url::ParseError>(&e).expect("the parser's error");
    assert!(matches!(
        cause::<Redirect>(&e),
        Some(Redirect::BadLocation { .. })
    ));
    assert_eq!(
        e.to_string(),
        format!("{url}: bad redirect to http://[oops/: {parse}")
    );

    let (_, e) = get("gopher");
    assert!(
        matches!(cause::<Redirect>(&e), Some(Redirect::Scheme)),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "gopher://example.org/: only http and https are fetched"
    );

    let (url, e) = get("gz");
    let io = cause::<std::io::Error>(&e).expect("the decoder's error");
    assert!(matches!(&e, FetchError::Decode { encoding, .. } if encoding == "gzip"));
    assert_eq!(
        e.to_string(),
        format!("{url}: body does not decode as gzip: {io}")
    );
}

/// A proxy the client refuses is our side's error, with reqwest's error
/// as its source and the proxy's password hidden.
#[test]
fn a_refused_proxy_keeps_reqwests_error() {
    let cfg = FetchConfig {
        proxy: Some("http://me:secret@[oops:8080".into()),
        ..Default::default()
    };
    let Err(e) = Fetcher::new(&cfg, &[]) else {
        panic!("a proxy that is not a URL was taken");
    };
    let source = cause::<reqwest::Error>(&e).expect("reqwest's error");
    assert!(
        matches!(&e, FetchError::Client(ClientError::Proxy { .. })),
        "{e:?}"
    );
    assert!(!e.to_string().contains("secret"), "{e}");
    assert!(e.to_string().starts_with("HTTP client: proxy "), "{e}");
    assert!(e.to_string().ends_with(&format!(": {source}")), "{e}");
}

/// What a counting server saw: requests in flight now, the most at once,
/// and all of them.
#[derive(Default)]
struct Seen {
    now: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
    all: std::sync::atomic::AtomicUsize,
}

/// A server on 127.0.0.1 that counts requests in flight: `/busy` answers
/// 429 with a Retry-After of a minute, anything else 200 after 100 ms.
fn counting_server() -> (Url, std::sync::Arc<Seen>) {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::Ordering::SeqCst;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(Seen::default());
    let counts = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let seen = counts.clone();
            std::thread::spawn(move || {
                let mut lines = BufReader::new(conn.try_clone().unwrap()).lines();
                let Some(Ok(first)) = lines.next() else {
                    return;
                };
                for line in lines.by_ref() {
                    if line.map_or(true, |l| l.is_empty()) {
                        break;
                    }
                }
                let inside = seen.now.fetch_add(1, SeqCst) + 1;
                seen.most.fetch_max(inside, SeqCst);
                seen.all.fetch_add(1, SeqCst);
                let answer = if first.contains(" /busy ") {
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 60\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                } else {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                };
                seen.now.fetch_sub(1, SeqCst);
                let _ = conn.write_all(answer.as_bytes());
            });
        }
    });
    (Url::parse(&format!("http://{addr}/")).unwrap(), seen)
}

/// A host budget shared by the fetchers of one test, as a fleet's would
/// be: requests in flight per host, and Retry-After; or one that fails.
#[derive(Default)]
struct SharedGate {
    state: std::sync::Mutex<GateState>,
    broken: bool,
}

#[derive(Default)]
struct GateState {
    in_flight: std::collections::HashMap<String, usize>,
    held: std::collections::HashSet<i64>,
    issued: i64,
    asked: usize,
    deferred: std::collections::HashMap<String, DateTime<Utc>>,
}

impl HostGate for SharedGate {
    fn acquire<'a>(
        &'a self,
        host: &'a str,
        limits: crate::config::HostLimits,
    ) -> GateFuture<'a, Result<Gated, Source>> {
        Box::pin(async move {
            if self.broken {
                let e = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "gone");
                return Err(Box::new(e) as Source);
            }
            loop {
                {
                    let mut s = self.state.lock().unwrap();
                    s.asked += 1;
                    if let Some(until) = s.deferred.get(host).copied() {
                        return Ok(Gated::Throttled(until));
                    }
                    let n = s.in_flight.entry(host.to_string()).or_default();
                    if *n < limits.connections {
                        *n += 1;
                        s.issued += 1;
                        let id = s.issued;
                        s.held.insert(id);
                        return Ok(Gated::Granted(GatePermit(id)));
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    }

    fn release(&self, host: &str, permit: GatePermit) {
        let mut s = self.state.lock().unwrap();
        assert!(s.held.remove(&permit.0), "{permit:?} released twice");
        *s.in_flight.get_mut(host).unwrap() -= 1;
    }

    fn throttle<'a>(&'a self, host: &'a str, until: DateTime<Utc>) -> GateFuture<'a, ()> {
        Box::pin(async move {
            self.state
                .lock()
                .unwrap()
                .deferred
                .insert(host.to_string(), until);
        })
    }
}

/// Two fetchers (two workers' worth) with their own local budgets.
fn two_fetchers(gate: Option<std::sync::Arc<SharedGate>>) -> [Fetcher; 2] {
    let cfg = FetchConfig {
        allow_private_networks: true,
        per_host: crate::config::HostLimits {
            connections: 2,
            gap: std::time::Duration::ZERO,
        },
        ..Default::default()
    };
    [0, 1].map(|_| {
        let f = Fetcher::new(&cfg, &[]).unwrap();
        match &gate {
            Some(g) => f.with_gate(g.clone()),
            None => f,
        }
    })
}

/// Eight requests, four from each fetcher, all at once.
fn eight_at_once(rt: &tokio::runtime::Runtime, fetchers: &[Fetcher; 2], base: &Url) {
    let gets = (0..8).map(|i| {
        let url = base.join(&format!("page/{i}")).unwrap();
        let f = &fetchers[i % 2];
        async move { f.get(&url, &Validators::default(), 1 << 20, None).await }
    });
    for r in rt.block_on(futures_util::future::join_all(gets)) {
        assert_eq!(r.unwrap().body, b"ok");
    }
}

/// The seam: with a gate, a host's budget of two holds across both
/// fetchers (each alone would keep two in flight), and every permit is
/// given back when its request is done.
#[test]
fn a_gate_holds_two_fetchers_to_one_host_budget() {
    use std::sync::atomic::Ordering::SeqCst;
    let rt = runtime();
    let (base, seen) = counting_server();
    eight_at_once(&rt, &two_fetchers(None), &base);
    assert!(
        seen.most.load(SeqCst) > 2,
        "without a gate each fetcher keeps its own two in flight"
    );

    let (base, seen) = counting_server();
    let gate = std::sync::Arc::new(SharedGate::default());
    eight_at_once(&rt, &two_fetchers(Some(gate.clone())), &base);
    assert_eq!(seen.all.load(SeqCst), 8);
    assert_eq!(seen.most.load(SeqCst), 2, "the shared budget of two");
    let s = gate.state.lock().unwrap();
    assert_eq!(s.issued, 8);
    assert!(s.held.is_empty(), "permits not given back: {:?}", s.held);
}

/// A Retry-After answered to one fetcher reaches the gate, and the other
/// fetcher is refused without a request; after that it does not even
/// ask the gate (it keeps what the gate said).
#[test]
fn a_retry_after_told_to_the_gate_holds_the_other_fetcher_back() {
    use std::sync::atomic::Ordering::SeqCst;
    let rt = runtime();
    let (base, seen) = counting_server();
    let gate = std::sync::Arc::new(SharedGate::default());
    let [a, b] = two_fetchers(Some(gate.clone()));
    let get = |f: &Fetcher, path: &str| {
        rt.block_on(f.get(
            &base.join(path).unwrap(),
            &Validators::default(),
            1 << 20,
            None,
        ))
    };
    let e = get(&a, "busy").unwrap_err();
    let until = e.not_before().expect("the Retry-After");
    assert!(matches!(e, FetchError::Status { status: 429, .. }), "{e:?}");
    let e = get(&b, "page").unwrap_err();
    assert!(
        matches!(&e, FetchError::Throttled { until: t, .. } if *t == until),
        "{e:?}"
    );
    assert_eq!(seen.all.load(SeqCst), 1, "only the first request was sent");
    let asked = gate.state.lock().unwrap().asked;
    let e = get(&b, "other").unwrap_err();
    assert!(matches!(e, FetchError::Throttled { .. }), "{e:?}");
    assert_eq!(gate.state.lock().unwrap().asked, asked);
    assert!(gate.state.lock().unwrap().held.is_empty());
}

/// A gate that cannot be asked fails the request as our side's error, its
/// cause kept, and frees the local slot it was taken after.
#[test]
fn a_gate_that_fails_is_our_sides_error_with_its_cause() {
    use std::sync::atomic::Ordering::SeqCst;
    let rt = runtime();
    let (base, seen) = counting_server();
    let gate = std::sync::Arc::new(SharedGate {
        broken: true,
        ..Default::default()
    });
    let [a, _] = two_fetchers(Some(gate));
    // More than the local budget of two: a slot kept would hang the third.
    for _ in 0..3 {
        let url = base.join("page").unwrap();
        let e = rt
            .block_on(a.get(&url, &Validators::default(), 1 << 20, None))
            .unwrap_err();
        assert!(
            matches!(&e, FetchError::Client(ClientError::Gate { host, .. }) if host == "127.0.0.1"),
            "{e:?}"
        );
        let io = cause::<std::io::Error>(&e).expect("the gate's error");
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionReset);
    }
    assert_eq!(seen.all.load(SeqCst), 0);
}
