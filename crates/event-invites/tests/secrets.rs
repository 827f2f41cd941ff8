//! The API key never shows: not in `Debug` of any facade type, not in an
//! error's `Display` or `Debug`, not in tracing output (with every level on).

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use event_invites::artsvp::{Cursor, NewInvite};
use event_invites::{Artsvp, RetryPolicy, SecureGate};
use event_invites_fake::{FakeArtsvp, FakeSecureGate, Fault, FaultRule};

const KEY: &str = "sk_live_9f8e7d6c5b4a";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Every trace event of this thread, captured while the guard lives.
fn trace_everything() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// What a success, retries and several kinds of failure show: each error's
/// text and `Debug`.
async fn failures_shown(fake: &FakeArtsvp, client: &Artsvp, refused: &Artsvp) -> Vec<String> {
    let mut shown = Vec::new();
    client.list_events(&Cursor::Start).await.unwrap();
    fake.inject(FaultRule::new(Fault::Status(503)).times(2));
    client.list_events(&Cursor::Start).await.unwrap();
    fake.inject(FaultRule::new(Fault::MalformedJson));
    let errors = vec![
        client.list_events(&Cursor::Start).await.unwrap_err(),
        client.get_invite("inv-missing").await.unwrap_err(),
        client
            .create_invite(&NewInvite::for_event("eve-missing"))
            .await
            .unwrap_err(),
        refused.list_events(&Cursor::Start).await.unwrap_err(),
        Artsvp::builder()
            .api_key(format!("{KEY} "))
            .build()
            .unwrap_err(),
    ];
    for err in &errors {
        shown.push(err.to_string());
        shown.push(format!("{err:?}"));
    }

    shown
}

/// A SecureGate call with the same key, and the client's `Debug`.
async fn securegate_shown() -> String {
    let sg_fake = FakeSecureGate::builder()
        .api_key(KEY)
        .start()
        .await
        .unwrap();
    let securegate = SecureGate::builder()
        .base_url(sg_fake.base_url())
        .api_key(KEY)
        .build()
        .unwrap();
    securegate.invites(&sg_fake.event_ids()[0]).await.unwrap();
    format!("{securegate:?}")
}

#[tokio::test]
async fn the_key_never_appears_in_debug_errors_or_traces() {
    let (captured, _guard) = trace_everything();

    let fake = FakeArtsvp::builder().api_key(KEY).start().await.unwrap();
    let client = fake
        .client_builder()
        .retry(common::quick_retries())
        .build()
        .unwrap();
    // A key that is one letter off, which the fake refuses.
    let refused = fake
        .client_builder()
        .api_key(format!("{KEY}x"))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let mut shown = vec![
        format!("{client:?}"),
        format!("{refused:?}"),
        format!("{:?}", Artsvp::builder().api_key(KEY)),
        // The generated client shares the facade's HTTP client, which
        // carries the key as a (sensitive) default header.
        format!("{:?}", client.raw()),
    ];

    shown.extend(failures_shown(&fake, &client, &refused).await);
    shown.push(securegate_shown().await);

    let traces = captured.text();
    assert!(
        traces.contains("event_invites.call"),
        "spans were traced: {traces}"
    );
    assert!(traces.contains("retrying"), "retries were traced");
    assert!(
        traces.contains("operation=\"list_events\"") || traces.contains("operation=list_events")
    );
    shown.push(traces);
    for text in shown {
        assert!(!text.contains(KEY), "the key leaked: {text}");
    }
}
