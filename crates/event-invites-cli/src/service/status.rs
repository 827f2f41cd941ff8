//! What every sync is doing, in one place: the supervisor and the syncs
//! write it, `/status`, `/healthz` and the sync series of `/metrics` read
//! it. Counts, ids and error texts only (the errors name fields, never a
//! guest's data or a key).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use super::config::SyncSpec;
use super::metrics::Histogram;

/// Cycles failed in a row after which a sync is `failing`.
pub const UNHEALTHY_AFTER: u32 = 3;

/// Where a sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// No cycle has finished yet.
    Starting,
    /// The last cycle finished, or fewer than [`UNHEALTHY_AFTER`] failed
    /// since.
    Ok,
    /// [`UNHEALTHY_AFTER`] cycles or more failed in a row; it goes on
    /// trying.
    Failing,
    /// An API refused its key (401/403): stopped until the next reload.
    Refused,
    /// Stopped for a reason an operator must fix (a journal that cannot be
    /// written, an ARTSVP event that does not exist), or by a signal.
    Stopped,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Starting,
        State::Ok,
        State::Failing,
        State::Refused,
        State::Stopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Ok => "ok",
            State::Failing => "failing",
            State::Refused => "refused",
            State::Stopped => "stopped",
        }
    }
}

/// One sync, as `/status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    pub name: String,
    pub from_securegate: String,
    pub to_artsvp_event: String,
    pub state: State,
    /// When the last cycle finished (RFC 3339).
    pub last_success: Option<String>,
    /// Why the last cycle failed or the sync stopped (cleared by a cycle
    /// that finishes).
    pub last_error: Option<String>,
    pub failed_in_a_row: u32,
    pub cycles: u64,
    /// Guests invited (created in ARTSVP) since the sync started.
    pub invited: u64,
    pub existing: u64,
    pub failed: u64,
    pub revoked: u64,
    /// Guests the last finished cycle listed but did not settle.
    pub pending: u64,
    /// Guests settled from ARTSVP's listing when the journal was rebuilt.
    pub rebuilt: Option<u64>,
    pub interval_seconds: u64,
    #[serde(skip)]
    pub series: SyncSeries,
}

/// What the sync's `/metrics` series count (not in `/status`).
#[derive(Debug, Clone, Default)]
pub struct SyncSeries {
    pub cycles_ok: u64,
    pub cycles_failed: u64,
    pub unknown: u64,
    pub outage_stops: u64,
    pub last_success_unix: Option<f64>,
    pub last_cycle_ok: Option<bool>,
    pub durations: Histogram,
}

/// The config file's last reload.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigStatus {
    pub file: String,
    /// When the running config was loaded (RFC 3339).
    pub loaded_at: String,
    pub last_reload_ok: bool,
    /// Why the last reload was refused, with the file's line and column.
    pub last_reload_error: Option<String>,
    #[serde(skip)]
    pub loaded_unix: f64,
}

/// Every sync's status, and the config's.
#[derive(Default)]
pub struct Board {
    syncs: Mutex<BTreeMap<String, SyncStatus>>,
    config: Mutex<Option<ConfigStatus>>,
}

/// The `/status` document.
#[derive(Serialize)]
struct StatusDocument {
    version: &'static str,
    healthy: bool,
    syncs: Vec<SyncStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<ConfigStatus>,
}

/// Now, in RFC 3339 (seconds) and in Unix seconds.
pub fn now() -> (String, f64) {
    let now = chrono::Utc::now();
    (
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        now.timestamp_millis() as f64 / 1000.0,
    )
}

impl Board {
    /// A sync starts (anew: a restarted one's counts start from 0).
    pub fn starting(&self, spec: &SyncSpec) {
        let status = SyncStatus {
            name: spec.name.clone(),
            from_securegate: spec.from.clone(),
            to_artsvp_event: spec.to.clone(),
            state: State::Starting,
            last_success: None,
            last_error: None,
            failed_in_a_row: 0,
            cycles: 0,
            invited: 0,
            existing: 0,
            failed: 0,
            revoked: 0,
            pending: 0,
            rebuilt: None,
            interval_seconds: spec.interval.as_secs(),
            series: SyncSeries::default(),
        };
        self.lock().insert(spec.name.clone(), status);
    }

    /// A sync left the config: it leaves `/status` and `/metrics`.
    pub fn remove(&self, name: &str) {
        self.lock().remove(name);
    }

    /// Changes sync `name`'s status (if it is still there).
    pub fn update(&self, name: &str, change: impl FnOnce(&mut SyncStatus)) {
        if let Some(status) = self.lock().get_mut(name) {
            change(status);
        }
    }

    /// Sync `name`'s status now.
    #[cfg(test)]
    pub fn get(&self, name: &str) -> Option<SyncStatus> {
        self.lock().get(name).cloned()
    }

    /// Every sync's status, by name.
    pub fn syncs(&self) -> Vec<SyncStatus> {
        self.lock().values().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, SyncStatus>> {
        self.syncs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A config was loaded (at start, or by a reload).
    pub fn config_loaded(&self, file: &str) {
        let (at, unix) = now();
        *self.config_lock() = Some(ConfigStatus {
            file: file.to_string(),
            loaded_at: at,
            last_reload_ok: true,
            last_reload_error: None,
            loaded_unix: unix,
        });
    }

    /// A reload was refused: the running config stays.
    pub fn reload_failed(&self, error: &str) {
        if let Some(config) = self.config_lock().as_mut() {
            config.last_reload_ok = false;
            config.last_reload_error = Some(error.to_string());
        }
    }

    pub fn config(&self) -> Option<ConfigStatus> {
        self.config_lock().clone()
    }

    fn config_lock(&self) -> std::sync::MutexGuard<'_, Option<ConfigStatus>> {
        self.config.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `/healthz`: 200 when every sync is `ok`, else 503 naming the others.
    pub fn health(&self) -> (u16, String) {
        let syncs = self.syncs();
        let unhealthy: Vec<String> = syncs
            .iter()
            .filter(|s| s.state != State::Ok)
            .map(|s| {
                let why = s.last_error.as_deref().unwrap_or_default();
                match s.state {
                    State::Failing => format!(
                        "{} failing: {} cycles failed in a row, last: {why}",
                        s.name, s.failed_in_a_row
                    ),
                    _ if why.is_empty() => format!("{} {}", s.name, s.state.as_str()),
                    state => format!("{} {}: {why}", s.name, state.as_str()),
                }
            })
            .collect();
        if !unhealthy.is_empty() {
            return (503, format!("unhealthy: {}\n", unhealthy.join("; ")));
        }
        let wobbling: Vec<String> = syncs
            .iter()
            .filter(|s| s.failed_in_a_row > 0)
            .map(|s| {
                format!(
                    "{}: {} cycle(s) failed in a row, last: {}",
                    s.name,
                    s.failed_in_a_row,
                    s.last_error.as_deref().unwrap_or_default()
                )
            })
            .collect();
        match wobbling.is_empty() {
            true => (200, "ok\n".into()),
            false => (200, format!("ok: {}\n", wobbling.join("; "))),
        }
    }

    /// `/status`, as JSON.
    pub fn status_json(&self) -> String {
        let syncs = self.syncs();
        let document = StatusDocument {
            version: env!("CARGO_PKG_VERSION"),
            healthy: syncs.iter().all(|s| s.state == State::Ok),
            syncs,
            config: self.config(),
        };
        serde_json::to_string_pretty(&document)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

/// A cycle finished: what it did.
#[derive(Debug, Default, Clone)]
pub struct Finished {
    pub created: u64,
    pub existing: u64,
    pub failed: u64,
    pub unknown: u64,
    pub revoked: u64,
}

impl SyncStatus {
    /// Records a cycle that finished.
    pub fn finished(&mut self, done: &Finished, took: Duration) {
        let (at, unix) = now();
        self.state = State::Ok;
        self.last_success = Some(at);
        self.last_error = None;
        self.failed_in_a_row = 0;
        self.cycles += 1;
        self.invited += done.created;
        self.existing += done.existing;
        self.failed += done.failed;
        self.revoked += done.revoked;
        self.pending = done.failed + done.unknown;
        self.series.cycles_ok += 1;
        self.series.unknown += done.unknown;
        self.series.last_success_unix = Some(unix);
        self.series.last_cycle_ok = Some(true);
        self.series.durations.record(took);
    }

    /// Records a cycle that failed; returns how many failed in a row.
    pub fn failed_cycle(&mut self, error: &str, took: Duration) -> u32 {
        self.failed_in_a_row += 1;
        self.cycles += 1;
        self.last_error = Some(error.to_string());
        if self.failed_in_a_row >= UNHEALTHY_AFTER {
            self.state = State::Failing;
        }
        self.series.cycles_failed += 1;
        self.series.last_cycle_ok = Some(false);
        self.series.durations.record(took);
        self.failed_in_a_row
    }

    /// The sync stopped: refused, or for an operator to fix.
    pub fn stopped(&mut self, state: State, why: Option<String>) {
        self.state = state;
        if why.is_some() {
            self.last_error = why;
        }
    }
}

/// A sync spec for tests: `event-1` into `abc`, every minute.
#[cfg(test)]
pub fn tests_spec(name: &str) -> SyncSpec {
    SyncSpec {
        name: name.into(),
        from: "event-1".into(),
        to: "abc".into(),
        interval: Duration::from_secs(60),
        status: event_invites::securegate::InviteStatus::Accepted,
        revoke_declined: false,
        securegate_key_env: "SECUREGATE_API_KEY".into(),
        artsvp_key_env: "ARTSVP_API_KEY".into(),
        journal: "a.journal.sqlite".into(),
        concurrency: 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> SyncSpec {
        tests_spec(name)
    }

    #[test]
    fn healthz_is_200_only_when_every_sync_is_ok_and_names_the_others() {
        let board = Board::default();
        assert_eq!(board.health(), (200, "ok\n".into()), "no syncs: healthy");
        board.starting(&spec("gala"));
        board.starting(&spec("winter"));
        let (code, text) = board.health();
        assert_eq!(code, 503);
        assert_eq!(text, "unhealthy: gala starting; winter starting\n");
        let done = Finished::default();
        board.update("gala", |s| s.finished(&done, Duration::ZERO));
        board.update("winter", |s| {
            s.stopped(State::Refused, Some("SecureGate refused the key".into()))
        });
        assert_eq!(
            board.health(),
            (
                503,
                "unhealthy: winter refused: SecureGate refused the key\n".into()
            )
        );
        board.remove("winter");
        assert_eq!(board.health(), (200, "ok\n".into()));
    }

    #[test]
    fn a_sync_is_failing_from_the_third_failed_cycle_in_a_row() {
        let board = Board::default();
        board.starting(&spec("gala"));
        board.update("gala", |s| s.finished(&Finished::default(), Duration::ZERO));
        for (expected, code) in [(State::Ok, 200), (State::Ok, 200), (State::Failing, 503)] {
            board.update("gala", |s| {
                s.failed_cycle("SecureGate answers 503", Duration::ZERO);
            });
            let status = board.get("gala").unwrap();
            assert_eq!(status.state, expected);
            let (now, text) = board.health();
            assert_eq!(now, code, "{text}");
            assert!(text.contains("SecureGate answers 503"), "{text}");
        }
        board.update("gala", |s| s.finished(&Finished::default(), Duration::ZERO));
        assert_eq!(board.health(), (200, "ok\n".into()));
    }

    #[test]
    fn status_lists_each_sync_and_the_config() {
        let board = Board::default();
        board.config_loaded("/etc/event-invites/season.toml");
        board.starting(&spec("gala"));
        let done = Finished {
            created: 3,
            failed: 1,
            ..Finished::default()
        };
        board.update("gala", |s| s.finished(&done, Duration::from_secs(1)));
        board.reload_failed("season.toml:3:1: unknown field `x`");
        let json: serde_json::Value = serde_json::from_str(&board.status_json()).unwrap();
        let gala = &json["syncs"][0];
        assert_eq!(gala["name"], "gala");
        assert_eq!(gala["state"], "ok");
        assert_eq!(gala["invited"], 3);
        assert_eq!(gala["pending"], 1);
        assert!(gala["last_success"].is_string());
        assert_eq!(json["healthy"], true);
        assert_eq!(json["config"]["last_reload_ok"], false);
        assert_eq!(
            json["config"]["last_reload_error"],
            "season.toml:3:1: unknown field `x`"
        );
    }
}
