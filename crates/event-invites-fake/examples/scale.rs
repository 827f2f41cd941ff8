//! Measures the fake ARTSVP server at scale: how long seeding 100,000
//! invites takes, and whether a page deep in the list costs more than one
//! at its start (it should not: the cursor is looked up, not scanned for).
//!
//! `cargo run --release -p event-invites-fake --example scale`

use std::time::{Duration, Instant};

use event_invites_fake::FakeArtsvp;

const INVITES: usize = 100_000;
const LIMIT: u64 = 100;
const SAMPLE: usize = 50;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let fake = FakeArtsvp::builder()
        .invites(INVITES)
        .unlimited()
        .start()
        .await?;
    let seeding = started.elapsed();

    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", fake.api_key().parse()?);
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;
    let client = artsvp_api::Client::new_with_client(fake.base_url(), http);

    let mut times: Vec<Duration> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut seen = 0;
    loop {
        let mut request = client.list_invites().limit(LIMIT);
        if let Some(c) = &cursor {
            request = request.starting_after(c);
        }
        let t = Instant::now();
        let page = request.send().await?.into_inner();
        times.push(t.elapsed());
        seen += page.data.len();
        if !page.has_more {
            break;
        }
        cursor = page.last_invite_id;
    }
    assert_eq!(seen, INVITES, "every invite listed once");
    let median = |mut xs: Vec<Duration>| {
        xs.sort();
        xs[xs.len() / 2]
    };
    let first = median(times[..SAMPLE].to_vec());
    let last = median(times[times.len() - SAMPLE..].to_vec());
    println!("seeding {INVITES} invites (and their bookings): {seeding:?}");
    println!(
        "{} pages of {LIMIT}: median of the first {SAMPLE} {first:?}, of the last {SAMPLE} {last:?}, ratio last/first {:.2}",
        times.len(),
        last.as_secs_f64() / first.as_secs_f64()
    );
    Ok(())
}
