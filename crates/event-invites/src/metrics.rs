//! The client's [`Observer`] events as `metrics` series (feature
//! `metrics`): give [`MetricsObserver`] to a builder, install any `metrics`
//! recorder (Prometheus, StatsD, …) in the program, and every call of the
//! client shows up without counting anything again.

use crate::observe::{
    AttemptEvent, AttemptOutcome, BudgetEvent, Observer, PacingEvent, PacingReason, QuotaStoreEvent,
};

/// Sends a client's attempts, pacing waits and store failures to the
/// `metrics` recorder installed in the program (feature `metrics`):
///
/// | series | kind | labels |
/// |---|---|---|
/// | `event_invites_requests_total` | counter: attempts sent | `api`, `operation`, `outcome` (`success`, `retry`, `failed`), `status` (HTTP status or `none`) |
/// | `event_invites_rate_limited_total` | counter: attempts answered 429 | `api`, `operation` |
/// | `event_invites_request_duration_seconds` | histogram: an attempt's latency | `api`, `operation` |
/// | `event_invites_pacing_wait_seconds` | histogram: waits for the rate limit | `api`, `operation`, `reason` (`quota`, `server_window`, `retry_after`) |
/// | `event_invites_retry_budget_empty_total` | counter: retries refused by the budget | `api`, `operation` |
/// | `event_invites_quota_store_failures_total` | counter: the shared quota's store lost | `api` |
///
/// Labels carry names and numbers only: never a key, a guest's data or an
/// id.
///
/// ```
/// use event_invites::{Artsvp, MetricsObserver};
///
/// // With a recorder installed (metrics-exporter-prometheus, say), every
/// // request of this client and its clones is counted.
/// let client = Artsvp::builder().api_key("key").observer(MetricsObserver).build()?;
/// # let _ = client;
/// # Ok::<(), event_invites::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MetricsObserver;

impl Observer for MetricsObserver {
    fn attempt(&self, e: &AttemptEvent) {
        let outcome = match e.outcome {
            AttemptOutcome::Success => "success",
            AttemptOutcome::Retry { .. } => "retry",
            _ => "failed",
        };
        let status = e
            .status
            .map_or_else(|| "none".to_string(), |s| s.to_string());
        metrics::counter!(
            "event_invites_requests_total",
            "api" => e.api, "operation" => e.operation, "outcome" => outcome, "status" => status
        )
        .increment(1);
        if e.status == Some(429) {
            metrics::counter!(
                "event_invites_rate_limited_total",
                "api" => e.api, "operation" => e.operation
            )
            .increment(1);
        }
        metrics::histogram!(
            "event_invites_request_duration_seconds",
            "api" => e.api, "operation" => e.operation
        )
        .record(e.latency.as_secs_f64());
    }

    fn paced(&self, e: &PacingEvent) {
        let reason = match e.reason {
            PacingReason::Quota => "quota",
            PacingReason::ServerWindow => "server_window",
            _ => "retry_after",
        };
        metrics::histogram!(
            "event_invites_pacing_wait_seconds",
            "api" => e.api, "operation" => e.operation, "reason" => reason
        )
        .record(e.wait.as_secs_f64());
    }

    fn budget_empty(&self, e: &BudgetEvent) {
        metrics::counter!(
            "event_invites_retry_budget_empty_total",
            "api" => e.api, "operation" => e.operation
        )
        .increment(1);
    }

    fn quota_store(&self, e: &QuotaStoreEvent) {
        if e.error.is_some() {
            metrics::counter!("event_invites_quota_store_failures_total", "api" => e.api)
                .increment(1);
        }
    }
}
