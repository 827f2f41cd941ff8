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
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use event_invites_fake::{FakeArtsvp, Fault, FaultRule, Timing};
///
/// let fake = FakeArtsvp::start().await?;
/// // The next create applies its write, then loses the connection: a client
/// // that retries it without a dedupe filter makes a second invite.
/// let rule = FaultRule::new(Fault::DropConnection).on("POST", "/invites").after_write();
/// let id = fake.inject(rule);
/// assert_eq!(fake.faults()[0].0, id);
/// # let _ = Timing::AfterWrite;
/// # Ok(())
/// # }
/// ```
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
    /// Answer with a redirect (`status`, 300..=399) to `location`, as a
    /// misconfigured gateway or a moved host would: a client must not
    /// follow it with the key or the body.
    Redirect {
        /// The 3xx status.
        status: u16,
        /// The `Location` header's value.
        location: String,
    },
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
            Self::Redirect { status, .. } => format!("redirect_{status}"),
            Self::UnknownEnumValue => "unknown_enum_value".into(),
            Self::ExtraFields => "extra_fields".into(),
        }
    }

    /// Whether the fault replaces the answer (status, 429, drop) rather than
    /// changing the handler's answer (latency, body faults).
    pub(crate) fn replaces_answer(&self) -> bool {
        matches!(
            self,
            Self::Status(_)
                | Self::TooManyRequests { .. }
                | Self::DropConnection
                | Self::Redirect { .. }
        )
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// When a fault that replaces the answer strikes.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use event_invites_fake::{FakeArtsvp, Fault, FaultRule, Timing};
///
/// let fake = FakeArtsvp::start().await?;
/// // The next create applies its write, then loses the connection: a client
/// // that retries it without a dedupe filter makes a second invite.
/// let rule = FaultRule::new(Fault::DropConnection).on("POST", "/invites").after_write();
/// let id = fake.inject(rule);
/// assert_eq!(fake.faults()[0].0, id);
/// # let _ = Timing::AfterWrite;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// Before the request is handled: nothing is written.
    BeforeWrite,
    /// After the request was handled and its write applied.
    AfterWrite,
}

/// A fault and the requests it applies to.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use event_invites_fake::{FakeArtsvp, Fault, FaultRule, Timing};
///
/// let fake = FakeArtsvp::start().await?;
/// // The next create applies its write, then loses the connection: a client
/// // that retries it without a dedupe filter makes a second invite.
/// let rule = FaultRule::new(Fault::DropConnection).on("POST", "/invites").after_write();
/// let id = fake.inject(rule);
/// assert_eq!(fake.faults()[0].0, id);
/// # let _ = Timing::AfterWrite;
/// # Ok(())
/// # }
/// ```
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

    setters! {
        /// Only requests with this method and route template, e.g.
        /// `("POST", "/invites")`, `("GET", "/invites/{id}")` or
        /// `("GET", "/events/{event_id}/invites")`.
        pub fn on(method: &str, route: &str) =>
            self.method = Some(method.to_ascii_uppercase()),
            self.route = Some(route.to_string());

        /// Only requests with this method, whatever their route.
        pub fn method(method: &str) => self.method = Some(method.to_ascii_uppercase());

        /// Only requests with this route template, whatever their method.
        pub fn route(route: &str) => self.route = Some(route.to_string());

        /// Let the first `n` matching requests through untouched.
        pub fn skip(n: u32) => self.skip = n;

        /// Strike `n` matching requests (the default is 1).
        pub fn times(n: u32) => self.times = Some(n);

        /// Strike every matching request until the rules are cleared.
        pub fn always() => self.times = None;

        /// Strike `strike` of every `of` matching requests, spread evenly and
        /// the same on every run (3 of 10 strikes the 4th, 7th and 10th, …),
        /// until the rules are cleared: a flaky server. The others pass
        /// untouched.
        pub fn share(strike: u32, of: u32) =>
            self.share = Some((strike.min(of), of.max(1))),
            self.times = None;

        /// Apply the request's write first, then strike (a status, 429 or a
        /// dropped connection after the state changed).
        pub fn after_write() => self.timing = Timing::AfterWrite;
    }

    /// The fault this rule applies.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    fn matches(&self, method: &str, route: Option<&str>) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self.route.as_deref().is_none_or(|r| Some(r) == route)
    }
}

/// A fault rule's id on its server, given when the rule is added: what
/// [`FakeArtsvp::remove_fault`](crate::FakeArtsvp::remove_fault) and the
/// control API's `DELETE /{api}/faults/{id}` take.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use event_invites_fake::{FakeArtsvp, Fault, FaultRule};
///
/// let fake = FakeArtsvp::start().await?;
/// let id = fake.inject(FaultRule::new(Fault::Status(503)).always());
/// assert!(fake.remove_fault(id));
/// assert!(!fake.remove_fault(id), "already gone");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FaultId(u64);

impl FaultId {
    /// The number the control API shows.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The id the control API showed as `n`.
    pub fn from_u64(n: u64) -> Self {
        Self(n)
    }
}

impl fmt::Display for FaultId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A fault rule for a route or method the API does not serve: it could
/// never strike, so it is refused rather than left to pass a test silently.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use event_invites_fake::{FakeArtsvp, Fault, FaultRule};
///
/// let fake = FakeArtsvp::start().await?;
/// // ARTSVP's routes have no `/api/v2` prefix: such a rule would never strike.
/// let refused = fake.try_inject(FaultRule::new(Fault::Status(503)).route("/api/v2/events"));
/// assert!(refused.unwrap_err().to_string().contains("GET /events"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRoute {
    message: String,
}

impl fmt::Display for UnknownRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UnknownRoute {}

impl FaultRule {
    /// Checks the rule's method and route against the API's routes
    /// (`(method, route template)` pairs).
    pub(crate) fn check_route(
        &self,
        api: &str,
        routes: &[(&str, &str)],
    ) -> Result<(), UnknownRoute> {
        let served = || {
            routes
                .iter()
                .map(|(m, r)| format!("{m} {r}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let refuse = |what: String| {
            Err(UnknownRoute {
                message: format!("{what}; {api} serves {}", served()),
            })
        };
        let method = self.method.as_deref();
        let route = self.route.as_deref();
        if let Some(route) = route
            && !routes.iter().any(|(_, r)| *r == route)
        {
            return refuse(format!("`route`: {api} has no route `{route}`"));
        }
        let pair = |(m, r): &&(&str, &str)| {
            method.is_none_or(|method| *m == method) && route.is_none_or(|route| *r == route)
        };
        if !routes.iter().any(|p| pair(&p)) {
            let method = method.unwrap_or_default();
            return refuse(match route {
                Some(route) => format!("`method`: {api} does not serve `{method} {route}`"),
                None => format!("`method`: no route of {api} takes `{method}`"),
            });
        }
        Ok(())
    }

    /// The rule as the control API lists it.
    pub(crate) fn summary(&self, id: FaultId) -> serde_json::Value {
        serde_json::json!({
            "id": id.get(),
            "fault": self.fault.name(),
            "method": self.method,
            "route": self.route,
            "skip": self.skip,
            "times": self.times.map_or(serde_json::Value::from("always"), Into::into),
            "after_write": self.timing == Timing::AfterWrite,
            "share": self.share.map(|(strike, of)| serde_json::json!({"strike": strike, "of": of})),
        })
    }
}

/// The rules of one server, in the order added; the first matching rule
/// with strikes left wins.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Mutex<Rules>,
}

#[derive(Debug, Default)]
struct Rules {
    last_id: u64,
    list: Vec<(FaultId, FaultRule)>,
}

impl Faults {
    pub(crate) fn push(&self, rule: FaultRule) -> FaultId {
        let mut rules = self.lock();
        rules.last_id += 1;
        let id = FaultId(rules.last_id);
        rules.list.push((id, rule));
        id
    }

    /// Removes one rule; false when there is none with that id (never
    /// added, removed, or gone after its last strike).
    pub(crate) fn remove(&self, id: FaultId) -> bool {
        let mut rules = self.lock();
        let before = rules.list.len();
        rules.list.retain(|(i, _)| *i != id);
        rules.list.len() < before
    }

    pub(crate) fn clear(&self) {
        self.lock().list.clear();
    }

    /// The rules still in force, with their ids.
    pub(crate) fn list(&self) -> Vec<(FaultId, FaultRule)> {
        self.lock().list.clone()
    }

    /// The fault for a request, if any rule strikes it.
    pub(crate) fn take(&self, method: &str, route: Option<&str>) -> Option<(Fault, Timing)> {
        let rules = &mut self.lock().list;
        let index = rules.iter_mut().position(|(_, rule)| {
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
        let rule = &mut rules[index].1;
        let struck = (rule.fault.clone(), rule.timing);
        if let Some(times) = &mut rule.times {
            *times -= 1;
            if *times == 0 {
                rules.remove(index);
            }
        }
        Some(struck)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rules> {
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
    fn rules_are_removed_by_id() {
        let faults = Faults::default();
        let first = faults.push(FaultRule::new(Fault::Status(500)).always());
        let second = faults.push(FaultRule::new(Fault::Status(503)).always());
        assert_ne!(first, second);
        assert!(faults.remove(first));
        assert!(!faults.remove(first), "gone already");
        assert_eq!(
            faults.take("GET", None),
            Some((Fault::Status(503), Timing::BeforeWrite))
        );
        let once = faults.push(FaultRule::new(Fault::MalformedJson).on("GET", "/a"));
        assert_eq!(faults.list().len(), 2);
        assert!(faults.remove(second));
        assert!(faults.take("GET", Some("/a")).is_some());
        assert!(!faults.remove(once), "a rule that struck its count is gone");
        assert!(faults.list().is_empty());
    }

    #[test]
    fn a_rule_for_a_route_the_api_lacks_is_refused_with_the_routes() {
        let routes = [
            ("GET", "/invites"),
            ("POST", "/invites"),
            ("GET", "/events/{id}"),
        ];
        let check = |rule: FaultRule| rule.check_route("ARTSVP", &routes);
        let fault = || FaultRule::new(Fault::Status(503));
        assert!(check(fault()).is_ok());
        assert!(check(fault().on("post", "/invites")).is_ok());
        assert!(check(fault().route("/events/{id}")).is_ok());
        assert!(check(fault().method("GET")).is_ok());
        let err = check(fault().route("/nope")).unwrap_err().to_string();
        assert!(
            err.starts_with("`route`: ARTSVP has no route `/nope`"),
            "{err}"
        );
        assert!(
            err.contains("GET /invites, POST /invites, GET /events/{id}"),
            "{err}"
        );
        let err = check(fault().on("DELETE", "/invites"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("`method`: ARTSVP does not serve `DELETE /invites`"),
            "{err}"
        );
        let err = check(fault().method("PUT")).unwrap_err().to_string();
        assert!(
            err.starts_with("`method`: no route of ARTSVP takes `PUT`"),
            "{err}"
        );
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
