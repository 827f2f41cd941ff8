//! Soak: many calls through one client, 32 at a time, a tenth of the
//! requests given a random fault. Every call ends in success or a typed
//! error, the server's final state is what the successful calls imply,
//! memory does not grow with the number of calls, and nothing is left
//! running. `SOAK_CALLS` sets the number of calls (default 10,000).

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use event_invites::artsvp::{Dedupe, InviteQuery, InviteUpdate, NewInvite};
use event_invites::{Artsvp, Error, ErrorKind};
use event_invites_fake::{FakeArtsvp, Fault, FaultRule};
use tokio::sync::Semaphore;

fn calls() -> usize {
    std::env::var("SOAK_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// Resident memory of this process, in bytes (Linux).
fn resident() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn random_fault(roll: u64) -> FaultRule {
    let fault = match roll % 10 {
        0 => Fault::Status(500),
        1 => Fault::Status(502),
        2 => Fault::Status(503),
        3 => Fault::TooManyRequests { retry_after: 0 },
        4 => Fault::DropConnection,
        5 => Fault::TruncatedBody,
        6 => Fault::MalformedJson,
        7 => Fault::UnknownEnumValue,
        8 => Fault::ExtraFields,
        _ => Fault::Latency(Duration::from_millis(5)),
    };
    let rule = FaultRule::new(fault);
    if roll.is_multiple_of(3) {
        rule.after_write()
    } else {
        rule
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Created,
    Failed,
    Other,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_calls_with_faults() {
    let total = calls();
    let fake = FakeArtsvp::builder()
        .invites(40)
        .unlimited()
        .request_log_limit(64)
        .start()
        .await
        .unwrap();
    let client = common::artsvp_builder(&fake)
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let event = fake.events()[0].id.clone();
    let existing: Arc<Vec<String>> = Arc::new(fake.invites().into_iter().map(|i| i.id).collect());
    let before = fake.invites().len();
    let fake = Arc::new(fake);
    let gate = Arc::new(Semaphore::new(32));
    let mut rss_after_warmup = None;
    let mut outcomes: HashMap<usize, Outcome> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();

    for i in 0..total {
        if i == total / 5 {
            drain(&mut tasks, &mut outcomes).await;
            rss_after_warmup = resident();
        }
        let roll = fastrand_like(i as u64);
        if roll.is_multiple_of(10) {
            fake.inject(random_fault(roll / 10));
        }
        let permit = gate.clone().acquire_owned().await.unwrap();
        let (client, event, existing) = (client.clone(), event.clone(), existing.clone());
        tasks.spawn(async move {
            let _permit = permit;
            (i, one_call(&client, &event, &existing, i).await)
        });
    }
    drain(&mut tasks, &mut outcomes).await;
    assert_eq!(outcomes.len(), total, "every call ended");

    fake.clear_faults();
    assert_every_create_held_once(&fake, &outcomes, before);

    // Memory does not grow with the number of calls (the store grows by the
    // invites made, a few hundred bytes each).
    if let (Some(warm), Some(end)) = (rss_after_warmup, resident()) {
        let allowed = warm + 48 * 1024 * 1024;
        assert!(
            end <= allowed,
            "resident memory grew from {warm} to {end} bytes"
        );
    }

    drop(client);
    let fake = Arc::into_inner(fake).expect("the only handle");
    assert_nothing_left_running(fake).await;
}

/// Waits for every call under way, noting how each ended.
async fn drain(
    tasks: &mut tokio::task::JoinSet<(usize, Outcome)>,
    outcomes: &mut HashMap<usize, Outcome>,
) {
    while let Some(done) = tasks.join_next().await {
        let (n, outcome) = done.expect("no call panicked");
        outcomes.insert(n, outcome);
    }
}

/// Call number `i`: a deduped create, a read, an update or a list, by `i`.
async fn one_call(client: &Artsvp, event: &str, existing: &[String], i: usize) -> Outcome {
    match i % 4 {
        0 => match client
            .create_invite(
                &NewInvite::for_event(event)
                    .email(format!("soak{i}@example.com"))
                    .dedupe(Dedupe::Email),
            )
            .await
        {
            Ok(_) => Outcome::Created,
            Err(e) => {
                assert_typed(&e);
                Outcome::Failed
            }
        },
        1 => settle(
            client
                .get_invite(&existing[i % existing.len()])
                .await
                .map(|_| ()),
        ),
        2 => settle(
            client
                .update_invite(
                    &existing[i % existing.len()],
                    &InviteUpdate::new().total_count((i % 50) as u32),
                )
                .await
                .map(|_| ()),
        ),
        _ => settle(
            client
                .list_invites(&InviteQuery::new().limit(20))
                .await
                .map(|_| ()),
        ),
    }
}

/// The server holds exactly the invites the successful creates made, and
/// never a duplicate.
fn assert_every_create_held_once(
    fake: &FakeArtsvp,
    outcomes: &HashMap<usize, Outcome>,
    before: usize,
) {
    let invites = fake.invites();
    let mut copies: HashMap<String, usize> = HashMap::new();
    for invite in &invites {
        if let Some(email) = &invite.email {
            *copies.entry(email.clone()).or_default() += 1;
        }
    }
    let mut made = 0;
    for (n, outcome) in outcomes {
        let held = copies
            .get(&format!("soak{n}@example.com"))
            .copied()
            .unwrap_or(0);
        match outcome {
            Outcome::Created => assert_eq!(held, 1, "call {n} reported a create"),
            Outcome::Failed => assert!(held <= 1, "call {n}: {held} copies"),
            Outcome::Other => {}
        }
        made += held;
    }
    assert_eq!(invites.len(), before + made, "nothing else was created");
}

/// Once `fake` is shut down (the last client dropped), no task is left.
async fn assert_nothing_left_running(fake: FakeArtsvp) {
    fake.shutdown().await;
    let metrics = tokio::runtime::Handle::current().metrics();
    let mut alive = metrics.num_alive_tasks();
    for _ in 0..100 {
        if alive == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        alive = metrics.num_alive_tasks();
    }
    assert_eq!(alive, 0, "tasks left running");
}

/// A cheap deterministic spread of numbers, so runs are repeatable.
fn fastrand_like(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn settle(result: Result<(), Error>) -> Outcome {
    if let Err(e) = &result {
        assert_typed(e);
    }
    Outcome::Other
}

/// Every failure is one the faults can cause, never a surprise.
fn assert_typed(e: &Error) {
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Server
                | ErrorKind::Decode(_)
                | ErrorKind::Transport(_)
                | ErrorKind::Timeout
                | ErrorKind::RateLimited { .. }
                | ErrorKind::NotFound { .. }
        ),
        "an unexpected error: {e:?}"
    );
}
