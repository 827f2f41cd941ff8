//! `event-invites-fake`: serves a fake SecureGate and a fake ARTSVP until
//! Ctrl-C, and prints one JSON line saying where they are and what is in
//! them, for scripts and other languages.

use std::process::ExitCode;

use event_invites_fake::{FakeArtsvp, FakeSecureGate};
use serde_json::json;

const USAGE: &str = "usage: event-invites-fake [--securegate-port N] [--artsvp-port N] [--seed N]

Serves a fake SecureGate and a fake ARTSVP on 127.0.0.1 until Ctrl-C and prints
one JSON line with their base URLs, API keys and a few seeded ids.
Ports default to 0 (any free port); the seed to 42.";

struct Options {
    securegate_port: u16,
    artsvp_port: u16,
    seed: u64,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        securegate_port: 0,
        artsvp_port: 0,
        seed: 42,
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value =
            |name: &str| -> Result<&String, String> { Err(format!("`{name}` needs a value")) };
        let mut next = || args.next().map_or_else(|| value(flag), Ok);
        match flag.as_str() {
            "--securegate-port" => {
                options.securegate_port = next()?
                    .parse()
                    .map_err(|e| format!("--securegate-port: {e}"))?;
            }
            "--artsvp-port" => {
                options.artsvp_port = next()?.parse().map_err(|e| format!("--artsvp-port: {e}"))?;
            }
            "--seed" => options.seed = next()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let securegate = FakeSecureGate::builder()
        .seed(options.seed)
        .port(options.securegate_port)
        .start()
        .await;
    let artsvp = FakeArtsvp::builder()
        .seed(options.seed)
        .port(options.artsvp_port)
        .start()
        .await;
    let (securegate, artsvp) = match (securegate, artsvp) {
        (Ok(s), Ok(a)) => (s, a),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: cannot start the fake servers: {e}\n  help: pick free ports, or 0");
            return ExitCode::FAILURE;
        }
    };
    let line = json!({
        "securegate": {
            "base_url": securegate.base_url(),
            "api_key": securegate.api_key(),
            "event_ids": securegate.event_ids(),
        },
        "artsvp": {
            "base_url": artsvp.base_url(),
            "api_key": artsvp.api_key(),
            "event_ids": artsvp.events().iter().take(3).map(|e| e.id.clone()).collect::<Vec<_>>(),
            "collection_ids": artsvp.collections().iter().take(3).map(|c| c.id.clone()).collect::<Vec<_>>(),
            "invite_ids": artsvp.invites().iter().take(3).map(|i| i.id.clone()).collect::<Vec<_>>(),
        },
    });
    println!("{line}");
    eprintln!("serving until Ctrl-C");
    let _ = tokio::signal::ctrl_c().await;
    securegate.shutdown().await;
    artsvp.shutdown().await;
    ExitCode::SUCCESS
}
