//! Rewrites an OpenAPI 3.1 document into the OpenAPI 3.0.3 dialect that
//! progenitor (through `openapiv3`) accepts, and removes repeated enum values.
//!
//! The rules, each with a unit test below:
//!
//! | 3.1 form | 3.0.3 form |
//! |---|---|
//! | `anyOf`/`oneOf` of `X` and `{type: 'null'}` | `X` with `nullable: true` (a `$ref` goes under `allOf: [X]`) |
//! | `type: [T, 'null']` | `type: T`, `nullable: true` |
//! | `const: v` | `enum: [v]` |
//! | schema `examples: [a, …]` | `example: a` (media-type `examples` maps stay) |
//! | `exclusiveMinimum: n` / `exclusiveMaximum: n` | `minimum: n`, `exclusiveMinimum: true` (and the same for maximum) |
//! | `$ref` with sibling keywords | `allOf: [{$ref}]` beside the siblings (3.0 ignores a `$ref`'s siblings) |
//! | `openapi: 3.1.x` | `openapi: 3.0.3` |
//!
//! Whatever has no 3.0 form (boolean schemas, `prefixItems`, `webhooks`, a
//! schema that is only `null`, …) is an [`Error`] naming the file and the JSON
//! pointer: nothing is dropped silently.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, push_pointer};

/// Schema keywords of JSON Schema 2020-12 that OpenAPI 3.0 has no form for.
const UNTRANSLATABLE_KEYWORDS: &[&str] = &[
    "$defs",
    "$dynamicRef",
    "$dynamicAnchor",
    "$anchor",
    "$id",
    "$schema",
    "prefixItems",
    "patternProperties",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "dependentSchemas",
    "dependentRequired",
    "contains",
    "minContains",
    "maxContains",
    "if",
    "then",
    "else",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
];

/// Keywords that only annotate a schema: a `{type: 'null'}` variant carrying
/// them is still just "null", and a conflict between them is settled in favour
/// of the outer schema, which describes the property.
const ANNOTATIONS: &[&str] = &["title", "description"];

/// The HTTP methods a path item can hold.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Something the normalizer changed that a maintainer should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The spec the warning is about.
    pub file: PathBuf,
    /// JSON pointer of the `enum` list.
    pub pointer: String,
    /// The schema's name (its component name, or its pointer when inline).
    pub schema: String,
    /// The repeated value, as JSON.
    pub value: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at `{}`: schema `{}` lists the enum value {} more than once; \
             the repeat was dropped (progenitor rejects repeated values)",
            self.file.display(),
            self.pointer,
            self.schema,
            self.value
        )
    }
}

/// Rewrites `doc` (read from `file`) in place from OpenAPI 3.1 (or 3.0) into
/// OpenAPI 3.0.3.
pub fn normalize(doc: &mut Value, file: &Path) -> Result<(), Error> {
    Normalizer { file }.document(doc)
}

struct Normalizer<'a> {
    file: &'a Path,
}

impl Normalizer<'_> {
    fn error(&self, pointer: &str, message: impl Into<String>, help: impl Into<String>) -> Error {
        Error::at(self.file, pointer, message, help)
    }

    fn document(&self, doc: &mut Value) -> Result<(), Error> {
        let Some(root) = doc.as_object_mut() else {
            return Err(self.error(
                "",
                "the document is not a mapping",
                "an OpenAPI document is a YAML mapping with `openapi`, `info` and `paths` keys",
            ));
        };
        match root.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.1.") || v.starts_with("3.0.") => {}
            Some(v) => {
                return Err(self.error(
                    "/openapi",
                    format!("unsupported OpenAPI version `{v}`"),
                    "the normalizer reads OpenAPI 3.0.x and 3.1.x documents",
                ));
            }
            None => {
                return Err(self.error(
                    "/openapi",
                    "missing or non-string `openapi` version",
                    "add `openapi: 3.1.0` at the top of the document",
                ));
            }
        }
        root.insert("openapi".into(), Value::String("3.0.3".into()));
        for key in ["webhooks", "jsonSchemaDialect"] {
            if root.contains_key(key) {
                return Err(self.error(
                    &push_pointer("", key),
                    format!("`{key}` is OpenAPI 3.1 only and has no 3.0 form"),
                    format!("remove `{key}` with an overlay action (`remove: true`)"),
                ));
            }
        }
        if let Some(paths) = root.get_mut("paths") {
            let Some(paths) = paths.as_object_mut() else {
                return Err(self.error("/paths", "`paths` is not a mapping", "fix the document"));
            };
            for (path, item) in paths.iter_mut() {
                self.path_item(item, &push_pointer("/paths", path))?;
            }
        }
        if let Some(components) = root.get_mut("components") {
            self.components(components)?;
        }
        Ok(())
    }

    fn components(&self, components: &mut Value) -> Result<(), Error> {
        let Some(components) = components.as_object_mut() else {
            return Err(self.error(
                "/components",
                "`components` is not a mapping",
                "fix the document",
            ));
        };
        if components.contains_key("pathItems") {
            return Err(self.error(
                "/components/pathItems",
                "`components.pathItems` is OpenAPI 3.1 only and has no 3.0 form",
                "inline the path items under `paths`",
            ));
        }
        type Walk<'n> = fn(&Normalizer<'n>, &mut Value, &str) -> Result<(), Error>;
        let sections: [(&str, Walk<'_>); 5] = [
            ("schemas", Normalizer::schema),
            ("parameters", Normalizer::parameter),
            ("responses", Normalizer::response),
            ("requestBodies", Normalizer::request_body),
            ("headers", Normalizer::header),
        ];
        for (section, walk) in sections {
            if let Some(entries) = components.get_mut(section) {
                let pointer = push_pointer("/components", section);
                for (name, entry) in self.mapping(entries, &pointer)? {
                    walk(self, entry, &push_pointer(&pointer, name))?;
                }
            }
        }
        Ok(())
    }

    /// The entries of a mapping, or an error naming `pointer` if it is not one.
    fn mapping<'v>(
        &self,
        value: &'v mut Value,
        pointer: &str,
    ) -> Result<impl Iterator<Item = (&'v String, &'v mut Value)>, Error> {
        match value {
            Value::Object(map) => Ok(map.iter_mut()),
            _ => Err(self.error(pointer, "expected a mapping", "fix the document")),
        }
    }

    fn path_item(&self, item: &mut Value, pointer: &str) -> Result<(), Error> {
        let Some(item) = item.as_object_mut() else {
            return Err(self.error(pointer, "a path item is not a mapping", "fix the document"));
        };
        if let Some(parameters) = item.get_mut("parameters") {
            self.parameters(parameters, &push_pointer(pointer, "parameters"))?;
        }
        for method in METHODS {
            if let Some(operation) = item.get_mut(*method) {
                self.operation(operation, &push_pointer(pointer, method))?;
            }
        }
        Ok(())
    }

    fn operation(&self, operation: &mut Value, pointer: &str) -> Result<(), Error> {
        let Some(operation) = operation.as_object_mut() else {
            return Err(self.error(pointer, "an operation is not a mapping", "fix the document"));
        };
        if let Some(parameters) = operation.get_mut("parameters") {
            self.parameters(parameters, &push_pointer(pointer, "parameters"))?;
        }
        if let Some(body) = operation.get_mut("requestBody") {
            self.request_body(body, &push_pointer(pointer, "requestBody"))?;
        }
        if let Some(responses) = operation.get_mut("responses") {
            let responses_pointer = push_pointer(pointer, "responses");
            for (status, response) in self.mapping(responses, &responses_pointer)? {
                self.response(response, &push_pointer(&responses_pointer, status))?;
            }
        }
        if let Some(callbacks) = operation.get_mut("callbacks") {
            let callbacks_pointer = push_pointer(pointer, "callbacks");
            for (name, callback) in self.mapping(callbacks, &callbacks_pointer)? {
                let callback_pointer = push_pointer(&callbacks_pointer, name);
                for (expression, item) in self.mapping(callback, &callback_pointer)? {
                    self.path_item(item, &push_pointer(&callback_pointer, expression))?;
                }
            }
        }
        Ok(())
    }

    fn parameters(&self, parameters: &mut Value, pointer: &str) -> Result<(), Error> {
        let Some(parameters) = parameters.as_array_mut() else {
            return Err(self.error(pointer, "`parameters` is not a list", "fix the document"));
        };
        for (i, parameter) in parameters.iter_mut().enumerate() {
            self.parameter(parameter, &push_pointer(pointer, &i.to_string()))?;
        }
        Ok(())
    }

    /// A parameter or a header: both carry `schema` or `content`.
    fn parameter(&self, parameter: &mut Value, pointer: &str) -> Result<(), Error> {
        if is_reference(parameter) {
            return Ok(());
        }
        if let Some(schema) = parameter.get_mut("schema") {
            self.schema(schema, &push_pointer(pointer, "schema"))?;
        }
        if let Some(content) = parameter.get_mut("content") {
            self.content(content, &push_pointer(pointer, "content"))?;
        }
        Ok(())
    }

    fn header(&self, header: &mut Value, pointer: &str) -> Result<(), Error> {
        self.parameter(header, pointer)
    }

    fn request_body(&self, body: &mut Value, pointer: &str) -> Result<(), Error> {
        if is_reference(body) {
            return Ok(());
        }
        if let Some(content) = body.get_mut("content") {
            self.content(content, &push_pointer(pointer, "content"))?;
        }
        Ok(())
    }

    fn response(&self, response: &mut Value, pointer: &str) -> Result<(), Error> {
        if is_reference(response) {
            return Ok(());
        }
        if let Some(content) = response.get_mut("content") {
            self.content(content, &push_pointer(pointer, "content"))?;
        }
        if let Some(headers) = response.get_mut("headers") {
            let headers_pointer = push_pointer(pointer, "headers");
            for (name, header) in self.mapping(headers, &headers_pointer)? {
                self.header(header, &push_pointer(&headers_pointer, name))?;
            }
        }
        Ok(())
    }

    /// A `content` map of media types. Their `examples` maps are valid 3.0
    /// and are left alone; only their schemas are rewritten.
    fn content(&self, content: &mut Value, pointer: &str) -> Result<(), Error> {
        for (media_type, entry) in self.mapping(content, pointer)? {
            if let Some(schema) = entry.get_mut("schema") {
                let entry_pointer = push_pointer(pointer, media_type);
                self.schema(schema, &push_pointer(&entry_pointer, "schema"))?;
            }
        }
        Ok(())
    }

    fn schema(&self, schema: &mut Value, pointer: &str) -> Result<(), Error> {
        let map = match schema {
            Value::Object(map) => map,
            Value::Bool(b) => {
                return Err(self.error(
                    pointer,
                    format!("the boolean schema `{b}` has no OpenAPI 3.0 form"),
                    if *b {
                        "use `{}` (any value) instead"
                    } else {
                        "use `not: {}` instead"
                    },
                ));
            }
            _ => {
                return Err(self.error(pointer, "a schema is not a mapping", "fix the document"));
            }
        };
        if let Some(keyword) = UNTRANSLATABLE_KEYWORDS
            .iter()
            .find(|k| map.contains_key(**k))
        {
            return Err(self.error(
                &push_pointer(pointer, keyword),
                format!("`{keyword}` has no OpenAPI 3.0 form"),
                "rewrite this schema without it in the overlay",
            ));
        }
        self.null_union(map, pointer)?;
        self.type_list(map, pointer)?;
        if map.get("type").and_then(Value::as_str) == Some("null") {
            return Err(self.error(
                &push_pointer(pointer, "type"),
                "a schema that only allows `null` has no OpenAPI 3.0 form",
                "make the property nullable instead (`anyOf: [X, {type: 'null'}]`)",
            ));
        }
        self.constant(map, pointer)?;
        self.examples(map, pointer)?;
        self.exclusive_bound(map, pointer, "exclusiveMinimum", "minimum")?;
        self.exclusive_bound(map, pointer, "exclusiveMaximum", "maximum")?;
        wrap_ref_with_siblings(map);

        // Subschemas, after this schema's own rewrites (which may have moved
        // a variant's keywords up into it).
        self.subschemas(map, pointer)
    }

    /// Normalizes the schemas inside one: `items`, `not`,
    /// `additionalProperties`, the properties, and `allOf`/`anyOf`/`oneOf`.
    fn subschemas(&self, map: &mut Map<String, Value>, pointer: &str) -> Result<(), Error> {
        for key in ["items", "not"] {
            if let Some(child) = map.get_mut(key) {
                self.schema(child, &push_pointer(pointer, key))?;
            }
        }
        if let Some(child @ Value::Object(_)) = map.get_mut("additionalProperties") {
            self.schema(child, &push_pointer(pointer, "additionalProperties"))?;
        }
        if let Some(properties) = map.get_mut("properties") {
            let properties_pointer = push_pointer(pointer, "properties");
            for (name, child) in self.mapping(properties, &properties_pointer)? {
                self.schema(child, &push_pointer(&properties_pointer, name))?;
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(variants) = map.get_mut(key) {
                let variants_pointer = push_pointer(pointer, key);
                let Some(variants) = variants.as_array_mut() else {
                    return Err(self.error(
                        &variants_pointer,
                        format!("`{key}` is not a list"),
                        "fix the document",
                    ));
                };
                for (i, variant) in variants.iter_mut().enumerate() {
                    self.schema(variant, &push_pointer(&variants_pointer, &i.to_string()))?;
                }
            }
        }
        Ok(())
    }
}

/// In 3.0 a `$ref` hides its siblings; `{$ref, default: x}` becomes
/// `{allOf: [{$ref}], default: x}` so that nothing is lost.
fn wrap_ref_with_siblings(map: &mut Map<String, Value>) {
    if map.len() > 1
        && let Some(reference) = map.remove("$ref")
    {
        let mut only_ref = Map::new();
        only_ref.insert("$ref".into(), reference);
        map.insert("allOf".into(), Value::Array(vec![Value::Object(only_ref)]));
    }
}

fn is_reference(value: &Value) -> bool {
    value.get("$ref").is_some()
}

/// `{type: 'null'}`, possibly with a title or a description.
fn is_null_schema(value: &Value) -> bool {
    value.as_object().is_some_and(|map| {
        map.get("type").and_then(Value::as_str) == Some("null")
            && map
                .keys()
                .all(|k| k == "type" || ANNOTATIONS.contains(&k.as_str()))
    })
}

mod dedupe;
mod keywords;

pub use dedupe::dedupe_enums;
#[cfg(test)]
mod tests;
