//! The change report: what changed between two versions of a spec, as the
//! generator is fed them (`codegen::prepare`), and what each change means for
//! the generated crate and for the facade. `cargo xtask codegen` compares the
//! committed spec (and overlay) with the working tree's, prints the report
//! and writes it as Markdown to `target/spec-changes/<api>.md`, ready to
//! paste into CHANGELOG.md.
//!
//! Compared on the prepared JSON documents (OpenAPI 3.0.3, one shape per
//! construct after the normalizer): operations by `operationId`; their
//! parameters by location and name; every component schema's properties
//! (type, format, `$ref`, items, nullable, required); every enum's values.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

/// What a change does to code built on the old version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    /// Code that compiled and worked still does.
    Additive,
    /// Code may no longer compile, or behave differently.
    Breaking,
    /// Nothing to do for this crate.
    None,
}

impl Impact {
    fn label(self) -> &'static str {
        match self {
            Self::Additive => "additive",
            Self::Breaking => "breaking",
            Self::None => "none",
        }
    }
}

/// One change between two versions of a spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// What changed, e.g. `response field Invite.seat_number added`.
    pub what: String,
    /// For the generated crate.
    pub generated: Impact,
    /// For the facade, with what to do.
    pub facade: (Impact, &'static str),
}

fn change(what: String, generated: Impact, facade: Impact, todo: &'static str) -> Change {
    Change {
        what,
        generated,
        facade: (facade, todo),
    }
}

/// Every change from `old` to `new` (prepared documents), sorted.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    operations(old, new, &mut changes);
    schemas(old, new, &mut changes);
    changes.sort();
    changes
}

/// `operationId` → the operation.
fn operation_map(doc: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for item in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.1.as_object().into_iter().flatten() {
            if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                let mut operation = operation.clone();
                operation["x-route"] = format!("{} {}", method.to_uppercase(), item.0).into();
                out.insert(id.to_string(), operation);
            }
        }
    }
    out
}

fn operations(old: &Value, new: &Value, out: &mut Vec<Change>) {
    let (old, new) = (operation_map(old), operation_map(new));
    for (id, operation) in &new {
        let route = operation["x-route"].as_str().unwrap_or_default();
        match old.get(id) {
            None => out.push(change(
                format!("operation {id} added ({route})"),
                Impact::Additive,
                Impact::Additive,
                "wrap it, or name it in tests/spec_coverage.rs OMITTED with the reason",
            )),
            Some(before) => parameters(id, before, operation, out),
        }
    }
    for (id, operation) in &old {
        if !new.contains_key(id) {
            let route = operation["x-route"].as_str().unwrap_or_default();
            out.push(change(
                format!("operation {id} removed ({route})"),
                Impact::Breaking,
                Impact::Breaking,
                "remove or deprecate the facade method that sends it",
            ));
        }
    }
}

/// `(in, name)` → whether the parameter is required.
fn parameter_map(operation: &Value) -> BTreeMap<(String, String), bool> {
    operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let key = (
                p["in"].as_str()?.to_string(),
                p["name"].as_str()?.to_string(),
            );
            Some((key, p["required"].as_bool().unwrap_or(false)))
        })
        .collect()
}

fn parameters(id: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let (old, new) = (parameter_map(old), parameter_map(new));
    for ((location, name), required) in &new {
        let key = (location.clone(), name.clone());
        match old.get(&key) {
            None if *required => out.push(change(
                format!("{id}: required {location} parameter `{name}` added"),
                Impact::Breaking,
                Impact::Breaking,
                "pass it from the facade method (callers must now give it)",
            )),
            None => out.push(change(
                format!("{id}: optional {location} parameter `{name}` added"),
                Impact::Additive,
                Impact::Additive,
                "offer it on the facade's query or builder if users need it",
            )),
            Some(false) if *required => out.push(change(
                format!("{id}: {location} parameter `{name}` made required"),
                Impact::Breaking,
                Impact::Breaking,
                "always pass it from the facade method",
            )),
            Some(true) if !*required => out.push(change(
                format!("{id}: {location} parameter `{name}` made optional"),
                Impact::Additive,
                Impact::None,
                "",
            )),
            Some(_) => {}
        }
    }
    for (location, name) in old.keys() {
        if !new.contains_key(&(location.clone(), name.clone())) {
            out.push(change(
                format!("{id}: {location} parameter `{name}` removed"),
                Impact::Breaking,
                Impact::Breaking,
                "stop sending it from the facade",
            ));
        }
    }
}

/// A property's type as one comparable string: `string(date-time)`,
/// `ref Invite`, `array of ref Invite`.
fn signature(schema: &Value) -> String {
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        return format!("ref {}", target.rsplit('/').next().unwrap_or_default());
    }
    if let Some([only]) = schema
        .get("allOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        return signature(only);
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> = parts.iter().map(signature).collect();
            return format!("{key}[{}]", parts.join(", "));
        }
    }
    let kind = schema["type"].as_str().unwrap_or("any");
    match (kind, schema.get("format").and_then(Value::as_str)) {
        ("array", _) => format!("array of {}", signature(&schema["items"])),
        (kind, Some(format)) => format!("{kind}({format})"),
        (kind, None) => kind.to_string(),
    }
}

fn nullable(schema: &Value) -> bool {
    schema["nullable"].as_bool().unwrap_or(false)
}

/// Whether a component schema is sent (in a request body) and whether it
/// is returned (in a response), through every `$ref` that reaches it.
fn usage(doc: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut sent = BTreeSet::new();
    let mut returned = BTreeSet::new();
    for item in doc["paths"].as_object().into_iter().flatten() {
        for operation in item.1.as_object().into_iter().flatten().map(|o| o.1) {
            refs(&operation["requestBody"], &mut sent);
            for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                if status.starts_with('2') {
                    refs(response, &mut returned);
                }
            }
        }
    }
    let schemas = &doc["components"]["schemas"];
    for set in [&mut sent, &mut returned] {
        loop {
            let mut reached = set.clone();
            for name in set.iter() {
                refs(&schemas[name], &mut reached);
            }
            if reached.len() == set.len() {
                break;
            }
            *set = reached;
        }
    }
    (sent, returned)
}

fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                out.insert(target.rsplit('/').next().unwrap_or_default().to_string());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

fn enum_values(schema: &Value) -> BTreeSet<String> {
    schema["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn schemas(old: &Value, new: &Value, out: &mut Vec<Change>) {
    let empty = serde_json::Map::new();
    let (old_schemas, new_schemas) = (
        old["components"]["schemas"].as_object().unwrap_or(&empty),
        new["components"]["schemas"].as_object().unwrap_or(&empty),
    );
    let (sent, returned) = usage(new);
    for (name, schema) in new_schemas {
        let side = match (sent.contains(name), returned.contains(name)) {
            (true, false) => "request",
            (false, true) => "response",
            _ => "schema",
        };
        match old_schemas.get(name) {
            None => out.push(change(
                format!("{side} schema {name} added"),
                Impact::Additive,
                Impact::None,
                "",
            )),
            Some(before) => {
                enums(name, before, schema, side == "response", out);
                properties(name, side, before, schema, out);
            }
        }
    }
    for name in old_schemas.keys() {
        if !new_schemas.contains_key(name) {
            out.push(change(
                format!("schema {name} removed"),
                Impact::Breaking,
                Impact::Breaking,
                "remove what the facade builds on it",
            ));
        }
    }
}

fn enums(name: &str, old: &Value, new: &Value, returned: bool, out: &mut Vec<Change>) {
    let (before, after) = (enum_values(old), enum_values(new));
    for value in after.difference(&before) {
        out.push(change(
            format!("enum {name}: value `{value}` added"),
            // A new variant breaks an exhaustive `match` on the generated enum.
            Impact::Breaking,
            Impact::Additive,
            if returned {
                "add the known variant to the facade's open enum (it parses as Unknown until then)"
            } else {
                "offer the value in the facade's enum"
            },
        ));
    }
    for value in before.difference(&after) {
        out.push(change(
            format!("enum {name}: value `{value}` removed"),
            Impact::Breaking,
            Impact::Breaking,
            "remove (or deprecate) the facade's variant",
        ));
    }
}

fn properties(name: &str, side: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let empty = serde_json::Map::new();
    let before = old["properties"].as_object().unwrap_or(&empty);
    let after = new["properties"].as_object().unwrap_or(&empty);
    let required = |doc: &Value| -> BTreeSet<String> {
        doc["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    let (was_required, is_required) = (required(old), required(new));
    for (property, schema) in after {
        let field = format!("{side} field {name}.{property}");
        let Some(previous) = before.get(property) else {
            let needed = is_required.contains(property) && side == "request";
            out.push(if needed {
                change(
                    format!("{field} added, required"),
                    Impact::Breaking,
                    Impact::Breaking,
                    "fill it in every facade request that builds this body",
                )
            } else {
                change(
                    format!("{field} added"),
                    Impact::Additive,
                    Impact::Additive,
                    "surface it in the facade's model, or name it in tests/spec_coverage.rs OMITTED",
                )
            });
            continue;
        };
        let facts = Facts {
            field: &field,
            side,
            required: (
                was_required.contains(property),
                is_required.contains(property),
            ),
        };
        changed_property(&facts, previous, schema, out);
    }
    for property in before.keys() {
        if !after.contains_key(property) {
            out.push(change(
                format!("{side} field {name}.{property} removed"),
                Impact::Breaking,
                Impact::Breaking,
                "remove the facade's field (or keep it empty, and say so)",
            ));
        }
    }
}

/// What a kept property's changes are judged by.
struct Facts<'a> {
    /// `request field Name.property` or `response field …`.
    field: &'a str,
    /// `request` or `response`.
    side: &'a str,
    /// Whether it was required, and whether it is.
    required: (bool, bool),
}

/// The changes of a property that is in both documents: its type, its
/// nullability, and whether it is required.
fn changed_property(facts: &Facts<'_>, previous: &Value, schema: &Value, out: &mut Vec<Change>) {
    let Facts {
        field,
        side,
        required,
    } = *facts;
    let (was, is) = (signature(previous), signature(schema));
    if was != is {
        out.push(change(
            format!("{field} retyped: {was} → {is}"),
            Impact::Breaking,
            Impact::Breaking,
            "change the facade's field and its conversion",
        ));
    }
    match (nullable(previous), nullable(schema)) {
        (false, true) => out.push(change(
            format!("{field} made nullable"),
            Impact::Breaking,
            Impact::Breaking,
            "make the facade's field an Option (or keep a default, and say so)",
        )),
        (true, false) => out.push(change(
            format!("{field} no longer nullable"),
            Impact::Breaking,
            Impact::Additive,
            "the facade may keep its Option",
        )),
        _ => {}
    }
    let request = side == "request";
    match required {
        (false, true) => out.push(change(
            format!("{field} made required"),
            Impact::Breaking,
            if request {
                Impact::Breaking
            } else {
                Impact::Additive
            },
            "fill it in every facade request (responses: nothing to do)",
        )),
        (true, false) => out.push(change(
            format!("{field} made optional"),
            Impact::Breaking,
            if request {
                Impact::Additive
            } else {
                Impact::Breaking
            },
            "responses: the facade's field must become an Option",
        )),
        _ => {}
    }
}

/// The report as text for the terminal.
pub fn text(api: &str, changes: &[Change]) -> String {
    if changes.is_empty() {
        return format!("{api}: no change to what the generator is fed\n");
    }
    let mut out = format!("{api}: {} change(s)\n", changes.len());
    for c in changes {
        let _ = write!(
            out,
            "  {} — generated crate: {}, facade: {}",
            c.what,
            c.generated.label(),
            c.facade.0.label()
        );
        if !c.facade.1.is_empty() {
            let _ = write!(out, " ({})", c.facade.1);
        }
        out.push('\n');
    }
    out
}

/// The report as Markdown, ready to paste into CHANGELOG.md.
pub fn markdown(api: &str, crate_name: &str, changes: &[Change]) -> String {
    let mut out = format!("### {api} spec changes\n\n");
    if changes.is_empty() {
        out.push_str("No change to what the generator is fed.\n");
        return out;
    }
    let breaking = changes.iter().any(|c| c.generated == Impact::Breaking);
    let _ = writeln!(
        out,
        "`{crate_name}`: {} change(s), {}.\n",
        changes.len(),
        if breaking {
            "some breaking (a minor bump at 0.x, a major one after 1.0)"
        } else {
            "all additive"
        }
    );
    out.push_str(
        "| change | generated crate | facade | to do in the facade |\n|---|---|---|---|\n",
    );
    for c in changes {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            c.what.replace('|', "\\|"),
            c.generated.label(),
            c.facade.0.label(),
            c.facade.1
        );
    }
    out
}

#[cfg(test)]
mod tests;
