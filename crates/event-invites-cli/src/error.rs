//! How the tool fails: one typed error per kind of failure, and the one
//! place that maps each to an exit code (the table `--help` prints, which
//! the guide's troubleshooting page explains).

use std::fmt;
use std::process::ExitCode;

use event_invites::artsvp::BulkError;
use event_invites::{ErrorKind, TransportCause};

/// The exit codes, as `--help` prints them. 0–2 follow the usual Unix
/// convention (clap's own usage errors exit 2); the two API conditions
/// use the BSD `sysexits.h` codes for them, so a script can tell "fix the
/// key" from "try again later".
pub const EXIT_CODES: &str = "\
Exit codes:
  0   every row invited or already invited (or the read succeeded; a service stopped by SIGTERM)
  1   some rows failed, stayed unknown or were bad input, or the run was interrupted
  2   usage or configuration error (bad arguments, no API key, an unknown event; a base URL
      that redirects, names no host, is plain http to a remote host, or whose TLS certificate
      is not trusted, not valid for its name or expired: see SSL_CERT_FILE; a `serve` config
      file with a problem, named at FILE:LINE:COLUMN)
  69  the API or the quota store is unreachable or failing: connection errors, timeouts, 5xx, a stopped run (EX_UNAVAILABLE)
  77  the API refused the key (HTTP 401/403) (EX_NOPERM); under `serve`, that sync alone stops";

/// Why the tool stopped with an error.
#[derive(Debug)]
pub enum CliError {
    /// Bad arguments or input: exit 2.
    Usage(String),
    /// Missing or bad configuration (keys, base URLs): exit 2.
    Config(String),
    /// The API refused the key: exit 77.
    KeyRefused(String),
    /// The API is unreachable or failing, or a run stopped for it: exit 69.
    Unavailable(String),
    /// Anything else that failed (a journal, a response): exit 1.
    Failed(String),
}

impl CliError {
    /// The process's exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Self::Usage(_) | Self::Config(_) => 2,
            Self::KeyRefused(_) => 77,
            Self::Unavailable(_) => 69,
            Self::Failed(_) => 1,
        })
    }

    /// An error of the library, by what it says went wrong.
    pub fn api(error: &event_invites::Error) -> Self {
        let text = error.to_string();
        match error.kind() {
            ErrorKind::Unauthorized => Self::KeyRefused(format!(
                "{text}; check {}",
                match error.api() {
                    Some(event_invites::Service::SecureGate) => {
                        <event_invites::SecureGate as event_invites::Api>::ENV_KEY
                    }
                    _ => <event_invites::Artsvp as event_invites::Api>::ENV_KEY,
                }
            )),
            ErrorKind::Config { .. }
            | ErrorKind::Redirect { .. }
            | ErrorKind::Transport(TransportCause::NoSuchHost | TransportCause::Tls(_)) => {
                Self::Config(text)
            }
            ErrorKind::InvalidRequest { .. } => Self::Usage(text),
            ErrorKind::Server
            | ErrorKind::Timeout
            | ErrorKind::Deadline { .. }
            | ErrorKind::Transport(_)
            | ErrorKind::RateLimited { .. }
            | ErrorKind::OutcomeUnknown { .. }
            | ErrorKind::QuotaStore { .. } => Self::Unavailable(text),
            _ => Self::Failed(text),
        }
    }
}

impl From<event_invites::Error> for CliError {
    fn from(error: event_invites::Error) -> Self {
        Self::api(&error)
    }
}

/// A bulk run that stopped early: an outage is the API failing (exit 69);
/// a checkpoint (the journal) that failed is ours (exit 1).
impl From<BulkError> for CliError {
    fn from(error: BulkError) -> Self {
        let text = error.to_string();
        match error {
            BulkError::Outage(_) => Self::Unavailable(text),
            _ => Self::Failed(text),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(m)
            | Self::Config(m)
            | Self::KeyRefused(m)
            | Self::Unavailable(m)
            | Self::Failed(m) => f.write_str(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_code_and_the_table_lists_them() {
        let cases = [
            (CliError::Usage("u".into()), 2),
            (CliError::Config("c".into()), 2),
            (CliError::KeyRefused("k".into()), 77),
            (CliError::Unavailable("x".into()), 69),
            (CliError::Failed("f".into()), 1),
        ];
        for (error, code) in cases {
            let expected = format!("{:?}", ExitCode::from(code));
            assert_eq!(format!("{:?}", error.exit_code()), expected, "{error:?}");
        }
        for listed in ["  0 ", "  1 ", "  2 ", "  69 ", "  77 "] {
            assert!(EXIT_CODES.contains(listed), "{listed}");
        }
    }

    #[test]
    fn a_journal_that_fails_is_ours_to_fix_not_the_apis() {
        // (An outage, exit 69, is driven end to end in tests/cli.rs.)
        let error = CliError::from(BulkError::Checkpoint("disk full".into()));
        let CliError::Failed(text) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(text, "the run stopped: its checkpoint failed: disk full");
    }
}
