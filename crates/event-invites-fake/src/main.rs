//! `event-invites-fake`: serves a fake SecureGate and a fake ARTSVP until
//! Ctrl-C or SIGTERM, and prints one JSON line saying where they are and
//! what is in them, for test suites in any language (as stripe-mock and
//! Prism are used). `--help` documents every flag and the control API.
//!
//! The flags are parsed by hand from one table, [`FLAGS`], which also makes
//! the usage text: the binary's only dependencies are the library's, so a
//! test suite that depends on the fake compiles no argument parser, and
//! `cargo run -p event-invites-fake` needs no feature flag (clap behind an
//! optional feature would need `--features` there, and `cargo test` would
//! skip the binary's tests without it, silently).

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use event_invites_fake::{ControlApi, FakeArtsvp, FakeSecureGate, FakeTls, RateLimit};
use serde_json::json;

/// One flag: its name, the value it takes (`None`: a switch), the section
/// of the usage text it is listed under, and its help, defaults included.
struct Flag {
    name: &'static str,
    value: Option<&'static str>,
    section: &'static str,
    help: &'static str,
}

const fn flag(
    section: &'static str,
    name: &'static str,
    value: Option<&'static str>,
    help: &'static str,
) -> Flag {
    Flag {
        name,
        value,
        section,
        help,
    }
}

const WHERE: &str = "Where it listens:";
const DATA: &str = "Data (the same seed gives the same data, ids and default keys):";
const KEYS: &str = "API keys (default: derived from the seed, printed in the JSON line):";
const BEHAVIOUR: &str = "Behaviour:";

/// Every flag, in the order `--help` lists them.
const FLAGS: &[Flag] = &[
    flag(
        WHERE,
        "--host",
        Some("ADDR"),
        "address for every port (default 127.0.0.1; 0.0.0.0 to be reachable from other hosts)",
    ),
    flag(
        WHERE,
        "--securegate-port",
        Some("N"),
        "SecureGate's port (default 0: any free port)",
    ),
    flag(
        WHERE,
        "--artsvp-port",
        Some("N"),
        "ARTSVP's port (default 0: any free port)",
    ),
    flag(
        WHERE,
        "--control-port",
        Some("N"),
        "serve the control API on this port (0: any free port); off unless given",
    ),
    flag(
        WHERE,
        "--base-path",
        Some("PATH"),
        "serve both APIs under this path, as the vendors do (/api/v2); default none, the routes at /",
    ),
    flag(
        WHERE,
        "--tls-ca-out",
        Some("PATH"),
        "serve both APIs over HTTPS, with certificates for localhost and 127.0.0.1 made at start, and write their CA certificates (PEM) to PATH, for SSL_CERT_FILE or a client's trusted roots; the JSON line gives PATH and the PEM; default plain http",
    ),
    flag(DATA, "--seed", Some("N"), "default 42"),
    flag(DATA, "--events", Some("N"), "ARTSVP events (default 6)"),
    flag(
        DATA,
        "--collections",
        Some("N"),
        "ARTSVP collections (default 2)",
    ),
    flag(DATA, "--invites", Some("N"), "ARTSVP invites (default 120)"),
    flag(
        DATA,
        "--bookings",
        Some("N"),
        "ARTSVP bookings: the first N invites are used once each (default: about a third of the invites are used, some more than once)",
    ),
    flag(
        DATA,
        "--securegate-events",
        Some("N"),
        "SecureGate events (default 3)",
    ),
    flag(
        DATA,
        "--securegate-invites",
        Some("N"),
        "invites per SecureGate event (default 24)",
    ),
    flag(
        KEYS,
        "--artsvp-key",
        Some("KEY"),
        "the `Authorization` value ARTSVP accepts",
    ),
    flag(
        KEYS,
        "--securegate-key",
        Some("KEY"),
        "the `x-api-key` value SecureGate accepts",
    ),
    flag(
        BEHAVIOUR,
        "--rate-limit",
        Some("N/SECS|off"),
        "both APIs' quota: N requests per SECS seconds, or none (default: ARTSVP 1000/900, its published quota; SecureGate off, it publishes none)",
    ),
    flag(
        BEHAVIOUR,
        "--artsvp-rate-limit",
        Some("N/SECS|off"),
        "ARTSVP's alone",
    ),
    flag(
        BEHAVIOUR,
        "--securegate-rate-limit",
        Some("N/SECS|off"),
        "SecureGate's alone",
    ),
    flag(
        BEHAVIOUR,
        "--latency",
        Some("DURATION"),
        "added to every request: 250ms, 2s, or a number of milliseconds (default 0)",
    ),
    flag(
        BEHAVIOUR,
        "--manual-clock",
        None,
        "rate-limit windows follow a clock that only the control API moves (POST /{api}/clock)",
    ),
    flag(
        BEHAVIOUR,
        "--request-log-limit",
        Some("N"),
        "keep only the last N requests in each log (default: all)",
    ),
    flag(BEHAVIOUR, "--help", None, "print this text (also -h)"),
];

const USAGE_HEAD: &str = "\
usage: event-invites-fake [OPTIONS]

Serves a fake SecureGate and a fake ARTSVP API until Ctrl-C or SIGTERM. Once
both listen it prints one JSON line on standard output: each API's base URL,
API key and a few seeded ids (and the control API's URL when enabled).
Flags take `--flag VALUE` or `--flag=VALUE`.";

const USAGE_TAIL: &str = "\
Control API (with --control-port; {api} is artsvp or securegate; JSON bodies):
  GET    /                     the APIs, their routes and these endpoints
  GET    /{api}/faults         the fault rules in force, with their ids
  POST   /{api}/faults         add a fault rule, e.g. {\"fault\": \"status\",
                               \"status\": 503, \"method\": \"POST\", \"route\":
                               \"/invites\", \"times\": 2}; `fault` is one of
                               status, too_many_requests (retry_after),
                               latency (ms), drop_connection, truncated_body,
                               malformed_json, unknown_enum_value,
                               extra_fields, redirect (status 3xx, location);
                               optional skip, times (a count or
                               \"always\"), share ({\"strike\": 1, \"of\": 4}),
                               after_write (apply the write first). A route
                               or method the API does not serve is refused.
                               Answers 201 {\"id\": N, \"fault\": NAME}
  DELETE /{api}/faults/{id}    remove one fault rule
  DELETE /{api}/faults         remove every fault rule
  POST   /securegate/invites   {\"event_id\": ID, \"invites\": [...]}: add invites
  POST   /securegate/invite_status  {\"event_id\", \"id\", \"status\"}: set an
                               invite's status (a guest accepts or declines)
  POST   /artsvp/bookings      {\"invite\": ID or code, \"name\", \"email\",
                               \"size\", ...}: book a guest through an invite
  POST   /{api}/reset          seeded data again, no fault rules, an empty
                               request log, a fresh rate-limit window
  POST   /{api}/clock          {\"advance_ms\": N}: move the manual clock
  GET    /{api}/requests       the request log as JSON (API keys redacted)
  DELETE /{api}/requests       empty the request log

Exit status: 0 after Ctrl-C or SIGTERM, 1 when a port cannot be bound (the
error names the address and port), 2 for a bad flag (named on standard
error).";

/// Wraps `text` to `width` columns.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// The `--help` text, its flags from [`FLAGS`].
fn usage() -> String {
    const HELP_COLUMN: usize = 31;
    let mut out = format!("{USAGE_HEAD}\n");
    let mut section = "";
    for f in FLAGS {
        if f.section != section {
            section = f.section;
            out.push_str(&format!("\n{section}\n"));
        }
        let left = match f.value {
            Some(value) => format!("  {} {value}", f.name),
            None => format!("  {}", f.name),
        };
        let help = wrap(f.help, 79 - HELP_COLUMN);
        if left.len() + 1 > HELP_COLUMN {
            out.push_str(&format!("{left}\n"));
        } else {
            out.push_str(&format!("{left:<HELP_COLUMN$}{}\n", help[0]));
        }
        let rest = if left.len() + 1 > HELP_COLUMN {
            &help[..]
        } else {
            &help[1..]
        };
        for line in rest {
            out.push_str(&format!("{:HELP_COLUMN$}{line}\n", ""));
        }
    }
    out.push('\n');
    out.push_str(USAGE_TAIL);
    out
}

/// What the flags ask for.
#[derive(Debug)]
struct Options {
    host: IpAddr,
    securegate_port: u16,
    artsvp_port: u16,
    control_port: Option<u16>,
    base_path: String,
    seed: u64,
    events: Option<usize>,
    collections: Option<usize>,
    invites: Option<usize>,
    bookings: Option<usize>,
    securegate_events: Option<usize>,
    securegate_invites: Option<usize>,
    artsvp_key: Option<String>,
    securegate_key: Option<String>,
    /// `Some(None)`: no quota.
    artsvp_rate_limit: Option<Option<RateLimit>>,
    securegate_rate_limit: Option<Option<RateLimit>>,
    latency: Duration,
    manual_clock: bool,
    request_log_limit: Option<usize>,
    tls_ca_out: Option<std::path::PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            securegate_port: 0,
            artsvp_port: 0,
            control_port: None,
            base_path: String::new(),
            seed: 42,
            events: None,
            collections: None,
            invites: None,
            bookings: None,
            securegate_events: None,
            securegate_invites: None,
            artsvp_key: None,
            securegate_key: None,
            artsvp_rate_limit: None,
            securegate_rate_limit: None,
            latency: Duration::ZERO,
            manual_clock: false,
            request_log_limit: None,
            tls_ca_out: None,
        }
    }
}

/// What the command line asks for.
#[derive(Debug)]
enum Command {
    Serve(Box<Options>),
    Help,
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|e| format!("{flag}: `{value}` is not a valid number ({e})"))
}

/// `N/SECS` or `off`.
fn rate_limit(flag: &str, value: &str) -> Result<Option<RateLimit>, String> {
    if value == "off" {
        return Ok(None);
    }
    let bad = || format!("{flag}: `{value}` is not N/SECS (e.g. 1000/900) or `off`");
    let (n, secs) = value.split_once('/').ok_or_else(bad)?;
    let n: u64 = n.parse().map_err(|_| bad())?;
    let secs: u64 = secs.parse().map_err(|_| bad())?;
    if n == 0 || secs == 0 {
        return Err(format!(
            "{flag}: `{value}`: both numbers must be at least 1 (use `off` for no limit)"
        ));
    }
    Ok(Some(RateLimit::new(n, Duration::from_secs(secs))))
}

/// `250ms`, `2s` or a number of milliseconds.
fn duration(flag: &str, value: &str) -> Result<Duration, String> {
    let bad = || format!("{flag}: `{value}` is not a duration such as 250ms, 2s or 250");
    if let Some(ms) = value.strip_suffix("ms") {
        ms.parse().map(Duration::from_millis).map_err(|_| bad())
    } else if let Some(s) = value.strip_suffix('s') {
        s.parse().map(Duration::from_secs).map_err(|_| bad())
    } else {
        value.parse().map(Duration::from_millis).map_err(|_| bad())
    }
}

fn parse(args: &[String]) -> Result<Command, String> {
    let mut o = Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--manual-clock" => {
                o.manual_clock = true;
                continue;
            }
            _ => {}
        }
        if !FLAGS.iter().any(|f| f.name == flag && f.value.is_some()) {
            return Err(format!("unknown flag `{flag}`"));
        }
        let value = match inline.or_else(|| args.next().cloned()) {
            Some(value) => value,
            None => return Err(format!("{flag}: needs a value")),
        };
        set(&mut o, flag, value)?;
    }
    Ok(Command::Serve(Box::new(o)))
}

/// Sets what a flag of [`FLAGS`] that takes a value says.
fn set(o: &mut Options, flag: &str, value: String) -> Result<(), String> {
    let v = value.as_str();
    match flag {
        "--host" => {
            o.host = v
                .parse()
                .map_err(|_| format!("{flag}: `{v}` is not an IP address"))?;
        }
        "--securegate-port" => o.securegate_port = number(flag, v)?,
        "--artsvp-port" => o.artsvp_port = number(flag, v)?,
        "--control-port" => o.control_port = Some(number(flag, v)?),
        "--base-path" => {
            if !v.starts_with('/') || v.contains(['?', '#', ' ']) {
                return Err(format!("{flag}: `{v}` is not a path such as /api/v2"));
            }
            o.base_path = value;
        }
        "--seed" => o.seed = number(flag, v)?,
        "--events" => o.events = Some(number(flag, v)?),
        "--collections" => o.collections = Some(number(flag, v)?),
        "--invites" => o.invites = Some(number(flag, v)?),
        "--bookings" => o.bookings = Some(number(flag, v)?),
        "--securegate-events" => o.securegate_events = Some(number(flag, v)?),
        "--securegate-invites" => o.securegate_invites = Some(number(flag, v)?),
        "--artsvp-key" | "--securegate-key" => {
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(format!(
                    "{flag}: a key must be printable ASCII without spaces"
                ));
            }
            if flag == "--artsvp-key" {
                o.artsvp_key = Some(value);
            } else {
                o.securegate_key = Some(value);
            }
        }
        "--rate-limit" => {
            let quota = rate_limit(flag, v)?;
            o.artsvp_rate_limit = Some(quota);
            o.securegate_rate_limit = Some(quota);
        }
        "--artsvp-rate-limit" => o.artsvp_rate_limit = Some(rate_limit(flag, v)?),
        "--securegate-rate-limit" => o.securegate_rate_limit = Some(rate_limit(flag, v)?),
        "--latency" => o.latency = duration(flag, v)?,
        "--request-log-limit" => o.request_log_limit = Some(number(flag, v)?),
        "--tls-ca-out" => {
            if v.is_empty() {
                return Err(format!("{flag}: needs a file path"));
            }
            o.tls_ca_out = Some(value.into());
        }
        _ => return Err(format!("unknown flag `{flag}`")),
    }
    Ok(())
}

async fn start(o: &Options) -> std::io::Result<(FakeSecureGate, FakeArtsvp)> {
    let mut securegate = FakeSecureGate::builder()
        .seed(o.seed)
        .host(o.host)
        .port(o.securegate_port)
        .latency(o.latency)
        .base_path(&o.base_path);
    let mut artsvp = FakeArtsvp::builder()
        .seed(o.seed)
        .host(o.host)
        .port(o.artsvp_port)
        .latency(o.latency)
        .base_path(&o.base_path);
    if let Some(n) = o.securegate_events {
        securegate = securegate.events(n);
    }
    if let Some(n) = o.securegate_invites {
        securegate = securegate.invites_per_event(n);
    }
    if let Some(n) = o.events {
        artsvp = artsvp.events(n);
    }
    if let Some(n) = o.collections {
        artsvp = artsvp.collections(n);
    }
    if let Some(n) = o.invites {
        artsvp = artsvp.invites(n);
    }
    if let Some(n) = o.bookings {
        artsvp = artsvp.bookings(n);
    }
    if let Some(key) = &o.securegate_key {
        securegate = securegate.api_key(key);
    }
    if let Some(key) = &o.artsvp_key {
        artsvp = artsvp.api_key(key);
    }
    match o.securegate_rate_limit {
        Some(Some(quota)) => securegate = securegate.rate_limit(quota),
        Some(None) => securegate = securegate.unlimited(),
        None => {}
    }
    match o.artsvp_rate_limit {
        Some(Some(quota)) => artsvp = artsvp.rate_limit(quota),
        Some(None) => artsvp = artsvp.unlimited(),
        None => {}
    }
    if o.manual_clock {
        securegate = securegate.manual_clock();
        artsvp = artsvp.manual_clock();
    }
    if let Some(n) = o.request_log_limit {
        securegate = securegate.request_log_limit(n);
        artsvp = artsvp.request_log_limit(n);
    }
    if o.tls_ca_out.is_some() {
        securegate = securegate.tls(FakeTls::new());
        artsvp = artsvp.tls(FakeTls::new());
    }
    Ok((securegate.start().await?, artsvp.start().await?))
}

/// Ctrl-C and SIGTERM, listened for from creation on (so that a signal
/// sent as soon as the JSON line is read is caught, not fatal).
#[cfg(unix)]
struct StopSignal(tokio::signal::unix::Signal, tokio::signal::unix::Signal);

#[cfg(unix)]
impl StopSignal {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self(
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        ))
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.0.recv() => {}
            _ = self.1.recv() => {}
        }
    }
}

/// Ctrl-C where there is no SIGTERM.
#[cfg(not(unix))]
struct StopSignal;

#[cfg(not(unix))]
impl StopSignal {
    fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(Command::Serve(options)) => options,
        Ok(Command::Help) => {
            println!("{}", usage());
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n  help: event-invites-fake --help lists every flag");
            return ExitCode::from(2);
        }
    };
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
    if let Some(path) = &options.tls_ca_out {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    fn serve(line: &str) -> Options {
        match parse(&args(line)) {
            Ok(Command::Serve(o)) => *o,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn flags_are_read_in_both_forms() {
        let o = serve(
            "--host 0.0.0.0 --artsvp-port=8082 --seed 7 --invites 10 --bookings=3 \
             --rate-limit 5/1 --securegate-rate-limit off --latency 20ms --manual-clock \
             --artsvp-key=k1 --control-port 0",
        );
        assert_eq!(o.host, IpAddr::from([0, 0, 0, 0]));
        assert_eq!(o.artsvp_port, 8082);
        assert_eq!((o.seed, o.invites, o.bookings), (7, Some(10), Some(3)));
        assert_eq!(
            o.artsvp_rate_limit,
            Some(Some(RateLimit::new(5, Duration::from_secs(1))))
        );
        assert_eq!(o.securegate_rate_limit, Some(None), "the later flag wins");
        assert_eq!(o.latency, Duration::from_millis(20));
        assert!(o.manual_clock);
        assert_eq!(o.artsvp_key.as_deref(), Some("k1"));
        assert_eq!(o.control_port, Some(0));
    }

    #[test]
    fn a_bad_flag_is_named() {
        for (line, named) in [
            ("--artsvp-port 70000", "--artsvp-port"),
            ("--rate-limit 10", "--rate-limit"),
            ("--rate-limit 0/5", "--rate-limit"),
            ("--latency soon", "--latency"),
            ("--host localhost", "--host"),
            ("--seed", "--seed"),
            ("--invite 3", "--invite"),
            ("--artsvp-key=", "--artsvp-key"),
        ] {
            let err = parse(&args(line)).unwrap_err();
            assert!(err.contains(named), "{line}: {err}");
        }
    }

    #[test]
    fn every_flag_of_the_table_is_parsed() {
        for f in FLAGS {
            let sample = match f.value {
                None => continue,
                Some("ADDR") => "127.0.0.1",
                Some("N") => "3",
                Some("PATH") => "/api/v2",
                Some("KEY") => "k",
                Some("N/SECS|off") => "5/1",
                Some("DURATION") => "5ms",
                Some(other) => panic!("{}: no sample for {other}", f.name),
            };
            assert!(
                parse(&args(&format!("{} {sample}", f.name))).is_ok(),
                "{}",
                f.name
            );
        }
        assert!(matches!(parse(&args("--help")), Ok(Command::Help)));
        assert!(serve("--manual-clock").manual_clock);
        assert_eq!(serve("--base-path /api/v2").base_path, "/api/v2");
        assert!(
            parse(&args("--base-path api"))
                .unwrap_err()
                .contains("--base-path")
        );
    }

    #[test]
    fn usage_lists_every_flag_in_columns() {
        let usage = usage();
        for f in FLAGS {
            assert!(
                usage.contains(&format!("  {}", f.name)),
                "--help lacks {}",
                f.name
            );
        }
        assert!(usage.lines().all(|l| l.chars().count() <= 79), "{usage}");
        assert!(
            usage.contains("  --seed N                     default 42\n"),
            "{usage}"
        );
    }

    #[test]
    fn durations_take_units() {
        assert_eq!(duration("f", "2s").unwrap(), Duration::from_secs(2));
        assert_eq!(duration("f", "150").unwrap(), Duration::from_millis(150));
        assert!(duration("f", "-1ms").is_err());
    }
}
