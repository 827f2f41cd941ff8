//! The client's [`Observer`] events as `metrics` series (feature
//! `metrics`): give [`MetricsObserver`] to a builder, install any `metrics`
//! recorder (Prometheus, StatsD, …) in the program, call
//! [`MetricsObserver::describe`] once, and every call of the client shows
//! up without counting anything again. [`MetricsObserver::SERIES`] is the
//! one list of the series, their kinds, labels, help and buckets.

use crate::observe::{
    AttemptEvent, AttemptOutcome, BudgetEvent, Observer, PacingEvent, PacingReason, QuotaEvent,
    QuotaStoreEvent,
};

/// What kind of series a [`Series`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeriesKind {
    /// Only goes up (`_total`).
    Counter,
    /// A value now.
    Gauge,
    /// Observations in buckets, which Prometheus can add up across
    /// processes and hosts (unlike a summary's quantiles).
    Histogram,
}

/// One series a program's `/metrics` shows: its name (with its unit and,
/// for a counter, `_total`), kind, labels, help text for operators and,
/// for a histogram, its bucket bounds.
///
/// ```
/// use event_invites::{Series, SeriesKind};
///
/// const CYCLES: Series = Series::counter("my_cycles_total", &["result"], "Cycles by result.");
/// assert_eq!(CYCLES.kind, SeriesKind::Counter);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Series {
    /// `event_invites_requests_total`, …
    pub name: &'static str,
    /// Counter, gauge or histogram.
    pub kind: SeriesKind,
    /// Its labels; each takes a bounded set of values (names, statuses),
    /// never a key, an id or a guest's data.
    pub labels: &'static [&'static str],
    /// What it measures, for the `# HELP` line.
    pub help: &'static str,
    /// A histogram's bucket upper bounds (empty for the others).
    pub buckets: &'static [f64],
}

impl Series {
    /// A counter (its name ends in `_total`).
    pub const fn counter(
        name: &'static str,
        labels: &'static [&'static str],
        help: &'static str,
    ) -> Self {
        Self {
            name,
            kind: SeriesKind::Counter,
            labels,
            help,
            buckets: &[],
        }
    }

    /// A gauge.
    pub const fn gauge(
        name: &'static str,
        labels: &'static [&'static str],
        help: &'static str,
    ) -> Self {
        Self {
            kind: SeriesKind::Gauge,
            ..Self::counter(name, labels, help)
        }
    }

    /// A histogram with `buckets` (upper bounds, ascending).
    pub const fn histogram(
        name: &'static str,
        labels: &'static [&'static str],
        help: &'static str,
        buckets: &'static [f64],
    ) -> Self {
        Self {
            kind: SeriesKind::Histogram,
            buckets,
            ..Self::counter(name, labels, help)
        }
    }

    /// Registers the help text with the installed `metrics` recorder.
    pub fn describe(&self) {
        let (name, help) = (self.name, self.help);
        match self.kind {
            SeriesKind::Counter => metrics::describe_counter!(name, help),
            SeriesKind::Gauge => metrics::describe_gauge!(name, help),
            SeriesKind::Histogram => metrics::describe_histogram!(name, help),
        }
    }
}

/// The build-info series' name (`event_invites_build_info{version} 1`).
const BUILD_INFO: &str = "event_invites_build_info";

/// Sends a client's attempts, pacing waits, quota and store failures to the
/// `metrics` recorder installed in the program (feature `metrics`). The
/// series are [`MetricsObserver::SERIES`]:
///
/// | series | kind | labels | what |
/// |---|---|---|---|
/// | `event_invites_build_info` | gauge (1) | `version` | the facade's version |
/// | `event_invites_requests_total` | counter | `api`, `operation`, `outcome` (`success`, `retry`, `failed`), `status` (HTTP status or `none`) | requests sent |
/// | `event_invites_rate_limited_total` | counter | `api`, `operation` | requests answered 429 |
/// | `event_invites_request_duration_seconds` | histogram ([`MetricsObserver::REQUEST_BUCKETS`]) | `api`, `operation` | a request's latency |
/// | `event_invites_pacing_wait_seconds` | histogram ([`MetricsObserver::WAIT_BUCKETS`]) | `api`, `operation`, `reason` (`quota`, `server_window`, `retry_after`) | waits for the rate limit |
/// | `event_invites_retry_budget_empty_total` | counter | `api`, `operation` | retries refused by the budget |
/// | `event_invites_quota_limit` | gauge | `api` | requests per window, as paced |
/// | `event_invites_quota_window_seconds` | gauge | `api` | the quota's window |
/// | `event_invites_quota_remaining` | gauge | `api` | requests the quota allows now |
/// | `event_invites_quota_store_up` | gauge (1 or 0) | `api`, `store` (`memory`, `host`, `redis`) | the quota's store answers (0: pacing alone) |
/// | `event_invites_quota_store_failures_total` | counter | `api` | the shared quota's store lost |
///
/// Labels carry names and numbers only: never a key, a guest's data or an
/// id.
///
/// ```
/// use event_invites::{Artsvp, MetricsObserver};
///
/// // With a recorder installed (metrics-exporter-prometheus, say, with
/// // each histogram's buckets from MetricsObserver::SERIES), every
/// // request of this client and its clones is counted.
/// MetricsObserver::describe();
/// let client = Artsvp::builder().api_key("key").observer(MetricsObserver).build()?;
/// # let _ = client;
/// # Ok::<(), event_invites::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MetricsObserver;

impl MetricsObserver {
    /// Bounds (seconds) for one request's latency: both APIs answer in tens
    /// to hundreds of milliseconds; a large SecureGate list or a slow moment
    /// takes seconds; a request times out after 30 s by default.
    pub const REQUEST_BUCKETS: &'static [f64] = &[
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    ];

    /// Bounds (seconds) for a pacing wait: a paced request waits about a
    /// second at ARTSVP's 1,000 per 15 minutes; a spent window or a 429's
    /// `Retry-After` holds for up to its 15 minutes.
    pub const WAIT_BUCKETS: &'static [f64] = &[
        0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
    ];

    /// Every series this observer sends (the table above, as data).
    pub const SERIES: &'static [Series] = &[
        Series::gauge(
            BUILD_INFO,
            &["version"],
            "Always 1; its version label is the event-invites library's version.",
        ),
        Series::counter(
            "event_invites_requests_total",
            &["api", "operation", "outcome", "status"],
            "Requests sent to SecureGate or ARTSVP, by operation, outcome (success, retry, failed) and HTTP status (none: no answer).",
        ),
        Series::counter(
            "event_invites_rate_limited_total",
            &["api", "operation"],
            "Requests answered 429 Too Many Requests; pacing should keep this at 0.",
        ),
        Series::histogram(
            "event_invites_request_duration_seconds",
            &["api", "operation"],
            "How long one request took, from sending to its answer (or failure).",
            Self::REQUEST_BUCKETS,
        ),
        Series::histogram(
            "event_invites_pacing_wait_seconds",
            &["api", "operation", "reason"],
            "How long a request waited for the rate limit before it was sent, by reason (quota, server_window, retry_after).",
            Self::WAIT_BUCKETS,
        ),
        Series::counter(
            "event_invites_retry_budget_empty_total",
            &["api", "operation"],
            "Failed requests not retried because the client's retry budget was spent (many calls failing).",
        ),
        Series::gauge(
            "event_invites_quota_limit",
            &["api"],
            "Requests the client allows itself per quota window (the configured quota, or the server's smaller limit).",
        ),
        Series::gauge(
            "event_invites_quota_window_seconds",
            &["api"],
            "The window of event_invites_quota_limit, in seconds.",
        ),
        Series::gauge(
            "event_invites_quota_remaining",
            &["api"],
            "Requests the quota allows now, for every process sharing it, as of this process's last request.",
        ),
        Series::gauge(
            "event_invites_quota_store_up",
            &["api", "store"],
            "1 while the quota's store (memory, host or redis) answers; 0 while it fails and this process paces by its share alone.",
        ),
        Series::counter(
            "event_invites_quota_store_failures_total",
            &["api"],
            "Times the shared quota's store stopped answering.",
        ),
    ];

    /// Registers every series' help text with the installed recorder and
    /// sets `event_invites_build_info{version="…"}` to 1. Call it once,
    /// after installing the recorder.
    pub fn describe() {
        for series in Self::SERIES {
            series.describe();
        }
        metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    }
}

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

    fn quota(&self, e: &QuotaEvent) {
        let up = if e.shared { 1.0 } else { 0.0 };
        metrics::gauge!("event_invites_quota_store_up", "api" => e.api, "store" => e.store).set(up);
        if let Some(quota) = e.quota {
            metrics::gauge!("event_invites_quota_limit", "api" => e.api)
                .set(f64::from(quota.limit));
            metrics::gauge!("event_invites_quota_window_seconds", "api" => e.api)
                .set(quota.window.as_secs_f64());
        }
        if let Some(left) = e.left {
            metrics::gauge!("event_invites_quota_remaining", "api" => e.api).set(left as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

    use super::*;

    /// What the observer's events look like rendered by the Prometheus
    /// exporter with each histogram's buckets from [`MetricsObserver::SERIES`].
    fn rendered(events: impl FnOnce(&MetricsObserver)) -> String {
        let mut builder = PrometheusBuilder::new();
        for series in MetricsObserver::SERIES {
            if series.kind == SeriesKind::Histogram {
                let name = Matcher::Full(series.name.into());
                builder = builder
                    .set_buckets_for_metric(name, series.buckets)
                    .unwrap();
            }
        }
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            MetricsObserver::describe();
            events(&MetricsObserver);
        });
        handle.render()
    }

    /// One event of each kind, as a client sends them.
    fn one_of_each(o: &MetricsObserver) {
        let attempt = |status, outcome| AttemptEvent {
            api: "ARTSVP",
            operation: "create_invite",
            attempt: 1,
            status,
            latency: Duration::from_millis(120),
            outcome,
        };
        let retry = AttemptOutcome::Retry {
            reason: "rate limited",
            wait: Duration::from_secs(1),
        };
        o.attempt(&attempt(Some(429), retry));
        o.attempt(&attempt(Some(201), AttemptOutcome::Success));
        o.attempt(&attempt(None, AttemptOutcome::Failed));
        o.paced(&PacingEvent {
            api: "ARTSVP",
            operation: "create_invite",
            wait: Duration::from_millis(900),
            reason: PacingReason::Quota,
        });
        o.budget_empty(&BudgetEvent {
            api: "SecureGate",
            operation: "get_invites",
            attempts: 1,
            tokens_left: 0,
        });
        o.quota_store(&QuotaStoreEvent {
            api: "ARTSVP",
            store: "redis (redis://***:***@quota:6379)".into(),
            error: Some("connection refused".into()),
        });
        o.quota(&QuotaEvent {
            api: "ARTSVP",
            store: "redis",
            shared: false,
            quota: Some(crate::Quota::new(1000, Duration::from_secs(900))),
            left: Some(997),
        });
    }

    /// The samples [`one_of_each`] must give.
    const SAMPLES: &[&str] = &[
        "event_invites_build_info{version=\"0.1.0\"} 1",
        "event_invites_requests_total{api=\"ARTSVP\",operation=\"create_invite\",outcome=\"retry\",status=\"429\"} 1",
        "event_invites_requests_total{api=\"ARTSVP\",operation=\"create_invite\",outcome=\"failed\",status=\"none\"} 1",
        "event_invites_rate_limited_total{api=\"ARTSVP\",operation=\"create_invite\"} 1",
        "event_invites_request_duration_seconds_bucket{api=\"ARTSVP\",operation=\"create_invite\",le=\"0.25\"} 3",
        "event_invites_request_duration_seconds_bucket{api=\"ARTSVP\",operation=\"create_invite\",le=\"0.1\"} 0",
        "event_invites_pacing_wait_seconds_bucket{api=\"ARTSVP\",operation=\"create_invite\",reason=\"quota\",le=\"1\"} 1",
        "event_invites_retry_budget_empty_total{api=\"SecureGate\",operation=\"get_invites\"} 1",
        "event_invites_quota_store_failures_total{api=\"ARTSVP\"} 1",
        "event_invites_quota_store_up{api=\"ARTSVP\",store=\"redis\"} 0",
        "event_invites_quota_limit{api=\"ARTSVP\"} 1000",
        "event_invites_quota_window_seconds{api=\"ARTSVP\"} 900",
        "event_invites_quota_remaining{api=\"ARTSVP\"} 997",
    ];

    #[test]
    fn every_event_is_a_documented_series_with_its_help_and_kind() {
        let text = rendered(one_of_each);
        for series in MetricsObserver::SERIES {
            let kind = format!("{:?}", series.kind).to_lowercase();
            let (name, help) = (series.name, series.help);
            assert!(
                text.contains(&format!("# HELP {name} {help}\n")),
                "{name}:\n{text}"
            );
            assert!(
                text.contains(&format!("# TYPE {name} {kind}\n")),
                "{name}:\n{text}"
            );
        }
        for sample in SAMPLES {
            assert!(text.contains(sample), "{sample}:\n{text}");
        }
        // Names and numbers only: the store's URL is not a label.
        assert!(!text.contains("quota:6379"), "{text}");
    }
}
