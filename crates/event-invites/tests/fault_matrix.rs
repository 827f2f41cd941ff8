//! The fault matrix: every fault the fake server injects × every operation
//! class, each cell with its expected outcome written down below, and each
//! checked against both what the caller got and what the server holds
//! afterwards (nothing duplicated; a write reported as done is there; a
//! create whose outcome cannot be known says so). Below HTTP, a second
//! table: TLS refusals and an unreachable proxy, each failing every class
//! before anything reaches the API.

mod common;

use std::time::Duration;

use event_invites::artsvp::{Dedupe, InviteUpdate, NewInvite};
use event_invites::{Artsvp, ClientBuilder, Error, ErrorKind, TransportCause};
use event_invites_fake::{FakeArtsvp, FakeTls, Fault, FaultRule};

/// The operation classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Read,
    Patch,
    Delete,
    CreateWithFilter,
    CreateWithoutFilter,
}

const OPS: [Op; 5] = [
    Op::Read,
    Op::Patch,
    Op::Delete,
    Op::CreateWithFilter,
    Op::CreateWithoutFilter,
];

/// What the caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Got {
    Ok,
    Server,
    Decode,
    Unknown,
    /// A redirect, not followed.
    Redirected,
    /// A TLS handshake the client refused.
    Tls,
    /// No connection (to the proxy, here).
    Unreachable,
}

/// Whether the write is on the server afterwards (reads change nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// The write is there (exactly once for a create).
    Applied,
    /// The write is not there.
    NotApplied,
}

use Got::{Decode, Ok as Fine, Redirected, Server, Unknown};
use Held::{Applied, NotApplied};

/// A fault as the matrix injects it: on the first request of the operation
/// only; retries go through.
#[derive(Debug, Clone, Copy)]
enum Inject {
    Status(u16),
    TooManyRequests,
    LatencyPastTimeout,
    DropBeforeResponse,
    DropAfterWrite,
    TruncatedBody,
    MalformedJson,
    RedirectElsewhere,
    UnknownEnumValue,
    ExtraFields,
}

impl Inject {
    fn rule(self) -> FaultRule {
        let once = FaultRule::new;
        match self {
            Self::Status(code) => once(Fault::Status(code)),
            Self::TooManyRequests => once(Fault::TooManyRequests { retry_after: 1 }),
            Self::LatencyPastTimeout => once(Fault::Latency(Duration::from_secs(3))),
            Self::DropBeforeResponse => once(Fault::DropConnection),
            Self::DropAfterWrite => once(Fault::DropConnection).after_write(),
            Self::TruncatedBody => once(Fault::TruncatedBody),
            Self::MalformedJson => once(Fault::MalformedJson),
            Self::RedirectElsewhere => once(Fault::Redirect {
                status: 307,
                location: "http://127.0.0.1:9/elsewhere".into(),
            }),
            Self::UnknownEnumValue => once(Fault::UnknownEnumValue),
            Self::ExtraFields => once(Fault::ExtraFields),
        }
    }
}

/// The outcomes for Read, Patch, Delete, CreateWithFilter,
/// CreateWithoutFilter.
type Outcomes = [(Got, Held); 5];

/// Every class goes through (the read changes nothing).
const ALL_FINE: Outcomes = [
    (Fine, NotApplied),
    (Fine, Applied),
    (Fine, Applied),
    (Fine, Applied),
    (Fine, Applied),
];

/// Retried, except a create without a filter (it could make a duplicate).
const RETRIED_BUT_UNFILTERED: Outcomes = [
    (Fine, NotApplied),
    (Fine, Applied),
    (Fine, Applied),
    (Fine, Applied),
    (Server, NotApplied),
];

/// Retried; the unfiltered create cannot know what happened.
fn unknown_unfiltered(held: Held) -> Outcomes {
    let mut outcomes = ALL_FINE;
    outcomes[4] = (Unknown, held);
    outcomes
}

/// One row per fault and the outcome per class.
const MATRIX: &[(&str, Inject, Option<Outcomes>)] = &[
    // 500 is not retried: the server failed, nothing was written.
    ("500", Inject::Status(500), Some([(Server, NotApplied); 5])),
    // 502/503 are retried, except for a create without a filter.
    ("502", Inject::Status(502), Some(RETRIED_BUT_UNFILTERED)),
    ("503", Inject::Status(503), Some(RETRIED_BUT_UNFILTERED)),
    // A 429 did nothing: every operation is retried after Retry-After.
    ("429 + Retry-After", Inject::TooManyRequests, Some(ALL_FINE)),
    // Past the client's timeout the client gives up; the server drops the
    // request with the connection, so nothing is written. The unfiltered
    // create cannot know that: its outcome is unknown (`None` rows: see
    // `expected`).
    ("latency past the timeout", Inject::LatencyPastTimeout, None),
    (
        "dropped before the response",
        Inject::DropBeforeResponse,
        None,
    ),
    ("dropped after the write", Inject::DropAfterWrite, None),
    ("truncated body", Inject::TruncatedBody, None),
    // A 2xx whose body does not decode: the write happened, the error says
    // so by its status.
    (
        "malformed JSON",
        Inject::MalformedJson,
        Some([
            (Decode, NotApplied),
            (Decode, Applied),
            (Fine, Applied),
            (Decode, Applied),
            (Decode, Applied),
        ]),
    ),
    // A redirect is not followed (the key and the body would go to the
    // other origin), not retried, and carried nothing out.
    (
        "307 to another origin",
        Inject::RedirectElsewhere,
        Some([(Redirected, NotApplied); 5]),
    ),
    (
        "unknown enum value",
        Inject::UnknownEnumValue,
        Some(ALL_FINE),
    ),
    ("unknown extra fields", Inject::ExtraFields, Some(ALL_FINE)),
];

/// A row's outcomes; the lost answers' rows differ only in whether the
/// unfiltered create's write reached the server.
fn expected(inject: Inject, row: Option<Outcomes>) -> Outcomes {
    row.unwrap_or_else(|| match inject {
        Inject::DropAfterWrite | Inject::TruncatedBody => unknown_unfiltered(Applied),
        _ => unknown_unfiltered(NotApplied),
    })
}

fn route(op: Op) -> (&'static str, &'static str) {
    match op {
        Op::Read => ("GET", "/invites/{id}"),
        Op::Patch => ("PATCH", "/invites/{id}"),
        Op::Delete => ("DELETE", "/invites/{id}"),
        Op::CreateWithFilter | Op::CreateWithoutFilter => ("POST", "/invites"),
    }
}

const EMAIL: &str = "matrix@example.com";

/// Runs one operation; returns what the caller got.
async fn run(client: &Artsvp, op: Op, invite: &str, event: &str) -> Result<(), Error> {
    match op {
        Op::Read => client.get_invite(invite).await.map(|_| ()),
        Op::Patch => client
            .update_invite(invite, &InviteUpdate::new().total_count(42))
            .await
            .map(|_| ()),
        Op::Delete => client.delete_invite(invite).await,
        Op::CreateWithFilter => client
            .create_invite(
                &NewInvite::for_event(event)
                    .email(EMAIL)
                    .dedupe(Dedupe::Email),
            )
            .await
            .map(|_| ()),
        Op::CreateWithoutFilter => client
            .create_invite(&NewInvite::for_event(event).email(EMAIL))
            .await
            .map(|_| ()),
    }
}

fn got(result: &Result<(), Error>) -> Got {
    match result {
        Ok(()) => Fine,
        Err(e) if matches!(e.kind(), ErrorKind::Server) => Server,
        Err(e) if matches!(e.kind(), ErrorKind::Decode(_)) => Decode,
        Err(e) if e.is_outcome_unknown() => Unknown,
        Err(e) if matches!(e.kind(), ErrorKind::Redirect { .. }) => Redirected,
        Err(e) if matches!(e.kind(), ErrorKind::Transport(TransportCause::Tls(_))) => Got::Tls,
        Err(e) if e.kind() == &ErrorKind::Transport(TransportCause::ConnectionRefused) => {
            Got::Unreachable
        }
        Err(other) => panic!("an outcome the matrix does not expect: {other:?}"),
    }
}

fn held(fake: &FakeArtsvp, op: Op, invite: &str) -> Held {
    let applied = match op {
        Op::Read => false,
        Op::Patch => fake.invite(invite).unwrap().amount_used.ends_with("/42"),
        Op::Delete => fake.invite(invite).is_none(),
        Op::CreateWithFilter | Op::CreateWithoutFilter => {
            let copies = fake
                .invites()
                .iter()
                .filter(|i| i.email.as_deref() == Some(EMAIL))
                .count();
            assert!(
                copies <= 1,
                "{op:?}: the server holds {copies} copies of one create"
            );
            copies == 1
        }
    };
    if applied { Applied } else { NotApplied }
}

#[tokio::test]
async fn every_fault_against_every_operation_class() {
    let mut failures = Vec::new();
    for &(name, inject, row) in MATRIX {
        let rule = inject.rule();
        for (op, (want_got, want_held)) in OPS.into_iter().zip(expected(inject, row)) {
            let fake = FakeArtsvp::builder().invites(3).start().await.unwrap();
            let client = common::artsvp_builder(&fake)
                .request_timeout(Duration::from_millis(500))
                .build()
                .unwrap();
            let invite = fake.invites()[0].id.clone();
            let event = fake.events()[0].id.clone();
            let (method, path) = route(op);
            fake.inject(rule.clone().on(method, path));

            let result = run(&client, op, &invite, &event).await;
            let outcome = (got(&result), held(&fake, op, &invite));
            if let Err(e) = &result
                && e.is_outcome_unknown()
            {
                let text = result.as_ref().unwrap_err().to_string();
                assert!(text.contains("outcome is unknown"), "{text}");
            }
            if outcome != (want_got, want_held) {
                failures.push(format!(
                    "{name} × {op:?}: expected {:?}, got {outcome:?} ({result:?})",
                    (want_got, want_held)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "cells that differ:\n{}",
        failures.join("\n")
    );
}

/// The rows below the HTTP layer: each makes every operation fail the same
/// way before a request reaches the API, so nothing is applied. A row
/// says how the fake serves and how the client is built (given another
/// fake's CA, which it may trust instead of the fake's).
type ConnectionRow = (&'static str, Option<FakeTls>, Client, Got);
type Client = fn(&FakeArtsvp, &str) -> ClientBuilder<Artsvp>;

fn connection_rows() -> Vec<ConnectionRow> {
    /// Trusts another CA, not the fake's.
    fn untrusting(fake: &FakeArtsvp, other_ca: &str) -> ClientBuilder<Artsvp> {
        Artsvp::builder()
            .base_url(fake.base_url())
            .api_key(fake.api_key())
            .root_certificate_pem(other_ca)
            .retry(common::quick_retries())
    }
    /// Every request through a proxy that is not there.
    fn through_a_closed_proxy(fake: &FakeArtsvp, _: &str) -> ClientBuilder<Artsvp> {
        let closed = common::closed_port_url();
        let proxy = closed.replacen("http://", "http://ops:proxy-pass-77@", 1);
        let http = reqwest::Client::builder()
            .proxy(reqwest::Proxy::all(proxy).unwrap())
            .build()
            .unwrap();
        common::artsvp_builder(fake).http_client(http)
    }
    vec![
        (
            "TLS: unknown issuer",
            Some(FakeTls::new()),
            untrusting,
            Got::Tls,
        ),
        (
            "TLS: expired",
            Some(FakeTls::new().expired()),
            |fake, _| common::artsvp_builder(fake),
            Got::Tls,
        ),
        (
            "proxy unreachable",
            None,
            through_a_closed_proxy,
            Got::Unreachable,
        ),
    ]
}

#[tokio::test]
async fn every_connection_fault_against_every_operation_class() {
    let other = FakeArtsvp::builder()
        .tls(FakeTls::new())
        .start()
        .await
        .unwrap();
    let other_ca = other.ca_certificate_pem().unwrap().to_string();
    let mut failures = Vec::new();
    for (name, tls, client, want) in connection_rows() {
        for op in OPS {
            let mut builder = FakeArtsvp::builder().invites(3);
            if let Some(tls) = tls.clone() {
                builder = builder.tls(tls);
            }
            let fake = builder.start().await.unwrap();
            let built = client(&fake, &other_ca).build().unwrap();
            let invite = fake.invites()[0].id.clone();
            let event = fake.events()[0].id.clone();
            let result = run(&built, op, &invite, &event).await;
            if let Err(e) = &result {
                let shown = format!("{e} {e:?}");
                assert!(!shown.contains("proxy-pass-77"), "{name}: {shown}");
                assert!(!e.is_outcome_unknown(), "{name} × {op:?}: nothing was sent");
            }
            let outcome = (got(&result), held(&fake, op, &invite));
            if outcome != (want, NotApplied) || !fake.requests().is_empty() {
                failures.push(format!(
                    "{name} × {op:?}: expected {want:?}, got {outcome:?} ({result:?})"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "cells that differ:\n{}",
        failures.join("\n")
    );
}
