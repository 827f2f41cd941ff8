//! The one error type of the facade: an [`Error`] holds what every failure
//! has (the operation, the attempts made, the HTTP status and request id
//! when the server answered) and an [`ErrorKind`] for what differs.
//!
//! Error text is safe to log: it never carries the API key, and never a
//! value from a request or response body (guests' names, emails, phones).
//! A body that does not decode is described by the JSON path, the expected
//! type and the byte offset; a server's own message is kept with quoted
//! values, emails and long numbers masked (see [`ErrorKind::Validation`]).

use std::fmt;
use std::time::Duration;

pub use crate::transport_cause::{TlsProblem, TransportCause};
use crate::verdict::{Sent, Verdict};

mod details;

pub(crate) use details::Seconds;
pub use details::{DeadlineStage, DecodeProblem, FieldProblem, Service};

/// What went wrong, beyond what every [`Error`] has.
///
/// ```
/// # async fn example(client: event_invites::Artsvp) {
/// use event_invites::ErrorKind;
///
/// match client.get_event("eve-c60d5868").await {
///     Ok(event) => println!("{}", event.name),
///     Err(err) => match err.kind() {
///         ErrorKind::NotFound { .. } => println!("no such event"),
///         ErrorKind::Unauthorized => println!("check ARTSVP_API_KEY"),
///         ErrorKind::RateLimited { .. } => println!("over the quota even after waiting"),
///         _ if err.is_retryable() => println!("try again later: {err}"),
///         _ => println!("{err}"),
///     },
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The API key was missing or not accepted (HTTP 401/403).
    Unauthorized,
    /// The object does not exist (HTTP 404).
    NotFound {
        /// The server's message, if any (values masked).
        message: Option<String>,
    },
    /// The server rejected the input (HTTP 400 or 422), with its details.
    /// Quoted values, emails and long numbers in the server's text are
    /// masked, so the message is safe to log.
    Validation {
        /// The server's message, if any.
        message: Option<String>,
        /// The server's per-field details.
        problems: Vec<FieldProblem>,
    },
    /// Over the rate limit (HTTP 429), after the retries the policy allows.
    RateLimited {
        /// The wait the server asked for (`Retry-After`, else
        /// `x-rate-limit-reset`).
        retry_after: Option<Duration>,
    },
    /// The server failed (HTTP 5xx).
    Server,
    /// The server answered with a redirect (HTTP 3xx), which the client
    /// does not follow: neither API documents one, and following it would
    /// hand the API key, and a request's guest data, to wherever it points.
    /// The request was not carried out; the base URL is probably wrong.
    Redirect {
        /// The origin it pointed to (`https://host[:port]`, never a path or
        /// query), when the `Location` named one.
        to: Option<String>,
    },
    /// The server answered with a status the API does not document.
    UnexpectedStatus,
    /// No answer in time: one attempt's timeout
    /// ([`crate::Call::attempt_timeout`],
    /// [`crate::ClientBuilder::request_timeout`]) or the connect timeout.
    Timeout,
    /// The call's own deadline ([`crate::Call::timeout`],
    /// [`crate::ClientBuilder::timeout`]) passed, or would have passed
    /// during a wait, which was then not begun: the call stopped at once.
    Deadline {
        /// The call's timeout.
        timeout: Duration,
        /// Where the call was.
        stage: DeadlineStage,
    },
    /// The connection failed, or the response was cut short.
    Transport(TransportCause),
    /// A create without a dedupe filter was sent but its answer was lost:
    /// the server may or may not have created the object, and repeating
    /// the request could create it twice, so it was not repeated.
    OutcomeUnknown {
        /// What happened to the answer.
        cause: String,
    },
    /// The response did not decode into the API's types.
    Decode(DecodeProblem),
    /// The caller passed something the API cannot take; nothing was sent.
    InvalidRequest {
        /// What was wrong.
        message: String,
    },
    /// A list's pages did not add up (a cursor seen twice, more pages
    /// promised after an empty one): the stream ended instead of looping.
    Pagination {
        /// What was wrong with the pages.
        reason: String,
    },
    /// The client could not be configured (no API key, a bad base URL, …).
    Config {
        /// What was wrong.
        message: String,
    },
    /// The quota store could not be reached or refused this client (a
    /// Redis server down, or a wrong password): see
    /// [`QuotaStore`](crate::QuotaStore). Nothing was sent to the API.
    QuotaStore {
        /// The store, its URL's password hidden.
        store: String,
        /// What went wrong.
        message: String,
    },
}

type Source = Box<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong in a facade call.
///
/// Every error says which API, host and operation failed ([`Error::api`],
/// [`Error::host`], [`Error::operation`]), how many requests were sent
/// ([`Error::attempts`]), the status and request id when the server
/// answered, and the facade's one [`Verdict`] on it: was the request sent,
/// may it be tried again, may a write have taken effect
/// ([`Error::verdict`], [`Error::is_retryable`]); [`Error::kind`] says what
/// went wrong. Its `Display` reads like
/// `ARTSVP get_event (app.artsvp.com): connection refused after 4 attempts`.
///
/// ```
/// # fn example(err: event_invites::Error) {
/// use event_invites::ErrorKind;
///
/// match err.kind() {
///     ErrorKind::NotFound { .. } => println!("gone"),
///     ErrorKind::RateLimited { retry_after } => println!("wait {retry_after:?}"),
///     _ if err.is_retryable() => println!("try again later: {err}"),
///     _ => println!("{err}"),
/// }
/// # }
/// ```
pub struct Error {
    // Boxed: one pointer in every `Result` the facade returns.
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    operation: Option<&'static str>,
    api: Option<Service>,
    host: Option<String>,
    attempts: u32,
    status: Option<u16>,
    request_id: Option<String>,
    verdict: Verdict,
    retry_budget_spent: bool,
    source: Option<Source>,
}

impl Error {
    fn from_parts(operation: Option<&'static str>, kind: ErrorKind) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                operation,
                api: None,
                host: None,
                attempts: 0,
                status: None,
                request_id: None,
                verdict: Verdict::NOT_SENT,
                retry_budget_spent: false,
                source: None,
            }),
        }
    }

    /// An error of `kind` in `operation` (as the spec names it), before any
    /// attempt.
    pub(crate) fn new(operation: &'static str, kind: ErrorKind) -> Self {
        Self::from_parts(Some(operation), kind)
    }

    /// An error of `kind` outside any API operation: converting a generated
    /// type.
    pub(crate) fn without_operation(kind: ErrorKind) -> Self {
        Self::from_parts(None, kind)
    }

    /// A configuration error (no operation).
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::from_parts(
            None,
            ErrorKind::Config {
                message: message.into(),
            },
        )
    }

    /// Input the API cannot take; nothing was sent.
    pub(crate) fn invalid(operation: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            operation,
            ErrorKind::InvalidRequest {
                message: message.into(),
            },
        )
    }

    setters! {
        pub(crate) fn with_status(status: Option<u16>) => self.inner.status = status;

        pub(crate) fn with_source(source: impl Into<Source>) =>
            self.inner.source = Some(source.into());

        pub(crate) fn with_request_id(id: Option<String>) => self.inner.request_id = id;

        pub(crate) fn with_attempts(attempts: u32) => self.inner.attempts = attempts;

        /// Names the API and the host (`host[:port]`, never a path or query).
        pub(crate) fn at(api: Service, host: Option<&str>) =>
            self.inner.api = Some(api),
            self.inner.host = host.map(str::to_string);

        pub(crate) fn with_verdict(verdict: Verdict) => self.inner.verdict = verdict;

        pub(crate) fn with_retry_budget_spent(spent: bool) => self.inner.retry_budget_spent = spent;
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// The operation that failed, e.g. `list_invites` (`None` for
    /// configuration errors).
    pub fn operation(&self) -> Option<&'static str> {
        self.inner.operation
    }

    /// How many requests were sent (0 when the call failed before sending).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The HTTP status the server answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The server's request id (`x-request-id`) of the last answer, if it
    /// sent one: quote it to the vendor's support.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// The API the call was for (`None` for an error from no client).
    pub fn api(&self) -> Option<Service> {
        self.inner.api
    }

    /// The host the call was for, `host[:port]` (never a path or a query).
    pub fn host(&self) -> Option<&str> {
        self.inner.host.as_deref()
    }

    /// The facade's one judgement on the failure: was the request sent,
    /// may the call be tried again, may a write have taken effect. See
    /// [`Verdict`].
    pub fn verdict(&self) -> Verdict {
        self.inner.verdict
    }

    /// Whether the failed request reached the server: the verdict's
    /// [`Verdict::sent`].
    pub fn was_sent(&self) -> Sent {
        self.inner.verdict.sent()
    }

    /// Whether the same call may succeed later and is safe to send again:
    /// the verdict's [`Verdict::is_retryable`] (rate limits, 502/503/504,
    /// timeouts and failed connections, for an operation that a repeat
    /// cannot duplicate). The facade has already retried as far as its
    /// policy, the client's retry budget and the call's deadline allowed.
    pub fn is_retryable(&self) -> bool {
        self.inner.verdict.is_retryable()
    }

    /// Whether a write may have been applied although the call failed: the
    /// verdict's [`Verdict::is_outcome_unknown`].
    pub fn is_outcome_unknown(&self) -> bool {
        self.inner.verdict.is_outcome_unknown()
    }

    /// Whether the call stopped retrying because the client's
    /// [`crate::RetryBudget`] was spent (many calls failing lately).
    pub fn is_retry_budget_spent(&self) -> bool {
        self.inner.retry_budget_spent
    }
}

impl fmt::Display for Error {
    /// Where (API, operation, host), what went wrong, then what else an
    /// operator needs: a possibly applied write, a spent retry budget, the
    /// request id.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_place(f)?;
        match &self.inner.kind {
            ErrorKind::Unauthorized
            | ErrorKind::NotFound { .. }
            | ErrorKind::Validation { .. }
            | ErrorKind::RateLimited { .. }
            | ErrorKind::Server
            | ErrorKind::Redirect { .. }
            | ErrorKind::UnexpectedStatus => self.write_answered(f)?,
            ErrorKind::Timeout
            | ErrorKind::Deadline { .. }
            | ErrorKind::Transport(_)
            | ErrorKind::OutcomeUnknown { .. }
            | ErrorKind::Decode(_)
            | ErrorKind::InvalidRequest { .. }
            | ErrorKind::Pagination { .. }
            | ErrorKind::Config { .. }
            | ErrorKind::QuotaStore { .. } => self.write_unanswered(f)?,
        }
        self.write_notes(f)
    }
}

impl Error {
    /// `ARTSVP create_invite (app.artsvp.com): `, as much as is known.
    fn write_place(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let place = [inner.api.map(Service::name), inner.operation]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        match (&inner.host, place.is_empty()) {
            (Some(host), false) => write!(f, "{place} ({host}): "),
            (None, false) => write!(f, "{place}: "),
            (_, true) => Ok(()),
        }
    }

    /// What went wrong when the server answered with an error status.
    fn write_answered(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.inner.status.unwrap_or_default();
        let attempts = Attempts(self.inner.attempts);
        match &self.inner.kind {
            ErrorKind::Unauthorized => write!(
                f,
                "the API key was not accepted (HTTP {status}); check the key and its permissions"
            ),
            ErrorKind::NotFound { message } => {
                write!(f, "not found (HTTP 404)")?;
                match message {
                    Some(m) => write!(f, ": {m}"),
                    None => Ok(()),
                }
            }
            ErrorKind::Validation { message, problems } => {
                write!(f, "the server rejected the input (HTTP {status}): ")?;
                let mut parts = message.iter().map(|m| m.to_string()).collect::<Vec<_>>();
                parts.extend(problems.iter().map(ToString::to_string));
                match parts.is_empty() {
                    true => f.write_str("no details"),
                    false => f.write_str(&parts.join("; ")),
                }
            }
            ErrorKind::RateLimited { retry_after } => {
                write!(f, "rate limited (HTTP 429) after {attempts}")?;
                match retry_after {
                    Some(wait) => write!(f, "; the server asks to wait {}s", wait.as_secs_f64()),
                    None => Ok(()),
                }
            }
            ErrorKind::Server => write!(f, "server error (HTTP {status}) after {attempts}"),
            ErrorKind::Redirect { to } => {
                write!(f, "redirected (HTTP {status})")?;
                if let Some(to) = to {
                    write!(f, " to {to}")?;
                }
                f.write_str(
                    "; redirects are not followed (the key and the request stay with this \
                     host): check the base URL",
                )
            }
            // UnexpectedStatus, and the kinds without a status (sorted out
            // by `fmt`).
            _ => write!(f, "unexpected response (HTTP {status})"),
        }
    }

    /// What went wrong when no error status explains it: the network, a
    /// deadline, the body, the caller's input, the configuration.
    fn write_unanswered(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.inner.status.unwrap_or_default();
        let attempts = Attempts(self.inner.attempts);
        match &self.inner.kind {
            ErrorKind::Timeout => write!(f, "timed out after {attempts}"),
            ErrorKind::Deadline { timeout, stage } => write!(
                f,
                "the call's timeout of {} {stage} (after {attempts})",
                Seconds(*timeout)
            ),
            ErrorKind::Transport(TransportCause::Tls(problem)) => {
                write!(f, "TLS handshake failed after {attempts}: {problem}")
            }
            ErrorKind::Transport(cause) => {
                write!(f, "{cause} after {attempts}")?;
                match self.inner.status {
                    Some(_) => write!(f, " (HTTP {status} had begun)"),
                    None => Ok(()),
                }
            }
            ErrorKind::OutcomeUnknown { cause } => write!(
                f,
                "the outcome is unknown: the request was sent but its answer was lost ({cause}); \
                 it was not repeated because it carries no dedupe filter. Check whether the \
                 object exists before creating it again"
            ),
            ErrorKind::Decode(problem) => {
                write!(f, "could not decode the response")?;
                if self.inner.status.is_some() {
                    write!(f, " (HTTP {status})")?;
                }
                write!(f, " {problem}")
            }
            ErrorKind::InvalidRequest { message } => write!(f, "invalid request: {message}"),
            ErrorKind::Pagination { reason } => write!(f, "pagination stopped: {reason}"),
            ErrorKind::Config { message } => write!(f, "invalid configuration: {message}"),
            ErrorKind::QuotaStore { store, message } => {
                write!(f, "the quota store {store} cannot be used: {message}")
            }
            // Sorted out by `fmt`: the kinds with an error status.
            _ => self.write_answered(f),
        }
    }

    /// A write that may have been applied, a spent retry budget, the
    /// request id.
    fn write_notes(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.inner.verdict.is_outcome_unknown()
            && !matches!(self.inner.kind, ErrorKind::OutcomeUnknown { .. })
        {
            f.write_str("; the outcome is unknown: the write may have been applied")?;
        }
        if self.inner.retry_budget_spent {
            f.write_str(
                "; not retried further: the client's retry budget is spent (many calls failed \
                 lately; it refills as calls succeed)",
            )?;
        }
        if let Some(id) = &self.inner.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// `1 attempt`, `4 attempts`.
struct Attempts(u32);

impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("1 attempt"),
            n => write!(f, "{n} attempts"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Error");
        s.field("kind", &self.inner.kind)
            .field("api", &self.inner.api)
            .field("host", &self.inner.host)
            .field("operation", &self.inner.operation)
            .field("attempts", &self.inner.attempts)
            .field("status", &self.inner.status)
            .field("verdict", &self.inner.verdict);
        if self.inner.retry_budget_spent {
            s.field("retry_budget_spent", &true);
        }
        if let Some(id) = &self.inner.request_id {
            s.field("request_id", id);
        }
        if let Some(source) = &self.inner.source {
            // The source's own `Display` chain (URLs stripped), not its
            // `Debug`, which some libraries fill with request details.
            s.field("source", &format_args!("{}", chain(source.as_ref())));
        }
        s.finish()
    }
}

/// `a: b: c` for an error and its sources.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        text.push_str(": ");
        text.push_str(&e.to_string());
        next = e.source();
    }
    text
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// The facade's result type.
///
/// ```
/// fn first_code(page: &event_invites::artsvp::Page<event_invites::artsvp::Invite>) -> event_invites::Result<&str> {
///     Ok(page.items.first().map(|i| i.code.as_str()).unwrap_or(""))
/// }
/// # let _ = first_code;
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
