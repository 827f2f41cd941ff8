//! A fixed-window request quota like ARTSVP's (1,000 requests every 15
//! minutes): every response says how much is left, and a request over the
//! quota gets 429 with `Retry-After` and has no effect.

use std::sync::Mutex;
use std::time::Duration;

use crate::clock::Clock;

/// A request quota: `limit` requests per `window`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use std::time::Duration;
/// use event_invites_fake::{FakeSecureGate, RateLimit};
///
/// // Two requests a minute: the third is a 429 with Retry-After.
/// let fake = FakeSecureGate::builder()
///     .rate_limit(RateLimit::new(2, Duration::from_secs(60)))
///     .start()
///     .await?;
/// # let _ = fake;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u64,
    /// The window's length.
    pub window: Duration,
}

impl RateLimit {
    /// ARTSVP's published quota: 1,000 requests every 15 minutes.
    pub const ARTSVP: RateLimit = RateLimit {
        limit: artsvp_api::facts::QUOTA_LIMIT as u64,
        window: Duration::from_secs(artsvp_api::facts::QUOTA_WINDOW_SECS),
    };

    /// `limit` requests per `window`.
    pub fn new(limit: u64, window: Duration) -> Self {
        Self { limit, window }
    }

    /// `limit` requests per second, e.g. `RateLimit::per_second(20)` for tests.
    pub fn per_second(limit: u64) -> Self {
        Self::new(limit, Duration::from_secs(1))
    }
}

/// What the limiter says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) allowed: bool,
    pub(crate) limit: u64,
    pub(crate) remaining: u64,
    /// Whole seconds until the window resets (at least 1 while it runs).
    pub(crate) reset_secs: u64,
}

#[derive(Debug)]
pub(crate) struct Limiter {
    quota: RateLimit,
    clock: Clock,
    /// (window start, requests counted in it)
    state: Mutex<(Duration, u64)>,
}

impl Limiter {
    pub(crate) fn new(quota: RateLimit, clock: Clock) -> Self {
        let start = clock.now();
        Self {
            quota,
            clock,
            state: Mutex::new((start, 0)),
        }
    }

    /// Counts one request if the quota allows it.
    pub(crate) fn check(&self) -> Decision {
        let now = self.clock.now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let window = self.quota.window.max(Duration::from_millis(1));
        if now.saturating_sub(state.0) >= window {
            // Windows are aligned to the first one, like a wall-clock quota.
            let elapsed_windows = (now - state.0).as_nanos() / window.as_nanos();
            state.0 += window * u32::try_from(elapsed_windows).unwrap_or(u32::MAX);
            state.1 = 0;
        }
        let allowed = state.1 < self.quota.limit;
        if allowed {
            state.1 += 1;
        }
        let left = (state.0 + window).saturating_sub(now);
        Decision {
            allowed,
            limit: self.quota.limit,
            remaining: self.quota.limit - state.1,
            reset_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
        }
    }

    /// Starts a fresh window now, with the whole quota.
    pub(crate) fn reset(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *state = (self.clock.now(), 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_runs_out_and_resets_with_the_window() {
        let clock = Clock::manual();
        let limiter = Limiter::new(RateLimit::per_second(2), clock.clone());
        let first = limiter.check();
        assert!(first.allowed);
        assert_eq!((first.limit, first.remaining, first.reset_secs), (2, 1, 1));
        assert!(limiter.check().allowed);
        let third = limiter.check();
        assert!(!third.allowed);
        assert_eq!(third.remaining, 0);

        clock.advance(Duration::from_millis(1_500));
        let fresh = limiter.check();
        assert!(fresh.allowed, "a new window has begun");
        assert_eq!(fresh.remaining, 1);
        assert_eq!(fresh.reset_secs, 1, "the window started at 1s, ends at 2s");
    }

    #[test]
    fn a_reset_gives_the_whole_quota_back() {
        let clock = Clock::manual();
        let limiter = Limiter::new(RateLimit::per_second(1), clock.clone());
        assert!(limiter.check().allowed);
        assert!(!limiter.check().allowed);
        clock.advance(Duration::from_millis(300));
        limiter.reset();
        let fresh = limiter.check();
        assert!(fresh.allowed);
        assert_eq!(fresh.reset_secs, 1, "the new window starts at the reset");
    }

    #[test]
    fn reset_counts_whole_seconds_up() {
        let clock = Clock::manual();
        let limiter = Limiter::new(RateLimit::ARTSVP, clock.clone());
        clock.advance(Duration::from_millis(100));
        assert_eq!(limiter.check().reset_secs, 900);
    }
}
