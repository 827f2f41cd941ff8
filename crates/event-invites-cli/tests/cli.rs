//! The `event-invites` binary end to end, against fakes started by the
//! test: the read commands (guests, stats, bookings), exit codes and usage
//! errors, demo mode, completions and the man page, redirects and plain
//! http. `invite.rs` has the bulk invite runs.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use event_invites_fake::{FakeArtsvp, FakeSecureGate};
use tokio::process::Command;

use common::TempDir;

use common::{
    BIN, assert_says, command, guests_csv, held_emails, invite_args, quota_dir, run, text,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_and_stats_print_csv_and_a_summary_from_securegate() {
    let artsvp = FakeArtsvp::start().await.unwrap();
    let securegate = FakeSecureGate::start().await.unwrap();
    let event = securegate.event_ids()[0].clone();
    let with_sg = |args: &[&str]| {
        let mut c = command(&artsvp, args);
        c.env("SECUREGATE_API_KEY", securegate.api_key())
            .env("SECUREGATE_BASE_URL", securegate.base_url());
        c
    };
    let out = with_sg(&[
        "guests", "--event", &event, "--status", "accepted", "--format", "csv",
    ])
    .output()
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let accepted = securegate
        .state()
        .invites(&event)
        .iter()
        .filter(|i| i.status.as_str() == "accepted")
        .count();
    assert!(
        csv.starts_with("name,email,phone,status,party_size,reference\n"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), accepted + 1);
    assert!(
        csv.lines().skip(1).all(|l| l.contains(",accepted,")),
        "{csv}"
    );
    assert_eq!(
        text(&out.stderr),
        format!("event-invites: using {}\n", securegate.base_url()),
        "keys set: it names the API it uses, and says nothing of fakes"
    );

    let out = with_sg(&["stats", "--event", &event])
        .output()
        .await
        .unwrap();
    assert_says(&out.stdout, "acceptance rate");
}

#[tokio::test]
async fn bookings_print_json_rows_of_the_confirmed_bookings_of_an_event() {
    let artsvp = FakeArtsvp::start().await.unwrap();
    let booked = artsvp.state().bookings;
    let confirmed = booked.iter().find(|b| b.is_confirmed()).unwrap();
    let code = confirmed.event_code.clone().unwrap();
    let out = run(&artsvp, &["bookings", "--event", &code, "--format", "json"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let expected = booked
        .iter()
        .filter(|b| b.is_confirmed() && b.event_code.as_deref() == Some(code.as_str()))
        .count();
    assert_eq!(rows.len(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_key_it_stops_naming_the_variable_and_the_flag_having_sent_nothing() {
    let fake = FakeArtsvp::start().await.unwrap();
    let dir = TempDir::new("nokey");
    let csv = guests_csv(&dir, 3);
    let out = Command::new(BIN)
        .args(invite_args("3779b1", &csv, &[]))
        .env_remove("ARTSVP_API_KEY")
        .env("ARTSVP_APIKEY", "a-misspelt-variable")
        .env("ARTSVP_BASE_URL", fake.base_url())
        .output()
        .await
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "ARTSVP_API_KEY is not set; pass --demo to try the tool on built-in fake servers"
        ) && stderr.contains("set but not read: ARTSVP_APIKEY"),
        "{stderr}"
    );
    assert!(!stderr.contains("a-misspelt-variable"), "never a value");
    assert!(text(&out.stdout).is_empty());
    assert!(fake.requests().is_empty(), "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_mode_is_asked_for_and_every_summary_says_so() {
    let dir = TempDir::new("demo");
    let out = Command::new(BIN)
        .current_dir(dir.root())
        .args(["--demo", "sync", "--from-securegate", "event-475267"])
        .args(["--to-artsvp-event", "3779b1", "--progress", "off"])
        .env("ARTSVP_API_KEY", "a-real-key-that-demo-mode-ignores")
        .env("ARTSVP_BASE_URL", "http://127.0.0.1:9")
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr
            .lines()
            .next()
            .unwrap_or_default()
            .contains("demo mode"),
        "{stderr}"
    );
    assert!(!stdout.is_empty());
    for line in stdout.lines() {
        assert!(line.starts_with("demo (built-in fake servers): "), "{line}");
    }
    assert_eq!(
        std::fs::read_dir(dir.root()).unwrap().count(),
        0,
        "nothing left behind"
    );
}

/// The demo journal of process `pid`, and SQLite's files beside it.
fn demo_journal_files(pid: u32) -> Vec<PathBuf> {
    let base = std::env::temp_dir().join(format!("event-invites-demo-{pid}.journal.sqlite"));
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", base.display())))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_in_demo_mode_removes_the_journal_and_promises_no_resume() {
    let dir = TempDir::new("demo-sigint");
    // More than the built-in fake's 1,000 a window: the run must wait.
    let csv = guests_csv(&dir, 1_100);
    let child = Command::new(BIN)
        .args([
            "--demo",
            "invite",
            "--event",
            "3779b1",
            "--csv",
            csv.to_str().unwrap(),
        ])
        .args(["--progress", "off"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let journal = demo_journal_files(pid)[0].clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !journal.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no journal at {journal:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = std::process::Command::new("kill")
        .args(["-s", "INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().await.unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("there is nothing to resume"), "{stderr}");
    assert!(!stderr.contains("run the same command"), "{stderr}");
    for file in demo_journal_files(pid) {
        assert!(!file.exists(), "{file:?} is left behind");
    }
    assert!(!dir.path("guests.csv.journal.sqlite").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_event_key_or_address_exits_2_77_and_69() {
    let fake = FakeArtsvp::builder().invites(0).start().await.unwrap();
    // An unknown ARTSVP event: a usage error, exit 2.
    let out = run(&fake, &["bookings", "--event", "nosuch"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("ARTSVP has no event nosuch"));

    // A key the API refuses: 77.
    let out = command(&fake, &["bookings", "--event", "3779b1"])
        .env("ARTSVP_API_KEY", "not-the-key")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(77), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("check ARTSVP_API_KEY"));
    assert!(!text(&out.stderr).contains("not-the-key"));

    // Nothing listening: 69.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = command(&fake, &["bookings", "--event", "3779b1"])
        .env("ARTSVP_BASE_URL", format!("http://{closed}"))
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", text(&out.stderr));
    assert_says(&out.stderr, "connection refused");
}

#[tokio::test]
async fn an_invite_without_a_target_or_with_an_unnamed_delimiter_is_a_usage_error() {
    let fake = FakeArtsvp::builder().invites(0).start().await.unwrap();
    // No target, and a semicolon-separated file.
    let dir = TempDir::new("targets");
    let csv = dir.path("guests.csv");
    std::fs::write(&csv, "name;email\nAnn;ann@example.com\n").unwrap();
    let out = run(&fake, &["invite", "--csv", csv.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("pass --event ID or --collection ID"));
    let out = run(&fake, &invite_args("3779b1", &csv, &[])).await;
    assert_eq!(out.status.code(), Some(2));
    assert_says(
        &out.stderr,
        "looks semicolon-separated: pass --delimiter ';'",
    );
    let args = invite_args("3779b1", &csv, &[]);
    let out = command(&fake, &args)
        .args(["--delimiter", ";"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(held_emails(&fake, "3779b1").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_securegate_event_with_no_invites_gets_a_hint() {
    let securegate = FakeSecureGate::start().await.unwrap();
    let out = Command::new(BIN)
        .args(["guests", "--event", "event-nosuch"])
        .env("SECUREGATE_API_KEY", securegate.api_key())
        .env("SECUREGATE_BASE_URL", securegate.base_url())
        .env("XDG_RUNTIME_DIR", quota_dir())
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_says(
        &out.stderr,
        "hint: SecureGate lists no invites for event-nosuch",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_and_the_man_page_need_no_key() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = Command::new(BIN)
            .args(["completions", shell])
            .env_remove("ARTSVP_API_KEY")
            .env_remove("SECUREGATE_API_KEY")
            .output()
            .await
            .unwrap();
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(
            script.contains("event-invites") && script.contains("sync"),
            "{shell}"
        );
    }
    let out = Command::new(BIN).arg("manpage").output().await.unwrap();
    assert!(out.status.success());
    let page = text(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH event-invites"),
        "{page}"
    );
    assert!(page.contains("demo"));
}

/// A server on loopback that answers every request with a `302` to
/// `location`, counting the requests it gets.
async fn redirector(location: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let answer = format!(
                "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\
                 connection: close\r\n\r\n"
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (url, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_or_remote_plain_http_stops_with_exit_2_and_the_key_goes_nowhere_else() {
    use std::sync::atomic::Ordering;
    // Where the redirect points: a real fake SecureGate, which would answer.
    let elsewhere = FakeSecureGate::start().await.unwrap();
    let (url, asked) = redirector(format!("{}/events/e/invites", elsewhere.base_url())).await;
    let securegate = |base: &str| {
        let mut command = Command::new(BIN);
        command
            .args(["guests", "--event", "event-475267"])
            .env("SECUREGATE_API_KEY", elsewhere.api_key())
            .env("SECUREGATE_BASE_URL", base)
            .env("XDG_RUNTIME_DIR", quota_dir())
            .env_remove(event_invites::ENV_ALLOW_INSECURE_HTTP)
            .kill_on_drop(true);
        command
    };
    let out = securegate(&url).output().await.unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("redirected (HTTP 302) to http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.contains("check the base URL"), "{stderr}");
    assert!(
        !text(&out.stdout).contains("guest(s)"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(asked.load(Ordering::SeqCst), 1, "asked once, not retried");
    assert_eq!(
        elsewhere.requests().len(),
        0,
        "nothing reached the other origin"
    );

    // Plain http to a remote host: refused before anything is sent.
    let out = securegate("http://api.securegate.example")
        .output()
        .await
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("use https://"), "{stderr}");
    assert!(
        stderr.contains("EVENT_INVITES_ALLOW_INSECURE_HTTP=1"),
        "{stderr}"
    );
    assert!(!stderr.contains(elsewhere.api_key()), "{stderr}");
}
