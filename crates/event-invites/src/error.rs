//! The one error type of the facade: what went wrong, in which operation,
//! after how many attempts, and whether trying again can help. It never
//! carries the API key.

use std::fmt;
use std::time::Duration;

/// A problem the server reported with one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field or parameter, when the server named one (e.g. `limit`,
    /// `query.status`).
    pub field: Option<String>,
    /// What was wrong with it.
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

/// Everything that can go wrong in a facade call.
///
/// Match on the variants (the enum is `#[non_exhaustive]`), or ask
/// [`Error::is_retryable`] and [`Error::status`]. Every variant names the
/// operation; those that reached the server say how many attempts were made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API key was missing or not accepted (HTTP 401/403).
    #[error(
        "{operation}: the API key was not accepted (HTTP {status}); check the key and its permissions"
    )]
    Unauthorized {
        /// The operation, e.g. `list_invites`.
        operation: &'static str,
        /// 401 or 403.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },

    /// The object does not exist (HTTP 404).
    #[error("{operation}: not found (HTTP 404){}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    NotFound {
        /// The operation.
        operation: &'static str,
        /// The server's message, if any.
        message: Option<String>,
        /// Attempts made.
        attempts: u32,
    },

    /// The server rejected the input (HTTP 400 or 422), with its details.
    #[error(
        "{operation}: the server rejected the input (HTTP {status}): {}",
        describe(message, problems)
    )]
    Validation {
        /// The operation.
        operation: &'static str,
        /// 400 or 422.
        status: u16,
        /// The server's message, if any.
        message: Option<String>,
        /// The server's per-field details.
        problems: Vec<FieldProblem>,
        /// Attempts made.
        attempts: u32,
    },

    /// Over the rate limit (HTTP 429), after the retries the policy allows.
    #[error("{operation}: rate limited (HTTP 429) after {attempts} attempt(s){}", retry_after.map(|d| format!("; the server asks to wait {}s", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        /// The operation.
        operation: &'static str,
        /// The wait the server asked for (`Retry-After`, else
        /// `x-rate-limit-reset`).
        retry_after: Option<Duration>,
        /// Attempts made.
        attempts: u32,
    },

    /// The server failed (HTTP 5xx).
    #[error("{operation}: server error (HTTP {status}) after {attempts} attempt(s)")]
    Server {
        /// The operation.
        operation: &'static str,
        /// The status.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },

    /// The server answered with a status the API does not document.
    #[error("{operation}: unexpected response (HTTP {status})")]
    UnexpectedStatus {
        /// The operation.
        operation: &'static str,
        /// The status.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },

    /// No answer in time (connect or request timeout).
    #[error("{operation}: timed out after {attempts} attempt(s)")]
    Timeout {
        /// The operation.
        operation: &'static str,
        /// Attempts made.
        attempts: u32,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// The connection failed, or the response was cut short.
    #[error("{operation}: transport error after {attempts} attempt(s): {source}")]
    Transport {
        /// The operation.
        operation: &'static str,
        /// The status, when the response had begun.
        status: Option<u16>,
        /// Attempts made.
        attempts: u32,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// A create without a dedupe filter lost its connection after it was
    /// sent: the server may or may not have created the object, and
    /// repeating the request could create it twice, so it was not repeated.
    #[error(
        "{operation}: the outcome is unknown: the request was sent but its answer was lost ({cause}); it was not repeated because it carries no dedupe filter. Check whether the object exists before creating it again"
    )]
    OutcomeUnknown {
        /// The operation.
        operation: &'static str,
        /// What happened to the answer.
        cause: String,
        /// Attempts made.
        attempts: u32,
    },

    /// The response did not decode into the API's types.
    #[error("{operation}: could not decode the response{}: {message}; the body begins: {excerpt:?}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Decode {
        /// The operation.
        operation: &'static str,
        /// The status, when known.
        status: Option<u16>,
        /// What did not decode.
        message: String,
        /// The first bytes of the body (at most 200 characters).
        excerpt: String,
        /// Attempts made (0 when a model conversion failed after the call).
        attempts: u32,
    },

    /// The caller passed something the API cannot take; nothing was sent.
    #[error("{operation}: invalid request: {message}")]
    InvalidRequest {
        /// The operation.
        operation: &'static str,
        /// What was wrong.
        message: String,
    },

    /// A list's pages did not add up (a cursor seen twice, more pages
    /// promised after an empty one): the stream ended instead of looping.
    #[error("{operation}: pagination stopped: {reason}")]
    Pagination {
        /// The list operation.
        operation: &'static str,
        /// What was wrong with the pages.
        reason: String,
    },

    /// The client could not be configured (no API key, a bad base URL, …).
    #[error("invalid configuration: {0}")]
    Config(String),
}

fn describe(message: &Option<String>, problems: &[FieldProblem]) -> String {
    let mut parts: Vec<String> = message.iter().cloned().collect();
    parts.extend(problems.iter().map(ToString::to_string));
    if parts.is_empty() {
        "no details".into()
    } else {
        parts.join("; ")
    }
}

impl Error {
    /// Whether the same call may succeed later: rate limits, 502/503/504,
    /// timeouts and transport errors. (The facade has already retried as
    /// far as its policy allows.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Timeout { .. } | Self::Transport { .. } => true,
            Self::Server { status, .. } => matches!(status, 502..=504),
            _ => false,
        }
    }

    /// The HTTP status the server answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized { status, .. }
            | Self::Validation { status, .. }
            | Self::Server { status, .. }
            | Self::UnexpectedStatus { status, .. } => Some(*status),
            Self::NotFound { .. } => Some(404),
            Self::RateLimited { .. } => Some(429),
            Self::Transport { status, .. } | Self::Decode { status, .. } => *status,
            Self::Timeout { .. }
            | Self::OutcomeUnknown { .. }
            | Self::InvalidRequest { .. }
            | Self::Pagination { .. }
            | Self::Config(_) => None,
        }
    }

    /// The operation that failed (`None` for configuration errors).
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Self::Unauthorized { operation, .. }
            | Self::NotFound { operation, .. }
            | Self::Validation { operation, .. }
            | Self::RateLimited { operation, .. }
            | Self::Server { operation, .. }
            | Self::UnexpectedStatus { operation, .. }
            | Self::Timeout { operation, .. }
            | Self::Transport { operation, .. }
            | Self::OutcomeUnknown { operation, .. }
            | Self::Decode { operation, .. }
            | Self::InvalidRequest { operation, .. }
            | Self::Pagination { operation, .. } => Some(operation),
            Self::Config(_) => None,
        }
    }

    /// How many requests were sent (0 when the call failed before sending).
    pub fn attempts(&self) -> u32 {
        match self {
            Self::Unauthorized { attempts, .. }
            | Self::NotFound { attempts, .. }
            | Self::Validation { attempts, .. }
            | Self::RateLimited { attempts, .. }
            | Self::Server { attempts, .. }
            | Self::UnexpectedStatus { attempts, .. }
            | Self::Timeout { attempts, .. }
            | Self::Transport { attempts, .. }
            | Self::OutcomeUnknown { attempts, .. }
            | Self::Decode { attempts, .. } => *attempts,
            Self::Pagination { .. } => 1,
            Self::InvalidRequest { .. } | Self::Config(_) => 0,
        }
    }

    pub(crate) fn set_attempts(&mut self, n: u32) {
        match self {
            Self::Unauthorized { attempts, .. }
            | Self::NotFound { attempts, .. }
            | Self::Validation { attempts, .. }
            | Self::RateLimited { attempts, .. }
            | Self::Server { attempts, .. }
            | Self::UnexpectedStatus { attempts, .. }
            | Self::Timeout { attempts, .. }
            | Self::Transport { attempts, .. }
            | Self::OutcomeUnknown { attempts, .. }
            | Self::Decode { attempts, .. } => *attempts = n,
            Self::Pagination { .. } | Self::InvalidRequest { .. } | Self::Config(_) => {}
        }
    }

    /// A response body that did not decode into a facade model.
    pub(crate) fn decode(operation: &'static str, field: &str, message: impl fmt::Display) -> Self {
        Self::Decode {
            operation,
            status: None,
            message: format!("`{field}`: {message}"),
            excerpt: String::new(),
            attempts: 0,
        }
    }
}

/// The first 200 characters of a body, for error messages.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).chars().take(200).collect()
}

/// The facade's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
