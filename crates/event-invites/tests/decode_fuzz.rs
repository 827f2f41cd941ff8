//! Decoding fuzz: arbitrary bytes and mutated valid documents go through
//! every response decoder the facade exposes. Nothing panics; bad input is
//! a typed error. `PROPTEST_CASES` sets the cases per decoder (default
//! 2,000 here); e.g. `PROPTEST_CASES=100000 cargo test -p event-invites --test decode_fuzz`.

use std::path::PathBuf;

use event_invites::artsvp::{BatchResult, Booking, Invite, InviteDetail};
use event_invites::artsvp::{BookingStatus, Usage};
use event_invites::raw::{artsvp_api, securegate_api};
use event_invites::securegate::Invite as SgInvite;
use event_invites::securegate::InviteStatus;
use proptest::prelude::*;
use serde_json::Value;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

fn fixture(path: &str) -> Vec<u8> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(path);
    std::fs::read(file).unwrap()
}

/// Every response decoder of the facade, on one body: the generated types
/// the clients decode into, then the conversion to the facade's models, and
/// the facade models' own `Deserialize`. Returns how many accepted it.
fn decode_everything(body: &[u8]) -> usize {
    let mut accepted = 0;
    let mut ok = |worked: bool| accepted += usize::from(worked);
    ok(
        serde_json::from_slice::<Vec<securegate_api::types::Invite>>(body)
            .map(|v| v.into_iter().map(SgInvite::from).count())
            .is_ok(),
    );
    ok(serde_json::from_slice::<artsvp_api::types::Invite>(body)
        .ok()
        .map(Invite::try_from)
        .is_some_and(|r| r.is_ok()));
    ok(
        serde_json::from_slice::<artsvp_api::types::InviteWithBookings>(body)
            .ok()
            .map(InviteDetail::try_from)
            .is_some_and(|r| r.is_ok()),
    );
    ok(
        serde_json::from_slice::<artsvp_api::types::InviteList>(body)
            .map(|l| {
                l.data
                    .into_iter()
                    .map(Invite::try_from)
                    .filter(Result::is_ok)
                    .count()
            })
            .is_ok(),
    );
    ok(
        serde_json::from_slice::<artsvp_api::types::BookingList>(body)
            .map(|l| l.data.into_iter().map(Booking::from).count())
            .is_ok(),
    );
    ok(serde_json::from_slice::<artsvp_api::types::Booking>(body)
        .map(Booking::from)
        .is_ok());
    ok(serde_json::from_slice::<artsvp_api::types::EventList>(body).is_ok());
    ok(serde_json::from_slice::<artsvp_api::types::CollectionList>(body).is_ok());
    ok(
        serde_json::from_slice::<artsvp_api::types::InviteBatch>(body)
            .map(|b| b.data.into_iter().map(Invite::try_from).count())
            .is_ok(),
    );
    ok(serde_json::from_slice::<artsvp_api::types::ErrorBody>(body).is_ok());
    ok(serde_json::from_slice::<securegate_api::types::HttpValidationError>(body).is_ok());
    ok(serde_json::from_slice::<SgInvite>(body).is_ok());
    ok(serde_json::from_slice::<Invite>(body).is_ok());
    ok(serde_json::from_slice::<InviteDetail>(body).is_ok());
    ok(serde_json::from_slice::<BatchResult>(body).is_ok());
    ok(serde_json::from_slice::<Booking>(body).is_ok());
    ok(serde_json::from_slice::<InviteStatus>(body).is_ok());
    ok(serde_json::from_slice::<BookingStatus>(body).is_ok());
    if let Ok(text) = std::str::from_utf8(body) {
        ok(text.parse::<Usage>().is_ok());
    }
    accepted
}

/// Valid documents: the docs' examples.
fn documents() -> Vec<Value> {
    let mut docs: Vec<Value> = std::fs::read_dir(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/artsvp"),
    )
    .unwrap()
    .map(|e| serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap())
    .collect();
    docs.push(serde_json::from_slice(&fixture("securegate/get_invites.json")).unwrap());
    docs
}

/// A JSON value of any shape.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,12}".prop_map(Value::from),
        Just(Value::from("3/0")),
        Just(Value::from("2021-10-21T15:22:35.758Z")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the value at a random place in `doc` (any depth) with `new`.
fn mutate(doc: &mut Value, mut pick: usize, new: Value) {
    fn walk(v: &mut Value, pick: &mut usize, new: &Value) -> bool {
        if *pick == 0 {
            *v = new.clone();
            return true;
        }
        *pick -= 1;
        match v {
            Value::Object(map) => map.values_mut().any(|c| walk(c, pick, new)),
            Value::Array(items) => items.iter_mut().any(|c| walk(c, pick, new)),
            _ => false,
        }
    }
    if !walk(doc, &mut pick, &new) {
        *doc = new;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_everything(&body);
    }

    #[test]
    fn arbitrary_json_never_panics(value in any_json()) {
        decode_everything(value.to_string().as_bytes());
    }

    #[test]
    fn mutated_documents_never_panic(
        which in any::<prop::sample::Index>(),
        place in 0usize..200,
        new in any_json(),
    ) {
        let docs = documents();
        let mut doc = docs[which.index(docs.len())].clone();
        mutate(&mut doc, place, new);
        decode_everything(doc.to_string().as_bytes());
    }

    #[test]
    fn truncated_documents_never_panic(which in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        let docs = documents();
        let text = docs[which.index(docs.len())].to_string();
        let bytes = text.as_bytes();
        decode_everything(&bytes[..cut.index(bytes.len() + 1)]);
    }

    #[test]
    fn usage_parses_or_errs(text in ".{0,16}") {
        if let Ok(usage) = text.parse::<Usage>() {
            prop_assert_eq!(usage.to_string().parse::<Usage>(), Ok(usage));
        }
    }
}

#[test]
fn the_valid_documents_are_accepted() {
    // The fuzz would prove nothing if every decoder refused everything.
    for doc in documents() {
        assert!(decode_everything(doc.to_string().as_bytes()) > 0, "{doc}");
    }
}

// The SecureGate guest list is decoded straight into the facade's invites
// (once, not into the generated types and again). The generated type stays
// the source of truth for the wire format: on any document the two accept
// and refuse alike, say the same when they refuse, and agree on the values.

/// Both decoders of a guest list on `body`: `Ok` with the facade's invites
/// when both accept (the same), `Err` with the message when both refuse
/// (the same); a disagreement fails the test.
fn guest_list_parity(body: &[u8]) -> Result<Vec<SgInvite>, String> {
    let generated = serde_json::from_slice::<Vec<securegate_api::types::Invite>>(body)
        .map(|v| v.into_iter().map(SgInvite::from).collect::<Vec<_>>());
    let direct = serde_json::from_slice::<Vec<SgInvite>>(body);
    let text = String::from_utf8_lossy(body);
    match (generated, direct) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "different values for {text}");
            Ok(b)
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "different errors for {text}");
            Err(b.to_string())
        }
        (a, b) => panic!("generated {:?}, direct {:?}, for {text}", a.err(), b.err()),
    }
}

#[test]
fn each_field_is_refused_or_accepted_alike_by_the_facade_and_the_generated_type() {
    let list: Value = serde_json::from_slice(&fixture("securegate/get_invites.json")).unwrap();
    let invite = list[0].as_object().unwrap().clone();
    let fields: Vec<String> = invite
        .keys()
        .cloned()
        .chain(["onyxplus_id".into()])
        .collect();
    let values = [
        Value::Null,
        Value::from(5),
        Value::from(true),
        Value::from(""),
        Value::from("a-value-this-version-never-saw"),
        Value::from("2023-02-28T12:00:00+02:00"),
        Value::from("2023-02-28"),
        serde_json::json!({}),
        serde_json::json!([]),
    ];
    let (mut accepted, mut refused) = (0, 0);
    for field in &fields {
        let mut without = invite.clone();
        without.remove(field);
        let mut docs = vec![Value::Object(without)];
        for value in &values {
            let mut doc = invite.clone();
            doc.insert(field.clone(), value.clone());
            docs.push(Value::Object(doc));
        }
        for doc in docs {
            match guest_list_parity(Value::from(vec![doc]).to_string().as_bytes()) {
                Ok(_) => accepted += 1,
                Err(_) => refused += 1,
            }
        }
    }
    // Whole documents of the wrong shape, a duplicate key, an extra field.
    let text = Value::Object(invite.clone()).to_string();
    for body in [
        "{}".to_string(),
        "null".to_string(),
        format!("[{text}, 5]"),
        format!("[{}, \"id\": \"again\"}}]", &text[..text.len() - 1]),
        format!("[{}, \"new_field\": 1}}]", &text[..text.len() - 1]),
    ] {
        let _ = guest_list_parity(body.as_bytes());
    }
    // The table proves something only if both outcomes occur.
    assert!(
        accepted > 20 && refused > 20,
        "{accepted} accepted, {refused} refused"
    );
    let status_left_out = guest_list_parity(b"[{}]").unwrap_err();
    assert!(
        status_left_out.contains("missing field"),
        "{status_left_out}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn mutated_guest_lists_decode_alike_directly_and_through_the_generated_type(
        place in 0usize..200,
        new in any_json(),
    ) {
        let mut doc: Value = serde_json::from_slice(&fixture("securegate/get_invites.json")).unwrap();
        mutate(&mut doc, place, new);
        let _ = guest_list_parity(doc.to_string().as_bytes());
    }
}
