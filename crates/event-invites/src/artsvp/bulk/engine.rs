//! The driver of a run: sends every guest `concurrency` at a time through
//! the checkpoint, requeues a failure that may pass once, stops on an
//! outage.

use super::*;

pub(super) type Sender = mpsc::Sender<Result<BulkOutcome, BulkError>>;

/// How many more times a guest whose create failed for a reason that may
/// pass (after the call's own retries) is tried, at the end of the queue.
pub(super) const REQUEUES: u8 = 1;

/// A guest waiting to be sent: its first time, or again after a failure
/// that may pass (`last` is that failure, reported if the run stops first).
pub(super) struct Pending {
    pub(super) index: usize,
    pub(super) guest: Guest,
    pub(super) pass: u8,
    /// Boxed: an outcome holds an invite (hundreds of bytes), and every
    /// guest waiting in the queue carries this field; only a guest tried
    /// again has one.
    pub(super) last: Option<Box<BulkOutcome>>,
}

/// The run's driver: sends every guest, `concurrency` at a time, tries a
/// guest whose failure may pass once more at the end, and stops when the
/// API keeps failing.
pub(super) struct Driver {
    pub(super) client: Artsvp,
    pub(super) target: Target,
    pub(super) key: BulkKey,
    pub(super) normalize_email: bool,
    pub(super) outage_after: usize,
    pub(super) checkpoint: Option<Arc<dyn Checkpoint>>,
    pub(super) tally: Arc<Mutex<Tally>>,
    pub(super) sender: Sender,
    pub(super) queue: VecDeque<Pending>,
    pub(super) tasks: tokio::task::JoinSet<Option<Pending>>,
}

/// Sends every guest and reports each outcome.
pub(super) async fn drive(run: BulkInvite, tally: Arc<Mutex<Tally>>, sender: Sender) {
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
    pub(super) async fn run(mut self, permits: Arc<Semaphore>) {
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
                drop(permit);
                self.queue.push_front(pending);
                self.settle_under_way().await;
                let _ = self.sender.send(Err(BulkError::Checkpoint(e))).await;
                return;
            }
            self.launch(pending, key, permit);
            self.harvest();
        }
    }

    /// The next guest to send; waits for the guests under way when only
    /// they can add one (a failure to try again). `None` when all are done.
    pub(super) async fn next(&mut self) -> Option<Pending> {
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
    pub(super) fn harvest(&mut self) {
        while let Some(done) = self.tasks.try_join_next() {
            if let Ok(Some(again)) = done {
                self.queue.push_back(again);
            }
        }
    }

    /// Sends one guest in a task of its own, holding `permit`.
    pub(super) fn launch(
        &mut self,
        pending: Pending,
        key: String,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) {
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
            .for_guest(
                guest.clone(),
                crate::artsvp::Duplicates::Prevent(self.key.dedupe()),
            )
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
                    last: Some(Box::new(done)),
                });
            }
            report(&tally, checkpoint.as_deref(), &sender, done).await;
            None
        });
    }

    /// The outage, if the API keeps failing and the client's retry budget
    /// is spent (or disabled).
    pub(super) fn outage(&self) -> Option<Outage> {
        let budget = &self.client.shell.transport.budget;
        let spent = budget.is_empty() || budget.left().is_none();
        lock(&self.tally).outage(self.outage_after, spent)
    }

    /// Stops for an outage: the guests under way finish, every guest that
    /// was sent is reported with its last outcome, and the run ends with
    /// the outage; the guests never sent stay pending.
    pub(super) async fn stop(mut self, outage: Outage) {
        if !self.settle_under_way().await {
            return;
        }
        let mut outage = lock(&self.tally)
            .outage(self.outage_after, true)
            .unwrap_or(outage);
        outage.host.clone_from(&self.client.shell.transport.host);
        let _ = self.sender.send(Err(BulkError::Outage(outage))).await;
    }
}

impl Driver {
    /// Before a stop: the guests under way finish (each reports its
    /// outcome), and every guest sent before and waiting to be tried again
    /// is reported with its last outcome; the guests never sent stay
    /// pending. `false` when the run must stop at once (the caller dropped
    /// it, or the checkpoint failed).
    async fn settle_under_way(&mut self) -> bool {
        while let Some(done) = self.tasks.join_next().await {
            if let Ok(Some(again)) = done {
                self.queue.push_back(again);
            }
        }
        for pending in std::mem::take(&mut self.queue) {
            if let Some(last) = pending.last
                && !report(&self.tally, self.checkpoint.as_deref(), &self.sender, *last).await
            {
                return false;
            }
        }
        true
    }
}

/// Counts an outcome, tells the checkpoint, and yields it; `false` when the
/// run must stop (the caller dropped it, or the checkpoint failed).
pub(super) async fn report(
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

pub(super) fn lock(tally: &Mutex<Tally>) -> std::sync::MutexGuard<'_, Tally> {
    tally.lock().unwrap_or_else(|e| e.into_inner())
}
