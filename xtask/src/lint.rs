//! Finds, in a normalized (OpenAPI 3.0.3) document, the constructs that
//! progenitor 0.15 would panic on, and reports each as an [`Error`] with its
//! JSON pointer and a fix, before the generator ever sees the document.
//!
//! The list mirrors progenitor's `assert!`/`todo!`/`panic!` sites in
//! `progenitor-impl/src/method.rs` and `to_schema.rs`; whatever is not caught
//! here is still caught by the panic guard in [`crate::codegen`].

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, push_pointer};

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Checks `doc` (from `file`) for constructs progenitor cannot generate.
pub fn check(doc: &Value, file: &Path) -> Result<(), Error> {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Ok(());
    };
    for (path, item) in paths {
        let item_pointer = push_pointer("/paths", path);
        if item.get("$ref").is_some() {
            return Err(Error::at(
                file,
                &item_pointer,
                "progenitor does not support a path item that is a `$ref`",
                "inline the path item",
            ));
        }
        let shared_parameters = item.get("parameters");
        for method in METHODS {
            let Some(operation) = item.get(*method) else {
                continue;
            };
            let pointer = push_pointer(&item_pointer, method);
            check_operation(doc, file, path, operation, shared_parameters, &pointer)?;
        }
    }
    Ok(())
}

fn check_operation(
    doc: &Value,
    file: &Path,
    path: &str,
    operation: &Value,
    shared_parameters: Option<&Value>,
    pointer: &str,
) -> Result<(), Error> {
    if operation
        .get("operationId")
        .and_then(Value::as_str)
        .is_none()
    {
        return Err(Error::at(
            file,
            pointer,
            "the operation has no `operationId`",
            "give it one (in the overlay for a vendor document): it names the client method",
        ));
    }
    check_path_parameters(doc, file, path, operation, shared_parameters, pointer)?;
    check_request_body(doc, file, operation, pointer)?;
    check_responses(doc, file, operation, pointer)
}

/// Every path parameter appears in the path.
fn check_path_parameters(
    doc: &Value,
    file: &Path,
    path: &str,
    operation: &Value,
    shared_parameters: Option<&Value>,
    pointer: &str,
) -> Result<(), Error> {
    let parameters = shared_parameters
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            operation
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    for parameter in parameters {
        let parameter = resolve(doc, parameter);
        if parameter.get("in").and_then(Value::as_str) == Some("path") {
            let name = parameter.get("name").and_then(Value::as_str).unwrap_or("");
            if !path.contains(&format!("{{{name}}}")) {
                return Err(Error::at(
                    file,
                    push_pointer(pointer, "parameters"),
                    format!("the path parameter `{name}` does not appear in the path `{path}`"),
                    format!("add `{{{name}}}` to the path or make the parameter a query parameter"),
                ));
            }
        }
    }
    Ok(())
}

/// A request body offers one media type (progenitor takes one).
fn check_request_body(
    doc: &Value,
    file: &Path,
    operation: &Value,
    pointer: &str,
) -> Result<(), Error> {
    let Some(body) = operation.get("requestBody") else {
        return Ok(());
    };
    let count = resolve(doc, body)
        .get("content")
        .and_then(Value::as_object)
        .map_or(0, |c| c.len());
    if count > 1 {
        return Err(Error::at(
            file,
            push_pointer(&push_pointer(pointer, "requestBody"), "content"),
            format!("the request body offers {count} media types; progenitor takes one"),
            "keep one media type (usually application/json)",
        ));
    }
    Ok(())
}

/// The success responses share one body type, and so do the error
/// responses (progenitor generates one of each per operation).
fn check_responses(
    doc: &Value,
    file: &Path,
    operation: &Value,
    pointer: &str,
) -> Result<(), Error> {
    let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
        return Ok(());
    };
    let responses_pointer = push_pointer(pointer, "responses");
    let mut success = Vec::new();
    let mut failure = Vec::new();
    for (status, response) in responses {
        let response_pointer = push_pointer(&responses_pointer, status);
        let kind = response_kind(file, resolve(doc, response), &response_pointer)?;
        let class = status_class(status).ok_or_else(|| {
            Error::at(
                file,
                &response_pointer,
                format!("`{status}` is not a status code"),
                "use a three-digit code, a range such as `4XX`, or `default`",
            )
        })?;
        match class {
            StatusClass::Default => {
                success.push((status.as_str(), kind.clone()));
                failure.push((status.as_str(), kind));
            }
            StatusClass::Success => success.push((status.as_str(), kind)),
            StatusClass::Failure => failure.push((status.as_str(), kind)),
            StatusClass::Other => {}
        }
    }
    // progenitor drops a `default` that follows a `2XX` range from the
    // success responses: it can never be reached.
    if success.iter().any(|(s, _)| *s == "2XX") {
        success.retain(|(s, _)| *s != "default");
    }
    for (group, responses) in [("success", &success), ("error", &failure)] {
        let kinds: BTreeSet<&str> = responses.iter().map(|(_, k)| k.as_str()).collect();
        if kinds.len() > 1 {
            let statuses: Vec<&str> = responses.iter().map(|(s, _)| *s).collect();
            return Err(Error::at(
                file,
                &responses_pointer,
                format!(
                    "the {group} responses ({}) have {} different body types; progenitor \
                     generates one {group} type per operation",
                    statuses.join(", "),
                    kinds.len()
                ),
                format!("give every {group} response of the operation the same schema"),
            ));
        }
    }
    Ok(())
}

/// How progenitor classifies a response body: a JSON schema, raw bytes, or
/// nothing. Two responses with different kinds cannot share a result type.
fn response_kind(file: &Path, response: &Value, pointer: &str) -> Result<String, Error> {
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return Ok("no body".into());
    };
    let json = content
        .iter()
        .find(|(media, _)| *media == "application/json" || media.starts_with("application/json;"));
    match json {
        Some((media, entry)) => {
            let entry_pointer = push_pointer(&push_pointer(pointer, "content"), media);
            if entry
                .get("encoding")
                .and_then(Value::as_object)
                .is_some_and(|e| !e.is_empty())
            {
                return Err(Error::at(
                    file,
                    push_pointer(&entry_pointer, "encoding"),
                    "progenitor does not support `encoding` on a JSON response",
                    "remove `encoding`",
                ));
            }
            match entry.get("schema") {
                Some(schema) => Ok(format!("json {schema}")),
                None => Err(Error::at(
                    file,
                    entry_pointer,
                    "a JSON response without a `schema`",
                    "add the schema of the response body",
                )),
            }
        }
        None if content.is_empty() => Ok("no body".into()),
        None => Ok("raw bytes".into()),
    }
}

enum StatusClass {
    Success,
    Failure,
    Default,
    Other,
}

fn status_class(status: &str) -> Option<StatusClass> {
    if status == "default" {
        return Some(StatusClass::Default);
    }
    let bytes = status.as_bytes();
    let valid = bytes.len() == 3
        && (b'1'..=b'5').contains(&bytes[0])
        && (bytes[1..].iter().all(u8::is_ascii_digit) || &bytes[1..] == b"XX");
    if !valid {
        return None;
    }
    Some(match bytes[0] {
        b'2' => StatusClass::Success,
        b'4' | b'5' => StatusClass::Failure,
        _ => StatusClass::Other,
    })
}

/// Follows a local `$ref` (`#/components/...`) one level; anything else is
/// returned as it is.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| doc.pointer(p))
        .unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc_with_responses(responses: Value) -> Value {
        json!({"openapi": "3.0.3", "paths": {"/x/{id}": {"get": {
            "operationId": "x",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": responses
        }}}})
    }

    #[test]
    fn one_error_schema_passes() {
        let e = json!({"description": "e", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}}});
        let doc = doc_with_responses(json!({
            "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}},
            "404": e, "429": e, "5XX": e,
        }));
        check(&doc, Path::new("f.yaml")).unwrap();
    }

    #[test]
    fn different_error_schemas_are_an_error() {
        let doc = doc_with_responses(json!({
            "200": {"description": "ok"},
            "404": {"description": "e", "content": {"application/json": {"schema": {"type": "string"}}}},
            "422": {"description": "e", "content": {"application/json": {"schema": {"type": "integer"}}}},
        }));
        let err = check(&doc, Path::new("f.yaml")).unwrap_err();
        assert_eq!(
            err.pointer.as_deref(),
            Some("/paths/~1x~1{id}/get/responses")
        );
        assert!(err.message.contains("error responses (404, 422)"), "{err}");
    }

    #[test]
    fn a_body_and_no_body_on_success_are_an_error() {
        let doc = doc_with_responses(json!({
            "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}},
            "204": {"description": "none"},
        }));
        let err = check(&doc, Path::new("f.yaml")).unwrap_err();
        assert!(
            err.message.contains("success responses (200, 204)"),
            "{err}"
        );
    }

    #[test]
    fn a_path_parameter_missing_from_the_path_is_an_error() {
        let doc = json!({"paths": {"/x": {"get": {
            "operationId": "x",
            "parameters": [{"name": "id", "in": "path", "required": true}],
            "responses": {"200": {"description": "ok"}}
        }}}});
        let err = check(&doc, Path::new("f.yaml")).unwrap_err();
        assert!(err.message.contains("`id`"), "{err}");
    }

    #[test]
    fn two_request_media_types_are_an_error() {
        let doc = json!({"paths": {"/x": {"post": {
            "operationId": "x",
            "requestBody": {"content": {"application/json": {}, "text/plain": {}}},
            "responses": {"200": {"description": "ok"}}
        }}}});
        let err = check(&doc, Path::new("f.yaml")).unwrap_err();
        assert_eq!(
            err.pointer.as_deref(),
            Some("/paths/~1x/post/requestBody/content")
        );
    }

    #[test]
    fn a_missing_operation_id_is_an_error() {
        let doc = json!({"paths": {"/x": {"get": {"responses": {}}}}});
        let err = check(&doc, Path::new("f.yaml")).unwrap_err();
        assert_eq!(err.pointer.as_deref(), Some("/paths/~1x/get"));
    }
}
