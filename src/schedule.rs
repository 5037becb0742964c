//! When each feed is due. Pure decisions: the clock comes in as `now`.
//!
//! The interval adapts to the feed: it shortens when a poll finds only new
//! entries (some may have been missed) or the feed publishes often, and
//! lengthens when polls find nothing new, within configured bounds. A poll
//! is never sooner than the feed's `<ttl>`, its Cache-Control/Expires or a
//! Retry-After allow, and jitter keeps feeds from polling in step. Must not
//! sleep, read the clock, or touch the store.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use std::time::Duration;

/// The longest a failing feed waits between tries: it is never given up.
pub const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

fn chrono(d: Duration) -> ChronoDuration {
    ChronoDuration::from_std(d).unwrap_or(ChronoDuration::MAX)
}

/// A stable fraction in [0, 1) from the feed's name and a salt, so that
/// feeds with the same interval spread out instead of polling in one burst.
fn spread(name: &str, salt: i64) -> f64 {
    // FNV-1a: stable across runs and platforms.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in name.bytes().chain(salt.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    (h % 10_000) as f64 / 10_000.0
}

/// What one successful poll saw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    /// Entries in the feed document.
    pub entries: usize,
    /// Of those, entries never seen before.
    pub new_entries: usize,
    /// Whether the feed had been polled successfully before (on a first
    /// poll every entry is new, which says nothing).
    pub polled_before: bool,
    /// The entries' publication times.
    pub published: Vec<DateTime<Utc>>,
}

/// The median gap between consecutive publication times, when the feed
/// gives at least three dates.
pub fn publishing_gap(published: &[DateTime<Utc>]) -> Option<Duration> {
    let mut times = published.to_vec();
    times.sort();
    times.dedup();
    if times.len() < 3 {
        return None;
    }
    let mut gaps: Vec<i64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).num_seconds())
        .collect();
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    (median > 0).then(|| Duration::from_secs(median as u64))
}

/// The next interval after a poll that saw `obs`, within `[min, max]`.
pub fn adapt(current: Duration, obs: &Observation, min: Duration, max: Duration) -> Duration {
    let mut next = current;
    if obs.entries > 0 && obs.polled_before {
        next = if obs.new_entries == obs.entries {
            // Nothing overlapped with the last poll: entries may have been missed.
            current / 2
        } else if obs.new_entries == 0 {
            current.mul_f64(1.25)
        } else if obs.new_entries * 2 > obs.entries {
            current.mul_f64(0.75)
        } else {
            current
        };
    }
    if let Some(gap) = publishing_gap(&obs.published) {
        // Move halfway towards polling about as often as the feed publishes.
        next = (next + gap) / 2;
    }
    next.clamp(min, max.max(min))
}

/// The next poll after a successful one: the interval with up to ±10%
/// jitter, but never before `not_before` (the feed's ttl, Cache-Control
/// or Expires, a Retry-After).
pub fn next_poll(
    name: &str,
    now: DateTime<Utc>,
    interval: Duration,
    not_before: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let factor = 0.9 + 0.2 * spread(name, now.timestamp());
    let at = now + chrono(interval.mul_f64(factor));
    not_before.map_or(at, |t| at.max(whole_second_after(t)))
}

/// `t` rounded up to a whole second. The store keeps times to the second:
/// a Retry-After kept truncated comes due up to a second early, and a new
/// process (the timer's next run) would then ask too soon.
fn whole_second_after(t: DateTime<Utc>) -> DateTime<Utc> {
    if t.timestamp_subsec_nanos() == 0 {
        return t;
    }
    DateTime::from_timestamp(t.timestamp().saturating_add(1), 0).unwrap_or(t)
}

/// The next poll after a failure: the interval doubled per consecutive
/// failure, capped at [`MAX_BACKOFF`] (but never shorter than the interval),
/// and never before a Retry-After.
pub fn after_failure(
    name: &str,
    now: DateTime<Utc>,
    interval: Duration,
    consecutive_failures: u32,
    retry_after: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let factor = 1u32 << consecutive_failures.saturating_sub(1).min(16);
    let wait = interval
        .saturating_mul(factor)
        .min(MAX_BACKOFF.max(interval));
    next_poll(name, now, wait, retry_after)
}

/// The next try while the network itself is down: soon, and not counted
/// against the feed.
pub fn during_outage(name: &str, now: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
    next_poll(name, now, interval.min(Duration::from_secs(300)), None)
}

/// Whether this poll should go without validators, to catch servers whose
/// ETag or Last-Modified never change.
pub fn full_poll_due(
    last_full: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    every: Duration,
) -> bool {
    last_full.is_none_or(|t| now - t >= chrono(every))
}

/// Whether a feed is due at `now`.
pub fn is_due(next_poll: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    next_poll.is_none_or(|t| t <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }
    const MIN: Duration = Duration::from_secs(300);

    #[test]
    fn a_retry_after_is_kept_to_the_second_rounded_up() {
        let ra = t0() + chrono::Duration::milliseconds(2_400);
        let next = next_poll("f", t0(), Duration::from_secs(1), Some(ra));
        assert_eq!(next, t0() + chrono::Duration::seconds(3));
        // What the store keeps (whole seconds) is not before it either.
        let kept = DateTime::parse_from_rfc3339(&crate::model::ts(next)).unwrap();
        assert!(kept >= ra, "{kept}");
        let exact = t0() + chrono::Duration::seconds(2);
        assert_eq!(
            next_poll("f", t0(), Duration::from_secs(1), Some(exact)),
            exact
        );
    }
    const MAX: Duration = Duration::from_secs(12 * 3600);
    const HOUR: Duration = Duration::from_secs(3600);

    fn obs(entries: usize, new_entries: usize) -> Observation {
        Observation {
            entries,
            new_entries,
            polled_before: true,
            published: vec![],
        }
    }

    #[test]
    fn success_waits_the_interval_with_bounded_jitter() {
        let wait = |salt: i64| {
            (next_poll("a", t0() + ChronoDuration::seconds(salt), HOUR, None) - t0()).num_seconds()
                - salt
        };
        for s in 0..50 {
            assert!((3240..=3960).contains(&wait(s)), "{}", wait(s));
        }
        let waits: std::collections::HashSet<i64> = (0..50).map(wait).collect();
        assert!(waits.len() > 10, "jitter varies: {waits:?}");
        assert_eq!(
            next_poll("a", t0(), HOUR, None),
            next_poll("a", t0(), HOUR, None),
            "pure"
        );
    }

    #[test]
    fn feeds_with_one_interval_do_not_clump() {
        let times: std::collections::HashSet<_> = (0..20)
            .map(|i| next_poll(&format!("feed{i}"), t0(), HOUR, None))
            .collect();
        assert!(times.len() >= 18);
    }

    #[test]
    fn never_sooner_than_ttl_cache_or_retry_after() {
        let later = t0() + ChronoDuration::hours(3);
        assert_eq!(next_poll("a", t0(), HOUR, Some(later)), later);
        assert!(after_failure("a", t0(), HOUR, 1, Some(later)) >= later);
    }

    #[test]
    fn all_new_entries_poll_sooner_none_new_later() {
        assert_eq!(adapt(HOUR, &obs(20, 20), MIN, MAX), HOUR / 2);
        assert_eq!(adapt(HOUR, &obs(20, 0), MIN, MAX), HOUR.mul_f64(1.25));
        assert_eq!(adapt(HOUR, &obs(20, 15), MIN, MAX), HOUR.mul_f64(0.75));
        assert_eq!(adapt(HOUR, &obs(20, 3), MIN, MAX), HOUR);
        // A first poll's entries are all new, which says nothing.
        assert_eq!(
            adapt(
                HOUR,
                &Observation {
                    polled_before: false,
                    ..obs(20, 20)
                },
                MIN,
                MAX
            ),
            HOUR
        );
    }

    #[test]
    fn adaptation_stays_within_bounds() {
        let mut i = HOUR;
        for _ in 0..50 {
            i = adapt(i, &obs(10, 10), MIN, MAX);
        }
        assert_eq!(i, MIN);
        for _ in 0..100 {
            i = adapt(i, &obs(10, 0), MIN, MAX);
        }
        assert_eq!(i, MAX);
    }

    #[test]
    fn publishing_rate_pulls_the_interval() {
        let every_10m: Vec<_> = (0..10)
            .map(|i| t0() + ChronoDuration::minutes(10 * i))
            .collect();
        assert_eq!(publishing_gap(&every_10m), Some(Duration::from_secs(600)));
        let o = Observation {
            published: every_10m,
            ..obs(10, 2)
        };
        assert_eq!(
            adapt(HOUR, &o, MIN, MAX),
            Duration::from_secs((3600 + 600) / 2)
        );
        assert_eq!(publishing_gap(&[t0(), t0()]), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let i = Duration::from_secs(600);
        let w = |n| (after_failure("a", t0(), i, n, None) - t0()).num_seconds();
        assert!(w(1) < w(3) && w(3) < w(5));
        assert!(w(50) <= (MAX_BACKOFF.as_secs() as f64 * 1.1) as i64);
        assert!(w(50) >= (MAX_BACKOFF.as_secs() as f64 * 0.9) as i64);
    }

    #[test]
    fn outage_retries_soon() {
        assert!(during_outage("a", t0(), HOUR) <= t0() + ChronoDuration::seconds(330));
    }

    #[test]
    fn full_poll_comes_round() {
        let day = Duration::from_secs(86400);
        assert!(full_poll_due(None, t0(), day));
        assert!(!full_poll_due(
            Some(t0()),
            t0() + ChronoDuration::hours(1),
            day
        ));
        assert!(full_poll_due(
            Some(t0()),
            t0() + ChronoDuration::hours(25),
            day
        ));
    }

    #[test]
    fn due_when_never_polled_or_past() {
        assert!(is_due(None, t0()));
        assert!(is_due(Some(t0()), t0()));
        assert!(!is_due(Some(t0() + ChronoDuration::seconds(1)), t0()));
    }
}
