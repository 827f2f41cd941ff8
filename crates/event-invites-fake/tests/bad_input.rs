//! Bad input never panics a fake server: each request gets the API's own
//! error response, the server goes on answering, and its state is as it was.

mod common;

use std::io::{Read, Write};

use artsvp_api::types::ErrorBody;
use event_invites_fake::{FakeArtsvp, FakeSecureGate};
use reqwest::Method;

/// A request and the status it must get: method, path, JSON body.
type Case = (Method, String, Option<String>, u16);

/// Sends each case to `fake`: each gets its status and ARTSVP's error body;
/// then the server still answers and no invite or booking changed.
async fn assert_refused_changing_nothing(fake: &FakeArtsvp, cases: Vec<Case>) {
    let http = common::http_with("authorization", fake.api_key());
    let (invites, bookings) = (fake.invites(), fake.bookings());
    for (method, path, body, expected) in cases {
        let mut request = http.request(method.clone(), format!("{}{path}", fake.base_url()));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, expected, "{method} {path}: {text}");
        let body: ErrorBody = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path}: not the error body ({e}): {text}"));
        assert!(
            body.error.is_some() && body.message.is_some(),
            "{method} {path}: {text}"
        );
    }

    common::assert_artsvp_answers(fake).await;
    assert_eq!(fake.invites(), invites, "no invite changed");
    assert_eq!(fake.bookings(), bookings, "no booking changed");
}

#[tokio::test]
async fn bad_create_and_batch_bodies_get_the_error_body_and_change_nothing() {
    let fake = FakeArtsvp::builder().invites(20).start().await.unwrap();
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(2 << 20));
    let cases: Vec<Case> = vec![
        (
            Method::POST,
            "/invites".into(),
            Some("{not json".into()),
            400,
        ),
        (Method::POST, "/invites".into(), Some("".into()), 400),
        (Method::POST, "/invites".into(), Some("[]".into()), 422),
        (
            Method::POST,
            "/invites".into(),
            Some(r#"{"name": 5}"#.into()),
            422,
        ),
        (
            Method::POST,
            "/invites".into(),
            Some(r#"{"resource_id": "x", "total_count": -1}"#.into()),
            422,
        ),
        (
            Method::POST,
            "/invites".into(),
            Some(r#"{"email": "a@b", "filter": "email", "resource": "nope"}"#.into()),
            404,
        ),
        (Method::POST, "/invites".into(), Some(huge), 413),
        (
            Method::POST,
            "/invites/batch".into(),
            Some(r#"{"resource_tags": []}"#.into()),
            422,
        ),
        (
            Method::POST,
            "/invites/batch".into(),
            Some(r#"{"resource_tags": ["vip"], "filter": "email"}"#.into()),
            422,
        ),
    ];
    assert_refused_changing_nothing(&fake, cases).await;
}

#[tokio::test]
async fn bad_updates_get_the_error_body_and_change_nothing() {
    let fake = FakeArtsvp::builder().invites(20).start().await.unwrap();
    let invite = fake.invites()[0].id.clone();
    let cases: Vec<Case> = vec![
        (
            Method::PATCH,
            format!("/invites/{invite}"),
            Some(r#"{"total_count": "ten"}"#.into()),
            422,
        ),
        (
            Method::PATCH,
            format!("/invites/{invite}"),
            Some(r#"{"total_count": -3}"#.into()),
            422,
        ),
        (
            Method::PATCH,
            format!("/invites/{invite}"),
            Some(r#"{"name": "not whitelisted"}"#.into()),
            422,
        ),
    ];
    assert_refused_changing_nothing(&fake, cases).await;
}

#[tokio::test]
async fn bad_list_queries_get_the_error_body_and_change_nothing() {
    let fake = FakeArtsvp::builder().invites(20).start().await.unwrap();
    let queries = [
        "limit=99999999999999999999999",
        "limit=0",
        "limit=-1",
        "limit=ten",
        "resource_type=venue",
        "sort=desc",
        "starting_after=a&ending_before=b",
        "starting_after=",
        "starting_after=inv-never",
    ];
    let cases: Vec<Case> = queries
        .iter()
        .map(|q| (Method::GET, format!("/invites?{q}"), None, 400))
        .collect();
    assert_refused_changing_nothing(&fake, cases).await;
}

#[tokio::test]
async fn bad_paths_get_the_error_body_and_change_nothing() {
    let fake = FakeArtsvp::builder().invites(20).start().await.unwrap();
    let cases: Vec<Case> = vec![
        (Method::GET, "/invites/%FF%FE".into(), None, 400),
        (Method::GET, "/events/%C3%28".into(), None, 400),
        (Method::GET, "/nowhere".into(), None, 404),
        (Method::DELETE, "/events/x".into(), None, 405),
    ];
    assert_refused_changing_nothing(&fake, cases).await;
    // Bytes that are not UTF-8 in the request line itself.
    let addr = fake.base_url().trim_start_matches("http://").to_string();
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .write_all(b"GET /invites/\xff\xfe HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");

    common::assert_artsvp_answers(&fake).await;
}

#[tokio::test]
async fn securegate_answers_bad_input_as_fastapi_would() {
    let fake = FakeSecureGate::start().await.unwrap();
    let http = common::http_with("x-api-key", fake.api_key());
    let event = fake.event_ids()[0].clone();
    for (path, expected) in [
        (format!("/events/{event}/invites?status=ACCEPTED"), 422),
        (format!("/events/{event}/invites?status="), 422),
        ("/events/%FF/invites".to_string(), 422),
        (format!("/events/{event}/invites?page=2"), 200),
        ("/events".to_string(), 404),
    ] {
        let response = http
            .get(format!("{}{path}", fake.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), expected, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        if expected != 200 {
            assert!(body.get("detail").is_some(), "{path}: {body}");
        }
    }
    let invites = common::securegate_invites(&fake, &event).await;
    assert_eq!(invites.len(), 24);
}

/// Sends `body` as JSON to `fake` with its key.
async fn send_json(
    fake: &FakeArtsvp,
    method: Method,
    path: String,
    body: String,
) -> reqwest::Response {
    common::http_with("authorization", fake.api_key())
        .request(method, format!("{}{path}", fake.base_url()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the fake answers")
}

/// Whether ARTSVP's error body names `field` first.
fn refused(field: &str, body: &ErrorBody) -> bool {
    body.errors
        .as_ref()
        .and_then(|e| e.first())
        .and_then(|e| e.field.clone())
        .as_deref()
        == Some(field)
}

#[tokio::test]
async fn explicit_nulls_are_refused_naming_the_field() {
    let fake = FakeArtsvp::builder().invites(3).start().await.unwrap();
    let event = fake.events()[0].id.clone();
    let invite = fake.invites()[0].id.clone();
    let booking = fake.bookings()[0].id.clone();
    let send = |method, path, body| send_json(&fake, method, path, body);
    // Spec item 20: no request field is nullable; null is refused, not ignored.
    for (method, path, body, field) in [
        (
            Method::POST,
            "/invites".to_string(),
            format!(r#"{{"resource_id": "{event}", "golden": null}}"#),
            "golden",
        ),
        (
            Method::POST,
            "/invites".to_string(),
            format!(r#"{{"resource_id": "{event}", "tags": null}}"#),
            "tags",
        ),
        (
            Method::POST,
            "/invites/batch".to_string(),
            r#"{"resource_tags": ["vip"], "filter": null}"#.to_string(),
            "filter",
        ),
        (
            Method::PATCH,
            format!("/invites/{invite}"),
            r#"{"total_count": null}"#.to_string(),
            "total_count",
        ),
        (
            Method::PATCH,
            format!("/bookings/{booking}"),
            r#"{"email": null}"#.to_string(),
            "email",
        ),
    ] {
        let before = (fake.invites(), fake.bookings());
        let response = send(method, path.clone(), body).await;
        assert_eq!(response.status(), 422, "{path}");
        let error: ErrorBody = response.json().await.unwrap();
        assert!(refused(field, &error), "{path}: {error:?}");
        assert_eq!((fake.invites(), fake.bookings()), before, "nothing changed");
    }
}

#[tokio::test]
async fn whole_floats_count_as_integers_and_fractions_are_refused_naming_the_field() {
    let fake = FakeArtsvp::builder().invites(3).start().await.unwrap();
    let event = fake.events()[0].id.clone();
    let invite = fake.invites()[0].id.clone();
    let send = |method, path, body| send_json(&fake, method, path, body);
    // Spec item 21: 5.0 is the integer 5; 5.5 is refused, naming the field.
    let response = send(
        Method::POST,
        "/invites".into(),
        format!(r#"{{"resource_id": "{event}", "total_count": 5.0}}"#),
    )
    .await;
    assert_eq!(response.status(), 201);
    let made: serde_json::Value = response.json().await.unwrap();
    assert_eq!(made["amount_used"], "0/5");
    let response = send(
        Method::PATCH,
        format!("/invites/{invite}"),
        r#"{"total_count": 5.5}"#.into(),
    )
    .await;
    assert_eq!(response.status(), 422);
    let error: ErrorBody = response.json().await.unwrap();
    assert!(refused("total_count", &error), "{error:?}");
    assert!(format!("{error:?}").contains("whole number"), "{error:?}");
}
