//! The options of a run ([`BulkInvite`]) and where it starts
//! ([`Artsvp::bulk_invite`]).

use super::*;

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
#[must_use = "a bulk run does nothing until it is started or awaited"]
pub struct BulkInvite {
    pub(super) client: Artsvp,
    pub(super) target: Target,
    pub(super) guests: Vec<Guest>,
    pub(super) key: BulkKey,
    pub(super) concurrency: usize,
    pub(super) normalize_email: bool,
    pub(super) outage_after: usize,
    pub(super) checkpoint: Option<Arc<dyn Checkpoint>>,
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
    setters! {
        /// Which field makes two guests one (default: email).
        pub fn key(key: BulkKey) => self.key = key;

        /// Requests under way at once (default 4, at least 1). The client's
        /// pacing still decides how many go per second.
        pub fn concurrency(n: usize) => self.concurrency = n.max(1);

        /// Whether emails are trimmed and lowercased before they are sent and
        /// compared (default: on). In a guest list the email is the guest's
        /// identity, and `Ann@Example.com ` typed into a spreadsheet is the
        /// same guest as `ann@example.com`: inviting both would be the
        /// duplicate the run exists to prevent. Turn it off to send emails
        /// exactly as given.
        pub fn normalize_email(yes: bool) => self.normalize_email = yes;

        /// When the run stops because the API keeps failing: after this many
        /// guests in a row failed with server or transport errors (5xx,
        /// timeouts, failed or cut connections) while the client's
        /// [`crate::RetryBudget`] was spent (or is disabled). Default 5; 0
        /// never stops. The run then sends nothing more: the guests under way
        /// finish, the stream yields [`BulkError::Outage`] and ends, and every
        /// guest not sent is still pending in the checkpoint (the failed ones
        /// stay open too), so the next run goes on where this one stopped.
        pub fn stop_on_outage_after(guests_in_a_row: usize) => self.outage_after = guests_in_a_row;

        /// What earlier runs finished, and where this one records its progress.
        pub fn checkpoint(checkpoint: impl Checkpoint) =>
            self.checkpoint = Some(Arc::new(checkpoint));
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

/// Awaiting a run set up runs it to the end, as
/// [`start`](BulkInvite::start)`.`[`finish`](BulkRun::finish) does: the
/// final [`Progress`], the outcomes dropped (see them through the
/// [`BulkRun`] stream, or a [`Checkpoint`]). A [`crate::Call`] is awaited
/// the same way.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let fake = event_invites_fake::FakeArtsvp::builder().invites(0).start().await?;
/// # let client = fake.client();
/// # let event = fake.events()[0].id.clone();
/// use event_invites::artsvp::{Guest, Target};
///
/// let guests = vec![Guest::new("Ann", "ann@example.com"), Guest::new("Bo", "bo@example.com")];
/// let progress = client.bulk_invite(Target::event(&event), guests).await?;
/// assert_eq!(progress.created, 2);
/// # Ok(())
/// # }
/// ```
impl std::future::IntoFuture for BulkInvite {
    type Output = Result<Progress, BulkError>;
    type IntoFuture = Pin<Box<dyn std::future::Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.start().finish())
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
