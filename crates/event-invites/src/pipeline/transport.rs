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

use crate::error::{DeadlineStage, Error, ErrorKind, Service};
use crate::observe::{AttemptEvent, AttemptOutcome, BudgetEvent, Observers, PacingEvent};
use crate::pipeline::classify::{self, ErrorDetails, Failure, Seen};
use crate::pipeline::retry::{self, Budget, Next, RetryPolicy, Standing, Stop};
use crate::quota::Pacer;
use crate::secret::ApiKey;
use crate::verdict::{Cause, Safety, Verdict};
use event_invites_hooks::Observed;

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
    started: Instant,
    deadline: Option<(Instant, Duration)>,
}

/// What the retry loop carries from one attempt to the next.
#[derive(Default)]
struct Tries {
    /// Requests made so far, counting the one under way.
    attempts: u32,
    /// What the last retry cost, given back if the call then succeeds.
    paid: Option<u32>,
    /// The verdict on the last failed attempt, if one failed.
    last: Option<Verdict>,
}

impl Transport {
    /// An error of this client's API and host.
    pub(crate) fn error(&self, error: Error) -> Error {
        error.at(self.api, self.host.as_deref())
    }

    /// Sends one operation through the policy. `attempt` builds and sends
    /// the request afresh each time it is called.
    ///
    /// Only the lines that touch the response type are generic (one copy
    /// per operation); what to do after a failure, pacing and the
    /// attempt's set-up are compiled once, in [`Flight`].
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
        let flight = Flight::new(self, operation, safety, options);
        let span = flight.span();
        async move {
            let mut tries = Tries::default();
            loop {
                tries.attempts += 1;
                let failed = match flight.prepare().await {
                    Err(late) => late,
                    Ok((setup, cut)) => {
                        let sent_at = Instant::now();
                        let (result, seen) = event_invites_hooks::with_call(setup, attempt()).await;
                        let latency = sent_at.elapsed();
                        match result {
                            Ok(value) => {
                                flight.succeeded(&tries, seen.as_ref(), latency).await;
                                let attempts = tries.attempts;
                                return Ok(Sent { value, attempts });
                            }
                            Err(e) => flight.failed(e, tries.attempts, seen, latency, cut).await,
                        }
                    }
                };
                flight.after(failed, &mut tries).await?;
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

impl<'a> Flight<'a> {
    fn new(
        transport: &'a Transport,
        operation: &'static str,
        safety: Safety,
        options: &'a CallOptions,
    ) -> Self {
        let started = Instant::now();
        Flight {
            transport,
            operation,
            safety,
            options,
            policy: options.retry.as_ref().unwrap_or(&transport.retry),
            started,
            deadline: options
                .timeout
                .or(transport.timeout)
                .map(|timeout| (started + timeout, timeout)),
        }
    }

    /// The call's trace span; each attempt records its number, status and
    /// latency in it.
    fn span(&self) -> tracing::Span {
        tracing::info_span!(
            "event_invites.call",
            api = self.transport.api.name(),
            operation = self.operation,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        )
    }

    /// Time left before the deadline, if the call has one.
    fn left(&self) -> Option<Duration> {
        self.deadline
            .map(|(at, _)| at.saturating_duration_since(Instant::now()))
    }

    /// Waits for the pacer, then sets up one attempt: the call's own
    /// headers, then the key (which they cannot replace), and the attempt's
    /// timeout, cut to what is left of the deadline (`true` when it was).
    async fn prepare(&self) -> Result<(event_invites_hooks::Setup, bool), Attempted> {
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
        let left = self.left();
        let own = self.options.attempt_timeout;
        let limit = own.or(t.attempt_timeout);
        let cut = left.is_some_and(|left| limit.is_none_or(|limit| left < limit));
        let timeout = if cut { left } else { own };
        let mut headers = self.options.headers.clone();
        let (name, value) = t.key.header();
        headers.insert(name, value);
        Ok((event_invites_hooks::Setup { headers, timeout }, cut))
    }

    /// Records an attempt that got a response in the trace, and its rate
    /// limit headers in the pacer.
    async fn answered(&self, number: u32, seen: Option<&Observed>, latency: Duration) {
        let span = tracing::Span::current();
        span.record("attempt", number);
        span.record("latency_ms", latency.as_millis() as u64);
        if let Some(seen) = seen {
            debug_assert_eq!(
                seen.operation, self.operation,
                "the facade's operation name must be the spec's operationId"
            );
            span.record("status", seen.status.as_u16());
            self.transport.pacer.observe(&seen.headers).await;
        }
    }

    /// Records a successful attempt: in the trace, the pacer, the observer
    /// and the retry budget (which gets back what the last retry cost).
    async fn succeeded(&self, tries: &Tries, seen: Option<&Observed>, latency: Duration) {
        let t = self.transport;
        self.answered(tries.attempts, seen, latency).await;
        t.observers.attempt(|| AttemptEvent {
            api: t.api.name(),
            operation: self.operation,
            attempt: tries.attempts,
            status: seen.map(|s| s.status.as_u16()),
            latency,
            outcome: AttemptOutcome::Success,
        });
        t.budget.succeeded(tries.paid);
    }

    /// Classifies attempt `number`'s error (one copy per API's error body).
    async fn failed<E: ErrorDetails>(
        &self,
        error: progenitor_client::Error<E>,
        number: u32,
        seen: Option<Observed>,
        latency: Duration,
        cut: bool,
    ) -> Attempted {
        let sent = &self.options.sent;
        if let e @ progenitor_client::Error::InvalidRequest(_) = error {
            let failure = classify::failure::<E>(e, None, sent).await;
            return match seen {
                // The generated client refused a value before building the
                // request (an empty cursor, say): nothing was sent, so this
                // is no attempt, and retrying cannot help.
                None => Attempted::Refused(failure.into_error(self.operation, number - 1)),
                Some(_) => Attempted::Failed(failure, latency),
            };
        }
        self.answered(number, seen.as_ref(), latency).await;
        let seen = seen.as_ref().map(|s| Seen {
            status: s.status,
            headers: &s.headers,
        });
        let mut failure = classify::failure::<E>(error, seen, sent).await;
        if cut && failure.cause.is_timeout() {
            // The attempt's timeout was the call's deadline.
            if let Some((_, timeout)) = self.deadline {
                failure.kind = ErrorKind::Deadline {
                    timeout,
                    stage: DeadlineStage::Attempt,
                };
            }
        }
        Attempted::Failed(failure, latency)
    }

    /// After a failed attempt: waits and returns `Ok` when another attempt
    /// follows, else the error the call ends with.
    async fn after(&self, failed: Attempted, tries: &mut Tries) -> Result<(), Error> {
        let (failure, latency) = match failed {
            Attempted::Refused(error) => return Err(self.transport.error(error)),
            Attempted::Late(stage) => {
                return Err(self.too_late(stage, tries.attempts - 1, tries.last.take()));
            }
            Attempted::Failed(failure, latency) => (failure, latency),
        };
        let verdict = failure
            .cause
            .verdict(self.safety, self.policy.retry_creates);
        let standing = Standing {
            attempts: tries.attempts,
            elapsed: self.started.elapsed(),
            left: self.left(),
            asked: failure.retry_after,
        };
        match retry::next(self.policy, &verdict, standing, &self.transport.budget) {
            Next::Retry { wait, paid } => {
                tries.paid = Some(paid);
                tries.last = Some(verdict);
                self.retrying(tries.attempts, &failure, latency, wait);
                if failure.cause.is_rate_limited() {
                    self.transport.pacer.block_for(wait).await;
                }
                tokio::time::sleep(wait).await;
                Ok(())
            }
            Next::Stop(stop) => Err(self.give_up(failure, verdict, stop, tries.attempts, latency)),
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
        failure.kind = self.final_kind(failure.kind, &failure.cause, &verdict, stop);
        let error = t
            .error(failure.into_error(operation, attempts))
            .with_verdict(verdict)
            .with_retry_budget_spent(stop == Stop::RetryBudget);
        tracing::debug!(operation, attempts, error = %error, "failed");
        error
    }

    /// What the last attempt's error says once the call stops for `stop`:
    /// a deadline that ended the retries says so, and a lost answer to a
    /// create that may not be repeated says its outcome is unknown.
    fn final_kind(
        &self,
        kind: ErrorKind,
        cause: &Cause,
        verdict: &Verdict,
        stop: Stop,
    ) -> ErrorKind {
        match (stop, kind) {
            // An attempt cut off by the deadline already says so.
            (Stop::Deadline(_), kind @ ErrorKind::Deadline { .. }) => kind,
            (Stop::Deadline(wait), kind) => {
                let stage = if cause.is_rate_limited() {
                    DeadlineStage::RetryAfter { wait }
                } else {
                    DeadlineStage::Backoff { wait }
                };
                match self.deadline {
                    Some((_, timeout)) => ErrorKind::Deadline { timeout, stage },
                    None => kind,
                }
            }
            (_, ErrorKind::Timeout) if verdict.is_outcome_unknown() && !verdict.is_retryable() => {
                ErrorKind::OutcomeUnknown {
                    cause: "the request timed out".to_string(),
                }
            }
            (_, ErrorKind::Transport(cause))
                if verdict.is_outcome_unknown() && !verdict.is_retryable() =>
            {
                ErrorKind::OutcomeUnknown {
                    cause: cause.to_string(),
                }
            }
            (_, kind) => kind,
        }
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
