//! Bulk invites: each guest once, outcomes of every kind, a checkpoint that
//! skips finished guests and hears each send before it happens, and the
//! progress a caller draws (including the wait for the rate-limit window).

mod common;

use std::future::IntoFuture;

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use event_invites::artsvp::{
    BulkError, BulkKey, Checkpoint, CheckpointError, Guest, GuestOutcome, NewInvite, Target,
};
use event_invites::{Artsvp, PacingReason, Quota, RetryPolicy};
use event_invites_fake::{FakeArtsvp, Fault, FaultRule, RateLimit};

fn guests(n: usize) -> Vec<Guest> {
    (0..n)
        .map(|i| Guest::new(format!("Guest {i}"), format!("guest{i}@example.com")))
        .collect()
}

#[tokio::test]
async fn every_guest_is_invited_once_and_says_whether_it_was_new() {
    let (fake, client, event) = empty_event().await;
    client
        .create_invite(&NewInvite::for_event(&event).email("guest3@example.com"))
        .await
        .unwrap();
    let mut list = guests(20);
    list[5].email = Some("  GUEST5@Example.com ".into());
    list.push(Guest::new("No key", "")); // no email: refused, nothing sent

    let mut run = client
        .bulk_invite(Target::event(&event), list)
        .concurrency(3)
        .start();
    let mut outcomes = Vec::new();
    while let Some(done) = run.try_next().await.unwrap() {
        outcomes.push((done.index, done.key, done.outcome.label()));
    }
    outcomes.sort();
    assert_eq!(outcomes.len(), 21);
    assert_eq!(outcomes[3].2, "existing", "guest 3 already had an invite");
    assert_eq!(outcomes[5].1, "guest5@example.com", "the key is normalized");
    assert_eq!(outcomes[20].2, "failed", "no email, no invite");
    let created = outcomes.iter().filter(|o| o.2 == "created").count();
    assert_eq!(created, 19);

    let progress = run.progress();
    assert_eq!(
        (
            progress.total,
            progress.done,
            progress.created,
            progress.existing,
            progress.failed
        ),
        (21, 21, 19, 1, 1)
    );
    assert_eq!(progress.remaining(), 0);
    let held = fake.state().invites_of(&event).len();
    assert_eq!(held, 20, "one invite per guest with an email");
}

/// A checkpoint that records what it hears.
#[derive(Default)]
struct Recording {
    done: HashSet<String>,
    sending: Mutex<Vec<String>>,
    finished: Mutex<Vec<(String, &'static str)>>,
}

impl Checkpoint for Recording {
    fn is_done(&self, key: &str) -> bool {
        self.done.contains(key)
    }
    fn sending(&self, key: &str) -> Result<(), CheckpointError> {
        self.sending.lock().unwrap().push(key.to_string());
        Ok(())
    }
    fn finished(&self, key: &str, outcome: &GuestOutcome) -> Result<(), CheckpointError> {
        self.finished
            .lock()
            .unwrap()
            .push((key.to_string(), outcome.label()));
        Ok(())
    }
}

#[tokio::test]
async fn a_checkpoint_skips_finished_guests_and_hears_each_send_first() {
    let (fake, client, event) = empty_event().await;
    let checkpoint = std::sync::Arc::new(Recording {
        done: (0..6).map(|i| format!("guest{i}@example.com")).collect(),
        ..Recording::default()
    });
    let progress = client
        .bulk_invite(Target::event(&event), guests(10))
        .checkpoint(checkpoint.clone())
        .await
        .unwrap();
    assert_eq!((progress.skipped, progress.created), (6, 4));
    let posts = fake.requests().count(|r| r.method == "POST");
    assert_eq!(posts, 4, "nothing sent for finished guests");
    let sending = checkpoint.sending.lock().unwrap().clone();
    assert_eq!(sending.len(), 4);
    let finished = checkpoint.finished.lock().unwrap().clone();
    assert_eq!(finished.iter().filter(|f| f.1 == "created").count(), 4);
    assert_eq!(finished.iter().filter(|f| f.1 == "skipped").count(), 6);

    // A plain set of keys is a checkpoint too.
    let done: HashSet<String> = (0..10).map(|i| format!("guest{i}@example.com")).collect();
    let progress = client
        .bulk_invite(Target::event(&event), guests(10))
        .checkpoint(done)
        .await
        .unwrap();
    assert_eq!(progress.skipped, 10);
}

#[tokio::test]
async fn a_failing_checkpoint_stops_the_run_before_sending() {
    struct Full;
    impl Checkpoint for Full {
        fn is_done(&self, _: &str) -> bool {
            false
        }
        fn sending(&self, _: &str) -> Result<(), CheckpointError> {
            Err("the disk is full".into())
        }
    }
    let (fake, client, event) = empty_event().await;
    let err = client
        .bulk_invite(Target::event(&event), guests(3))
        .checkpoint(Full)
        .await
        .unwrap_err();
    let BulkError::Checkpoint(cause) = &err else {
        panic!("expected the checkpoint's error, got {err:?}");
    };
    assert_eq!(cause.to_string(), "the disk is full");
    assert_eq!(
        std::error::Error::source(&err).map(ToString::to_string),
        Some("the disk is full".to_string()),
        "the checkpoint's own error is the source"
    );
    assert_eq!(
        err.to_string(),
        "the run stopped: its checkpoint failed: the disk is full"
    );
    assert!(fake.requests().is_empty(), "nothing was sent");
}

/// A checkpoint that refuses new guests once `stop` is set: a service's
/// graceful stop.
struct StopAfter {
    stop: std::sync::atomic::AtomicBool,
    finished: Mutex<Vec<String>>,
}

impl Checkpoint for StopAfter {
    fn is_done(&self, _: &str) -> bool {
        false
    }
    fn sending(&self, _: &str) -> Result<(), CheckpointError> {
        if self.stop.load(std::sync::atomic::Ordering::SeqCst) {
            return Err("stopping".into());
        }
        // The next guest is refused: the ones under way must still finish.
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
    fn finished(&self, key: &str, _: &GuestOutcome) -> Result<(), CheckpointError> {
        self.finished.lock().unwrap().push(key.to_string());
        Ok(())
    }
}

#[tokio::test]
async fn a_refused_guest_stops_the_run_after_the_guests_under_way_are_reported() {
    let (fake, client, event) = empty_event().await;
    let checkpoint = std::sync::Arc::new(StopAfter {
        stop: false.into(),
        finished: Mutex::default(),
    });
    let mut run = client
        .bulk_invite(Target::event(&event), guests(5))
        // Room for more: the second guest is refused while the first is
        // still under way, which must finish all the same.
        .concurrency(4)
        .checkpoint(checkpoint.clone())
        .start();
    let first = run.try_next().await.unwrap().expect("the guest under way");
    assert_eq!(first.outcome.label(), "created");
    let Err(BulkError::Checkpoint(cause)) = run.try_next().await else {
        panic!("the run stops with the checkpoint's error");
    };
    assert_eq!(cause.to_string(), "stopping");
    assert_eq!(*checkpoint.finished.lock().unwrap(), ["guest0@example.com"]);
    assert_eq!(
        fake.state().invites_of(&event).len(),
        1,
        "one sent, none after"
    );
}

#[tokio::test]
async fn lost_answers_are_retried_safely_and_refusals_fail_without_retry() {
    let (fake, client, event) = empty_event().await;
    // The answers to three creates are lost after the write; the dedupe
    // filter makes the retry return the invite the first attempt made.
    fake.inject(
        FaultRule::new(Fault::DropConnection)
            .on("POST", "/invites")
            .after_write()
            .times(3),
    );
    let progress = client
        .bulk_invite(Target::event(&event), guests(8))
        .key(BulkKey::Email)
        .await
        .unwrap();
    assert_eq!(progress.created + progress.existing, 8, "{progress:?}");
    assert_eq!(fake.state().invites_of(&event).len(), 8, "nobody twice");

    // A target that does not exist: every guest fails, each sent once.
    fake.requests().clear();
    let progress = client
        .bulk_invite(Target::event("eve-missing"), guests(3))
        .await
        .unwrap();
    assert_eq!(progress.failed, 3);
    assert_eq!(fake.requests().len(), 3, "a refusal is not retried");
}

#[tokio::test]
async fn progress_says_when_the_run_waits_for_the_rate_limit_window() {
    let fake = FakeArtsvp::builder()
        .invites(0)
        .rate_limit(RateLimit::new(5, Duration::from_secs(2)))
        .start()
        .await
        .unwrap();
    let client = common::artsvp_with(&fake, common::quick_retries(), Some(Quota::ARTSVP));
    let event = fake.state().events[0].id.clone();
    let mut run = client
        .bulk_invite(Target::event(&event), guests(8))
        .concurrency(1)
        .start();
    let mut saw_wait = None;
    while let Some(_done) = run.try_next().await.unwrap() {
        let p = run.progress();
        if let (Some(until), Some(reason)) = (p.waiting_until, p.waiting_for) {
            saw_wait.get_or_insert((until, reason, p.done));
        }
    }
    let (until, reason, done) = saw_wait.expect("the window of 5 ran out");
    assert_eq!(reason, PacingReason::ServerWindow);
    assert!(
        done >= 4,
        "it waited only once the window was spent: {done}"
    );
    assert!(until > run.progress().started);
    let p = run.progress();
    assert_eq!(p.created, 8);
    assert!(p.rate > 0.0 && p.eta() == Some(Duration::ZERO));
    let rejected = fake.requests().count(|r| r.status == Some(429));
    assert_eq!(rejected, 0, "paced by the server's headers, never a 429");
}

#[tokio::test]
async fn a_concurrency_of_zero_still_sends_one_at_a_time() {
    let (fake, client, event) = empty_event().await;
    let run = client
        .bulk_invite(Target::event(&event), guests(3))
        .concurrency(0)
        .into_future();
    let progress = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("the run ends")
        .unwrap();
    assert_eq!(progress.created, 3);
    assert_eq!(fake.state().invites_of(&event).len(), 3);
}

/// Creates answered with 503 (chain `.always()`, `.share(…)`, …).
fn creates_fail() -> FaultRule {
    FaultRule::new(Fault::Status(503)).on("POST", "/invites")
}

/// A fake with no invites, a [`common::artsvp`] client on it, and the id of
/// an event to invite guests to.
async fn empty_event() -> (FakeArtsvp, Artsvp, String) {
    let fake = FakeArtsvp::builder().invites(0).start().await.unwrap();
    let client = common::artsvp(&fake);
    let event = fake.state().events[0].id.clone();
    (fake, client, event)
}

/// A fake with no invites and no rate limit, a client on it with the
/// default retry budget and retries that wait milliseconds, and the id of
/// an event to invite guests to.
async fn unlimited() -> (FakeArtsvp, Artsvp, String) {
    let fake = FakeArtsvp::builder()
        .invites(0)
        .unlimited()
        .start()
        .await
        .unwrap();
    let client = common::artsvp_with(
        &fake,
        RetryPolicy::new().base_delay(Duration::from_millis(2)),
        None,
    );
    let event = fake.state().events[0].id.clone();
    (fake, client, event)
}

/// `error` is an outage of ARTSVP's creates (HTTP 503, at the fake's host)
/// after `reported` of 300 guests were reported, and its text says so.
fn assert_outage_named(error: &BulkError, base_url: &str, reported: usize) {
    let BulkError::Outage(outage) = error else {
        panic!("expected an outage, got {error:?}");
    };
    assert!(outage.failed_in_a_row >= 5);
    assert_eq!(
        outage.not_sent,
        300 - reported,
        "every guest not reported was not sent"
    );
    assert_eq!(
        (outage.answer.as_str(), outage.operation),
        ("HTTP 503", "create_invite")
    );
    let host = base_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    assert_eq!(outage.host.as_deref(), Some(host.as_str()));
    let text = error.to_string();
    assert!(
        text.starts_with(&format!("ARTSVP ({host}): the run stopped sending: "))
            && text.contains("HTTP 503 to every create_invite since ")
            && text.contains(&format!(
                "{} guests not sent, still pending",
                outage.not_sent
            )),
        "{text}"
    );
    assert!(std::error::Error::source(error).is_none());
}

#[tokio::test]
async fn an_outage_stops_the_run_and_leaves_the_unsent_guests_pending() {
    let (fake, client, event) = unlimited().await;
    fake.inject(creates_fail().always());
    let checkpoint = std::sync::Arc::new(Recording::default());
    let mut run = client
        .bulk_invite(Target::event(&event), guests(300))
        .checkpoint(checkpoint.clone())
        .start();
    let mut outcomes = Vec::new();
    let stopped = loop {
        match run.try_next().await {
            Ok(Some(done)) => outcomes.push(done),
            Ok(None) => panic!("the run went to the end in an outage"),
            Err(e) => break e,
        }
    };
    assert!(
        run.try_next().await.unwrap().is_none(),
        "nothing after the stop"
    );
    let sent = common::posts(&fake);
    assert!(
        sent <= 40,
        "{sent} creates sent for 300 guests in an outage"
    );
    assert_outage_named(&stopped, fake.base_url(), outcomes.len());

    // Nobody failed for good; the checkpoint heard only the guests sent.
    assert!(
        outcomes.iter().all(|o| !o.outcome.is_final()),
        "{outcomes:?}"
    );
    assert!(outcomes.iter().all(|o| o.outcome.label() == "unknown"));
    assert_eq!(checkpoint.sending.lock().unwrap().len(), outcomes.len());

    // The fault clears: a re-run that skips nothing invites everyone once.
    fake.clear_faults();
    let progress = client
        .bulk_invite(Target::event(&event), guests(300))
        .await
        .unwrap();
    assert_eq!(progress.created + progress.existing, 300);
    assert_eq!(fake.state().invites_of(&event).len(), 300);
}

#[tokio::test]
async fn a_flaky_server_does_not_stop_the_run_and_everyone_is_invited_once() {
    let (fake, client, event) = unlimited().await;
    fake.inject(creates_fail().share(3, 10));
    let mut run = client
        .bulk_invite(Target::event(&event), guests(120))
        .start();
    while let Some(done) = run.try_next().await.unwrap() {
        if let GuestOutcome::Unknown(e) | GuestOutcome::Failed(e) = &done.outcome {
            panic!("guest {} not invited: {e:?}", done.index);
        }
    }
    let progress = run.progress();
    assert_eq!(
        (progress.created, progress.failed, progress.unknown),
        (120, 0, 0)
    );
    assert_eq!(fake.state().invites_of(&event).len(), 120);
    let sent = common::posts(&fake);
    assert!(sent as f64 <= 1.6 * 120.0, "{sent}");
}

/// Every create answers 503 from now on.
fn fail_every_create(fake: &FakeArtsvp) {
    fake.inject(creates_fail().always());
}

#[tokio::test]
async fn stopping_on_an_outage_can_be_turned_off() {
    let (fake, client, event) = unlimited().await;
    fail_every_create(&fake);
    let progress = client
        .bulk_invite(Target::event(&event), guests(12))
        .stop_on_outage_after(0)
        .await
        .unwrap();
    assert_eq!(progress.unknown, 12, "every guest tried, none stopped");
}

#[tokio::test]
async fn a_single_create_and_a_bulk_run_agree_on_who_a_guest_is() {
    let (fake, client, event) = empty_event().await;
    let first = client
        .create_invite(
            &NewInvite::for_event(&event)
                .email("Carol@Example.com")
                .dedupe(event_invites::artsvp::Dedupe::Email),
        )
        .await
        .unwrap();
    assert!(first.is_created());
    let progress = client
        .bulk_invite(
            Target::event(&event),
            vec![Guest::new("Carol", "carol@example.com ")],
        )
        .await
        .unwrap();
    assert_eq!((progress.created, progress.existing), (0, 1));
    let state = fake.state();
    let held = state.invites_of(&event);
    assert_eq!(held.len(), 1, "one guest, one invite");
    assert_eq!(held[0].email.as_deref(), Some("carol@example.com"));

    // Exactly as given, when asked.
    let exact = client
        .create_invite(
            &NewInvite::for_event(&event)
                .email("Carol@Example.com")
                .dedupe(event_invites::artsvp::Dedupe::Email)
                .normalize_email(false),
        )
        .await
        .unwrap();
    assert!(exact.is_created(), "a different email to ARTSVP");
}

#[tokio::test]
async fn a_guest_whose_failure_may_pass_is_tried_once_more_at_the_end_and_only_once() {
    let (fake, _, event) = unlimited().await;
    // One attempt per call, so each try of a guest is one request.
    let client = common::artsvp_with(&fake, RetryPolicy::none(), None);
    fail_every_create(&fake);
    let progress = client
        .bulk_invite(Target::event(&event), guests(3))
        .concurrency(1)
        .stop_on_outage_after(0)
        .await
        .unwrap();
    assert_eq!(common::posts(&fake), 6, "each of 3 guests tried twice");
    assert_eq!((progress.done, progress.unknown), (3, 3));
    assert_eq!(progress.in_flight, 0, "nothing is under way at the end");
}

#[tokio::test]
async fn a_set_of_finished_keys_skips_those_guests_and_only_those() {
    let (fake, client, event) = unlimited().await;
    let finished: HashSet<String> = ["guest1@example.com".to_string()].into();
    let progress = client
        .bulk_invite(Target::event(&event), guests(3))
        .checkpoint(finished)
        .await
        .unwrap();
    assert_eq!((progress.skipped, progress.created), (1, 2));
    assert_eq!(common::posts(&fake), 2);
}

#[tokio::test]
async fn a_run_is_a_stream_and_prints_briefly() {
    use futures_util::StreamExt;
    let (_fake, client, event) = unlimited().await;
    let setup = client
        .bulk_invite(Target::event(&event), guests(2))
        .concurrency(2);
    let shown = format!("{setup:?}");
    assert!(
        shown.contains("guests: 2") && shown.contains("concurrency: 2"),
        "{shown}"
    );
    assert!(!shown.contains("example.com"), "no guest's data: {shown}");
    let mut run = setup.start();
    assert!(format!("{run:?}").starts_with("BulkRun { progress: "));
    let mut seen = 0;
    while let Some(done) = run.next().await {
        assert_eq!(done.unwrap().outcome.label(), "created");
        seen += 1;
    }
    assert_eq!(seen, 2);
    assert_eq!(Target::event("eve-1").to_string(), "event eve-1");
    assert_eq!(Target::collection("col-1").to_string(), "collection col-1");
}

#[tokio::test]
async fn dropping_a_run_stops_it() {
    let fake = FakeArtsvp::builder()
        .invites(0)
        .unlimited()
        .latency(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let client = common::artsvp(&fake);
    let event = fake.state().events[0].id.clone();
    let mut run = client
        .bulk_invite(Target::event(&event), guests(200))
        .concurrency(1)
        .start();
    run.try_next().await.unwrap().unwrap();
    drop(run);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let sent = common::posts(&fake);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(common::posts(&fake), sent, "nothing sent after the drop");
    assert!(sent < 10, "{sent}");
}

#[tokio::test]
async fn a_finished_run_waits_for_nothing() {
    let (fake, _, event) = unlimited().await;
    // One a second: the second guest waits, and the bucket is empty at the end.
    let client = common::artsvp_with(&fake, RetryPolicy::none(), Some(Quota::per_second(1)));
    let progress = client
        .bulk_invite(Target::event(&event), guests(2))
        .await
        .unwrap();
    assert_eq!(progress.created, 2);
    assert_eq!(progress.waiting_until, None, "{progress:?}");
    assert_eq!(progress.waiting_for, None);
}
