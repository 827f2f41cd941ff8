//! Watching a client work without a `tracing` subscriber: an [`Observer`]
//! the caller implements sees every attempt (operation, status, latency,
//! retry and why) and every pacing wait, for counters and dashboards.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Sees every attempt and pacing wait of a client and its clones. Set it
/// with [`crate::ClientBuilder::observer`]. Both methods default to doing
/// nothing; they run on the calling task, so keep them quick (increment a
/// counter, send on a channel).
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use event_invites::{Artsvp, AttemptEvent, Observer, PacingEvent};
///
/// #[derive(Default)]
/// struct Counters { attempts: AtomicU64, retries: AtomicU64, waited_ms: AtomicU64 }
///
/// impl Observer for Counters {
///     fn attempt(&self, event: &AttemptEvent) {
///         self.attempts.fetch_add(1, Ordering::Relaxed);
///         if event.outcome.is_retry() {
///             self.retries.fetch_add(1, Ordering::Relaxed);
///         }
///     }
///     fn paced(&self, event: &PacingEvent) {
///         self.waited_ms.fetch_add(event.wait.as_millis() as u64, Ordering::Relaxed);
///     }
/// }
///
/// let counters = std::sync::Arc::new(Counters::default());
/// let client = Artsvp::builder().api_key("k").observer(counters.clone()).build()?;
/// // … later: counters.retries.load(Ordering::Relaxed)
/// # Ok::<(), event_invites::Error>(())
/// ```
pub trait Observer: Send + Sync + 'static {
    /// One request was sent and has an outcome.
    fn attempt(&self, event: &AttemptEvent) {
        let _ = event;
    }

    /// A request waited before it was sent, to stay inside the rate limit.
    fn paced(&self, event: &PacingEvent) {
        let _ = event;
    }

    /// A failed call was not retried because the client's
    /// [`crate::RetryBudget`] is empty: many calls have failed lately. Calls
    /// go on, one attempt each, until successes refill it.
    fn budget_empty(&self, event: &BudgetEvent) {
        let _ = event;
    }

    /// The client's [`crate::QuotaStore`] failed (the client paces by its
    /// own count and the server's headers meanwhile), or answers again.
    /// Said once per change, not per request.
    fn quota_store(&self, event: &QuotaStoreEvent) {
        let _ = event;
    }

    /// A request asked the quota for its turn (whether it may go now or
    /// must wait): the quota as paced and what is left of it after it.
    fn quota(&self, event: &QuotaEvent) {
        let _ = event;
    }
}

/// Keep a handle to read what the observer gathered: pass an `Arc` of it.
impl<O: Observer> Observer for Arc<O> {
    fn attempt(&self, event: &AttemptEvent) {
        (**self).attempt(event);
    }

    fn paced(&self, event: &PacingEvent) {
        (**self).paced(event);
    }

    fn budget_empty(&self, event: &BudgetEvent) {
        (**self).budget_empty(event);
    }

    fn quota_store(&self, event: &QuotaStoreEvent) {
        (**self).quota_store(event);
    }

    fn quota(&self, event: &QuotaEvent) {
        (**self).quota(event);
    }
}

/// A client's quota store failed, or answers again.
///
/// ```
/// use event_invites::{Observer, QuotaStoreEvent};
///
/// /// Says on stderr when the shared quota is lost and back.
/// struct Notice;
///
/// impl Observer for Notice {
///     fn quota_store(&self, e: &QuotaStoreEvent) {
///         match &e.error {
///             Some(error) => eprintln!("{}: {} failed ({error}): pacing alone", e.api, e.store),
///             None => eprintln!("{}: {} answers again", e.api, e.store),
///         }
///     }
/// }
/// # let _ = Notice;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct QuotaStoreEvent {
    /// `SecureGate` or `ARTSVP`.
    pub api: &'static str,
    /// The store, as [`crate::QuotaStore`]'s `Display` names it.
    pub store: String,
    /// What failed; `None` when the store answers again.
    pub error: Option<String>,
}

/// A request's turn in the quota, as the client's pacer counted it.
///
/// ```
/// use event_invites::{Observer, QuotaEvent};
///
/// /// Warns when fewer than 10 requests are left in the quota.
/// struct Low;
///
/// impl Observer for Low {
///     fn quota(&self, e: &QuotaEvent) {
///         if e.left.is_some_and(|left| left < 10) {
///             eprintln!("{}: {:?} left of {:?} ({})", e.api, e.left, e.quota, e.store);
///         }
///     }
/// }
/// # let _ = Low;
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct QuotaEvent {
    /// `SecureGate` or `ARTSVP`.
    pub api: &'static str,
    /// Where the quota is kept: `memory`, `host` or `redis` (see
    /// [`crate::QuotaStore`]).
    pub store: &'static str,
    /// `false` while the store fails and this process paces by its share.
    pub shared: bool,
    /// The quota paced by: the configured one, or the server's smaller
    /// `x-rate-limit-limit` (`None`: the client paces by no quota).
    pub quota: Option<crate::Quota>,
    /// Requests the quota allows now, after this one.
    pub left: Option<u64>,
}

/// One attempt of an operation.
///
/// ```
/// use event_invites::{AttemptEvent, Observer};
///
/// /// Logs each attempt's status and latency.
/// struct Log;
///
/// impl Observer for Log {
///     fn attempt(&self, e: &AttemptEvent) {
///         println!("{} {} #{}: {:?} in {:?}", e.api, e.operation, e.attempt, e.status, e.latency);
///     }
/// }
/// let client = event_invites::Artsvp::builder().api_key("key").observer(Log).build()?;
/// # let _ = client;
/// # Ok::<(), event_invites::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AttemptEvent {
    /// `SecureGate` or `ARTSVP`.
    pub api: &'static str,
    /// The operation, e.g. `create_invite`.
    pub operation: &'static str,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The response's status, when one arrived.
    pub status: Option<u16>,
    /// From sending the request to its outcome.
    pub latency: Duration,
    /// What came of it.
    pub outcome: AttemptOutcome,
}

/// What came of one attempt.
///
/// ```
/// # fn example(event: &event_invites::AttemptEvent) {
/// use event_invites::AttemptOutcome;
///
/// match &event.outcome {
///     AttemptOutcome::Retry { reason, wait } => println!("retry in {wait:?}: {reason}"),
///     AttemptOutcome::Failed => println!("gave up"),
///     _ => {}
/// }
/// assert_eq!(event.outcome.is_retry(), matches!(event.outcome, AttemptOutcome::Retry { .. }));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// The call succeeded.
    Success,
    /// It failed and will be tried again after `wait`.
    Retry {
        /// Why: `rate limited`, `gateway error`, `answer lost` or
        /// `connection not opened`.
        reason: &'static str,
        /// The wait before the next attempt.
        wait: Duration,
    },
    /// It failed and the call ends with an error.
    Failed,
}

impl AttemptOutcome {
    /// Whether another attempt follows.
    pub fn is_retry(&self) -> bool {
        matches!(self, Self::Retry { .. })
    }
}

/// A wait before a request, to stay inside the rate limit.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use event_invites::{Observer, PacingEvent};
///
/// /// Adds up the time spent waiting for the rate limit.
/// #[derive(Default)]
/// struct Waited(AtomicU64);
///
/// impl Observer for Waited {
///     fn paced(&self, e: &PacingEvent) {
///         self.0.fetch_add(e.wait.as_millis() as u64, Ordering::Relaxed);
///     }
/// }
/// # let _ = Waited::default();
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PacingEvent {
    /// `SecureGate` or `ARTSVP`.
    pub api: &'static str,
    /// The operation that waited.
    pub operation: &'static str,
    /// How long it waited.
    pub wait: Duration,
    /// Why.
    pub reason: PacingReason,
}

/// A retry refused because the client's retry budget is empty.
///
/// ```
/// use event_invites::{BudgetEvent, Observer};
///
/// /// Warns when calls stop being retried: the API has failed a lot lately.
/// struct Alarm;
///
/// impl Observer for Alarm {
///     fn budget_empty(&self, e: &BudgetEvent) {
///         eprintln!("{}: {} not retried ({} tokens left)", e.api, e.operation, e.tokens_left);
///     }
/// }
/// # let _ = Alarm;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BudgetEvent {
    /// `SecureGate` or `ARTSVP`.
    pub api: &'static str,
    /// The operation that was not retried.
    pub operation: &'static str,
    /// The attempts it made.
    pub attempts: u32,
    /// Tokens left in the budget (fewer than a retry costs).
    pub tokens_left: u32,
}

/// Why a request waited.
///
/// ```
/// use event_invites::PacingReason;
///
/// assert_eq!(PacingReason::ServerWindow.to_string(), "server rate-limit window");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacingReason {
    /// The client's own quota ([`crate::Quota`]) was spent for now.
    Quota,
    /// The server's `x-rate-limit-remaining` reached 0: until its window
    /// ends.
    ServerWindow,
    /// A 429's `Retry-After` holds every request back.
    RetryAfter,
}

impl fmt::Display for PacingReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Quota => "client quota",
            Self::ServerWindow => "server rate-limit window",
            Self::RetryAfter => "Retry-After",
        })
    }
}

/// The observer of a client, if any.
#[derive(Clone, Default)]
pub(crate) struct Observers(Option<Arc<dyn Observer>>);

impl fmt::Debug for Observers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Observers(1)"
        } else {
            "Observers(0)"
        })
    }
}

impl Observers {
    pub(crate) fn new(observer: Option<Arc<dyn Observer>>) -> Self {
        Self(observer)
    }

    pub(crate) fn attempt(&self, event: impl FnOnce() -> AttemptEvent) {
        if let Some(o) = &self.0 {
            o.attempt(&event());
        }
    }

    pub(crate) fn paced(&self, event: impl FnOnce() -> PacingEvent) {
        if let Some(o) = &self.0 {
            o.paced(&event());
        }
    }

    pub(crate) fn budget_empty(&self, event: impl FnOnce() -> BudgetEvent) {
        if let Some(o) = &self.0 {
            o.budget_empty(&event());
        }
    }

    pub(crate) fn quota_store(&self, event: impl FnOnce() -> QuotaStoreEvent) {
        if let Some(o) = &self.0 {
            o.quota_store(&event());
        }
    }

    pub(crate) fn quota(&self, event: impl FnOnce() -> QuotaEvent) {
        if let Some(o) = &self.0 {
            o.quota(&event());
        }
    }
}
