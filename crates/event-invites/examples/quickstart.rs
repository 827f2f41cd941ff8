//! The quickstart: `cargo run --example quickstart [-- --write]`.
//!
//! With no API keys in the environment it starts the built-in fake servers
//! (`event-invites-fake`) and says so. With `SECUREGATE_API_KEY` and/or
//! `ARTSVP_API_KEY` (and optional `*_BASE_URL`) it talks to those APIs
//! instead, and only reads unless `--write` is given. For a real SecureGate
//! account, `SECUREGATE_EVENT_ID` names the event to show.

use std::process::ExitCode;

use event_invites::artsvp::{
    CreateOutcome, Cursor, Dedupe, Duplicates, Guest, InviteQuery, NewBatch,
};
use event_invites::securegate::Invite as SecureGateInvite;
use event_invites::{Artsvp, Error, SecureGate};
use event_invites_fake::{FakeArtsvp, FakeSecureGate};

#[tokio::main]
async fn main() -> ExitCode {
    let write = std::env::args().any(|a| a == "--write");
    match run(write).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Holds the fake servers (when used) for as long as the quickstart runs.
#[derive(Default)]
struct Fakes {
    securegate: Option<FakeSecureGate>,
    artsvp: Option<FakeArtsvp>,
}

async fn run(write: bool) -> Result<(), Box<dyn std::error::Error>> {
    let mut fakes = Fakes::default();

    let securegate = if std::env::var_os("SECUREGATE_API_KEY").is_some() {
        let client = SecureGate::from_env()?;
        println!(
            "SecureGate: SECUREGATE_API_KEY is set, using the real API at {}",
            client.base_url()
        );
        client
    } else {
        let fake = FakeSecureGate::start().await?;
        println!(
            "SecureGate: no SECUREGATE_API_KEY, using the built-in fake server at {}",
            fake.base_url()
        );
        let client = fake.client();
        fakes.securegate = Some(fake);
        client
    };
    let artsvp = if std::env::var_os("ARTSVP_API_KEY").is_some() {
        let client = Artsvp::from_env()?;
        println!(
            "ARTSVP: ARTSVP_API_KEY is set, using the real API at {}",
            client.base_url()
        );
        client
    } else {
        let fake = FakeArtsvp::start().await?;
        println!(
            "ARTSVP: no ARTSVP_API_KEY, using the built-in fake server at {}",
            fake.base_url()
        );
        let client = fake.client();
        fakes.artsvp = Some(fake);
        client
    };
    // Writes go to the fake servers always, to real APIs only with --write.
    let may_write = write || fakes.artsvp.is_some();

    securegate_part(&securegate, &fakes).await?;
    artsvp_part(&artsvp, may_write).await?;

    if let Some(state) = artsvp.rate_limit() {
        println!(
            "\nARTSVP rate limit: {} of {} requests left, window resets in {}s",
            state.remaining,
            state.limit.map_or("?".to_string(), |l| l.to_string()),
            state.reset_after.as_secs()
        );
    }
    Ok(())
}

async fn securegate_part(client: &SecureGate, fakes: &Fakes) -> Result<(), Error> {
    let event = match (&fakes.securegate, std::env::var("SECUREGATE_EVENT_ID")) {
        (Some(fake), _) => fake.event_ids()[0].clone(),
        (None, Ok(event)) => event,
        (None, Err(_)) => {
            println!("\n(set SECUREGATE_EVENT_ID to see a SecureGate event's guest list)");
            return Ok(());
        }
    };
    println!("\n== SecureGate guest list for {event} (accepted invites)");
    let guests = client.guest_list(&event).await?;
    print_guests(&guests);

    let stats = client.invite_stats(&event).await?;
    println!("\n== SecureGate invite stats for {event}");
    println!(
        "{} invites: {} pending, {} sent, {} accepted, {} declined \
         (response rate {}, acceptance rate {})",
        stats.total,
        stats.pending,
        stats.sent,
        stats.accepted,
        stats.rejected,
        percent(stats.response_rate()),
        percent(stats.acceptance_rate()),
    );
    Ok(())
}

async fn artsvp_part(client: &Artsvp, may_write: bool) -> Result<(), Error> {
    stream_invites(client).await?;
    if !may_write {
        println!("\n(read-only against the real ARTSVP API: pass --write to create invites)");
        return Ok(());
    }
    invite_twice(client).await?;
    batch(client).await
}

/// Streams the first three pages of invites, and says where to go on.
async fn stream_invites(client: &Artsvp) -> Result<(), Error> {
    println!("\n== ARTSVP invites, streamed 10 per page (the first 30)");
    let mut pages = client.invite_pages(InviteQuery::new().limit(10));
    let mut rows = Vec::new();
    let mut pages_seen = 0;
    while let Some(page) = pages.try_next().await? {
        pages_seen += 1;
        for invite in page.items {
            rows.push(vec![
                invite.code.clone(),
                invite.name.clone().unwrap_or_else(|| "(open link)".into()),
                invite
                    .resource
                    .as_ref()
                    .map_or(String::new(), |r| format!("{} {}", r.kind, r.name)),
                match invite.usage.limit {
                    Some(limit) => format!("{}/{limit}", invite.usage.used),
                    None => format!("{}/unlimited", invite.usage.used),
                },
                if invite.is_exhausted() { "yes" } else { "no" }.into(),
            ]);
        }
        if pages_seen == 3 {
            break;
        }
    }
    table(&["code", "name", "resource", "used", "exhausted"], &rows);
    let resume = match pages.cursor() {
        Cursor::After(id) => format!("start a stream after {id}"),
        Cursor::Before(id) => format!("start a stream before {id}"),
        Cursor::Start => "start again from the beginning".to_string(),
    };
    println!("({pages_seen} pages; to go on later, {resume})");
    Ok(())
}

/// Invites one guest twice, deduped by email: the second create returns
/// the first invite.
async fn invite_twice(client: &Artsvp) -> Result<(), Error> {
    let event = client.list_events(&Default::default()).await?;
    let Some(event) = event.items.first() else {
        println!("\n(no ARTSVP events to invite to)");
        return Ok(());
    };
    println!(
        "\n== ARTSVP: invite Lucy Green to {} twice, deduped by email",
        event.name
    );
    let guest = || Guest::new("Lucy Green", "lucy.quickstart@example.com");
    let first = client
        .invite_to_event(&event.id, guest(), Duplicates::Prevent(Dedupe::Email))
        .await?;
    let second = client
        .invite_to_event(&event.id, guest(), Duplicates::Prevent(Dedupe::Email))
        .await?;
    let held = client
        .invites(
            InviteQuery::new()
                .event(&event.id)
                .email("lucy.quickstart@example.com"),
        )
        .collect_all()
        .await?;
    let outcome = |o: &CreateOutcome<_>| {
        if o.is_created() {
            "created"
        } else {
            "already existed"
        }
    };
    table(
        &["first create", "second create", "invites for that email"],
        &[vec![
            format!("{} ({})", first.get().id, outcome(&first)),
            format!("{} ({})", second.get().id, outcome(&second)),
            held.len().to_string(),
        ]],
    );
    Ok(())
}

/// One invite per resource tagged `vip`.
async fn batch(client: &Artsvp) -> Result<(), Error> {
    println!("\n== ARTSVP batch: one invite per resource tagged \"vip\" (deduped by email)");
    let batch = client
        .batch_create_invites(
            &NewBatch::for_resource_tags(["vip"])
                .email("vip.quickstart@example.com")
                .dedupe(Dedupe::Email),
        )
        .await?;
    table(
        &["events", "collections", "resources", "invites created"],
        &[vec![
            batch.total_events.to_string(),
            batch.total_collections.to_string(),
            batch.total_resources.to_string(),
            batch.total_invites_created.to_string(),
        ]],
    );
    Ok(())
}

fn print_guests(guests: &[SecureGateInvite]) {
    let rows: Vec<Vec<String>> = guests
        .iter()
        .map(|g| {
            vec![
                g.full_name(),
                g.email.clone(),
                g.international_number(),
                g.authentication_method.to_string(),
            ]
        })
        .collect();
    table(&["name", "email", "mobile", "authentication"], &rows);
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or("n/a".into(), |r| format!("{:.0}%", r * 100.0))
}

/// Prints rows under headers, columns padded to their widest cell.
fn table(headers: &[&str], rows: &[Vec<String>]) {
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .chain([h.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("  {}", padded.join("  ").trim_end());
    };
    line(headers.iter().map(|h| h.to_string()).collect());
    line(widths.iter().map(|w| "-".repeat(*w)).collect());
    for row in rows {
        line(row.clone());
    }
    if rows.is_empty() {
        println!("  (none)");
    }
}
