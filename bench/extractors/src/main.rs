//! Runs one extractor over a directory of pages, in-process, and writes one
//! `ID.txt` per page in tidings' format (headline, blank line, paragraphs),
//! so every extractor is scored by the same scorer. Prints pages per second
//! (extraction only, one thread) and peak resident memory of this process.
//!
//! Usage: extractors-bench tidings|trafilatura|dom_smoothie|rs-trafilatura|legible HTML_DIR OUT_DIR
//! The page URLs are read from HTML_DIR/../urls.tsv when it exists.

use std::collections::HashMap;
use std::time::{Duration, Instant};

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Headline + paragraphs (one per non-empty line of `text`) in the corpus shape.
fn shape(title: &str, text: &str) -> String {
    let mut out = fold(title);
    for line in text.lines().map(fold).filter(|l| !l.is_empty()) {
        out.push_str("\n\n");
        out.push_str(&line);
    }
    out
}

fn run(name: &str, body: &[u8], url: &str) -> Option<String> {
    let html = String::from_utf8_lossy(body);
    match name {
        "tidings" => {
            let u = url::Url::parse(url).unwrap_or_else(|_| url::Url::parse("file:///page.html").expect("static URL"));
            let a = tidings::extract::extract(body, None, &u).ok()?;
            Some(tidings::normalize::corpus_text(&a.title, &a.paragraphs))
        }
        "trafilatura" => {
            let mut opts = trafilatura::Options::default();
            opts.enable_fallback = true;
            opts.original_url = url::Url::parse(url).ok();
            let r = trafilatura::extract(&html, &opts).ok()?;
            Some(shape(&r.metadata.title, &r.content_text))
        }
        "rs-trafilatura" => {
            let r = rs_trafilatura::extract(&html).ok()?;
            Some(shape(r.metadata.title.as_deref().unwrap_or(""), &r.content_text))
        }
        "dom_smoothie" => {
            let cfg = dom_smoothie::Config { text_mode: dom_smoothie::TextMode::Formatted, ..Default::default() };
            let mut r = dom_smoothie::Readability::new(html.as_ref(), Some(url).filter(|u| !u.is_empty()), Some(cfg)).ok()?;
            let a = r.parse().ok()?;
            Some(shape(&a.title, &a.text_content))
        }
        "legible" => {
            let a = legible::parse(&html, Some(url).filter(|u| !u.is_empty()), None).ok()?;
            Some(shape(&a.title, &a.text_content))
        }
        _ => None,
    }
}

fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: extractors-bench NAME HTML_DIR OUT_DIR");
        std::process::exit(2);
    }
    let (name, html_dir, out_dir) = (&args[1], std::path::Path::new(&args[2]), std::path::Path::new(&args[3]));
    let mut urls = HashMap::new();
    if let Some(parent) = html_dir.parent() {
        if let Ok(t) = std::fs::read_to_string(parent.join("urls.tsv")) {
            for l in t.lines() {
                if let Some((id, u)) = l.split_once('\t') {
                    urls.insert(id.to_string(), u.to_string());
                }
            }
        }
    }
    std::fs::create_dir_all(out_dir).expect("creating the output directory");
    let mut pages: Vec<_> = std::fs::read_dir(html_dir)
        .expect("reading the page directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    pages.sort();
    let (mut total, mut times, mut empty) = (Duration::ZERO, Vec::new(), 0usize);
    for p in &pages {
        let id = p.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string();
        let body = std::fs::read(p).expect("reading a page");
        let url = urls.get(&id).cloned().unwrap_or_default();
        let t = Instant::now();
        let out = run(name, &body, &url);
        let d = t.elapsed();
        total += d;
        times.push(d);
        if out.is_none() {
            empty += 1;
        }
        std::fs::write(out_dir.join(format!("{id}.txt")), out.unwrap_or_default()).expect("writing a result");
    }
    times.sort();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    println!(
        "{name}: {} pages, {} failed, {:.1} pages/s per core, median {:.2} ms/page, peak RSS {:.0} MB",
        pages.len(),
        empty,
        pages.len() as f64 / total.as_secs_f64().max(1e-9),
        median.as_secs_f64() * 1000.0,
        peak_rss_mb().unwrap_or(0.0)
    );
}
