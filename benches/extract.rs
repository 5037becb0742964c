//! Extraction throughput and memory over the dev page set.
//!
//! `cargo bench --bench extract`: runs `tidings::extract::extract` over every
//! page in `../shared/eval/extraction/dev/html` on one thread, in-process,
//! three rounds, and prints pages per second per core (median round), the
//! median and 99th-percentile time per page, the peak resident memory of
//! the process, and the share of pages that took a second look (an article
//! by any method but the first pass's content scoring). Skips with a message when the page set is absent (a fresh
//! clone without `../shared`).
//!
//! For `bench/compare/run` (the side-by-side with Python's trafilatura):
//! `TIDINGS_EVAL` points at the eval kits instead of `../shared/eval`,
//! `EXTRACT_LIMIT=N` takes the first N pages only (its quick mode), and
//! `EXTRACT_OUT=DIR` writes each page's article as `DIR/ID.txt` in the corpus
//! shape, rendered after the timed rounds, so the kit's score.py can give
//! the F1 of exactly what was timed. The last line, `bench-result {json}`,
//! is for that script.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let eval = std::env::var_os("TIDINGS_EVAL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/eval"));
    let dir = eval.join("extraction/dev/html");
    let limit = std::env::var("EXTRACT_LIMIT")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    let out_dir = std::env::var_os("EXTRACT_OUT").map(PathBuf::from);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("extract bench: skipped, no page set at {}", dir.display());
        return;
    };
    let mut urls = HashMap::new();
    if let Ok(t) = std::fs::read_to_string(dir.join("../urls.tsv")) {
        for l in t.lines() {
            if let Some((id, u)) = l.split_once('\t') {
                urls.insert(id.to_string(), u.to_string());
            }
        }
    }
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    paths.sort();
    paths.truncate(limit);
    let fallback = url::Url::parse("https://example.org/").expect("static URL");
    let pages: Vec<(String, Vec<u8>, url::Url)> = paths
        .iter()
        .filter_map(|p| {
            let body = std::fs::read(p).ok()?;
            let id = p.file_stem()?.to_str()?;
            let u = urls
                .get(id)
                .and_then(|u| url::Url::parse(u).ok())
                .unwrap_or_else(|| fallback.clone());
            Some((id.to_string(), body, u))
        })
        .collect();
    let bytes: usize = pages.iter().map(|(_, b, _)| b.len()).sum();
    let mut rounds = Vec::new();
    let mut per_page = Vec::new();
    let mut ok = 0;
    // How many articles each method gave: every method but `density` is a
    // second look taken because the first pass found too little.
    let mut methods: HashMap<&'static str, usize> = HashMap::new();
    for round in 0..3 {
        let start = Instant::now();
        for (_, body, u) in &pages {
            let t = Instant::now();
            let r = tidings::extract::extract(body, Some("text/html"), u);
            per_page.push(t.elapsed());
            if round == 0 {
                if let Ok(a) = &r {
                    ok += 1;
                    *methods.entry(a.method.as_str()).or_default() += 1;
                }
            }
            std::hint::black_box(r.ok());
        }
        rounds.push(start.elapsed());
    }
    if let Some(out) = &out_dir {
        if let Err(e) = write_articles(out, &pages) {
            eprintln!("extract bench: cannot write {}: {e}", out.display());
            std::process::exit(1);
        }
    }
    rounds.sort();
    per_page.sort();
    let median_round = rounds[rounds.len() / 2];
    let pct = |q: f64| {
        per_page
            .get(((per_page.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(Duration::ZERO)
    };
    println!(
        "extract: {} pages ({:.1} MB), {} articles; {:.1} pages/s per core (median of 3 rounds), {:.1} MB/s; per page median {:.2} ms, p99 {:.2} ms, max {:.2} ms; peak RSS {}",
        pages.len(),
        bytes as f64 / 1e6,
        ok,
        pages.len() as f64 / median_round.as_secs_f64(),
        bytes as f64 / 1e6 / median_round.as_secs_f64(),
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        pct(1.0).as_secs_f64() * 1e3,
        peak_rss_mb().map_or_else(|| "n/a".to_string(), |m| format!("{m:.0} MB (includes the {:.0} MB page set held in memory)", bytes as f64 / 1048576.0)),
    );
    let second = pages.len() - methods.get("density").copied().unwrap_or(0) - (pages.len() - ok);
    let mut by_method: Vec<_> = methods.iter().filter(|(m, _)| **m != "density").collect();
    by_method.sort();
    println!(
        "second opinion: {second} of {} pages ({:.1}%) took a second look ({})",
        pages.len(),
        100.0 * second as f64 / pages.len().max(1) as f64,
        by_method
            .iter()
            .map(|(m, n)| format!("{m} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "bench-result {}",
        serde_json::json!({
            "stage": "extract",
            "pages": pages.len(),
            "articles": ok,
            "pages_per_s": pages.len() as f64 / median_round.as_secs_f64(),
            "median_ms": pct(0.5).as_secs_f64() * 1e3,
            "second_opinion_share": second as f64 / pages.len().max(1) as f64,
            "peak_rss_mb": peak_rss_mb(),
        })
    );
}

/// One `ID.txt` per page, as `tidings extract` prints it; a page with no
/// article gets an empty file (the scorer counts it as an empty prediction).
fn write_articles(out: &Path, pages: &[(String, Vec<u8>, url::Url)]) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    for (id, body, u) in pages {
        let text = tidings::extract::extract(body, Some("text/html"), u)
            .map(|a| tidings::normalize::corpus_text(&a.title, &a.paragraphs))
            .unwrap_or_default();
        std::fs::write(out.join(format!("{id}.txt")), text)?;
    }
    Ok(())
}
