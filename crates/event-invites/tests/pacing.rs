//! Pacing against the fake server's quota: a burst above the quota gets no
//! 429, from one client or from many clones of it at once.

mod common;

use event_invites::artsvp::Cursor;
use event_invites::{Quota, RetryPolicy};
use event_invites_fake::{FakeArtsvp, RateLimit};

fn four_twenty_nines(fake: &FakeArtsvp) -> usize {
    fake.requests().count(|r| r.status == Some(429))
}

/// A fake ARTSVP that answers `per_second` requests a second.
async fn limited_to(per_second: u64) -> FakeArtsvp {
    let limit = RateLimit::per_second(per_second);
    FakeArtsvp::builder()
        .rate_limit(limit)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sequential_burst_above_the_quota_gets_no_429() {
    let fake = limited_to(15).await;
    // No client quota: only the server's headers pace it.
    let client = common::artsvp_with(&fake, RetryPolicy::none(), None);
    for _ in 0..40 {
        client.list_events(&Cursor::Start).await.unwrap();
    }
    assert_eq!(four_twenty_nines(&fake), 0);
    let state = client.rate_limit().expect("the server's headers were read");
    assert_eq!(state.limit, Some(15));
}

#[tokio::test]
async fn clones_share_one_pacer() {
    let fake = limited_to(12).await;
    let client = common::artsvp_with(&fake, RetryPolicy::none(), None);
    client.list_events(&Cursor::Start).await.unwrap();
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..5 {
                    client.list_events(&Cursor::Start).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(four_twenty_nines(&fake), 0);
    assert_eq!(fake.requests().len(), 31);
}

#[tokio::test]
async fn the_client_quota_paces_without_any_server_headers() {
    let fake = FakeArtsvp::builder().unlimited().start().await.unwrap();
    let client = common::artsvp_with(&fake, RetryPolicy::none(), Some(Quota::per_second(20)));
    let started = std::time::Instant::now();
    for _ in 0..30 {
        client.list_events(&Cursor::Start).await.unwrap();
    }
    // 20 in the first burst, 10 more at 20 per second: at least half a second.
    assert!(started.elapsed() >= std::time::Duration::from_millis(450));
    assert!(
        client.rate_limit().is_none(),
        "this server sends no rate-limit headers"
    );
}
