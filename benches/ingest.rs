//! End-to-end ingestion benchmark: a local HTTP server with FEEDS feeds of
//! ARTICLES articles each, ingested by the release binary's `run --once`
//! from an empty database. Prints articles per second, CPU time per
//! article and the peak resident memory of the tidings process.
//!
//!     cargo bench --bench ingest                 # 100 feeds x 50 articles
//!     FEEDS=20 ARTICLES=10 cargo bench --bench ingest
//!     ARCHIVE=off cargo bench --bench ingest     # without the WARC archive
//!
//! The server answers from memory on 127.0.0.1, one thread per request, so
//! the figures are tidings' own cost, not the network's.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[path = "../tests/it/synthetic.rs"]
mod synthetic;

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
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind"));
    let base = format!(
        "http://127.0.0.1:{}",
        server.server_addr().to_ip().unwrap().port()
    );
    for _ in 0..8 {
        let (s, base) = (server.clone(), base.clone());
        std::thread::spawn(move || {
            for req in s.incoming_requests() {
                let path = req.url().trim_start_matches('/').to_string();
                let parts: Vec<&str> = path.split('/').collect();
                let num =
                    |s: &str, p: char| s.strip_prefix(p).and_then(|n| n.parse::<usize>().ok());
                let (body, ct) = match parts.as_slice() {
                    [f] if f.ends_with(".xml") => (
                        feed(
                            &base,
                            num(f.trim_end_matches(".xml"), 'f').unwrap_or(0),
                            articles,
                        ),
                        "application/rss+xml",
                    ),
                    [f, a] => (
                        page(num(f, 'f').unwrap_or(0), num(a, 'a').unwrap_or(0)),
                        "text/html; charset=utf-8",
                    ),
                    _ => (String::new(), "text/plain"),
                };
                let h = tiny_http::Header::from_bytes("Content-Type", ct).unwrap();
                let _ = req.respond(tiny_http::Response::from_string(body).with_header(h));
            }
        });
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

    let start = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tidings"))
        .arg("--config")
        .arg(&cfg_path)
        .args(["run", "--once"])
        .env("TIDINGS_LOG", "error")
        .output()
        .expect("run tidings");
    let wall = start.elapsed();
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut u);
        u
    };
    let cpu = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) as f64
        + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) as f64 / 1e6;
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
    println!(
        "wall {:.2} s, {:.0} articles/s, CPU {:.2} s ({:.2} ms per article), peak RSS {:.1} MB",
        wall.as_secs_f64(),
        stored as f64 / wall.as_secs_f64(),
        cpu,
        cpu * 1000.0 / stored.max(1) as f64,
        usage.ru_maxrss as f64 / 1024.0
    );
}
