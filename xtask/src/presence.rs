//! Removes presence rules from the document progenitor is fed.
//!
//! A spec can say which of an object's own properties must appear together
//! ("`resource_id` or `resource`", "a `filter: email` needs `email`") with
//! `anyOf`/`oneOf`/`allOf` branches that only use `required`, `not` and
//! `properties` over properties the object already declares. Validators
//! (Redocly, Schemathesis, a server) read those rules; typify instead turns
//! an `anyOf` of two `required` lists into an enum of two near-identical
//! structs, which is worse for every caller and says nothing new about the
//! shape. So such a combinator, and only such a one, is dropped before
//! generation: the spec keeps the rule, the generated type stays one struct,
//! and the facade enforces the rule in its builders.
//!
//! A combinator that adds or retypes anything (a branch with a `type`, a
//! `$ref`, a property the object does not declare, …) is left for
//! progenitor as it is.

use serde_json::Value;

/// The combinators whose branches may be presence rules.
const COMBINATORS: &[&str] = &["anyOf", "oneOf", "allOf"];

/// Drops every combinator of presence rules from every object schema of
/// `doc`; returns how many were dropped.
pub fn strip(doc: &mut Value) -> usize {
    let mut dropped = 0;
    walk(doc, &mut dropped);
    dropped
}

fn walk(value: &mut Value, dropped: &mut usize) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                let declared: Vec<String> = properties.keys().cloned().collect();
                for key in COMBINATORS {
                    let rules_only = map.get(*key).and_then(Value::as_array).is_some_and(|b| {
                        !b.is_empty() && b.iter().all(|rule| is_rule(rule, &declared))
                    });
                    if rules_only {
                        map.remove(*key);
                        *dropped += 1;
                    }
                }
            }
            map.values_mut().for_each(|child| walk(child, dropped));
        }
        Value::Array(items) => items.iter_mut().for_each(|child| walk(child, dropped)),
        _ => {}
    }
}

/// Whether `rule` only says which of `declared` must or must not appear, or
/// narrows their values.
fn is_rule(rule: &Value, declared: &[String]) -> bool {
    let Some(map) = rule.as_object() else {
        return false;
    };
    let known = |name: &str| declared.iter().any(|d| d == name);
    map.iter().all(|(keyword, value)| match keyword.as_str() {
        "required" => value
            .as_array()
            .is_some_and(|names| names.iter().all(|n| n.as_str().is_some_and(known))),
        "properties" => value
            .as_object()
            .is_some_and(|props| props.keys().all(|name| known(name))),
        "not" => is_rule(value, declared),
        "anyOf" | "oneOf" | "allOf" => value
            .as_array()
            .is_some_and(|b| !b.is_empty() && b.iter().all(|r| is_rule(r, declared))),
        "title" | "description" => true,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn combinators(map: &Map<String, Value>) -> Vec<&str> {
        COMBINATORS
            .iter()
            .copied()
            .filter(|k| map.contains_key(*k))
            .collect()
    }

    fn object(extra: Value) -> Value {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "resource_id": {"type": "string"},
                "resource": {"type": "string"},
                "email": {"type": "string"},
                "filter": {"type": "string", "enum": ["email", "name"]},
            },
        });
        if let (Some(s), Some(e)) = (schema.as_object_mut(), extra.as_object()) {
            s.extend(e.clone());
        }
        schema
    }

    #[test]
    fn one_of_two_required_lists_is_dropped() {
        let mut doc = object(json!({
            "anyOf": [{"required": ["resource_id"]}, {"required": ["resource"]}],
        }));
        assert_eq!(strip(&mut doc), 1);
        assert!(combinators(doc.as_object().unwrap()).is_empty());
        assert_eq!(doc["properties"].as_object().unwrap().len(), 4);
    }

    #[test]
    fn nested_rules_with_not_and_narrowed_values_are_dropped() {
        let mut doc = object(json!({
            "allOf": [
                {"anyOf": [{"required": ["resource_id"]}, {"required": ["resource"]}]},
                {"anyOf": [
                    {"not": {"required": ["filter"]}},
                    {"properties": {"filter": {"enum": ["email"]}}, "required": ["filter", "email"]},
                ]},
            ],
        }));
        assert_eq!(strip(&mut doc), 1);
        assert!(doc.get("allOf").is_none());
    }

    #[test]
    fn a_branch_that_adds_shape_is_kept() {
        // A property the object does not declare.
        let mut undeclared = object(json!({
            "anyOf": [{"required": ["resource_id"]}, {"required": ["venue"]}],
        }));
        // A branch with its own type.
        let mut typed = object(json!({
            "oneOf": [{"required": ["resource_id"]}, {"type": "object"}],
        }));
        // A reference.
        let mut referenced = object(json!({
            "allOf": [{"$ref": "#/components/schemas/Other"}],
        }));
        for doc in [&mut undeclared, &mut typed, &mut referenced] {
            let before = doc.clone();
            assert_eq!(strip(doc), 0);
            assert_eq!(*doc, before);
        }
    }

    #[test]
    fn a_combinator_without_sibling_properties_is_kept() {
        let mut doc = json!({
            "components": {"schemas": {"Either": {
                "anyOf": [{"required": ["a"]}, {"required": ["b"]}],
            }}},
        });
        assert_eq!(strip(&mut doc), 0);
        assert!(
            doc["components"]["schemas"]["Either"]
                .get("anyOf")
                .is_some()
        );
    }

    #[test]
    fn rules_deep_in_the_document_are_found() {
        let mut doc = json!({
            "components": {"schemas": {"Create": object(json!({
                "anyOf": [{"required": ["resource_id"]}, {"required": ["resource"]}],
            }))}},
        });
        assert_eq!(strip(&mut doc), 1);
        assert!(
            doc["components"]["schemas"]["Create"]
                .get("anyOf")
                .is_none()
        );
    }
}
