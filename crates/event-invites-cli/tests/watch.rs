//! `sync --watch` as a service: real processes of the tool against
//! in-process fakes, driven through their state and faults; health and
//! metrics read over HTTP on loopback.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use event_invites_fake::{FakeArtsvp, FakeSecureGate, Fault, FaultRule};
use tokio::process::Command;

use common::TempDir;
use common::service::{Service, get, health_becomes, until};

const BIN: &str = env!("CARGO_BIN_EXE_event-invites");
/// The SecureGate event the tests fill, and the ARTSVP event it syncs to.
const FROM: &str = "evt-watch";
const TO: &str = "3779b1";

/// The two fakes a sync runs between, and a directory of the test's own
/// with the sync's journal.
struct Fakes {
    securegate: FakeSecureGate,
    artsvp: FakeArtsvp,
    /// Accepted guests added so far.
    added: usize,
    /// `j.sqlite` in `_dir`.
    journal: PathBuf,
    _dir: TempDir,
}

impl Fakes {
    async fn start(name: &str) -> Self {
        let dir = TempDir::new(name);
        Self {
            securegate: FakeSecureGate::start().await.unwrap(),
            artsvp: FakeArtsvp::builder().invites(0).start().await.unwrap(),
            added: 0,
            journal: dir.path("j.sqlite"),
            _dir: dir,
        }
    }

    /// Adds `n` accepted guests to the SecureGate event, and one who
    /// declined (never invited).
    fn add_accepted(&mut self, n: usize) {
        let template = self.securegate.invites(&self.securegate.event_ids()[0])[0].clone();
        let mut batch = Vec::new();
        for i in self.added..self.added + n + 1 {
            let mut invite = template.clone();
            invite.id = format!("inv-watch-{i}");
            invite.event_id = FROM.into();
            invite.email = format!("watched{i}@example.com");
            invite.status = if i == self.added + n {
                "rejected"
            } else {
                "accepted"
            }
            .into();
            batch.push(invite);
        }
        self.added += n + 1;
        self.securegate.insert_invites(FROM, batch);
    }

    fn held(&self) -> Vec<String> {
        let mut emails: Vec<String> = self
            .artsvp
            .state()
            .invites_of(TO)
            .iter()
            .filter_map(|i| i.email.clone())
            .collect();
        emails.sort();
        emails
    }

    /// Waits until ARTSVP holds `n` of the guests (at most `limit`).
    async fn wait_held(&self, n: usize, limit: u64) {
        until(Duration::from_secs(limit), || {
            (self.held().len() == n).then_some(())
        })
        .await
        .unwrap_or_else(|| panic!("{n} invited: {:?}", self.held()));
    }

    /// `event-invites sync FROM → TO MODE --journal JOURNAL` on these
    /// fakes' keys and addresses (quota in memory).
    fn sync(&self, mode: &str) -> Command {
        let mut command = Command::new(BIN);
        command
            .args([
                "sync",
                "--from-securegate",
                FROM,
                "--to-artsvp-event",
                TO,
                mode,
            ])
            .arg("--journal")
            .arg(&self.journal)
            .env("SECUREGATE_API_KEY", self.securegate.api_key())
            .env("SECUREGATE_BASE_URL", self.securegate.base_url())
            .env("ARTSVP_API_KEY", self.artsvp.api_key())
            .env("ARTSVP_BASE_URL", self.artsvp.base_url())
            .env("EVENT_INVITES_QUOTA_STORE", "memory");
        command
    }

    fn securegate_requests(&self) -> usize {
        self.securegate.requests().len()
    }

    fn artsvp_requests(&self) -> usize {
        self.artsvp.requests().len()
    }
}

/// Fakes whose SecureGate event has `accepted` guests (and one who
/// declined), and a watch started on them
/// with `extra` flags.
async fn watching(name: &str, accepted: usize, extra: &[&str]) -> (Fakes, Watch) {
    let mut fakes = Fakes::start(name).await;
    fakes.add_accepted(accepted);
    let watch = start_watch(&fakes, extra);
    (fakes, watch)
}

/// A running `sync --watch`, its stderr collected line by line.
type Watch = Service;

/// Starts `sync --watch` on the fakes, a cycle a second, with `extra`.
fn start_watch(fakes: &Fakes, extra: &[&str]) -> Watch {
    let mut command = fakes.sync("--watch");
    command.args(["--interval", "1s"]).args(extra);
    Service::spawn(command)
}

/// The samples of a Prometheus text exposition, checked line by line:
/// `name{labels} value` → (name, labels, value).
fn samples(text: &str) -> Vec<(String, HashMap<String, String>, f64)> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix('#') {
            assert!(
                comment.starts_with(" TYPE ") || comment.starts_with(" HELP "),
                "{line}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("a value: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("{line}"));
                let labels = body
                    .split("\",")
                    .filter(|p| !p.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
                        (k.to_string(), v.trim_end_matches('"').to_string())
                    })
                    .collect();
                (name, labels)
            }
            None => (series, HashMap::new()),
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "{line}"
        );
        out.push((name.to_string(), labels, value));
    }
    out
}

/// The sum of a series' samples whose labels include `with`.
fn total(
    samples: &[(String, HashMap<String, String>, f64)],
    name: &str,
    with: &[(&str, &str)],
) -> f64 {
    samples
        .iter()
        .filter(|(n, labels, _)| {
            n == name
                && with
                    .iter()
                    .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, _, v)| v)
        .sum()
}

/// `/metrics` is valid Prometheus text whose request counters are the
/// fakes' logs, with `invited` guests and a last successful cycle.
async fn metrics_match_the_fakes(address: &str, fakes: &Fakes, invited: usize) {
    let (code, text) = get(address, "/metrics").await;
    assert_eq!(code, 200);
    let samples = samples(&text);
    let requests = |api| total(&samples, "event_invites_requests_total", &[("api", api)]);
    let (sg_now, artsvp_now) = (fakes.securegate_requests(), fakes.artsvp_requests());
    assert!(
        (requests("ARTSVP") - artsvp_now as f64).abs() < 0.5,
        "{text}"
    );
    // (A SecureGate request may be under way while the fake's log is read.)
    assert!(
        (requests("SecureGate") - sg_now as f64).abs() <= 1.0,
        "{text}"
    );
    let guests = total(
        &samples,
        "event_invites_sync_guests_total",
        &[("result", "invited")],
    );
    assert_eq!(guests, invited as f64, "{text}");
    assert!(
        total(
            &samples,
            "event_invites_sync_last_success_timestamp_seconds",
            &[]
        ) > 1.7e9
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_guests_are_invited_once_and_a_quiet_cycle_costs_one_securegate_request() {
    let (mut fakes, watch) = watching("grow", 3, &["--listen", "127.0.0.1:0"]).await;
    let address = watch.address().await;
    fakes.wait_held(3, 10).await;

    // A cycle with nothing new: one SecureGate request, none to ARTSVP.
    let (securegate, artsvp) = (fakes.securegate_requests(), fakes.artsvp_requests());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(fakes.securegate_requests() > securegate, "it kept watching");
    assert_eq!(fakes.artsvp_requests(), artsvp, "nothing new, nothing sent");

    fakes.add_accepted(2);
    fakes.wait_held(5, 10).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let held = fakes.held();
    assert_eq!(held.len(), 5, "each once, the declined never: {held:?}");

    metrics_match_the_fakes(&address, &fakes, 5).await;
    assert_eq!(get(&address, "/healthz").await, (200, "ok\n".into()));

    let (code, took, log) = watch.terminate().await;
    assert_eq!(code, Some(0), "{log}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    // The journal grew by the new guests only (the declined are not in it).
    let journal = rusqlite::Connection::open(&fakes.journal).unwrap();
    let rows: i64 = journal
        .query_row("SELECT count(*) FROM guests", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 5);
    for i in 0..fakes.added {
        assert!(
            !log.contains(&format!("watched{i}@")),
            "an email in the log: {log}"
        );
    }
    assert!(!log.contains(fakes.artsvp.api_key()) && !log.contains(fakes.securegate.api_key()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_turns_health_503_after_three_cycles_and_back_and_logs_are_json() {
    let (mut fakes, watch) = watching(
        "outage",
        1,
        &["--listen", "127.0.0.1:0", "--log-format", "json"],
    )
    .await;
    let address = watch.address().await;
    fakes.wait_held(1, 10).await;
    let outage = fakes
        .securegate
        .inject(FaultRule::new(Fault::Status(503)).always());
    let text = health_becomes(&address, 503, Duration::from_secs(40)).await;
    assert!(text.contains("3 cycles failed in a row"), "{text}");
    fakes.securegate.remove_fault(outage);
    fakes.add_accepted(1);
    health_becomes(&address, 200, Duration::from_secs(20)).await;
    fakes.wait_held(2, 10).await;

    let (code, _, log) = watch.terminate().await;
    assert_eq!(code, Some(0), "{log}");
    let events: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let said = |message: &str| events.iter().filter(|e| e["message"] == message).count();
    assert!(said("cycle done") >= 2, "{log}");
    assert!(said("cycle failed") >= 3, "{log}");
    assert!(events.iter().any(|e| e["failed_in_a_row"] == 3), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_cycle_and_restarted_it_invites_nobody_twice_and_loses_nobody() {
    let mut fakes = Fakes::start("kill").await;
    fakes.add_accepted(12);
    // Slow creates, so that the kill comes mid-cycle.
    fakes.artsvp.inject(
        FaultRule::new(Fault::Latency(Duration::from_millis(150)))
            .on("POST", "/invites")
            .always(),
    );
    let mut first = start_watch(&fakes, &[]);
    until(Duration::from_secs(10), || {
        (fakes.held().len() >= 3).then_some(())
    })
    .await
    .expect("under way");
    first.child.start_kill().unwrap();
    first.child.wait().await.unwrap();
    assert!(fakes.held().len() < 12, "killed before the end");
    let second = start_watch(&fakes, &[]);
    fakes.wait_held(12, 20).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let held = fakes.held();
    let unique: std::collections::HashSet<&String> = held.iter().collect();
    assert_eq!((held.len(), unique.len()), (12, 12), "{held:?}");
    let (code, _, log) = second.terminate().await;
    assert_eq!(code, Some(0), "{log}");
}

/// A backlog larger than a turn (200 guests): the first cycle invites it in
/// turns, listing SecureGate once per turn, each guest once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_larger_than_a_turn_is_invited_in_turns_each_guest_once() {
    let mut fakes = Fakes::start("turns").await;
    fakes.add_accepted(450);
    let watch = start_watch(&fakes, &["--log-format", "json"]);
    fakes.wait_held(450, 60).await;
    let first_cycle = until(Duration::from_secs(20), || {
        watch
            .log()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|e| e["message"] == "cycle done")
    })
    .await
    .expect("a cycle done");
    assert_eq!(first_cycle["invited"], 450, "{first_cycle}");
    assert_eq!(first_cycle["listed"], 450, "{first_cycle}");
    let listings = fakes
        .securegate
        .requests()
        .count(|r| r.method == "GET" && r.path.contains("invites"));
    assert!(listings >= 3, "a listing per turn: {listings}");
    let (code, _, log) = watch.terminate().await;
    assert_eq!(code, Some(0), "{log}");
    let held = fakes.held();
    let unique: std::collections::HashSet<&String> = held.iter().collect();
    assert_eq!((held.len(), unique.len()), (450, 450));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_ends_the_watch_with_exit_77() {
    let (fakes, mut watch) = watching("refused", 1, &[]).await;
    // The key is refused from the first cycle on.
    fakes
        .securegate
        .inject(FaultRule::new(Fault::Status(401)).always());
    let status = tokio::time::timeout(Duration::from_secs(15), watch.child.wait())
        .await
        .expect("it ends by itself")
        .unwrap();
    assert_eq!(status.code(), Some(77), "{}", watch.log());
    assert!(
        watch.log().contains("SECUREGATE_API_KEY"),
        "{}",
        watch.log()
    );
}

/// `sync --plan [extra…]` on the same journal: its stdout.
async fn plan(fakes: &Fakes, extra: &[&str]) -> String {
    let out = fakes.sync("--plan").args(extra).output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_who_declines_after_the_invite_is_revoked_once_and_the_plan_says_so_first() {
    let mut fakes = Fakes::start("decline").await;
    fakes.add_accepted(2); // inv-watch-0 and -1 accepted, -2 declined
    let watch = start_watch(&fakes, &["--revoke-declined"]);
    fakes.wait_held(2, 10).await;
    assert!(
        fakes
            .securegate
            .set_invite_status(FROM, "inv-watch-0", "rejected")
    );
    until(Duration::from_secs(10), || {
        (fakes.held() == ["watched1@example.com"]).then_some(())
    })
    .await
    .expect("the declined guest's invite deleted");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let deletes = fakes.artsvp.requests().count(|r| r.method == "DELETE");
    assert_eq!(deletes, 1, "revoked once, not every cycle");
    let (code, _, log) = watch.terminate().await;
    assert_eq!(code, Some(0), "{log}");
    assert!(!log.contains("watched0@"), "{log}");

    // The plan, sending nothing to ARTSVP: a new guest to invite, one
    // more declined after the invite.
    assert!(
        fakes
            .securegate
            .set_invite_status(FROM, "inv-watch-1", "rejected")
    );
    fakes.add_accepted(1); // inv-watch-3 accepted, -4 declined
    let artsvp = fakes.artsvp_requests();
    let shown = plan(&fakes, &["--revoke-declined"]).await;
    let artsvp_id = fakes.artsvp.state().invites_of(TO)[0].id.clone();
    assert!(shown.contains("invite  inv-watch-3\n"), "{shown}");
    assert!(shown.contains(&format!("revoke  {artsvp_id}\n")), "{shown}");
    assert!(
        shown.contains("plan: 1 to invite, 1 to revoke, 0 settled earlier"),
        "{shown}"
    );
    let without = plan(&fakes, &[]).await;
    assert!(
        without.contains("1 declined after their invite (pass --revoke-declined"),
        "{without}"
    );
    assert!(!without.contains("revoke  "), "{without}");
    assert_eq!(
        fakes.artsvp_requests(),
        artsvp,
        "the plan sent nothing to ARTSVP"
    );
    assert_eq!(fakes.held().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_cannot_be_written_ends_the_watch_before_anything_unjournaled_is_sent() {
    let mut fakes = Fakes::start("journal").await;
    fakes.add_accepted(1);
    let mut watch = start_watch(&fakes, &[]);
    fakes.wait_held(1, 10).await;
    // From now on every write of a guest fails, as on a full disk.
    let db = rusqlite::Connection::open(&fakes.journal).unwrap();
    db.execute_batch(
        "CREATE TRIGGER full_disk BEFORE INSERT ON guests BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    )
    .unwrap();
    drop(db);
    let posts = fakes.artsvp.requests().count(|r| r.method == "POST");
    fakes.add_accepted(1);
    let status = tokio::time::timeout(Duration::from_secs(15), watch.child.wait())
        .await
        .expect("it ends by itself")
        .unwrap();
    let log = watch.log();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(
        log.contains("cannot be written (") && log.contains("disk full"),
        "{log}"
    );
    assert_eq!(
        fakes.artsvp.requests().count(|r| r.method == "POST"),
        posts,
        "nothing sent that the journal does not hold"
    );
}
