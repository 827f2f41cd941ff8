//! The control API: the Rust API's controls (fault rules, reset, the manual
//! clock, the request log) over HTTP and JSON, on a port of its own, for
//! tests written in any language. The `event-invites-fake` binary serves it
//! with `--control-port`; in Rust, [`ControlApi`] serves it beside fakes a
//! test started itself.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{Response, StatusCode};
use axum::routing::{delete, get, post};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::faults::{Fault, FaultRule};
use crate::server::json_response;
use crate::settings::Controls;
use crate::{FakeArtsvp, FakeSecureGate};

/// Serves the control API of some running fakes.
///
/// Every path starts with the API's name (`artsvp` or `securegate`):
///
/// | request | does | answers |
/// |---|---|---|
/// | `GET /` | lists the APIs and these endpoints | 200 JSON |
/// | `POST /{api}/faults` | adds a fault rule (body below) | 201 `{"fault": "<name>"}` |
/// | `DELETE /{api}/faults` | removes every fault rule | 204 |
/// | `POST /{api}/reset` | seeded data again, no fault rules, empty log, fresh quota window | 204 |
/// | `POST /{api}/clock` | `{"advance_ms": N}` moves the manual clock (`--manual-clock`) | 200, or 409 on the real clock |
/// | `GET /{api}/requests` | the request log, oldest first (keys redacted) | 200 JSON array |
/// | `DELETE /{api}/requests` | empties the request log | 204 |
///
/// A fault rule is a JSON object: `fault` is one of `status` (with
/// `status`), `too_many_requests` (with `retry_after`, seconds), `latency`
/// (with `ms`), `drop_connection`, `truncated_body`, `malformed_json`,
/// `unknown_enum_value`, `extra_fields`; optional `method` and `route` (a
/// route template such as `/invites/{id}`) pick the requests, `skip` lets
/// that many through first, `times` is a count or `"always"` (default 1),
/// and `after_write: true` applies the request's write before the fault
/// strikes. For example `{"fault": "status", "status": 503, "method":
/// "POST", "route": "/invites", "times": 2}`. A bad body is a 400 naming the
/// field.
///
/// ```
/// use event_invites_fake::{ControlApi, FakeArtsvp};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let fake = FakeArtsvp::start().await?;
/// let control = ControlApi::new().artsvp(&fake).start().await?;
/// // POST {control}/artsvp/faults {"fault": "status", "status": 503}
/// println!("control API at {}", control.base_url());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ControlApi {
    apis: Vec<(&'static str, Controls)>,
    host: IpAddr,
    port: u16,
}

impl std::fmt::Debug for ControlApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.apis.iter().map(|(n, _)| *n).collect();
        f.debug_struct("ControlApi")
            .field("apis", &names)
            .field("host", &self.host)
            .field("port", &self.port)
            .finish()
    }
}

impl Default for ControlApi {
    fn default() -> Self {
        Self::new()
    }
}

impl ControlApi {
    /// A control API for no fake yet, on `127.0.0.1`, any free port.
    pub fn new() -> Self {
        Self {
            apis: Vec::new(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
        }
    }

    /// Controls `fake` under `/artsvp/…`.
    pub fn artsvp(mut self, fake: &FakeArtsvp) -> Self {
        self.apis.push(("artsvp", fake.controls()));
        self
    }

    /// Controls `fake` under `/securegate/…`.
    pub fn securegate(mut self, fake: &FakeSecureGate) -> Self {
        self.apis.push(("securegate", fake.controls()));
        self
    }

    /// The address to listen on (default `127.0.0.1`).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// The port (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts serving inside the current tokio runtime.
    pub async fn start(self) -> io::Result<ControlServer> {
        let listener = TcpListener::bind((self.host, self.port)).await?;
        let addr = listener.local_addr()?;
        let apis = Arc::new(self.apis);
        let router = Router::new()
            .route("/", get(index))
            .route("/{api}/faults", post(add_fault).delete(clear_faults))
            .route("/{api}/reset", post(reset))
            .route("/{api}/clock", post(advance_clock))
            .route(
                "/{api}/requests",
                get(requests).merge(delete(clear_requests)),
            )
            .fallback(|| async {
                problem(
                    StatusCode::NOT_FOUND,
                    "no such control endpoint; GET / lists them",
                )
            })
            .with_state(apis);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(ControlServer {
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A running control API; stops when dropped.
#[derive(Debug)]
pub struct ControlServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ControlServer {
    /// `http://host:port` (`127.0.0.1` when listening on every interface).
    pub fn base_url(&self) -> String {
        crate::server::base_url(self.addr)
    }

    /// Stops serving and waits until it has stopped.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

type Apis = Arc<Vec<(&'static str, Controls)>>;

fn problem(status: StatusCode, message: &str) -> Response<Body> {
    json_response(status, &json!({ "error": message }))
}

fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// Runs `act` on the controls of `name`, or answers the 404 that lists
/// the known names.
fn on_api(
    apis: &Apis,
    name: &str,
    act: impl FnOnce(&Controls) -> Response<Body>,
) -> Response<Body> {
    match apis.iter().find(|(n, _)| *n == name) {
        Some((_, controls)) => act(controls),
        None => {
            let known: Vec<&str> = apis.iter().map(|(n, _)| *n).collect();
            problem(
                StatusCode::NOT_FOUND,
                &format!(
                    "unknown API `{name}`; this control API serves: {}",
                    known.join(", ")
                ),
            )
        }
    }
}

async fn index(State(apis): State<Apis>) -> Response<Body> {
    let names: Vec<&str> = apis.iter().map(|(n, _)| *n).collect();
    json_response(
        StatusCode::OK,
        &json!({
            "apis": names,
            "endpoints": [
                "POST /{api}/faults",
                "DELETE /{api}/faults",
                "POST /{api}/reset",
                "POST /{api}/clock",
                "GET /{api}/requests",
                "DELETE /{api}/requests",
            ],
        }),
    )
}

async fn add_fault(
    State(apis): State<Apis>,
    Path(api): Path<String>,
    body: Bytes,
) -> Response<Body> {
    on_api(&apis, &api, |controls| match parse_rule(&body) {
        Ok(rule) => {
            let name = rule.fault().name();
            controls.pipeline.faults.push(rule);
            json_response(StatusCode::CREATED, &json!({ "fault": name }))
        }
        Err(message) => problem(StatusCode::BAD_REQUEST, &message),
    })
}

async fn clear_faults(State(apis): State<Apis>, Path(api): Path<String>) -> Response<Body> {
    on_api(&apis, &api, |controls| {
        controls.pipeline.faults.clear();
        no_content()
    })
}

async fn reset(State(apis): State<Apis>, Path(api): Path<String>) -> Response<Body> {
    on_api(&apis, &api, |controls| {
        controls.reset();
        no_content()
    })
}

async fn advance_clock(
    State(apis): State<Apis>,
    Path(api): Path<String>,
    body: Bytes,
) -> Response<Body> {
    on_api(&apis, &api, |controls| {
        let ms = match object(&body).and_then(|mut map| {
            let ms = take_u64(&mut map, "advance_ms")?.ok_or("`advance_ms`: required")?;
            no_more(&map)?;
            Ok(ms)
        }) {
            Ok(ms) => ms,
            Err(message) => return problem(StatusCode::BAD_REQUEST, &message),
        };
        if controls.clock.advance(Duration::from_millis(ms)) {
            json_response(StatusCode::OK, &json!({ "advanced_ms": ms }))
        } else {
            problem(
                StatusCode::CONFLICT,
                "this server runs on the real clock; start it with a manual clock (--manual-clock)",
            )
        }
    })
}

async fn requests(State(apis): State<Apis>, Path(api): Path<String>) -> Response<Body> {
    on_api(&apis, &api, |controls| {
        json_response(StatusCode::OK, &controls.pipeline.log.entries())
    })
}

async fn clear_requests(State(apis): State<Apis>, Path(api): Path<String>) -> Response<Body> {
    on_api(&apis, &api, |controls| {
        controls.pipeline.log.clear();
        no_content()
    })
}

/// The body as a JSON object.
fn object(body: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the body must be a JSON object".into()),
        Err(e) => Err(format!("the body is not JSON: {e}")),
    }
}

fn take_u64(map: &mut Map<String, Value>, key: &str) -> Result<Option<u64>, String> {
    match map.remove(key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("`{key}`: must be a whole number ≥ 0, got {v}")),
    }
}

fn take_str(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.remove(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(format!("`{key}`: must be a string, got {v}")),
    }
}

fn no_more(map: &Map<String, Value>) -> Result<(), String> {
    match map.keys().next() {
        None => Ok(()),
        Some(key) => Err(format!("`{key}`: unknown field")),
    }
}

fn small(key: &str, n: u64) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| format!("`{key}`: too large"))
}

/// A fault rule from its JSON form (see the module docs).
fn parse_rule(body: &[u8]) -> Result<FaultRule, String> {
    let mut map = object(body)?;
    let kind = take_str(&mut map, "fault")?.ok_or("`fault`: required")?;
    let fault = match kind.as_str() {
        "status" => {
            let status =
                take_u64(&mut map, "status")?.ok_or("`status`: required by `fault: status`")?;
            match u16::try_from(status) {
                Ok(s) if (100..=599).contains(&s) => Fault::Status(s),
                _ => {
                    return Err(format!(
                        "`status`: must be an HTTP status (100..=599), got {status}"
                    ));
                }
            }
        }
        "too_many_requests" => Fault::TooManyRequests {
            retry_after: take_u64(&mut map, "retry_after")?
                .ok_or("`retry_after`: required by `fault: too_many_requests`")?,
        },
        "latency" => Fault::Latency(Duration::from_millis(
            take_u64(&mut map, "ms")?.ok_or("`ms`: required by `fault: latency`")?,
        )),
        "drop_connection" => Fault::DropConnection,
        "truncated_body" => Fault::TruncatedBody,
        "malformed_json" => Fault::MalformedJson,
        "unknown_enum_value" => Fault::UnknownEnumValue,
        "extra_fields" => Fault::ExtraFields,
        other => {
            return Err(format!(
                "`fault`: unknown fault `{other}`; one of status, too_many_requests, latency, \
                 drop_connection, truncated_body, malformed_json, unknown_enum_value, extra_fields"
            ));
        }
    };
    let mut rule = FaultRule::new(fault);
    match (take_str(&mut map, "method")?, take_str(&mut map, "route")?) {
        (Some(method), Some(route)) => rule = rule.on(&method, &route),
        (None, Some(route)) => rule = rule.route(&route),
        (Some(method), None) => rule = rule.method(&method),
        (None, None) => {}
    }
    if let Some(skip) = take_u64(&mut map, "skip")? {
        rule = rule.skip(small("skip", skip)?);
    }
    match map.remove("times") {
        None => {}
        Some(Value::String(s)) if s == "always" => rule = rule.always(),
        Some(v) => match v.as_u64() {
            Some(n) if n > 0 => rule = rule.times(small("times", n)?),
            _ => {
                return Err(format!(
                    "`times`: must be a count ≥ 1 or \"always\", got {v}"
                ));
            }
        },
    }
    match map.remove("after_write") {
        None | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => rule = rule.after_write(),
        Some(v) => return Err(format!("`after_write`: must be true or false, got {v}")),
    }
    no_more(&map)?;
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_from_json() {
        let rule = parse_rule(
            br#"{"fault": "status", "status": 503, "method": "post", "route": "/invites", "times": 2, "after_write": true}"#,
        )
        .unwrap();
        let expected = FaultRule::new(Fault::Status(503))
            .on("POST", "/invites")
            .times(2)
            .after_write();
        assert_eq!(rule, expected);
        let always = parse_rule(br#"{"fault": "latency", "ms": 20, "times": "always"}"#).unwrap();
        assert_eq!(
            always,
            FaultRule::new(Fault::Latency(Duration::from_millis(20))).always()
        );
    }

    #[test]
    fn a_bad_rule_names_its_field() {
        for (body, field) in [
            (&br#"{"status": 503}"#[..], "`fault`"),
            (br#"{"fault": "status"}"#, "`status`"),
            (br#"{"fault": "status", "status": 99}"#, "`status`"),
            (br#"{"fault": "boom"}"#, "`fault`"),
            (br#"{"fault": "malformed_json", "times": 0}"#, "`times`"),
            (
                br#"{"fault": "malformed_json", "after_write": "yes"}"#,
                "`after_write`",
            ),
            (br#"{"fault": "malformed_json", "tiems": 2}"#, "`tiems`"),
            (br#"{"fault": "latency", "ms": -1}"#, "`ms`"),
        ] {
            let err = parse_rule(body).unwrap_err();
            assert!(err.starts_with(field), "{err}");
        }
        assert!(parse_rule(b"[1]").unwrap_err().contains("JSON object"));
        assert!(parse_rule(b"{").unwrap_err().contains("not JSON"));
    }
}
