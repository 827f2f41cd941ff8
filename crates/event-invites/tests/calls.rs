//! Per-call control (timeout, retry policy, headers), the facts of a
//! response, the observer, and a client's one-line `Debug`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use event_invites::artsvp::{Cursor, Dedupe, NewInvite};
use event_invites::{
    AttemptEvent, AttemptOutcome, DeadlineStage, ErrorKind, Observer, PacingEvent, PacingReason,
    Quota, QuotaEvent, RetryPolicy, Sent,
};
use event_invites_fake::{FakeArtsvp, FakeSecureGate, Fault, FaultRule};

#[tokio::test]
async fn a_client_prints_as_one_short_line_without_its_key() {
    let fake = FakeArtsvp::start().await.unwrap();
    let client = fake.client();
    let line = format!("{client:?}");
    assert_eq!(
        line,
        format!(
            "ARTSVP({}, key: [redacted], quota: 1000/900s)",
            fake.base_url()
        )
    );
    assert_eq!(format!("{client:#?}"), line, "one line even with {{:#?}}");
    assert!(!line.contains(fake.api_key()));

    let sg = FakeSecureGate::start().await.unwrap();
    let line = format!("{:?}", sg.client());
    assert!(
        line.starts_with("SecureGate(http://127.0.0.1:")
            && line.ends_with("quota: server headers only)"),
        "{line}"
    );
}

#[tokio::test]
async fn an_attempt_timeout_for_one_call_only() {
    let fake = common::slow_artsvp(Duration::from_secs(2)).await;
    let client = fake.client();
    let started = Instant::now();
    let err = client
        .list_events(&Cursor::Start)
        .attempt_timeout(Duration::from_millis(100))
        .retry(RetryPolicy::none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Timeout, "{err:?}");
    assert_eq!(err.attempts(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    // The client's own timeout (30 s) still applies to the next call.
    fake.clear_faults();
    client.list_events(&Cursor::Start).await.unwrap();
}

#[tokio::test]
async fn a_retry_policy_for_one_call_only() {
    let fake = FakeArtsvp::start().await.unwrap();
    let client = fake
        .client_builder()
        .retry(common::quick_retries())
        .build()
        .unwrap();
    fake.inject(FaultRule::new(Fault::Status(503)));
    let err = client
        .list_events(&Cursor::Start)
        .retry(RetryPolicy::none())
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.attempts()), (Some(503), 1));

    fake.inject(FaultRule::new(Fault::Status(503)));
    let response = client
        .list_events(&Cursor::Start)
        .with_response()
        .await
        .unwrap();
    assert_eq!(response.attempts(), 2, "the client's policy retried");
}

#[tokio::test]
async fn headers_for_one_call_only_and_never_over_the_key() {
    let fake = FakeArtsvp::start().await.unwrap();
    let client = fake.client();
    client
        .list_events(&Cursor::Start)
        .header("x-correlation-id", "job-42")
        .header("authorization", "not-the-key")
        .await
        .expect("the key is still sent");
    client.list_events(&Cursor::Start).await.unwrap();
    let log = fake.requests().entries();
    assert_eq!(log[0].header("x-correlation-id"), Some("job-42"));
    assert_eq!(log[1].header("x-correlation-id"), None, "one call only");

    let err = client
        .list_events(&Cursor::Start)
        .header("bad header", "x")
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidRequest { .. }),
        "{err:?}"
    );
    let err = client
        .list_events(&Cursor::Start)
        .header("x-ok", "line\nbreak")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("x-ok"), "{err}");
    assert_eq!(fake.requests().len(), 2, "a bad header sends nothing");
}

#[tokio::test]
async fn a_response_says_its_status_request_id_attempts_and_rate_limit() {
    let fake = FakeArtsvp::start().await.unwrap();
    let client = fake.client();
    let event = fake.state().events[0].id.clone();
    let new = NewInvite::for_event(&event)
        .email("ann@example.com")
        .dedupe(Dedupe::Email);

    let first = client.create_invite(&new).with_response().await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.value().is_created());
    let id = first.request_id().expect("the fake sends x-request-id");
    assert!(id.starts_with("req_"), "{id}");
    assert_eq!(first.attempts(), 1);
    let before = first.rate_limit().expect("ARTSVP sends x-rate-limit-*");

    let second = client.create_invite(&new).with_response().await.unwrap();
    assert_eq!(second.status(), 200);
    assert!(!second.value().is_created(), "the dedupe filter matched");
    assert_ne!(second.request_id(), first.request_id());
    assert_eq!(
        second.rate_limit().unwrap().remaining,
        before.remaining - 1,
        "each response carries the state after it"
    );
    assert_eq!(second.headers()["content-type"], "application/json");

    // Errors carry the request id too.
    let err = client.get_invite("inv-missing").await.unwrap_err();
    assert!(
        err.request_id().is_some_and(|id| id.starts_with("req_")),
        "{err:?}"
    );
}

#[derive(Default)]
struct Recorder {
    attempts: Mutex<Vec<AttemptEvent>>,
    waits: Mutex<Vec<PacingEvent>>,
    quota: Mutex<Vec<QuotaEvent>>,
}

impl Observer for Recorder {
    fn attempt(&self, event: &AttemptEvent) {
        self.attempts.lock().unwrap().push(event.clone());
    }
    fn paced(&self, event: &PacingEvent) {
        self.waits.lock().unwrap().push(event.clone());
    }
    fn quota(&self, event: &QuotaEvent) {
        self.quota.lock().unwrap().push(*event);
    }
}

/// What the observer heard of a `list_events` whose first attempt got a
/// 503: a retry, then a success, each taking its turn in the quota of 2.
fn a_retry_then_a_success_each_in_its_quota_turn(recorder: &Recorder) {
    let attempts = recorder.attempts.lock().unwrap().clone();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(
        (attempts[0].api, attempts[0].operation, attempts[0].attempt),
        ("ARTSVP", "list_events", 1)
    );
    assert_eq!(attempts[0].status, Some(503));
    assert!(
        matches!(
            attempts[0].outcome,
            AttemptOutcome::Retry {
                reason: "gateway error",
                ..
            }
        ),
        "{:?}",
        attempts[0].outcome
    );
    assert_eq!(attempts[1].status, Some(200));
    assert_eq!(attempts[1].outcome, AttemptOutcome::Success);
    // Each attempt took its turn in the quota: 1 left, then none.
    let turns = recorder.quota.lock().unwrap().clone();
    let left: Vec<Option<u64>> = turns.iter().map(|t| t.left).collect();
    assert_eq!(left, [Some(1), Some(0)], "{turns:?}");
    for turn in &turns {
        assert_eq!(
            (turn.api, turn.store, turn.shared),
            ("ARTSVP", "memory", true)
        );
        assert_eq!(turn.quota, Some(Quota::new(2, Duration::from_millis(400))));
    }
}

#[tokio::test]
async fn an_observer_sees_every_attempt_retry_and_pacing_wait() {
    let fake = FakeArtsvp::start().await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let client = fake
        .client_builder()
        .retry(common::quick_retries())
        .quota(Some(Quota::new(2, Duration::from_millis(400))))
        .observer(recorder.clone())
        .build()
        .unwrap();

    fake.inject(FaultRule::new(Fault::Status(503)).on("GET", "/events"));
    client.list_events(&Cursor::Start).await.unwrap();
    a_retry_then_a_success_each_in_its_quota_turn(&recorder);

    // The quota of 2 is spent: the next call waits for a token.
    assert!(recorder.waits.lock().unwrap().is_empty());
    client.get_invite("inv-missing").await.unwrap_err();
    let waits = recorder.waits.lock().unwrap().clone();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!(waits[0].reason, PacingReason::Quota);
    assert_eq!(waits[0].operation, "get_invite");
    assert!(
        waits[0].wait >= Duration::from_millis(100),
        "{:?}",
        waits[0].wait
    );
    let last = recorder.attempts.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (last.status, last.outcome),
        (Some(404), AttemptOutcome::Failed)
    );
}

#[tokio::test]
async fn a_call_timeout_bounds_the_whole_call_retries_included() {
    let fake = common::slow_artsvp(Duration::from_secs(3)).await;
    // The client's own per-request timeout is 30 s: the call's 500 ms wins.
    let started = Instant::now();
    let err = fake
        .client()
        .list_events(&Cursor::Start)
        .timeout(Duration::from_millis(500))
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(700), "took {took:?}");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Deadline { timeout, stage: DeadlineStage::Attempt }
                if *timeout == Duration::from_millis(500)
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("the call's timeout of 500 ms passed during an attempt"),
        "{err}"
    );
    assert_eq!(err.was_sent(), Sent::Maybe);
    assert!(
        err.is_retryable(),
        "a read that timed out may succeed later"
    );

    // With 200 ms attempts, the call retries inside its 500 ms.
    let client = fake
        .client_builder()
        .retry(common::quick_retries())
        .request_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .list_events(&Cursor::Start)
        .timeout(Duration::from_millis(500))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(700));
    assert!(err.attempts() >= 2, "{err:?}");
    assert!(matches!(err.kind(), ErrorKind::Deadline { .. }), "{err:?}");
}

#[tokio::test]
async fn a_wait_that_would_pass_the_deadline_fails_at_once_and_says_why() {
    let fake = FakeArtsvp::start().await.unwrap();
    // A 429 that asks for 5 s: waiting would pass a 1 s deadline.
    fake.inject(FaultRule::new(Fault::TooManyRequests { retry_after: 5 }));
    let client = fake.client();
    let started = Instant::now();
    let err = client
        .get_event(&fake.events()[0].id)
        .timeout(Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(500), "not waited");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Deadline {
                stage: DeadlineStage::RetryAfter { wait },
                ..
            } if *wait == Duration::from_secs(5)
        ),
        "{err:?}"
    );
    assert_eq!((err.attempts(), err.status()), (1, Some(429)));
    assert!(
        err.to_string().contains("the server asked to wait"),
        "{err}"
    );

    // The client quota's wait, before anything is sent.
    let paced = fake
        .client_builder()
        .quota(Some(Quota::new(1, Duration::from_secs(60))))
        .build()
        .unwrap();
    paced.get_event(&fake.events()[0].id).await.unwrap();
    let err = paced
        .get_event(&fake.events()[0].id)
        .timeout(Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Deadline {
                stage: DeadlineStage::Pacing {
                    reason: PacingReason::Quota,
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 0);
    assert_eq!(err.was_sent(), Sent::No);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_client_timeout_is_every_calls_deadline() {
    let fake = common::slow_artsvp(Duration::from_secs(3)).await;
    let client = fake
        .client_builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.list_events(&Cursor::Start).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(600));
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Deadline {
                stage: DeadlineStage::Attempt,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_call_names_its_operation_and_prints_its_settings_without_values() {
    let (_fake, client) = common::artsvp_fake().await;
    let call = client
        .get_event("eve-1")
        .timeout(Duration::from_secs(3))
        .header("x-trace", "secret-trace-value");
    assert_eq!(call.operation(), "get_event");
    let shown = format!("{call:?}");
    assert!(
        shown.starts_with("Call { operation: \"get_event\", timeout: Some(3s)"),
        "{shown}"
    );
    assert!(shown.contains("\"x-trace\""), "header names: {shown}");
    assert!(
        !shown.contains("secret-trace-value"),
        "no header values: {shown}"
    );
    assert_eq!(
        client.list_invites(&Default::default()).operation(),
        "list_invites"
    );
}

#[tokio::test]
async fn a_value_the_generated_client_refuses_is_no_attempt() {
    let fake = FakeArtsvp::start().await.unwrap();
    let err = common::artsvp(&fake)
        .list_events(&Cursor::After(String::new()))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidRequest { .. }),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 0, "nothing was sent");
    assert!(fake.requests().is_empty());
}
