//! `event-invites serve --config`: a season in one process, checked end to
//! end against in-process fakes. Three syncs on one ARTSVP key at a tight
//! quota, one with a SecureGate key the server refuses; a reload that
//! fixes it and removes another; a broken file on reload; SIGTERM; and a
//! journal deleted between two runs, rebuilt instead of replayed.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use event_invites_fake::{FakeArtsvp, FakeSecureGate};
use tokio::process::Command;

use common::service::{Service, get, health_becomes, until};
use common::shared::tight_fake;
use common::{BIN, TempDir};

/// The SecureGate events of the three syncs.
const SOURCES: [&str; 3] = ["evt-alpha", "evt-beta", "evt-gamma"];
/// Accepted guests per event at the start.
const GUESTS: usize = 12;

/// The fakes, the ARTSVP events the syncs fill, the config's directory.
struct Season {
    securegate: FakeSecureGate,
    artsvp: FakeArtsvp,
    /// The ARTSVP event of each sync (alpha, beta, gamma).
    targets: Vec<String>,
    dir: TempDir,
    added: usize,
}

impl Season {
    async fn start(name: &str) -> Self {
        let securegate = FakeSecureGate::start().await.unwrap();
        let artsvp = tight_fake().await;
        let targets = artsvp
            .state()
            .events
            .iter()
            .take(3)
            .map(|e| e.id.clone())
            .collect();
        let mut season = Self {
            securegate,
            artsvp,
            targets,
            dir: TempDir::new(name),
            added: 0,
        };
        for source in SOURCES {
            season.add_accepted(source, GUESTS);
        }
        season
    }

    /// Adds `n` accepted guests to SecureGate event `source`.
    fn add_accepted(&mut self, source: &str, n: usize) {
        let template = self.securegate.invites(&self.securegate.event_ids()[0])[0].clone();
        let batch: Vec<_> = (self.added..self.added + n)
            .map(|i| {
                let mut invite = template.clone();
                invite.id = format!("inv-season-{i}");
                invite.event_id = source.into();
                invite.email = format!("season{i}@example.com");
                invite.status = "accepted".into();
                invite
            })
            .collect();
        self.added += n;
        self.securegate.insert_invites(source, batch);
    }

    /// How many invites ARTSVP holds for sync `i`'s event.
    fn held(&self, i: usize) -> usize {
        self.artsvp.state().invites_of(&self.targets[i]).len()
    }

    async fn wait_held(&self, i: usize, n: usize) {
        until(Duration::from_secs(30), || {
            (self.held(i) == n).then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("sync {i}: {} held, not {n}", self.held(i)));
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path("season.toml")
    }

    fn journal(&self, name: &str) -> PathBuf {
        self.dir.path(&format!("state/{name}.journal.sqlite"))
    }

    /// Writes the config with the syncs `(name, index, SecureGate key
    /// variable)`, a cycle a second.
    fn write_config(&self, syncs: &[(&str, usize, Option<&str>)]) {
        let mut text = String::from("listen = \"127.0.0.1:0\"\nstate_dir = \"state\"\n");
        for (name, i, key_env) in syncs {
            text.push_str(&format!(
                "\n[[sync]]\nname = \"{name}\"\nfrom_securegate = \"{}\"\nto_artsvp_event = \"{}\"\ninterval = \"1s\"\n",
                SOURCES[*i], self.targets[*i]
            ));
            if let Some(var) = key_env {
                text.push_str(&format!("securegate_key_env = \"{var}\"\n"));
            }
        }
        std::fs::write(self.config_path(), text).unwrap();
    }

    /// `event-invites serve --config FILE` on these fakes, the quota in
    /// this process; `SG_WRONG` holds a key SecureGate refuses.
    fn serve(&self) -> Service {
        let mut command = Command::new(BIN);
        command
            .arg("serve")
            .arg("--config")
            .arg(self.config_path())
            .env("SECUREGATE_API_KEY", self.securegate.api_key())
            .env("SECUREGATE_BASE_URL", self.securegate.base_url())
            .env("SG_WRONG", "not-the-securegate-key")
            .env("ARTSVP_API_KEY", self.artsvp.api_key())
            .env("ARTSVP_BASE_URL", self.artsvp.base_url())
            .env("EVENT_INVITES_QUOTA_STORE", "memory");
        Service::spawn(command)
    }

    /// ARTSVP invite creates received so far.
    fn creates(&self) -> usize {
        self.artsvp
            .requests()
            .count(|r| r.method == "POST" && r.path.ends_with("/invites"))
    }
}

/// `/status` as JSON.
async fn status(address: &str) -> serde_json::Value {
    serde_json::from_str(&get(address, "/status").await.1).unwrap()
}

/// Sync `name`'s entry in `/status`, if it is there.
fn sync_of<'a>(status: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    status["syncs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
}

/// Waits until `/status` satisfies `check`.
async fn status_until(address: &str, what: &str, check: impl Fn(&serde_json::Value) -> bool) {
    for _ in 0..300 {
        if check(&status(address).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: {}", status(address).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_season_runs_reloads_and_stops_as_one_service() {
    let mut season = Season::start("serve-season").await;
    season.write_config(&[
        ("alpha", 0, None),
        ("beta", 1, Some("SG_WRONG")),
        ("gamma", 2, None),
    ]);
    let service = season.serve();
    let address = service.address().await;
    season.wait_held(0, GUESTS).await;
    season.wait_held(2, GUESTS).await;
    refused_sync_alone_is_unhealthy(&address, &season).await;

    // The file fixed for beta, gamma removed: SIGHUP.
    season.write_config(&[("alpha", 0, None), ("beta", 1, None)]);
    service.signal("HUP");
    season.wait_held(1, GUESTS).await;
    health_becomes(&address, 200, Duration::from_secs(20)).await;
    status_until(&address, "gamma left /status", |s| {
        sync_of(s, "gamma").is_none()
    })
    .await;
    season.add_accepted(SOURCES[2], 3);
    season.add_accepted(SOURCES[0], 2);
    season.wait_held(0, GUESTS + 2).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(season.held(2), GUESTS, "a removed sync invites nobody new");

    broken_reload_keeps_the_service(&address, &season, service).await;
    let sent = season.creates();
    let limited = season.artsvp.requests().count(|r| r.status == Some(429));
    let total = season.artsvp.requests().len();
    eprintln!("ARTSVP: {limited} of {total} requests answered 429, {sent} creates");
    assert!(
        limited * 100 <= total,
        "{limited} of {total} requests answered 429"
    );

    // alpha's journal lost: the restarted service rebuilds it and sends
    // none of alpha's guests again.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&season.journal("alpha"), suffix));
    }
    season.write_config(&[("alpha", 0, None), ("beta", 1, None)]);
    let service = season.serve();
    let address = service.address().await;
    status_until(&address, "alpha rebuilt and cycled", |s| {
        sync_of(s, "alpha")
            .is_some_and(|a| a["rebuilt"] == GUESTS + 2 && a["cycles"].as_u64() >= Some(2))
    })
    .await;
    assert_eq!(season.creates(), sent, "no guest sent to ARTSVP again");
    let (code, took, log) = service.terminate().await;
    assert_eq!(code, Some(0), "{log}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(!log.contains("@example.com"), "an email in the log: {log}");
}

/// Only beta (refused by SecureGate) is unhealthy, named by `/healthz`;
/// every sync series has a `sync` label.
async fn refused_sync_alone_is_unhealthy(address: &str, season: &Season) {
    status_until(address, "beta refused, alpha and gamma ok", |s| {
        let state = |name| sync_of(s, name).map(|x| x["state"].clone());
        state("beta") == Some("refused".into())
            && state("alpha") == Some("ok".into())
            && state("gamma") == Some("ok".into())
    })
    .await;
    let (code, text) = get(address, "/healthz").await;
    assert_eq!(code, 503, "{text}");
    assert!(
        text.contains("beta refused") && !text.contains("alpha"),
        "{text}"
    );
    assert!(
        text.contains("check SG_WRONG"),
        "names beta's key variable: {text}"
    );
    assert_eq!(season.held(1), 0, "the refused sync invited nobody");
    let metrics = get(address, "/metrics").await.1;
    for name in ["alpha", "beta", "gamma"] {
        let sample = format!("event_invites_sync_cycles_total{{sync=\"{name}\",result=\"ok\"}}");
        assert!(metrics.contains(&sample), "{sample}");
    }
    assert!(metrics.contains("event_invites_sync_state{sync=\"beta\",state=\"refused\"} 1"));
    assert_eq!(get(address, "/livez").await.0, 200);
}

/// A file that does not parse, on reload: the service goes on with the
/// running config and says so; then SIGTERM stops it, exit 0 within 10 s.
async fn broken_reload_keeps_the_service(address: &str, season: &Season, mut service: Service) {
    std::fs::write(season.config_path(), "listen = \"127.0.0.1:0\"\n[[sync]\n").unwrap();
    service.signal("HUP");
    status_until(address, "the reload is refused", |s| {
        s["config"]["last_reload_ok"] == false
            && s["config"]["last_reload_error"]
                .as_str()
                .is_some_and(|e| e.contains("season.toml:2:"))
    })
    .await;
    assert!(service.running());
    let metrics = get(address, "/metrics").await.1;
    assert!(
        metrics.contains("event_invites_config_last_reload_successful 0"),
        "{metrics}"
    );
    assert_eq!(get(address, "/healthz").await.0, 200, "the syncs go on");
    let (code, took, log) = service.terminate().await;
    assert_eq!(code, Some(0), "{log}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(log.contains("reload refused"), "{log}");
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[tokio::test]
async fn check_names_each_problem_with_its_position_and_sends_nothing() {
    let season = Season::start("serve-check").await;
    std::fs::write(
        season.config_path(),
        "listen = \"127.0.0.1:0\"\nstate_dir = \"state\"\n[[sync]]\nname = \"a\"\nfrom_securegate = \"x\"\nto_artsvp_event = \"y\"\ninterval = \"soon\"\n",
    )
    .unwrap();
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--check", "--config"])
        .arg(season.config_path())
        .env("SECUREGATE_API_KEY", "k")
        .env("ARTSVP_API_KEY", "k");
    let out = command.output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("season.toml:7:12: `interval`"), "{stderr}");
    season.write_config(&[("alpha", 0, None)]);
    let out = command.output().await.unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok: 1 sync(s): alpha"));
    assert!(season.artsvp.requests().is_empty() && season.securegate.requests().is_empty());
    assert!(!season.dir.path("state").exists(), "--check makes nothing");
}

/// The example config in `deploy/` is one `serve` takes, and the unit
/// runs `serve` on the path it is installed to, reloads with SIGHUP and is
/// not restarted after exit 2 (a config with a problem).
#[tokio::test]
async fn the_shipped_unit_and_example_config_work_together() {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    let out = Command::new(BIN)
        .args(["serve", "--check", "--config"])
        .arg(deploy.join("season.example.toml"))
        .env("SECUREGATE_API_KEY", "k")
        .env("SECUREGATE_API_KEY_PARTNER", "k")
        .env("ARTSVP_API_KEY", "k")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("ok: 2 sync(s): summer-gala, autumn-fair"),
        "{stdout}"
    );
    let unit = std::fs::read_to_string(deploy.join("event-invites.service")).unwrap();
    for line in [
        "ExecStart=/usr/local/bin/event-invites serve --config /etc/event-invites/season.toml",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "RestartPreventExitStatus=2",
        "StateDirectory=event-invites",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line}");
    }
    let config = std::fs::read_to_string(deploy.join("season.example.toml")).unwrap();
    assert!(config.contains("state_dir = \"/var/lib/event-invites\""));
}
