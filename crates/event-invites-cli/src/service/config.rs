//! `serve --config FILE`: the season's TOML file, read and checked whole
//! before anything is sent. Every problem is one [`ConfigError`] naming
//! `FILE:LINE:COLUMN` (an unknown field, a bad interval, a duplicate name,
//! an unset key variable), so an operator fixes it in one look.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use event_invites::securegate::InviteStatus;
use serde::Deserialize;
use toml::Spanned;

use super::watch::{DEFAULT_INTERVAL, LogFormat, parse_duration};

/// The variables that hold the keys unless a sync names its own.
pub const DEFAULT_SECUREGATE_KEY_ENV: &str = "SECUREGATE_API_KEY";
pub const DEFAULT_ARTSVP_KEY_ENV: &str = "ARTSVP_API_KEY";

/// A season's service, as its file says.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceConfig {
    /// Where `/healthz`, `/livez`, `/status` and `/metrics` are served.
    pub listen: SocketAddr,
    /// Where the journals live (a relative path in the file is taken
    /// relative to the file's directory).
    pub state_dir: PathBuf,
    pub log_format: LogFormat,
    /// The quota store the file names (else `--quota-store`).
    pub quota_store: Option<String>,
    pub syncs: Vec<SyncSpec>,
}

/// One sync: a SecureGate event's guests into an ARTSVP event. Two specs
/// that compare equal run the same way (a reload leaves such a sync alone).
#[derive(Debug, Clone, PartialEq)]
pub struct SyncSpec {
    /// `[a-z0-9-]+`: the journal's name and the `sync` label.
    pub name: String,
    pub from: String,
    pub to: String,
    pub interval: Duration,
    pub status: InviteStatus,
    pub revoke_declined: bool,
    /// The variables holding this sync's keys (their names, never values).
    pub securegate_key_env: String,
    pub artsvp_key_env: String,
    /// `<state_dir>/<name>.journal.sqlite`.
    pub journal: PathBuf,
    /// Guests sent at once (the rate limit still sets the pace).
    pub concurrency: usize,
}

/// A problem in the file, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based; 0 when the problem is the file itself (cannot be read).
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file.display(), self.message),
            line => write!(
                f,
                "{}:{line}:{}: {}",
                self.file.display(),
                self.column,
                self.message
            ),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    listen: Spanned<String>,
    state_dir: Spanned<String>,
    log_format: Option<Spanned<String>>,
    quota_store: Option<Spanned<String>>,
    #[serde(default)]
    sync: Vec<Spanned<RawSync>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSync {
    name: Spanned<String>,
    from_securegate: Spanned<String>,
    to_artsvp_event: Spanned<String>,
    interval: Option<Spanned<String>>,
    status: Option<Spanned<String>>,
    revoke_declined: Option<bool>,
    securegate_key_env: Option<Spanned<String>>,
    artsvp_key_env: Option<Spanned<String>>,
}

/// Reads and checks `file`; `env` says whether a variable is set (and not
/// blank); `keys_needed` is false in demo mode (the keys are the fakes').
pub fn load(
    file: &Path,
    env: &dyn Fn(&str) -> bool,
    keys_needed: bool,
) -> Result<ServiceConfig, ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
        file: file.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read it: {e}"),
    })?;
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    Parser {
        file,
        text: &text,
        env,
        keys_needed,
    }
    .parse(&base)
}

/// The file's text and how to point into it.
struct Parser<'a> {
    file: &'a Path,
    text: &'a str,
    env: &'a dyn Fn(&str) -> bool,
    keys_needed: bool,
}

impl Parser<'_> {
    /// An error at byte `span` of the text.
    fn at(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let before = &self.text[..span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ConfigError {
            file: self.file.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    fn parse(&self, base: &Path) -> Result<ServiceConfig, ConfigError> {
        let raw: RawFile = toml::from_str(self.text).map_err(|e| {
            let message = e.message().trim_end().to_string();
            self.at(e.span().unwrap_or(0..0), message)
        })?;
        let listen = raw.listen.get_ref().trim().parse().map_err(|_| {
            self.at(
                raw.listen.span(),
                "`listen` must be an address and a port, such as 127.0.0.1:9464",
            )
        })?;
        let state_dir = match raw.state_dir.get_ref().trim() {
            "" => return Err(self.at(raw.state_dir.span(), "`state_dir` is empty")),
            dir => base.join(dir),
        };
        let log_format = match raw.log_format.as_ref().map(|f| (f.get_ref().as_str(), f)) {
            None | Some(("text", _)) => LogFormat::Text,
            Some(("json", _)) => LogFormat::Json,
            Some((_, f)) => return Err(self.at(f.span(), "`log_format` is `text` or `json`")),
        };
        let quota_store = raw.quota_store.map(Spanned::into_inner);
        let mut syncs = Vec::with_capacity(raw.sync.len());
        let mut names = HashMap::new();
        let mut pairs = HashMap::new();
        for sync in &raw.sync {
            let spec = self.sync(sync.get_ref(), &state_dir)?;
            let name = sync.get_ref().name.span();
            if let Some(first) = names.insert(spec.name.clone(), name.clone()) {
                let first = self.at(first, "");
                return Err(self.at(
                    name,
                    format!(
                        "a second sync named `{}` (the first is at line {}): names must be unique",
                        spec.name, first.line
                    ),
                ));
            }
            let pair = (spec.from.clone(), spec.to.clone());
            if let Some(first) = pairs.insert(pair, spec.name.clone()) {
                return Err(self.at(
                    name,
                    format!(
                        "`{}` syncs the same SecureGate event into the same ARTSVP event as \
                         `{first}`: keep one",
                        spec.name
                    ),
                ));
            }
            syncs.push(spec);
        }
        Ok(ServiceConfig {
            listen,
            state_dir,
            log_format,
            quota_store,
            syncs,
        })
    }

    /// One `[[sync]]` table, checked.
    fn sync(&self, raw: &RawSync, state_dir: &Path) -> Result<SyncSpec, ConfigError> {
        let name = raw.name.get_ref().clone();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(self.at(
                raw.name.span(),
                "a sync's `name` is lowercase letters, digits and `-` (it names the journal \
                 and the `sync` label)",
            ));
        }
        let from = self.id(&raw.from_securegate, "from_securegate")?;
        let to = self.id(&raw.to_artsvp_event, "to_artsvp_event")?;
        let interval = match &raw.interval {
            None => DEFAULT_INTERVAL,
            Some(text) => parse_duration(text.get_ref())
                .map_err(|e| self.at(text.span(), format!("`interval`: {e}")))?,
        };
        let status = match &raw.status {
            None => InviteStatus::Accepted,
            Some(text) => status(text.get_ref()).ok_or_else(|| {
                self.at(
                    text.span(),
                    "`status` is one of accepted, pending, sent, rejected",
                )
            })?,
        };
        let securegate_key_env =
            self.key_env(raw, &raw.securegate_key_env, DEFAULT_SECUREGATE_KEY_ENV)?;
        let artsvp_key_env = self.key_env(raw, &raw.artsvp_key_env, DEFAULT_ARTSVP_KEY_ENV)?;
        Ok(SyncSpec {
            journal: state_dir.join(format!("{name}.journal.sqlite")),
            name,
            from,
            to,
            interval,
            status,
            revoke_declined: raw.revoke_declined.unwrap_or(false),
            securegate_key_env,
            artsvp_key_env,
            concurrency: 4,
        })
    }

    /// An id field: not blank.
    fn id(&self, value: &Spanned<String>, field: &str) -> Result<String, ConfigError> {
        match value.get_ref().trim() {
            "" => Err(self.at(value.span(), format!("`{field}` is empty"))),
            id => Ok(id.to_string()),
        }
    }

    /// The variable holding a key: named here or the default, and set.
    fn key_env(
        &self,
        sync: &RawSync,
        named: &Option<Spanned<String>>,
        default: &str,
    ) -> Result<String, ConfigError> {
        let (var, span) = match named {
            Some(v) => (v.get_ref().trim().to_string(), v.span()),
            None => (default.to_string(), sync.name.span()),
        };
        if self.keys_needed && !(self.env)(&var) {
            return Err(self.at(
                span,
                format!(
                    "{var} is not set: sync `{}` takes its key from it",
                    sync.name.get_ref()
                ),
            ));
        }
        Ok(var)
    }
}

/// A SecureGate status as the file writes it.
fn status(text: &str) -> Option<InviteStatus> {
    match text {
        "accepted" => Some(InviteStatus::Accepted),
        "pending" => Some(InviteStatus::Pending),
        "sent" => Some(InviteStatus::Sent),
        "rejected" => Some(InviteStatus::Rejected),
        _ => None,
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
