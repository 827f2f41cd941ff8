//! One sync's loop, as `serve` runs each of its syncs and `sync --watch`
//! its one: each cycle reads the SecureGate event's invites (one request)
//! and invites into ARTSVP the guests the journal has not settled; the
//! journal is the state, so a guest is invited once across cycles,
//! restarts and `kill -9`. A journal that is missing at start is rebuilt
//! from ARTSVP's listing first ([`super::rebuild`]).
//!
//! A stop (a reload that removes or changes the sync, SIGTERM) is
//! graceful: no new guest is sent, the guests under way finish (up to
//! [`GRACE`]), and the task ends.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use event_invites::artsvp::{
    BulkError, BulkKey, Checkpoint, CheckpointError, Guest, GuestOutcome, Target, normalize_email,
};
use event_invites::securegate::{Invite, InviteStatus};
use event_invites::{Artsvp, SecureGate};
use tokio::sync::{Semaphore, watch};

use super::config::{DEFAULT_ARTSVP_KEY_ENV, DEFAULT_SECUREGATE_KEY_ENV, SyncSpec};
use super::rebuild;
use super::status::{Board, Finished, State};
use crate::error::CliError;
use crate::journal::{Journal, RunId};

/// How long a stopping sync lets the guests under way finish before it
/// drops them (they stay in flight in the journal and are settled, deduped,
/// by the next run).
pub const GRACE: Duration = Duration::from_secs(5);

/// How a sync's task ended.
#[derive(Debug)]
pub enum Ended {
    /// Asked to stop (a reload, SIGTERM).
    Stopped,
    /// An API refused a key: stopped until the next reload.
    Refused(CliError),
    /// Stopped for an operator to fix (a journal that cannot be written or
    /// belongs to another run, an ARTSVP event that does not exist).
    Failed(CliError),
}

/// One sync, ready to run.
pub struct SyncTask {
    pub spec: SyncSpec,
    pub securegate: SecureGate,
    pub artsvp: Artsvp,
    pub board: Arc<Board>,
    /// Set to `true` to stop it.
    pub stop: watch::Receiver<bool>,
    /// Rebuild the journal from ARTSVP's listing before the first cycle
    /// (`--rebuild-journal`; always when the journal is missing).
    pub rebuild: bool,
    /// Shared by the syncs on this sync's ARTSVP key: [`TURNS_PER_KEY`]
    /// turns at once.
    pub turns: Arc<Semaphore>,
}

/// Guests one turn invites: a sync with more lists SecureGate again for
/// its next turn, so it never holds more than this many (a season's first
/// cycles would otherwise hold every event's whole list while the shared
/// quota paces them). At ARTSVP's 1,000 requests per 15 minutes a turn
/// is about three minutes; the extra listing is one SecureGate request per
/// 200 guests.
const CHUNK: usize = 200;

/// Syncs on one ARTSVP key that take a turn (list SecureGate and invite a
/// chunk) at once. They share the key's quota, so more at once would not
/// invite faster; each holds a list of thousands of invites while it picks
/// its chunk. The semaphore is fair: a sync with a few new guests waits
/// for at most one chunk of each sync ahead of it.
pub const TURNS_PER_KEY: usize = 4;

/// What one cycle did.
#[derive(Debug, Default)]
struct Cycle {
    declined: u64,
    /// Guests with the status SecureGate lists now.
    listed: usize,
    /// Finished in an earlier cycle or run: not sent.
    settled: u64,
    done: Finished,
}

impl SyncTask {
    /// Runs cycles until stopped, refused, or stopped for an operator.
    pub async fn run(self) -> Ended {
        let SyncTask {
            spec,
            securegate,
            artsvp,
            board,
            mut stop,
            rebuild,
            turns,
        } = self;
        let mut sync = Running {
            rebuild: rebuild || !spec.journal.exists(),
            journal: None,
            spec: &spec,
            securegate: &securegate,
            artsvp: &artsvp,
            board: &board,
            stop: stop.clone(),
            turns: &turns,
        };
        let mut number = 0u64;
        loop {
            number += 1;
            let started = Instant::now();
            let cycle = sync.cycle();
            tokio::pin!(cycle);
            let outcome = tokio::select! {
                outcome = &mut cycle => outcome,
                () = asked_to_stop(&mut stop) => {
                    // No new guest is sent now; the ones under way finish.
                    let _ = tokio::time::timeout(GRACE, &mut cycle).await;
                    return stopped(&spec.name, number);
                }
            };
            let took = started.elapsed();
            let wait = match outcome {
                Ok(done) => {
                    succeeded(&board, &spec.name, number, &done, took);
                    spec.interval
                }
                Err(e) => match ended_by(naming_key_vars(e, &spec)) {
                    Ok(e) => failed(&board, &spec, number, &e, took),
                    Err(ended) => return end(&board, &spec.name, ended),
                },
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = asked_to_stop(&mut stop) => return stopped(&spec.name, number),
            }
        }
    }
}

/// Returns once a stop is asked (or whoever could ask is gone).
async fn asked_to_stop(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// A refused key's error names the variable to check; the tool's says the
/// API's own (`check SECUREGATE_API_KEY`), and this sync may take its key
/// from another (`securegate_key_env`).
fn naming_key_vars(error: CliError, spec: &SyncSpec) -> CliError {
    match error {
        CliError::KeyRefused(text) => CliError::KeyRefused(
            text.replace(
                &format!("check {DEFAULT_SECUREGATE_KEY_ENV}"),
                &format!("check {}", spec.securegate_key_env),
            )
            .replace(
                &format!("check {DEFAULT_ARTSVP_KEY_ENV}"),
                &format!("check {}", spec.artsvp_key_env),
            ),
        ),
        other => other,
    }
}

/// A cycle's error: one to try again after a wait (`Ok`), or the end of
/// the sync.
fn ended_by(error: CliError) -> Result<CliError, Ended> {
    match error {
        CliError::Unavailable(_) => Ok(error),
        CliError::KeyRefused(_) => Err(Ended::Refused(error)),
        error => Err(Ended::Failed(error)),
    }
}

/// Records how the sync ended, on the board and in the log.
fn end(board: &Board, name: &str, ended: Ended) -> Ended {
    let (state, error) = match &ended {
        Ended::Refused(e) => (State::Refused, e),
        Ended::Failed(e) => (State::Stopped, e),
        Ended::Stopped => return ended,
    };
    tracing::error!(sync = name, error = %error, "the sync stops: an operator must act");
    board.update(name, |s| s.stopped(state, Some(error.to_string())));
    ended
}

fn stopped(name: &str, number: u64) -> Ended {
    tracing::info!(
        sync = name,
        cycle = number,
        "stopped: nothing new is sent; a guest in flight stays journaled and is settled \
         (deduped) by the next run"
    );
    Ended::Stopped
}

/// Records a cycle that finished, in the log and on the board.
fn succeeded(board: &Board, name: &str, number: u64, cycle: &Cycle, took: Duration) {
    board.update(name, |s| s.finished(&cycle.done, took));
    let done = &cycle.done;
    tracing::info!(
        sync = name,
        cycle = number,
        listed = cycle.listed,
        settled = cycle.settled,
        invited = done.created,
        existing = done.existing,
        failed = done.failed,
        unknown = done.unknown,
        declined = cycle.declined,
        revoked = done.revoked,
        took_ms = took.as_millis() as u64,
        "cycle done"
    );
}

/// Records a cycle that failed; returns the wait before the next: the
/// interval, doubled for each failure in a row, up to 4 × it.
pub fn failed(
    board: &Board,
    spec: &SyncSpec,
    number: u64,
    error: &CliError,
    took: Duration,
) -> Duration {
    let mut in_a_row = 1;
    board.update(&spec.name, |s| {
        in_a_row = s.failed_cycle(&error.to_string(), took);
    });
    let wait = spec.interval.saturating_mul(1 << (in_a_row - 1).min(2));
    tracing::warn!(
        sync = %spec.name,
        cycle = number,
        failed_in_a_row = in_a_row,
        next_in_s = wait.as_secs(),
        error = %error,
        "cycle failed"
    );
    wait
}

/// A running sync's state between cycles.
struct Running<'a> {
    spec: &'a SyncSpec,
    securegate: &'a SecureGate,
    artsvp: &'a Artsvp,
    board: &'a Board,
    stop: watch::Receiver<bool>,
    /// Open once the target was checked (and the journal rebuilt).
    journal: Option<Arc<Journal>>,
    rebuild: bool,
    turns: &'a Semaphore,
}

impl Running<'_> {
    /// One cycle: the journal (checked and rebuilt on the first), the
    /// SecureGate list (one request), then the guests the journal has not
    /// settled, then the revocations.
    async fn cycle(&mut self) -> Result<Cycle, CliError> {
        let journal = self.journal().await?;
        let mut cycle = Cycle::default();
        let mut declined = None;
        // The SecureGate invites sent this cycle: a guest whose create
        // failed is not sent again until the next cycle.
        let mut tried = HashSet::new();
        loop {
            let turn = self.turns.acquire().await;
            let invites = self.securegate.invites(&self.spec.from).await?;
            let picked = pick(&invites, &self.spec.status, &journal, &tried);
            if declined.is_none() {
                declined = Some(declined_after_invite(&invites, &journal));
                cycle.listed = picked.listed;
                cycle.settled = picked.settled;
            }
            drop(invites);
            if picked.guests.is_empty() {
                break;
            }
            tried.extend(picked.guests.iter().filter_map(|g| g.external_id.clone()));
            let more = picked.more;
            let sent = self.invite(&journal, picked.guests, &mut cycle).await?;
            drop(turn);
            if !sent || !more {
                break;
            }
        }
        let declined = declined.unwrap_or_default();
        cycle.declined = declined.len() as u64;
        if self.spec.revoke_declined {
            for (key, invite_id) in declined {
                if *self.stop.borrow() {
                    break;
                }
                revoke_one(self.artsvp, &journal, &key, &invite_id).await?;
                cycle.done.revoked += 1;
            }
        }
        Ok(cycle)
    }

    /// The journal, opened on the first cycle after checking that the
    /// ARTSVP event exists, and rebuilt from its listing when it was
    /// missing (or `--rebuild-journal`).
    async fn journal(&mut self) -> Result<Arc<Journal>, CliError> {
        if let Some(journal) = &self.journal {
            return Ok(journal.clone());
        }
        let event = rebuild::event_id(self.artsvp, &self.spec.to).await?;
        let id = run_id(
            &self.spec.from,
            &Target::event(&self.spec.to),
            &self.spec.status,
        );
        let journal = Journal::open(&self.spec.journal, &id).map_err(CliError::Usage)?;
        if self.rebuild {
            let settled = rebuild::settle_existing(self.artsvp, &event, &journal).await?;
            tracing::info!(
                sync = %self.spec.name,
                listed = settled.listed,
                settled = settled.settled,
                pages = settled.pages,
                "journal rebuilt from ARTSVP's invites: their guests are settled as existing"
            );
            self.board
                .update(&self.spec.name, |s| s.rebuilt = Some(settled.settled));
            self.rebuild = false;
        }
        let journal = Arc::new(journal);
        self.journal = Some(journal.clone());
        Ok(journal)
    }

    /// Invites `guests` with the journal as the checkpoint (settled guests
    /// are not sent again, and none once a stop is asked); counts each
    /// outcome into `cycle`. `false` when it stopped for a stop asked.
    async fn invite(
        &self,
        journal: &Arc<Journal>,
        guests: Vec<Guest>,
        cycle: &mut Cycle,
    ) -> Result<bool, CliError> {
        let gate = Gate {
            journal: journal.clone(),
            stop: self.stop.clone(),
        };
        let mut bulk = self
            .artsvp
            .bulk_invite(Target::event(&self.spec.to), guests)
            .key(BulkKey::Email)
            .concurrency(self.spec.concurrency)
            .checkpoint(gate)
            .start();
        let done = &mut cycle.done;
        loop {
            match bulk.try_next().await {
                Ok(Some(finished)) => match &finished.outcome {
                    GuestOutcome::Created(_) => done.created += 1,
                    GuestOutcome::Existing(_) => done.existing += 1,
                    GuestOutcome::Failed(e) => {
                        done.failed += 1;
                        tracing::warn!(sync = %self.spec.name, error = %e, "a guest failed");
                    }
                    GuestOutcome::Unknown(_) => done.unknown += 1,
                    _ => cycle.settled += 1,
                },
                Ok(None) => return Ok(true),
                Err(BulkError::Checkpoint(_)) if *self.stop.borrow() => return Ok(false),
                Err(e) => return Err(self.stopped_by(e)),
            }
        }
    }

    /// Why a cycle's bulk run stopped: an outage fails the cycle (and is
    /// counted); a journal that cannot be written, or anything else, stops
    /// the sync.
    fn stopped_by(&self, e: BulkError) -> CliError {
        match e {
            BulkError::Outage(outage) => {
                self.board
                    .update(&self.spec.name, |s| s.series.outage_stops += 1);
                CliError::Unavailable(format!(
                    "ARTSVP answers {} to every {} ({} rows in a row)",
                    outage.answer, outage.operation, outage.failed_in_a_row
                ))
            }
            BulkError::Checkpoint(e) => CliError::Failed(format!(
                "the journal {} cannot be written ({e}): the sync stops, and nothing it does \
                 not hold was sent",
                self.spec.journal.display()
            )),
            e => CliError::Failed(format!("the sync stopped: {e}")),
        }
    }
}

/// What a listing gives a turn: up to [`CHUNK`] guests to invite.
struct Picked {
    /// Guests with the status the journal has not settled and this cycle
    /// has not tried, the first [`CHUNK`] of them (only they are built: a
    /// quiet cycle of 100,000 guests builds none).
    guests: Vec<Guest>,
    /// Whether more are left after them.
    more: bool,
    /// Invites with the status, and how many of them are settled.
    listed: usize,
    settled: u64,
}

fn pick(
    invites: &[Invite],
    status: &InviteStatus,
    journal: &Journal,
    tried: &HashSet<String>,
) -> Picked {
    let mut picked = Picked {
        guests: Vec::new(),
        more: false,
        listed: 0,
        settled: 0,
    };
    for invite in invites.iter().filter(|i| i.status == *status) {
        picked.listed += 1;
        let key = normalize_email(&invite.email);
        if !key.is_empty() && journal.is_done(&key) {
            picked.settled += 1;
        } else if tried.contains(&invite.id) {
        } else if picked.guests.len() < CHUNK {
            picked.guests.push(Guest::from(invite));
        } else {
            picked.more = true;
        }
    }
    picked
}

/// The journal as the bulk run's checkpoint, refusing new guests once a
/// stop is asked (the run then ends after the guests under way).
struct Gate {
    journal: Arc<Journal>,
    stop: watch::Receiver<bool>,
}

impl Checkpoint for Gate {
    fn is_done(&self, key: &str) -> bool {
        self.journal.is_done(key)
    }

    fn sending(&self, key: &str) -> Result<(), CheckpointError> {
        if *self.stop.borrow() {
            return Err("the sync is stopping".into());
        }
        self.journal.sending(key)
    }

    fn finished(&self, key: &str, outcome: &GuestOutcome) -> Result<(), CheckpointError> {
        self.journal.finished(key, outcome)
    }
}

/// The journal's owner: the same as a one-pass `sync`'s, so either can go
/// on from the other's journal.
pub fn run_id(from: &str, target: &Target, status: &InviteStatus) -> RunId {
    RunId {
        target: target.to_string(),
        source: format!("securegate event {from} ({status})"),
        key: "email".into(),
    }
}

/// The guests SecureGate lists as declined whose ARTSVP invite this sync
/// created and has not revoked: (journal key, ARTSVP invite id).
pub fn declined_after_invite(invites: &[Invite], journal: &Journal) -> Vec<(String, String)> {
    invites
        .iter()
        .filter(|invite| invite.status == InviteStatus::Rejected)
        .filter_map(|invite| BulkKey::Email.of(&Guest::from(invite), true))
        .filter_map(|key| journal.created_invite(&key).map(|id| (key, id)))
        .collect()
}

/// Deletes one ARTSVP invite, journaled before (`revoking`) and after
/// (`revoked`): a crash in between deletes it again next time, and an
/// invite already gone counts as revoked.
async fn revoke_one(
    artsvp: &Artsvp,
    journal: &Journal,
    key: &str,
    invite_id: &str,
) -> Result<(), CliError> {
    let journaled =
        |e: CheckpointError| CliError::Failed(format!("the journal cannot be written: {e}"));
    journal.revoking(key, false).map_err(journaled)?;
    match artsvp.delete_invite(invite_id).await {
        Ok(()) => {}
        Err(e) if matches!(e.kind(), event_invites::ErrorKind::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    tracing::info!(
        artsvp_invite = invite_id,
        "revoked: the guest declined on SecureGate"
    );
    journal.revoking(key, true).map_err(journaled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_cycle_waits_longer_each_time_up_to_four_intervals() {
        let board = Board::default();
        let mut spec = crate::service::status::tests_spec("gala");
        spec.interval = Duration::from_secs(2);
        board.starting(&spec);
        let error = CliError::Unavailable("down".into());
        let waits: Vec<u64> = (0..5)
            .map(|n| failed(&board, &spec, n, &error, Duration::ZERO).as_secs())
            .collect();
        assert_eq!(waits, [2, 4, 8, 8, 8]);
    }

    #[test]
    fn a_refused_key_names_the_variable_this_sync_reads() {
        let mut spec = crate::service::status::tests_spec("gala");
        spec.securegate_key_env = "SG_PARTNER".into();
        let refused = CliError::KeyRefused(
            "SecureGate get_invites: the API key was not accepted (HTTP 401); check SECUREGATE_API_KEY"
                .into(),
        );
        let CliError::KeyRefused(text) = naming_key_vars(refused, &spec) else {
            panic!("still a refused key");
        };
        assert!(text.ends_with("check SG_PARTNER"), "{text}");
        let artsvp = CliError::KeyRefused("… check ARTSVP_API_KEY".into());
        assert_eq!(
            naming_key_vars(artsvp, &spec).to_string(),
            CliError::KeyRefused("… check ARTSVP_API_KEY".into()).to_string()
        );
    }

    #[test]
    fn only_an_unavailable_api_is_tried_again() {
        assert!(ended_by(CliError::Unavailable("503".into())).is_ok());
        assert!(matches!(
            ended_by(CliError::KeyRefused("401".into())),
            Err(Ended::Refused(_))
        ));
        for fatal in [
            CliError::Usage("no such event".into()),
            CliError::Failed("disk full".into()),
            CliError::Config("bad URL".into()),
        ] {
            assert!(matches!(ended_by(fatal), Err(Ended::Failed(_))));
        }
    }
}
