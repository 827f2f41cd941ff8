use super::*;

fn headers(remaining: u64, reset: u64) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("x-rate-limit-limit", "50".parse().unwrap());
    h.insert(
        "x-rate-limit-remaining",
        remaining.to_string().parse().unwrap(),
    );
    h.insert("x-rate-limit-reset", reset.to_string().parse().unwrap());
    h
}

#[tokio::test]
async fn the_local_quota_allows_a_burst_then_paces() {
    let pacer = Pacer::new(Some(Quota::per_second(3)));
    let now = Instant::now();
    for _ in 0..3 {
        assert_eq!(pacer.try_acquire(now).await, None);
    }
    let (wait, reason) = pacer.try_acquire(now).await.expect("the bucket is empty");
    assert_eq!(reason, PacingReason::Quota);
    assert!(
        wait > Duration::from_millis(300) && wait <= Duration::from_millis(334),
        "{wait:?}"
    );
    assert_eq!(
        pacer.try_acquire(now + Duration::from_millis(334)).await,
        None
    );
}

#[tokio::test]
async fn a_partly_refilled_bucket_waits_only_for_the_rest_of_a_token() {
    // 4 per 2 s: a token every 500 ms.
    let quota = Quota::new(4, Duration::from_secs(2));
    let pacer = Pacer::new(Some(quota));
    assert_eq!(pacer.quota(), Some(quota));
    let now = Instant::now();
    for _ in 0..4 {
        assert_eq!(pacer.try_acquire(now).await, None);
    }
    // 250 ms later half a token is back: 250 ms more to wait.
    let (wait, reason) = pacer
        .try_acquire(now + Duration::from_millis(250))
        .await
        .expect("half a token is not one");
    assert_eq!(reason, PacingReason::Quota);
    let ms = wait.as_millis();
    assert!((249..=251).contains(&ms), "{wait:?}");
    // Peeking says the same and counts nothing.
    let (peeked, _) = pacer.peek().expect("still waiting");
    assert!(peeked > Duration::from_millis(200), "{peeked:?}");
    assert!(pacer.peek().is_some(), "a peek took nothing");
}

#[tokio::test]
async fn a_wait_past_the_deadline_is_refused_and_one_before_it_is_waited() {
    let pacer = Pacer::new(Some(Quota::new(1, Duration::from_secs(60))));
    assert_eq!(pacer.acquire_before(None).await, Ok(None));
    let soon = Instant::now() + Duration::from_secs(1);
    let (wait, reason) = pacer.acquire_before(Some(soon)).await.unwrap_err();
    assert_eq!(reason, PacingReason::Quota);
    assert!(wait > Duration::from_secs(59), "{wait:?}");

    let fast = Pacer::new(Some(Quota::new(1, Duration::from_millis(40))));
    assert_eq!(fast.acquire_before(None).await, Ok(None));
    let later = Instant::now() + Duration::from_secs(5);
    let (waited, why) = fast
        .acquire_before(Some(later))
        .await
        .unwrap()
        .expect("it waited for the next token");
    assert_eq!(why, PacingReason::Quota);
    assert!(waited >= Duration::from_millis(30), "{waited:?}");
}

#[tokio::test]
async fn what_is_available_now_is_the_fewer_of_tokens_and_server_budget() {
    let pacer = Pacer::new(Some(Quota::new(10, Duration::from_secs(60))));
    assert_eq!(pacer.available(), Some(10));
    pacer.observe(&headers(3, 30)).await;
    assert_eq!(pacer.available(), Some(3), "the server's budget is smaller");
    assert_eq!(Pacer::new(None).available(), None, "nothing known");
    pacer.block_for(Duration::from_secs(5)).await;
    assert_eq!(pacer.available(), Some(0));
}

#[tokio::test]
async fn no_quota_means_no_wait() {
    let pacer = Pacer::new(None);
    let now = Instant::now();
    for _ in 0..1_000 {
        assert_eq!(pacer.try_acquire(now).await, None);
    }
}

#[tokio::test]
async fn a_spent_server_budget_waits_for_the_window_end() {
    let pacer = Pacer::new(None);
    let t0 = Instant::now();
    pacer.observe_at(&headers(2, 1), t0).await;
    assert_eq!(pacer.try_acquire(t0).await, None);
    assert_eq!(pacer.try_acquire(t0).await, None);
    let (wait, reason) = pacer.try_acquire(t0).await.expect("budget spent");
    assert_eq!(reason, PacingReason::ServerWindow);
    assert_eq!(
        wait,
        Duration::from_secs(1),
        "until the latest possible end"
    );
    assert_eq!(
        pacer.try_acquire(t0 + Duration::from_secs(1)).await,
        None,
        "a new window"
    );
    assert_eq!(pacer.last().unwrap().remaining, 2);
}

#[tokio::test]
async fn readings_narrow_the_window_end() {
    let pacer = Pacer::new(None);
    let t0 = Instant::now();
    // At t0 the window has (0, 1] s left; at t0+0.6 it shows 1 s again,
    // so it ends in (t0+0.6, t0+1]; at t0+0.7 a reading of 1 s and 0 left.
    pacer.observe_at(&headers(10, 1), t0).await;
    pacer
        .observe_at(&headers(5, 1), t0 + Duration::from_millis(600))
        .await;
    pacer
        .observe_at(&headers(0, 1), t0 + Duration::from_millis(700))
        .await;
    let (wait, _) = pacer
        .try_acquire(t0 + Duration::from_millis(700))
        .await
        .expect("budget spent");
    assert_eq!(
        wait,
        Duration::from_millis(300),
        "ends by t0+1s, the tightest bound"
    );
}

#[tokio::test]
async fn a_reading_of_a_later_window_starts_its_budget_afresh() {
    let pacer = Pacer::new(None);
    let t0 = Instant::now();
    // Spent, the window ending in (t0+1, t0+2].
    pacer.observe_at(&headers(0, 2), t0).await;
    assert!(pacer.try_acquire(t0).await.is_some(), "the budget is spent");
    // At t0+2.5 s a reading ending in (t0+3.5, t0+4.5]: a new window,
    // whose 10 are not the old window's 0.
    let later = t0 + Duration::from_millis(2_500);
    pacer.observe_at(&headers(10, 2), later).await;
    assert_eq!(
        pacer.try_acquire(later).await,
        None,
        "the new window's budget"
    );

    // Even before the known window is over: at t0+1.5 s a reading
    // ending in (t0+5.5, t0+6.5] begins after (t0+1, t0+2] ends, so it
    // is a new window, not the old one narrowed.
    let pacer = Pacer::new(None);
    pacer.observe_at(&headers(0, 2), t0).await;
    let early = t0 + Duration::from_millis(1_500);
    pacer.observe_at(&headers(10, 5), early).await;
    assert_eq!(pacer.try_acquire(early).await, None, "its own budget of 10");
}

#[tokio::test]
async fn requests_sent_before_the_first_reading_are_counted_against_it() {
    let pacer = Pacer::new(None);
    let t0 = Instant::now();
    for _ in 0..4 {
        assert_eq!(pacer.try_acquire(t0).await, None, "the budget is unknown");
    }
    // The first answer says 19 left: the three others in flight may
    // not be in that figure.
    pacer.observe_at(&headers(19, 1), t0).await;
    for _ in 0..16 {
        assert_eq!(pacer.try_acquire(t0).await, None);
    }
    assert!(
        pacer.try_acquire(t0).await.is_some(),
        "16 = 19 - 3, then wait"
    );
}

/// Two pacers on one host store: two processes sharing a key.
fn sharers(quota: Option<Quota>, name: &str) -> (Pacer, Pacer, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("pacing-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = || QuotaStore::host_in(&dir).unwrap();
    let a = Pacer::shared(quota, store(), "artsvp-test".into());
    let b = Pacer::shared(quota, store(), "artsvp-test".into());
    (a, b, dir)
}

#[tokio::test]
async fn pacers_sharing_a_host_store_share_one_quota() {
    let (a, b, dir) = sharers(Some(Quota::new(4, Duration::from_secs(60))), "share");
    let now = Instant::now();
    assert_eq!(a.try_acquire(now).await, None);
    assert_eq!(b.try_acquire(now).await, None);
    assert_eq!(a.try_acquire(now).await, None);
    assert_eq!(b.try_acquire(now).await, None);
    assert!(a.try_acquire(now).await.is_some(), "4 taken between them");
    assert!(b.try_acquire(now).await.is_some());
    assert_eq!(b.usage().await.left, Some(0));
    let text = std::fs::read_to_string(dir.join("artsvp-test.json")).unwrap();
    assert!(text.contains("tokens"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn clients_given_one_memory_store_share_one_quota() {
    let quota = Some(Quota::new(2, Duration::from_secs(60)));
    let store = QuotaStore::memory();
    let a = Pacer::shared(quota, store.clone(), "artsvp-x".into());
    let b = Pacer::shared(quota, store, "artsvp-x".into());
    let other = Pacer::shared(quota, QuotaStore::memory(), "artsvp-x".into());
    let now = Instant::now();
    assert_eq!(a.try_acquire(now).await, None);
    assert_eq!(b.try_acquire(now).await, None);
    assert!(a.try_acquire(now).await.is_some(), "2 taken between them");
    assert_eq!(
        other.try_acquire(now).await,
        None,
        "another store, another quota"
    );
}

#[tokio::test]
async fn what_one_sharer_reads_from_the_server_holds_the_other_back() {
    let (a, b, dir) = sharers(None, "learn");
    let now = Instant::now();
    a.observe_at(&headers(0, 5), now).await;
    let (wait, reason) = b
        .try_acquire(now)
        .await
        .expect("the window is spent for both");
    assert_eq!(reason, PacingReason::ServerWindow);
    assert!(wait > Duration::from_secs(4), "{wait:?}");
    a.block_for(Duration::from_secs(30)).await;
    assert!(b.usage().await.blocked_for.unwrap() > Duration::from_secs(29));
    // B's own copy has it too, since it asked the store.
    assert_eq!(b.peek().unwrap().1, PacingReason::RetryAfter);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Keeps every quota store event.
#[derive(Default)]
struct StoreEvents(Mutex<Vec<QuotaStoreEvent>>);

impl crate::Observer for StoreEvents {
    fn quota_store(&self, event: &QuotaStoreEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

#[tokio::test]
async fn a_store_that_fails_mid_run_leaves_pacing_to_the_process_until_it_is_back() {
    let (a, _b, dir) = sharers(Some(Quota::new(3, Duration::from_secs(60))), "fail");
    let events = std::sync::Arc::new(StoreEvents::default());
    let a = a.observed(Observers::new(Some(events.clone())), "ARTSVP");
    let now = Instant::now();
    assert_eq!(a.try_acquire(now).await, None);
    assert!(a.usage().await.shared);
    std::fs::remove_dir_all(&dir).unwrap();
    // Its own count goes on from the bucket as the store last had it:
    // 2 left of 3.
    assert_eq!(a.try_acquire(now).await, None);
    assert!(!a.usage().await.shared, "the store failed");
    assert_eq!(a.try_acquire(now).await, None);
    assert!(a.try_acquire(now).await.is_some(), "3 taken in all");
    // Back, but empty (a new directory): it starts from this process's
    // count, not from a full quota.
    std::fs::create_dir_all(&dir).unwrap();
    let (_, reason) = a.try_acquire(now).await.expect("still 3 taken");
    assert_eq!(reason, PacingReason::Quota);
    let usage = a.usage().await;
    assert!(usage.shared);
    assert_eq!(usage.left, Some(0));
    // Said once when it failed (with why) and once when it was back.
    let said = events.0.lock().unwrap().clone();
    assert_eq!(said.len(), 2, "{said:?}");
    assert_eq!(said[0].api, "ARTSVP");
    assert!(said[0].store.starts_with("host ("), "{said:?}");
    assert!(
        said[0].error.is_some() && said[1].error.is_none(),
        "{said:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn retry_after_blocks_everyone() {
    let pacer = Pacer::new(None);
    pacer.block_for(Duration::from_secs(5)).await;
    let (wait, reason) = pacer.try_acquire(Instant::now()).await.expect("blocked");
    assert!(
        wait > Duration::from_secs(4) && wait <= Duration::from_secs(5),
        "{wait:?}"
    );
    assert_eq!(reason, PacingReason::RetryAfter);
}
