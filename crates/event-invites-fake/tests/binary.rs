//! The `event-invites-fake` program: prints one JSON line saying where the
//! servers are, then serves until it is stopped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

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
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_event-invites-fake"))
            .args(["--seed", "42"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
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

#[test]
fn bad_arguments_are_refused_with_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_event-invites-fake"))
        .args(["--seed", "many"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"));
}
