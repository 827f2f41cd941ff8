//! A started run ([`BulkRun`]): its outcomes as a stream, and its progress.

use super::*;

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
    pub(super) receiver: mpsc::Receiver<Result<BulkOutcome, BulkError>>,
    pub(super) driver: JoinHandle<()>,
    pub(super) tally: Arc<Mutex<Tally>>,
    pub(super) client: Artsvp,
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
