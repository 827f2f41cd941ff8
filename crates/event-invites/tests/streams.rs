//! Pagination streams: every item once and in order, filters on every page,
//! forward and back, resumable, one page ahead, and no loops.

mod common;

use std::time::Duration;

use event_invites::ErrorKind;
use event_invites::artsvp::{BookingQuery, Cursor, InviteQuery};
use event_invites_fake::FakeArtsvp;
use futures_util::{StreamExt, TryStreamExt};

fn ids(items: &[event_invites::artsvp::Invite]) -> Vec<String> {
    items.iter().map(|i| i.id.clone()).collect()
}

#[tokio::test]
async fn every_invite_once_in_order_with_the_filters_on_every_page() {
    let fake = FakeArtsvp::builder().invites(300).start().await.unwrap();
    let client = common::artsvp(&fake);
    let event = fake.events()[0].id.clone();
    let expected: Vec<String> = fake
        .invites()
        .into_iter()
        .filter(|i| i.resource.as_ref().is_some_and(|r| r.id == event))
        .map(|i| i.id)
        .collect();
    assert!(expected.len() > 20, "enough for several pages");

    let streamed: Vec<_> = client
        .invites(InviteQuery::new().event(&event).limit(7))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&streamed), expected);
    let requests = fake.requests().entries();
    assert_eq!(requests.len(), expected.len().div_ceil(7));
    for request in &requests {
        let query = request.query.as_deref().unwrap();
        assert!(query.contains(&format!("resource_id={event}")), "{query}");
        assert!(query.contains("limit=7"), "{query}");
    }
}

#[tokio::test]
async fn pages_backward_come_newest_first() {
    let fake = FakeArtsvp::builder().invites(40).start().await.unwrap();
    let client = common::artsvp(&fake);
    let all: Vec<String> = fake.invites().into_iter().map(|i| i.id).collect();
    let back: Vec<_> = client
        .invites(
            InviteQuery::new()
                .limit(6)
                .cursor(Cursor::Before(all[25].clone())),
        )
        .try_collect()
        .await
        .unwrap();
    let expected: Vec<String> = all[..25].iter().rev().cloned().collect();
    assert_eq!(ids(&back), expected);
}

#[tokio::test]
async fn a_stream_resumes_exactly_where_another_stopped() {
    let fake = FakeArtsvp::builder().invites(50).start().await.unwrap();
    let client = common::artsvp(&fake);
    let all: Vec<String> = fake.invites().into_iter().map(|i| i.id).collect();

    let mut first = client.invites(InviteQuery::new().limit(8));
    let mut seen = Vec::new();
    for _ in 0..19 {
        seen.push(first.try_next().await.unwrap().unwrap().id);
    }
    let cursor = first.cursor();
    drop(first);
    let rest: Vec<_> = client
        .invites(InviteQuery::new().limit(8).cursor(cursor))
        .try_collect()
        .await
        .unwrap();
    seen.extend(ids(&rest));
    assert_eq!(seen, all, "nothing skipped, nothing repeated");
}

#[tokio::test]
async fn the_next_page_is_fetched_while_the_caller_works_and_no_further() {
    let fake = FakeArtsvp::builder().invites(100).start().await.unwrap();
    let client = common::artsvp(&fake);
    let mut pages = client.invite_pages(InviteQuery::new().limit(10));
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(first.items.len(), 10);
    // The second page is requested without the caller asking…
    tokio::time::timeout(Duration::from_secs(5), async {
        while fake.requests().len() < 2 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the next page is prefetched");
    // …and no third one until the caller takes the second.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(fake.requests().len(), 2, "one page ahead, no more");
    pages.next().await.unwrap().unwrap();
    let rest: Vec<_> = pages.try_collect().await.unwrap();
    assert_eq!(rest.len(), 8);
}

#[tokio::test]
async fn other_lists_stream_too() {
    let fake = FakeArtsvp::builder().invites(400).start().await.unwrap();
    let client = common::artsvp(&fake);
    let events: Vec<_> = client.events(Cursor::Start).try_collect().await.unwrap();
    assert_eq!(events, fake.events());
    let collections = client
        .collections(Cursor::Start)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(collections, fake.collections());
    let bookings = client
        .bookings(BookingQuery::new())
        .collect_all()
        .await
        .unwrap();
    assert_eq!(bookings.len(), fake.bookings().len());
    assert!(bookings.len() > 50, "more than one page of bookings");
}

#[tokio::test]
async fn an_error_ends_the_stream() {
    let (_fake, client) = common::artsvp_fake().await;
    let mut stream = client.invites(InviteQuery::new().cursor(Cursor::After("inv-never".into())));
    let err = stream.try_next().await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Validation { .. }),
        "{err:?}"
    );
    assert!(stream.next().await.is_none());
}

/// A client of a server whose list says "more" forever with the same
/// cursor, or with an empty page.
async fn misbehaving(body: serde_json::Value) -> event_invites::Artsvp {
    use axum::{Router, http::header::CONTENT_TYPE, routing::get};
    let body = body.to_string();
    let app = Router::new().route(
        "/invites",
        get(move || async move { ([(CONTENT_TYPE, "application/json")], body.clone()) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    event_invites::Artsvp::builder()
        .base_url(url)
        .api_key("k")
        .build()
        .unwrap()
}

fn invite_json(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "object": "invite", "code": "c", "golden": false,
        "register_interest": false, "url": "u", "used": false, "amount_used": "0/1",
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
    })
}

#[tokio::test]
async fn a_repeated_cursor_ends_the_stream_with_an_error() {
    let client = misbehaving(serde_json::json!({
        "object": "list", "data": [invite_json("inv-1")], "has_more": true, "last_invite_id": "inv-1"
    }))
    .await;
    let mut stream = client.invite_pages(InviteQuery::new());
    assert!(
        stream.next().await.unwrap().is_ok(),
        "the first page is fine"
    );
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Pagination { reason, .. } if reason.contains("second time")),
        "{err}"
    );
    assert_eq!(err.operation(), Some("list_invites"));
    assert!(stream.next().await.is_none(), "and it stops");
}

#[tokio::test]
async fn more_promised_after_an_empty_page_ends_the_stream_with_an_error() {
    let client = misbehaving(serde_json::json!({
        "object": "list", "data": [], "has_more": true, "last_invite_id": "inv-9"
    }))
    .await;
    let err = client
        .invites(InviteQuery::new())
        .collect_all()
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Pagination { reason, .. } if reason.contains("empty page")),
        "{err}"
    );
    assert_eq!(err.operation(), Some("list_invites"));
}
