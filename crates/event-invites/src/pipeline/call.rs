//! One facade call: a [`Call`] is what every operation returns. Awaiting it
//! sends the request and gives the value; before that, the caller may
//! change the timeout, the retry policy or add headers for this call only,
//! and [`Call::with_response`] gives the value together with the response's
//! status, headers, request id, attempts and the rate-limit state after it.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use progenitor_client::ResponseValue;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind};
use crate::pipeline::classify::{self, ErrorDetails};
use crate::pipeline::retry::RetryPolicy;
use crate::pipeline::transport::{CallOptions, Transport};
use crate::quota::RateLimitState;
use crate::verdict::{Cause, Safety};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
type Run<'a, T> =
    Box<dyn FnOnce(CallOptions) -> BoxFuture<'a, Result<Response<T>, Error>> + Send + 'a>;

/// One call of an operation, not sent yet: `.await` it for the value, or
/// adjust this call first.
///
/// ```no_run
/// # async fn example(client: event_invites::Artsvp) -> Result<(), event_invites::Error> {
/// use std::time::Duration;
/// use event_invites::RetryPolicy;
///
/// // Just the value:
/// let event = client.get_event("eve-123").await?;
///
/// // This call only: a shorter timeout, no retries, a header of ours,
/// // and the response's facts with the value.
/// let response = client
///     .get_event("eve-123")
///     .timeout(Duration::from_secs(2))
///     .retry(RetryPolicy::none())
///     .header("x-correlation-id", "job-42")
///     .with_response()
///     .await?;
/// println!(
///     "{} in {} attempt(s), HTTP {}, request id {:?}, {:?} requests left",
///     response.value().name,
///     response.attempts(),
///     response.status(),
///     response.request_id(),
///     response.rate_limit().map(|r| r.remaining),
/// );
/// # Ok(())
/// # }
/// ```
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<'a, T> {
    operation: &'static str,
    transport: &'a Transport,
    options: CallOptions,
    problem: Option<Error>,
    run: Run<'a, T>,
}

impl<T> fmt::Debug for Call<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("operation", &self.operation)
            .field("timeout", &self.options.timeout)
            .field("attempt_timeout", &self.options.attempt_timeout)
            .field("retry", &self.options.retry)
            .field("headers", &self.options.headers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<'a, T: Send + 'a> Call<'a, T> {
    pub(crate) fn new(operation: &'static str, transport: &'a Transport, run: Run<'a, T>) -> Self {
        Self {
            operation,
            transport,
            options: CallOptions::default(),
            problem: None,
            run,
        }
    }

    /// Names the personal values the request carries (a guest's name,
    /// email, external id), so that a server message echoing them is
    /// masked in the error.
    pub(crate) fn carrying(mut self, values: impl IntoIterator<Item = Option<String>>) -> Self {
        self.options.sent.extend(values.into_iter().flatten());
        self
    }

    /// The same call, its outcome passed through `f` once it arrives.
    fn then<U: Send + 'a>(
        self,
        f: impl FnOnce(Result<Response<T>, Error>) -> Result<Response<U>, Error> + Send + 'a,
    ) -> Call<'a, U> {
        let run = self.run;
        Call {
            operation: self.operation,
            transport: self.transport,
            options: self.options,
            problem: self.problem,
            run: Box::new(move |options| Box::pin(async move { f(run(options).await) })),
        }
    }

    /// The same call, its value mapped by `f` once it arrives.
    pub(crate) fn map<U: Send + 'a>(self, f: impl FnOnce(T) -> U + Send + 'a) -> Call<'a, U> {
        self.then(|outcome| outcome.map(|r| r.map(f)))
    }

    /// The same call, a failure turned into a value where `f` says so.
    pub(crate) fn recover(self, f: impl FnOnce(&Error) -> Option<T> + Send + 'a) -> Call<'a, T> {
        self.then(|outcome| match outcome {
            Err(e) => match f(&e) {
                Some(value) => Ok(Response {
                    value,
                    status: e.status().unwrap_or_default(),
                    headers: HeaderMap::new(),
                    attempts: e.attempts(),
                    rate_limit: None,
                }),
                None => Err(e),
            },
            ok => ok,
        })
    }

    /// The operation this call sends, e.g. `create_invite`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    setters! {
        /// How long this whole call may take, instead of the client's
        /// ([`crate::ClientBuilder::timeout`]): every attempt, backoff,
        /// rate-limit wait and `Retry-After` wait included. A wait that would
        /// pass it is not begun: the call fails at once with
        /// [`ErrorKind::Deadline`], which says where it was. An attempt under
        /// way when it passes is cut off.
        pub fn timeout(timeout: Duration) => self.options.timeout = Some(timeout);

        /// How long each attempt of this call may take, instead of the
        /// client's ([`crate::ClientBuilder::request_timeout`]). An attempt
        /// that takes longer fails with [`ErrorKind::Timeout`] and may be
        /// retried, within [`Call::timeout`].
        pub fn attempt_timeout(timeout: Duration) => self.options.attempt_timeout = Some(timeout);

        /// The retry policy for this call, instead of the client's. A create
        /// without a dedupe filter is still never repeated once sent, unless
        /// the policy opts in ([`RetryPolicy::retry_creates_without_filter`]).
        pub fn retry(policy: RetryPolicy) => self.options.retry = Some(policy);
    }

    /// Adds a header to each request of this call. A name or value that
    /// cannot be a header fails the call with
    /// [`ErrorKind::InvalidRequest`], before anything is sent. The API key
    /// header cannot be replaced this way.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let parsed = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        );
        match parsed {
            (Ok(name), Ok(value)) => {
                self.options.headers.insert(name, value);
            }
            (Err(_), _) => {
                self.problem.get_or_insert(Error::invalid(
                    self.operation,
                    format!("{name:?} cannot be a header name"),
                ));
            }
            (_, Err(_)) => {
                self.problem.get_or_insert(Error::invalid(
                    self.operation,
                    format!(
                        "the value of the header {name:?} has a character a header cannot carry"
                    ),
                ));
            }
        }
        self
    }

    /// Sends the call and gives the value with the response's facts.
    pub async fn with_response(self) -> Result<Response<T>, Error> {
        if let Some(problem) = self.problem {
            return Err(self.transport.error(problem));
        }
        (self.run)(self.options).await
    }
}

impl<'a, T: Send + 'a> IntoFuture for Call<'a, T> {
    type Output = Result<T, Error>;
    type IntoFuture = BoxFuture<'a, Result<T, Error>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.with_response().await.map(Response::into_value) })
    }
}

/// A call's value and the facts of the response that carried it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeArtsvp::start().await?;
/// # let client = fake.client();
/// let response = client.get_event(&fake.events()[0].id).with_response().await?;
/// println!(
///     "HTTP {} after {} attempt(s), request id {:?}",
///     response.status(),
///     response.attempts(),
///     response.request_id()
/// );
/// let event = response.into_value();
/// # let _ = event;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Response<T> {
    value: T,
    status: u16,
    headers: HeaderMap,
    attempts: u32,
    rate_limit: Option<RateLimitState>,
}

impl<T> Response<T> {
    /// The value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The value, taken out.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The HTTP status of the response (e.g. 201 for a created invite).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response's headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The server's request id (`x-request-id`), if it sent one.
    pub fn request_id(&self) -> Option<String> {
        classify::request_id(&self.headers)
    }

    /// How many requests the call sent (more than 1 after retries).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The rate-limit state the server reported with this response (or
    /// last before it, if this one had none).
    pub fn rate_limit(&self) -> Option<RateLimitState> {
        self.rate_limit
    }

    /// The same facts with another value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            value: f(self.value),
            status: self.status,
            headers: self.headers,
            attempts: self.attempts,
            rate_limit: self.rate_limit,
        }
    }
}

/// Builds the [`Call`] of one operation: checks `prepared` (the safety and
/// the request, or why the input cannot be sent), sends through the
/// transport, and converts the decoded body with `convert`.
pub(crate) fn call<'a, V, T, E, F, Fut>(
    transport: &'a Transport,
    operation: &'static str,
    prepared: Result<(Safety, F), ErrorKind>,
    convert: impl FnOnce(ResponseValue<V>) -> Result<T, ErrorKind> + Send + 'a,
) -> Call<'a, T>
where
    V: DeserializeOwned + Send + 'a,
    T: Send + 'a,
    E: ErrorDetails + Send + 'a,
    F: FnMut() -> Fut + Send + 'a,
    Fut: Future<Output = Result<ResponseValue<V>, progenitor_client::Error<E>>> + Send + 'a,
{
    Call::new(
        operation,
        transport,
        Box::new(move |options| {
            Box::pin(async move {
                let (safety, attempt) =
                    prepared.map_err(|kind| transport.error(Error::new(operation, kind)))?;
                let sent = transport.send(operation, safety, &options, attempt).await?;
                let status = sent.value.status().as_u16();
                let headers = sent.value.headers().clone();
                let value = convert(sent.value).map_err(|kind| {
                    // The body decoded but does not make a facade value: as
                    // good as a body that did not decode.
                    transport.error(
                        Error::new(operation, kind)
                            .with_status(Some(status))
                            .with_attempts(sent.attempts)
                            .with_request_id(classify::request_id(&headers))
                            .with_verdict(Cause::Decode(status).verdict(safety, false)),
                    )
                })?;
                Ok(Response {
                    value,
                    status,
                    headers,
                    attempts: sent.attempts,
                    rate_limit: transport.pacer.last(),
                })
            })
        }),
    )
}
