//! Feed parse throughput: `tidings::feed::parse` beside bare feed-rs on the
//! same documents, in the same run.
//!
//! Run: `cargo bench --bench feed_parse`. Reads the kit's bench feeds from
//! `$TIDINGS_FEED_BENCH` or `../shared/eval/feeds/bench` (4 large feeds and
//! `typical/`); when neither is there it says so and uses the project's quirk
//! fixtures instead. Prints the median of several timed runs per set, and
//! for the two whole sets a `bench-result {json}` line that
//! `bench/compare/run` reads.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const RUNS: usize = 15;

fn load(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .filter_map(|e| {
                    Some((
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).ok()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Times both parsers over the same documents, alternating run by run so
/// that load from other processes falls on both alike.
fn time_pair(
    docs: &[&[u8]],
    a: &dyn Fn(&[u8]) -> usize,
    b: &dyn Fn(&[u8]) -> usize,
) -> [(Duration, usize); 2] {
    let mut out = [(Duration::ZERO, 0), (Duration::ZERO, 0)];
    let mut times = [Vec::with_capacity(RUNS), Vec::with_capacity(RUNS)];
    for (k, f) in [a, b].into_iter().enumerate() {
        // One untimed warm-up run, which also counts the entries.
        out[k].1 = docs.iter().map(|d| f(d)).sum();
    }
    for _ in 0..RUNS {
        for (k, f) in [a, b].into_iter().enumerate() {
            let t = Instant::now();
            for d in docs {
                std::hint::black_box(f(d));
            }
            times[k].push(t.elapsed());
        }
    }
    for (k, t) in times.into_iter().enumerate() {
        out[k].0 = median(t);
    }
    out
}

/// Prints both parsers' figures for one set and returns tidings' median
/// time and entry count.
fn report(label: &str, docs: &[&[u8]]) -> (Duration, usize) {
    let url = url::Url::parse("https://example.com/feed.xml").expect("static URL");
    let bytes: usize = docs.iter().map(|d| d.len()).sum();
    let mb = bytes as f64 / 1e6;
    let ours = |d: &[u8]| {
        tidings::feed::parse(d, None, &url)
            .map(|f| f.entries.len())
            .unwrap_or(0)
    };
    let bare = |d: &[u8]| {
        feed_rs::parser::parse(d)
            .map(|f| f.entries.len())
            .unwrap_or(0)
    };
    let [(t_ours, n_ours), (t_bare, n_bare)] = time_pair(docs, &ours, &bare);
    let line = |who: &str, t: Duration, n: usize| {
        let s = t.as_secs_f64();
        println!(
            "{label:<22} {who:<8} {:>9.2} ms  {:>8.1} MB/s  {:>9.1} feeds/s  {n:>6} entries",
            s * 1e3,
            mb / s,
            docs.len() as f64 / s
        );
    };
    line("tidings", t_ours, n_ours);
    line("feed-rs", t_bare, n_bare);
    println!(
        "{label:<22} ratio    {:.2}x (tidings time / feed-rs time), {} docs, {:.2} MB",
        t_ours.as_secs_f64() / t_bare.as_secs_f64(),
        docs.len(),
        mb
    );
    (t_ours, n_ours)
}

fn result(set: &str, docs: &[&[u8]], (t, entries): (Duration, usize)) {
    let bytes: usize = docs.iter().map(|d| d.len()).sum();
    println!(
        "bench-result {}",
        serde_json::json!({
            "stage": "feed_parse",
            "set": set,
            "docs": docs.len(),
            "bytes": bytes,
            "entries": entries,
            "seconds": t.as_secs_f64(),
            "mb_per_s": bytes as f64 / 1e6 / t.as_secs_f64(),
        })
    );
}

fn main() {
    let dir = std::env::var_os("TIDINGS_FEED_BENCH")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/feeds/bench")
        });
    println!("feed_parse: median of {RUNS} runs per set");
    let large = load(&dir);
    if large.is_empty() {
        println!(
            "bench feeds not found at {} (set TIDINGS_FEED_BENCH); using the quirk fixtures",
            dir.display()
        );
        let q = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feeds/quirks"));
        let docs: Vec<&[u8]> = q.iter().map(|(_, b)| b.as_slice()).collect();
        report("quirks", &docs);
        return;
    }
    println!("bench feeds from {}", dir.display());
    for (name, body) in &large {
        report(name, &[body.as_slice()]);
    }
    let all: Vec<&[u8]> = large.iter().map(|(_, b)| b.as_slice()).collect();
    result("large", &all, report("all large", &all));
    let typical = load(&dir.join("typical"));
    if !typical.is_empty() {
        let docs: Vec<&[u8]> = typical.iter().map(|(_, b)| b.as_slice()).collect();
        result("typical", &docs, report("typical (60 feeds)", &docs));
    }
    // Without the JSON feeds, which feedparser does not read: the set on
    // which the comparison with it is like for like.
    let xml: Vec<&[u8]> = large
        .iter()
        .chain(&typical)
        .filter(|(name, _)| !name.ends_with(".json"))
        .map(|(_, b)| b.as_slice())
        .collect();
    result("xml", &xml, report("XML only (large+typical)", &xml));
}
