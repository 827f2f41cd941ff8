//! A request's query parameters, checked against the names its operation
//! takes; the cursor and the page size read from them.

use axum::body::Body;
use axum::http::{Response, StatusCode};

use super::{DEFAULT_LIMIT, MAX_LIMIT, error, field_error};
use crate::artsvp::table::{Cursor, UnknownCursor};

/// A request's query parameters, checked against the operation's names.
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub(super) fn parse(raw: Option<String>, allowed: &[&str]) -> Result<Self, Response<Body>> {
        let raw = raw.unwrap_or_default();
        let mut pairs = Vec::new();
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            let key = key.strip_suffix("[]").unwrap_or(&key).to_string();
            if !allowed.contains(&key.as_str()) {
                return Err(field_error(
                    StatusCode::BAD_REQUEST,
                    "unknown_parameter",
                    &key,
                    &format!(
                        "unknown query parameter; this operation takes {}",
                        allowed.join(", ")
                    ),
                ));
            }
            pairs.push((key, value.into_owned()));
        }
        Ok(Self(pairs))
    }

    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub(super) fn cursor(&self) -> Result<Cursor, Response<Body>> {
        match (self.get("starting_after"), self.get("ending_before")) {
            (Some(_), Some(_)) => Err(error(
                StatusCode::BAD_REQUEST,
                "invalid_cursor",
                "pass only one of `starting_after` and `ending_before`",
            )),
            (Some(""), _) | (_, Some("")) => Err(error(
                StatusCode::BAD_REQUEST,
                "invalid_cursor",
                "a cursor must not be empty",
            )),
            (Some(id), None) => Ok(Cursor::After(id.to_string())),
            (None, Some(id)) => Ok(Cursor::Before(id.to_string())),
            (None, None) => Ok(Cursor::Start),
        }
    }

    pub(super) fn limit(&self) -> Result<usize, Response<Body>> {
        let Some(raw) = self.get("limit") else {
            return Ok(DEFAULT_LIMIT);
        };
        match raw.parse::<u64>() {
            Ok(n) if (1..=MAX_LIMIT as u64).contains(&n) => Ok(n as usize),
            _ => Err(field_error(
                StatusCode::BAD_REQUEST,
                "invalid_limit",
                "limit",
                &format!("must be an integer between 1 and {MAX_LIMIT}, got `{raw}`"),
            )),
        }
    }
}

pub(super) fn unknown_cursor(e: UnknownCursor) -> Response<Body> {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_cursor",
        &format!("no object has the id `{}`", e.0),
    )
}
