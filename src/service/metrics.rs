//! Process-wide counters and their rendering in the Prometheus text format
//! (version 0.0.4).
//!
//! Counters are atomics (or, for labelled ones, a small map under a mutex:
//! they move at most a few times per article), bumped by the daemon and the
//! pipeline through [`global`]. Rendering is pure: this module does no I/O
//! and reads no clock; durations come in as arguments.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

use crate::model::FeedOutcome;

/// Upper bounds (seconds) of the poll-duration histogram buckets: a poll of
/// a quiet feed takes well under a second, one that fetches a dozen pages
/// through a slow proxy takes minutes.
const POLL_BUCKETS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

#[derive(Debug)]
struct Histogram {
    buckets: [AtomicU64; POLL_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    const fn new() -> Histogram {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; POLL_BUCKETS.len()],
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (bound, n) in POLL_BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                n.fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros().min(u64::MAX as u128) as u64, Relaxed);
    }
}

/// Every number `/metrics` shows.
#[derive(Debug)]
pub struct Metrics {
    polls_ok: AtomicU64,
    polls_not_modified: AtomicU64,
    polls_failed: AtomicU64,
    articles_stored: AtomicU64,
    duplicates: AtomicU64,
    offtopic: AtomicU64,
    no_article: AtomicU64,
    entry_failures: AtomicU64,
    alerts_sent: AtomicU64,
    alerts_failed: AtomicU64,
    alerts_pending: AtomicU64,
    throttled_hosts: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    polls_in_flight: AtomicU64,
    feeds: AtomicU64,
    corpus_files: AtomicU64,
    /// Unix time of the last completed poll (0: none yet).
    last_poll: AtomicU64,
    poll_seconds: Histogram,
    /// (metric, label value) → count, for poll errors by kind and
    /// articles by extraction method.
    labelled: Mutex<BTreeMap<(&'static str, String), u64>>,
}

static GLOBAL: Metrics = Metrics::new();

/// The process's metrics.
pub fn global() -> &'static Metrics {
    &GLOBAL
}

const ERRORS: &str = "poll_errors";
const METHODS: &str = "methods";

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub const fn new() -> Metrics {
        Metrics {
            polls_ok: AtomicU64::new(0),
            polls_not_modified: AtomicU64::new(0),
            polls_failed: AtomicU64::new(0),
            articles_stored: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            offtopic: AtomicU64::new(0),
            no_article: AtomicU64::new(0),
            entry_failures: AtomicU64::new(0),
            alerts_sent: AtomicU64::new(0),
            alerts_failed: AtomicU64::new(0),
            alerts_pending: AtomicU64::new(0),
            throttled_hosts: AtomicU64::new(0),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            polls_in_flight: AtomicU64::new(0),
            feeds: AtomicU64::new(0),
            corpus_files: AtomicU64::new(0),
            last_poll: AtomicU64::new(0),
            poll_seconds: Histogram::new(),
            labelled: Mutex::new(BTreeMap::new()),
        }
    }

    fn bump(&self, metric: &'static str, label: &str, by: u64) {
        let mut m = self.labelled.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry((metric, label.to_string())).or_insert(0) += by;
    }

    /// One poll of one feed finished after `took`, at `unix_now`.
    pub fn poll_finished(&self, out: &FeedOutcome, took: Duration, unix_now: i64) {
        match &out.error {
            Some(e) => {
                self.polls_failed.fetch_add(1, Relaxed);
                self.bump(ERRORS, e.kind.label(), 1);
            }
            None if out.not_modified => {
                self.polls_not_modified.fetch_add(1, Relaxed);
            }
            None => {
                self.polls_ok.fetch_add(1, Relaxed);
            }
        }
        self.articles_stored.fetch_add(out.stored as u64, Relaxed);
        self.corpus_files.fetch_add(out.stored as u64, Relaxed);
        self.duplicates.fetch_add(out.duplicates as u64, Relaxed);
        self.offtopic.fetch_add(out.offtopic as u64, Relaxed);
        self.no_article.fetch_add(out.no_article as u64, Relaxed);
        self.entry_failures.fetch_add(out.failed as u64, Relaxed);
        self.poll_seconds.observe(took);
        self.last_poll.store(unix_now.max(0) as u64, Relaxed);
    }

    /// An article was stored, its text found by this extraction method
    /// (`extract::Article::method`).
    pub fn article_extracted(&self, method: &str) {
        self.bump(METHODS, method, 1);
    }

    pub fn alert_sent(&self) {
        self.alerts_sent.fetch_add(1, Relaxed);
    }
    pub fn alert_failed(&self) {
        self.alerts_failed.fetch_add(1, Relaxed);
    }
    /// Alerts waiting in the outbox.
    pub fn set_alerts_pending(&self, n: u64) {
        self.alerts_pending.store(n, Relaxed);
    }
    /// Hosts the fetcher is currently holding back (politeness, Retry-After).
    pub fn set_throttled_hosts(&self, n: u64) {
        self.throttled_hosts.store(n, Relaxed);
    }
    pub fn reloaded(&self, ok: bool) {
        let c = if ok {
            &self.reloads_ok
        } else {
            &self.reloads_failed
        };
        c.fetch_add(1, Relaxed);
    }
    pub fn set_feeds(&self, n: usize) {
        self.feeds.store(n as u64, Relaxed);
    }
    pub fn set_corpus_files(&self, n: usize) {
        self.corpus_files.store(n as u64, Relaxed);
    }
    pub fn add_corpus_files(&self, n: usize) {
        self.corpus_files.fetch_add(n as u64, Relaxed);
    }
    pub fn poll_started(&self) {
        self.polls_in_flight.fetch_add(1, Relaxed);
    }
    pub fn poll_ended(&self) {
        let _ = self
            .polls_in_flight
            .fetch_update(Relaxed, Relaxed, |n| Some(n.saturating_sub(1)));
    }

    /// Articles stored since the process started.
    pub fn articles_stored(&self) -> u64 {
        self.articles_stored.load(Relaxed)
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let g = |a: &AtomicU64| a.load(Relaxed);
        family(
            &mut out,
            "tidings_build_info",
            "gauge",
            "The running version.",
        );
        let _ = writeln!(
            out,
            "tidings_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        family(
            &mut out,
            "tidings_polls_total",
            "counter",
            "Feed polls, by outcome.",
        );
        for (label, v) in [
            ("ok", g(&self.polls_ok)),
            ("not_modified", g(&self.polls_not_modified)),
            ("error", g(&self.polls_failed)),
        ] {
            let _ = writeln!(out, "tidings_polls_total{{outcome=\"{label}\"}} {v}");
        }
        let labelled = self
            .labelled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        family(
            &mut out,
            "tidings_poll_errors_total",
            "counter",
            "Failed feed polls, by kind of failure.",
        );
        // Every kind, a kind that has not happened yet at 0, so alerts on
        // `rate()` work from the start.
        for kind in crate::model::FailureKind::ALL.map(|k| k.label()) {
            let v = labelled.get(&(ERRORS, kind.to_string())).unwrap_or(&0);
            let _ = writeln!(out, "tidings_poll_errors_total{{kind=\"{kind}\"}} {v}");
        }
        let simple = self.simple();
        for (name, kind, help, v) in simple {
            family(&mut out, name, kind, help);
            let _ = writeln!(out, "{name} {v}");
        }
        family(
            &mut out,
            "tidings_config_reloads_total",
            "counter",
            "Config reloads (SIGHUP), by result.",
        );
        let _ = writeln!(
            out,
            "tidings_config_reloads_total{{result=\"ok\"}} {}",
            g(&self.reloads_ok)
        );
        let _ = writeln!(
            out,
            "tidings_config_reloads_total{{result=\"error\"}} {}",
            g(&self.reloads_failed)
        );
        family(
            &mut out,
            "tidings_articles_by_method_total",
            "counter",
            "Stored articles, by the extraction method that found their text.",
        );
        for ((metric, label), v) in &labelled {
            if *metric == METHODS {
                let _ = writeln!(
                    out,
                    "tidings_articles_by_method_total{{method=\"{}\"}} {v}",
                    escape_label(label)
                );
            }
        }
        self.render_poll_seconds(&mut out);
        out
    }

    /// The poll duration histogram.
    fn render_poll_seconds(&self, out: &mut String) {
        let g = |a: &AtomicU64| a.load(Relaxed);
        family(
            out,
            "tidings_poll_duration_seconds",
            "histogram",
            "How long one poll of one feed took, pages included.",
        );
        for (bound, n) in POLL_BUCKETS.iter().zip(&self.poll_seconds.buckets) {
            let _ = writeln!(
                out,
                "tidings_poll_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                g(n)
            );
        }
        let count = g(&self.poll_seconds.count);
        let _ = writeln!(
            out,
            "tidings_poll_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "tidings_poll_duration_seconds_sum {}",
            g(&self.poll_seconds.sum_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "tidings_poll_duration_seconds_count {count}");
    }

    /// The metrics with one value and no labels: (name, type, help, value).
    fn simple(&self) -> [(&'static str, &'static str, &'static str, u64); 13] {
        let g = |a: &AtomicU64| a.load(Relaxed);
        [
            (
                "tidings_articles_stored_total",
                "counter",
                "New articles written to the corpus.",
                g(&self.articles_stored),
            ),
            (
                "tidings_duplicates_total",
                "counter",
                "Entries recorded as sightings of an article already in the corpus.",
                g(&self.duplicates),
            ),
            (
                "tidings_offtopic_total",
                "counter",
                "Articles that did not match the topic query.",
                g(&self.offtopic),
            ),
            (
                "tidings_no_article_total",
                "counter",
                "Entries whose page holds no article.",
                g(&self.no_article),
            ),
            (
                "tidings_entry_failures_total",
                "counter",
                "Entries that failed and will be retried.",
                g(&self.entry_failures),
            ),
            (
                "tidings_alerts_sent_total",
                "counter",
                "Alerts delivered.",
                g(&self.alerts_sent),
            ),
            (
                "tidings_alert_failures_total",
                "counter",
                "Alert deliveries that failed (retried from the outbox).",
                g(&self.alerts_failed),
            ),
            (
                "tidings_alerts_pending",
                "gauge",
                "Alerts waiting in the outbox.",
                g(&self.alerts_pending),
            ),
            (
                "tidings_throttled_hosts",
                "gauge",
                "Hosts currently held back by politeness or Retry-After.",
                g(&self.throttled_hosts),
            ),
            (
                "tidings_polls_in_flight",
                "gauge",
                "Feed polls running now.",
                g(&self.polls_in_flight),
            ),
            (
                "tidings_feeds",
                "gauge",
                "Feeds in the running config.",
                g(&self.feeds),
            ),
            (
                "tidings_corpus_files",
                "gauge",
                "Files in the corpus.",
                g(&self.corpus_files),
            ),
            (
                "tidings_last_poll_timestamp_seconds",
                "gauge",
                "Unix time of the last completed poll.",
                g(&self.last_poll),
            ),
        ]
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Label values escape backslash, double quote and newline.
fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(error: Option<&str>, stored: usize) -> FeedOutcome {
        use crate::model::{FailureKind, PollFailure};
        FeedOutcome {
            feed: "f".into(),
            error: error.map(|m| PollFailure {
                kind: FailureKind::Http5xx,
                message: m.to_string(),
            }),
            stored,
            duplicates: 2,
            ..Default::default()
        }
    }

    /// The value of one sample line in a rendering.
    fn sample(text: &str, series: &str) -> Option<String> {
        text.lines().find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')
                .map(str::to_string)
        })
    }

    #[test]
    fn counts_show_up_in_the_rendering() {
        let m = Metrics::new();
        m.poll_finished(&outcome(None, 3), Duration::from_millis(300), 1_700_000_000);
        m.poll_finished(
            &outcome(Some("https://x.org/f: HTTP 503"), 0),
            Duration::from_secs(20),
            1_700_000_100,
        );
        m.article_extracted("readability");
        m.article_extracted("readability");
        m.article_extracted("feed");
        m.set_alerts_pending(4);
        let t = m.render();
        let v = |s| sample(&t, s);
        assert_eq!(
            v("tidings_polls_total{outcome=\"ok\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            v("tidings_polls_total{outcome=\"error\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            v("tidings_poll_errors_total{kind=\"http_5xx\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            v("tidings_poll_errors_total{kind=\"timeout\"}").as_deref(),
            Some("0")
        );
        assert_eq!(v("tidings_articles_stored_total").as_deref(), Some("3"));
        assert_eq!(v("tidings_duplicates_total").as_deref(), Some("4"));
        assert_eq!(v("tidings_alerts_pending").as_deref(), Some("4"));
        assert_eq!(
            v("tidings_articles_by_method_total{method=\"readability\"}").as_deref(),
            Some("2")
        );
        assert_eq!(
            v("tidings_poll_duration_seconds_bucket{le=\"0.5\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            v("tidings_poll_duration_seconds_bucket{le=\"30\"}").as_deref(),
            Some("2")
        );
        assert_eq!(
            v("tidings_poll_duration_seconds_bucket{le=\"+Inf\"}").as_deref(),
            Some("2")
        );
        assert_eq!(
            v("tidings_poll_duration_seconds_sum").as_deref(),
            Some("20.3")
        );
        assert_eq!(
            v("tidings_last_poll_timestamp_seconds").as_deref(),
            Some("1700000100")
        );
    }

    #[test]
    fn rendering_is_well_formed_exposition() {
        let m = Metrics::new();
        m.article_extracted("we\"ird\nname\\");
        let t = m.render();
        let mut typed = std::collections::HashSet::new();
        for line in t.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let name = rest.split(' ').next().unwrap();
                assert!(typed.insert(name.to_string()), "{name} typed twice");
                continue;
            }
            if line.starts_with("# HELP ") {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').expect("sample has a value");
            assert!(value.parse::<f64>().is_ok(), "value of {line}");
            let name = series.split('{').next().unwrap();
            let base = name
                .strip_suffix("_bucket")
                .or_else(|| name.strip_suffix("_sum"))
                .or_else(|| name.strip_suffix("_count"))
                .filter(|b| typed.contains(*b))
                .unwrap_or(name);
            assert!(typed.contains(base), "{name} has no TYPE line before it");
        }
        assert!(t.contains("method=\"we\\\"ird\\nname\\\\\""), "{t}");
    }

    #[test]
    fn in_flight_never_goes_below_zero() {
        let m = Metrics::new();
        m.poll_ended();
        m.poll_started();
        assert!(m.render().contains("tidings_polls_in_flight 1\n"));
    }
}
