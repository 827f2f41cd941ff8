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

    /// `anyOf`/`oneOf` of `X` and `{type: 'null'}` becomes `X` with
    /// `nullable: true`.
    fn null_union(&self, map: &mut Map<String, Value>, pointer: &str) -> Result<(), Error> {
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
    fn type_list(&self, map: &mut Map<String, Value>, pointer: &str) -> Result<(), Error> {
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
    fn constant(&self, map: &mut Map<String, Value>, pointer: &str) -> Result<(), Error> {
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
    fn examples(&self, map: &mut Map<String, Value>, pointer: &str) -> Result<(), Error> {
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
    fn exclusive_bound(
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(text: &str) -> Value {
        serde_saphyr::from_str(text).expect("fixture is valid YAML")
    }

    /// Normalizes a document whose only content is `schema` under
    /// `components.schemas.S`, and returns the rewritten schema.
    fn normalize_schema(schema: &str) -> Result<Value, Error> {
        let mut doc = yaml(&format!(
            "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths: {{}}\n\
             components:\n  schemas:\n    S:\n{}",
            indent(schema, 6)
        ));
        normalize(&mut doc, Path::new("fixture.yaml"))?;
        Ok(doc["components"]["schemas"]["S"].clone())
    }

    fn indent(text: &str, by: usize) -> String {
        text.lines()
            .map(|l| format!("{}{l}\n", " ".repeat(by)))
            .collect()
    }

    #[test]
    fn version_becomes_3_0_3() {
        let mut doc = yaml("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n");
        normalize(&mut doc, Path::new("f.yaml")).unwrap();
        assert_eq!(doc["openapi"], "3.0.3");
    }

    #[test]
    fn unknown_version_is_an_error() {
        let mut doc = yaml("openapi: 2.0\ninfo: {title: t, version: '1'}\npaths: {}\n");
        let err = normalize(&mut doc, Path::new("f.yaml")).unwrap_err();
        assert_eq!(err.pointer.as_deref(), Some("/openapi"));
    }

    #[test]
    fn any_of_type_and_null_becomes_nullable() {
        let s = normalize_schema(
            "anyOf:\n  - type: string\n    format: date-time\n  - type: 'null'\ntitle: Last Seen",
        )
        .unwrap();
        assert_eq!(
            s,
            json!({"title": "Last Seen", "nullable": true, "type": "string", "format": "date-time"})
        );
    }

    #[test]
    fn one_of_ref_and_null_becomes_nullable_all_of() {
        let s = normalize_schema("oneOf:\n  - $ref: '#/components/schemas/T'\n  - type: 'null'")
            .unwrap();
        assert_eq!(
            s,
            json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/T"}]})
        );
    }

    #[test]
    fn any_of_with_several_non_null_variants_keeps_them() {
        let s = normalize_schema("anyOf:\n  - type: string\n  - type: integer\n  - type: 'null'")
            .unwrap();
        assert_eq!(
            s,
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
        );
    }

    #[test]
    fn any_of_only_null_is_an_error() {
        let err = normalize_schema("anyOf:\n  - type: 'null'").unwrap_err();
        assert_eq!(err.pointer.as_deref(), Some("/components/schemas/S/anyOf"));
    }

    #[test]
    fn conflicting_keyword_in_null_union_is_an_error() {
        let err = normalize_schema(
            "format: date\nanyOf:\n  - type: string\n    format: uuid\n  - type: 'null'",
        )
        .unwrap_err();
        assert!(err.message.contains("`format`"), "{err}");
    }

    #[test]
    fn type_list_with_null_becomes_nullable() {
        let s = normalize_schema("type: [integer, 'null']\nminimum: 0").unwrap();
        assert_eq!(
            s,
            json!({"type": "integer", "minimum": 0, "nullable": true})
        );
    }

    #[test]
    fn type_list_of_two_types_is_an_error() {
        let err = normalize_schema("type: [integer, string]").unwrap_err();
        assert_eq!(err.pointer.as_deref(), Some("/components/schemas/S/type"));
        assert!(err.message.contains("2 non-null types"), "{err}");
    }

    #[test]
    fn bare_null_type_is_an_error() {
        let err = normalize_schema("type: 'null'").unwrap_err();
        assert_eq!(err.pointer.as_deref(), Some("/components/schemas/S/type"));
    }

    #[test]
    fn const_becomes_one_value_enum() {
        let s = normalize_schema("type: string\nconst: list").unwrap();
        assert_eq!(s, json!({"type": "string", "enum": ["list"]}));
    }

    #[test]
    fn const_beside_enum_is_an_error() {
        let err = normalize_schema("const: a\nenum: [a, b]").unwrap_err();
        assert_eq!(err.pointer.as_deref(), Some("/components/schemas/S/const"));
    }

    #[test]
    fn schema_examples_become_first_example() {
        let s = normalize_schema("type: string\nexamples: [first, second]").unwrap();
        assert_eq!(s, json!({"type": "string", "example": "first"}));
    }

    #[test]
    fn media_type_examples_map_stays() {
        let mut doc = yaml(
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      \
             operationId: x\n      responses:\n        '200':\n          description: ok\n          \
             content:\n            application/json:\n              schema:\n                \
             type: string\n                examples: [a]\n              examples:\n                \
             one: {value: a}\n",
        );
        normalize(&mut doc, Path::new("f.yaml")).unwrap();
        let media = &doc["paths"]["/x"]["get"]["responses"]["200"]["content"]["application/json"];
        assert_eq!(media["examples"], json!({"one": {"value": "a"}}));
        assert_eq!(media["schema"], json!({"type": "string", "example": "a"}));
    }

    #[test]
    fn numeric_exclusive_bounds_become_boolean_form() {
        let s =
            normalize_schema("type: integer\nexclusiveMinimum: 0\nexclusiveMaximum: 101").unwrap();
        assert_eq!(
            s,
            json!({"type": "integer", "exclusiveMinimum": true, "exclusiveMaximum": true,
                   "minimum": 0, "maximum": 101})
        );
    }

    #[test]
    fn exclusive_bound_beside_inclusive_one_is_an_error() {
        let err = normalize_schema("type: integer\nminimum: 1\nexclusiveMinimum: 0").unwrap_err();
        assert_eq!(
            err.pointer.as_deref(),
            Some("/components/schemas/S/exclusiveMinimum")
        );
    }

    #[test]
    fn ref_with_siblings_goes_under_all_of() {
        let s = normalize_schema("$ref: '#/components/schemas/T'\ndefault: pending").unwrap();
        assert_eq!(
            s,
            json!({"default": "pending", "allOf": [{"$ref": "#/components/schemas/T"}]})
        );
    }

    #[test]
    fn plain_ref_is_left_alone() {
        let s = normalize_schema("$ref: '#/components/schemas/T'").unwrap();
        assert_eq!(s, json!({"$ref": "#/components/schemas/T"}));
    }

    #[test]
    fn nested_schemas_are_rewritten() {
        let s = normalize_schema(
            "type: object\nproperties:\n  a:\n    type: array\n    items:\n      \
             anyOf: [{type: string}, {type: integer}]\n  b:\n    type: [string, 'null']\n\
             additionalProperties:\n  const: 1",
        )
        .unwrap();
        assert_eq!(
            s["properties"]["b"],
            json!({"type": "string", "nullable": true})
        );
        assert_eq!(s["additionalProperties"], json!({"enum": [1]}));
        assert_eq!(
            s["properties"]["a"]["items"],
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}]})
        );
    }

    #[test]
    fn untranslatable_keyword_is_an_error_with_its_pointer() {
        let err = normalize_schema(
            "type: object\nproperties:\n  t:\n    type: array\n    prefixItems: [{type: string}]",
        )
        .unwrap_err();
        assert_eq!(
            err.pointer.as_deref(),
            Some("/components/schemas/S/properties/t/prefixItems")
        );
        assert_eq!(err.file, Path::new("fixture.yaml"));
    }

    #[test]
    fn boolean_schema_is_an_error() {
        let err = normalize_schema("type: object\nproperties:\n  x: true").unwrap_err();
        assert_eq!(
            err.pointer.as_deref(),
            Some("/components/schemas/S/properties/x")
        );
    }

    #[test]
    fn webhooks_are_an_error() {
        let mut doc = yaml("openapi: 3.1.0\ninfo: {title: t, version: '1'}\nwebhooks: {}\n");
        let err = normalize(&mut doc, Path::new("f.yaml")).unwrap_err();
        assert_eq!(err.pointer.as_deref(), Some("/webhooks"));
    }

    #[test]
    fn parameter_and_header_schemas_are_rewritten() {
        let mut doc = yaml(
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x/{id}:\n    \
             parameters:\n      - {name: id, in: path, required: true, schema: {type: [string, 'null']}}\n    \
             get:\n      operationId: x\n      parameters:\n        - name: q\n          in: query\n          \
             schema: {anyOf: [{type: integer}, {type: 'null'}]}\n      responses:\n        '200':\n          \
             description: ok\n          headers:\n            X-N: {schema: {const: 1}}\n",
        );
        normalize(&mut doc, Path::new("f.yaml")).unwrap();
        let item = &doc["paths"]["/x/{id}"];
        assert_eq!(
            item["parameters"][0]["schema"],
            json!({"type": "string", "nullable": true})
        );
        assert_eq!(
            item["get"]["parameters"][0]["schema"],
            json!({"nullable": true, "type": "integer"})
        );
        assert_eq!(
            item["get"]["responses"]["200"]["headers"]["X-N"]["schema"],
            json!({"enum": [1]})
        );
    }

    #[test]
    fn repeated_enum_values_are_dropped_with_a_warning() {
        let mut doc = yaml(
            "components:\n  schemas:\n    CountryCodeSimple:\n      type: string\n      \
             enum: ['1', '44', '1', '61']\n",
        );
        let warnings = dedupe_enums(&mut doc, Path::new("f.yaml"));
        assert_eq!(
            doc["components"]["schemas"]["CountryCodeSimple"]["enum"],
            json!(["1", "44", "61"])
        );
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].schema, "CountryCodeSimple");
        assert_eq!(warnings[0].value, "\"1\"");
        assert_eq!(
            warnings[0].pointer,
            "/components/schemas/CountryCodeSimple/enum"
        );
        assert!(warnings[0].to_string().contains("CountryCodeSimple"));
    }

    #[test]
    fn enums_without_repeats_give_no_warning() {
        let mut doc = yaml("a:\n  enum: [x, y]\n  items: {enum: [1, 2]}\n");
        assert!(dedupe_enums(&mut doc, Path::new("f.yaml")).is_empty());
    }
}
