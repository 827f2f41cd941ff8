//! Authentication comes first, in both fakes: a request without the key
//! (or with a wrong one) is answered 401 whatever the rate-limit window
//! holds, and spends nothing of the key's quota, as the vendors' per-key
//! quotas do.

use std::time::Duration;

use event_invites_fake::{FakeArtsvp, FakeSecureGate, RateLimit};

/// Two requests a minute.
const QUOTA: RateLimit = RateLimit {
    limit: 2,
    window: Duration::from_secs(60),
};

/// `GET url` with `header: key` (no header when `key` is `None`): the status.
async fn status(url: &str, header: &str, key: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new().get(url);
    if let Some(key) = key {
        request = request.header(header, key);
    }
    request.send().await.unwrap().status().as_u16()
}

/// Unauthenticated requests first (none spends the quota), then the key's
/// two, then 429 for the key and still 401 without it.
async fn assert_auth_before_quota(url: &str, header: &str, key: &str) {
    for _ in 0..5 {
        assert_eq!(status(url, header, None).await, 401, "no key");
        assert_eq!(status(url, header, Some("wrong")).await, 401, "a wrong key");
    }
    assert_eq!(
        status(url, header, Some(key)).await,
        200,
        "the quota is whole"
    );
    assert_eq!(status(url, header, Some(key)).await, 200);
    assert_eq!(status(url, header, Some(key)).await, 429, "now it is spent");
    assert_eq!(
        status(url, header, None).await,
        401,
        "spent: still 401, not 429"
    );
    assert_eq!(status(url, header, Some("wrong")).await, 401);
}

#[tokio::test]
async fn artsvp_answers_401_before_its_quota_and_spends_none_of_it() {
    let fake = FakeArtsvp::builder()
        .rate_limit(QUOTA)
        .start()
        .await
        .unwrap();
    let url = format!("{}/events", fake.base_url());
    assert_auth_before_quota(&url, "authorization", fake.api_key()).await;
}

#[tokio::test]
async fn securegate_answers_401_before_its_quota_and_spends_none_of_it() {
    let fake = FakeSecureGate::builder()
        .rate_limit(QUOTA)
        .start()
        .await
        .unwrap();
    let url = format!("{}/events/{}/invites", fake.base_url(), fake.event_ids()[0]);
    assert_auth_before_quota(&url, "x-api-key", fake.api_key()).await;
}
