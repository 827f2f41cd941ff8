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

/// The facade's SecureGate call against hand-written reqwest + serde_json,
/// same server, 100 invites.
pub(crate) async fn get_overhead(sizes: &Sizes) -> Result<Figure, Failure> {
    let fake = FakeSecureGate::builder()
        .events(1)
        .invites_per_event(100)
        .start()
        .await?;
    let event = fake.event_ids()[0].clone();
    let client = fake.client_builder().build()?;
    let http = reqwest::Client::new();
    let url = format!("{}/events/{event}/invites", fake.base_url());
    let (mut ours, mut baseline) = (Vec::new(), Vec::new());
    for round in 0..sizes.get_rounds + 10 {
        let t = Instant::now();
        let a = client.invites(&event).await?;
        let a_time = t.elapsed();
        let t = Instant::now();
        let b: Vec<PlainInvite> = http
            .get(&url)
            .header("x-api-key", fake.api_key())
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let b_time = t.elapsed();
        assert_eq!(a.len(), b.len());
        if round >= 10 {
            // The first rounds warm the connection pools.
            ours.push(a_time);
            baseline.push(b_time);
        }
        fake.requests().clear();
    }
    Ok(medians("get_overhead", ours, baseline, 1.05))
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
