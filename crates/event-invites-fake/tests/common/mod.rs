//! Clients pointed at the fake servers: the generated clients, with the API
//! key as a default header, and a raw reqwest client for hand-made requests.

#![allow(dead_code)]

use event_invites_fake::{FakeArtsvp, FakeSecureGate};
use reqwest::header::{HeaderMap, HeaderValue};

pub fn http_with(header: &'static str, key: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(header, HeaderValue::from_str(key).unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

pub fn artsvp(fake: &FakeArtsvp) -> artsvp_api::Client {
    artsvp_api::Client::new_with_client(fake.base_url(), http_with("authorization", fake.api_key()))
}

/// A fake ARTSVP with its seeded data, and an [`artsvp`] client of it.
pub async fn artsvp_fake() -> (FakeArtsvp, artsvp_api::Client) {
    let fake = FakeArtsvp::start().await.unwrap();
    let client = artsvp(&fake);
    (fake, client)
}

pub fn artsvp_with_key(fake: &FakeArtsvp, key: &str) -> artsvp_api::Client {
    artsvp_api::Client::new_with_client(fake.base_url(), http_with("authorization", key))
}

pub fn securegate(fake: &FakeSecureGate) -> securegate_api::Client {
    securegate_api::Client::new_with_client(fake.base_url(), http_with("x-api-key", fake.api_key()))
}

/// The invites SecureGate lists for `event`, through the generated client.
pub async fn securegate_invites(
    fake: &FakeSecureGate,
    event: &str,
) -> Vec<securegate_api::types::Invite> {
    securegate(fake)
        .get_invites()
        .event_id(event)
        .send()
        .await
        .unwrap()
        .into_inner()
}

/// The status of a generated client's error, whatever its kind.
pub fn status_of<T, E>(result: Result<T, artsvp_api::Error<E>>) -> Option<u16> {
    match result {
        Ok(_) => Some(200),
        Err(e) => e.status().map(|s| s.as_u16()),
    }
}

/// The body of `GET url` with `header: key`, as JSON: what the fake wrote,
/// before any client decodes it.
pub async fn raw_json(header: &'static str, key: &str, url: String) -> serde_json::Value {
    let response = http_with(header, key).get(url).send().await.unwrap();
    response.json().await.unwrap()
}

/// The fake ARTSVP still answers (after bad input or a fault).
pub async fn assert_artsvp_answers(fake: &FakeArtsvp) {
    artsvp(fake)
        .list_events()
        .send()
        .await
        .expect("the server still answers");
}
