//! Bulk invites: a guest list of any size sent to one event or collection,
//! each guest invited once, through ARTSVP's rate limit, resumable after a
//! crash.
//!
//! - **Once per guest.** Every create carries a dedupe filter (by email or
//!   external id: always on), so a retry, or a re-run after a crash, finds
//!   the invite the first attempt made instead of making another.
//! - **Resumable.** A [`Checkpoint`] says which guests an earlier run
//!   finished (nothing is sent for them) and hears, before each send, which
//!   guest is about to go (write-ahead), and each outcome. A guest that was
//!   in flight when a run died is simply sent again: the filter makes that
//!   safe.
//! - **Stops in an outage.** A guest whose create failed for a reason that
//!   may pass (a 5xx, a timeout, a cut connection, after the call's own
//!   retries) is tried once more at the end of the queue. When several
//!   guests in a row fail that way and the client's [`crate::RetryBudget`]
//!   is spent, the run sends nothing more and ends with
//!   [`BulkError::Outage`]: the guests not sent stay pending in the
//!   checkpoint, and a later run goes on with them
//!   ([`BulkInvite::stop_on_outage_after`]).
//! - **Paced.** The client's pacer keeps the quota full without a 429
//!   (ARTSVP: 1,000 requests per 15 minutes, so 5,000 guests take over an
//!   hour); [`BulkRun::progress`] says when the run waits for the window and
//!   until when, for a progress bar and an ETA.
//! - **Two kinds of failure.** A guest's own failure is an outcome
//!   ([`GuestOutcome::Failed`], [`GuestOutcome::Unknown`]) carrying the
//!   call's [`Error`], and the run goes on; a run that stops early ends
//!   with a [`BulkError`] (an outage, or a checkpoint that failed).
//!
//! ```no_run
//! # async fn example(client: event_invites::Artsvp) -> Result<(), Box<dyn std::error::Error>> {
//! use event_invites::artsvp::{BulkKey, Guest, GuestOutcome, Target};
//!
//! let guests = vec![
//!     Guest::new("Ann Lee", "ann@example.com"),
//!     Guest::new("Bo Chan", "bo@example.com").tags(["vip"]),
//! ];
//! let mut run = client
//!     .bulk_invite(Target::event("eve-123"), guests)
//!     .key(BulkKey::Email)
//!     .concurrency(4)
//!     .start();
//! while let Some(done) = run.try_next().await? {
//!     match done.outcome {
//!         GuestOutcome::Created(invite) => println!("{}: invited {}", done.index, invite.url),
//!         GuestOutcome::Existing(_) => println!("{}: already invited", done.index),
//!         GuestOutcome::Failed(e) | GuestOutcome::Unknown(e) => println!("{}: {e}", done.index),
//!         _ => {}
//!     }
//!     let p = run.progress();
//!     println!("{}/{} at {:.1}/s, eta {:?}", p.done, p.total, p.rate, p.eta());
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

use super::Artsvp;
use super::models::{CreateOutcome, Invite};
use super::requests::{Dedupe, Guest, NewInvite, normalize_email};
use crate::error::{Error, ErrorKind};
use crate::observe::PacingReason;

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

    fn new_invite(&self) -> NewInvite {
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

    fn dedupe(self) -> Dedupe {
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

/// An error from a [`Checkpoint`] (it could not record a guest).
///
/// ```
/// use event_invites::artsvp::{Checkpoint, CheckpointError};
///
/// /// A checkpoint whose store is read-only: the run stops before sending.
/// struct ReadOnly;
///
/// impl Checkpoint for ReadOnly {
///     fn is_done(&self, _key: &str) -> bool {
///         false
///     }
///     fn sending(&self, _key: &str) -> Result<(), CheckpointError> {
///         Err("the journal is read-only".into())
///     }
/// }
/// assert!(ReadOnly.sending("a@example.com").is_err());
/// ```
pub type CheckpointError = Box<dyn std::error::Error + Send + Sync>;

/// What a bulk run remembers across runs: which guests are finished, and
/// which are about to be sent. Implement it over a journal (a file, a
/// database table); a `HashSet<String>` of finished keys is one that only
/// skips.
///
/// The run calls it from its own task; each call should be quick.
///
/// ```
/// use std::collections::HashSet;
/// use std::sync::Mutex;
/// use event_invites::artsvp::{Checkpoint, CheckpointError, GuestOutcome};
///
/// /// Finished guests in memory; a real one writes them to a file or table.
/// #[derive(Default)]
/// struct Journal(Mutex<HashSet<String>>);
///
/// impl Checkpoint for Journal {
///     fn is_done(&self, key: &str) -> bool {
///         self.0.lock().unwrap().contains(key)
///     }
///     fn finished(&self, key: &str, outcome: &GuestOutcome) -> Result<(), CheckpointError> {
///         if outcome.is_final() {
///             self.0.lock().unwrap().insert(key.to_string());
///         }
///         Ok(())
///     }
/// }
/// # let journal = Journal::default();
/// # journal.finished("a@example.com", &GuestOutcome::Skipped).unwrap();
/// # assert!(journal.is_done("a@example.com"));
/// ```
pub trait Checkpoint: Send + Sync + 'static {
    /// Whether an earlier run finished this guest: nothing is sent for it
    /// and its outcome is [`GuestOutcome::Skipped`].
    fn is_done(&self, key: &str) -> bool;

    /// The guest is about to be sent (write-ahead: record it as in flight
    /// before this returns). An error stops the run before sending it.
    fn sending(&self, key: &str) -> Result<(), CheckpointError> {
        let _ = key;
        Ok(())
    }

    /// The guest's outcome, before the run yields it. An error stops the
    /// run.
    fn finished(&self, key: &str, outcome: &GuestOutcome) -> Result<(), CheckpointError> {
        let _ = (key, outcome);
        Ok(())
    }
}

impl Checkpoint for HashSet<String> {
    fn is_done(&self, key: &str) -> bool {
        self.contains(key)
    }
}

impl<C: Checkpoint> Checkpoint for Arc<C> {
    fn is_done(&self, key: &str) -> bool {
        (**self).is_done(key)
    }

    fn sending(&self, key: &str) -> Result<(), CheckpointError> {
        (**self).sending(key)
    }

    fn finished(&self, key: &str, outcome: &GuestOutcome) -> Result<(), CheckpointError> {
        (**self).finished(key, outcome)
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
    fn may_pass(&self) -> bool {
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

    fn from_result(result: Result<CreateOutcome<Invite>, Error>) -> Self {
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

/// How a bulk run is doing, for a progress bar.
///
/// ```
/// # async fn example(run: event_invites::artsvp::BulkRun) {
/// let p = run.progress();
/// print!("{}/{} done, {} failed", p.done, p.total, p.failed);
/// if let Some(eta) = p.eta() {
///     print!(", about {} s left", eta.as_secs());
/// }
/// if let (Some(until), Some(why)) = (p.waiting_until, p.waiting_for) {
///     print!(" (waiting {:?} for the {why})", until - std::time::Instant::now());
/// }
/// println!();
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Progress {
    /// Guests in the run.
    pub total: usize,
    /// Guests with an outcome (of every kind).
    pub done: usize,
    /// Invites made.
    pub created: usize,
    /// Guests who already had one.
    pub existing: usize,
    /// Failed guests.
    pub failed: usize,
    /// Guests whose outcome is unknown.
    pub unknown: usize,
    /// Guests an earlier run finished.
    pub skipped: usize,
    /// Requests under way now.
    pub in_flight: usize,
    /// Guests sent per second, over the last 30 seconds.
    pub rate: f64,
    /// When the run started.
    pub started: Instant,
    /// When the run may send again, if it is waiting for the rate limit.
    pub waiting_until: Option<Instant>,
    /// Why it waits.
    pub waiting_for: Option<PacingReason>,
    /// The client's quota, which bounds the pace (`None`: none).
    pub quota: Option<crate::Quota>,
    /// Requests the client may send now before the rate limit makes it
    /// wait (`None`: no limit known).
    pub available: Option<u64>,
}

impl Progress {
    /// Guests left.
    pub fn remaining(&self) -> usize {
        self.total.saturating_sub(self.done)
    }

    /// The time left, rate-limit waits included: the current wait, then
    /// the guests left at the slower of the measured rate and the quota's
    /// sustained pace (`limit` per `window`) for those beyond what may be
    /// sent at once ([`Progress::available`]). `None` before there is a
    /// rate when the client has no quota.
    ///
    /// ```
    /// # fn example(run: &event_invites::artsvp::BulkRun) {
    /// // 101 guests left of 1,100 at ARTSVP's 1,000 per 15 minutes, and
    /// // a wait of 898 s for the window: about 989 s, not 101 ÷ rate.
    /// if let Some(eta) = run.progress().eta() {
    ///     println!("about {} min left", eta.as_secs() / 60);
    /// }
    /// # }
    /// ```
    pub fn eta(&self) -> Option<Duration> {
        let remaining = self.remaining() as f64;
        if self.remaining() == 0 {
            return Some(Duration::ZERO);
        }
        let wait = self.waiting_until.map_or(Duration::ZERO, |until| {
            until.saturating_duration_since(Instant::now())
        });
        let by_rate = (self.rate > 0.0).then(|| remaining / self.rate);
        let beyond = self
            .remaining()
            .saturating_sub(usize::try_from(self.available.unwrap_or(0)).unwrap_or(usize::MAX))
            as f64;
        let by_quota = self
            .quota
            .map(|q| beyond * q.window.as_secs_f64() / f64::from(q.limit.max(1)));
        let secs = match (by_rate, by_quota) {
            (Some(rate), Some(quota)) => rate.max(quota),
            (one, other) => one.or(other)?,
        };
        Some(wait + Duration::from_secs_f64(secs))
    }
}

/// The window over which [`Progress::rate`] is measured.
const RATE_WINDOW: Duration = Duration::from_secs(30);

struct Tally {
    progress: Progress,
    /// When recent sends finished, for the rate.
    recent: VecDeque<Instant>,
    /// Guests sent so far (their checkpoint heard `sending`).
    started: usize,
    /// The guests in a row, most recent last, that failed because the API
    /// is failing (server or transport errors after their retries).
    streak: Option<Streak>,
}

/// Guests in a row that failed because the API is failing.
struct Streak {
    since: std::time::SystemTime,
    count: usize,
    answer: String,
}

impl Tally {
    /// Follows the guests in a row that failed because the API is failing;
    /// any other outcome ends the streak.
    fn follow(&mut self, outcome: &GuestOutcome) {
        let error = match outcome {
            GuestOutcome::Failed(e) | GuestOutcome::Unknown(e)
                if e.verdict().cause().is_unavailable() =>
            {
                e
            }
            GuestOutcome::Skipped => return,
            _ => {
                self.streak = None;
                return;
            }
        };
        let answer = match (error.status(), error.kind()) {
            (_, ErrorKind::Transport(cause)) => cause.to_string(),
            (Some(status), _) => format!("HTTP {status}"),
            (None, _) => "no answer in time".to_string(),
        };
        let streak = self.streak.get_or_insert_with(|| Streak {
            since: std::time::SystemTime::now(),
            count: 0,
            answer: String::new(),
        });
        streak.count += 1;
        streak.answer = answer;
    }

    /// The outage, when `threshold` guests in a row have failed because
    /// the API is failing and the retry budget cannot retry more.
    fn outage(&self, threshold: usize, budget_spent: bool) -> Option<Outage> {
        let streak = self.streak.as_ref()?;
        (threshold > 0 && streak.count >= threshold && budget_spent).then(|| Outage {
            since: streak.since,
            failed_in_a_row: streak.count,
            not_sent: self.progress.total.saturating_sub(self.started),
            answer: streak.answer.clone(),
            operation: "create_invite",
            host: None,
        })
    }

    fn count(&mut self, outcome: &GuestOutcome) {
        let p = &mut self.progress;
        p.done += 1;
        match outcome {
            GuestOutcome::Created(_) => p.created += 1,
            GuestOutcome::Existing(_) => p.existing += 1,
            GuestOutcome::Failed(_) => p.failed += 1,
            GuestOutcome::Unknown(_) => p.unknown += 1,
            GuestOutcome::Skipped => p.skipped += 1,
        }
        if !matches!(outcome, GuestOutcome::Skipped) {
            let now = Instant::now();
            self.recent.push_back(now);
            while self
                .recent
                .front()
                .is_some_and(|t| now.duration_since(*t) > RATE_WINDOW)
            {
                self.recent.pop_front();
            }
        }
    }

    fn rate(&self) -> f64 {
        let (Some(first), Some(last)) = (self.recent.front(), self.recent.back()) else {
            return 0.0;
        };
        let span = Instant::now()
            .duration_since(*first)
            .max(last.duration_since(*first))
            .as_secs_f64();
        if self.recent.len() < 2 || span <= 0.0 {
            0.0
        } else {
            (self.recent.len() - 1) as f64 / span
        }
    }
}

/// A bulk run being set up: [`Artsvp::bulk_invite`].
///
/// ```
/// # fn example(client: event_invites::Artsvp, guests: Vec<event_invites::artsvp::Guest>) {
/// use std::collections::HashSet;
/// use event_invites::artsvp::{BulkKey, Target};
///
/// // Keys finished in an earlier run are skipped.
/// let finished: HashSet<String> = HashSet::from(["crm-1".to_string()]);
/// let run = client
///     .bulk_invite(Target::collection("col-2"), guests)
///     .key(BulkKey::ExternalId)
///     .concurrency(8)
///     .stop_on_outage_after(10)
///     .checkpoint(finished)
///     .start();
/// # drop(run);
/// # }
/// ```
#[must_use = "a bulk run does nothing until it is started"]
pub struct BulkInvite {
    client: Artsvp,
    target: Target,
    guests: Vec<Guest>,
    key: BulkKey,
    concurrency: usize,
    normalize_email: bool,
    outage_after: usize,
    checkpoint: Option<Arc<dyn Checkpoint>>,
}

impl fmt::Debug for BulkInvite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkInvite")
            .field("target", &self.target)
            .field("guests", &self.guests.len())
            .field("key", &self.key)
            .field("concurrency", &self.concurrency)
            .field("normalize_email", &self.normalize_email)
            .field("outage_after", &self.outage_after)
            .field("checkpoint", &self.checkpoint.is_some())
            .finish()
    }
}

impl BulkInvite {
    /// Which field makes two guests one (default: email).
    pub fn key(mut self, key: BulkKey) -> Self {
        self.key = key;
        self
    }

    /// Requests under way at once (default 4, at least 1). The client's
    /// pacing still decides how many go per second.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Whether emails are trimmed and lowercased before they are sent and
    /// compared (default: on). In a guest list the email is the guest's
    /// identity, and `Ann@Example.com ` typed into a spreadsheet is the
    /// same guest as `ann@example.com`: inviting both would be the
    /// duplicate the run exists to prevent. Turn it off to send emails
    /// exactly as given.
    pub fn normalize_email(mut self, yes: bool) -> Self {
        self.normalize_email = yes;
        self
    }

    /// When the run stops because the API keeps failing: after this many
    /// guests in a row failed with server or transport errors (5xx,
    /// timeouts, failed or cut connections) while the client's
    /// [`crate::RetryBudget`] was spent (or is disabled). Default 5; 0
    /// never stops. The run then sends nothing more: the guests under way
    /// finish, the stream yields [`BulkError::Outage`] and ends, and every
    /// guest not sent is still pending in the checkpoint (the failed ones
    /// stay open too), so the next run goes on where this one stopped.
    pub fn stop_on_outage_after(mut self, guests_in_a_row: usize) -> Self {
        self.outage_after = guests_in_a_row;
        self
    }

    /// What earlier runs finished, and where this one records its progress.
    pub fn checkpoint(mut self, checkpoint: impl Checkpoint) -> Self {
        self.checkpoint = Some(Arc::new(checkpoint));
        self
    }

    /// Starts the run on the current tokio runtime. Dropping the
    /// [`BulkRun`] stops it (requests already sent finish on the server;
    /// their guests are in flight for the checkpoint).
    pub fn start(self) -> BulkRun {
        let total = self.guests.len();
        let tally = Arc::new(Mutex::new(Tally {
            progress: Progress {
                total,
                done: 0,
                created: 0,
                existing: 0,
                failed: 0,
                unknown: 0,
                skipped: 0,
                in_flight: 0,
                rate: 0.0,
                started: Instant::now(),
                waiting_until: None,
                waiting_for: None,
                quota: self.client.quota(),
                available: None,
            },
            recent: VecDeque::new(),
            started: 0,
            streak: None,
        }));
        let (sender, receiver) = mpsc::channel(self.concurrency * 2 + 16);
        let client = self.client.clone();
        let driver = tokio::spawn(drive(self, tally.clone(), sender));
        BulkRun {
            receiver,
            driver,
            tally,
            client,
        }
    }
}

type Sender = mpsc::Sender<Result<BulkOutcome, BulkError>>;

/// How many more times a guest whose create failed for a reason that may
/// pass (after the call's own retries) is tried, at the end of the queue.
const REQUEUES: u8 = 1;

/// A guest waiting to be sent: its first time, or again after a failure
/// that may pass (`last` is that failure, reported if the run stops first).
struct Pending {
    index: usize,
    guest: Guest,
    pass: u8,
    last: Option<BulkOutcome>,
}

/// The run's driver: sends every guest, `concurrency` at a time, tries a
/// guest whose failure may pass once more at the end, and stops when the
/// API keeps failing.
struct Driver {
    client: Artsvp,
    target: Target,
    key: BulkKey,
    normalize_email: bool,
    outage_after: usize,
    checkpoint: Option<Arc<dyn Checkpoint>>,
    tally: Arc<Mutex<Tally>>,
    sender: Sender,
    queue: VecDeque<Pending>,
    tasks: tokio::task::JoinSet<Option<Pending>>,
}

/// Sends every guest and reports each outcome.
async fn drive(run: BulkInvite, tally: Arc<Mutex<Tally>>, sender: Sender) {
    let BulkInvite {
        client,
        target,
        guests,
        key,
        concurrency,
        normalize_email,
        outage_after,
        checkpoint,
    } = run;
    let queue = guests
        .into_iter()
        .enumerate()
        .map(|(index, guest)| Pending {
            index,
            guest,
            pass: 0,
            last: None,
        })
        .collect();
    let driver = Driver {
        client,
        target,
        key,
        normalize_email,
        outage_after,
        checkpoint,
        tally,
        sender,
        queue,
        tasks: tokio::task::JoinSet::new(),
    };
    driver.run(Arc::new(Semaphore::new(concurrency))).await;
}

impl Driver {
    async fn run(mut self, permits: Arc<Semaphore>) {
        while let Some(pending) = self.next().await {
            let key = self
                .key
                .of(&pending.guest, self.normalize_email)
                .unwrap_or_default();
            if pending.pass == 0
                && !key.is_empty()
                && self.checkpoint.as_ref().is_some_and(|c| c.is_done(&key))
            {
                let done = BulkOutcome {
                    index: pending.index,
                    key,
                    outcome: GuestOutcome::Skipped,
                };
                if !report(&self.tally, self.checkpoint.as_deref(), &self.sender, done).await {
                    return;
                }
                continue;
            }
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            if let Some(outage) = self.outage() {
                drop(permit);
                self.queue.push_front(pending);
                return self.stop(outage).await;
            }
            if let Some(c) = &self.checkpoint
                && !key.is_empty()
                && let Err(e) = c.sending(&key)
            {
                let _ = self.sender.send(Err(BulkError::Checkpoint(e))).await;
                return;
            }
            self.launch(pending, key, permit);
            self.harvest();
        }
    }

    /// The next guest to send; waits for the guests under way when only
    /// they can add one (a failure to try again). `None` when all are done.
    async fn next(&mut self) -> Option<Pending> {
        loop {
            self.harvest();
            if let Some(pending) = self.queue.pop_front() {
                return Some(pending);
            }
            if let Ok(Some(again)) = self.tasks.join_next().await? {
                self.queue.push_back(again);
            }
        }
    }

    /// Takes in the guests under way that finished, queueing those to try
    /// again.
    fn harvest(&mut self) {
        while let Some(done) = self.tasks.try_join_next() {
            if let Ok(Some(again)) = done {
                self.queue.push_back(again);
            }
        }
    }

    /// Sends one guest in a task of its own, holding `permit`.
    fn launch(&mut self, pending: Pending, key: String, permit: tokio::sync::OwnedSemaphorePermit) {
        {
            let mut tally = lock(&self.tally);
            tally.progress.in_flight += 1;
            if pending.pass == 0 {
                tally.started += 1;
            }
        }
        let Pending {
            index, guest, pass, ..
        } = pending;
        let new = self
            .target
            .new_invite()
            .for_guest(guest.clone(), super::Duplicates::Prevent(self.key.dedupe()))
            .normalize_email(self.normalize_email);
        let (client, tally, sender, checkpoint) = (
            self.client.clone(),
            self.tally.clone(),
            self.sender.clone(),
            self.checkpoint.clone(),
        );
        self.tasks.spawn(async move {
            let result = client.create_invite(&new).await;
            drop(permit);
            lock(&tally).progress.in_flight -= 1;
            let done = BulkOutcome {
                index,
                key,
                outcome: GuestOutcome::from_result(result),
            };
            lock(&tally).follow(&done.outcome);
            if pass < REQUEUES && done.outcome.may_pass() {
                return Some(Pending {
                    index,
                    guest,
                    pass: pass + 1,
                    last: Some(done),
                });
            }
            report(&tally, checkpoint.as_deref(), &sender, done).await;
            None
        });
    }

    /// The outage, if the API keeps failing and the client's retry budget
    /// is spent (or disabled).
    fn outage(&self) -> Option<Outage> {
        let budget = &self.client.shell.transport.budget;
        let spent = budget.is_empty() || budget.left().is_none();
        lock(&self.tally).outage(self.outage_after, spent)
    }

    /// Stops for an outage: the guests under way finish, every guest that
    /// was sent is reported with its last outcome, and the run ends with
    /// the outage; the guests never sent stay pending.
    async fn stop(mut self, outage: Outage) {
        while let Some(done) = self.tasks.join_next().await {
            if let Ok(Some(again)) = done {
                self.queue.push_back(again);
            }
        }
        for pending in std::mem::take(&mut self.queue) {
            if let Some(last) = pending.last
                && !report(&self.tally, self.checkpoint.as_deref(), &self.sender, last).await
            {
                return;
            }
        }
        let mut outage = lock(&self.tally)
            .outage(self.outage_after, true)
            .unwrap_or(outage);
        outage.host.clone_from(&self.client.shell.transport.host);
        let _ = self.sender.send(Err(BulkError::Outage(outage))).await;
    }
}

/// Counts an outcome, tells the checkpoint, and yields it; `false` when the
/// run must stop (the caller dropped it, or the checkpoint failed).
async fn report(
    tally: &Mutex<Tally>,
    checkpoint: Option<&dyn Checkpoint>,
    sender: &Sender,
    done: BulkOutcome,
) -> bool {
    if let Some(c) = checkpoint
        && !done.key.is_empty()
        && let Err(e) = c.finished(&done.key, &done.outcome)
    {
        let _ = sender.send(Err(BulkError::Checkpoint(e))).await;
        return false;
    }
    lock(tally).count(&done.outcome);
    sender.send(Ok(done)).await.is_ok()
}

fn lock(tally: &Mutex<Tally>) -> std::sync::MutexGuard<'_, Tally> {
    tally.lock().unwrap_or_else(|e| e.into_inner())
}

/// A bulk run under way: a stream of [`BulkOutcome`]s, one per guest, in
/// the order they finish, and its [`Progress`].
///
/// An `Err` item is a [`BulkError`]: the run stopped early, because its
/// [`Checkpoint`] failed or the API kept failing (see
/// [`BulkInvite::stop_on_outage_after`]), and it is the last item. A
/// guest's own failure is an `Ok` item with [`GuestOutcome::Failed`] or
/// [`GuestOutcome::Unknown`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeArtsvp::start().await?;
/// # let client = fake.client();
/// use event_invites::artsvp::{BulkKey, Guest, GuestOutcome, Target};
///
/// let guests = vec![
///     Guest::new("Lucy Green", "lucy@example.com"),
///     Guest::new("Sam Hill", "sam@example.com"),
/// ];
/// let event = &fake.events()[0].id;
/// let mut run = client
///     .bulk_invite(Target::event(event), guests)
///     .key(BulkKey::Email)
///     .concurrency(4)
///     .start();
/// while let Some(done) = run.try_next().await? {
///     match &done.outcome {
///         GuestOutcome::Created(invite) => println!("{}: new invite {}", done.key, invite.code),
///         GuestOutcome::Existing(_) => println!("{}: had one already", done.key),
///         GuestOutcome::Failed(e) | GuestOutcome::Unknown(e) => println!("{}: {e}", done.key),
///         _ => {}
///     }
/// }
/// let progress = run.progress();
/// assert_eq!((progress.done, progress.created), (2, 2));
/// # Ok(())
/// # }
/// ```
pub struct BulkRun {
    receiver: mpsc::Receiver<Result<BulkOutcome, BulkError>>,
    driver: JoinHandle<()>,
    tally: Arc<Mutex<Tally>>,
    client: Artsvp,
}

impl fmt::Debug for BulkRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkRun")
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

impl BulkRun {
    /// The next guest's outcome, or `None` when every guest has one.
    pub async fn try_next(&mut self) -> Result<Option<BulkOutcome>, BulkError> {
        self.receiver.recv().await.transpose()
    }

    /// How the run is doing now, including whether it is waiting for the
    /// rate limit and until when.
    pub fn progress(&self) -> Progress {
        let tally = lock(&self.tally);
        let mut progress = tally.progress;
        progress.rate = tally.rate();
        // What the shared quota says now: other processes' use, and the
        // server's quota when it is smaller than the configured one.
        let outlook = self.client.shell.transport.pacer.outlook();
        progress.available = outlook.available;
        progress.quota = outlook.quota;
        if progress.remaining() > 0
            && let Some((wait, reason)) = outlook.wait
        {
            progress.waiting_until = Some(Instant::now() + wait);
            progress.waiting_for = Some(reason);
        }
        progress
    }

    /// Runs to the end and returns the final progress, dropping the
    /// outcomes (use the stream, or a [`Checkpoint`], to see them).
    pub async fn finish(mut self) -> Result<Progress, BulkError> {
        while self.try_next().await?.is_some() {}
        Ok(self.progress())
    }
}

impl Drop for BulkRun {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

impl futures_core::Stream for BulkRun {
    type Item = Result<BulkOutcome, BulkError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().receiver.poll_recv(cx)
    }
}

impl Artsvp {
    /// Invites every guest to `target`, once each: see [`BulkInvite`] for
    /// the options and [`BulkRun`] for what comes back.
    pub fn bulk_invite(&self, target: Target, guests: Vec<Guest>) -> BulkInvite {
        BulkInvite {
            client: self.clone(),
            target,
            guests,
            key: BulkKey::Email,
            concurrency: 4,
            normalize_email: true,
            outage_after: 5,
            checkpoint: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(total: usize, done: usize, rate: f64) -> Progress {
        Progress {
            total,
            done,
            created: done,
            existing: 0,
            failed: 0,
            unknown: 0,
            skipped: 0,
            in_flight: 0,
            rate,
            started: Instant::now(),
            waiting_until: None,
            waiting_for: None,
            quota: None,
            available: None,
        }
    }

    fn about(eta: Option<Duration>, secs: f64) -> bool {
        eta.is_some_and(|d| (d.as_secs_f64() - secs).abs() < 1.0)
    }

    #[test]
    fn the_eta_counts_the_rate_limit_waits_still_to_come() {
        // No quota: the guests left at the measured rate.
        assert!(about(progress(100, 40, 2.0).eta(), 30.0));
        assert_eq!(progress(100, 40, 0.0).eta(), None, "no rate yet");
        assert_eq!(progress(100, 100, 0.0).eta(), Some(Duration::ZERO));

        // ARTSVP's quota: 101 left of 1,100 at a burst rate of 20/s, while
        // waiting 898 s for the window: the wait, then 101 × 0.9 s.
        let mut p = progress(1_100, 999, 20.0);
        p.quota = Some(crate::Quota::ARTSVP);
        p.waiting_until = Some(Instant::now() + Duration::from_secs(898));
        assert!(about(p.eta(), 898.0 + 90.9), "{:?}", p.eta());

        // Before any rate, the quota alone gives an estimate: what the
        // bucket holds goes at once, the rest at the quota's pace.
        let mut p = progress(2_000, 0, 0.0);
        p.quota = Some(crate::Quota::ARTSVP);
        p.available = Some(1_000);
        assert!(about(p.eta(), 900.0), "{:?}", p.eta());
        p.available = None;
        assert!(about(p.eta(), 1_800.0), "{:?}", p.eta());

        // A slower measured rate than the quota's pace wins.
        let mut p = progress(100, 0, 0.1);
        p.quota = Some(crate::Quota::per_second(5));
        assert!(about(p.eta(), 1_000.0), "{:?}", p.eta());
    }

    use crate::verdict::Cause;
    use crate::verdict::Safety;

    /// A bulk create's failure with `cause`, as the transport would give it.
    fn failure(cause: Cause, kind: ErrorKind) -> Error {
        Error::new("create_invite", kind).with_verdict(cause.verdict(Safety::DedupedCreate, false))
    }

    fn unavailable() -> GuestOutcome {
        GuestOutcome::Unknown(failure(Cause::Status(503), ErrorKind::Server).with_status(Some(503)))
    }

    fn refused() -> GuestOutcome {
        let kind = ErrorKind::Validation {
            message: None,
            problems: Vec::new(),
        };
        GuestOutcome::Failed(failure(Cause::Status(422), kind))
    }

    fn tally() -> Tally {
        Tally {
            progress: progress(10, 0, 0.0),
            recent: VecDeque::new(),
            started: 0,
            streak: None,
        }
    }

    #[test]
    fn a_guest_is_final_unless_a_retry_may_help() {
        assert!(GuestOutcome::Skipped.is_final());
        assert!(refused().is_final(), "a 422 stays a 422");
        let refused_connection = crate::TransportCause::ConnectionRefused;
        let transient = GuestOutcome::Failed(failure(
            Cause::Connect(refused_connection),
            ErrorKind::Transport(refused_connection),
        ));
        assert!(!transient.is_final(), "a refused connection may pass");
        assert!(!unavailable().is_final(), "an unknown outcome is re-sent");
    }

    #[test]
    fn the_key_is_normalized_only_when_asked() {
        let guest = Guest::new("Ann", "  Ann@Example.com ");
        assert_eq!(
            BulkKey::Email.of(&guest, true).as_deref(),
            Some("ann@example.com")
        );
        assert_eq!(
            BulkKey::Email.of(&guest, false).as_deref(),
            Some("Ann@Example.com"),
            "trimmed, but the case as given"
        );
        let mut guest = Guest::new("Ann", "");
        assert_eq!(BulkKey::Email.of(&guest, true), None);
        guest.external_id = Some(" crm-7 ".into());
        assert_eq!(
            BulkKey::ExternalId.of(&guest, true).as_deref(),
            Some("crm-7")
        );
    }

    #[test]
    fn a_set_of_finished_keys_is_done_only_for_its_keys() {
        let done: HashSet<String> = ["a@example.com".to_string()].into();
        assert!(done.is_done("a@example.com"));
        assert!(!done.is_done("b@example.com"));
    }

    #[test]
    fn the_outage_streak_counts_failing_api_answers_in_a_row() {
        let mut t = tally();
        t.follow(&unavailable());
        t.follow(&GuestOutcome::Skipped);
        t.follow(&unavailable());
        assert_eq!(
            t.streak.as_ref().map(|s| s.count),
            Some(2),
            "a skip is no break"
        );
        assert_eq!(t.streak.as_ref().unwrap().answer, "HTTP 503");
        assert!(t.outage(2, true).is_some());
        assert!(t.outage(3, true).is_none(), "not enough in a row");
        assert!(t.outage(2, false).is_none(), "the budget may still retry");
        assert!(t.outage(0, true).is_none(), "0 never stops");
        t.follow(&refused());
        assert!(
            t.streak.is_none(),
            "a refusal is the guest's, not the API's"
        );
    }

    #[test]
    fn the_rate_is_sends_per_second_over_the_last_30_seconds() {
        let now = Instant::now();
        let mut t = tally();
        assert_eq!(t.rate(), 0.0, "nothing sent");
        t.recent = [
            now - Duration::from_secs(10),
            now - Duration::from_secs(5),
            now,
        ]
        .into();
        assert!((t.rate() - 0.2).abs() < 0.01, "{}", t.rate());
        t.recent = [now - Duration::from_secs(4), now].into();
        assert!(
            (t.rate() - 0.25).abs() < 0.01,
            "two sends give a rate: {}",
            t.rate()
        );
        t.recent = [now].into();
        assert_eq!(t.rate(), 0.0, "one send is no rate");
        let later = now + Duration::from_secs(60);
        t.recent = [later, later].into();
        assert_eq!(t.rate(), 0.0, "no time between them is no rate");

        // Sends older than the window are forgotten when the next counts.
        t.recent = [now - Duration::from_secs(31), now - Duration::from_secs(1)].into();
        t.count(&refused());
        assert_eq!(t.recent.len(), 2, "the one from 31 s ago is gone");
        t.count(&GuestOutcome::Skipped);
        assert_eq!(t.recent.len(), 2, "a skip sends nothing");
        assert_eq!(
            (t.progress.done, t.progress.failed, t.progress.skipped),
            (2, 1, 1)
        );
    }
}
