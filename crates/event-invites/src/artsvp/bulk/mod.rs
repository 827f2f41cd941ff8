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

mod builder;
mod checkpoint;
mod engine;
mod outcome;
mod progress;
mod run;

pub use builder::BulkInvite;
pub use checkpoint::{Checkpoint, CheckpointError};
pub use outcome::{BulkError, BulkKey, BulkOutcome, GuestOutcome, Outage, Target};
pub use progress::Progress;
pub use run::BulkRun;
use {engine::*, progress::*};

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
