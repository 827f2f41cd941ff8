//! The program's flags (clap): where it listens, the data, the keys, the
//! behaviour. `--help` lists them with the control API.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use event_invites_fake::RateLimit;

const ABOUT: &str = "Serves a fake SecureGate and a fake ARTSVP API until Ctrl-C or SIGTERM. Once
both listen it prints one JSON line on standard output: each API's base URL,
API key and a few seeded ids (and the control API's URL when enabled).";

const CONTROL_API: &str = "\
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

const WHERE: &str = "Where it listens";
const DATA: &str = "Data (the same seed gives the same data, ids and default keys)";
const KEYS: &str = "API keys (default: derived from the seed, printed in the JSON line)";
const BEHAVIOUR: &str = "Behaviour";

/// A quota flag's value: `N/SECS`, or `off` (none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quota(pub Option<RateLimit>);

/// What the flags ask for.
#[derive(Debug, Parser)]
#[command(name = "event-invites-fake", version, about = ABOUT, after_help = CONTROL_API)]
pub struct Options {
    /// Address for every port (0.0.0.0 to be reachable from other hosts).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1", help_heading = WHERE)]
    pub host: IpAddr,
    /// SecureGate's port (0: any free port).
    #[arg(long, value_name = "N", default_value_t = 0, help_heading = WHERE)]
    pub securegate_port: u16,
    /// ARTSVP's port (0: any free port).
    #[arg(long, value_name = "N", default_value_t = 0, help_heading = WHERE)]
    pub artsvp_port: u16,
    /// Serve the control API on this port (0: any free port); off unless given.
    #[arg(long, value_name = "N", help_heading = WHERE)]
    pub control_port: Option<u16>,
    /// Serve both APIs under this path, as the vendors do (/api/v2); default
    /// none, the routes at /.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "",
        hide_default_value = true,
        value_parser = base_path,
        help_heading = WHERE
    )]
    pub base_path: String,
    /// Serve both APIs over HTTPS, with certificates for localhost and
    /// 127.0.0.1 made at start, and write their CA certificates (PEM) to
    /// PATH, for SSL_CERT_FILE or a client's trusted roots; the JSON line
    /// gives PATH and the PEM; default plain http.
    #[arg(long, value_name = "PATH", value_parser = clap::builder::NonEmptyStringValueParser::new(), help_heading = WHERE)]
    pub tls_ca_out: Option<String>,
    /// The seed of the data.
    #[arg(long, value_name = "N", default_value_t = 42, help_heading = DATA)]
    pub seed: u64,
    /// ARTSVP events (default 6).
    #[arg(long, value_name = "N", help_heading = DATA)]
    pub events: Option<usize>,
    /// ARTSVP collections (default 2).
    #[arg(long, value_name = "N", help_heading = DATA)]
    pub collections: Option<usize>,
    /// ARTSVP invites (default 120).
    #[arg(long, value_name = "N", help_heading = DATA)]
    pub invites: Option<usize>,
    /// ARTSVP bookings: the first N invites are used once each (default:
    /// about a third of the invites are used, some more than once).
    #[arg(long, value_name = "N", help_heading = DATA)]
    pub bookings: Option<usize>,
    /// SecureGate events (default 3).
    #[arg(long, value_name = "N", help_heading = DATA)]
    pub securegate_events: Option<usize>,
    /// Invites per SecureGate event (default 24).
    #[arg(long, value_name = "N", help_heading = DATA)]
    pub securegate_invites: Option<usize>,
    /// The `Authorization` value ARTSVP accepts.
    #[arg(long, value_name = "KEY", value_parser = key, help_heading = KEYS)]
    pub artsvp_key: Option<String>,
    /// The `x-api-key` value SecureGate accepts.
    #[arg(long, value_name = "KEY", value_parser = key, help_heading = KEYS)]
    pub securegate_key: Option<String>,
    /// Both APIs' quota: N requests per SECS seconds, or none (default:
    /// ARTSVP 1000/900, its published quota; SecureGate off, it publishes
    /// none).
    #[arg(long, value_name = "N/SECS|off", value_parser = quota, help_heading = BEHAVIOUR)]
    pub rate_limit: Option<Quota>,
    /// ARTSVP's alone (over --rate-limit).
    #[arg(long, value_name = "N/SECS|off", value_parser = quota, help_heading = BEHAVIOUR)]
    pub artsvp_rate_limit: Option<Quota>,
    /// SecureGate's alone (over --rate-limit).
    #[arg(long, value_name = "N/SECS|off", value_parser = quota, help_heading = BEHAVIOUR)]
    pub securegate_rate_limit: Option<Quota>,
    /// Added to every request: 250ms, 2s, or a number of milliseconds.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = duration, help_heading = BEHAVIOUR)]
    pub latency: Duration,
    /// Rate-limit windows follow a clock that only the control API moves
    /// (POST /{api}/clock).
    #[arg(long, help_heading = BEHAVIOUR)]
    pub manual_clock: bool,
    /// Keep only the last N requests in each log (default: all).
    #[arg(long, value_name = "N", help_heading = BEHAVIOUR)]
    pub request_log_limit: Option<usize>,
}

impl Options {
    /// The CA file, when serving HTTPS.
    pub fn tls_ca_out(&self) -> Option<PathBuf> {
        self.tls_ca_out.as_ref().map(PathBuf::from)
    }

    /// ARTSVP's quota as the flags set it (`None`: the default).
    pub fn artsvp_quota(&self) -> Option<Quota> {
        self.artsvp_rate_limit.or(self.rate_limit)
    }

    /// SecureGate's quota as the flags set it (`None`: the default).
    pub fn securegate_quota(&self) -> Option<Quota> {
        self.securegate_rate_limit.or(self.rate_limit)
    }
}

/// `/api/v2`: a path, no query, fragment or space.
fn base_path(value: &str) -> Result<String, String> {
    if value.is_empty() || (value.starts_with('/') && !value.contains(['?', '#', ' '])) {
        Ok(value.to_string())
    } else {
        Err(format!("`{value}` is not a path such as /api/v2"))
    }
}

/// Printable ASCII, no spaces.
fn key(value: &str) -> Result<String, String> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("a key must be printable ASCII without spaces".into());
    }
    Ok(value.to_string())
}

/// `N/SECS` or `off`.
fn quota(value: &str) -> Result<Quota, String> {
    if value == "off" {
        return Ok(Quota(None));
    }
    let bad = || format!("`{value}` is not N/SECS (e.g. 1000/900) or `off`");
    let (n, secs) = value.split_once('/').ok_or_else(bad)?;
    let n: u64 = n.parse().map_err(|_| bad())?;
    let secs: u64 = secs.parse().map_err(|_| bad())?;
    if n == 0 || secs == 0 {
        return Err(format!(
            "`{value}`: both numbers must be at least 1 (use `off` for no limit)"
        ));
    }
    Ok(Quota(Some(RateLimit::new(n, Duration::from_secs(secs)))))
}

/// `250ms`, `2s` or a number of milliseconds.
fn duration(value: &str) -> Result<Duration, String> {
    let bad = || format!("`{value}` is not a duration such as 250ms, 2s or 250");
    if let Some(ms) = value.strip_suffix("ms") {
        ms.parse().map(Duration::from_millis).map_err(|_| bad())
    } else if let Some(s) = value.strip_suffix('s') {
        s.parse().map(Duration::from_secs).map_err(|_| bad())
    } else {
        value.parse().map(Duration::from_millis).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Options, clap::Error> {
        Options::try_parse_from(
            std::iter::once("event-invites-fake").chain(line.split_whitespace()),
        )
    }

    #[test]
    fn flags_are_read_in_both_forms_and_the_specific_quota_wins() {
        let o = parse(
            "--host 0.0.0.0 --artsvp-port=8082 --seed 7 --invites 10 --bookings=3 \
             --rate-limit 5/1 --securegate-rate-limit off --latency 20ms --manual-clock \
             --artsvp-key=k1 --control-port 0",
        )
        .unwrap();
        assert_eq!(o.host, IpAddr::from([0, 0, 0, 0]));
        assert_eq!(o.artsvp_port, 8082);
        assert_eq!((o.seed, o.invites, o.bookings), (7, Some(10), Some(3)));
        let five = Quota(Some(RateLimit::new(5, Duration::from_secs(1))));
        assert_eq!(o.artsvp_quota(), Some(five));
        assert_eq!(o.securegate_quota(), Some(Quota(None)));
        assert_eq!(o.latency, Duration::from_millis(20));
        assert!(o.manual_clock);
        assert_eq!(o.artsvp_key.as_deref(), Some("k1"));
        assert_eq!(o.control_port, Some(0));
        let defaults = parse("").unwrap();
        assert_eq!((defaults.seed, defaults.base_path.as_str()), (42, ""));
        assert_eq!(defaults.artsvp_quota(), None, "the fake's default");
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
            ("--base-path api", "--base-path"),
            ("--tls-ca-out=", "--tls-ca-out"),
        ] {
            let err = parse(line).unwrap_err().to_string();
            assert!(err.contains(named), "{line}: {err}");
        }
    }
}
