//! Nothing of the vendors' APIs is dropped silently: every operation of both
//! specs, every property of every schema a response returns, and every
//! value of every enum in them is either surfaced by the facade or named,
//! with the reason, in the one list of deliberate omissions below
//! ([`OMITTED`]).
//!
//! The lists are derived, not typed: the operations and response schemas
//! from the specs as the generator is fed them (`xtask::codegen::prepare`),
//! the facade's properties and enum values from its own models' JSON
//! schemas (schemars, the facade's `schemars` feature). A facade operation is
//! one whose operation id its source sends through the call path. When a
//! vendor adds a field, this test fails naming API, schema and property
//! until the facade maps it or [`OMITTED`] says why not.

use std::collections::{BTreeMap, BTreeSet};

use schemars::{JsonSchema, SchemaGenerator};
use serde_json::Value;

/// What the facade deliberately leaves out or shows under another name:
/// (API, `Schema.property`, `Schema.property=value` or `operation`, why).
const OMITTED: &[(&str, &str, &str)] = &[
    // Type tags: the facade's types say what an object is.
    (
        "ARTSVP",
        "Invite.object",
        "the type tag `invite`; the facade type says it",
    ),
    (
        "ARTSVP",
        "Booking.object",
        "the type tag `booking`; the facade type says it",
    ),
    (
        "ARTSVP",
        "Resource.object",
        "surfaced as Resource::kind (ResourceKind)",
    ),
    (
        "ARTSVP",
        "InviteBatch.object",
        "the type tag; BatchResult says it",
    ),
    (
        "ARTSVP",
        "InviteBatch.url",
        "the batch endpoint's own URL, nothing to act on",
    ),
    // Renamed or derived.
    (
        "ARTSVP",
        "Invite.amount_used",
        "surfaced as Invite::usage (parsed `used/total`)",
    ),
    (
        "ARTSVP",
        "Invite.used",
        "surfaced as Invite::is_used(), from Invite::usage",
    ),
    (
        "ARTSVP",
        "Booking.event_id",
        "surfaced as Booking::event_code (it holds the code)",
    ),
    (
        "ARTSVP",
        "Booking.invite_id",
        "surfaced as Booking::invite_code (it holds the code)",
    ),
    (
        "ARTSVP",
        "Booking.start_time_utc",
        "surfaced as Booking::start_time",
    ),
    (
        "ARTSVP",
        "Booking.start_time_local",
        "the generated type decodes it as a UTC instant (its offset is lost), the same \
         instant as Booking::start_time; Booking::event_time_zone gives the local time",
    ),
    (
        "ARTSVP",
        "InviteBatch.data",
        "surfaced as BatchResult::invites",
    ),
    (
        "ARTSVP",
        "InviteBatch.total_collection",
        "surfaced as BatchResult::total_collections",
    ),
    // List envelopes: the facade returns `Page { items, has_more, cursor }`.
    (
        "ARTSVP",
        "EventList.object",
        "the list's type tag; a Page is typed",
    ),
    (
        "ARTSVP",
        "EventList.url",
        "the list's own URL; the facade pages by cursor",
    ),
    ("ARTSVP", "EventList.data", "surfaced as Page::items"),
    ("ARTSVP", "EventList.has_more", "surfaced as Page::has_more"),
    (
        "ARTSVP",
        "EventList.last_event_id",
        "surfaced as Page::cursor",
    ),
    (
        "ARTSVP",
        "CollectionList.object",
        "the list's type tag; a Page is typed",
    ),
    (
        "ARTSVP",
        "CollectionList.url",
        "the list's own URL; the facade pages by cursor",
    ),
    ("ARTSVP", "CollectionList.data", "surfaced as Page::items"),
    (
        "ARTSVP",
        "CollectionList.has_more",
        "surfaced as Page::has_more",
    ),
    (
        "ARTSVP",
        "CollectionList.last_collection_id",
        "surfaced as Page::cursor",
    ),
    (
        "ARTSVP",
        "BookingList.object",
        "the list's type tag; a Page is typed",
    ),
    (
        "ARTSVP",
        "BookingList.url",
        "the list's own URL; the facade pages by cursor",
    ),
    ("ARTSVP", "BookingList.data", "surfaced as Page::items"),
    (
        "ARTSVP",
        "BookingList.has_more",
        "surfaced as Page::has_more",
    ),
    (
        "ARTSVP",
        "BookingList.last_booking_id",
        "surfaced as Page::cursor",
    ),
    (
        "ARTSVP",
        "InviteList.object",
        "the list's type tag; a Page is typed",
    ),
    (
        "ARTSVP",
        "InviteList.url",
        "the list's own URL; the facade pages by cursor",
    ),
    ("ARTSVP", "InviteList.data", "surfaced as Page::items"),
    (
        "ARTSVP",
        "InviteList.has_more",
        "surfaced as Page::has_more",
    ),
    (
        "ARTSVP",
        "InviteList.last_invite_id",
        "surfaced as Page::cursor",
    ),
];

/// Spec schemas the facade surfaces under another type name: (API, spec
/// schema, facade type).
const RENAMED: &[(&str, &str, &str)] = &[
    ("ARTSVP", "InviteBatch", "BatchResult"),
    ("ARTSVP", "ResourceType", "ResourceKind"),
    ("ARTSVP", "InviteFilter", "Dedupe"),
    ("SecureGate", "CountryCodeSimple", "CountryCode"),
];

/// The facade's name for a spec schema.
fn facade_name<'a>(api: &str, schema: &'a str) -> &'a str {
    RENAMED
        .iter()
        .find(|(a, spec, _)| *a == api && *spec == schema)
        .map_or(schema, |(_, _, facade)| facade)
}

/// Every `$ref` target name under `value`.
fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref")
                && let Some(name) = target.rsplit('/').next()
            {
                out.insert(name.to_string());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// A spec, as the generator is fed it.
fn spec(name: &str) -> Value {
    let root = xtask::workspace_root();
    let specs = xtask::codegen::discover(&root).unwrap();
    let spec = specs.iter().find(|s| s.name == name).unwrap();
    xtask::codegen::prepare(&root, spec).unwrap().0
}

/// The operation ids of a spec.
fn operations(doc: &Value) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                ids.insert(id.to_string());
            }
        }
    }
    ids
}

/// The schemas a spec's successful responses return, and every schema they
/// reach.
fn response_schemas(doc: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
                continue;
            };
            for (status, response) in responses {
                if status.starts_with('2') {
                    refs(response, &mut names);
                }
            }
        }
    }
    let schemas = &doc["components"]["schemas"];
    loop {
        let mut reached = names.clone();
        for name in &names {
            refs(&schemas[name], &mut reached);
        }
        if reached.len() == names.len() {
            return names;
        }
        names = reached;
    }
}

/// `Schema.property` → the property's enum values (empty when none), for
/// every object schema in `names`.
fn properties(schemas: &Value, names: &BTreeSet<String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for name in names {
        let Some(props) = schemas[name]["properties"].as_object() else {
            continue;
        };
        for (property, schema) in props {
            out.insert(format!("{name}.{property}"), enum_values(schemas, schema));
        }
    }
    out
}

/// The enum values a property schema allows, through `$ref`s, `allOf`,
/// `anyOf` and `oneOf`.
fn enum_values(schemas: &Value, schema: &Value) -> BTreeSet<String> {
    let mut values = BTreeSet::new();
    if let Some(list) = schema.get("enum").and_then(Value::as_array) {
        values.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
    }
    if let Some(one) = schema.get("const").and_then(Value::as_str) {
        values.insert(one.to_string());
    }
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        let name = target.rsplit('/').next().unwrap_or_default();
        values.extend(enum_values(schemas, &schemas[name]));
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for part in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            values.extend(enum_values(schemas, part));
        }
    }
    values
}

/// The facade's models as JSON schemas: `Type.property` → enum values.
fn facade<T: JsonSchema>(
    generator: &mut SchemaGenerator,
    out: &mut BTreeMap<String, BTreeSet<String>>,
) {
    let root = serde_json::to_value(generator.root_schema_for::<T>()).unwrap();
    let mut types = vec![(T::schema_name().to_string(), root.clone())];
    if let Some(defs) = root.get("$defs").and_then(Value::as_object) {
        types.extend(defs.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let defs = root.get("$defs").cloned().unwrap_or(Value::Null);
    for (name, schema) in types {
        for (property, schema) in schema["properties"].as_object().into_iter().flatten() {
            let resolved = match schema.get("$ref").and_then(Value::as_str) {
                Some(target) => defs[target.rsplit('/').next().unwrap_or_default()].clone(),
                None => schema.clone(),
            };
            out.insert(format!("{name}.{property}"), enum_values(&defs, &resolved));
        }
    }
}

/// The values an enum type of the facade knows, by its schema's name.
fn facade_enum<T: JsonSchema>(out: &mut BTreeMap<String, BTreeSet<String>>) {
    let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap();
    out.insert(
        T::schema_name().to_string(),
        enum_values(&Value::Null, &schema),
    );
}

/// The spec's enum schemas: name → values.
fn spec_enums(doc: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let schemas = &doc["components"]["schemas"];
    schemas
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, schema)| schema.get("enum").is_some())
        .map(|(name, schema)| (name.clone(), enum_values(schemas, schema)))
        .collect()
}

/// The operation ids the facade's source sends through its call path.
fn facade_operations() -> String {
    let mut text = String::new();
    let src = xtask::workspace_root().join("crates/event-invites/src");
    let mut dirs = vec![src];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                text.push_str(&std::fs::read_to_string(path).unwrap());
            }
        }
    }
    text
}

fn omitted(api: &str, what: &str) -> bool {
    OMITTED.iter().any(|(a, w, _)| *a == api && *w == what)
}

/// What the facade drops of one API without saying so: operations,
/// response properties and their enum values (`surfaced`), and the values
/// of the spec's enum types (`enums`).
fn dropped(
    api: &str,
    doc: &Value,
    surfaced: &BTreeMap<String, BTreeSet<String>>,
    enums: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, values) in spec_enums(doc) {
        let Some(known) = enums.get(facade_name(api, &name)) else {
            if !omitted(api, &name) {
                problems.push(format!("{api}: the enum {name} has no facade type"));
            }
            continue;
        };
        for value in values {
            let what = format!("{name}={value}");
            if !known.contains(&value) && !omitted(api, &what) {
                problems.push(format!(
                    "{api}: {what} is not a known value of the facade's {} (add it, or add \
                     it to OMITTED with the reason)",
                    facade_name(api, &name)
                ));
            }
        }
    }
    let source = facade_operations();
    for operation in operations(doc) {
        if !source.contains(&format!("\"{operation}\"")) && !omitted(api, &operation) {
            problems.push(format!("{api}: operation {operation} is not in the facade"));
        }
    }
    let schemas = &doc["components"]["schemas"];
    for (property, values) in properties(schemas, &response_schemas(doc)) {
        if omitted(api, &property) {
            continue;
        }
        let (schema, field) = property.split_once('.').unwrap_or_default();
        let facade_name = facade_name(api, schema);
        let Some(known) = surfaced.get(&format!("{facade_name}.{field}")) else {
            problems.push(format!(
                "{api}: {property} is not surfaced by the facade (map it, or add it to OMITTED \
                 with the reason)"
            ));
            continue;
        };
        for value in values {
            let what = format!("{property}={value}");
            if !known.contains(&value) && !omitted(api, &what) {
                problems.push(format!(
                    "{api}: {what} is not a known value of the facade's enum (add it, or add it \
                     to OMITTED with the reason)"
                ));
            }
        }
    }
    problems
}

#[test]
fn nothing_of_either_api_is_dropped_without_a_stated_reason() {
    let mut generator = SchemaGenerator::default();
    let mut securegate = BTreeMap::new();
    facade::<event_invites::securegate::Invite>(&mut generator, &mut securegate);

    let mut generator = SchemaGenerator::default();
    let mut artsvp = BTreeMap::new();
    facade::<event_invites::artsvp::Invite>(&mut generator, &mut artsvp);
    facade::<event_invites::artsvp::InviteDetail>(&mut generator, &mut artsvp);
    facade::<event_invites::artsvp::Booking>(&mut generator, &mut artsvp);
    facade::<event_invites::artsvp::Event>(&mut generator, &mut artsvp);
    facade::<event_invites::artsvp::Collection>(&mut generator, &mut artsvp);
    facade::<event_invites::artsvp::BatchResult>(&mut generator, &mut artsvp);

    use event_invites::{artsvp as a, securegate as s};
    let mut securegate_enums = BTreeMap::new();
    facade_enum::<s::InviteStatus>(&mut securegate_enums);
    facade_enum::<s::CountryCode>(&mut securegate_enums);
    facade_enum::<s::AuthenticationMethod>(&mut securegate_enums);
    let mut artsvp_enums = BTreeMap::new();
    facade_enum::<a::ResourceKind>(&mut artsvp_enums);
    facade_enum::<a::BookingStatus>(&mut artsvp_enums);
    facade_enum::<a::Dedupe>(&mut artsvp_enums);

    let mut problems = dropped(
        "SecureGate",
        &spec("securegate"),
        &securegate,
        &securegate_enums,
    );
    problems.extend(dropped("ARTSVP", &spec("artsvp"), &artsvp, &artsvp_enums));
    assert!(
        problems.is_empty(),
        "{} thing(s) of the APIs dropped silently:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_omission_names_something_that_exists_and_says_why() {
    for (api, what, why) in OMITTED {
        assert!(why.len() > 10, "{api} {what}: say why");
    }
    let all: BTreeSet<String> = [
        ("ARTSVP", spec("artsvp")),
        ("SecureGate", spec("securegate")),
    ]
    .iter()
    .flat_map(|(api, doc)| {
        let schemas = &doc["components"]["schemas"];
        let mut names: Vec<String> = operations(doc).into_iter().collect();
        for (property, values) in properties(schemas, &response_schemas(doc)) {
            names.extend(values.iter().map(|v| format!("{property}={v}")));
            names.push(property);
        }
        names.into_iter().map(move |n| format!("{api} {n}"))
    })
    .collect();
    for (api, what, _) in OMITTED {
        assert!(
            all.contains(&format!("{api} {what}")),
            "{api} {what} is in no spec: remove it"
        );
    }
}
