//! The metrics are documented where operators and developers look, from
//! the one list in the code: every series of `MetricsObserver::SERIES` is a
//! row of the guide's table (guide/src/monitor.md) and of the rustdoc
//! table on `MetricsObserver`, with the same kind and labels, and neither
//! table lists a library series the code does not send. (The sync's own
//! series are checked against a live `/metrics` by checks/monitoring.py.)

use std::collections::BTreeMap;

use event_invites::{MetricsObserver, SeriesKind};

/// A table's rows: name → (kind, labels), from lines
/// `| \`name\` | kind … | labels … | …` (after `prefix`).
fn rows(text: &str, prefix: &str) -> BTreeMap<String, (String, Vec<String>)> {
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        let Some(row) = line.trim_start().strip_prefix(prefix) else {
            continue;
        };
        let cells: Vec<&str> = row.split(" | ").collect();
        let Some(name) = cells[0]
            .strip_prefix("| `")
            .and_then(|c| c.strip_suffix('`'))
            .filter(|n| n.starts_with("event_invites_"))
        else {
            continue;
        };
        let kind = cells[1].split_whitespace().next().unwrap_or("").to_string();
        // The label names: the backticked words outside parentheses (which
        // hold a label's values).
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
        let labels = outside
            .split('`')
            .skip(1)
            .step_by(2)
            .map(String::from)
            .collect();
        rows.insert(name.to_string(), (kind, labels));
    }
    rows
}

fn kind(kind: SeriesKind) -> &'static str {
    match kind {
        SeriesKind::Counter => "counter",
        SeriesKind::Gauge => "gauge",
        SeriesKind::Histogram => "histogram",
        _ => "unknown",
    }
}

/// `table` lists every library series as the code has it.
fn assert_documents_the_library(table: &BTreeMap<String, (String, Vec<String>)>, what: &str) {
    for series in MetricsObserver::SERIES {
        let labels: Vec<String> = series.labels.iter().map(|l| l.to_string()).collect();
        let want = (kind(series.kind).to_string(), labels);
        assert_eq!(
            table.get(series.name),
            Some(&want),
            "{what}: {}",
            series.name
        );
    }
}

#[test]
fn the_guide_lists_every_series_with_its_kind_and_labels() {
    let guide = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../guide/src/monitor.md"
    ))
    .unwrap();
    let table = rows(&guide, "");
    assert_documents_the_library(&table, "guide/src/monitor.md");
    // Beyond the library's, only the service's own (the CLI's unit tests
    // check those rows against its lists).
    for name in table.keys() {
        let library = MetricsObserver::SERIES.iter().any(|s| s.name == name);
        let service = ["event_invites_sync_", "event_invites_config_"]
            .iter()
            .any(|prefix| name.starts_with(prefix));
        assert!(library || service, "{name}");
    }
}

#[test]
fn the_rustdoc_table_is_the_code_list() {
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/event-invites/src/metrics.rs"
    ))
    .unwrap();
    let table = rows(&source, "/// ");
    assert_documents_the_library(&table, "MetricsObserver's rustdoc");
    assert_eq!(table.len(), MetricsObserver::SERIES.len(), "{table:?}");
}

#[test]
fn every_series_is_named_as_prometheus_asks() {
    for series in MetricsObserver::SERIES {
        let name = series.name;
        assert_eq!(
            name.ends_with("_total"),
            series.kind == SeriesKind::Counter,
            "{name}: counters, and only counters, end in _total"
        );
        assert!(
            !series.help.is_empty() && series.help.ends_with('.'),
            "{name}"
        );
        if series.kind == SeriesKind::Histogram {
            assert!(name.ends_with("_seconds"), "{name}");
            assert!(series.buckets.windows(2).all(|w| w[0] < w[1]), "{name}");
        } else {
            assert!(series.buckets.is_empty(), "{name}");
        }
    }
}
