//! When a failed call is tried again, and how long to wait first.
//!
//! - **What is retried**: 429 (after the wait the server asked for), 502,
//!   503 and 504, timeouts, and connections that failed or were cut.
//! - **Which operations**: reads, PATCHes of whitelisted fields and DELETEs
//!   always; a create only when it carries a dedupe `filter` (a repeat then
//!   returns the invite the first attempt made) or the caller opted in.
//!   A create that reached the server is never repeated otherwise: its error
//!   says the outcome is unknown. A 429 and a connection that never opened
//!   are safe for every operation: the server did nothing.
//! - **How long**: exponential backoff with full jitter (a random wait
//!   between zero and `base × 2^(attempt-1)`, capped), within a maximum
//!   number of attempts and a total time budget.

use std::time::Duration;

/// How failed calls are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) base_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) budget: Duration,
    pub(crate) retry_creates: bool,
}

impl Default for RetryPolicy {
    /// 4 attempts, 200 ms base delay, at most 20 s per wait, 60 s in all;
    /// creates without a dedupe filter are not retried.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
            budget: Duration::from_secs(60),
            retry_creates: false,
        }
    }
}

impl RetryPolicy {
    /// The default policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// One attempt, no retries.
    pub fn none() -> Self {
        Self::default().max_attempts(1)
    }

    /// Attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The first backoff's upper bound; each retry doubles it.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest single wait. A 429 asking for longer is not waited out:
    /// the call fails with [`crate::Error::RateLimited`] and the wait.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The most time a call may take with its retries and waits.
    pub fn budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Also retry creates that carry no dedupe filter. A repeat may then
    /// create a second object when the first attempt's answer was lost.
    pub fn retry_creates_without_filter(mut self, yes: bool) -> Self {
        self.retry_creates = yes;
        self
    }

    /// The backoff before retry number `retry` (1 for the first retry):
    /// full jitter over `[0, min(max_delay, base × 2^(retry-1))]`.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let ceiling = exp.min(self.max_delay);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// How safe it is to send an operation again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safety {
    /// Reads, whitelisted PATCHes, DELETEs: a repeat changes nothing more.
    Idempotent,
    /// A create with a dedupe filter: a repeat returns the first one's object.
    DedupedCreate,
    /// A create without a filter: a repeat may create a second object.
    Create,
}

impl Safety {
    /// Whether a request that may have reached the server can be repeated.
    pub(crate) fn may_repeat(self, policy: &RetryPolicy) -> bool {
        match self {
            Self::Idempotent | Self::DedupedCreate => true,
            Self::Create => policy.retry_creates,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_below_an_exponential_ceiling() {
        let policy = RetryPolicy::new()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(350));
        for _ in 0..200 {
            assert!(policy.backoff(1) <= Duration::from_millis(100));
            assert!(policy.backoff(2) <= Duration::from_millis(200));
            assert!(policy.backoff(3) <= Duration::from_millis(350), "capped");
            assert!(
                policy.backoff(40) <= Duration::from_millis(350),
                "no overflow"
            );
        }
        let spread: std::collections::HashSet<Duration> =
            (0..50).map(|_| policy.backoff(3)).collect();
        assert!(spread.len() > 10, "full jitter spreads the waits");
    }

    #[test]
    fn only_safe_operations_repeat_by_default() {
        let policy = RetryPolicy::new();
        assert!(Safety::Idempotent.may_repeat(&policy));
        assert!(Safety::DedupedCreate.may_repeat(&policy));
        assert!(!Safety::Create.may_repeat(&policy));
        assert!(Safety::Create.may_repeat(&policy.retry_creates_without_filter(true)));
        assert_eq!(RetryPolicy::none().max_attempts, 1);
    }
}
