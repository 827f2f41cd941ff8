//! What the shared-quota tests share: a fake with a tight quota, three
//! `invite` processes on its key at once, and the checks every such run
//! ends with.

use std::process::Output;
use std::time::Duration;

use event_invites_fake::FakeArtsvp;

use super::{TempDir, command, email, held_emails, text};

/// The fake's quota: 20 requests every 2 s.
pub const QUOTA: u64 = 20;

/// A fake with a tight quota: [`QUOTA`] requests every 2 s (three runs of
/// 25 guests need about 8 s).
pub async fn tight_fake() -> FakeArtsvp {
    FakeArtsvp::builder()
        .invites(0)
        .rate_limit(event_invites_fake::RateLimit::new(
            QUOTA,
            Duration::from_secs(2),
        ))
        .start()
        .await
        .unwrap()
}

/// One set of three runs at a time in a test binary: the runs' pacing is
/// timed (at the moment a store is lost, each process paces by its share
/// as its last request saw it), and two sets of three processes on two
/// cores slow each other enough to skew it (seen once in CI: 6 × 429 of
/// 84 where an undisturbed run gives 0–3).
pub static ONE_SET_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Three `invite` runs of `guests` guests each on one key, at once,
/// sharing the quota through `store` (the default, `host`, in `dir` when
/// `None`); `meanwhile` runs while they do. Returns their outputs.
pub async fn three_runs(
    fake: &FakeArtsvp,
    dir: &TempDir,
    store: Option<&str>,
    guests: usize,
    meanwhile: impl std::future::Future<Output = ()>,
) -> Vec<Output> {
    let _alone = ONE_SET_AT_A_TIME.lock().await;
    let mut runs = Vec::new();
    for process in 0..3 {
        let csv = dir.path(&format!("guests-{process}.csv"));
        let mut text = String::from("name,email\n");
        for i in 0..guests {
            text.push_str(&format!("Guest {i},{}\n", email(process * 1000 + i)));
        }
        std::fs::write(&csv, text).unwrap();
        let mut child = command(fake, &["invite", "--event", "3779b1", "--csv"]);
        child
            .arg(&csv)
            .env("XDG_RUNTIME_DIR", dir.path("runtime"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(store) = store {
            child.env("EVENT_INVITES_QUOTA_STORE", store);
        }
        runs.push(child.spawn().unwrap());
    }
    meanwhile.await;
    let mut outputs = Vec::new();
    for run in runs {
        outputs.push(run.wait_with_output().await.unwrap());
    }
    outputs
}

/// Every run exited 0 and every one of the `guests` is invited once;
/// returns how many of the fake's requests were refused with 429.
pub fn all_invited_once(fake: &FakeArtsvp, outputs: &[Output], guests: usize) -> usize {
    for out in outputs {
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    assert_eq!(
        held_emails(fake, "3779b1").len(),
        guests,
        "every guest once"
    );
    fake.requests().count(|r| r.status == Some(429))
}

/// Redis holds one bucket and its pacers (besides the start check's own,
/// which expires within a second), named by the API and a fingerprint in
/// one hash tag, and nothing of the key: `keys` are what it holds, `read`
/// gives a key's value.
pub fn redis_holds_no_key(mut keys: Vec<String>, read: impl Fn(&str) -> String, fake: &FakeArtsvp) {
    keys.retain(|k| k != "event-invites:quota:{start-check}");
    keys.sort();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        keys[0].starts_with("event-invites:quota:{artsvp-") && keys[0].ends_with('}'),
        "{keys:?}"
    );
    assert_eq!(keys[1], format!("{}:pacers", keys[0]));
    for key in &keys {
        let value = read(key);
        for text in [key, &value] {
            assert!(!text.contains(fake.api_key()), "{text}");
        }
    }
}
