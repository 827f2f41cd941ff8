//! What an [`ErrorKind`](super::ErrorKind) carries: which API, where a
//! deadline struck, a server's field problems, where a body failed to
//! decode.

use std::fmt;
use std::time::Duration;

use crate::observe::PacingReason;

/// Which API a client or an error belongs to.
///
/// ```
/// use event_invites::Service;
///
/// assert_eq!(Service::Artsvp.to_string(), "ARTSVP");
/// # fn example(err: &event_invites::Error) {
/// if err.api() == Some(Service::SecureGate) {
///     eprintln!("SecureGate failed: {err}");
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Service {
    /// SecureGate ([`crate::SecureGate`]).
    SecureGate,
    /// ARTSVP ([`crate::Artsvp`]).
    Artsvp,
}

impl Service {
    /// `SecureGate` or `ARTSVP`, as errors, traces and observers show it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::SecureGate => "SecureGate",
            Self::Artsvp => "ARTSVP",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a call was when its deadline ([`crate::Call::timeout`],
/// [`crate::ClientBuilder::timeout`]) stopped it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use event_invites::ErrorKind;
/// use event_invites_fake::{FakeArtsvp, Fault, FaultRule};
///
/// let fake = FakeArtsvp::start().await?;
/// fake.inject(FaultRule::new(Fault::Latency(Duration::from_millis(800))));
/// let err = fake
///     .client()
///     .get_event(&fake.events()[0].id)
///     .timeout(Duration::from_millis(100))
///     .await
///     .unwrap_err();
/// let ErrorKind::Deadline { stage, .. } = err.kind() else { panic!("{err}") };
/// println!("gave up during {stage}");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeadlineStage {
    /// An attempt was under way when the deadline passed.
    Attempt,
    /// The backoff before the next attempt would have passed it.
    Backoff {
        /// The wait that was not begun.
        wait: Duration,
    },
    /// The wait a 429 asked for would have passed it.
    RetryAfter {
        /// The wait that was not begun.
        wait: Duration,
    },
    /// The rate-limit pacing before an attempt would have passed it.
    Pacing {
        /// The wait that was not begun.
        wait: Duration,
        /// Why the request had to wait.
        reason: PacingReason,
    },
}

impl fmt::Display for DeadlineStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = |d: &Duration| Seconds(*d);
        match self {
            Self::Attempt => f.write_str("passed during an attempt"),
            Self::Backoff { wait } => write!(
                f,
                "would pass during the {} wait before the next attempt, so it was not begun",
                secs(wait)
            ),
            Self::RetryAfter { wait } => write!(
                f,
                "would pass during the {} the server asked to wait (HTTP 429), so it was not begun",
                secs(wait)
            ),
            Self::Pacing { wait, reason } => write!(
                f,
                "would pass during the {} wait for the {reason}, so nothing more was sent",
                secs(wait)
            ),
        }
    }
}

/// A duration for people: `850 ms`, `1.2 s`, `14 min 5 s`.
pub(crate) struct Seconds(pub(crate) Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d < Duration::from_secs(1) {
            write!(f, "{} ms", d.as_millis())
        } else if d < Duration::from_secs(60) {
            let tenths = (d.as_secs_f64() * 10.0).round() / 10.0;
            write!(f, "{tenths} s")
        } else {
            let secs = d.as_secs();
            write!(f, "{} min {} s", secs / 60, secs % 60)
        }
    }
}

/// A problem the server reported with one input field.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use event_invites::ErrorKind;
/// use event_invites::artsvp::NewInvite;
///
/// # let fake = event_invites_fake::FakeArtsvp::start().await?;
/// let client = fake.client();
/// let err = client
///     .create_invite(&NewInvite::for_event("no-such-event"))
///     .await
///     .unwrap_err();
/// if let ErrorKind::Validation { problems, .. } = err.kind() {
///     for p in problems {
///         println!("{}: {}", p.field.as_deref().unwrap_or("(body)"), p.message);
///     }
/// }
/// # Ok(())
/// # }
/// ```
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

/// Where and why a response body did not decode, without quoting it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use event_invites::ErrorKind;
/// use event_invites_fake::{FakeArtsvp, Fault, FaultRule};
///
/// let fake = FakeArtsvp::start().await?;
/// fake.inject(FaultRule::new(Fault::MalformedJson));
/// let err = fake.client().get_event(&fake.events()[0].id).await.unwrap_err();
/// let ErrorKind::Decode(problem) = err.kind() else { panic!("{err}") };
/// // The path and the problem; never a value from the body.
/// println!("at {}: {}", problem.path, problem.problem);
/// # Ok(())
/// # }
/// ```
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
