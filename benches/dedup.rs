//! Dedup index figures: time to decide one article and index memory per
//! article at 10k, 100k and 1M synthetic corpus articles, and start-up time
//! (rebuilding the index from stored fingerprints) at the largest size.
//!
//! Run: `cargo bench --bench dedup` (all sizes) or
//! `cargo bench --bench dedup -- 10000 100000` (chosen sizes).
//! Plain `std::time::Instant`; medians and 99th percentiles are printed,
//! and per size a `bench-result {json}` line that `bench/compare/run` reads.
//!
//! `DEDUP_DUMP=DIR cargo bench --bench dedup -- SIZES` times nothing: it
//! writes the same articles (`DIR/corpus.txt`, one per line, paragraphs
//! separated by tabs) and each size's 1000 probes (`DIR/queries-N.tsv`:
//! `copy|new<TAB>TARGET<TAB>TEXT`) so that another dedup library can be
//! timed on exactly these inputs.

use std::time::{Duration, Instant};

use tidings::dedup::{Decision, DocMeta, Fingerprint, Index};

/// Deterministic generator (splitmix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A vocabulary of made-up words with Zipf(1) frequencies, like news text:
/// a few hundred words make up half of the running text.
struct Vocab {
    words: Vec<String>,
    cum: Vec<f64>,
}

impl Vocab {
    fn new(n: usize) -> Self {
        const SYL: [&str; 24] = [
            "al", "ver", "ton", "dex", "qua", "lin", "mor", "sat", "ric", "zen", "pol", "ark",
            "nov", "tri", "bel", "cor", "vak", "lum", "sen", "tor", "e", "a", "o", "i",
        ];
        let mut r = Rng(7);
        let mut words = Vec::with_capacity(n);
        let mut cum = Vec::with_capacity(n);
        let mut total = 0.0;
        for i in 0..n {
            let len = 1 + (i as f64).log10().max(0.0) as u64 + r.below(2);
            words.push(
                (0..len)
                    .map(|_| SYL[r.below(SYL.len() as u64) as usize])
                    .collect(),
            );
            total += 1.0 / (i as f64 + 1.0);
            cum.push(total);
        }
        for c in &mut cum {
            *c /= total;
        }
        Vocab { words, cum }
    }
    fn word(&self, r: &mut Rng) -> &str {
        let u = (r.next() >> 11) as f64 / (1u64 << 53) as f64;
        let i = self
            .cum
            .partition_point(|&c| c < u)
            .min(self.words.len() - 1);
        &self.words[i]
    }
}

/// Article `seed`: a headline and 6-14 paragraphs of 2-4 sentences (~450
/// words on average), in the corpus format.
fn article(v: &Vocab, seed: u64) -> Vec<String> {
    let mut r = Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x1234_5678);
    let sentence = |r: &mut Rng| {
        let n = 8 + r.below(18) as usize;
        let mut s: Vec<&str> = (0..n).map(|_| v.word(r)).collect();
        let last = s.len() - 1;
        let mut out = String::new();
        for (i, w) in s.drain(..).enumerate() {
            out.push_str(w);
            out.push_str(if i == last { "." } else { " " });
        }
        out
    };
    let mut paras = vec![sentence(&mut r)];
    for _ in 0..6 + r.below(9) {
        let k = 2 + r.below(3);
        paras.push(
            (0..k)
                .map(|_| sentence(&mut r))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    paras
}

/// A copy of article `seed` as another outlet runs it: new headline, last
/// paragraph dropped, two words changed.
fn copy_of(v: &Vocab, seed: u64) -> String {
    let mut p = article(v, seed);
    p[0] = "Wire: officials respond to the report".into();
    if p.len() > 4 {
        p.pop();
    }
    for i in [1, 3] {
        p[i] = p[i].replacen(' ', " updated ", 1);
    }
    p.join("\n\n")
}

/// The 1000 probes at corpus size `n`: 500 copies of random corpus
/// articles (with the article they copy), 500 new articles.
fn probes(v: &Vocab, n: usize) -> Vec<(bool, u64, String)> {
    let mut r = Rng(n as u64);
    (0..1000u64)
        .map(|k| {
            let is_copy = k % 2 == 0;
            let target = r.below(n as u64);
            let text = if is_copy {
                copy_of(v, target)
            } else {
                article(v, 10_000_000_000 + k).join("\n\n")
            };
            (is_copy, target, text)
        })
        .collect()
}

fn dump(dir: &std::path::Path, v: &Vocab, sizes: &[usize]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let max = sizes.iter().copied().max().unwrap_or(0);
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("corpus.txt"))?);
    for i in 0..max {
        writeln!(w, "{}", article(v, i as u64).join("\t"))?;
    }
    w.flush()?;
    for &n in sizes {
        let mut w =
            std::io::BufWriter::new(std::fs::File::create(dir.join(format!("queries-{n}.tsv")))?);
        for (is_copy, target, text) in probes(v, n) {
            let kind = if is_copy { "copy" } else { "new" };
            writeln!(w, "{kind}\t{target}\t{}", text.replace("\n\n", "\t"))?;
        }
        w.flush()?;
    }
    Ok(())
}

fn rss_bytes() -> Option<u64> {
    // Bench binary only (the index itself does no I/O): resident set size.
    let s = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = s.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    (
        us(v[v.len() / 2]),
        us(v[(v.len() * 99 / 100).min(v.len() - 1)]),
    )
}

fn main() {
    let sizes: Vec<usize> = {
        let args: Vec<usize> = std::env::args()
            .skip(1)
            .filter_map(|a| a.parse().ok())
            .collect();
        if args.is_empty() {
            vec![10_000, 100_000, 1_000_000]
        } else {
            args
        }
    };
    let vocab = Vocab::new(50_000);
    if let Some(dir) = std::env::var_os("DEDUP_DUMP") {
        let dir = std::path::PathBuf::from(dir);
        if let Err(e) = dump(&dir, &vocab, &sizes) {
            eprintln!("dedup bench: cannot write {}: {e}", dir.display());
            std::process::exit(1);
        }
        println!(
            "dedup bench: wrote the inputs for {sizes:?} to {}",
            dir.display()
        );
        return;
    }
    let meta = DocMeta::default();
    let mut idx = Index::new();
    let mut blobs: Vec<u8> = Vec::new();
    let mut offsets: Vec<usize> = vec![0];
    let rss0 = rss_bytes().unwrap_or(0);
    let mut words = 0usize;
    let mut fp_time = Duration::ZERO;
    println!("dedup bench: synthetic articles (Zipf vocabulary of 50k words), one core, medians of 1000 decisions");
    for &n in &sizes {
        let start = idx.len();
        let t_build = Instant::now();
        for i in start..n {
            let text = article(&vocab, i as u64).join("\n\n");
            words += text.split_whitespace().count();
            let t = Instant::now();
            let fp = idx.fingerprint(&text, &meta);
            fp_time += t.elapsed();
            blobs.extend_from_slice(&fp.to_bytes());
            offsets.push(blobs.len());
            idx.insert_fingerprint(i as u64, fp, &meta);
        }
        let build = t_build.elapsed();
        let heap = idx.heap_bytes();
        let rss = rss_bytes()
            .unwrap_or(0)
            .saturating_sub(rss0)
            .saturating_sub(blobs.capacity() as u64);
        let mut t_dup = Vec::new();
        let mut t_new = Vec::new();
        let mut t_assess = Vec::new();
        let (mut found, mut false_dup) = (0, 0);
        for (is_copy, target, text) in probes(&vocab, n) {
            let t = Instant::now();
            let fp = idx.fingerprint(&text, &meta);
            let ta = Instant::now();
            let d = idx.assess(&fp, &meta).decision;
            t_assess.push(ta.elapsed());
            let el = t.elapsed();
            match (&d, is_copy) {
                (Decision::Duplicate { of, .. }, true) if *of == target => found += 1,
                (Decision::Duplicate { .. }, false) => false_dup += 1,
                _ => {}
            }
            if is_copy {
                t_dup.push(el)
            } else {
                t_new.push(el)
            }
        }
        let all: Vec<Duration> = t_dup.iter().chain(&t_new).copied().collect();
        let (all_m, _) = stats(all);
        let (dm, d99) = stats(t_dup);
        let (nm, n99) = stats(t_new);
        let (am, a99) = stats(t_assess);
        println!(
            "N={n:>9}: decide copy median {dm:7.1} us (p99 {d99:7.1}), new median {nm:7.1} us (p99 {n99:7.1}); \
             of which index lookup+verify median {am:6.1} us (p99 {a99:6.1}); copies found {found}/500, false dups {false_dup}/500"
        );
        println!(
            "              index heap {:.0} B/article (RSS growth {:.0} B/article); fingerprint {:.1} us/article; \
             build {:.1} s; {:.0} words/article; stored blob {:.0} B/article",
            heap as f64 / n as f64,
            rss as f64 / n as f64,
            fp_time.as_secs_f64() * 1e6 / n as f64,
            build.as_secs_f64(),
            words as f64 / n as f64,
            blobs.len() as f64 / n as f64,
        );
        println!(
            "bench-result {}",
            serde_json::json!({
                "stage": "dedup",
                "n": n,
                "decision_us": all_m,
                "copy_us": dm,
                "new_us": nm,
                "heap_b_per_article": heap as f64 / n as f64,
                "rss_b_per_article": rss as f64 / n as f64,
                "found": found,
                "false_dups": false_dup,
                "build_s": build.as_secs_f64(),
            })
        );
    }
    // Start-up: rebuild the index from the stored fingerprint blobs, as the
    // daemon does from SQLite (reading the rows is the store's cost).
    let n = offsets.len() - 1;
    drop(idx);
    let t = Instant::now();
    let mut fresh = Index::new();
    for i in 0..n {
        let fp = match Fingerprint::from_bytes(&blobs[offsets[i]..offsets[i + 1]]) {
            Ok(fp) => fp,
            Err(e) => {
                eprintln!("blob {i}: {e}");
                std::process::exit(1);
            }
        };
        fresh.insert_fingerprint(i as u64, fp, &meta);
    }
    let el = t.elapsed();
    println!(
        "start-up: rebuilt the index of {n} articles from fingerprints in {:.2} s ({:.2} us/article)",
        el.as_secs_f64(),
        el.as_secs_f64() * 1e6 / n as f64
    );
}
