//! The watch's `/metrics`: the Prometheus recorder (every histogram with
//! its buckets, `# HELP` on every series, the build info), and the sync's
//! own series ([`SYNC_SERIES`]: cycles, guests, the last success, what is
//! pending), recorded here so that `watch.rs` says what happened, not how
//! it is counted.

use std::time::Duration;

use event_invites::{MetricsObserver, Series, SeriesKind};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Bounds (seconds) for a sync cycle: a cycle with nothing new is one
/// SecureGate request (under a second); inviting guests is paced at
/// ARTSVP's 1,000 per 15 minutes, so a cycle with hundreds of new guests
/// takes minutes and one with thousands, an hour or two.
pub const CYCLE_BUCKETS: &[f64] = &[
    0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0,
];

/// The sync's own series (the requests' are [`MetricsObserver::SERIES`]).
pub const SYNC_SERIES: &[Series] = &[
    Series::counter(
        "event_invites_sync_cycles_total",
        &["result"],
        "Sync cycles by result: ok, or failed (SecureGate or ARTSVP unreachable, failing or refusing, or the bulk run stopped for an outage).",
    ),
    Series::histogram(
        "event_invites_sync_cycle_duration_seconds",
        &[],
        "How long one sync cycle took, listing SecureGate to the last guest settled.",
        CYCLE_BUCKETS,
    ),
    Series::counter(
        "event_invites_sync_guests_total",
        &["result"],
        "Guests the sync handled, by result: invited (created in ARTSVP), existing (already there), failed, unknown (outcome not known; checked next cycle), revoked (declined later, invite deleted).",
    ),
    Series::counter(
        "event_invites_sync_outage_stops_total",
        &[],
        "Cycles whose bulk run stopped because ARTSVP failed every request for a while (an outage); the next cycle goes on where it stopped.",
    ),
    Series::gauge(
        "event_invites_sync_last_success_timestamp_seconds",
        &[],
        "When the last cycle that finished did (Unix time, seconds).",
    ),
    Series::gauge(
        "event_invites_sync_last_cycle_success",
        &[],
        "1 if the last cycle finished, 0 if it failed.",
    ),
    Series::gauge(
        "event_invites_sync_consecutive_failures",
        &[],
        "Cycles failed in a row (0 after a cycle that finished); /healthz answers 503 from 3.",
    ),
    Series::gauge(
        "event_invites_sync_guests_pending",
        &[],
        "Guests the last finished cycle listed but did not settle (failed or unknown): tried again next cycle.",
    ),
    Series::gauge(
        "event_invites_sync_interval_seconds",
        &[],
        "The time between cycles (--interval); after a failure the wait doubles, up to 4 times this.",
    ),
];

/// Installs the Prometheus recorder (histograms with each series'
/// buckets), describes every series and sets the build info.
pub fn install() -> Result<PrometheusHandle, String> {
    let mut builder = PrometheusBuilder::new();
    for series in MetricsObserver::SERIES.iter().chain(SYNC_SERIES) {
        if series.kind == SeriesKind::Histogram {
            builder = builder
                .set_buckets_for_metric(Matcher::Full(series.name.into()), series.buckets)
                .map_err(|e| format!("{}: {e}", series.name))?;
        }
    }
    let handle = builder.install_recorder().map_err(|e| e.to_string())?;
    MetricsObserver::describe();
    for series in SYNC_SERIES {
        series.describe();
    }
    // The sync's counters from 0, so that the first failure or outage is an
    // increase Prometheus sees (a series first seen at 1 shows none).
    for result in ["ok", "failed"] {
        metrics::counter!("event_invites_sync_cycles_total", "result" => result).increment(0);
    }
    for result in ["invited", "existing", "failed", "unknown", "revoked"] {
        metrics::counter!("event_invites_sync_guests_total", "result" => result).increment(0);
    }
    metrics::counter!("event_invites_sync_outage_stops_total").increment(0);
    Ok(handle)
}

/// The watch's interval, for the staleness alert.
pub fn interval(interval: Duration) {
    metrics::gauge!("event_invites_sync_interval_seconds").set(interval.as_secs_f64());
}

/// What a finished cycle did, for [`cycle_finished`].
pub struct Finished {
    pub created: u64,
    pub existing: u64,
    pub failed: u64,
    pub unknown: u64,
}

/// How long a cycle took, finished or failed.
pub fn cycle_duration(took: Duration) {
    metrics::histogram!("event_invites_sync_cycle_duration_seconds").record(took.as_secs_f64());
}

/// A cycle finished.
pub fn cycle_finished(done: &Finished) {
    metrics::counter!("event_invites_sync_cycles_total", "result" => "ok").increment(1);
    for (result, n) in [
        ("invited", done.created),
        ("existing", done.existing),
        ("failed", done.failed),
        ("unknown", done.unknown),
    ] {
        metrics::counter!("event_invites_sync_guests_total", "result" => result).increment(n);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    metrics::gauge!("event_invites_sync_last_success_timestamp_seconds").set(now);
    metrics::gauge!("event_invites_sync_last_cycle_success").set(1.0);
    metrics::gauge!("event_invites_sync_consecutive_failures").set(0.0);
    metrics::gauge!("event_invites_sync_guests_pending").set((done.failed + done.unknown) as f64);
}

/// A cycle failed, the `in_a_row`th in a row.
pub fn cycle_failed(in_a_row: u32) {
    metrics::counter!("event_invites_sync_cycles_total", "result" => "failed").increment(1);
    metrics::gauge!("event_invites_sync_last_cycle_success").set(0.0);
    metrics::gauge!("event_invites_sync_consecutive_failures").set(f64::from(in_a_row));
}

/// A cycle's bulk run stopped for an outage (the cycle fails too).
pub fn outage_stop() {
    metrics::counter!("event_invites_sync_outage_stops_total").increment(1);
}

/// A guest's invite revoked (declined on SecureGate after it).
pub fn revoked() {
    metrics::counter!("event_invites_sync_guests_total", "result" => "revoked").increment(1);
}
