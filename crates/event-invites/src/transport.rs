//! The transport policy, in one place for both APIs: every facade call goes
//! through [`Transport::send`], which paces it, sends it with the API key
//! (and the call's own headers and timeout), retries what is safe to retry,
//! reports each attempt to the observer, and traces it. What a failure *is*
//! is decided in `classify`; this module only decides whether to go on.
//!
//! Why a wrapper around the generated builders' `send()` rather than
//! progenitor's `ClientHooks` alone: a retry has to rebuild and resend the
//! whole request and decide from the decoded outcome, which hooks (they see
//! one request and one response) cannot do. The hooks do what only they
//! can: add headers and the timeout to each request, whatever
//! `reqwest::Client` is in use, name the operation from progenitor's
//! `OperationInfo`, and keep each response's status and headers, which
//! progenitor drops when a body does not decode (see `event-invites-hooks`).

use std::future::Future;
use std::time::Duration;

use progenitor_client::ResponseValue;
use reqwest::header::HeaderMap;
use tokio::time::Instant;
use tracing::Instrument;

use crate::classify::{self, ErrorDetails, Failure, Seen};
use crate::error::{DeadlineStage, Error, ErrorKind, Service};
use crate::observe::{AttemptEvent, AttemptOutcome, BudgetEvent, Observers, PacingEvent};
use crate::pacing::Pacer;
use crate::retry::{self, Budget, Next, RetryPolicy, Safety, Standing, Stop};
use crate::secret::ApiKey;
use crate::verdict::{Cause, Verdict};

/// What one call changes from the client's settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallOptions {
    /// The whole call's deadline, from when it is sent.
    pub(crate) timeout: Option<Duration>,
    /// One attempt's timeout.
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) headers: HeaderMap,
    /// Personal values the request carries, masked in server messages.
    pub(crate) sent: Vec<String>,
}

/// A successful call: the response and how many attempts it took.
pub(crate) struct Sent<T> {
    pub(crate) value: ResponseValue<T>,
    pub(crate) attempts: u32,
}

/// Pacing, auth, retries, the retry budget and observers for one client
/// (shared by its clones). `pub` only to appear in the sealed `Assemble`
/// trait.
pub struct Transport {
    pub(crate) api: Service,
    /// `host[:port]` of the base URL, for errors.
    pub(crate) host: Option<String>,
    pub(crate) key: ApiKey,
    pub(crate) pacer: Pacer,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: Budget,
    /// The deadline of every call that sets none of its own.
    pub(crate) timeout: Option<Duration>,
    /// The `reqwest::Client`'s per-request timeout, when the builder made
    /// it (unknown for a caller's own client).
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) observers: Observers,
}

/// One call under way: what every attempt of it needs.
struct Flight<'a> {
    transport: &'a Transport,
    operation: &'static str,
    safety: Safety,
    options: &'a CallOptions,
    policy: &'a RetryPolicy,
    deadline: Option<(Instant, Duration)>,
}

impl Transport {
    /// An error of this client's API and host.
    pub(crate) fn error(&self, error: Error) -> Error {
        error.at(self.api, self.host.as_deref())
    }

    /// Sends one operation through the policy. `attempt` builds and sends
    /// the request afresh each time it is called.
    pub(crate) async fn send<T, E, F, Fut>(
        &self,
        operation: &'static str,
        safety: Safety,
        options: &CallOptions,
        mut attempt: F,
    ) -> Result<Sent<T>, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
        E: ErrorDetails,
    {
        let span = tracing::info_span!(
            "event_invites.call",
            api = self.api.name(),
            operation,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let flight = Flight {
            transport: self,
            operation,
            safety,
            options,
            policy: options.retry.as_ref().unwrap_or(&self.retry),
            deadline: options
                .timeout
                .or(self.timeout)
                .map(|timeout| (started + timeout, timeout)),
        };
        async move {
            let mut attempts = 0u32;
            // What the last retry cost, given back if the call then succeeds.
            let mut paid = None;
            // The verdict on the last failed attempt, if one failed.
            let mut last = None;
            loop {
                attempts += 1;
                let failure = match flight.attempt(attempts, &mut attempt).await {
                    Ok(value) => {
                        self.budget.succeeded(paid);
                        return Ok(Sent { value, attempts });
                    }
                    Err(Attempted::Refused(error)) => return Err(self.error(error)),
                    Err(Attempted::Late(stage)) => {
                        return Err(flight.too_late(stage, attempts - 1, last));
                    }
                    Err(Attempted::Failed(failure, latency)) => (failure, latency),
                };
                let (failure, latency) = failure;
                let verdict = failure.cause.verdict(safety, flight.policy.retry_creates);
                let standing = Standing {
                    attempts,
                    elapsed: started.elapsed(),
                    left: flight.left(),
                    asked: failure.retry_after,
                };
                match retry::next(flight.policy, &verdict, standing, &self.budget) {
                    Next::Retry { wait, paid: cost } => {
                        paid = Some(cost);
                        last = Some(verdict);
                        flight.retrying(attempts, &failure, latency, wait);
                        if failure.cause.is_rate_limited() {
                            self.pacer.block_for(wait);
                        }
                        tokio::time::sleep(wait).await;
                    }
                    Next::Stop(stop) => {
                        return Err(flight.give_up(failure, verdict, stop, attempts, latency));
                    }
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// How one attempt failed.
enum Attempted {
    /// Nothing was sent, and sending again cannot help (an input the
    /// generated client refused).
    Refused(Error),
    /// Nothing was sent: the pacing wait would pass the call's deadline.
    Late(DeadlineStage),
    /// The request failed, classified, after this long.
    Failed(Failure, Duration),
}

impl Flight<'_> {
    /// Time left before the deadline, if the call has one.
    fn left(&self) -> Option<Duration> {
        self.deadline
            .map(|(at, _)| at.saturating_duration_since(Instant::now()))
    }

    /// Paces, then sends one attempt with the key, the call's headers and
    /// the attempt's timeout (cut to the deadline).
    async fn attempt<T, E, F, Fut>(
        &self,
        number: u32,
        attempt: &mut F,
    ) -> Result<ResponseValue<T>, Attempted>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
        E: ErrorDetails,
    {
        let t = self.transport;
        let operation = self.operation;
        let deadline = self.deadline.map(|(at, _)| at);
        match t.pacer.acquire_before(deadline).await {
            Ok(None) => {}
            Ok(Some((wait, reason))) => {
                tracing::debug!(operation, wait_ms = wait.as_millis() as u64, %reason, "paced");
                t.observers.paced(|| PacingEvent {
                    api: t.api.name(),
                    operation,
                    wait,
                    reason,
                });
            }
            Err((wait, reason)) => {
                return Err(Attempted::Late(DeadlineStage::Pacing { wait, reason }));
            }
        }
        // The attempt's own timeout, cut to what is left of the deadline.
        let left = self.left();
        let own = self.options.attempt_timeout;
        let limit = own.or(t.attempt_timeout);
        let cut = left.is_some_and(|left| limit.is_none_or(|limit| left < limit));
        let timeout = if cut { left } else { own };
        // The call's own headers, then the key (which they cannot replace).
        let mut headers = self.options.headers.clone();
        for (name, value) in &t.key.headers() {
            headers.insert(name.clone(), value.clone());
        }
        let setup = event_invites_hooks::Setup { headers, timeout };
        let sent_at = Instant::now();
        let (result, seen) = event_invites_hooks::with_call(setup, attempt()).await;
        if let Err(e @ progenitor_client::Error::InvalidRequest(_)) = result {
            if seen.is_none() {
                // The generated client refused a value before building the
                // request (an empty cursor, say): nothing was sent, so this
                // is no attempt, and retrying cannot help.
                let failure = classify::failure::<E>(e, None, &self.options.sent).await;
                return Err(Attempted::Refused(
                    failure.into_error(operation, number - 1),
                ));
            }
            let failure = classify::failure::<E>(e, None, &self.options.sent).await;
            return Err(Attempted::Failed(failure, sent_at.elapsed()));
        }
        let latency = sent_at.elapsed();
        let span = tracing::Span::current();
        span.record("attempt", number);
        span.record("latency_ms", latency.as_millis() as u64);
        if let Some(seen) = &seen {
            debug_assert_eq!(
                seen.operation, operation,
                "the facade's operation name must be the spec's operationId"
            );
            span.record("status", seen.status.as_u16());
            t.pacer.observe(&seen.headers);
        }
        let status = seen.as_ref().map(|s| s.status.as_u16());
        let event = |outcome| AttemptEvent {
            api: t.api.name(),
            operation,
            attempt: number,
            status,
            latency,
            outcome,
        };
        match result {
            Ok(value) => {
                t.observers.attempt(|| event(AttemptOutcome::Success));
                Ok(value)
            }
            Err(e) => {
                let seen = seen.as_ref().map(|s| Seen {
                    status: s.status,
                    headers: &s.headers,
                });
                let mut failure = classify::failure::<E>(e, seen, &self.options.sent).await;
                if cut && failure.cause.is_timeout() {
                    // The attempt's timeout was the call's deadline.
                    if let Some((_, timeout)) = self.deadline {
                        failure.kind = ErrorKind::Deadline {
                            timeout,
                            stage: DeadlineStage::Attempt,
                        };
                    }
                }
                Err(Attempted::Failed(failure, latency))
            }
        }
    }

    /// Tells the observer and the trace that attempt `number` failed and
    /// another follows after `wait`.
    fn retrying(&self, number: u32, failure: &Failure, latency: Duration, wait: Duration) {
        let (t, operation) = (self.transport, self.operation);
        let reason = failure.cause.reason();
        t.observers.attempt(|| AttemptEvent {
            api: t.api.name(),
            operation,
            attempt: number,
            status: failure.status,
            latency,
            outcome: AttemptOutcome::Retry { reason, wait },
        });
        tracing::warn!(
            operation,
            attempt = number,
            status = failure.status,
            wait_ms = wait.as_millis() as u64,
            reason,
            "retrying"
        );
    }

    /// The error the call ends with, after `attempts` requests.
    fn give_up(
        &self,
        mut failure: Failure,
        verdict: Verdict,
        stop: Stop,
        attempts: u32,
        latency: Duration,
    ) -> Error {
        let (t, operation) = (self.transport, self.operation);
        t.observers.attempt(|| AttemptEvent {
            api: t.api.name(),
            operation,
            attempt: attempts,
            status: failure.status,
            latency,
            outcome: AttemptOutcome::Failed,
        });
        if stop == Stop::RetryBudget {
            t.observers.budget_empty(|| BudgetEvent {
                api: t.api.name(),
                operation,
                attempts,
                tokens_left: t.budget.left().unwrap_or_default(),
            });
        }
        match stop {
            // An attempt cut off by the deadline already says so.
            Stop::Deadline(_) if matches!(failure.kind, ErrorKind::Deadline { .. }) => {}
            Stop::Deadline(wait) => {
                let stage = if failure.cause.is_rate_limited() {
                    DeadlineStage::RetryAfter { wait }
                } else {
                    DeadlineStage::Backoff { wait }
                };
                if let Some((_, timeout)) = self.deadline {
                    failure.kind = ErrorKind::Deadline { timeout, stage };
                }
            }
            // A lost answer to a create that may not be repeated: say that
            // its outcome is unknown.
            _ if verdict.is_outcome_unknown()
                && !verdict.is_retryable()
                && matches!(failure.kind, ErrorKind::Timeout | ErrorKind::Transport(_)) =>
            {
                let cause = match &failure.kind {
                    ErrorKind::Transport(cause) => cause.to_string(),
                    _ => "the request timed out".to_string(),
                };
                failure.kind = ErrorKind::OutcomeUnknown { cause };
            }
            _ => {}
        }
        let error = t
            .error(failure.into_error(operation, attempts))
            .with_verdict(verdict)
            .with_retry_budget_spent(stop == Stop::RetryBudget);
        tracing::debug!(operation, attempts, error = %error, "failed");
        error
    }

    /// The call's deadline would pass before its next request could be
    /// sent: after `attempts` requests, the last of which failed with the
    /// verdict `last` (if any was sent).
    fn too_late(&self, stage: DeadlineStage, attempts: u32, last: Option<Verdict>) -> Error {
        let timeout = self.deadline.map(|(_, t)| t).unwrap_or_default();
        let verdict =
            last.unwrap_or_else(|| Cause::HeldBack.verdict(self.safety, self.policy.retry_creates));
        self.transport.error(
            Error::new(self.operation, ErrorKind::Deadline { timeout, stage })
                .with_attempts(attempts)
                .with_verdict(verdict),
        )
    }
}
