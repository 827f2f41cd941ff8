//! Where a run goes ([`Target`]), what it dedupes by ([`BulkKey`]), what
//! comes of each guest ([`GuestOutcome`], [`BulkOutcome`]) and how a run
//! ends early ([`BulkError`], [`Outage`]).

use super::*;

/// Where a bulk run sends its invites.
///
/// ```
/// use event_invites::artsvp::Target;
///
/// assert_eq!(Target::event("eve-1").to_string(), "event eve-1");
/// assert_eq!(Target::collection("col-2").to_string(), "collection col-2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// An event, by id or code.
    Event(String),
    /// A collection, by id or code.
    Collection(String),
}

impl Target {
    /// An event, by id or code.
    pub fn event(id: impl Into<String>) -> Self {
        Self::Event(id.into())
    }

    /// A collection, by id or code.
    pub fn collection(id: impl Into<String>) -> Self {
        Self::Collection(id.into())
    }

    pub(super) fn new_invite(&self) -> NewInvite {
        match self {
            Self::Event(id) => NewInvite::for_event(id),
            Self::Collection(id) => NewInvite::for_collection(id),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Event(id) => write!(f, "event {id}"),
            Self::Collection(id) => write!(f, "collection {id}"),
        }
    }
}

/// What makes two guests the same guest in a bulk run: the dedupe filter
/// every create carries, and the key a [`Checkpoint`] is asked about.
///
/// Why not [`Dedupe`]: a bulk run needs a key that names one guest, and a
/// name does not (two guests may share one), so `BulkKey` has no `Name`.
/// Each key sends the matching [`Dedupe`] filter.
///
/// ```
/// use event_invites::artsvp::{BulkKey, Guest};
///
/// let guest = Guest::new("Ann", " Ann@Example.com").external_id("crm-7");
/// assert_eq!(BulkKey::Email.of(&guest, true).as_deref(), Some("ann@example.com"));
/// assert_eq!(BulkKey::ExternalId.of(&guest, true).as_deref(), Some("crm-7"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BulkKey {
    /// The email (trimmed and lowercased unless
    /// [`BulkInvite::normalize_email`] is turned off).
    #[default]
    Email,
    /// The external id (trimmed).
    ExternalId,
}

impl BulkKey {
    /// The guest's key, or `None` when the guest has none.
    pub fn of(self, guest: &Guest, normalize: bool) -> Option<String> {
        let key = match self {
            Self::Email if normalize => guest.email.as_deref().map(normalize_email),
            Self::Email => guest.email.as_deref().map(|e| e.trim().to_string()),
            Self::ExternalId => guest.external_id.as_deref().map(|x| x.trim().to_string()),
        }?;
        (!key.is_empty()).then_some(key)
    }

    pub(super) fn dedupe(self) -> Dedupe {
        match self {
            Self::Email => Dedupe::Email,
            Self::ExternalId => Dedupe::ExternalId,
        }
    }
}

/// Why a bulk run stopped before every guest had an outcome: the last
/// item of its stream. A guest's own failure is not one of these; it is an
/// outcome ([`GuestOutcome::Failed`], [`GuestOutcome::Unknown`]), and the
/// run goes on.
///
/// ```
/// use event_invites::artsvp::BulkError;
///
/// /// What a job's operator should do after a run stopped early.
/// fn advice(stopped: &BulkError) -> String {
///     match stopped {
///         BulkError::Outage(outage) => format!(
///             "ARTSVP is failing ({}): {} guests are still pending; run again later",
///             outage.answer, outage.not_sent
///         ),
///         BulkError::Checkpoint(e) => format!("fix the journal ({e}), then run again"),
///         other => other.to_string(),
///     }
/// }
/// let stopped = BulkError::Checkpoint("disk full".into());
/// assert_eq!(advice(&stopped), "fix the journal (disk full), then run again");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum BulkError {
    /// The API kept failing: the run sent nothing more. The guests not
    /// sent are still pending in the checkpoint: start the run again with
    /// it to go on.
    Outage(Outage),
    /// The checkpoint could not record a guest (its error is the
    /// [`source`](std::error::Error::source)): the run stopped. Guests
    /// already sent are in flight for the next run, which sends them again,
    /// deduped.
    Checkpoint(CheckpointError),
}

impl fmt::Display for BulkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Outage(outage) => outage.fmt(f),
            Self::Checkpoint(e) => write!(f, "the run stopped: its checkpoint failed: {e}"),
        }
    }
}

impl std::error::Error for BulkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Outage(_) => None,
            Self::Checkpoint(e) => Some(&**e),
        }
    }
}

/// How the API was failing when a bulk run stopped for an outage: several
/// guests in a row failed with server or transport errors, after their
/// retries, while the client's [`crate::RetryBudget`] was spent.
///
/// ```
/// use event_invites::artsvp::Outage;
///
/// fn status_line(outage: &Outage) -> String {
///     format!(
///         "{} since {:?}: {} failed in a row, {} pending",
///         outage.answer, outage.since, outage.failed_in_a_row, outage.not_sent
///     )
/// }
/// # let _ = status_line;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outage {
    /// When the failures in a row began.
    pub since: std::time::SystemTime,
    /// The guests in a row that failed.
    pub failed_in_a_row: usize,
    /// The guests not sent (pending for the next run).
    pub not_sent: usize,
    /// What the last of them got, e.g. `HTTP 503`, `connection refused`.
    pub answer: String,
    /// The operation that kept failing (`create_invite`).
    pub operation: &'static str,
    /// `host[:port]` of the client's base URL.
    pub host: Option<String>,
}

impl fmt::Display for Outage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let since = chrono::DateTime::<chrono::Utc>::from(self.since).format("%H:%M:%S UTC");
        f.write_str("ARTSVP")?;
        if let Some(host) = &self.host {
            write!(f, " ({host})")?;
        }
        write!(
            f,
            ": the run stopped sending: {} to every {} since {since} ({} guests in a row \
             failed after their retries); {} guests not sent, still pending: start the run \
             again with the same checkpoint to go on",
            self.answer, self.operation, self.failed_in_a_row, self.not_sent
        )
    }
}

/// What happened to one guest.
///
/// ```
/// # fn example(outcome: &event_invites::artsvp::GuestOutcome) {
/// use event_invites::artsvp::GuestOutcome;
///
/// match outcome {
///     GuestOutcome::Created(invite) => println!("new invite {}", invite.url),
///     GuestOutcome::Existing(invite) => println!("had one already: {}", invite.url),
///     GuestOutcome::Skipped => println!("finished in an earlier run"),
///     GuestOutcome::Unknown(e) => println!("may exist; the next run checks: {e}"),
///     GuestOutcome::Failed(e) if e.is_retryable() => println!("try again later: {e}"),
///     other => println!("{}", other.label()),
/// }
/// // What a journal keeps as done.
/// let _done = outcome.is_final();
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum GuestOutcome {
    /// A new invite was made.
    Created(Invite),
    /// The guest already had an invite for the target (the dedupe filter
    /// matched); nothing was made.
    Existing(Invite),
    /// The invite was refused or could not be sent, and was not retried
    /// further (see the error; [`Error::is_retryable`] says whether a
    /// re-run may succeed). Nothing was made.
    Failed(Error),
    /// The request may have made the invite, and no answer says: it was
    /// maybe sent ([`crate::Sent::Maybe`]: a timeout, a cut connection, a
    /// 502/503/504), or it succeeded but the answer could not be read. A
    /// re-run sends it again with the dedupe filter, which returns it if it
    /// exists.
    Unknown(Error),
    /// An earlier run finished this guest ([`Checkpoint::is_done`]);
    /// nothing was sent.
    Skipped,
}

impl GuestOutcome {
    /// Whether the guest needs nothing more: created, existing, skipped,
    /// or failed for good (a retry cannot help).
    pub fn is_final(&self) -> bool {
        match self {
            Self::Created(_) | Self::Existing(_) | Self::Skipped => true,
            Self::Failed(e) => !e.is_retryable(),
            Self::Unknown(_) => false,
        }
    }

    /// Whether the failure may pass by itself, so that sending the guest
    /// again later may succeed (and is safe: every bulk create is deduped).
    pub(super) fn may_pass(&self) -> bool {
        match self {
            Self::Failed(e) | Self::Unknown(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// `created`, `existing`, `failed`, `unknown` or `skipped`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Created(_) => "created",
            Self::Existing(_) => "existing",
            Self::Failed(_) => "failed",
            Self::Unknown(_) => "unknown",
            Self::Skipped => "skipped",
        }
    }

    pub(super) fn from_result(result: Result<CreateOutcome<Invite>, Error>) -> Self {
        match result {
            Ok(CreateOutcome::Created(invite)) => Self::Created(invite),
            Ok(CreateOutcome::Existing(invite)) => Self::Existing(invite),
            Err(e) if e.verdict().bulk_label() == "unknown" => Self::Unknown(e),
            Err(e) => Self::Failed(e),
        }
    }
}

/// One guest's outcome in a bulk run.
///
/// ```
/// # fn example(done: event_invites::artsvp::BulkOutcome, lines: &[u64]) {
/// // `index` is the guest's place in the list given to the run.
/// let line = lines[done.index];
/// println!("line {line} ({}): {}", done.key, done.outcome.label());
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct BulkOutcome {
    /// The guest's position in the list given to the run (0-based).
    pub index: usize,
    /// The guest's key ([`BulkKey`]); empty when the guest had none.
    pub key: String,
    /// What happened.
    pub outcome: GuestOutcome,
}
