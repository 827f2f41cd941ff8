//! What an error body says: the documented bodies of each API (message and
//! per-field problems), and the message of an undocumented one.

use crate::error::FieldProblem;

/// What an API's documented error body says.
pub(crate) trait ErrorDetails {
    /// The message and the per-field problems, as the server wrote them.
    fn details(self) -> (Option<String>, Vec<FieldProblem>);
}

impl ErrorDetails for artsvp_api::types::ErrorBody {
    fn details(self) -> (Option<String>, Vec<FieldProblem>) {
        let problems = self
            .errors
            .unwrap_or_default()
            .into_iter()
            .map(|e| FieldProblem {
                field: e.field,
                message: e.message.unwrap_or_default(),
            })
            .collect();
        (self.message.or(self.error), problems)
    }
}

impl ErrorDetails for securegate_api::types::HttpValidationError {
    fn details(self) -> (Option<String>, Vec<FieldProblem>) {
        use securegate_api::types::ErrorDetail;
        let list = match self.detail {
            None => Vec::new(),
            Some(ErrorDetail::String(message)) => return (Some(message), Vec::new()),
            Some(ErrorDetail::Array(list)) => list,
        };
        let problems = list
            .into_iter()
            .map(|d| FieldProblem {
                field: Some(
                    d.loc
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("."),
                ),
                message: d.msg,
            })
            .collect();
        (None, problems)
    }
}

/// A message from an undocumented error body: `{"detail": "…"}` (FastAPI),
/// `{"message": "…"}` or `{"error": "…"}`.
pub(super) fn body_message(body: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    ["detail", "message", "error"]
        .iter()
        .find_map(|k| json.get(k)?.as_str().map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undocumented_bodies_give_their_message() {
        assert_eq!(
            body_message(br#"{"detail": "Not Found"}"#).as_deref(),
            Some("Not Found")
        );
        assert_eq!(body_message(b"<html>"), None);
    }

    #[test]
    fn securegates_validation_errors_give_each_field_path() {
        use securegate_api::types::{
            ErrorDetail, HttpValidationError, LocationItem, ValidationError,
        };
        let body = HttpValidationError {
            detail: Some(ErrorDetail::Array(vec![ValidationError {
                loc: vec![
                    LocationItem::String("query".into()),
                    LocationItem::String("status".into()),
                ],
                msg: "Input should be 'pending' or 'sent'".into(),
                type_: "enum".into(),
            }])),
        };
        let (message, problems) = body.details();
        assert_eq!(message, None);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field.as_deref(), Some("query.status"));
        assert!(problems[0].message.starts_with("Input should be"));
        let plain = HttpValidationError {
            detail: Some(ErrorDetail::String("Not Found".into())),
        };
        assert_eq!(plain.details(), (Some("Not Found".into()), Vec::new()));
        let empty = HttpValidationError { detail: None };
        assert_eq!(empty.details(), (None, Vec::new()));
    }
}
