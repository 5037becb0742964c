//! Polling one feed: `Pipeline::refresh_feed`, the one path from a feed to
//! stored articles, used by the daemon and by `run --once` alike. It reads
//! the feed's row, fetches with its validators, parses, takes the entries
//! not seen before, prepares them a few at once (`entry`), commits them in
//! publication order, records the poll and schedules the next one.
//!
//! See `ARCHITECTURE.md`, "Entry points". Must not: decide when a feed is
//! due (that is `schedule`'s) or write files (the writer does, in `commit`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tracing::{error, info, warn};
use url::Url;

use super::entry::{newest_first, order_for_ingestion, Prepared};
use super::error::PipelineError;
use super::handle::Pipeline;
use super::outcome::{EntryOutcome, POLL_FAILURES};
use crate::config::FeedConfig;
use crate::feed::{self, Entry};
use crate::fetch::{FetchError, Fetched, Validators};
use crate::model::{ts, Event, FailureKind, FeedHealth, FeedOutcome, PollFailure};
use crate::schedule;
use crate::store::{EntryState, FeedRow, Outgoing, PollResult};

/// A feed's new entries prepared (fetched, extracted) at once. The host
/// budget still holds; this bounds the pages held in memory per feed, so
/// a few slow pages no longer hold up the rest one after another.
pub(super) const ENTRIES_AT_ONCE: usize = 4;

impl Pipeline {
    /// Queues feed-health alerts for the sinks that asked: a feed failing
    /// longer than their limit, and its recovery after such an alert.
    ///
    /// `row` is the feed's state as read before this poll: on a failure the
    /// failing period starts at `now` unless it had begun already; on a
    /// success `failing_since` is the period that just ended.
    pub(super) async fn check_feed_health(
        &self,
        feed: &FeedConfig,
        row: &crate::store::FeedRow,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) {
        let ok = error.is_none();
        let sinks: Vec<(String, std::time::Duration)> = self
            .config
            .alerts
            .iter()
            .filter_map(|a| a.feed_health.map(|d| (a.name.clone(), d)))
            .collect();
        if sinks.is_empty() {
            return;
        }
        let since = match (row.failing_since, ok) {
            (Some(since), _) => since,
            (None, false) => now,
            (None, true) => return,
        };
        let (name, url) = (feed.name.clone(), feed.url.to_string());
        let last_error = error.map(str::to_string).or_else(|| row.last_error.clone());
        let queued = self
            .with_ingest(move |i| {
                let key = format!("failing:{name}:{}", ts(since));
                let health = FeedHealth {
                    name: name.clone(),
                    url,
                    failing_since: ts(since),
                    last_error,
                };
                let mut out = Vec::new();
                for (sink, limit) in sinks {
                    let long = now - since
                        >= chrono::Duration::from_std(limit).unwrap_or(chrono::Duration::MAX);
                    if !ok && long {
                        let e = Event::FeedFailing {
                            feed: health.clone(),
                        };
                        out.push(Outgoing {
                            sink,
                            event: e.kind().into(),
                            key: key.clone(),
                            payload: e.webhook_body(),
                        });
                    } else if ok && i.store.queued(&sink, &key)? {
                        let e = Event::FeedRecovered {
                            feed: health.clone(),
                        };
                        let key = format!("recovered:{name}:{}", ts(since));
                        out.push(Outgoing {
                            sink,
                            event: e.kind().into(),
                            key,
                            payload: e.webhook_body(),
                        });
                    }
                }
                let any = !out.is_empty();
                i.store.enqueue(&out, now)?;
                Ok(any)
            })
            .await;
        match queued {
            Ok(true) => self.queued.notify_one(),
            Ok(false) => {}
            Err(e) => warn!(feed = %feed.name, "feed health alert not queued: {e}"),
        }
    }

    /// Polls one feed and ingests every entry not seen before, then
    /// decides when it is due next. With PostgreSQL the poll holds the
    /// feed's lease, and a feed another worker holds is left to it.
    pub async fn refresh_feed(&self, feed: &FeedConfig) -> FeedOutcome {
        match self.worker.clone() {
            Some(worker) => self.refresh_leased(feed, &worker).await,
            None => self.poll_feed(feed).await,
        }
    }

    /// The poll itself, leased or not.
    pub(super) async fn poll_feed(&self, feed: &FeedConfig) -> FeedOutcome {
        let mut out = FeedOutcome {
            feed: feed.name.clone(),
            ..Default::default()
        };
        let name = feed.name.clone();
        let row = match self.with_ingest(move |i| Ok(i.store.feed(&name)?)).await {
            Ok(r) => r.unwrap_or_default(),
            Err(e) => {
                out.error = Some(PollFailure::of(&e));
                return out;
            }
        };
        let interval = row
            .interval_secs
            .map(Duration::from_secs)
            .unwrap_or(feed.interval.unwrap_or(self.config.default_interval));
        let poll = Poll {
            feed,
            row: &row,
            interval,
        };
        // The stored URL: the config's, or where a permanent redirect led.
        let url = Url::parse(&row.url).unwrap_or_else(|_| feed.url.clone());
        let started = Utc::now();
        let full =
            schedule::full_poll_due(row.last_full_poll, started, self.config.schedule.full_poll);
        let validators = if full {
            Validators::default()
        } else {
            Validators {
                etag: row.etag.clone(),
                last_modified: row.last_modified.clone(),
            }
        };
        let fetched = self
            .fetcher
            .get(
                &url,
                &validators,
                self.config.fetch.max_feed_bytes,
                feed.proxy.as_deref(),
            )
            .await;
        let f = match fetched {
            Ok(f) => f,
            Err(e) => {
                out.error = Some(self.fetch_failed(&poll, &e).await);
                return out;
            }
        };
        if let Some(moved) = &f.moved_to {
            warn!(feed = %feed.name, "feed moved permanently to {moved}; polling it there (update the config)");
            let (name, moved) = (feed.name.clone(), moved.to_string());
            if let Err(e) = self
                .with_ingest(move |i| Ok(i.store.move_feed(&name, &moved)?))
                .await
            {
                // The next poll starts from the old URL and is moved again.
                warn!(feed = %feed.name, "the feed's new URL not recorded: {e}");
            }
        }
        let mut obs = schedule::Observation {
            polled_before: row.last_success.is_some(),
            ..Default::default()
        };
        let mut ttl = None;
        let result = if f.not_modified() {
            out.not_modified = true;
            PollResult::NotModified
        } else {
            let parsed = match self.parse(&f, &url).await {
                Ok(p) => p,
                Err(failure) => {
                    self.poll_failed(&poll, &failure, None).await;
                    out.error = Some(failure);
                    return out;
                }
            };
            ttl = parsed.ttl_seconds.map(Duration::from_secs);
            out.entries = parsed.entries.len();
            obs.entries = parsed.entries.len();
            obs.published = parsed.entries.iter().filter_map(|e| e.published).collect();
            let fault = self
                .ingest_entries(feed, &row, parsed.entries, &mut out, &mut obs)
                .await;
            match fault {
                // Not the feed's failure, so not counted against it (as in
                // an outage), and its validators are not kept: the next poll
                // must fetch the entries again rather than hear "not
                // modified".
                Some(fault) => {
                    let message = format!("storage fault: {fault}");
                    out.error = Some(PollFailure {
                        kind: FailureKind::Store,
                        message: message.clone(),
                    });
                    PollResult::Outage {
                        error: message,
                        kind: FailureKind::Store,
                    }
                }
                None => PollResult::Success {
                    etag: f.etag.clone(),
                    last_modified: f.last_modified.clone(),
                    entries: out.entries as u64,
                    full,
                },
            }
        };
        let now = Utc::now();
        crate::service::metrics::global()
            .set_throttled_hosts(self.fetcher.throttled_hosts() as u64);
        self.check_feed_health(feed, &row, None, now).await;
        let sched = self.config.schedule;
        let min = sched
            .min_interval
            .min(feed.interval.unwrap_or(sched.min_interval));
        let adapted = schedule::adapt(interval, &obs, min, sched.max_interval);
        let not_before = [
            ttl.map(|t| started + chrono::Duration::from_std(t).unwrap_or_default()),
            f.fresh_until,
        ]
        .into_iter()
        .flatten()
        .max();
        let next = schedule::next_poll(&feed.name, now, adapted, not_before);
        let name = feed.name.clone();
        if let Err(e) = self
            .with_ingest(move |i| {
                i.store.record_poll(&name, &result, now, next)?;
                Ok(i.store.set_interval(&name, adapted.as_secs())?)
            })
            .await
        {
            out.error = Some(PollFailure::of(&e));
        }
        info!(
            feed = %feed.name,
            entries = out.entries,
            stored = out.stored,
            duplicates = out.duplicates,
            offtopic = out.offtopic,
            failed = out.failed,
            not_modified = out.not_modified,
            next_poll = %ts(next),
            "polled"
        );
        out
    }

    /// The fetched feed parsed, off the async threads.
    async fn parse(&self, f: &Fetched, url: &Url) -> Result<feed::Feed, PollFailure> {
        let charset = f.charset().map(str::to_string);
        let (body, base) = (f.body.clone(), f.url.clone());
        let cap = usize::try_from(self.config.fetch.max_feed_bytes).unwrap_or(usize::MAX);
        let parsed = tokio::task::spawn_blocking(move || {
            feed::parse_capped(&body, charset.as_deref(), &base, cap)
        })
        .await;
        match parsed {
            Ok(Ok(feed)) => Ok(feed),
            Ok(Err(e)) => Err(PollFailure {
                kind: FailureKind::Parse,
                message: format!("{url}: {e}"),
            }),
            Err(e) => Err(PollFailure {
                kind: FailureKind::Other,
                message: e.to_string(),
            }),
        }
    }

    /// A fetch that failed: 410 Gone retires the feed, a network failure
    /// while the network looks down is an outage (not counted against the
    /// feed), anything else is the feed's failure.
    async fn fetch_failed(&self, poll: &Poll<'_>, e: &FetchError) -> PollFailure {
        let failure = PollFailure {
            kind: FailureKind::of_fetch(e),
            message: e.to_string(),
        };
        let (feed, error) = (poll.feed, &failure.message);
        if matches!(e, FetchError::Status { status: 410, .. }) {
            error!(feed = %feed.name, "feed retired: {error}; change its url in the config to poll it again");
            let retired = PollResult::Retired {
                error: error.clone(),
                kind: failure.kind,
            };
            self.record_failure(poll, retired, Utc::now(), error).await;
        } else if e.is_network() && self.fetcher.outage() {
            warn!(feed = %feed.name, "network looks down, not counted against the feed: {error}");
            let now = Utc::now();
            let next = schedule::during_outage(&feed.name, now, poll.interval);
            let outage = PollResult::Outage {
                error: error.clone(),
                kind: failure.kind,
            };
            self.record_failure(poll, outage, next, error).await;
        } else {
            self.poll_failed(poll, &failure, e.not_before()).await;
        }
        failure
    }

    /// A poll that failed by the feed's fault: logged, recorded with its
    /// backoff (no sooner than `not_before`), and its health alert checked.
    async fn poll_failed(
        &self,
        poll: &Poll<'_>,
        failure: &PollFailure,
        not_before: Option<DateTime<Utc>>,
    ) {
        let error = &failure.message;
        warn!(target: POLL_FAILURES, feed = %poll.feed.name, "poll failed: {error}");
        let next = schedule::after_failure(
            &poll.feed.name,
            Utc::now(),
            poll.interval,
            poll.row.consecutive_failures + 1,
            not_before,
        );
        let result = PollResult::Failure {
            error: error.clone(),
            kind: failure.kind,
        };
        self.record_failure(poll, result, next, error).await;
    }

    /// Records a poll that did not succeed, due again at `next`, and checks
    /// the feed-health alerts. A record that fails is logged: the poll has
    /// failed already, and the feed is polled again when it comes due.
    async fn record_failure(
        &self,
        poll: &Poll<'_>,
        result: PollResult,
        next: DateTime<Utc>,
        error: &str,
    ) {
        let now = Utc::now();
        let name = poll.feed.name.clone();
        if let Err(e) = self
            .with_ingest(move |i| Ok(i.store.record_poll(&name, &result, now, next)?))
            .await
        {
            error!(feed = %poll.feed.name, "the failed poll not recorded: {e}");
        }
        self.check_feed_health(poll.feed, poll.row, Some(error), now)
            .await;
    }

    /// The parsed entries not seen before, prepared several at once and
    /// committed one by one in order, so sequence numbers still follow
    /// publication; counted into `out` and `obs`. Returns the first storage
    /// fault, if any: the poll then did not store what it found.
    async fn ingest_entries(
        &self,
        feed: &FeedConfig,
        row: &FeedRow,
        entries: Vec<Entry>,
        out: &mut FeedOutcome,
        obs: &mut schedule::Observation,
    ) -> Option<String> {
        let backfill = row.last_success.is_none() && !self.force_alerts;
        let entries = match self.new_entries(feed, entries).await {
            Ok(e) => e,
            Err(e) => {
                warn!(feed = %feed.name, "entries not read: {e}");
                out.failed += 1;
                Vec::new()
            }
        };
        let mut storage_fault = None;
        let mut prepared = futures_util::stream::iter(
            entries
                .into_iter()
                .map(|entry| self.prepare_entry(feed, entry, !backfill)),
        )
        .buffered(ENTRIES_AT_ONCE);
        while let Some(p) = prepared.next().await {
            let outcome = match p {
                Ok(Prepared::Done(o)) => Ok(o),
                Ok(Prepared::Ready {
                    candidate,
                    now,
                    alerts,
                }) => self.commit_entry(*candidate, now, alerts).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(EntryOutcome::Seen) => {}
                Ok(o) => {
                    obs.new_entries += 1;
                    match o {
                        EntryOutcome::Stored(_) => out.stored += 1,
                        EntryOutcome::Duplicate(_) => out.duplicates += 1,
                        EntryOutcome::Offtopic => out.offtopic += 1,
                        EntryOutcome::NoArticle(_) => out.no_article += 1,
                        _ => out.failed += 1,
                    }
                }
                Err(e) if e.is_storage() => {
                    error!(feed = %feed.name, "storage fault, entry not recorded (retried at the next poll): {e}");
                    storage_fault.get_or_insert_with(|| e.to_string());
                    out.failed += 1;
                }
                Err(e) => {
                    warn!(feed = %feed.name, "entry not recorded: {e}");
                    out.failed += 1;
                }
            }
        }
        storage_fault
    }

    /// The entries of a poll not seen before (or failed before), at most
    /// `fetch.max_entries` of them, the newest; in ingestion order.
    pub(super) async fn new_entries(
        &self,
        feed: &FeedConfig,
        entries: Vec<Entry>,
    ) -> Result<Vec<Entry>, PipelineError> {
        let max = self.config.fetch.max_entries;
        let name = feed.name.clone();
        let (taken, more) = self
            .with_ingest(move |i| {
                let mut taken = Vec::new();
                for e in newest_first(entries) {
                    let state = i.store.entry_state(&name, &e.key)?;
                    if state.is_some_and(|s| s != EntryState::Failed) {
                        continue;
                    }
                    if taken.len() == max {
                        return Ok((taken, true));
                    }
                    taken.push(e);
                }
                Ok((taken, false))
            })
            .await?;
        if more {
            warn!(feed = %feed.name, "more than {max} new entries: taking the newest {max} (fetch.max_entries), the rest at later polls");
        }
        Ok(order_for_ingestion(taken))
    }
}

/// One poll's feed, its row as read before the poll, and its interval.
struct Poll<'a> {
    feed: &'a FeedConfig,
    row: &'a FeedRow,
    interval: Duration,
}
