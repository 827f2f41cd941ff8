//! When a failed call is tried again, and how long to wait first: the
//! caller's [`RetryPolicy`], the client's shared [`RetryBudget`], and
//! [`next`], the one function that turns a failed attempt's verdict into the
//! next step.
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
//!   number of attempts, a total time budget, the call's deadline, and the
//!   client's retry budget (a token bucket all its calls share).

use std::sync::Mutex;
use std::time::Duration;

use crate::verdict::{Cause, Verdict};

/// How failed calls are retried.
///
/// ```
/// use std::time::Duration;
/// use event_invites::{Artsvp, RetryPolicy};
///
/// // A batch job can wait longer than a web request should.
/// let patient = RetryPolicy::new()
///     .max_attempts(6)
///     .max_delay(Duration::from_secs(60))
///     .budget(Duration::from_secs(300));
/// let client = Artsvp::builder().api_key("key").retry(patient).build()?;
/// // One call without retries.
/// # async fn one(client: &Artsvp) {
/// let event = client.get_event("eve-1").retry(RetryPolicy::none()).await;
/// # let _ = event;
/// # }
/// # let _ = client;
/// # Ok::<(), event_invites::Error>(())
/// ```
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
    /// The default policy: 4 attempts, 200 ms base delay, at most 20 s per
    /// wait, 60 s in all; creates without a dedupe filter are not retried.
    pub fn new() -> Self {
        Self::default()
    }

    /// One attempt, no retries.
    pub fn none() -> Self {
        Self::default().max_attempts(1)
    }

    setters! {
        /// Attempts in all, the first included (at least 1).
        pub fn max_attempts(n: u32) => self.max_attempts = n.max(1);

        /// The first backoff's upper bound; each retry doubles it.
        pub fn base_delay(delay: Duration) => self.base_delay = delay;

        /// The longest single wait. A 429 asking for longer is not waited out:
        /// the call fails with [`crate::ErrorKind::RateLimited`] and the wait.
        pub fn max_delay(delay: Duration) => self.max_delay = delay;

        /// The most time a call may take with its retries and waits.
        pub fn budget(budget: Duration) => self.budget = budget;

        /// Also retry creates that carry no dedupe filter. A repeat may then
        /// create a second object when the first attempt's answer was lost.
        pub fn retry_creates_without_filter(yes: bool) => self.retry_creates = yes;
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

/// The retries a client may spend, shared by the client, all its clones and
/// all their calls: a token bucket in the manner of aws-sdk-rust's standard
/// retry strategy. A retry spends tokens (more after a timeout), a success
/// gives some back; when the bucket is empty, failed calls are not retried
/// until successes refill it. One failing dependency then costs one request
/// per call, not [`RetryPolicy`]'s attempts per call.
///
/// Defaults ([`RetryBudget::new`]): 100 tokens; a retry costs 5, a retry
/// after a timeout 10; a call that succeeds at its first attempt gives 1
/// back, one that succeeds after retries gives back what its last retry
/// cost. So a client spends at most 20 retries (10 after timeouts) in a row
/// with no success between them. A retry after a 429 costs nothing: the
/// server asked for it, and the pacer holds every request back until then.
///
/// ```
/// use event_invites::{Artsvp, RetryBudget};
///
/// let client = Artsvp::builder()
///     .api_key("my_api_key")
///     .retry_budget(RetryBudget::new().capacity(200))
///     .build()?;
/// let unlimited = Artsvp::builder()
///     .api_key("my_api_key")
///     .retry_budget(RetryBudget::disabled())
///     .build()?;
/// # let _ = (client, unlimited);
/// # Ok::<(), event_invites::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBudget {
    enabled: bool,
    capacity: u32,
    retry_cost: u32,
    timeout_cost: u32,
    success_refund: u32,
}

impl Default for RetryBudget {
    /// 100 tokens; 5 a retry, 10 a retry after a timeout; 1 back per
    /// first-attempt success.
    fn default() -> Self {
        Self {
            enabled: true,
            capacity: 100,
            retry_cost: 5,
            timeout_cost: 10,
            success_refund: 1,
        }
    }
}

impl RetryBudget {
    /// The default budget (see [`RetryBudget`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// No budget: every call retries as far as its [`RetryPolicy`] allows,
    /// however many others fail.
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    setters! {
        /// Tokens when full (and at the start).
        pub fn capacity(tokens: u32) => self.capacity = tokens;

        /// Tokens a retry costs.
        pub fn retry_cost(tokens: u32) => self.retry_cost = tokens;

        /// Tokens a retry after a timeout costs.
        pub fn timeout_retry_cost(tokens: u32) => self.timeout_cost = tokens;

        /// Tokens a call that succeeds at its first attempt gives back.
        pub fn success_refund(tokens: u32) => self.success_refund = tokens;
    }

    /// Whether the budget limits retries at all.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }
}

/// A client's [`RetryBudget`] and the tokens it has left.
#[derive(Debug)]
pub(crate) struct Budget {
    config: RetryBudget,
    tokens: Mutex<u32>,
}

impl Budget {
    pub(crate) fn new(config: RetryBudget) -> Self {
        Self {
            tokens: Mutex::new(config.capacity),
            config,
        }
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, u32> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The tokens left, or `None` when the budget is disabled.
    pub(crate) fn left(&self) -> Option<u32> {
        self.config.enabled.then(|| *self.tokens())
    }

    /// Whether a retry after an ordinary failure could be paid for now.
    pub(crate) fn is_empty(&self) -> bool {
        self.config.enabled && *self.tokens() < self.config.retry_cost
    }

    /// Takes what a retry after `cause` costs: `Some(cost)` when paid
    /// (0 for a 429, or with the budget disabled), `None` when the bucket
    /// cannot pay.
    pub(crate) fn spend(&self, cause: Cause) -> Option<u32> {
        if !self.config.enabled || cause.is_rate_limited() {
            return Some(0);
        }
        let cost = if cause.is_timeout() {
            self.config.timeout_cost
        } else {
            self.config.retry_cost
        };
        let mut tokens = self.tokens();
        if *tokens < cost {
            return None;
        }
        *tokens -= cost;
        Some(cost)
    }

    /// A call succeeded: gives back what its last retry cost (`paid`), or
    /// the success refund when it needed none.
    pub(crate) fn succeeded(&self, paid: Option<u32>) {
        if !self.config.enabled {
            return;
        }
        let back = paid.unwrap_or(self.config.success_refund);
        let mut tokens = self.tokens();
        *tokens = tokens.saturating_add(back).min(self.config.capacity);
    }
}

/// Why a failed call is not tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The verdict: retrying cannot help, or is not safe.
    NotRetryable,
    /// The policy's attempts are used up.
    Attempts,
    /// The policy's time budget would pass.
    TimeBudget,
    /// A 429 asked for a longer wait than the policy's longest.
    AskedTooLong,
    /// The call's deadline would pass during this wait.
    Deadline(Duration),
    /// The client's retry budget cannot pay for a retry.
    RetryBudget,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Wait this long, then try again; `paid` tokens were taken from the
    /// retry budget.
    Retry { wait: Duration, paid: u32 },
    /// Give up.
    Stop(Stop),
}

/// Where a call stands when an attempt has failed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Standing {
    /// Attempts made so far.
    pub(crate) attempts: u32,
    /// Time since the call began.
    pub(crate) elapsed: Duration,
    /// Time left before the call's deadline, if it has one.
    pub(crate) left: Option<Duration>,
    /// The wait a 429 asked for, if it did.
    pub(crate) asked: Option<Duration>,
}

/// The next step after a failed attempt with this verdict: the one place
/// that decides it, from the verdict, the policy, the call's standing and
/// the client's retry budget (which is charged only when a retry follows).
pub(crate) fn next(policy: &RetryPolicy, verdict: &Verdict, at: Standing, budget: &Budget) -> Next {
    if !verdict.is_retryable() {
        return Next::Stop(Stop::NotRetryable);
    }
    if at.attempts >= policy.max_attempts {
        return Next::Stop(Stop::Attempts);
    }
    let cause = verdict.cause();
    let wait = match at.asked {
        Some(asked) if cause.is_rate_limited() && asked > policy.max_delay => {
            return Next::Stop(Stop::AskedTooLong);
        }
        Some(asked) if cause.is_rate_limited() => asked,
        _ => policy.backoff(at.attempts),
    };
    if at.elapsed + wait > policy.budget {
        return Next::Stop(Stop::TimeBudget);
    }
    if at.left.is_some_and(|left| wait >= left) {
        return Next::Stop(Stop::Deadline(wait));
    }
    match budget.spend(cause) {
        Some(paid) => Next::Retry { wait, paid },
        None => Next::Stop(Stop::RetryBudget),
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
        assert!(Safety::Read.may_repeat(false));
        assert!(Safety::Idempotent.may_repeat(false));
        assert!(Safety::DedupedCreate.may_repeat(false));
        assert!(!Safety::Create.may_repeat(false));
        assert!(Safety::Create.may_repeat(true));
        assert!(!Safety::Read.is_write() && Safety::Create.is_write());
        assert_eq!(RetryPolicy::none().max_attempts, 1);
    }

    use crate::error::TransportCause;
    use crate::verdict::Safety;

    const REFUSED: Cause = Cause::Connect(TransportCause::ConnectionRefused);

    fn standing(attempts: u32) -> Standing {
        Standing {
            attempts,
            elapsed: Duration::ZERO,
            left: None,
            asked: None,
        }
    }

    #[test]
    fn the_budget_charges_retries_refunds_successes_and_runs_dry() {
        let budget = Budget::new(RetryBudget::new().capacity(20));
        assert_eq!(budget.spend(REFUSED), Some(5));
        assert_eq!(budget.spend(Cause::TimeoutBeforeHeaders), Some(10));
        assert_eq!(budget.left(), Some(5));
        assert!(!budget.is_empty());
        assert_eq!(budget.spend(Cause::Status(429)), Some(0), "a 429 is free");
        assert_eq!(budget.spend(Cause::TimeoutBeforeHeaders), None, "10 > 5");
        assert_eq!(budget.spend(REFUSED), Some(5));
        assert!(budget.is_empty());
        assert_eq!(budget.spend(REFUSED), None);
        budget.succeeded(Some(10));
        assert_eq!(
            budget.left(),
            Some(10),
            "a retried success gives its cost back"
        );
        budget.succeeded(None);
        assert_eq!(budget.left(), Some(11), "a first-attempt success gives 1");
        for _ in 0..50 {
            budget.succeeded(Some(5));
        }
        assert_eq!(budget.left(), Some(20), "never above capacity");

        let off = Budget::new(RetryBudget::disabled().capacity(0));
        assert_eq!(off.spend(REFUSED), Some(0));
        assert!(!off.is_empty());
        assert_eq!(off.left(), None);
    }

    #[test]
    fn the_settings_a_caller_gives_are_the_ones_used() {
        let policy = RetryPolicy::new()
            .budget(Duration::from_secs(5))
            .retry_creates_without_filter(true);
        assert_eq!(policy.budget, Duration::from_secs(5));
        assert!(policy.retry_creates);
        assert!(!RetryPolicy::new().retry_creates, "off by default");

        let budget = Budget::new(
            RetryBudget::new()
                .capacity(30)
                .retry_cost(7)
                .timeout_retry_cost(11)
                .success_refund(3),
        );
        assert_eq!(budget.spend(REFUSED), Some(7));
        assert_eq!(budget.spend(Cause::TimeoutBeforeHeaders), Some(11));
        assert_eq!(budget.left(), Some(12));
        budget.succeeded(None);
        assert_eq!(budget.left(), Some(15), "a first-attempt success gives 3");
        assert!(RetryBudget::new().is_enabled());
        assert!(!RetryBudget::disabled().is_enabled());
    }

    #[test]
    fn the_next_step_reads_the_verdict_then_the_limits_then_the_budget() {
        let policy = RetryPolicy::new().max_attempts(3);
        let budget = Budget::new(RetryBudget::new().capacity(5));
        let lost_create = Cause::TimeoutBeforeHeaders.verdict(Safety::Create, false);
        assert_eq!(
            next(&policy, &lost_create, standing(1), &budget),
            Next::Stop(Stop::NotRetryable)
        );
        let refused = REFUSED.verdict(Safety::Create, false);
        assert_eq!(
            next(&policy, &refused, standing(3), &budget),
            Next::Stop(Stop::Attempts)
        );
        // Neither stop spent anything: the one retry the budget holds.
        assert!(matches!(
            next(&policy, &refused, standing(1), &budget),
            Next::Retry { paid: 5, .. }
        ));
        assert_eq!(
            next(&policy, &refused, standing(1), &budget),
            Next::Stop(Stop::RetryBudget)
        );
    }

    #[test]
    fn a_wait_past_the_deadline_stops_and_spends_nothing() {
        let refused = REFUSED.verdict(Safety::Create, false);
        let late = Standing {
            left: Some(Duration::from_millis(1)),
            ..standing(1)
        };
        // A jittered wait of up to 1 s against 1 ms left: nearly always a
        // stop, and a stop spends nothing (the rare wait under 1 ms is a
        // retry, and pays).
        let slow = RetryPolicy::new().base_delay(Duration::from_secs(1));
        let roomy = Budget::new(RetryBudget::new().capacity(500));
        let (mut stopped_by_deadline, mut retried) = (0, 0);
        for _ in 0..20 {
            match next(&slow, &refused, late, &roomy) {
                Next::Stop(Stop::Deadline(_)) => stopped_by_deadline += 1,
                Next::Retry { .. } => retried += 1,
                other => panic!("{other:?}"),
            }
        }
        assert!(stopped_by_deadline > 15, "{stopped_by_deadline}");
        assert_eq!(
            roomy.left(),
            Some(500 - 5 * retried),
            "a stop spends nothing"
        );
    }

    #[test]
    fn a_429_waits_what_it_asked_for_free_within_the_limits() {
        let policy = RetryPolicy::new().max_attempts(3);
        let empty = Budget::new(RetryBudget::new().capacity(0));
        let limited = Cause::Status(429).verdict(Safety::Create, false);
        let asked = |secs| Standing {
            asked: Some(Duration::from_secs(secs)),
            ..standing(1)
        };
        assert_eq!(
            next(&policy, &limited, asked(2), &empty),
            Next::Retry {
                wait: Duration::from_secs(2),
                paid: 0
            },
            "a 429 waits what it asked, free, even with the budget empty"
        );
        assert_eq!(
            next(&policy, &limited, asked(3600), &empty),
            Next::Stop(Stop::AskedTooLong)
        );
        let spent = Standing {
            elapsed: Duration::from_secs(59),
            ..asked(2)
        };
        assert_eq!(
            next(&policy, &limited, spent, &empty),
            Next::Stop(Stop::TimeBudget)
        );
    }

    #[test]
    fn the_limits_are_inclusive_and_only_a_429_waits_what_it_asked() {
        let policy = RetryPolicy::new().max_delay(Duration::from_secs(20));
        let budget = Budget::new(RetryBudget::new());
        let limited = Cause::Status(429).verdict(Safety::Read, false);
        let asked = |secs, elapsed| Standing {
            asked: Some(Duration::from_secs(secs)),
            elapsed: Duration::from_secs(elapsed),
            ..standing(1)
        };
        // Exactly the longest wait, and exactly the whole time budget: waited.
        assert_eq!(
            next(&policy, &limited, asked(20, 0), &budget),
            Next::Retry {
                wait: Duration::from_secs(20),
                paid: 0
            }
        );
        assert_eq!(
            next(&policy, &limited, asked(1, 59), &budget),
            Next::Retry {
                wait: Duration::from_secs(1),
                paid: 0
            }
        );
        // A 503 that came with a Retry-After is backed off as usual (the
        // header is a 429's), within the policy's first backoff.
        let unavailable = Cause::Status(503).verdict(Safety::Read, false);
        match next(&policy, &unavailable, asked(20, 0), &budget) {
            Next::Retry { wait, paid } => {
                assert!(wait <= policy.base_delay, "{wait:?}");
                assert_eq!(paid, 5);
            }
            other => panic!("{other:?}"),
        }
    }
}
