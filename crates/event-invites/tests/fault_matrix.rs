//! The fault matrix: every fault the fake server injects × every operation
//! class, each cell with its expected outcome written down below, and each
//! checked against both what the caller got and what the server holds
//! afterwards (nothing duplicated; a write reported as done is there; a
//! create whose outcome cannot be known says so).

mod common;

use std::time::Duration;

use event_invites::artsvp::{Dedupe, InviteUpdate, NewInvite};
use event_invites::{Artsvp, Error, ErrorKind};
use event_invites_fake::{FakeArtsvp, Fault, FaultRule};

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
}

/// Whether the write is on the server afterwards (reads change nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// The write is there (exactly once for a create).
    Applied,
    /// The write is not there.
    NotApplied,
}

use Got::{Decode, Ok as Fine, Server, Unknown};
use Held::{Applied, NotApplied};

/// One row per fault: the outcome for Read, Patch, Delete, CreateWithFilter,
/// CreateWithoutFilter. A fault strikes the first request of the operation
/// only; retries go through.
/// A fault, how it is injected, and the expected outcome per class.
type Row = (&'static str, FaultRule, [(Got, Held); 5]);

fn matrix() -> Vec<Row> {
    let once = FaultRule::new;
    vec![
        // 500 is not retried: the server failed, nothing was written.
        ("500", once(Fault::Status(500)), [(Server, NotApplied); 5]),
        // 502/503 are retried, except for a create without a filter.
        (
            "502",
            once(Fault::Status(502)),
            [
                (Fine, NotApplied),
                (Fine, Applied),
                (Fine, Applied),
                (Fine, Applied),
                (Server, NotApplied),
            ],
        ),
        (
            "503",
            once(Fault::Status(503)),
            [
                (Fine, NotApplied),
                (Fine, Applied),
                (Fine, Applied),
                (Fine, Applied),
                (Server, NotApplied),
            ],
        ),
        // A 429 did nothing: every operation is retried after Retry-After.
        (
            "429 + Retry-After",
            once(Fault::TooManyRequests { retry_after: 1 }),
            [
                (Fine, NotApplied),
                (Fine, Applied),
                (Fine, Applied),
                (Fine, Applied),
                (Fine, Applied),
            ],
        ),
        // Past the client's timeout the client gives up; the server drops
        // the request with the connection, so nothing is written. The
        // unfiltered create cannot know that: its outcome is unknown.
        (
            "latency past the timeout",
            once(Fault::Latency(Duration::from_secs(3))),
            [
                (Fine, NotApplied),
                (Fine, Applied),
                (Fine, Applied),
                (Fine, Applied),
                (Unknown, NotApplied),
            ],
        ),
        (
            "dropped before the response",
            once(Fault::DropConnection),
            [
                (Fine, NotApplied),
                (Fine, Applied),
                (Fine, Applied),
                (Fine, Applied),
                (Unknown, NotApplied),
            ],
        ),
        (
            "dropped after the write",
            once(Fault::DropConnection).after_write(),
            [
                (Fine, NotApplied),
                (Fine, Applied),
                (Fine, Applied),
                (Fine, Applied),
                (Unknown, Applied),
            ],
        ),
        (
            "truncated body",
            once(Fault::TruncatedBody),
            [
                (Fine, NotApplied),
                (Fine, Applied),
                (Fine, Applied),
                (Fine, Applied),
                (Unknown, Applied),
            ],
        ),
        // A 2xx whose body does not decode: the write happened, the error
        // says so by its status.
        (
            "malformed JSON",
            once(Fault::MalformedJson),
            [
                (Decode, NotApplied),
                (Decode, Applied),
                (Fine, Applied),
                (Decode, Applied),
                (Decode, Applied),
            ],
        ),
        (
            "unknown enum value",
            once(Fault::UnknownEnumValue),
            [
                (Fine, NotApplied),
                (Fine, Applied),
                (Fine, Applied),
                (Fine, Applied),
                (Fine, Applied),
            ],
        ),
        (
            "unknown extra fields",
            once(Fault::ExtraFields),
            [
                (Fine, NotApplied),
                (Fine, Applied),
                (Fine, Applied),
                (Fine, Applied),
                (Fine, Applied),
            ],
        ),
    ]
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
    for (name, rule, expected) in matrix() {
        for (op, (want_got, want_held)) in OPS.into_iter().zip(expected) {
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
