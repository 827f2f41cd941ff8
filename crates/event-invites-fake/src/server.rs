//! What both fake servers share: serving an axum router on `127.0.0.1`,
//! one connection at a time under our control (so a fault can drop it), and
//! the request pipeline around every handler: request log, rate limit,
//! faults, API key check.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::http::{Response, StatusCode};
use axum::middleware;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tower::Service;

use crate::clock::Clock;
use crate::faults::{FaultId, FaultRule, Faults, UnknownRoute};
use crate::log::RequestLog;
use crate::rate_limit::{Limiter, RateLimit};

mod steps;

pub(crate) use steps::replace_strings;

/// Largest request body the fake servers read (1 MiB).
const MAX_BODY: usize = 1 << 20;

/// How one API answers errors and names its routes.
pub(crate) trait Api: Send + Sync + 'static {
    /// The API's name in messages: `ARTSVP`, `SecureGate`.
    const NAME: &'static str;

    /// The header carrying the API key, lowercase.
    const KEY_HEADER: &'static str;

    /// Every route the router serves, as `(method, route template)`: what
    /// fault rules are checked against.
    const ROUTES: &'static [(&'static str, &'static str)];

    /// The API's error response.
    fn error(status: StatusCode, code: &str, message: &str) -> Response<Body>;

    /// Rewrites enum values in a response body to values no client knows.
    fn unknown_enum_values(body: &mut Value);
}

/// The parts of a server every request goes through.
pub(crate) struct Pipeline {
    /// The API's name and routes (see [`Api`]).
    pub(crate) api: (&'static str, &'static [(&'static str, &'static str)]),
    /// The path every route is served under (`""`, or e.g. `/api/v2`).
    pub(crate) base_path: String,
    pub(crate) api_key: String,
    pub(crate) limiter: Option<Limiter>,
    pub(crate) faults: Faults,
    pub(crate) log: RequestLog,
    pub(crate) latency: Duration,
    /// Numbers each answer's `x-request-id`.
    answered: std::sync::atomic::AtomicU64,
}

impl Pipeline {
    pub(crate) fn new<A: Api>(
        base_path: String,
        api_key: String,
        quota: Option<RateLimit>,
        clock: &Clock,
        latency: Duration,
        log_limit: Option<usize>,
    ) -> Self {
        Self {
            api: (A::NAME, A::ROUTES),
            base_path,
            api_key,
            limiter: quota.map(|q| Limiter::new(q, clock.clone())),
            faults: Faults::default(),
            log: RequestLog::with_limit(log_limit),
            latency,
            answered: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Adds a fault rule, unless its route or method is not the API's.
    pub(crate) fn add_fault(&self, rule: FaultRule) -> Result<FaultId, UnknownRoute> {
        rule.check_route(self.api.0, self.api.1)?;
        Ok(self.faults.push(rule))
    }
}

/// Closes the connection a request came in on.
#[derive(Clone)]
struct ConnectionKill(Arc<Notify>);

/// A running server: its address, and the switch that stops it.
pub(crate) struct Running {
    pub(crate) addr: SocketAddr,
    /// TCP connections accepted so far.
    pub(crate) connections: Arc<AtomicUsize>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Running {
    pub(crate) async fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The URL a client on this machine uses for a server at `addr`: an
/// unspecified address (`0.0.0.0`, `::`) listens on every interface, so the
/// URL names the loopback one.
pub(crate) fn base_url(mut addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{addr}")
}

/// Serves `router` (wrapped in the pipeline of `A`) on `addr` (port 0 picks
/// a free port) until shut down or dropped.
pub(crate) async fn serve<A: Api>(
    router: Router,
    pipeline: Arc<Pipeline>,
    addr: (std::net::IpAddr, u16),
    tls: Option<TlsAcceptor>,
) -> io::Result<Running> {
    let base_path = pipeline.base_path.clone();
    let mut router = router.layer(middleware::from_fn_with_state(pipeline, steps::handle::<A>));
    if !base_path.is_empty() {
        router = Router::new().nest(&base_path, router);
    }
    let listener = bind(addr, A::NAME).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    let connections = Arc::new(AtomicUsize::new(0));
    let accepting = Accepting {
        router,
        tls,
        connections: Arc::clone(&connections),
    };
    let task = tokio::spawn(accept_loop(listener, accepting, stopped));
    Ok(Running {
        addr,
        connections,
        stop,
        task: Some(task),
    })
}

/// Binds `addr`; the error names the address, the port and what serves
/// there.
pub(crate) async fn bind(addr: (std::net::IpAddr, u16), what: &str) -> io::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        let at = SocketAddr::from(addr);
        let hint = match e.kind() {
            io::ErrorKind::AddrInUse => {
                "; another program uses that port: pick another, or 0 for any free port"
            }
            io::ErrorKind::AddrNotAvailable => "; this machine has no such address",
            _ => "",
        };
        io::Error::new(
            e.kind(),
            format!("cannot listen on {at} for {what}: {e}{hint}"),
        )
    })
}

/// What the accept loop serves each connection with.
struct Accepting {
    router: Router,
    /// HTTPS, when the server has a certificate.
    tls: Option<TlsAcceptor>,
    connections: Arc<AtomicUsize>,
}

async fn accept_loop(
    listener: TcpListener,
    accepting: Accepting,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                accepting.connections.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_nodelay(true);
                let (router, stopped) = (accepting.router.clone(), stopped.clone());
                match accepting.tls.clone() {
                    None => {
                        tokio::spawn(connection(stream, router, stopped));
                    }
                    Some(tls) => {
                        tokio::spawn(async move {
                            // A client that refuses the certificate ends
                            // the handshake: nothing to serve.
                            if let Ok(stream) = tls.accept(stream).await {
                                connection(stream, router, stopped).await;
                            }
                        });
                    }
                }
            }
            _ = stopped.changed() => break,
        }
    }
}

async fn connection<S>(stream: S, router: Router, mut stopped: watch::Receiver<bool>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let kill = Arc::new(Notify::new());
    let kill_for_requests = ConnectionKill(kill.clone());
    let service = hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(kill_for_requests.clone());
        let mut router = router.clone();
        async move { router.call(request.map(Body::new)).await }
    });
    let serving = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = serving => {}
        _ = kill.notified() => {}
        _ = stopped.changed() => {}
    }
}

/// A JSON response with `status`.
pub(crate) fn json_response<T: serde::Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"null".to_vec());
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_address_is_shown_as_loopback() {
        assert_eq!(
            base_url("0.0.0.0:80".parse().unwrap()),
            "http://127.0.0.1:80"
        );
        assert_eq!(base_url("[::]:80".parse().unwrap()), "http://[::1]:80");
        assert_eq!(
            base_url("10.0.0.2:80".parse().unwrap()),
            "http://10.0.0.2:80"
        );
    }
}
