//! Scriptable faults: what a fake server does wrong, to which requests, and
//! whether before or after the request's write is applied.
//!
//! ```
//! use event_invites_fake::{Fault, FaultRule};
//! use std::time::Duration;
//!
//! // The next request, whatever it is, gets a 503.
//! let next = FaultRule::new(Fault::Status(503));
//! // The next two creates apply their write, then lose the connection.
//! let lost = FaultRule::new(Fault::DropConnection)
//!     .on("POST", "/invites")
//!     .after_write()
//!     .times(2);
//! // Every invite list is slow.
//! let slow = FaultRule::new(Fault::Latency(Duration::from_millis(50)))
//!     .on("GET", "/invites")
//!     .always();
//! # let _ = (next, lost, slow);
//! ```

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

/// One thing a fake server can do wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status (500, 502, 503, …) and the API's error body.
    Status(u16),
    /// Answer 429 with this `Retry-After` (seconds).
    TooManyRequests {
        /// The `Retry-After` header's value, in seconds.
        retry_after: u64,
    },
    /// Wait this long, then answer normally.
    Latency(Duration),
    /// Close the connection without answering.
    DropConnection,
    /// Send the headers and half of the body, then close the connection.
    TruncatedBody,
    /// Answer with a complete response whose body is not valid JSON.
    MalformedJson,
    /// Answer normally, but with enum values the client has never seen
    /// (e.g. a SecureGate status `expired`, an ARTSVP booking status
    /// `is_waitlisted`).
    UnknownEnumValue,
    /// Answer normally, but add fields the spec does not know to every
    /// object of the body.
    ExtraFields,
}

impl Fault {
    /// A short name for logs: `status_503`, `drop_connection`, ….
    pub fn name(&self) -> String {
        match self {
            Self::Status(s) => format!("status_{s}"),
            Self::TooManyRequests { retry_after } => format!("too_many_requests_{retry_after}s"),
            Self::Latency(d) => format!("latency_{}ms", d.as_millis()),
            Self::DropConnection => "drop_connection".into(),
            Self::TruncatedBody => "truncated_body".into(),
            Self::MalformedJson => "malformed_json".into(),
            Self::UnknownEnumValue => "unknown_enum_value".into(),
            Self::ExtraFields => "extra_fields".into(),
        }
    }

    /// Whether the fault replaces the answer (status, 429, drop) rather than
    /// changing the handler's answer (latency, body faults).
    pub(crate) fn replaces_answer(&self) -> bool {
        matches!(
            self,
            Self::Status(_) | Self::TooManyRequests { .. } | Self::DropConnection
        )
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// When a fault that replaces the answer strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// Before the request is handled: nothing is written.
    BeforeWrite,
    /// After the request was handled and its write applied.
    AfterWrite,
}

/// A fault and the requests it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    fault: Fault,
    method: Option<String>,
    route: Option<String>,
    skip: u32,
    times: Option<u32>,
    timing: Timing,
    /// Strike only this share of the matching requests: (strike, of).
    share: Option<(u32, u32)>,
    /// Matching requests seen, for the share.
    seen: u32,
}

impl FaultRule {
    /// The fault for the next request (any route), once, before its write.
    pub fn new(fault: Fault) -> Self {
        Self {
            fault,
            method: None,
            route: None,
            skip: 0,
            times: Some(1),
            timing: Timing::BeforeWrite,
            share: None,
            seen: 0,
        }
    }

    /// Only requests with this method and route template, e.g.
    /// `("POST", "/invites")`, `("GET", "/invites/{id}")` or
    /// `("GET", "/events/{event_id}/invites")`.
    pub fn on(mut self, method: &str, route: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self.route = Some(route.to_string());
        self
    }

    /// Only requests with this method, whatever their route.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// The fault this rule applies.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// Only requests with this route template, whatever their method.
    pub fn route(mut self, route: &str) -> Self {
        self.route = Some(route.to_string());
        self
    }

    /// Let the first `n` matching requests through untouched.
    pub fn skip(mut self, n: u32) -> Self {
        self.skip = n;
        self
    }

    /// Strike `n` matching requests (the default is 1).
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Strike every matching request until the rules are cleared.
    pub fn always(mut self) -> Self {
        self.times = None;
        self
    }

    /// Strike `strike` of every `of` matching requests, spread evenly and
    /// the same on every run (3 of 10 strikes the 4th, 7th and 10th, …),
    /// until the rules are cleared: a flaky server. The others pass
    /// untouched.
    pub fn share(mut self, strike: u32, of: u32) -> Self {
        self.share = Some((strike.min(of), of.max(1)));
        self.times = None;
        self
    }

    /// Apply the request's write first, then strike (a status, 429 or a
    /// dropped connection after the state changed).
    pub fn after_write(mut self) -> Self {
        self.timing = Timing::AfterWrite;
        self
    }

    fn matches(&self, method: &str, route: Option<&str>) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self.route.as_deref().is_none_or(|r| Some(r) == route)
    }
}

/// The rules of one server; the first matching rule with strikes left wins.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Mutex<Vec<FaultRule>>,
}

impl Faults {
    pub(crate) fn push(&self, rule: FaultRule) {
        self.lock().push(rule);
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// The fault for a request, if any rule strikes it.
    pub(crate) fn take(&self, method: &str, route: Option<&str>) -> Option<(Fault, Timing)> {
        let mut rules = self.lock();
        let index = rules.iter_mut().position(|rule| {
            if !rule.matches(method, route) {
                return false;
            }
            if rule.skip > 0 {
                rule.skip -= 1;
                return false;
            }
            if let Some((strike, of)) = rule.share {
                // Strike when the running count of strikes owed goes up.
                let n = u64::from(rule.seen);
                rule.seen = rule.seen.wrapping_add(1) % of;
                let owed = |k: u64| k * u64::from(strike) / u64::from(of);
                return owed(n + 1) > owed(n);
            }
            true
        })?;
        let rule = &mut rules[index];
        let struck = (rule.fault.clone(), rule.timing);
        if let Some(times) = &mut rule.times {
            *times -= 1;
            if *times == 0 {
                rules.remove(index);
            }
        }
        Some(struck)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_strikes_its_count_then_goes() {
        let faults = Faults::default();
        faults.push(FaultRule::new(Fault::Status(503)).times(2));
        assert!(faults.take("GET", Some("/x")).is_some());
        assert!(faults.take("POST", None).is_some());
        assert!(faults.take("GET", Some("/x")).is_none());
    }

    #[test]
    fn routes_methods_and_skips_are_honoured() {
        let faults = Faults::default();
        faults.push(
            FaultRule::new(Fault::DropConnection)
                .on("post", "/invites")
                .skip(1)
                .after_write(),
        );
        assert!(faults.take("GET", Some("/invites")).is_none());
        assert!(faults.take("POST", Some("/invites")).is_none(), "skipped");
        assert_eq!(
            faults.take("POST", Some("/invites")),
            Some((Fault::DropConnection, Timing::AfterWrite))
        );
        assert!(faults.take("POST", Some("/invites")).is_none());
    }

    #[test]
    fn a_share_strikes_evenly_and_forever() {
        let faults = Faults::default();
        faults.push(FaultRule::new(Fault::Status(503)).share(3, 10));
        let struck: Vec<bool> = (0..30)
            .map(|_| faults.take("POST", Some("/invites")).is_some())
            .collect();
        assert_eq!(struck.iter().filter(|s| **s).count(), 9);
        let first_ten: Vec<usize> = (0..10).filter(|i| struck[*i]).collect();
        assert_eq!(first_ten, vec![3, 6, 9]);
        assert_eq!(&struck[..10], &struck[10..20], "the same every ten");
    }

    #[test]
    fn always_never_runs_out() {
        let faults = Faults::default();
        faults.push(FaultRule::new(Fault::ExtraFields).always());
        for _ in 0..10 {
            assert!(faults.take("GET", None).is_some());
        }
        faults.clear();
        assert!(faults.take("GET", None).is_none());
    }
}
