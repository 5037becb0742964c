//! Full-text search benchmark: stores N synthetic articles through the
//! store's API twice (with the search index kept in step, and without),
//! then times queries of each kind. Prints the index's cost per stored
//! article, its share of the database file, and median query times.
//!
//!     cargo bench --bench search              # 20,000 articles
//!     cargo bench --bench search -- 5000 50000
//!
//! Text is drawn from a Zipf-like vocabulary of 30,000 made-up words, so
//! common words match most articles and rare ones a handful, as in news.

use std::time::{Duration, Instant};

use chrono::Utc;
use tidings::store::{ArticleFilter, NewArticle, SearchOptions, Store};
use tidings::topic::Query;

const VOCAB: usize = 30_000;
const PARAGRAPHS: usize = 6;
const WORDS_PER_PARAGRAPH: usize = 50;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// A word rank, log-uniform over the vocabulary (rank r drawn with
    /// probability about 1/r, as word frequencies go).
    fn rank(&mut self) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((VOCAB as f64).powf(u) as usize).saturating_sub(1)
    }
}

/// The word of a rank: syllables spelling the number, so words are stable.
fn word(rank: usize) -> String {
    const SYL: [&str; 16] = [
        "ka", "lo", "mi", "ner", "po", "ra", "si", "tu", "vo", "zan", "dre", "gul", "hin", "jar",
        "bel", "fos",
    ];
    let mut n = rank + 1;
    let mut w = String::new();
    while n > 0 {
        w.push_str(SYL[n % 16]);
        n /= 16;
    }
    w
}

fn text(i: usize) -> String {
    let mut rng = Rng((i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = format!(
        "Report {i}: {} {} {}",
        word(rng.rank()),
        word(rng.rank()),
        word(rng.rank())
    );
    for _ in 0..PARAGRAPHS {
        out.push_str("\n\n");
        let p: Vec<String> = (0..WORDS_PER_PARAGRAPH).map(|_| word(rng.rank())).collect();
        out.push_str(&p.join(" "));
        out.push('.');
    }
    out
}

fn row(i: usize) -> NewArticle {
    NewArticle {
        id: i as u64,
        file: format!("{i:03}_{:016x}.txt", i),
        url: Some(format!("https://outlet{}.example/{i}", i % 50)),
        canonical_url: Some(format!("https://outlet{}.example/{i}", i % 50)),
        title: format!("Report {i}"),
        feed: Some(format!("feed{}", i % 50)),
        entry_key: Some(format!("k{i}")),
        published: None,
        fetched_at: Some(Utc::now()),
        language: Some("en".into()),
        author: None,
        site_name: None,
        method: None,
        words: (PARAGRAPHS * WORDS_PER_PARAGRAPH) as u64,
        text_hash: [0; 16],
        story: i as u64,
        fingerprint: None,
        source: None,
        access: None,
    }
}

/// Stores n articles; returns the time per article and the file size.
fn fill(dir: &std::path::Path, n: usize, index: bool) -> (Duration, u64, Store) {
    let path = dir.join(if index { "indexed.db" } else { "plain.db" });
    let mut store = Store::open(&path).expect("database");
    let texts: Vec<String> = (0..n).map(text).collect();
    let now = Utc::now();
    let t = Instant::now();
    for (i, text) in texts.iter().enumerate() {
        store.begin_article(&row(i), None).expect("begin");
        let text = index.then_some(text.as_str());
        store
            .finish_article(i as u64, now, &[], text)
            .expect("finish");
    }
    let per = t.elapsed() / n as u32;
    // Fold the WAL in, so the file size is the data's.
    drop(store);
    let store = Store::open(&path).expect("reopen");
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.join(format!(
            "{}-wal",
            path.file_name().unwrap().to_string_lossy()
        )))
        .map(|m| m.len())
        .unwrap_or(0);
    (per, size, store)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let sizes: Vec<usize> = {
        let args: Vec<usize> = std::env::args()
            .skip(1)
            .filter_map(|a| a.parse().ok())
            .collect();
        if args.is_empty() {
            vec![20_000]
        } else {
            args
        }
    };
    println!(
        "search bench: synthetic articles of {} words (Zipf vocabulary of {VOCAB}), medians of 30 queries",
        PARAGRAPHS * WORDS_PER_PARAGRAPH
    );
    for n in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let (plain_per, plain_size, _) = fill(dir.path(), n, false);
        let (indexed_per, indexed_size, store) = fill(dir.path(), n, true);
        println!(
            "{n} articles: store {:.0} µs/article without the index, {:.0} µs with it; database {:.1} MB without, {:.1} MB with",
            plain_per.as_secs_f64() * 1e6,
            indexed_per.as_secs_f64() * 1e6,
            plain_size as f64 / 1e6,
            indexed_size as f64 / 1e6,
        );
        let queries = [
            ("common word", word(0)),
            ("mid word", word(300)),
            ("rare word", word(20_000)),
            ("prefix", format!("{}*", &word(40)[..3])),
            ("phrase", format!("\"{} {}\"", word(0), word(1))),
            ("two words", format!("{} {}", word(10), word(50))),
            (
                "OR and NOT",
                format!("({} OR {}) NOT {}", word(100), word(200), word(2)),
            ),
        ];
        for (label, q) in queries {
            let query = Query::parse(&q).expect("query");
            let opts = SearchOptions {
                filter: ArticleFilter::default(),
                limit: 20,
                marks: ("[", "]"),
            };
            let mut times = Vec::new();
            let mut hits = 0;
            for _ in 0..30 {
                let t = Instant::now();
                hits = store.search(&query, &opts).expect("search").len();
                times.push(t.elapsed());
            }
            let feed = SearchOptions {
                filter: ArticleFilter {
                    feed: Some("feed7".into()),
                    ..Default::default()
                },
                ..opts
            };
            let t = Instant::now();
            store.search(&query, &feed).expect("search");
            let filtered = t.elapsed();
            println!(
                "  {label:<11} {q:<28} {:>8.2} ms  ({hits} shown; with --feed {:.2} ms)",
                median(times).as_secs_f64() * 1e3,
                filtered.as_secs_f64() * 1e3
            );
        }
    }
}
