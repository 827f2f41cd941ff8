//! The request log a test reads: what each request was, what it got back,
//! and which fault was applied. API keys are never stored.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The value logged in place of a secret header.
pub const REDACTED: &str = "[redacted]";

/// One request as the fake server received and answered it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use event_invites_fake::FakeArtsvp;
///
/// let fake = FakeArtsvp::start().await?;
/// fake.client().get_event(&fake.events()[0].id).await.expect("found");
/// let last = fake.requests().last().expect("one request");
/// assert_eq!((last.method.as_str(), last.status), ("GET", Some(200)));
/// assert_eq!(last.header("authorization"), Some("[redacted]"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LoggedRequest {
    /// `GET`, `POST`, ….
    pub method: String,
    /// The path, as sent (still percent-encoded).
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Request headers in arrival order, names lowercase; the API key header
    /// (`x-api-key` or `authorization`) reads [`REDACTED`].
    pub headers: Vec<(String, String)>,
    /// The body, as text (lossy for non-UTF-8 bytes).
    pub body: String,
    /// The status sent; `None` when the connection was dropped first.
    pub status: Option<u16>,
    /// The fault applied, by [`crate::Fault::name`].
    pub fault: Option<String>,
}

impl LoggedRequest {
    /// The body parsed as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A fake server's request log, shared with the test that reads it. It
/// keeps every request, or only the most recent ones when the server was
/// built with a log limit (for long runs: soaks, benchmarks).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use event_invites_fake::FakeArtsvp;
///
/// let fake = FakeArtsvp::start().await?;
/// fake.client().get_event(&fake.events()[0].id).await.expect("found");
/// let last = fake.requests().last().expect("one request");
/// assert_eq!((last.method.as_str(), last.status), ("GET", Some(200)));
/// assert_eq!(last.header("authorization"), Some("[redacted]"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    entries: Arc<Mutex<VecDeque<LoggedRequest>>>,
    limit: Option<usize>,
}

impl RequestLog {
    /// Every request so far, oldest first.
    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.lock().iter().cloned().collect()
    }

    /// The most recent request.
    pub fn last(&self) -> Option<LoggedRequest> {
        self.lock().back().cloned()
    }

    /// How many requests so far match `which`, without copying the log:
    /// the 429s a client got, the creates it sent. `which` runs while the
    /// log is locked, so it must not read this log itself.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use event_invites_fake::FakeArtsvp;
    ///
    /// let fake = FakeArtsvp::start().await?;
    /// fake.client().get_event(&fake.events()[0].id).await.expect("found");
    /// assert_eq!(fake.requests().count(|r| r.status == Some(429)), 0);
    /// assert_eq!(fake.requests().count(|r| r.method == "GET"), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn count(&self, which: impl Fn(&LoggedRequest) -> bool) -> usize {
        self.lock().iter().filter(|r| which(r)).count()
    }

    /// How many requests were received.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no request was received.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.lock().clear();
    }

    pub(crate) fn with_limit(limit: Option<usize>) -> Self {
        Self {
            entries: Arc::default(),
            limit,
        }
    }

    pub(crate) fn push(&self, entry: LoggedRequest) {
        let mut entries = self.lock();
        if self.limit == Some(0) {
            return;
        }
        if self.limit.is_some_and(|limit| entries.len() >= limit) {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<LoggedRequest>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
