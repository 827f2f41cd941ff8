//! What a run remembers across runs: [`Checkpoint`].

use super::*;

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
    /// before this returns). An error stops the run before sending it:
    /// the guests already under way finish and are reported first, then
    /// the run ends with [`BulkError::Checkpoint`](super::BulkError::Checkpoint).
    /// A service can stop a run gracefully this way ("no new guest").
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
