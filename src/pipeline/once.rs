//! `run --once`: every due feed polled once, several at a time, and the
//! summary of what came of it. Which feeds are due is `due_feeds`, the
//! pure choice the daemon's loop makes too.
//!
//! See `ARCHITECTURE.md`, "Entry points". Must not: print (the CLI does)
//! or handle signals (the caller bounds the run).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};

use super::handle::Pipeline;
use crate::config::FeedConfig;
use crate::model::FeedOutcome;
use crate::schedule;
use crate::store::FeedRow;

/// The result of polling every feed once.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub feeds: Vec<FeedOutcome>,
    /// Feeds skipped because they are not due yet.
    pub not_due: Vec<String>,
    /// Feeds skipped because they are retired (410 Gone).
    pub retired: Vec<String>,
}

impl Summary {
    pub fn failed(&self) -> usize {
        self.feeds.iter().filter(|f| f.error.is_some()).count()
    }
    pub fn total(&self, f: impl Fn(&FeedOutcome) -> usize) -> usize {
        self.feeds.iter().map(f).sum()
    }
}

/// What `run_once` reports as it goes (for a progress bar).
#[derive(Debug)]
pub enum OnceProgress<'a> {
    /// This many feeds are about to be polled.
    Start(usize),
    /// One feed's poll is done.
    Polled(&'a FeedOutcome),
}

/// The configured feeds sorted by their stored rows at `now`: the daemon's
/// loop and `run --once` choose with this one function.
#[derive(Debug, Default)]
pub struct DueFeeds<'a> {
    /// Due now (every feed not retired, with `force`), in config order.
    pub due: Vec<&'a FeedConfig>,
    /// Not due yet.
    pub not_due: Vec<&'a FeedConfig>,
    /// Retired (410 Gone): they wait for their config URL to change.
    pub retired: Vec<&'a FeedConfig>,
    /// When the first of the feeds not due yet falls due.
    pub next: Option<DateTime<Utc>>,
}

/// Which feeds are due at `now`, given their rows (a feed without a row
/// has never been polled, so it is due). Pure: the rows and the time are
/// the caller's.
pub fn due_feeds<'a>(
    feeds: &'a [FeedConfig],
    rows: &[FeedRow],
    now: DateTime<Utc>,
    force: bool,
) -> DueFeeds<'a> {
    let rows: HashMap<&str, &FeedRow> = rows.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut out = DueFeeds::default();
    for f in feeds {
        let row = rows.get(f.name.as_str()).copied();
        let next = row.and_then(|r| r.next_poll);
        if row.is_some_and(|r| r.retired.is_some()) {
            out.retired.push(f);
        } else if !force && !schedule::is_due(next, now) {
            out.not_due.push(f);
            out.next = match (out.next, next) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        } else {
            out.due.push(f);
        }
    }
    out
}

/// Polls every configured feed that is due (every one with `force`), several
/// at a time; retired feeds are left alone. `progress` hears of the start
/// and of each feed as it finishes.
pub async fn run_once(
    pipeline: &Pipeline,
    force: bool,
    progress: &(dyn Fn(OnceProgress) + Sync),
) -> Summary {
    let rows = pipeline.feed_rows().await.unwrap_or_default();
    let chosen = due_feeds(&pipeline.config.feeds, &rows, Utc::now(), force);
    let names = |fs: &[&FeedConfig]| fs.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
    let (not_due, retired) = (names(&chosen.not_due), names(&chosen.retired));
    let limit = pipeline.config.fetch.concurrency;
    progress(OnceProgress::Start(chosen.due.len()));
    let mut feeds: Vec<FeedOutcome> = stream::iter(chosen.due)
        .map(|f| {
            let mut p = pipeline.clone();
            p.forced = force;
            async move { p.refresh_feed(f).await }
        })
        .buffer_unordered(limit)
        .inspect(|o| progress(OnceProgress::Polled(o)))
        .collect()
        .await;
    feeds.sort_by(|a, b| a.feed.cmp(&b.feed));
    Summary {
        feeds,
        not_due,
        retired,
    }
}
