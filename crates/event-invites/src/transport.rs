//! The transport policy, in one place for both APIs: every facade call goes
//! through [`Transport::send`], which paces it, sends it with the API key,
//! turns progenitor's errors into [`Error`], retries what is safe to retry,
//! and traces it.
//!
//! Why a wrapper around the generated builders' `send()` rather than
//! progenitor's `ClientHooks` alone: a retry has to rebuild and resend the
//! whole request and decide from the decoded outcome, which hooks (they see
//! one request and one response) cannot do. The hooks do the two things only
//! they can: add the key header to each request, whatever `reqwest::Client`
//! is in use, and keep each response's status and headers, which progenitor
//! drops when a body does not decode (see `event-invites-hooks`).

use std::future::Future;
use std::time::Duration;

use progenitor_client::ResponseValue;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::time::Instant;
use tracing::Instrument;

use crate::error::{Error, FieldProblem, excerpt};
use crate::pacing::Pacer;
use crate::retry::{RetryPolicy, Safety};
use crate::secret::ApiKey;

/// What an API's documented error body says.
pub(crate) trait ErrorDetails {
    /// The message and the per-field problems.
    fn details(self) -> (Option<String>, Vec<FieldProblem>);
}

impl ErrorDetails for artsvp_api::types::ErrorBody {
    fn details(self) -> (Option<String>, Vec<FieldProblem>) {
        let problems = self
            .errors
            .unwrap_or_default()
            .into_iter()
            .map(|e| FieldProblem {
                field: e.field,
                message: e.message.unwrap_or_default(),
            })
            .collect();
        (self.message.or(self.error), problems)
    }
}

impl ErrorDetails for securegate_api::types::HttpValidationError {
    fn details(self) -> (Option<String>, Vec<FieldProblem>) {
        let problems = self
            .detail
            .into_iter()
            .map(|d| FieldProblem {
                field: Some(
                    d.loc
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("."),
                ),
                message: d.msg,
            })
            .collect();
        (None, problems)
    }
}

/// How a failed attempt may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// 429: the server did nothing; wait as asked.
    RateLimited,
    /// The connection never opened: nothing was sent.
    NotSent,
    /// 502/503/504: the server (or a proxy) failed.
    Gateway,
    /// Sent, but the answer was lost (timeout, dropped connection, cut body).
    Lost,
    /// Anything retrying cannot change.
    Final,
}

struct Failure {
    error: Error,
    kind: Kind,
    retry_after: Option<Duration>,
}

/// Pacing, auth and retries for one client (shared by its clones).
#[derive(Debug)]
pub struct Transport {
    key: ApiKey,
    pub(crate) pacer: Pacer,
    retry: RetryPolicy,
}

impl Transport {
    pub(crate) fn new(key: ApiKey, pacer: Pacer, retry: RetryPolicy) -> Self {
        Self { key, pacer, retry }
    }

    /// Sends one operation through the policy. `attempt` builds and sends
    /// the request afresh each time it is called.
    pub(crate) async fn send<T, E, F, Fut>(
        &self,
        operation: &'static str,
        safety: Safety,
        mut attempt: F,
    ) -> Result<ResponseValue<T>, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
        E: ErrorDetails,
    {
        let span = tracing::info_span!(
            "event_invites.call",
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
                self.pacer.acquire().await;
                let sent_at = Instant::now();
                let (result, seen) =
                    event_invites_hooks::with_call(self.key.headers(), attempt()).await;
                let span = tracing::Span::current();
                span.record("attempt", attempts);
                span.record("latency_ms", sent_at.elapsed().as_millis() as u64);
                if let Some(seen) = &seen {
                    span.record("status", seen.status.as_u16());
                    self.pacer.observe(&seen.headers);
                }
                let failure = match result {
                    Ok(value) => return Ok(value),
                    Err(e) => failure(e, operation, seen.as_ref().map(|s| s.status)).await,
                };
                match self.next_wait(&failure, safety, attempts, started.elapsed()) {
                    Some(wait) => {
                        tracing::warn!(
                            operation,
                            attempt = attempts,
                            wait_ms = wait.as_millis() as u64,
                            reason = %failure.error,
                            "retrying"
                        );
                        if failure.kind == Kind::RateLimited {
                            self.pacer.block_for(wait);
                        }
                        tokio::time::sleep(wait).await;
                    }
                    None => {
                        let mut error = self.final_error(failure, safety);
                        error.set_attempts(attempts);
                        tracing::debug!(operation, attempts, error = %error, "failed");
                        return Err(error);
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// The wait before the next attempt, or `None` to give up.
    fn next_wait(
        &self,
        failure: &Failure,
        safety: Safety,
        attempts: u32,
        elapsed: Duration,
    ) -> Option<Duration> {
        if attempts >= self.retry.max_attempts {
            return None;
        }
        let backoff = self.retry.backoff(attempts);
        let wait = match failure.kind {
            Kind::RateLimited => match failure.retry_after {
                Some(asked) if asked > self.retry.max_delay => return None,
                Some(asked) => asked,
                None => backoff,
            },
            Kind::NotSent => backoff,
            Kind::Gateway | Kind::Lost if safety.may_repeat(&self.retry) => backoff,
            Kind::Gateway | Kind::Lost | Kind::Final => return None,
        };
        (elapsed + wait <= self.retry.budget).then_some(wait)
    }

    /// The error to report: a lost answer to an unrepeatable create says
    /// that its outcome is unknown.
    fn final_error(&self, failure: Failure, safety: Safety) -> Error {
        if failure.kind == Kind::Lost && !safety.may_repeat(&self.retry) {
            let cause = match &failure.error {
                Error::Timeout { .. } => "the request timed out".to_string(),
                Error::Transport { source, .. } => source.to_string(),
                other => other.to_string(),
            };
            return Error::OutcomeUnknown {
                operation: failure.error.operation().unwrap_or("call"),
                cause,
                attempts: 0,
            };
        }
        failure.error
    }
}

/// Classifies one failed attempt.
async fn failure<E: ErrorDetails>(
    error: progenitor_client::Error<E>,
    operation: &'static str,
    seen_status: Option<StatusCode>,
) -> Failure {
    use progenitor_client::Error as P;
    let simple = |error, kind| Failure {
        error,
        kind,
        retry_after: None,
    };
    match error {
        P::InvalidRequest(message) | P::Custom(message) => {
            simple(Error::InvalidRequest { operation, message }, Kind::Final)
        }
        P::CommunicationError(source) | P::InvalidUpgrade(source) => {
            let kind = if source.is_connect() {
                Kind::NotSent
            } else {
                Kind::Lost
            };
            let error = if source.is_timeout() {
                Error::Timeout {
                    operation,
                    attempts: 0,
                    source,
                }
            } else {
                Error::Transport {
                    operation,
                    status: None,
                    attempts: 0,
                    source,
                }
            };
            simple(error, kind)
        }
        P::ResponseBodyError(source) => {
            let error = if source.is_timeout() {
                Error::Timeout {
                    operation,
                    attempts: 0,
                    source,
                }
            } else {
                Error::Transport {
                    operation,
                    status: seen_status.map(|s| s.as_u16()),
                    attempts: 0,
                    source,
                }
            };
            simple(error, Kind::Lost)
        }
        P::InvalidResponsePayload(bytes, source) => simple(
            Error::Decode {
                operation,
                status: seen_status.map(|s| s.as_u16()),
                message: source.to_string(),
                excerpt: excerpt(&bytes),
                attempts: 0,
            },
            Kind::Final,
        ),
        P::ErrorResponse(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            let (message, problems) = response.into_inner().details();
            from_status(operation, status, &headers, message, problems)
        }
        P::UnexpectedResponse(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await.unwrap_or_default();
            from_status(operation, status, &headers, body_message(&body), Vec::new())
        }
    }
}

/// A message from an undocumented error body: `{"detail": "…"}` (FastAPI),
/// `{"message": "…"}` or `{"error": "…"}`.
fn body_message(body: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    ["detail", "message", "error"]
        .iter()
        .find_map(|k| json.get(k)?.as_str().map(str::to_string))
}

fn from_status(
    operation: &'static str,
    status: StatusCode,
    headers: &HeaderMap,
    message: Option<String>,
    problems: Vec<FieldProblem>,
) -> Failure {
    let code = status.as_u16();
    let (error, kind) = match code {
        401 | 403 => (
            Error::Unauthorized {
                operation,
                status: code,
                attempts: 0,
            },
            Kind::Final,
        ),
        404 => (
            Error::NotFound {
                operation,
                message,
                attempts: 0,
            },
            Kind::Final,
        ),
        400 | 422 => (
            Error::Validation {
                operation,
                status: code,
                message,
                problems,
                attempts: 0,
            },
            Kind::Final,
        ),
        429 => {
            let retry_after = retry_after(headers);
            return Failure {
                error: Error::RateLimited {
                    operation,
                    retry_after,
                    attempts: 0,
                },
                kind: Kind::RateLimited,
                retry_after,
            };
        }
        502..=504 => (
            Error::Server {
                operation,
                status: code,
                attempts: 0,
            },
            Kind::Gateway,
        ),
        500..=599 => (
            Error::Server {
                operation,
                status: code,
                attempts: 0,
            },
            Kind::Final,
        ),
        _ => (
            Error::UnexpectedStatus {
                operation,
                status: code,
                attempts: 0,
            },
            Kind::Final,
        ),
    };
    Failure {
        error,
        kind,
        retry_after: None,
    }
}

/// The wait a 429 asks for: `Retry-After` (seconds), else
/// `x-rate-limit-reset`.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    ["retry-after", "x-rate-limit-reset"]
        .iter()
        .find_map(|name| {
            let seconds: f64 = headers.get(*name)?.to_str().ok()?.trim().parse().ok()?;
            (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_prefers_the_header_then_the_reset() {
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-reset", "9".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(9)));
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(9)));
    }

    #[test]
    fn undocumented_bodies_give_their_message() {
        assert_eq!(
            body_message(br#"{"detail": "Not Found"}"#).as_deref(),
            Some("Not Found")
        );
        assert_eq!(body_message(b"<html>"), None);
    }
}
