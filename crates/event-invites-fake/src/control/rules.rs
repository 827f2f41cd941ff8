//! The JSON bodies the control API takes: a fault rule (checked field by
//! field: a fault takes only its own fields), a clock advance, data to add.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::faults::{Fault, FaultRule};
use crate::settings::without_values;

/// The body of `POST /{api}/clock`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Advance {
    pub(super) advance_ms: u64,
}

/// The JSON form of a fault rule (see [`ControlApi`]); the fields a fault
/// takes are checked in [`parse_rule`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleBody {
    fault: FaultName,
    status: Option<u16>,
    location: Option<String>,
    retry_after: Option<u64>,
    ms: Option<u64>,
    method: Option<String>,
    route: Option<String>,
    skip: Option<u32>,
    times: Option<Value>,
    share: Option<Share>,
    after_write: Option<bool>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub(super) enum FaultName {
    Status,
    TooManyRequests,
    Latency,
    DropConnection,
    TruncatedBody,
    MalformedJson,
    UnknownEnumValue,
    ExtraFields,
    Redirect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Share {
    strike: u32,
    of: u32,
}

/// A JSON body, or the 400's message: serde's own, which names the field
/// (`unknown field `tiems`, expected one of …`, `missing field …`).
pub(super) fn json_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the body is not JSON: {e}"))?;
    if !value.is_object() {
        return Err("the body must be a JSON object".into());
    }
    T::deserialize(value)
        .map_err(|e| format!("the body does not fit: {}", without_values(&e.to_string())))
}

/// A fault rule from its JSON form (see [`ControlApi`]).
pub(super) fn parse_rule(bytes: &[u8]) -> Result<FaultRule, String> {
    let b: RuleBody = json_body(bytes)?;
    let mut rule = FaultRule::new(fault_of(&b)?);
    match (b.method, b.route) {
        (Some(method), Some(route)) => rule = rule.on(&method, &route),
        (None, Some(route)) => rule = rule.route(&route),
        (Some(method), None) => rule = rule.method(&method),
        (None, None) => {}
    }
    if let Some(skip) = b.skip {
        rule = rule.skip(skip);
    }
    rule = counted(rule, b.times, b.share)?;
    if b.after_write == Some(true) {
        rule = rule.after_write();
    }
    Ok(rule)
}

/// The fault a rule's body names, with the fields it takes (and none that
/// only another fault takes).
pub(super) fn fault_of(b: &RuleBody) -> Result<Fault, String> {
    use FaultName as F;
    let only: [(&str, bool, &[FaultName]); 4] = [
        ("status", b.status.is_some(), &[F::Status, F::Redirect]),
        ("location", b.location.is_some(), &[F::Redirect]),
        (
            "retry_after",
            b.retry_after.is_some(),
            &[F::TooManyRequests],
        ),
        ("ms", b.ms.is_some(), &[F::Latency]),
    ];
    for (field, given, faults) in only {
        if given && !faults.contains(&b.fault) {
            let names: Vec<&str> = faults.iter().map(|f| fault_name(*f)).collect();
            return Err(format!(
                "`{field}`: only for `fault: {}`",
                names.join("` or `fault: ")
            ));
        }
    }
    let required = |field: &str| format!("`{field}`: required by `fault: {}`", fault_name(b.fault));
    Ok(match b.fault {
        FaultName::Status => match b.status {
            Some(s) if (100..=599).contains(&s) => Fault::Status(s),
            Some(s) => {
                return Err(format!(
                    "`status`: must be an HTTP status (100..=599), got {s}"
                ));
            }
            None => return Err(required("status")),
        },
        FaultName::TooManyRequests => Fault::TooManyRequests {
            retry_after: b.retry_after.ok_or_else(|| required("retry_after"))?,
        },
        FaultName::Latency => {
            Fault::Latency(Duration::from_millis(b.ms.ok_or_else(|| required("ms"))?))
        }
        FaultName::DropConnection => Fault::DropConnection,
        FaultName::TruncatedBody => Fault::TruncatedBody,
        FaultName::MalformedJson => Fault::MalformedJson,
        FaultName::UnknownEnumValue => Fault::UnknownEnumValue,
        FaultName::ExtraFields => Fault::ExtraFields,
        FaultName::Redirect => match b.status {
            Some(status) if (300..=399).contains(&status) => Fault::Redirect {
                status,
                location: b.location.clone().ok_or_else(|| required("location"))?,
            },
            Some(s) => {
                return Err(format!("`status`: a redirect's must be 300..=399, got {s}"));
            }
            None => return Err(required("status")),
        },
    })
}

/// How often the rule strikes: `times` (a count or `"always"`) or a
/// `share`, not both.
pub(super) fn counted(
    rule: FaultRule,
    times: Option<Value>,
    share: Option<Share>,
) -> Result<FaultRule, String> {
    match (times, share) {
        (Some(_), Some(_)) => Err("`share`: strikes until removed, so it takes no `times`".into()),
        (None, Some(Share { strike, of })) if of == 0 || strike > of => Err(format!(
            "`share`: `strike` must be at most `of`, and `of` at least 1; got {strike} of {of}"
        )),
        (None, Some(Share { strike, of })) => Ok(rule.share(strike, of)),
        (None, None) => Ok(rule),
        (Some(Value::String(s)), None) if s == "always" => Ok(rule.always()),
        (Some(v), None) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n > 0 => Ok(rule.times(n)),
            _ => Err(format!(
                "`times`: must be a count ≥ 1 or \"always\", got {v}"
            )),
        },
    }
}

/// A fault's name as the JSON form spells it.
pub(super) fn fault_name(fault: FaultName) -> &'static str {
    match fault {
        FaultName::Status => "status",
        FaultName::TooManyRequests => "too_many_requests",
        FaultName::Latency => "latency",
        FaultName::DropConnection => "drop_connection",
        FaultName::TruncatedBody => "truncated_body",
        FaultName::MalformedJson => "malformed_json",
        FaultName::UnknownEnumValue => "unknown_enum_value",
        FaultName::ExtraFields => "extra_fields",
        FaultName::Redirect => "redirect",
    }
}
