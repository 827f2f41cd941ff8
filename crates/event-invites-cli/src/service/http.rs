//! The service's HTTP endpoints, on `listen` (loopback in the examples):
//! `/healthz` (200 when every sync is `ok`, else 503 naming the others),
//! `/livez` (200 while the process serves: for liveness probes, which must
//! not restart a service whose vendor is down), `/status` (every sync as
//! JSON) and `/metrics` (Prometheus text).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::{StatusCode, header};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use super::metrics;
use super::status::Board;
use crate::error::CliError;

/// Serves the endpoints on `addr` in the background, and says where on
/// stderr (port 0: any free one).
pub async fn serve(
    addr: SocketAddr,
    board: Arc<Board>,
    recorder: PrometheusHandle,
    flag: &str,
) -> Result<(), CliError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::Usage(format!("{flag} {addr}: cannot listen there: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| CliError::Failed(format!("{flag} {addr}: {e}")))?;
    let (health, status) = (board.clone(), board.clone());
    let app = axum::Router::new()
        .route(
            "/healthz",
            get(move || {
                let (code, text) = health.health();
                async move { (StatusCode::from_u16(code).unwrap_or(StatusCode::OK), text) }
            }),
        )
        .route("/livez", get(|| async { "ok\n" }))
        .route(
            "/status",
            get(move || {
                let json = status.status_json();
                async move { ([(header::CONTENT_TYPE, "application/json")], json) }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let text = metrics::render(&recorder, &board);
                async move { ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text) }
            }),
        );
    eprintln!("event-invites: serving /healthz, /livez, /status and /metrics on http://{bound}");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the health and metrics server stopped");
        }
    });
    Ok(())
}
