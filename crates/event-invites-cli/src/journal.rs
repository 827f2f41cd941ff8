//! The SQLite journal of a bulk run: which guest was sent and what came of
//! it, so that a re-run skips finished guests and re-sends the ones in
//! flight (safe: every create carries the dedupe filter).
//!
//! Write-ahead: a guest is marked `in_flight` (and committed) before its
//! request is sent, so a crash at any point leaves it either in flight or
//! finished. The journal names the run it belongs to (target, source,
//! key); a journal of another run is refused, never mixed.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

use event_invites::artsvp::{Checkpoint, CheckpointError, GuestOutcome};
use rusqlite::{Connection, OptionalExtension, params};

/// What a journal belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunId {
    /// `event eve-…` or `collection col-…`.
    pub target: String,
    /// The CSV file (absolute path) or the sync source.
    pub source: String,
    /// `email` or `external_id`.
    pub key: String,
}

/// Creates the journal file at `path`, readable by its owner only, if it
/// does not exist; for one that exists, a warning when other users can
/// read it.
#[cfg(unix)]
fn make_private(path: &Path) -> Result<Option<String>, String> {
    use std::fs::OpenOptions;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match created {
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mode = std::fs::metadata(path)
                .map_err(|e| format!("cannot read the journal {}: {e}", path.display()))?
                .permissions()
                .mode();
            Ok((mode & 0o077 != 0).then(|| {
                format!(
                    "the journal {} can be read by other users (mode {:o}), and it holds \
                     guests' emails: chmod 600 it",
                    path.display(),
                    mode & 0o777
                )
            }))
        }
        Err(e) => Err(format!("cannot create the journal {}: {e}", path.display())),
    }
}

/// Elsewhere the file's permissions are the system's defaults.
#[cfg(not(unix))]
fn make_private(_: &Path) -> Result<Option<String>, String> {
    Ok(None)
}

/// Counts of what a journal holds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub finished: usize,
    pub in_flight: usize,
}

/// An open journal: the run's [`Checkpoint`].
pub struct Journal {
    conn: Mutex<Connection>,
    /// The guests finished for good: skipped by every run (and every cycle
    /// of a watch) from now on.
    done: Mutex<HashSet<String>>,
}

impl Journal {
    /// Opens (or creates) the journal at `path` for `run`; refuses one made
    /// for another run.
    ///
    /// It holds guests' emails: on Unix a new journal is made readable by
    /// its owner only (mode 0600, which SQLite gives its `-wal` and `-shm`
    /// files too), and an existing one that others can read gets a warning
    /// on stderr.
    ///
    /// Its page cache is 64 KiB (SQLite's default is 2 MiB a connection):
    /// a journal is written, and read once at open, so a service with 50
    /// syncs keeps 50 small caches, not 100 MiB of them.
    pub fn open(path: &Path, run: &RunId) -> Result<Self, String> {
        if let Some(warning) = make_private(path)? {
            eprintln!("event-invites: warning: {warning}");
        }
        let conn = Connection::open(path)
            .map_err(|e| format!("cannot open the journal {}: {e}", path.display()))?;
        let setup = conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA cache_size = -64;
             CREATE TABLE IF NOT EXISTS run (
                 id INTEGER PRIMARY KEY CHECK (id = 1),
                 target TEXT NOT NULL, source TEXT NOT NULL, key TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS guests (
                 key TEXT PRIMARY KEY,
                 status TEXT NOT NULL,
                 invite_id TEXT,
                 error TEXT,
                 updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));",
        );
        setup.map_err(|e| format!("{} is not a journal this tool can use: {e}", path.display()))?;
        claim(&conn, path, run)?;
        let done = {
            let mut statement = conn
                .prepare(
                    "SELECT key FROM guests WHERE status IN \
                     ('created', 'existing', 'failed', 'revoking', 'revoked')",
                )
                .map_err(|e| e.to_string())?;
            let keys = statement
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(|e| e.to_string())?;
            keys.collect::<Result<HashSet<_>, _>>()
                .map_err(|e| e.to_string())?
        };
        Ok(Self {
            conn: Mutex::new(conn),
            done: Mutex::new(done),
        })
    }

    /// What it holds now.
    pub fn held(&self) -> Held {
        let conn = self.lock();
        let count = |sql: &str| -> usize {
            conn.query_row(sql, [], |r| r.get::<_, i64>(0))
                .map_or(0, |n| usize::try_from(n).unwrap_or(0))
        };
        Held {
            finished: count(
                "SELECT count(*) FROM guests WHERE status IN \
                 ('created', 'existing', 'failed', 'revoking', 'revoked')",
            ),
            in_flight: count(
                "SELECT count(*) FROM guests WHERE status NOT IN \
                 ('created', 'existing', 'failed', 'revoking', 'revoked')",
            ),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write(
        &self,
        key: &str,
        status: &str,
        invite: Option<&str>,
        error: Option<String>,
    ) -> Result<(), CheckpointError> {
        self.lock().execute(
            "INSERT INTO guests (key, status, invite_id, error) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (key) DO UPDATE SET status = ?2, invite_id = coalesce(?3, invite_id),
                 error = ?4, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            params![key, status, invite, error],
        )?;
        Ok(())
    }
}

/// Writes `run` into a new journal, or checks that an existing journal is
/// this run's: one made for another run is refused, never mixed.
fn claim(conn: &Connection, path: &Path, run: &RunId) -> Result<(), String> {
    let existing: Option<(String, String, String)> = conn
        .query_row(
            "SELECT target, source, key FROM run WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(|e| format!("cannot read the journal {}: {e}", path.display()))?;
    match existing {
        None => {
            conn.execute(
                "INSERT INTO run (id, target, source, key) VALUES (1, ?1, ?2, ?3)",
                params![run.target, run.source, run.key],
            )
            .map_err(|e| format!("cannot write the journal {}: {e}", path.display()))?;
        }
        Some((target, source, key)) => {
            if (target.as_str(), source.as_str(), key.as_str())
                != (run.target.as_str(), run.source.as_str(), run.key.as_str())
            {
                return Err(format!(
                    "the journal {} belongs to another run (to {target}, from {source}, \
                     deduped by {key}); it is not mixed with this one. Pass another \
                     --journal, or delete it to start over",
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

impl Checkpoint for Journal {
    fn is_done(&self, key: &str) -> bool {
        self.done_keys().contains(key)
    }

    fn sending(&self, key: &str) -> Result<(), CheckpointError> {
        self.write(key, "in_flight", None, None)
    }

    fn finished(&self, key: &str, outcome: &GuestOutcome) -> Result<(), CheckpointError> {
        let written = self.record(key, outcome);
        if written.is_ok() && record_status(outcome).is_some_and(|s| FINISHED.contains(&s)) {
            self.done_keys().insert(key.to_string());
        }
        written
    }
}

/// The statuses of a guest finished for good.
const FINISHED: [&str; 3] = ["created", "existing", "failed"];

/// The status `outcome` is journaled with (`None`: not journaled).
fn record_status(outcome: &GuestOutcome) -> Option<&'static str> {
    match outcome {
        GuestOutcome::Created(_) => Some("created"),
        GuestOutcome::Existing(_) => Some("existing"),
        GuestOutcome::Failed(_) if outcome.is_final() => Some("failed"),
        GuestOutcome::Failed(_) => Some("retry"),
        GuestOutcome::Unknown(_) => Some("unknown"),
        _ => None,
    }
}

impl Journal {
    /// Whether guest `key` is finished for good (not to be sent again).
    pub fn is_settled(&self, key: &str) -> bool {
        self.done_keys().contains(key)
    }

    /// The ARTSVP invite this run created for guest `key` and has not
    /// revoked yet (`revoking`: a revocation begun but not known to be
    /// done), if any.
    pub fn created_invite(&self, key: &str) -> Option<String> {
        self.lock()
            .query_row(
                "SELECT invite_id FROM guests WHERE key = ?1 \
                 AND status IN ('created', 'revoking') AND invite_id IS NOT NULL",
                params![key],
                |r| r.get(0),
            )
            .optional()
            .ok()
            .flatten()
    }

    /// Journals that guest `key`'s invite is being revoked (before the
    /// request), or was (`done`).
    pub fn revoking(&self, key: &str, done: bool) -> Result<(), CheckpointError> {
        let status = if done { "revoked" } else { "revoking" };
        self.write(key, status, None, None)?;
        self.done_keys().insert(key.to_string());
        Ok(())
    }

    /// Settles guests whose ARTSVP invite exists (`(key, invite id)`, from
    /// ARTSVP's listing) as `existing`, in one transaction: a guest the
    /// journal has finished is left as it is (so one this run `created`
    /// keeps that, and stays revocable; one settled `existing` never is).
    /// Returns how many were settled now.
    pub fn settle_existing(&self, invites: &[(String, String)]) -> Result<u64, String> {
        let mut conn = self.lock();
        let settled = (|| {
            let tx = conn.transaction()?;
            let mut settled = 0;
            {
                let mut upsert = tx.prepare(
                    "INSERT INTO guests (key, status, invite_id) VALUES (?1, 'existing', ?2)
                     ON CONFLICT (key) DO UPDATE SET status = 'existing', invite_id = ?2,
                         error = NULL, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                     WHERE status NOT IN ('created', 'existing', 'failed', 'revoking', 'revoked')",
                )?;
                for (key, invite) in invites {
                    settled += upsert.execute(params![key, invite])? as u64;
                }
            }
            tx.commit()?;
            Ok::<u64, rusqlite::Error>(settled)
        })()
        .map_err(|e| format!("cannot write the journal: {e}"))?;
        drop(conn);
        self.done_keys()
            .extend(invites.iter().map(|(key, _)| key.clone()));
        Ok(settled)
    }

    fn done_keys(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.done.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Journals `outcome` of guest `key`. A failure a re-run could fix (a
    /// rate limit, a refused connection) stays open (`retry`); one it
    /// cannot is finished (`failed`).
    fn record(&self, key: &str, outcome: &GuestOutcome) -> Result<(), CheckpointError> {
        let Some(status) = record_status(outcome) else {
            return Ok(());
        };
        let (invite, error) = match outcome {
            GuestOutcome::Created(invite) | GuestOutcome::Existing(invite) => {
                (Some(invite.id.as_str()), None)
            }
            GuestOutcome::Failed(e) | GuestOutcome::Unknown(e) => (None, Some(e.to_string())),
            _ => (None, None),
        };
        self.write(key, status, invite, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `NAME-PID` in the temp directory, new and empty, and `file` in it.
    fn fresh_journal_path(name: &str, file: &str) -> (std::path::PathBuf, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(file);
        (dir, path)
    }

    /// The journal at `path` of a run inviting to event `eve-1`.
    fn open_eve_1(path: &Path) -> Journal {
        Journal::open(path, &run("event eve-1")).unwrap()
    }

    fn run(target: &str) -> RunId {
        RunId {
            target: target.into(),
            source: "/tmp/guests.csv".into(),
            key: "email".into(),
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_new_journal_and_its_side_files_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, path) = fresh_journal_path("journal-mode", "private.sqlite");
        let journal = open_eve_1(&path);
        journal.sending("ann@example.com").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        for file in ["private.sqlite", "private.sqlite-wal", "private.sqlite-shm"] {
            assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
        }
        assert_eq!(
            make_private(&path).unwrap(),
            None,
            "an existing private journal"
        );
        drop(journal);

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let warning = make_private(&path).unwrap().expect("a warning");
        assert!(
            warning.contains("mode 644") && warning.contains("chmod 600"),
            "{warning}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn finished_guests_are_done_in_flight_ones_are_not() {
        let (dir, path) = fresh_journal_path("journal-test", "a.sqlite");
        {
            let journal = open_eve_1(&path);
            journal.sending("ann@example.com").unwrap();
            journal.sending("bo@example.com").unwrap();
            journal
                .write("ann@example.com", "created", Some("inv-1"), None)
                .unwrap();
            assert_eq!(
                journal.held(),
                Held {
                    finished: 1,
                    in_flight: 1
                }
            );
        }
        let journal = open_eve_1(&path);
        assert!(journal.is_done("ann@example.com"));
        assert!(!journal.is_done("bo@example.com"), "in flight: sent again");
        let err = Journal::open(&path, &run("event eve-2")).err().unwrap();
        assert!(err.contains("belongs to another run"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn invites_found_in_artsvp_settle_open_guests_as_existing_and_keep_created_ones() {
        let (dir, path) = fresh_journal_path("journal-settle", "a.sqlite");
        let journal = open_eve_1(&path);
        journal
            .write("ann@example.com", "created", Some("inv-1"), None)
            .unwrap();
        journal.sending("bo@example.com").unwrap();
        let found = [
            ("ann@example.com".to_string(), "inv-1".to_string()),
            ("bo@example.com".to_string(), "inv-2".to_string()),
            ("cy@example.com".to_string(), "inv-3".to_string()),
        ];
        assert_eq!(journal.settle_existing(&found).unwrap(), 2, "bo and cy");
        for key in ["ann@example.com", "bo@example.com", "cy@example.com"] {
            assert!(journal.is_done(key), "{key}");
        }
        assert_eq!(
            journal.created_invite("ann@example.com").as_deref(),
            Some("inv-1"),
            "created by this run: still revocable"
        );
        assert_eq!(
            journal.created_invite("cy@example.com"),
            None,
            "not made here"
        );
        drop(journal);
        assert!(open_eve_1(&path).is_done("cy@example.com"), "kept on disk");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// What the journal file holds for each key: status and whether an
    /// error text was kept.
    fn rows(path: &Path) -> Vec<(String, String, bool)> {
        let db = Connection::open(path).unwrap();
        let mut query = db
            .prepare("SELECT key, status, error IS NOT NULL FROM guests ORDER BY key")
            .unwrap();
        query
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// One outcome of each kind, from real calls: created, existing,
    /// refused for good, may pass (nothing listens), unknown.
    async fn one_outcome_of_each_kind() -> [(&'static str, GuestOutcome); 5] {
        use event_invites::artsvp::{Dedupe, NewInvite};
        use event_invites::{Artsvp, RetryPolicy};

        let fake = event_invites_fake::FakeArtsvp::builder()
            .invites(0)
            .unlimited()
            .start()
            .await
            .unwrap();
        let client = fake.client();
        let event = fake.state().events[0].id.clone();
        let new = NewInvite::for_event(&event)
            .email("a@example.com")
            .dedupe(Dedupe::Email);
        let invite = client.create_invite(&new).await.unwrap().into_inner();
        // Refused for good: no such event.
        let refused = client
            .create_invite(&NewInvite::for_event("eve-none").email("b@example.com"))
            .await
            .unwrap_err();
        assert!(!refused.is_retryable());
        // May pass: a loopback port that was just free, where nothing
        // listens.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let unreachable = |id: &'static str| async move {
            Artsvp::builder()
                .base_url(format!("http://127.0.0.1:{port}"))
                .api_key("k")
                .retry(RetryPolicy::none())
                .build()
                .unwrap()
                .get_event(id)
                .await
                .unwrap_err()
        };
        let down = unreachable("eve-1").await;
        assert!(down.is_retryable());
        let lost = unreachable("eve-2").await;
        [
            ("a-created", GuestOutcome::Created(invite.clone())),
            ("b-existing", GuestOutcome::Existing(invite)),
            ("c-failed", GuestOutcome::Failed(refused)),
            ("d-retry", GuestOutcome::Failed(down)),
            ("e-unknown", GuestOutcome::Unknown(lost)),
        ]
    }

    #[tokio::test]
    async fn each_outcome_is_kept_as_a_rerun_needs_it() {
        let (dir, path) = fresh_journal_path("journal-outcomes", "b.sqlite");
        {
            let journal = open_eve_1(&path);
            for (key, outcome) in one_outcome_of_each_kind().await {
                journal.sending(key).unwrap();
                journal.finished(key, &outcome).unwrap();
            }
            journal.sending("f-in-flight").unwrap();
        }
        let row = |k: &str, status: &str, error: bool| (k.to_string(), status.to_string(), error);
        assert_eq!(
            rows(&path),
            vec![
                row("a-created", "created", false),
                row("b-existing", "existing", false),
                row("c-failed", "failed", true),
                row("d-retry", "retry", true),
                row("e-unknown", "unknown", true),
                row("f-in-flight", "in_flight", false),
            ]
        );
        // A re-run skips what is finished and sends the rest again.
        let journal = open_eve_1(&path);
        for (key, done) in [
            ("a-created", true),
            ("b-existing", true),
            ("c-failed", true),
            ("d-retry", false),
            ("e-unknown", false),
            ("f-in-flight", false),
        ] {
            assert_eq!(journal.is_done(key), done, "{key}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
