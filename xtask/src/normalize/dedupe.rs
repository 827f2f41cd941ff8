//! Repeated `enum` values removed (progenitor panics on them), each
//! removal a [`Warning`] for the maintainer.

use std::path::Path;

use serde_json::Value;

use super::Warning;
use crate::error::push_pointer;

/// Removes repeated values from every `enum` list in `doc`, keeping the first
/// of each, and returns one warning per value removed.
pub fn dedupe_enums(doc: &mut Value, file: &Path) -> Vec<Warning> {
    let mut warnings = Vec::new();
    dedupe_walk(doc, "", file, &mut warnings);
    warnings
}

fn dedupe_walk(value: &mut Value, pointer: &str, file: &Path, warnings: &mut Vec<Warning>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let child_pointer = push_pointer(pointer, key);
                if key == "enum"
                    && let Value::Array(values) = child
                {
                    let mut kept: Vec<Value> = Vec::with_capacity(values.len());
                    for v in values.drain(..) {
                        if kept.contains(&v) {
                            warnings.push(Warning {
                                file: file.to_path_buf(),
                                pointer: child_pointer.clone(),
                                schema: schema_name(pointer),
                                value: v.to_string(),
                            });
                        } else {
                            kept.push(v);
                        }
                    }
                    *values = kept;
                } else {
                    dedupe_walk(child, &child_pointer, file, warnings);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                dedupe_walk(
                    child,
                    &push_pointer(pointer, &i.to_string()),
                    file,
                    warnings,
                );
            }
        }
        _ => {}
    }
}

/// `CountryCodeSimple` for `/components/schemas/CountryCodeSimple`, the
/// pointer itself for an inline schema.
fn schema_name(pointer: &str) -> String {
    match pointer.strip_prefix("/components/schemas/") {
        Some(rest) if !rest.contains('/') => rest.replace("~1", "/").replace("~0", "~"),
        _ => pointer.to_string(),
    }
}
