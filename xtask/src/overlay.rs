//! Applies an [OpenAPI Overlay 1.0](https://spec.openapis.org/overlay/v1.0.0.html)
//! document to a spec: the project's fixes to a vendor document live in an
//! overlay, so the vendor document itself stays byte for byte as published.
//!
//! Targets are RFC 9535 JSONPath expressions, evaluated with
//! `serde_json_path`. Semantics:
//!
//! - `update` on a mapping merges recursively: keys of the update replace or
//!   join the target's, nested mappings merge, anything else replaces.
//! - `update` on a list appends the update value to it.
//! - `remove: true` removes every node the target selects from its parent.
//! - A target that selects nothing is an error, not a no-op: it means the
//!   vendor document changed under the overlay.
//! - Every action must say in `description` why it exists.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::error::{Error, push_pointer};

#[derive(Debug, Deserialize)]
struct Overlay {
    overlay: String,
    #[allow(dead_code)]
    info: OverlayInfo,
    actions: Vec<Action>,
}

#[derive(Debug, Deserialize)]
struct OverlayInfo {
    #[allow(dead_code)]
    title: String,
    #[allow(dead_code)]
    version: String,
}

#[derive(Debug, Deserialize)]
struct Action {
    target: String,
    description: Option<String>,
    update: Option<Value>,
    #[serde(default)]
    remove: bool,
}

/// Applies the overlay `overlay` (read from `file`) to `doc`, action by action.
pub fn apply(doc: &mut Value, overlay: Value, file: &Path) -> Result<(), Error> {
    let overlay: Overlay = serde_json::from_value(overlay).map_err(|e| {
        Error::file(
            file,
            format!("not an Overlay 1.0 document: {e}"),
            "an overlay has `overlay: 1.0.0`, `info: {title, version}` and a list of `actions`",
        )
    })?;
    if !overlay.overlay.starts_with("1.0.") {
        return Err(Error::at(
            file,
            "/overlay",
            format!("unsupported Overlay version `{}`", overlay.overlay),
            "use `overlay: 1.0.0`",
        ));
    }
    if overlay.actions.is_empty() {
        return Err(Error::at(
            file,
            "/actions",
            "the overlay has no actions",
            "add an action or delete the overlay file",
        ));
    }
    for (i, action) in overlay.actions.into_iter().enumerate() {
        apply_action(doc, action, file, &format!("/actions/{i}"))?;
    }
    Ok(())
}

fn apply_action(doc: &mut Value, action: Action, file: &Path, pointer: &str) -> Result<(), Error> {
    if action
        .description
        .as_deref()
        .is_none_or(|d| d.trim().is_empty())
    {
        return Err(Error::at(
            file,
            pointer,
            "the action has no `description`",
            "say in `description` why the vendor document needs this fix",
        ));
    }
    let targets = locate(doc, &action.target, file, pointer)?;
    match (action.update, action.remove) {
        (Some(_), true) => Err(Error::at(
            file,
            pointer,
            "the action has both `update` and `remove: true`",
            "split it into two actions",
        )),
        (None, false) => Err(Error::at(
            file,
            pointer,
            "the action has neither `update` nor `remove: true`",
            "add what the action should do",
        )),
        (None, true) => {
            // Later siblings first, so earlier list indices stay valid.
            for target in targets.iter().rev() {
                remove_at(doc, target);
            }
            Ok(())
        }
        (Some(update), false) => {
            for target in &targets {
                update_at(doc, target, &update, &action.target, file, pointer)?;
            }
            Ok(())
        }
    }
}

/// The JSON pointers of what `target` (a JSONPath) selects; an error when
/// it is not a JSONPath or selects nothing.
fn locate(doc: &Value, target: &str, file: &Path, pointer: &str) -> Result<Vec<String>, Error> {
    let path = JsonPath::parse(target).map_err(|e| {
        Error::at(
            file,
            push_pointer(pointer, "target"),
            format!("`{target}` is not a valid JSONPath: {e}"),
            "write the target as an RFC 9535 JSONPath, e.g. `$.paths['/x'].get`",
        )
    })?;
    let targets: Vec<String> = path
        .query_located(doc)
        .locations()
        .map(|l| l.to_json_pointer())
        .collect();
    if targets.is_empty() {
        return Err(Error::at(
            file,
            push_pointer(pointer, "target"),
            format!("the target `{target}` matches nothing in the spec"),
            "the spec changed under the overlay: fix the target, or delete the action if the \
             spec no longer needs it",
        ));
    }
    Ok(targets)
}

/// Applies `update` at `location`: merged into a mapping, appended to a
/// list; anything else cannot be updated.
fn update_at(
    doc: &mut Value,
    location: &str,
    update: &Value,
    target: &str,
    file: &Path,
    pointer: &str,
) -> Result<(), Error> {
    match doc.pointer_mut(location) {
        Some(node @ Value::Object(_)) => merge(node, update.clone()),
        Some(Value::Array(items)) => items.push(update.clone()),
        _ => {
            return Err(Error::at(
                file,
                push_pointer(pointer, "target"),
                format!(
                    "the target `{target}` selects `{location}`, which is neither a mapping nor \
                     a list"
                ),
                "target the mapping that holds the value and update the key",
            ));
        }
    }
    Ok(())
}

/// Merges `update` into `target`: mappings recursively, anything else
/// replaces.
fn merge(target: &mut Value, update: Value) {
    match (target, update) {
        (Value::Object(target), Value::Object(update)) => {
            for (key, value) in update {
                match target.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        target.insert(key, value);
                    }
                }
            }
        }
        (target, update) => *target = update,
    }
}

/// Removes the node at JSON pointer `pointer` from its parent.
fn remove_at(doc: &mut Value, pointer: &str) {
    let Some((parent, token)) = pointer.rsplit_once('/') else {
        // The root itself: an overlay cannot remove the whole document.
        return;
    };
    let token = token.replace("~1", "/").replace("~0", "~");
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.shift_remove(&token);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = token.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({
            "openapi": "3.1.0",
            "paths": {"/events/{event_id}/invites": {"get": {
                "operationId": "get_invites_events__event_id__invites_get",
                "tags": ["a"],
                "parameters": [{"name": "x"}, {"name": "y"}]
            }}}
        })
    }

    fn overlay(actions: Value) -> Value {
        json!({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": actions})
    }

    fn run(doc: &mut Value, actions: Value) -> Result<(), Error> {
        apply(doc, overlay(actions), Path::new("o.yaml"))
    }

    #[test]
    fn update_merges_into_the_target() {
        let mut doc = spec();
        run(
            &mut doc,
            json!([{"target": "$.paths['/events/{event_id}/invites'].get",
                    "description": "clean name", "update": {"operationId": "get_invites"}}]),
        )
        .unwrap();
        let op = &doc["paths"]["/events/{event_id}/invites"]["get"];
        assert_eq!(op["operationId"], "get_invites");
        assert_eq!(op["tags"], json!(["a"]), "other keys are kept");
    }

    #[test]
    fn update_on_a_list_appends() {
        let mut doc = spec();
        run(
            &mut doc,
            json!([{"target": "$.paths.*.get.tags", "description": "d", "update": "b"}]),
        )
        .unwrap();
        assert_eq!(
            doc["paths"]["/events/{event_id}/invites"]["get"]["tags"],
            json!(["a", "b"])
        );
    }

    #[test]
    fn remove_deletes_every_selected_node() {
        let mut doc = spec();
        run(
            &mut doc,
            json!([{"target": "$.paths.*.get.parameters[*]", "description": "d", "remove": true}]),
        )
        .unwrap();
        assert_eq!(
            doc["paths"]["/events/{event_id}/invites"]["get"]["parameters"],
            json!([])
        );
    }

    #[test]
    fn filter_expressions_work() {
        let mut doc = spec();
        run(
            &mut doc,
            json!([{"target": "$.paths.*.get.parameters[?@.name == 'y']",
                    "description": "d", "update": {"in": "query"}}]),
        )
        .unwrap();
        let params = &doc["paths"]["/events/{event_id}/invites"]["get"]["parameters"];
        assert_eq!(
            params,
            &json!([{"name": "x"}, {"name": "y", "in": "query"}])
        );
    }

    #[test]
    fn a_target_matching_nothing_is_an_error() {
        let mut doc = spec();
        let err = run(
            &mut doc,
            json!([{"target": "$.paths['/nope'].get", "description": "d", "update": {}}]),
        )
        .unwrap_err();
        assert_eq!(err.pointer.as_deref(), Some("/actions/0/target"));
        assert!(err.message.contains("matches nothing"), "{err}");
    }

    #[test]
    fn an_invalid_jsonpath_is_an_error() {
        let mut doc = spec();
        let err = run(
            &mut doc,
            json!([{"target": "$.paths[", "description": "d", "update": {}}]),
        )
        .unwrap_err();
        assert_eq!(err.pointer.as_deref(), Some("/actions/0/target"));
    }

    #[test]
    fn an_action_without_description_is_an_error() {
        let mut doc = spec();
        let err = run(&mut doc, json!([{"target": "$.paths", "update": {}}])).unwrap_err();
        assert_eq!(err.pointer.as_deref(), Some("/actions/0"));
    }

    #[test]
    fn updating_a_scalar_is_an_error() {
        let mut doc = spec();
        let err = run(
            &mut doc,
            json!([{"target": "$.openapi", "description": "d", "update": "3.0.3"}]),
        )
        .unwrap_err();
        assert!(
            err.message.contains("neither a mapping nor a list"),
            "{err}"
        );
    }

    #[test]
    fn wrong_overlay_version_is_an_error() {
        let mut doc = spec();
        let err = apply(
            &mut doc,
            json!({"overlay": "2.0.0", "info": {"title": "t", "version": "1"}, "actions": []}),
            Path::new("o.yaml"),
        )
        .unwrap_err();
        assert_eq!(err.pointer.as_deref(), Some("/overlay"));
    }
}
