//! When each feed is due. Pure decisions: the clock comes in as `now`.
//!
//! Must not sleep, read the clock, or touch the store: the daemon asks and
//! acts on the answers.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use std::time::Duration;

/// The longest a failing feed waits between tries: it is never given up.
pub const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

fn chrono(d: Duration) -> ChronoDuration {
    ChronoDuration::from_std(d).unwrap_or(ChronoDuration::MAX)
}

/// A stable fraction in [0, 1) from the feed's name, so that feeds with the
/// same interval spread out instead of polling in one burst.
fn spread(name: &str) -> f64 {
    // FNV-1a: stable across runs and platforms.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
    }
    (h % 10_000) as f64 / 10_000.0
}

/// The next poll after a successful one: the feed's interval, never sooner
/// than its own `ttl` asks, plus up to 10% jitter.
pub fn after_success(
    name: &str,
    now: DateTime<Utc>,
    interval: Duration,
    ttl: Option<Duration>,
) -> DateTime<Utc> {
    let base = ttl
        .map_or(interval, |t| t.max(interval))
        .min(Duration::from_secs(24 * 3600));
    let jitter = base.mul_f64(0.1 * spread(name));
    now + chrono(base + jitter)
}

/// The next poll after a failure: the interval doubled per consecutive
/// failure, capped at [`MAX_BACKOFF`] (but never shorter than the interval).
pub fn after_failure(
    name: &str,
    now: DateTime<Utc>,
    interval: Duration,
    consecutive_failures: u32,
) -> DateTime<Utc> {
    let factor = 1u32 << consecutive_failures.saturating_sub(1).min(16);
    let wait = interval
        .saturating_mul(factor)
        .min(MAX_BACKOFF.max(interval));
    let jitter = wait.mul_f64(0.1 * spread(name));
    now + chrono(wait + jitter)
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

    #[test]
    fn success_waits_the_interval_plus_bounded_jitter() {
        let next = after_success("a", t0(), Duration::from_secs(600), None);
        let wait = (next - t0()).num_seconds();
        assert!((600..=660).contains(&wait), "{wait}");
        assert_eq!(
            next,
            after_success("a", t0(), Duration::from_secs(600), None),
            "stable"
        );
    }

    #[test]
    fn ttl_longer_than_interval_is_honoured() {
        let next = after_success(
            "a",
            t0(),
            Duration::from_secs(600),
            Some(Duration::from_secs(3600)),
        );
        assert!((next - t0()).num_seconds() >= 3600);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let i = Duration::from_secs(600);
        let w = |n| (after_failure("a", t0(), i, n) - t0()).num_seconds();
        assert!(w(1) < w(2) && w(2) < w(3));
        assert!(w(50) <= (MAX_BACKOFF.as_secs() as f64 * 1.1) as i64);
        assert!(w(50) >= MAX_BACKOFF.as_secs() as i64);
    }

    #[test]
    fn due_when_never_polled_or_past() {
        assert!(is_due(None, t0()));
        assert!(is_due(Some(t0()), t0()));
        assert!(!is_due(Some(t0() + ChronoDuration::seconds(1)), t0()));
    }
}
