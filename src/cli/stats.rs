//! `tidings stats`: what the corpus holds: totals (articles, stories,
//! duplicates, off-topic), articles per day, per feed and per story, and
//! the evidence archive's disk use. A
//! report of sections, each filled by store queries and printed as text or
//! as one JSON object; a new section is a field of `Report` and a printer.
//! Holds no SQL.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::open::{open_reader, Reader};
use super::paint::Paint;
use crate::config::Config;
use crate::store::{DayCount, FeedCount, StoryCount, Totals};

use super::stats_archive::{archive_usage, ArchiveUsage};

#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    /// Days shown in the per-day section (the latest that have articles).
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub days: usize,
    /// Stories shown (those carried most widely).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// One JSON object with a key per section.
    #[arg(long)]
    pub json: bool,
}

/// Every section of the report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub totals: Totals,
    pub per_day: Vec<DayCount>,
    pub per_feed: Vec<FeedCount>,
    pub per_story: Vec<StoryCount>,
    pub archive: ArchiveUsage,
}

impl Report {
    pub fn gather(config: &Config, store: &mut Reader, args: &StatsArgs) -> Result<Report> {
        Ok(Report {
            archive: archive_usage(config, store.capture_counts()?)?,
            totals: store.totals()?,
            per_day: store.articles_per_day(args.days)?,
            per_feed: store.per_feed()?,
            per_story: store.top_stories(args.top)?,
        })
    }

    pub fn print(&self, w: &mut impl Write, paint: &Paint) -> std::io::Result<()> {
        let head = |w: &mut dyn Write, s: &str| writeln!(w, "{}", paint.bold(s));
        let t = &self.totals;
        head(w, "Totals")?;
        for (label, n) in [
            ("articles", t.articles),
            ("  imported files", t.imported),
            ("stories", t.stories),
            ("duplicates", t.duplicates),
            ("off-topic", t.offtopic),
            ("without article", t.no_article),
            ("failed (retried)", t.failed),
        ] {
            writeln!(w, "  {label:<18}{n:>8}")?;
        }
        writeln!(w)?;
        head(w, "Articles per day (published, else fetched; UTC)")?;
        for d in &self.per_day {
            writeln!(w, "  {}  {:>6}", d.day, d.articles)?;
        }
        if t.undated > 0 {
            writeln!(w, "  undated     {:>6}", t.undated)?;
        }
        writeln!(w)?;
        head(w, "Per feed")?;
        let width = self
            .per_feed
            .iter()
            .map(|f| feed_name(f).chars().count())
            .max()
            .unwrap_or(0)
            .max(4);
        writeln!(
            w,
            "  {:<width$}  {:>8}  {:>10}  {:>9}",
            "FEED", "ARTICLES", "DUPLICATES", "OFF-TOPIC"
        )?;
        for f in &self.per_feed {
            writeln!(
                w,
                "  {:<width$}  {:>8}  {:>10}  {:>9}",
                feed_name(f),
                f.articles,
                f.duplicates,
                f.offtopic
            )?;
        }
        writeln!(w)?;
        head(w, "Stories carried most widely")?;
        writeln!(
            w,
            "  {:>6}  {:>8}  {:>10}  HEADLINE",
            "STORY", "ARTICLES", "DUPLICATES"
        )?;
        for s in &self.per_story {
            writeln!(
                w,
                "  {:>6}  {:>8}  {:>10}  {}",
                s.story, s.articles, s.duplicates, s.title
            )?;
        }
        writeln!(w)?;
        let a = &self.archive;
        head(
            w,
            &format!(
                "Evidence archive ({}{})",
                a.dir.display(),
                if a.enabled { "" } else { ", disabled" }
            ),
        )?;
        let c = &a.counts;
        for (label, n) in [
            ("WARC files", a.files),
            ("bytes on disk", a.bytes),
            ("captured articles", c.articles),
            ("captured sightings", c.sightings),
            ("truncated records", c.truncated),
            ("payload bytes", c.payload_bytes),
            ("not captured", c.articles_without),
            ("texts rewritten", c.rewritten),
        ] {
            writeln!(w, "  {label:<18}{n:>12}")?;
        }
        writeln!(
            w,
            "  limits: {} per file, {} per record",
            a.max_file_bytes, a.max_record_bytes
        )?;
        Ok(())
    }
}

fn feed_name(f: &FeedCount) -> &str {
    f.feed.as_deref().unwrap_or("(imported)")
}

pub fn run(config: &Config, args: &StatsArgs) -> Result<i32> {
    let mut store = open_reader(config)?;
    let report = Report::gather(config, &mut store, args)?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if args.json {
        // One document, one line, as every single object tidings prints.
        serde_json::to_writer(&mut w, &report)?;
        writeln!(w)?;
    } else {
        report.print(&mut w, &Paint::stdout())?;
    }
    w.flush()?;
    Ok(0)
}
