//! `event-invites invite` end to end, against a fake ARTSVP started by the
//! test: bad rows and in-file duplicates, a run killed with SIGKILL
//! part-way and resumed, `--dry-run`, a journal of another run, a wrong
//! header, Ctrl-C and the same command again, the rate-limit window, an
//! outage.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use event_invites_fake::{ArtsvpBuilder, FakeArtsvp};

use common::TempDir;
use common::{assert_says, command, email, guests_csv, held_emails, invite_args, run, text};

fn posted_emails(fake: &FakeArtsvp, from: usize) -> Vec<String> {
    fake.requests().entries()[from..]
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/invites"))
        .map(|r| {
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            body["email"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_and_duplicates_are_reported_by_line_and_every_valid_guest_is_invited_once() {
    let fake = empty_fake().start().await.unwrap();
    let event = fake.state().events[0].id.clone();
    let dir = TempDir::new("bad-rows");
    let csv = dir.path("guests.csv");
    let mut contents = b"name,email,external_id,tags\n".to_vec();
    for i in 0..300 {
        contents.extend_from_slice(format!("Guest {i},{},crm-{i},\n", email(i)).as_bytes());
        match i {
            10 => contents.extend_from_slice(b"No Email,,crm-x,\n"), // line 13
            50 => contents.extend_from_slice(b"Bad Email,not-an-email,,\n"), // line 54
            100 => contents.extend_from_slice(b"Extra,extra@example.com,,,surplus\n"), // line 105
            150 => contents.extend_from_slice(b"Bad \xff UTF-8,utf@example.com,,\n"), // line 156
            200 => contents.extend_from_slice(b"Guest 7 again,  GUEST7@Example.com ,,\n"), // line 207
            _ => {}
        }
    }
    std::fs::write(&csv, contents).unwrap();

    let out = run(&fake, &invite_args(&event, &csv, &[])).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(1),
        "bad rows make it exit 1\n{stderr}"
    );
    for line in [
        "line 13: skipped: no email",
        "line 54: skipped: the email is not an address",
        "line 105: skipped: 5 columns where the header has 4",
        "line 156: skipped: the name column is not UTF-8",
        "line 207: skipped: the same email as line 9",
    ] {
        assert!(stderr.contains(line), "missing {line:?} in\n{stderr}");
    }
    assert!(
        stdout.contains("created 300, existing 0, failed 0, unknown 0, skipped as bad input 5"),
        "{stdout}"
    );
    let expected: HashSet<String> = (0..300).map(email).collect();
    assert_eq!(held_emails(&fake, &event), expected);
}

/// A fake ARTSVP with its events, no invites and no rate limit, for a
/// run to fill.
fn empty_fake() -> ArtsvpBuilder {
    FakeArtsvp::builder().invites(0).unlimited()
}

/// A fake ARTSVP slow enough (15 ms a request) to stop a run part-way.
async fn slow_fake() -> FakeArtsvp {
    empty_fake()
        .latency(Duration::from_millis(15))
        .start()
        .await
        .unwrap()
}

/// Waits until the fake has received `n` creates.
async fn until_posted(fake: &FakeArtsvp, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while posted_emails(fake, 0).len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the run did not get going"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The guests a journal says are invited (created, or found existing).
fn finished_in(journal: &Path) -> HashSet<String> {
    let conn = rusqlite::Connection::open(journal).unwrap();
    let mut statement = conn
        .prepare("SELECT key FROM guests WHERE status IN ('created', 'existing')")
        .unwrap();
    statement
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A re-run of a list of `total` sent none of the `finished` guests, and at
/// most the 2 that were in flight beyond the rest.
fn assert_sent_only_the_rest(resent: &[String], finished: &HashSet<String>, total: usize) {
    for email in resent {
        assert!(
            !finished.contains(email),
            "{email} was finished and sent again"
        );
    }
    let left = total - finished.len();
    assert!(
        resent.len() <= left + 2,
        "the re-run sent {} for {left} left (at most the 2 in flight more)",
        resent.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_part_way_resumes_without_inviting_anyone_twice() {
    let fake = slow_fake().await;
    let event = fake.state().events[0].code.clone();
    let dir = TempDir::new("kill");
    let journal = dir.path("run.sqlite");
    let csv = guests_csv(&dir, 200);
    let args = invite_args(
        &event,
        &csv,
        &["--journal", journal.to_str().unwrap(), "--concurrency", "2"],
    );

    let mut child = command(&fake, &args).spawn().unwrap();
    // Let it invite about a third of the list, then SIGKILL it.
    until_posted(&fake, 70).await;
    child.start_kill().unwrap();
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), None, "killed by a signal");
    let sent_first = posted_emails(&fake, 0);
    assert!(
        sent_first.len() < 200,
        "killed part-way: {}",
        sent_first.len()
    );

    // What the journal says the first run finished.
    let finished = finished_in(&journal);
    assert!(!finished.is_empty());
    let log_before = fake.requests().len();

    let out = run(&fake, &args).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_says(&out.stderr, "resuming from");
    assert_sent_only_the_rest(&posted_emails(&fake, log_before), &finished, 200);
    assert_eq!(held_emails(&fake, &event), (0..200).map(email).collect());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("done earlier {}", finished.len())),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_sends_nothing() {
    let fake = FakeArtsvp::builder().invites(0).start().await.unwrap();
    let event = fake.state().events[0].id.clone();
    let dir = TempDir::new("dry");
    let csv = guests_csv(&dir, 50);
    let out = run(&fake, &invite_args(&event, &csv, &["--dry-run"])).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_says(&out.stdout, "50 row(s) ready");
    assert!(fake.requests().is_empty(), "the request log proves it");
    assert!(!dir.path("guests.csv.journal.sqlite").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_of_another_run_is_refused_and_a_wrong_header_sends_nothing() {
    let fake = FakeArtsvp::builder().invites(0).start().await.unwrap();
    let events = fake.state().events;
    let dir = TempDir::new("journal");
    let csv = guests_csv(&dir, 3);
    let journal = dir.path("j.sqlite");
    let invite = |event: &str| {
        vec![
            "invite".to_string(),
            "--event".into(),
            event.to_string(),
            "--csv".into(),
            csv.to_str().unwrap().into(),
            "--journal".into(),
            journal.to_str().unwrap().into(),
        ]
    };
    let args: Vec<String> = invite(&events[0].id);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    assert!(run(&fake, &refs).await.status.success());
    let args: Vec<String> = invite(&events[1].id);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&fake, &refs).await;
    assert_eq!(out.status.code(), Some(2));
    assert_says(&out.stderr, "belongs to another run");
    assert_eq!(fake.state().invites_of(&events[1].id).len(), 0);

    let bad = dir.path("bad.csv");
    std::fs::write(&bad, "name,mail\nAnn,ann@example.com\n").unwrap();
    let before = fake.requests().len();
    let out = run(&fake, &invite_args(&events[0].id, &bad, &[])).await;
    assert_eq!(out.status.code(), Some(2));
    assert_says(&out.stderr, "line 1: unknown column \"mail\"");
    assert_eq!(fake.requests().len(), before, "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_with_a_summary_and_the_same_command_goes_on() {
    let fake = slow_fake().await;
    let event = fake.state().events[0].id.clone();
    let dir = TempDir::new("sigint");
    let csv = guests_csv(&dir, 150);
    let args = invite_args(&event, &csv, &["--concurrency", "1"]);
    let child = command(&fake, &args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    until_posted(&fake, 20).await;
    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-s", "INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_says(&out.stderr, "interrupted");
    assert!(
        text(&out.stdout).contains("created"),
        "a summary: {}",
        text(&out.stdout)
    );

    let out = run(&fake, &args).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(held_emails(&fake, &event), (0..150).map(email).collect());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_says_when_it_waits_for_the_rate_limit_window() {
    let fake = FakeArtsvp::builder()
        .invites(0)
        .rate_limit(event_invites_fake::RateLimit::new(
            8,
            Duration::from_secs(3),
        ))
        .start()
        .await
        .unwrap();
    let event = fake.state().events[0].id.clone();
    let dir = TempDir::new("window");
    let csv = guests_csv(&dir, 12);
    let out = run(&fake, &invite_args(&event, &csv, &["--progress", "lines"])).await;
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // One plain line at the wait, with the rate at one decimal and the
    // time left counting the wait.
    let wait = stderr
        .lines()
        .find(|l| l.contains("waiting for the window until "))
        .unwrap_or_else(|| panic!("no line at the wait: {stderr}"));
    let rate = wait.split(", ").nth(1).unwrap_or_default();
    assert!(
        rate.ends_with("/s")
            && rate.trim_end_matches("/s").split('.').nth(1).map(str::len) == Some(1),
        "{wait}"
    );
    assert!(wait.contains(" UTC, about "), "{wait}");
    assert!(wait.starts_with('8') || wait.contains("/12 done"), "{wait}");
    assert_eq!(
        fake.requests().count(|r| r.status == Some(429)),
        0,
        "paced, never refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_stops_the_run_says_what_failed_and_the_same_command_goes_on() {
    let fake = empty_fake().start().await.unwrap();
    let event = fake.state().events[0].code.clone();
    let dir = TempDir::new("outage");
    let csv = guests_csv(&dir, 200);
    fake.inject(
        event_invites_fake::FaultRule::new(event_invites_fake::Fault::Status(503))
            .on("POST", "/invites")
            .always(),
    );
    let args = invite_args(&event, &csv, &[]);
    let out = run(&fake, &args).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{stderr}");
    assert!(
        stderr.contains("stopped: ARTSVP (127.0.0.1:")
            && stderr.contains("answers HTTP 503 to every create_invite since ")
            && stderr.contains("rows not sent, kept pending in ")
            && stderr.contains("run the same command again to go on"),
        "{stderr}"
    );
    let posts = posted_emails(&fake, 0).len();
    assert!(posts <= 40, "{posts} creates for 200 rows in an outage");
    assert!(held_emails(&fake, &event).is_empty());

    fake.clear_faults();
    let out = run(&fake, &args).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(held_emails(&fake, &event).len(), 200, "everyone, once");
}
