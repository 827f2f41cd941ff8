//! The `event-invites-fake` program: prints one JSON line saying where the
//! servers are, then serves until it is stopped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use event_invites_fake::ControlApi;

/// Kills the program when the test ends, passed or failed.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn prints_where_the_servers_are_and_serves() {
    let (_child, info) = start(&["--seed", "42"]);
    let artsvp = &info["artsvp"];
    let invite = artsvp["invite_ids"][0].as_str().unwrap();
    let response = reqwest::Client::new()
        .get(format!(
            "{}/invites/{invite}",
            artsvp["base_url"].as_str().unwrap()
        ))
        .header("authorization", artsvp["api_key"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let securegate = &info["securegate"];
    assert_eq!(securegate["event_ids"].as_array().unwrap().len(), 3);
    assert!(
        securegate["api_key"]
            .as_str()
            .unwrap()
            .starts_with("sg_test_")
    );
}

/// Starts the program with `args` and reads its JSON line.
fn start(args: &[&str]) -> (Running, serde_json::Value) {
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_event-invites-fake"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, serde_json::from_str(&line).expect("one JSON line"))
}

/// A `POST` to the control API.
async fn control_post(
    http: &reqwest::Client,
    control: &str,
    path: &str,
    body: &'static str,
) -> reqwest::Response {
    let request = http.post(format!("{control}{path}")).body(body);
    request.send().await.unwrap()
}

/// The control API's ARTSVP request log.
async fn request_log(http: &reqwest::Client, control: &str) -> serde_json::Value {
    let response = http
        .get(format!("{control}/artsvp/requests"))
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

fn text(value: &serde_json::Value) -> &str {
    value.as_str().unwrap()
}

/// The program with 7 invites, 2 bookings, its own ARTSVP key, 2 requests
/// a minute, a manual clock and a control port.
struct Flagged {
    _child: Running,
    info: serde_json::Value,
    artsvp: String,
    control: String,
    http: reqwest::Client,
}

impl Flagged {
    fn start() -> Self {
        let (child, info) = start(&[
            "--invites",
            "7",
            "--bookings=2",
            "--artsvp-key",
            "my-artsvp-key",
            "--artsvp-rate-limit",
            "2/60",
            "--manual-clock",
            "--control-port",
            "0",
        ]);
        let artsvp = text(&info["artsvp"]["base_url"]).to_string();
        let control = text(&info["control"]["base_url"]).to_string();
        let http = reqwest::Client::new();
        Flagged {
            _child: child,
            info,
            artsvp,
            control,
            http,
        }
    }

    /// `GET path` on ARTSVP with the key.
    async fn get(&self, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.artsvp);
        let request = self.http.get(url).header("authorization", "my-artsvp-key");
        request.send().await.unwrap()
    }

    async fn control(&self, path: &str, body: &'static str) -> reqwest::Response {
        control_post(&self.http, &self.control, path, body).await
    }

    fn invite(&self) -> &str {
        text(&self.info["artsvp"]["invite_ids"][0])
    }
}

#[tokio::test]
async fn flags_set_the_data_the_key_and_the_rate_limit_on_a_manual_clock() {
    let fake = Flagged::start();
    assert_eq!(text(&fake.info["artsvp"]["api_key"]), "my-artsvp-key");
    let invites: serde_json::Value = fake.get("/invites").await.json().await.unwrap();
    assert_eq!(invites["data"].as_array().unwrap().len(), 7);
    let bookings: serde_json::Value = fake.get("/bookings").await.json().await.unwrap();
    assert_eq!(bookings["data"].as_array().unwrap().len(), 2);
    // Two requests per window: the third is over.
    assert_eq!(fake.get("/events").await.status(), 429);

    // The manual clock opens a new window.
    let advanced = fake
        .control("/artsvp/clock", r#"{"advance_ms": 60000}"#)
        .await;
    assert_eq!(advanced.status(), 200);
    assert_eq!(fake.get("/events").await.status(), 200);
}

#[tokio::test]
async fn with_its_quota_spent_a_request_without_a_key_is_401_on_both_apis() {
    let (_child, info) = start(&["--rate-limit", "1/60", "--manual-clock"]);
    let http = reqwest::Client::new();
    let artsvp = format!("{}/events", text(&info["artsvp"]["base_url"]));
    let securegate = format!(
        "{}/events/{}/invites",
        text(&info["securegate"]["base_url"]),
        text(&info["securegate"]["event_ids"][0])
    );
    for (url, header, key) in [
        (&artsvp, "authorization", &info["artsvp"]["api_key"]),
        (&securegate, "x-api-key", &info["securegate"]["api_key"]),
    ] {
        let get = |key: Option<&str>| {
            let request = http.get(url.as_str());
            match key {
                Some(key) => request.header(header, key),
                None => request,
            }
        };
        let status = |r: reqwest::Response| r.status().as_u16();
        assert_eq!(status(get(Some(text(key))).send().await.unwrap()), 200);
        assert_eq!(status(get(Some(text(key))).send().await.unwrap()), 429);
        assert_eq!(status(get(None).send().await.unwrap()), 401, "{url}");
        assert_eq!(status(get(Some("wrong")).send().await.unwrap()), 401);
    }
}

#[tokio::test]
async fn the_control_api_adds_fault_rules_refuses_bad_ones_and_logs_without_keys() {
    let fake = Flagged::start();
    // A fault rule by method and route.
    let added = fake
        .control(
            "/artsvp/faults",
            r#"{"fault": "status", "status": 503, "method": "GET", "route": "/invites/{id}"}"#,
        )
        .await;
    assert_eq!(added.status(), 201);
    let invite = fake.invite();
    assert_eq!(fake.get(&format!("/invites/{invite}")).await.status(), 503);
    let log = request_log(&fake.http, &fake.control).await;
    let last = log.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["fault"], "status_503");
    assert_eq!(last["path"], format!("/invites/{invite}"));
    assert!(
        !log.to_string().contains("my-artsvp-key"),
        "keys are redacted"
    );

    // A bad rule is refused naming the field; an unknown API is a 404.
    let bad = fake
        .control(
            "/artsvp/faults",
            r#"{"fault": "status", "status": 503, "times": 0}"#,
        )
        .await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("`times`"));
    assert_eq!(fake.control("/stripe/reset", "").await.status(), 404);
}

#[tokio::test]
async fn a_reset_brings_back_the_data_empties_the_log_and_fills_the_quota() {
    let fake = Flagged::start();
    let invite = fake.invite().to_string();
    let deleted = fake
        .http
        .delete(format!("{}/invites/{invite}", fake.artsvp))
        .header("authorization", "my-artsvp-key")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(fake.get(&format!("/invites/{invite}")).await.status(), 404);
    let reset = fake.control("/artsvp/reset", "").await;
    assert_eq!(reset.status(), 204);
    let log = request_log(&fake.http, &fake.control).await;
    assert_eq!(log, serde_json::json!([]));
    // Both requests of the window were spent before the reset; now there
    // are two again, and the deleted invite is back.
    for _ in 0..2 {
        assert_eq!(fake.get(&format!("/invites/{invite}")).await.status(), 200);
    }
}

#[test]
fn help_documents_every_flag_and_the_control_api() {
    let out = Command::new(env!("CARGO_BIN_EXE_event-invites-fake"))
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    // The flags come from clap (a unit test reads each); here, that the
    // program prints them with every control endpoint.
    for flag in [
        "--control-port",
        "--rate-limit <N/SECS|off>",
        "--base-path <PATH>",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    let listed: Vec<Vec<&str>> = help
        .lines()
        .map(|line| line.split_whitespace().take(2).collect())
        .collect();
    for endpoint in ControlApi::ENDPOINTS {
        let wanted: Vec<&str> = endpoint.split(' ').collect();
        assert!(listed.contains(&wanted), "--help lacks {endpoint}");
    }
}

#[cfg(unix)]
#[test]
fn sigterm_and_ctrl_c_stop_it_cleanly() {
    for signal in ["-TERM", "-INT"] {
        let (mut child, _) = start(&[]);
        let pid = child.0.id().to_string();
        let sent = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(sent.success());
        let status = child.0.wait().unwrap();
        assert_eq!(
            status.code(),
            Some(0),
            "{signal}: a clean exit, not death by signal"
        );
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.0.stderr.take().unwrap(), &mut stderr).unwrap();
        assert!(stderr.contains("stopped"), "{signal}: {stderr}");
    }
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    for args in [
        &["--seed", "many"][..],
        &["--rate-limit", "lots"],
        &["--latency=soon"],
        &["--no-such-flag"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_event-invites-fake"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let flag = args[0].split('=').next().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn a_base_path_puts_both_apis_under_the_vendors_path() {
    let (_child, info) = start(&["--base-path", "/api/v2"]);
    let artsvp = text(&info["artsvp"]["base_url"]);
    assert!(artsvp.ends_with("/api/v2"), "{artsvp}");
    let response = reqwest::Client::new()
        .get(format!("{artsvp}/events"))
        .header("authorization", text(&info["artsvp"]["api_key"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(text(&info["securegate"]["base_url"]).ends_with("/api/v2"));
}

#[test]
fn a_busy_port_is_named_and_exits_1() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_event-invites-fake"))
        .args(["--artsvp-port", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("ARTSVP"), "{stderr}");
}

#[tokio::test]
async fn with_tls_ca_out_it_serves_https_and_writes_the_ca_certificates() {
    let dir = std::env::temp_dir().join(format!("fake-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    let (_child, info) = start(&["--tls-ca-out", ca_file.to_str().unwrap()]);
    let pem = std::fs::read(&ca_file).unwrap();
    assert_eq!(info["tls"]["ca_pem"].as_str().unwrap().as_bytes(), &pem[..]);
    assert_eq!(
        info["tls"]["ca_file"].as_str().unwrap(),
        ca_file.to_str().unwrap()
    );
    let roots = reqwest::Certificate::from_pem_bundle(&pem).unwrap();
    assert_eq!(roots.len(), 2, "one CA per API");
    let trusting = reqwest::Client::builder()
        .tls_certs_merge(roots)
        .build()
        .unwrap();
    let artsvp = &info["artsvp"];
    let base = artsvp["base_url"].as_str().unwrap();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let events = trusting
        .get(format!("{base}/events"))
        .header("authorization", artsvp["api_key"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    // A client that does not trust the CA is refused.
    let refused = reqwest::Client::new()
        .get(format!("{base}/events"))
        .send()
        .await;
    assert!(refused.is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
