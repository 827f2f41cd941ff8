//! The call benchmarks: one SecureGate call through the facade against
//! hand-written reqwest + serde_json (`get_overhead`), and decoding a large
//! guest list into the facade's models against a plain struct
//! (`decode_10k`).

use std::time::{Duration, Instant};

use event_invites_fake::FakeSecureGate;

use crate::{Failure, Figure, Sizes, median, ms};

/// A SecureGate invite as a hand-written client would decode it.
#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct PlainInvite {
    id: String,
    first_name: String,
    last_name: String,
    email: String,
    country_code: String,
    mobile_number: String,
    authentication_method: String,
    event_id: String,
    session_code: String,
    session_id: String,
    image: Option<String>,
    status: String,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
    last_seen: Option<chrono::DateTime<chrono::Utc>>,
    onyxplus_id: Option<String>,
    ticket_id: Option<String>,
}

/// A plain GET of `url` with the key, decoded into [`PlainInvite`]s: the
/// hand-written client.
async fn plain_get(
    http: &reqwest::Client,
    url: &str,
    key: &str,
) -> Result<Vec<PlainInvite>, Failure> {
    let response = http.get(url).header("x-api-key", key).send().await?;
    Ok(response.error_for_status()?.json().await?)
}

/// The four ways of the same SecureGate call that `get_overhead` times.
struct Ways {
    client: event_invites::SecureGate,
    event: String,
    /// The facade's own reqwest client.
    configured: reqwest::Client,
    /// `reqwest::Client::new()`.
    http: reqwest::Client,
    url: String,
    key: String,
}

impl Ways {
    /// Calls way `way` `block` times in a row; the mean time of one call.
    async fn time(&self, way: usize, block: u32) -> Result<Duration, Failure> {
        let t = Instant::now();
        for _ in 0..block {
            let n = match way {
                0 => self.client.invites(&self.event).await?.len(),
                1 => self
                    .client
                    .raw()
                    .get_invites()
                    .event_id(&self.event)
                    .send()
                    .await?
                    .len(),
                2 => plain_get(&self.configured, &self.url, &self.key)
                    .await?
                    .len(),
                _ => plain_get(&self.http, &self.url, &self.key).await?.len(),
            };
            assert_eq!(n, 100);
        }
        Ok(t.elapsed() / block)
    }
}

/// The facade's SecureGate call against hand-written reqwest + serde_json,
/// same server, 100 invites (`get_overhead`). Where the difference goes,
/// measured in the same rounds: the generated client alone on the
/// facade's reqwest client (`get_generated`), and the facade's reqwest
/// client with the hand-written decode (`get_http_config`: its timeouts,
/// default headers and resolver), each against the same baseline.
pub(crate) async fn get_overhead(sizes: &Sizes) -> Result<Vec<Figure>, Failure> {
    use event_invites::raw::securegate_api::ClientInfo;

    let fake = FakeSecureGate::builder()
        .events(1)
        .invites_per_event(100)
        .start()
        .await?;
    let event = fake.event_ids()[0].clone();
    let client = fake.client_builder().build()?;
    let ways = Ways {
        configured: client.raw().client().clone(),
        http: reqwest::Client::new(),
        url: format!("{}/events/{event}/invites", fake.base_url()),
        key: fake.api_key().to_string(),
        client,
        event,
    };
    let mut times: [Vec<Duration>; 4] = Default::default();
    for round in 0..sizes.get_rounds + 10 {
        // Each way in each place of the round in turn, so that none gains
        // or pays for its place (the first after the log is cleared, say).
        // A way's time is the mean of a block of calls in a row, as a
        // program calling in a loop sees it: one call of each way in turn
        // measured the cache misses of switching between four clients,
        // which the baseline (whose code the third way shares) pays least.
        let mut took = [Duration::ZERO; 4];
        for step in 0..4 {
            let way = (round + step) % 4;
            took[way] = ways.time(way, sizes.get_block).await?;
        }
        if round >= 10 {
            // The first rounds warm the connection pools.
            for (times, took) in times.iter_mut().zip(took) {
                times.push(took);
            }
        }
        fake.requests().clear();
    }
    let [facade, generated, config, plain] = times;
    let baseline = ms(median(plain.clone()));
    let report = |name, times: Vec<Duration>| {
        Figure::compare(name, ms(median(times)), baseline, "ms")
            .check("report (where it goes)".into(), |_| true)
    };
    Ok(vec![
        medians("get_overhead", facade, plain, 1.05),
        report("get_generated", generated),
        report("get_http_config", config),
    ])
}

/// A figure of the medians of two timings, in ms, at most `limit` × the
/// baseline.
pub(crate) fn medians(
    name: &'static str,
    ours: Vec<Duration>,
    baseline: Vec<Duration>,
    limit: f64,
) -> Figure {
    Figure::at_most(name, ms(median(ours)), ms(median(baseline)), "ms", limit)
}

/// Decoding a body of invites into the facade's models (straight, as the
/// client does since it holds the body back from the generated client)
/// against serde_json into a plain struct with the same fields.
pub(crate) fn decode_10k(sizes: &Sizes) -> Result<Figure, Failure> {
    let body = securegate_body(sizes.decode_invites);
    let (mut ours, mut baseline) = (Vec::new(), Vec::new());
    for _ in 0..sizes.decode_rounds {
        let t = Instant::now();
        let a: Vec<event_invites::securegate::Invite> = serde_json::from_slice(&body)?;
        ours.push(t.elapsed());
        let t = Instant::now();
        let b: Vec<PlainInvite> = serde_json::from_slice(&body)?;
        baseline.push(t.elapsed());
        assert_eq!(a.len(), b.len());
        drop((a, b));
    }
    Ok(medians("decode_10k", ours, baseline, 1.05))
}

/// A SecureGate response body with `n` invites.
pub(crate) fn securegate_body(n: usize) -> Vec<u8> {
    let statuses = ["pending", "sent", "accepted", "rejected"];
    let countries = ["1", "44", "61"];
    let methods = ["QR Code", "Biometric", "Both"];
    let invites: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let (country, method, status) = (countries[i % 3], methods[i % 3], statuses[i % 4]);
            serde_json::json!({
                "id": format!("invite-{i}"),
                "first_name": "Jane",
                "last_name": format!("Smith{i}"),
                "email": format!("jane.smith{i}@example.com"),
                "country_code": country,
                "mobile_number": "5559876543",
                "authentication_method": method,
                "event_id": "event-456",
                "session_code": "DEF456",
                "session_id": format!("session-{i}"),
                "image": if i % 2 == 0 { Some("https://example.com/p.jpg") } else { None },
                "status": status,
                "created_at": "2023-02-28T12:01:00Z",
                "updated_at": "2023-02-28T12:01:00Z",
                "last_seen": if i % 3 == 0 { Some("2023-03-01T10:15:00Z") } else { None },
                "onyxplus_id": null,
                "ticket_id": null,
            })
        })
        .collect();
    serde_json::to_vec(&invites).unwrap_or_default()
}
