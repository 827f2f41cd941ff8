//! The rewrites of single schema keywords, each with its rule in the
//! table of `normalize.rs`: a `null` variant of `anyOf`/`oneOf`, a type
//! list with `null`, `const`, schema `examples`, numeric exclusive bounds.

use serde_json::{Map, Value};

use super::{ANNOTATIONS, Normalizer, is_null_schema, is_reference};
use crate::error::{Error, push_pointer};

impl Normalizer<'_> {
    /// `anyOf`/`oneOf` of `X` and `{type: 'null'}` becomes `X` with
    /// `nullable: true`.
    pub(super) fn null_union(
        &self,
        map: &mut Map<String, Value>,
        pointer: &str,
    ) -> Result<(), Error> {
        for key in ["anyOf", "oneOf"] {
            let Some(Value::Array(variants)) = map.get(key) else {
                continue;
            };
            if !variants.iter().any(is_null_schema) {
                continue;
            }
            let mut rest: Vec<Value> = variants
                .iter()
                .filter(|v| !is_null_schema(v))
                .cloned()
                .collect();
            let key_pointer = push_pointer(pointer, key);
            map.insert("nullable".into(), Value::Bool(true));
            match rest.len() {
                0 => {
                    return Err(self.error(
                        &key_pointer,
                        format!("every variant of `{key}` is `null`"),
                        "a schema that only allows `null` has no OpenAPI 3.0 form",
                    ));
                }
                1 => {
                    map.remove(key);
                    self.lift_variant(map, rest.remove(0), &key_pointer)?;
                }
                _ => {
                    map.insert(key.into(), Value::Array(rest));
                }
            }
        }
        Ok(())
    }

    /// Puts the one non-null variant of a union in the union's place: a
    /// lone `$ref` as `allOf: [$ref]`, a schema's keywords merged up (a
    /// keyword set to two values is refused, annotations aside).
    fn lift_variant(
        &self,
        map: &mut Map<String, Value>,
        only: Value,
        key_pointer: &str,
    ) -> Result<(), Error> {
        if is_reference(&only) && only.as_object().is_some_and(|o| o.len() == 1) {
            map.insert("allOf".into(), Value::Array(vec![only]));
            return Ok(());
        }
        let Value::Object(inner) = only else {
            return Err(self.error(
                key_pointer,
                "the non-null variant is not a schema mapping",
                "fix the document",
            ));
        };
        for (k, v) in inner {
            match map.get(&k) {
                None => {
                    map.insert(k, v);
                }
                Some(outer) if *outer == v => {}
                Some(_) if ANNOTATIONS.contains(&k.as_str()) => {}
                Some(_) => {
                    return Err(self.error(
                        key_pointer,
                        format!(
                            "the non-null variant sets `{k}`, which the schema around it also \
                             sets to another value"
                        ),
                        format!("set `{k}` in one place only"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// `type: [T, 'null']` becomes `type: T` with `nullable: true`.
    pub(super) fn type_list(
        &self,
        map: &mut Map<String, Value>,
        pointer: &str,
    ) -> Result<(), Error> {
        let Some(Value::Array(types)) = map.get("type") else {
            return Ok(());
        };
        let nullable = types.iter().any(|t| t == "null");
        let others: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        let [only] = others.as_slice() else {
            return Err(self.error(
                &push_pointer(pointer, "type"),
                if others.is_empty() {
                    "a schema that only allows `null` has no OpenAPI 3.0 form".to_string()
                } else {
                    format!(
                        "a list of {} non-null types has no OpenAPI 3.0 form",
                        others.len()
                    )
                },
                "use `anyOf` with one schema per type",
            ));
        };
        map.insert("type".into(), only.clone());
        if nullable {
            map.insert("nullable".into(), Value::Bool(true));
        }
        Ok(())
    }

    /// `const: v` becomes `enum: [v]`.
    pub(super) fn constant(
        &self,
        map: &mut Map<String, Value>,
        pointer: &str,
    ) -> Result<(), Error> {
        let Some(value) = map.remove("const") else {
            return Ok(());
        };
        if map.contains_key("enum") {
            return Err(self.error(
                &push_pointer(pointer, "const"),
                "both `const` and `enum` are set",
                "keep one of them",
            ));
        }
        map.insert("enum".into(), Value::Array(vec![value]));
        Ok(())
    }

    /// A schema's `examples` list becomes `example` (its first item).
    pub(super) fn examples(
        &self,
        map: &mut Map<String, Value>,
        pointer: &str,
    ) -> Result<(), Error> {
        let Some(examples) = map.remove("examples") else {
            return Ok(());
        };
        let Value::Array(examples) = examples else {
            return Err(self.error(
                &push_pointer(pointer, "examples"),
                "a schema's `examples` is not a list",
                "in a schema, `examples` is a list of example values",
            ));
        };
        if let Some(first) = examples.into_iter().next() {
            map.entry("example").or_insert(first);
        }
        Ok(())
    }

    /// `exclusiveMinimum: n` becomes `minimum: n, exclusiveMinimum: true`
    /// (and the same for the maximum).
    pub(super) fn exclusive_bound(
        &self,
        map: &mut Map<String, Value>,
        pointer: &str,
        exclusive: &str,
        inclusive: &str,
    ) -> Result<(), Error> {
        match map.get(exclusive) {
            Some(Value::Number(n)) => {
                if map.contains_key(inclusive) {
                    return Err(self.error(
                        &push_pointer(pointer, exclusive),
                        format!("both `{inclusive}` and a numeric `{exclusive}` are set"),
                        "keep only the stricter bound",
                    ));
                }
                let n = Value::Number(n.clone());
                map.insert(inclusive.into(), n);
                map.insert(exclusive.into(), Value::Bool(true));
                Ok(())
            }
            Some(Value::Bool(true)) if !map.contains_key(inclusive) => Err(self.error(
                &push_pointer(pointer, exclusive),
                format!("`{exclusive}: true` without `{inclusive}`"),
                format!("add `{inclusive}` or remove `{exclusive}`"),
            )),
            _ => Ok(()),
        }
    }
}
