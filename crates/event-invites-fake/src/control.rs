//! The control API: the Rust API's controls (fault rules, reset, the manual
//! clock, the request log) over HTTP and JSON, on a port of its own, for
//! tests written in any language. The `event-invites-fake` program (crate
//! `event-invites-fake-server`) serves it with `--control-port`; in Rust,
//! [`ControlApi`] serves it beside fakes a test started itself.

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
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::faults::FaultId;
use crate::server::json_response;
use crate::settings::Controls;
use crate::{FakeArtsvp, FakeSecureGate};
use rules::{Advance, json_body, parse_rule};

/// Serves the control API of some running fakes.
///
/// Every path starts with the API's name (`artsvp` or `securegate`):
///
/// | request | does | answers |
/// |---|---|---|
/// | `GET /` | lists the APIs, their routes and these endpoints | 200 JSON |
/// | `GET /{api}/faults` | the fault rules in force, with their ids | 200 JSON array |
/// | `POST /{api}/faults` | adds a fault rule (body below) | 201 `{"id": 1, "fault": "<name>"}` |
/// | `DELETE /{api}/faults/{id}` | removes one fault rule | 204, or 404 when it is gone |
/// | `DELETE /{api}/faults` | removes every fault rule | 204 |
/// | `POST /securegate/invites` | `{"event_id": "…", "invites": [Invite, …]}` adds invites | 201 `{"event_id", "added"}` |
/// | `POST /securegate/invite_status` | `{"event_id": "…", "id": "…", "status": "rejected"}` sets an invite's status (`pending`, `sent`, `accepted`, `rejected`), as a guest's answer would | 201 `{"event_id", "id", "status"}` |
/// | `POST /artsvp/bookings` | `{"invite": "<id or code>", "event"?, "name"?, "email"?, "size"?, "status"?, "external_id"?}` books a guest | 201 `{"id": "boo-…"}` |
/// | `POST /{api}/reset` | seeded data again, no fault rules, empty log, fresh quota window | 204 |
/// | `POST /{api}/clock` | `{"advance_ms": N}` moves the manual clock (`--manual-clock`) | 200, or 409 on the real clock |
/// | `GET /{api}/requests` | the request log, oldest first (keys redacted) | 200 JSON array |
/// | `DELETE /{api}/requests` | empties the request log | 204 |
///
/// A fault rule is a JSON object: `fault` is one of `status` (with
/// `status`), `too_many_requests` (with `retry_after`, seconds), `latency`
/// (with `ms`), `drop_connection`, `truncated_body`, `malformed_json`,
/// `unknown_enum_value`, `extra_fields`, `redirect` (with `status`,
/// 300..=399, and `location`); optional `method` and `route` (a
/// route template such as `/invites/{id}`, one the API serves) pick the
/// requests, `skip` lets that many through first, `times` is a count or
/// `"always"` (default 1), `share` (`{"strike": 3, "of": 10}`) strikes that
/// share of the requests until removed, and `after_write: true` applies the
/// request's write before the fault strikes. For example `{"fault":
/// "status", "status": 503, "method": "POST", "route": "/invites", "times":
/// 2}`. Every body is JSON; a bad one is a 400 naming the field, and a
/// rule for a route or method the API does not serve is a 400 that lists
/// the routes it has (such a rule could never strike).
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
    /// Every control endpoint, `METHOD /path`, where `{api}` is `artsvp`
    /// or `securegate` (`GET /` lists them too, with each API's routes).
    pub const ENDPOINTS: &'static [&'static str] = &[
        "GET /{api}/faults",
        "POST /{api}/faults",
        "DELETE /{api}/faults/{id}",
        "DELETE /{api}/faults",
        "POST /securegate/invites",
        "POST /securegate/invite_status",
        "POST /artsvp/bookings",
        "POST /{api}/reset",
        "POST /{api}/clock",
        "GET /{api}/requests",
        "DELETE /{api}/requests",
    ];

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

    setters! {
        /// The address to listen on (default `127.0.0.1`).
        pub fn host(host: IpAddr) => self.host = host;

        /// The port (default 0: any free port).
        pub fn port(port: u16) => self.port = port;
    }

    /// Starts serving inside the current tokio runtime.
    pub async fn start(self) -> io::Result<ControlServer> {
        let listener = crate::server::bind((self.host, self.port), "the control API").await?;
        let addr = listener.local_addr()?;
        let apis = Arc::new(self.apis);
        let router = Router::new()
            .route("/", get(index))
            .route(
                "/{api}/faults",
                get(list_faults).post(add_fault).delete(clear_faults),
            )
            .route("/{api}/faults/{id}", delete(remove_fault))
            .route("/{api}/{kind}", post(add_data))
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
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use event_invites_fake::{ControlApi, FakeSecureGate};
///
/// let fake = FakeSecureGate::start().await?;
/// let control = ControlApi::new().securegate(&fake).start().await?;
/// println!("POST {}/securegate/faults to script a fault", control.base_url());
/// control.shutdown().await;
/// # Ok(())
/// # }
/// ```
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
    let routes: Map<String, Value> = apis
        .iter()
        .map(|(name, controls)| {
            let routes: Vec<String> = controls
                .pipeline
                .api
                .1
                .iter()
                .map(|(m, r)| format!("{m} {r}"))
                .collect();
            let data: Vec<Value> = controls
                .data
                .kinds()
                .iter()
                .map(|(kind, body)| json!({"endpoint": format!("POST /{name}/{kind}"), "body": body}))
                .collect();
            (name.to_string(), json!({"routes": routes, "add": data}))
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "apis": names,
            "routes": routes,
            "endpoints": ControlApi::ENDPOINTS,
        }),
    )
}

async fn add_fault(
    State(apis): State<Apis>,
    Path(api): Path<String>,
    body: Bytes,
) -> Response<Body> {
    on_api(&apis, &api, |controls| {
        let rule = match parse_rule(&body) {
            Ok(rule) => rule,
            Err(message) => return problem(StatusCode::BAD_REQUEST, &message),
        };
        let name = rule.fault().name();
        match controls.pipeline.add_fault(rule) {
            Ok(id) => json_response(
                StatusCode::CREATED,
                &json!({ "id": id.get(), "fault": name }),
            ),
            Err(e) => problem(StatusCode::BAD_REQUEST, &e.to_string()),
        }
    })
}

async fn list_faults(State(apis): State<Apis>, Path(api): Path<String>) -> Response<Body> {
    on_api(&apis, &api, |controls| {
        let rules: Vec<Value> = controls
            .pipeline
            .faults
            .list()
            .into_iter()
            .map(|(id, rule)| rule.summary(id))
            .collect();
        json_response(StatusCode::OK, &rules)
    })
}

async fn remove_fault(
    State(apis): State<Apis>,
    Path((api, id)): Path<(String, String)>,
) -> Response<Body> {
    on_api(&apis, &api, |controls| {
        let Ok(id) = id.parse::<u64>() else {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("`{id}` is not a fault rule id (a whole number, as POST answered)"),
            );
        };
        if controls.pipeline.faults.remove(FaultId::from_u64(id)) {
            no_content()
        } else {
            problem(
                StatusCode::NOT_FOUND,
                &format!(
                    "no fault rule {id}: removed already, gone after its last strike, or never \
                     added; GET /{api}/faults lists those in force"
                ),
            )
        }
    })
}

async fn add_data(
    State(apis): State<Apis>,
    Path((api, kind)): Path<(String, String)>,
    body: Bytes,
) -> Response<Body> {
    on_api(&apis, &api, |controls| {
        let kinds = controls.data.kinds();
        if !kinds.iter().any(|(k, _)| *k == kind) {
            let known: Vec<String> = kinds
                .iter()
                .map(|(k, _)| format!("POST /{api}/{k}"))
                .collect();
            return problem(
                StatusCode::NOT_FOUND,
                &format!(
                    "no such control endpoint `POST /{api}/{kind}`; {api} adds data with {}; GET / \
                     lists every endpoint",
                    known.join(", ")
                ),
            );
        }
        match controls.data.add(&kind, &body) {
            Ok(added) => json_response(StatusCode::CREATED, &added),
            Err(message) => problem(StatusCode::BAD_REQUEST, &message),
        }
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
        let ms = match json_body::<Advance>(&body) {
            Ok(Advance { advance_ms }) => advance_ms,
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

mod rules;
#[cfg(test)]
mod tests;
