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

use crate::classify::{self, ErrorDetails, Failure, Retry, Seen};
use crate::error::{Error, ErrorKind};
use crate::observe::{AttemptEvent, AttemptOutcome, Observers, PacingEvent};
use crate::pacing::Pacer;
use crate::retry::{RetryPolicy, Safety};
use crate::secret::ApiKey;

/// What one call changes from the client's settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct CallOptions {
    pub(crate) timeout: Option<Duration>,
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

/// Pacing, auth, retries and observers for one client (shared by its
/// clones). `pub` only to appear in the sealed `Assemble` trait.
pub struct Transport {
    pub(crate) api: &'static str,
    key: ApiKey,
    pub(crate) pacer: Pacer,
    retry: RetryPolicy,
    observers: Observers,
}

impl Transport {
    pub(crate) fn new(
        api: &'static str,
        key: ApiKey,
        pacer: Pacer,
        retry: RetryPolicy,
        observers: Observers,
    ) -> Self {
        Self {
            api,
            key,
            pacer,
            retry,
            observers,
        }
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
        let policy = options.retry.as_ref().unwrap_or(&self.retry);
        let span = tracing::info_span!(
            "event_invites.call",
            api = self.api,
            operation,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        async move {
            let started = Instant::now();
            let mut attempts = 0u32;
            loop {
                attempts += 1;
                if let Some((wait, reason)) = self.pacer.acquire().await {
                    tracing::debug!(operation, wait_ms = wait.as_millis() as u64, %reason, "paced");
                    self.observers.paced(|| PacingEvent {
                        api: self.api,
                        operation,
                        wait,
                        reason,
                    });
                }
                let sent_at = Instant::now();
                // The call's own headers, then the key (which they cannot replace).
                let mut headers = options.headers.clone();
                for (name, value) in &self.key.headers() {
                    headers.insert(name.clone(), value.clone());
                }
                let setup = event_invites_hooks::Setup {
                    headers,
                    timeout: options.timeout,
                };
                let (result, seen) = event_invites_hooks::with_call(setup, attempt()).await;
                let result = match result {
                    Err(e @ progenitor_client::Error::InvalidRequest(_)) if seen.is_none() => {
                        // The generated client refused a value before
                        // building the request (an empty cursor, say):
                        // nothing was sent, so this is no attempt, and
                        // retrying cannot help.
                        let failure = classify::failure::<E>(e, None, &options.sent).await;
                        return Err(failure.into_error(operation, attempts - 1));
                    }
                    other => other,
                };
                let latency = sent_at.elapsed();
                let span = tracing::Span::current();
                span.record("attempt", attempts);
                span.record("latency_ms", latency.as_millis() as u64);
                if let Some(seen) = &seen {
                    debug_assert_eq!(
                        seen.operation, operation,
                        "the facade's operation name must be the spec's operationId"
                    );
                    span.record("status", seen.status.as_u16());
                    self.pacer.observe(&seen.headers);
                }
                let status = seen.as_ref().map(|s| s.status.as_u16());
                let event = |outcome| AttemptEvent {
                    api: self.api,
                    operation,
                    attempt: attempts,
                    status,
                    latency,
                    outcome,
                };
                let failure = match result {
                    Ok(value) => {
                        self.observers.attempt(|| event(AttemptOutcome::Success));
                        return Ok(Sent { value, attempts });
                    }
                    Err(e) => {
                        let seen = seen.as_ref().map(|s| Seen {
                            status: s.status,
                            headers: &s.headers,
                        });
                        classify::failure::<E>(e, seen, &options.sent).await
                    }
                };
                match next_wait(policy, &failure, safety, attempts, started.elapsed()) {
                    Some(wait) => {
                        self.observers.attempt(|| {
                            event(AttemptOutcome::Retry {
                                reason: failure.retry.reason(),
                                wait,
                            })
                        });
                        tracing::warn!(
                            operation,
                            attempt = attempts,
                            status,
                            wait_ms = wait.as_millis() as u64,
                            reason = failure.retry.reason(),
                            "retrying"
                        );
                        if failure.retry == Retry::RateLimited {
                            self.pacer.block_for(wait);
                        }
                        tokio::time::sleep(wait).await;
                    }
                    None => {
                        self.observers.attempt(|| event(AttemptOutcome::Failed));
                        let error = final_error(policy, failure, safety, operation, attempts);
                        tracing::debug!(operation, attempts, error = %error, "failed");
                        return Err(error);
                    }
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// The wait before the next attempt, or `None` to give up.
fn next_wait(
    policy: &RetryPolicy,
    failure: &Failure,
    safety: Safety,
    attempts: u32,
    elapsed: Duration,
) -> Option<Duration> {
    if attempts >= policy.max_attempts {
        return None;
    }
    let backoff = policy.backoff(attempts);
    let wait = match failure.retry {
        Retry::RateLimited => match failure.retry_after {
            Some(asked) if asked > policy.max_delay => return None,
            Some(asked) => asked,
            None => backoff,
        },
        Retry::NotSent => backoff,
        Retry::Gateway | Retry::Lost if safety.may_repeat(policy) => backoff,
        Retry::Gateway | Retry::Lost | Retry::Final => return None,
    };
    (elapsed + wait <= policy.budget).then_some(wait)
}

/// The error to report: a lost answer to an unrepeatable create says that
/// its outcome is unknown.
fn final_error(
    policy: &RetryPolicy,
    mut failure: Failure,
    safety: Safety,
    operation: &'static str,
    attempts: u32,
) -> Error {
    if failure.retry == Retry::Lost && !safety.may_repeat(policy) {
        let cause = match &failure.kind {
            ErrorKind::Timeout => "the request timed out".to_string(),
            ErrorKind::Transport(cause) => cause.to_string(),
            other => format!("{other:?}"),
        };
        failure.kind = ErrorKind::OutcomeUnknown { cause };
    }
    failure.into_error(operation, attempts)
}
