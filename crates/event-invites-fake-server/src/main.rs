//! `event-invites-fake`: serves a fake SecureGate and a fake ARTSVP until
//! Ctrl-C or SIGTERM, and prints one JSON line saying where they are and
//! what is in them, for test suites in any language (as stripe-mock and
//! Prism are used). `--help` documents every flag and the control API.
//!
//! The servers are the `event-invites-fake` library's; this package only
//! adds the command line (clap), so that depending on the library compiles
//! no argument parser.

mod args;
mod stop;

use std::process::ExitCode;

use args::{Options, Quota};
use clap::Parser;
use event_invites_fake::{ControlApi, FakeArtsvp, FakeSecureGate, FakeTls};
use serde_json::json;
use stop::StopSignal;

/// Sets what a flag gave; without the flag the builder keeps its default.
trait Given: Sized {
    fn given<T>(self, flag: Option<T>, set: impl FnOnce(Self, T) -> Self) -> Self {
        match flag {
            Some(value) => set(self, value),
            None => self,
        }
    }
}

impl<B> Given for B {}

/// The settings both servers take from the same flags (`port` and `quota`
/// name each one's own).
macro_rules! shared {
    ($fake:ident, $o:expr, $port:ident, $quota:ident) => {
        $fake::builder()
            .seed($o.seed)
            .host($o.host)
            .port($o.$port)
            .latency($o.latency)
            .base_path(&$o.base_path)
            .given($o.$quota(), |b, Quota(quota)| match quota {
                Some(quota) => b.rate_limit(quota),
                None => b.unlimited(),
            })
            .given($o.manual_clock.then_some(()), |b, ()| b.manual_clock())
            .given($o.request_log_limit, |b, n| b.request_log_limit(n))
            .given($o.tls_ca_out.as_ref(), |b, _| b.tls(FakeTls::new()))
    };
}

/// The servers the flags ask for, started.
async fn start(o: &Options) -> std::io::Result<(FakeSecureGate, FakeArtsvp)> {
    let securegate = shared!(FakeSecureGate, o, securegate_port, securegate_quota)
        .given(o.securegate_events, |b, n| b.events(n))
        .given(o.securegate_invites, |b, n| b.invites_per_event(n))
        .given(o.securegate_key.as_deref(), |b, key| b.api_key(key));
    let artsvp = shared!(FakeArtsvp, o, artsvp_port, artsvp_quota)
        .given(o.events, |b, n| b.events(n))
        .given(o.collections, |b, n| b.collections(n))
        .given(o.invites, |b, n| b.invites(n))
        .given(o.bookings, |b, n| b.bookings(n))
        .given(o.artsvp_key.as_deref(), |b, key| b.api_key(key));
    Ok((securegate.start().await?, artsvp.start().await?))
}

/// The JSON line that says where the servers are and what is in them.
fn announcement(
    securegate: &FakeSecureGate,
    artsvp: &FakeArtsvp,
    control: Option<&event_invites_fake::ControlServer>,
) -> serde_json::Value {
    let first = |ids: Vec<String>| ids.into_iter().take(3).collect::<Vec<_>>();
    let mut line = json!({
        "securegate": {
            "base_url": securegate.base_url(),
            "api_key": securegate.api_key(),
            "event_ids": first(securegate.event_ids()),
        },
        "artsvp": {
            "base_url": artsvp.base_url(),
            "api_key": artsvp.api_key(),
            "event_ids": first(artsvp.events().into_iter().map(|e| e.id).collect()),
            "collection_ids": first(artsvp.collections().into_iter().map(|c| c.id).collect()),
            "invite_ids": first(artsvp.invites().into_iter().map(|i| i.id).collect()),
        },
    });
    if let Some(control) = control {
        line["control"] = json!({ "base_url": control.base_url() });
    }
    line
}

/// Both servers' CA certificates, one PEM bundle (empty over plain http).
fn ca_bundle(securegate: &FakeSecureGate, artsvp: &FakeArtsvp) -> String {
    [securegate.ca_certificate_pem(), artsvp.ca_certificate_pem()]
        .into_iter()
        .flatten()
        .collect()
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = Options::parse();
    let stop = match StopSignal::install() {
        Ok(stop) => stop,
        Err(e) => {
            eprintln!("error: cannot listen for Ctrl-C and SIGTERM: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (securegate, artsvp) = match start(&options).await {
        Ok(fakes) => fakes,
        Err(e) => {
            eprintln!("error: cannot start the fake servers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let control = match options.control_port {
        None => None,
        Some(port) => {
            let api = ControlApi::new()
                .securegate(&securegate)
                .artsvp(&artsvp)
                .host(options.host)
                .port(port);
            match api.start().await {
                Ok(control) => Some(control),
                Err(e) => {
                    eprintln!("error: cannot start the control API: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let mut line = announcement(&securegate, &artsvp, control.as_ref());
    if let Some(path) = &options.tls_ca_out() {
        let pem = ca_bundle(&securegate, &artsvp);
        if let Err(e) = std::fs::write(path, &pem) {
            eprintln!(
                "error: cannot write the CA certificates to {}: {e}",
                path.display()
            );
            return ExitCode::FAILURE;
        }
        line["tls"] = json!({ "ca_file": path, "ca_pem": pem });
    }
    println!("{line}");
    eprintln!("serving until Ctrl-C or SIGTERM");
    stop.wait().await;
    if let Some(control) = control {
        control.shutdown().await;
    }
    securegate.shutdown().await;
    artsvp.shutdown().await;
    eprintln!("stopped");
    ExitCode::SUCCESS
}
