//! The service's `/metrics`: the requests' series from the facade's
//! `MetricsObserver` through the Prometheus recorder (every histogram with
//! its buckets, `# HELP` on every series, the build info), then each
//! sync's own series ([`SYNC_SERIES`], labelled `sync`) and the config's
//! ([`SERVICE_SERIES`]), rendered from the [`Board`]: a sync that leaves
//! the config leaves `/metrics` at once, and a restarted one starts its
//! counters anew (which Prometheus reads as a reset).

use std::fmt::Write as _;
use std::time::Duration;

use event_invites::{MetricsObserver, Series, SeriesKind};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::status::{Board, ConfigStatus, State, SyncStatus};

/// Bounds (seconds) for a sync cycle: a cycle with nothing new is one
/// SecureGate request (under a second); inviting guests is paced at
/// ARTSVP's 1,000 per 15 minutes, so a cycle with hundreds of new guests
/// takes minutes and one with thousands, an hour or two.
pub const CYCLE_BUCKETS: &[f64] = &[
    0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0,
];

/// Each sync's series (the requests' are [`MetricsObserver::SERIES`]).
pub const SYNC_SERIES: &[Series] = &[
    Series::counter(
        "event_invites_sync_cycles_total",
        &["sync", "result"],
        "Sync cycles by result: ok, or failed (SecureGate or ARTSVP unreachable, failing or refusing, or the bulk run stopped for an outage).",
    ),
    Series::histogram(
        "event_invites_sync_cycle_duration_seconds",
        &["sync"],
        "How long one sync cycle took, listing SecureGate to the last guest settled.",
        CYCLE_BUCKETS,
    ),
    Series::counter(
        "event_invites_sync_guests_total",
        &["sync", "result"],
        "Guests the sync handled, by result: invited (created in ARTSVP), existing (already there), failed, unknown (outcome not known; checked next cycle), revoked (declined later, invite deleted).",
    ),
    Series::counter(
        "event_invites_sync_outage_stops_total",
        &["sync"],
        "Cycles whose bulk run stopped because ARTSVP failed every request for a while (an outage); the next cycle goes on where it stopped.",
    ),
    Series::gauge(
        "event_invites_sync_last_success_timestamp_seconds",
        &["sync"],
        "When the last cycle that finished did (Unix time, seconds); absent until one has.",
    ),
    Series::gauge(
        "event_invites_sync_last_cycle_success",
        &["sync"],
        "1 if the last cycle finished, 0 if it failed; absent until one has ended.",
    ),
    Series::gauge(
        "event_invites_sync_consecutive_failures",
        &["sync"],
        "Cycles failed in a row (0 after a cycle that finished); the sync is failing (and /healthz answers 503) from 3.",
    ),
    Series::gauge(
        "event_invites_sync_guests_pending",
        &["sync"],
        "Guests the last finished cycle listed but did not settle (failed or unknown): tried again next cycle.",
    ),
    Series::gauge(
        "event_invites_sync_interval_seconds",
        &["sync"],
        "The time between cycles; after a failure the wait doubles, up to 4 times this.",
    ),
    Series::gauge(
        "event_invites_sync_state",
        &["sync", "state"],
        "1 for the sync's state (starting, ok, failing, refused, stopped), 0 for the others.",
    ),
];

/// `serve`'s own series (not with `sync --watch`, which has no file).
pub const SERVICE_SERIES: &[Series] = &[
    Series::gauge(
        "event_invites_config_last_reload_successful",
        &[],
        "1 if the last reload of the config file (SIGHUP) was applied, 0 if it was refused (the running config stays).",
    ),
    Series::gauge(
        "event_invites_config_last_reload_success_timestamp_seconds",
        &[],
        "When the running config was loaded (Unix time, seconds).",
    ),
];

/// Installs the Prometheus recorder for the requests' series (histograms
/// with their buckets), describes them and sets the build info.
pub fn install() -> Result<PrometheusHandle, String> {
    let mut builder = PrometheusBuilder::new();
    for series in MetricsObserver::SERIES {
        if series.kind == SeriesKind::Histogram {
            builder = builder
                .set_buckets_for_metric(Matcher::Full(series.name.into()), series.buckets)
                .map_err(|e| format!("{}: {e}", series.name))?;
        }
    }
    let handle = builder.install_recorder().map_err(|e| e.to_string())?;
    MetricsObserver::describe();
    Ok(handle)
}

/// A histogram's counts per bucket of [`CYCLE_BUCKETS`], its sum and count.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    /// Per bucket, not cumulative; one more for `+Inf`.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    pub fn record(&mut self, took: Duration) {
        let seconds = took.as_secs_f64();
        if self.counts.is_empty() {
            self.counts = vec![0; CYCLE_BUCKETS.len() + 1];
        }
        let bucket = CYCLE_BUCKETS
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(CYCLE_BUCKETS.len());
        self.counts[bucket] += 1;
        self.sum += seconds;
        self.count += 1;
    }

    /// The `_bucket`, `_sum` and `_count` lines.
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (i, bound) in CYCLE_BUCKETS.iter().map(|b| b.to_string()).enumerate() {
            cumulative += self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// The whole `/metrics` text: the recorder's, then the syncs' and the
/// config's from `board`.
pub fn render(recorder: &PrometheusHandle, board: &Board) -> String {
    let mut out = recorder.render();
    render_syncs(&mut out, &board.syncs());
    if let Some(config) = board.config() {
        render_config(&mut out, &config);
    }
    out
}

/// A kind as the text format (and the guide's table) names it.
fn kind_name(kind: SeriesKind) -> &'static str {
    match kind {
        SeriesKind::Counter => "counter",
        SeriesKind::Histogram => "histogram",
        _ => "gauge",
    }
}

/// `# HELP` and `# TYPE` of `series`.
fn header(out: &mut String, series: &Series) {
    let _ = writeln!(out, "# HELP {} {}", series.name, series.help);
    let _ = writeln!(out, "# TYPE {} {}", series.name, kind_name(series.kind));
}

/// Each series of [`SYNC_SERIES`] with a sample per sync (none without
/// syncs).
fn render_syncs(out: &mut String, syncs: &[SyncStatus]) {
    if syncs.is_empty() {
        return;
    }
    for series in SYNC_SERIES {
        header(out, series);
        for sync in syncs {
            let label = format!("sync=\"{}\"", escape(&sync.name));
            samples(out, series.name, &label, sync);
        }
    }
}

/// Sync `sync`'s samples of series `name`.
fn samples(out: &mut String, name: &str, label: &str, sync: &SyncStatus) {
    let s = &sync.series;
    let mut line = |more: &str, value: f64| {
        let _ = writeln!(out, "{name}{{{label}{more}}} {value}");
    };
    match name {
        "event_invites_sync_cycles_total" => {
            line(",result=\"ok\"", s.cycles_ok as f64);
            line(",result=\"failed\"", s.cycles_failed as f64);
        }
        "event_invites_sync_guests_total" => {
            for (result, n) in [
                ("invited", sync.invited),
                ("existing", sync.existing),
                ("failed", sync.failed),
                ("unknown", s.unknown),
                ("revoked", sync.revoked),
            ] {
                line(&format!(",result=\"{result}\""), n as f64);
            }
        }
        "event_invites_sync_outage_stops_total" => line("", s.outage_stops as f64),
        "event_invites_sync_last_success_timestamp_seconds" => {
            if let Some(at) = s.last_success_unix {
                line("", at);
            }
        }
        "event_invites_sync_last_cycle_success" => {
            if let Some(ok) = s.last_cycle_ok {
                line("", f64::from(u8::from(ok)));
            }
        }
        "event_invites_sync_consecutive_failures" => line("", f64::from(sync.failed_in_a_row)),
        "event_invites_sync_guests_pending" => line("", sync.pending as f64),
        "event_invites_sync_interval_seconds" => line("", sync.interval_seconds as f64),
        "event_invites_sync_state" => {
            for state in State::ALL {
                let on = f64::from(u8::from(state == sync.state));
                line(&format!(",state=\"{}\"", state.as_str()), on);
            }
        }
        "event_invites_sync_cycle_duration_seconds" => s.durations.render(out, name, label),
        _ => {}
    }
}

fn render_config(out: &mut String, config: &ConfigStatus) {
    for series in SERVICE_SERIES {
        header(out, series);
        let value = match series.name {
            "event_invites_config_last_reload_successful" => {
                f64::from(u8::from(config.last_reload_ok))
            }
            _ => config.loaded_unix,
        };
        let _ = writeln!(out, "{} {value}", series.name);
    }
}

/// A label value as the text format needs it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::config::SyncSpec;
    use crate::service::status::Finished;

    fn spec(name: &str) -> SyncSpec {
        crate::service::status::tests_spec(name)
    }

    /// The text of two syncs, one with a finished cycle.
    fn two_syncs() -> String {
        let board = Board::default();
        board.starting(&spec("gala"));
        board.starting(&spec("winter"));
        let done = Finished {
            created: 2,
            ..Finished::default()
        };
        board.update("gala", |s| s.finished(&done, Duration::from_millis(700)));
        let mut out = String::new();
        render_syncs(&mut out, &board.syncs());
        out
    }

    #[test]
    fn every_sync_series_has_a_sample_labelled_with_each_sync() {
        let text = two_syncs();
        for series in SYNC_SERIES {
            assert!(
                text.contains(&format!("# HELP {} ", series.name)),
                "{}",
                series.name
            );
            let sample = if series.kind == SeriesKind::Histogram {
                format!("{}_count{{sync=\"gala\"}} 1", series.name)
            } else {
                format!("{}{{sync=\"gala\"", series.name)
            };
            assert!(text.contains(&sample), "{sample} in\n{text}");
        }
        assert!(
            text.contains("event_invites_sync_guests_total{sync=\"gala\",result=\"invited\"} 2")
        );
        assert!(text.contains("event_invites_sync_state{sync=\"winter\",state=\"starting\"} 1"));
        assert!(text.contains("event_invites_sync_state{sync=\"gala\",state=\"ok\"} 1"));
        assert!(
            text.contains(
                "event_invites_sync_cycle_duration_seconds_bucket{sync=\"gala\",le=\"0.5\"} 0"
            ) && text.contains(
                "event_invites_sync_cycle_duration_seconds_bucket{sync=\"gala\",le=\"1\"} 1"
            ),
            "{text}"
        );
        assert!(
            !text.contains("event_invites_sync_last_success_timestamp_seconds{sync=\"winter\""),
            "no success yet: no sample"
        );
    }

    /// The guide's metrics table has a row per series of the service,
    /// with its kind and labels: `| \`name\` | kind … | \`label\` (values), … |`.
    #[test]
    fn the_guide_lists_every_series_of_the_service_with_its_kind_and_labels() {
        let guide = include_str!("../../../../guide/src/monitor.md");
        for series in SYNC_SERIES.iter().chain(SERVICE_SERIES) {
            let row = guide
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", series.name)))
                .unwrap_or_else(|| panic!("no row for {}", series.name));
            let cells: Vec<&str> = row.split(" | ").collect();
            assert!(cells[1].starts_with(kind_name(series.kind)), "{row}");
            let mut outside = String::new();
            let mut depth = 0;
            for c in cells[2].chars() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ if depth == 0 => outside.push(c),
                    _ => {}
                }
            }
            let labels: Vec<&str> = outside.split('`').skip(1).step_by(2).collect();
            assert_eq!(labels, series.labels, "{row}");
        }
    }

    #[test]
    fn without_syncs_no_sync_series_and_label_values_are_escaped() {
        let mut out = String::new();
        render_syncs(&mut out, &[]);
        assert!(out.is_empty());
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
