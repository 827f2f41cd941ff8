//! `event-invites-fake`: serves a fake SecureGate and a fake ARTSVP until
//! Ctrl-C or SIGTERM, and prints one JSON line saying where they are and
//! what is in them, for test suites in any language (as stripe-mock and
//! Prism are used). `--help` documents every flag and the control API.

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use event_invites_fake::{ControlApi, FakeArtsvp, FakeSecureGate, RateLimit};
use serde_json::json;

const USAGE: &str = "\
usage: event-invites-fake [OPTIONS]

Serves a fake SecureGate and a fake ARTSVP API until Ctrl-C or SIGTERM. Once
both listen it prints one JSON line on standard output: each API's base URL,
API key and a few seeded ids (and the control API's URL when enabled).
Flags take `--flag VALUE` or `--flag=VALUE`.

Where it listens:
  --host ADDR                  address for every port (default 127.0.0.1;
                               0.0.0.0 to be reachable from other hosts)
  --securegate-port N          SecureGate's port (default 0: any free port)
  --artsvp-port N              ARTSVP's port (default 0: any free port)
  --control-port N             serve the control API on this port (0: any free
                               port); off unless given

Data (the same seed gives the same data, ids and default keys):
  --seed N                     default 42
  --events N                   ARTSVP events (default 6)
  --collections N              ARTSVP collections (default 2)
  --invites N                  ARTSVP invites (default 120)
  --bookings N                 ARTSVP bookings: the first N invites are used
                               once each (default: about a third of the
                               invites are used, some more than once)
  --securegate-events N        SecureGate events (default 3)
  --securegate-invites N       invites per SecureGate event (default 24)

API keys (default: derived from the seed, printed in the JSON line):
  --artsvp-key KEY             the `Authorization` value ARTSVP accepts
  --securegate-key KEY         the `x-api-key` value SecureGate accepts

Behaviour:
  --rate-limit N/SECS|off      both APIs' quota: N requests per SECS seconds,
                               or none (default: ARTSVP 1000/900, its published
                               quota; SecureGate off, it publishes none)
  --artsvp-rate-limit N/SECS|off      ARTSVP's alone
  --securegate-rate-limit N/SECS|off  SecureGate's alone
  --latency DURATION           added to every request: 250ms, 2s, or a number
                               of milliseconds (default 0)
  --manual-clock               rate-limit windows follow a clock that only the
                               control API moves (POST /{api}/clock)
  --request-log-limit N        keep only the last N requests in each log
  --help                       print this text (also -h)

Control API (with --control-port; {api} is artsvp or securegate; JSON bodies):
  GET    /                     the APIs and endpoints
  POST   /{api}/faults         add a fault rule, e.g. {\"fault\": \"status\",
                               \"status\": 503, \"method\": \"POST\", \"route\":
                               \"/invites\", \"times\": 2}; `fault` is one of
                               status, too_many_requests (retry_after),
                               latency (ms), drop_connection, truncated_body,
                               malformed_json, unknown_enum_value,
                               extra_fields; optional skip, times (a count or
                               \"always\"), after_write (apply the write first)
  DELETE /{api}/faults         remove every fault rule
  POST   /{api}/reset          seeded data again, no fault rules, an empty
                               request log, a fresh rate-limit window
  POST   /{api}/clock          {\"advance_ms\": N}: move the manual clock
  GET    /{api}/requests       the request log as JSON (API keys redacted)
  DELETE /{api}/requests       empty the request log

Exit status: 0 after Ctrl-C or SIGTERM, 1 when a port cannot be bound,
2 for a bad flag (named on standard error).";

/// The flags that take a value (`--manual-clock` and `--help` take none).
const VALUE_FLAGS: &[&str] = &[
    "--host",
    "--securegate-port",
    "--artsvp-port",
    "--control-port",
    "--seed",
    "--events",
    "--collections",
    "--invites",
    "--bookings",
    "--securegate-events",
    "--securegate-invites",
    "--artsvp-key",
    "--securegate-key",
    "--rate-limit",
    "--artsvp-rate-limit",
    "--securegate-rate-limit",
    "--latency",
    "--request-log-limit",
];

/// What the flags ask for.
#[derive(Debug)]
struct Options {
    host: IpAddr,
    securegate_port: u16,
    artsvp_port: u16,
    control_port: Option<u16>,
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
}

impl Default for Options {
    fn default() -> Self {
        Self {
            host: IpAddr::from([127, 0, 0, 1]),
            securegate_port: 0,
            artsvp_port: 0,
            control_port: None,
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
        if !VALUE_FLAGS.contains(&flag) {
            return Err(format!("unknown flag `{flag}`"));
        }
        let value = match inline.or_else(|| args.next().cloned()) {
            Some(value) => value,
            None => return Err(format!("{flag}: needs a value")),
        };
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
            _ => unreachable!("every known flag is matched"),
        }
    }
    Ok(Command::Serve(Box::new(o)))
}

async fn start(o: &Options) -> std::io::Result<(FakeSecureGate, FakeArtsvp)> {
    let mut securegate = FakeSecureGate::builder()
        .seed(o.seed)
        .host(o.host)
        .port(o.securegate_port)
        .latency(o.latency);
    let mut artsvp = FakeArtsvp::builder()
        .seed(o.seed)
        .host(o.host)
        .port(o.artsvp_port)
        .latency(o.latency);
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

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(Command::Serve(options)) => options,
        Ok(Command::Help) => {
            println!("{USAGE}");
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
            eprintln!(
                "error: cannot start the fake servers on {}: {e}\n  help: pick free ports, or 0",
                options.host
            );
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
                    eprintln!(
                        "error: cannot start the control API on {}:{port}: {e}\n  help: pick a \
                         free port, or 0",
                        options.host
                    );
                    return ExitCode::FAILURE;
                }
            }
        }
    };
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
    if let Some(control) = &control {
        line["control"] = json!({ "base_url": control.base_url() });
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
    fn usage_documents_every_flag() {
        for flag in VALUE_FLAGS.iter().chain(&["--manual-clock", "--help"]) {
            assert!(
                USAGE.contains(&format!("  {flag} ")) || USAGE.contains(&format!("  {flag}\n")),
                "--help lacks {flag}"
            );
        }
    }

    #[test]
    fn durations_take_units() {
        assert_eq!(duration("f", "2s").unwrap(), Duration::from_secs(2));
        assert_eq!(duration("f", "150").unwrap(), Duration::from_millis(150));
        assert!(duration("f", "-1ms").is_err());
    }
}
