//! What the command-line tests share: a directory of each test's own, the
//! tool run against a fake, guests' CSVs and what the fake holds.

// Each test binary uses a part of it.
#![allow(dead_code)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use event_invites_fake::FakeArtsvp;
use tokio::process::Command;

pub mod service;
pub mod shared;

/// A directory of the test's own, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// `event-invites-cli-NAME-PID` in the temp directory, empty.
    pub fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("event-invites-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.0
    }

    /// `file` in the directory.
    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub const BIN: &str = env!("CARGO_BIN_EXE_event-invites");

/// The tool on `artsvp` (its key and address), with `args`, and no other
/// API or quota store from this environment.
pub fn command(artsvp: &FakeArtsvp, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("ARTSVP_API_KEY", artsvp.api_key())
        .env("ARTSVP_BASE_URL", artsvp.base_url())
        .env_remove("SECUREGATE_API_KEY")
        .env_remove("SECUREGATE_BASE_URL")
        .env_remove("EVENT_INVITES_QUOTA_STORE")
        // The shared quota's files (the default host store) in a directory
        // of these tests, not the user's.
        .env("XDG_RUNTIME_DIR", quota_dir())
        .kill_on_drop(true);
    command
}

/// Where the tool keeps the shared quota in these tests (one bucket per
/// fake, since each listens on a port of its own).
pub fn quota_dir() -> PathBuf {
    std::env::temp_dir().join(format!("event-invites-cli-quota-{}", std::process::id()))
}

/// `invite --event EVENT --csv CSV`, then `more`.
pub fn invite_args<'a>(event: &'a str, csv: &'a Path, more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["invite", "--event", event, "--csv", csv.to_str().unwrap()];
    args.extend_from_slice(more);
    args
}

/// [`command`], run to its end.
pub async fn run(artsvp: &FakeArtsvp, args: &[&str]) -> Output {
    command(artsvp, args).output().await.unwrap()
}

/// Bytes a process printed, as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails, showing all of `output`, unless it contains `wanted`.
#[track_caller]
pub fn assert_says(output: &[u8], wanted: &str) {
    let text = text(output);
    assert!(text.contains(wanted), "expected {wanted:?} in:\n{text}");
}

/// The email of guest `i`.
pub fn email(i: usize) -> String {
    format!("guest{i}@example.com")
}

/// `guests.csv` in `dir`: a CSV of `n` valid guests.
pub fn guests_csv(dir: &TempDir, n: usize) -> PathBuf {
    let mut text = String::from("name,email,external_id,tags\n");
    for i in 0..n {
        text.push_str(&format!("Guest {i},{},crm-{i},vip;row{i}\n", email(i)));
    }
    let path = dir.path("guests.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// The emails of the invites the fake holds for `event`, each once; panics
/// on a duplicate.
pub fn held_emails(fake: &FakeArtsvp, event: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    for invite in fake.state().invites_of(event) {
        let email = invite.email.clone().unwrap_or_default();
        assert!(seen.insert(email.clone()), "{email} was invited twice");
    }
    seen
}
