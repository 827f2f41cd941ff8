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

/// A problem the server reported with one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field or parameter, when the server named one (e.g. `limit`,
    /// `query.status`).
    pub field: Option<String>,
    /// What was wrong with it, as the server said it (values masked).
    pub message: String,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "`{field}`: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Why a connection failed or an answer was lost: the root cause, read
/// from the whole chain of errors below the HTTP client's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportCause {
    /// Nothing listens at the address (`ECONNREFUSED`).
    ConnectionRefused,
    /// The host name did not resolve.
    Dns,
    /// The TLS handshake or a certificate check failed.
    Tls,
    /// The peer reset the connection.
    ConnectionReset,
    /// The connection closed before the response was complete (a body cut
    /// short, a connection dropped after the request was written).
    ConnectionClosed,
    /// Any other connection failure.
    Other,
}

impl fmt::Display for TransportCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ConnectionRefused => "connection refused",
            Self::Dns => "DNS lookup failed",
            Self::Tls => "TLS handshake failed",
            Self::ConnectionReset => "connection reset by the peer",
            Self::ConnectionClosed => "connection closed before the response was complete",
            Self::Other => "connection failed",
        })
    }
}

/// Where and why a response body did not decode, without quoting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeProblem {
    /// The JSON path of the value that did not decode (`data[3].amount_used`;
    /// `.` for the whole body).
    pub path: String,
    /// What the problem is, with any value from the body left out (e.g.
    /// `invalid type, expected a string`, `missing field \`id\``,
    /// `EOF while parsing a string`).
    pub problem: String,
    /// The byte offset in the body where the parser stopped (the last byte
    /// of the bad value), when known.
    pub offset: Option<usize>,
}

impl fmt::Display for DecodeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at `{}`", self.path)?;
        if let Some(offset) = self.offset {
            write!(f, " (byte {offset})")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// What went wrong, beyond what every [`Error`] has.
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
    /// The server answered with a status the API does not document.
    UnexpectedStatus,
    /// No answer in time (connect or request timeout).
    Timeout,
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
    /// A bulk run's checkpoint could not record a guest: the run stopped
    /// (guests already sent are in flight for the next run).
    Checkpoint {
        /// What the checkpoint said.
        message: String,
    },
    /// The client could not be configured (no API key, a bad base URL, …).
    Config {
        /// What was wrong.
        message: String,
    },
}

type Source = Box<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong in a facade call.
///
/// Every error says which operation failed ([`Error::operation`]), how many
/// requests were sent ([`Error::attempts`]), the status and request id when
/// the server answered, and whether trying again can help
/// ([`Error::is_retryable`]); [`Error::kind`] says what went wrong.
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
    attempts: u32,
    status: Option<u16>,
    request_id: Option<String>,
    source: Option<Source>,
}

impl Error {
    fn from_parts(operation: Option<&'static str>, kind: ErrorKind) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                operation,
                attempts: 0,
                status: None,
                request_id: None,
                source: None,
            }),
        }
    }

    /// An error of `kind` in `operation`, before any attempt.
    pub(crate) fn new(operation: &'static str, kind: ErrorKind) -> Self {
        Self::from_parts(Some(operation), kind)
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

    pub(crate) fn with_status(mut self, status: Option<u16>) -> Self {
        self.inner.status = status;
        self
    }

    pub(crate) fn with_source(mut self, source: impl Into<Source>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn with_request_id(mut self, id: Option<String>) -> Self {
        self.inner.request_id = id;
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
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

    /// Whether the same call may succeed later: rate limits, 502/503/504,
    /// timeouts and transport errors. (The facade has already retried as
    /// far as its policy allows.)
    pub fn is_retryable(&self) -> bool {
        match &self.inner.kind {
            ErrorKind::RateLimited { .. } | ErrorKind::Timeout | ErrorKind::Transport(_) => true,
            ErrorKind::Server => matches!(self.inner.status, Some(502..=504)),
            _ => false,
        }
    }

    /// Whether a create may have been applied although the call failed.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::OutcomeUnknown { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(operation) = self.inner.operation {
            write!(f, "{operation}: ")?;
        }
        let status = self.inner.status.unwrap_or_default();
        let attempts = self.inner.attempts;
        match &self.inner.kind {
            ErrorKind::Unauthorized => write!(
                f,
                "the API key was not accepted (HTTP {status}); check the key and its permissions"
            )?,
            ErrorKind::NotFound { message } => {
                write!(f, "not found (HTTP 404)")?;
                if let Some(m) = message {
                    write!(f, ": {m}")?;
                }
            }
            ErrorKind::Validation { message, problems } => {
                write!(f, "the server rejected the input (HTTP {status}): ")?;
                let mut parts = message.iter().map(|m| m.to_string()).collect::<Vec<_>>();
                parts.extend(problems.iter().map(ToString::to_string));
                if parts.is_empty() {
                    f.write_str("no details")?;
                } else {
                    f.write_str(&parts.join("; "))?;
                }
            }
            ErrorKind::RateLimited { retry_after } => {
                write!(f, "rate limited (HTTP 429) after {attempts} attempt(s)")?;
                if let Some(wait) = retry_after {
                    write!(f, "; the server asks to wait {}s", wait.as_secs_f64())?;
                }
            }
            ErrorKind::Server => write!(
                f,
                "server error (HTTP {status}) after {attempts} attempt(s)"
            )?,
            ErrorKind::UnexpectedStatus => write!(f, "unexpected response (HTTP {status})")?,
            ErrorKind::Timeout => write!(f, "timed out after {attempts} attempt(s)")?,
            ErrorKind::Transport(cause) => {
                write!(f, "{cause} after {attempts} attempt(s)")?;
                if self.inner.status.is_some() {
                    write!(f, " (HTTP {status} had begun)")?;
                }
            }
            ErrorKind::OutcomeUnknown { cause } => write!(
                f,
                "the outcome is unknown: the request was sent but its answer was lost ({cause}); \
                 it was not repeated because it carries no dedupe filter. Check whether the \
                 object exists before creating it again"
            )?,
            ErrorKind::Decode(problem) => {
                write!(f, "could not decode the response")?;
                if self.inner.status.is_some() {
                    write!(f, " (HTTP {status})")?;
                }
                write!(f, " {problem}")?;
            }
            ErrorKind::InvalidRequest { message } => write!(f, "invalid request: {message}")?,
            ErrorKind::Pagination { reason } => write!(f, "pagination stopped: {reason}")?,
            ErrorKind::Checkpoint { message } => {
                write!(f, "the run stopped: its checkpoint failed: {message}")?
            }
            ErrorKind::Config { message } => write!(f, "invalid configuration: {message}")?,
        }
        if let Some(id) = &self.inner.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Error");
        s.field("kind", &self.inner.kind)
            .field("operation", &self.inner.operation)
            .field("attempts", &self.inner.attempts)
            .field("status", &self.inner.status);
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
pub type Result<T, E = Error> = std::result::Result<T, E>;
