//! When the daemon counts as healthy: its schedule loop has completed a
//! round, including a read of the store, recently enough.
//!
//! The loop records each good round with [`Health::tick`]; the watchdog
//! pinger and `/healthz` ask [`Health::check`]. Times are milliseconds on a
//! monotonic clock the caller reads: this module reads no clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The last good round of the schedule loop.
#[derive(Debug)]
pub struct Health {
    /// Milliseconds since the daemon's start of the last good round, plus
    /// one (0 means "never").
    last_ok: AtomicU64,
    /// Milliseconds of the last failed store read, plus one (0: none since
    /// the last good round).
    last_err: AtomicU64,
    stale_after: Duration,
}

/// What [`Health::check`] found: whether the daemon is alive and working
/// (what the watchdog ping and `/healthz` decide on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liveness {
    Healthy,
    /// No good round yet.
    Starting,
    /// The loop has not completed a round for this long.
    Stalled(Duration),
    /// The last store read failed.
    StoreFailing,
}

impl Health {
    /// A loop that goes quiet for longer than `stale_after` is unhealthy.
    pub fn new(stale_after: Duration) -> Health {
        Health {
            last_ok: AtomicU64::new(0),
            last_err: AtomicU64::new(0),
            stale_after,
        }
    }

    /// A round completed at `now_ms`.
    pub fn tick(&self, now_ms: u64) {
        self.last_ok
            .store(now_ms.saturating_add(1), Ordering::Relaxed);
        self.last_err.store(0, Ordering::Relaxed);
    }

    /// The store could not be read at `now_ms`.
    pub fn store_failed(&self, now_ms: u64) {
        self.last_err
            .store(now_ms.saturating_add(1), Ordering::Relaxed);
    }

    pub fn check(&self, now_ms: u64) -> Liveness {
        let ok = self.last_ok.load(Ordering::Relaxed);
        if self.last_err.load(Ordering::Relaxed) != 0 {
            return Liveness::StoreFailing;
        }
        if ok == 0 {
            return Liveness::Starting;
        }
        let age = Duration::from_millis(now_ms.saturating_sub(ok - 1));
        if age > self.stale_after {
            Liveness::Stalled(age)
        } else {
            Liveness::Healthy
        }
    }
}

impl std::fmt::Display for Liveness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Liveness::Healthy => write!(f, "ok"),
            Liveness::Starting => write!(f, "starting"),
            Liveness::Stalled(d) => write!(f, "schedule loop stalled for {}s", d.as_secs()),
            Liveness::StoreFailing => write!(f, "the database cannot be read"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_only_after_a_recent_good_round() {
        let h = Health::new(Duration::from_secs(10));
        assert_eq!(h.check(0), Liveness::Starting);
        h.tick(0);
        assert_eq!(h.check(0), Liveness::Healthy);
        assert_eq!(h.check(10_000), Liveness::Healthy);
        assert_eq!(
            h.check(10_001),
            Liveness::Stalled(Duration::from_millis(10_001))
        );
        h.store_failed(10_500);
        assert_eq!(h.check(10_600), Liveness::StoreFailing);
        h.tick(11_000);
        assert_eq!(h.check(11_000), Liveness::Healthy);
        // A clock that seems to run backwards is not a stall.
        assert_eq!(h.check(5), Liveness::Healthy);
    }
}
