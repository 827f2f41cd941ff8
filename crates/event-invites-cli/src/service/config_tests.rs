use super::*;

const GOOD: &str = r#"
listen = "127.0.0.1:9464"
state_dir = "state"
log_format = "json"

[[sync]]
name = "summer-gala"
from_securegate = "event-475267"
to_artsvp_event = "3779b1"
interval = "2m"
status = "accepted"
revoke_declined = true
securegate_key_env = "SG_SUMMER"

[[sync]]
name = "winter"
from_securegate = "event-1"
to_artsvp_event = "abc"
"#;

/// Writes `text` to a config file of its own and loads it, with every
/// variable but `UNSET` set.
fn load_text(name: &str, text: &str) -> Result<ServiceConfig, ConfigError> {
    let dir = std::env::temp_dir().join(format!("ei-config-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("season.toml");
    std::fs::write(&file, text).unwrap();
    let loaded = load(&file, &|var| var != "UNSET", true);
    let _ = std::fs::remove_dir_all(&dir);
    loaded
}

#[test]
fn a_good_file_gives_every_sync_with_its_defaults() {
    let config = load_text("good", GOOD).unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.1:9464");
    assert!(config.state_dir.ends_with("state") && config.state_dir.is_absolute());
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(config.syncs.len(), 2);
    let summer = &config.syncs[0];
    assert_eq!(summer.interval, Duration::from_secs(120));
    assert!(summer.revoke_declined);
    assert_eq!(summer.securegate_key_env, "SG_SUMMER");
    assert_eq!(summer.artsvp_key_env, "ARTSVP_API_KEY");
    assert!(summer.journal.ends_with("state/summer-gala.journal.sqlite"));
    let winter = &config.syncs[1];
    assert_eq!(winter.interval, DEFAULT_INTERVAL);
    assert_eq!(winter.status, InviteStatus::Accepted);
    assert!(!winter.revoke_declined);
    assert_eq!(winter.securegate_key_env, "SECUREGATE_API_KEY");
}

/// A bad file, and what its error must say (`LINE:COLUMN: ` then a part
/// of the message).
const BAD: &[(&str, &str, &str)] = &[
    (
        "unknown-field",
        "listen = \"127.0.0.1:1\"\nstate_dir = \"s\"\n[[sync]]\nname = \"a\"\nfrom_securegate = \"x\"\nto_artsvp_event = \"y\"\nintervall = \"2s\"\n",
        "7:1: unknown field `intervall`",
    ),
    (
        "duplicate",
        "listen = \"127.0.0.1:1\"\nstate_dir = \"s\"\n[[sync]]\nname = \"a\"\nfrom_securegate = \"x\"\nto_artsvp_event = \"y\"\n[[sync]]\nname = \"a\"\nfrom_securegate = \"x2\"\nto_artsvp_event = \"y\"\n",
        "8:8: a second sync named `a` (the first is at line 4)",
    ),
    (
        "interval",
        "listen = \"127.0.0.1:1\"\nstate_dir = \"s\"\n[[sync]]\nname = \"a\"\nfrom_securegate = \"x\"\nto_artsvp_event = \"y\"\ninterval = \"1.5m\"\n",
        "7:12: `interval`: `1.5m`: the unit must be s, m or h",
    ),
    (
        "unset",
        "listen = \"127.0.0.1:1\"\nstate_dir = \"s\"\n[[sync]]\nname = \"a\"\nfrom_securegate = \"x\"\nto_artsvp_event = \"y\"\nartsvp_key_env = \"UNSET\"\n",
        "7:18: UNSET is not set: sync `a` takes its key from it",
    ),
    (
        "name",
        "listen = \"127.0.0.1:1\"\nstate_dir = \"s\"\n[[sync]]\nname = \"Summer Gala\"\nfrom_securegate = \"x\"\nto_artsvp_event = \"y\"\n",
        "4:8: a sync's `name` is lowercase letters",
    ),
    (
        "listen",
        "listen = \"localhost\"\nstate_dir = \"s\"\n",
        "1:10: `listen` must be an address and a port",
    ),
    (
        "missing",
        "state_dir = \"s\"\n",
        "1:1: missing field `listen`",
    ),
    (
        "status",
        "listen = \"127.0.0.1:1\"\nstate_dir = \"s\"\n[[sync]]\nname = \"a\"\nfrom_securegate = \"x\"\nto_artsvp_event = \"y\"\nstatus = \"maybe\"\n",
        "7:10: `status` is one of accepted",
    ),
    (
        "same-pair",
        "listen = \"127.0.0.1:1\"\nstate_dir = \"s\"\n[[sync]]\nname = \"a\"\nfrom_securegate = \"x\"\nto_artsvp_event = \"y\"\n[[sync]]\nname = \"b\"\nfrom_securegate = \"x\"\nto_artsvp_event = \"y\"\n",
        "8:8: `b` syncs the same SecureGate event into the same ARTSVP event as `a`",
    ),
    (
        "syntax",
        "listen = \"127.0.0.1:1\nstate_dir = \"s\"\n",
        "1:",
    ),
];

#[test]
fn each_problem_is_named_with_its_line_and_column() {
    for (name, text, wanted) in BAD {
        let err = load_text(name, text).unwrap_err();
        let shown = err.to_string();
        let at = shown.split_once("season.toml:").map(|(_, rest)| rest);
        assert!(
            at.is_some_and(|rest| rest.starts_with(wanted)),
            "{name}: {shown}"
        );
    }
}

#[test]
fn a_file_that_cannot_be_read_is_named() {
    let file = Path::new("/nonexistent/season.toml");
    let err = load(file, &|_| true, true).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("/nonexistent/season.toml: cannot read it"),
        "{err}"
    );
}

#[test]
fn without_keys_needed_an_unset_variable_is_fine() {
    let dir = std::env::temp_dir().join(format!("ei-config-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("season.toml");
    std::fs::write(&file, GOOD).unwrap();
    assert!(load(&file, &|_| false, true).is_err());
    assert!(load(&file, &|_| false, false).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}
