//! `cargo xtask mutants [FILES…] [--in-diff REV] [--lib]`: mutation testing
//! of the decision core with a pinned cargo-mutants (no wheel: built once
//! with `cargo install --locked` into cargo's bin directory). It prints the
//! score of each file (caught ÷ viable mutants) and fails when a file is
//! under [`THRESHOLD`]. Mutants that no test can catch are excluded, each
//! with its reason, in `.cargo/mutants.toml`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::error::Error;

/// The cargo-mutants this project uses.
pub const MUTANTS_VERSION: &str = "27.1.0";

/// The share of viable mutants each file's tests must catch.
pub const THRESHOLD: f64 = 0.90;

/// The decision core: what decides whether a guest is invited, skipped,
/// retried or waited for.
pub const DECISION_CORE: &[&str] = &[
    "crates/event-invites/src/verdict.rs",
    "crates/event-invites/src/pipeline/retry.rs",
    "crates/event-invites/src/quota/bucket.rs",
    "crates/event-invites/src/quota/pacer.rs",
    "crates/event-invites/src/pipeline/classify/mod.rs",
    "crates/event-invites/src/pipeline/classify/status.rs",
    "crates/event-invites/src/pipeline/classify/cause.rs",
    "crates/event-invites/src/pipeline/classify/decode.rs",
    "crates/event-invites/src/pipeline/classify/body.rs",
    "crates/event-invites/src/pipeline/classify/headers.rs",
    "crates/event-invites/src/pipeline/resolve.rs",
    "crates/event-invites/src/pipeline/held.rs",
    "crates/event-invites/src/pipeline/call.rs",
    "crates/event-invites/src/pipeline/transport.rs",
    "crates/event-invites/src/artsvp/bulk/engine.rs",
    "crates/event-invites/src/artsvp/bulk/outcome.rs",
    "crates/event-invites/src/artsvp/bulk/checkpoint.rs",
    "crates/event-invites/src/redact.rs",
    "crates/event-invites-cli/src/journal.rs",
];

/// The integration test targets that exercise each file of the decision
/// core, run beside the package's unit tests for that file's mutants (a
/// file not listed gets the unit tests only). An entry ending in `/` is a
/// folder: it holds for every file under it. A full-suite run (`--full`)
/// takes 40–60 s a mutant; these take 10–25 s.
pub const SUITES: &[(&str, &[&str])] = &[
    (
        "crates/event-invites/src/pipeline/classify/",
        &["errors", "fault_matrix"],
    ),
    (
        "crates/event-invites/src/pipeline/call.rs",
        &["calls", "retries", "fault_matrix"],
    ),
    (
        "crates/event-invites/src/pipeline/resolve.rs",
        &["network_edges"],
    ),
    (
        "crates/event-invites/src/pipeline/held.rs",
        &["securegate", "decode_fuzz", "errors"],
    ),
    (
        "crates/event-invites/src/pipeline/transport.rs",
        &["calls", "retries", "fault_matrix"],
    ),
    ("crates/event-invites/src/quota/", &["pacing"]),
    ("crates/event-invites/src/artsvp/bulk/", &["bulk"]),
    (
        "crates/event-invites/src/redact.rs",
        &["secrets", "personal_data"],
    ),
    ("crates/event-invites-cli/src/journal.rs", &["cli"]),
];

/// Which tests a mutant is tested with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tests {
    /// The package's unit tests and the file's [`SUITES`] (the default).
    Suites,
    /// The unit tests only (the library's, or the CLI binary's): the
    /// fastest, a lower bound of the score.
    Lib,
    /// Every test of the package: hours for the whole core.
    Full,
}

/// The `cargo test` arguments for `file`'s mutants.
pub fn test_args(file: &str, tests: Tests) -> Vec<String> {
    let suites = SUITES
        .iter()
        .find(|(f, _)| *f == file || (f.ends_with('/') && file.starts_with(f)))
        .map_or(&[][..], |(_, s)| *s);
    // The CLI is a binary crate: its unit tests are the binary's.
    let unit: &[&str] = if file.starts_with("crates/event-invites-cli/") {
        &["--bin", "event-invites"]
    } else {
        &["--lib"]
    };
    let unit = unit.iter().map(|a| a.to_string());
    match tests {
        Tests::Full => Vec::new(),
        Tests::Lib => unit.collect(),
        Tests::Suites => unit
            .chain(
                suites
                    .iter()
                    .flat_map(|s| ["--test".to_string(), s.to_string()]),
            )
            .collect(),
    }
}

/// The optional features `package`'s tests need to compile all of its
/// code: without them the facade's Redis store and metrics observer would
/// not be built, and their mutants would read as missed.
pub fn features(package: &str) -> Option<&'static str> {
    (package == "event-invites").then_some("redis,metrics")
}

/// One file's outcomes.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Score {
    pub caught: usize,
    pub missed: usize,
    pub timeout: usize,
    pub unviable: usize,
}

impl Score {
    /// Caught ÷ viable (a timeout counts as caught: the mutant hung the
    /// tests, which noticed). `None` with no viable mutant.
    pub fn ratio(&self) -> Option<f64> {
        let viable = self.caught + self.missed + self.timeout;
        (viable > 0).then(|| (self.caught + self.timeout) as f64 / viable as f64)
    }
}

fn tool_error(message: String, fix: &str) -> Error {
    Error::file(Path::new("xtask/src/mutants.rs"), message, fix)
}

/// Installs the pinned cargo-mutants unless it is there.
pub fn ensure_tool() -> Result<(), Error> {
    let version = Command::new("cargo-mutants")
        .args(["mutants", "--version"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    if version.is_some_and(|v| v.contains(MUTANTS_VERSION)) {
        return Ok(());
    }
    eprintln!("installing cargo-mutants {MUTANTS_VERSION} (once; about two minutes)");
    let status = Command::new("cargo")
        .args([
            "install",
            "--locked",
            "--version",
            MUTANTS_VERSION,
            "cargo-mutants",
        ])
        .status()
        .map_err(|e| tool_error(format!("cannot run cargo install: {e}"), "check cargo"))?;
    if status.success() {
        Ok(())
    } else {
        Err(tool_error(
            format!("cargo install cargo-mutants {MUTANTS_VERSION} failed"),
            "read cargo's output above",
        ))
    }
}

/// Per-file scores from cargo-mutants' `outcomes.json`.
pub fn scores(outcomes: &Value) -> BTreeMap<String, Score> {
    let mut out: BTreeMap<String, Score> = BTreeMap::new();
    for outcome in outcomes["outcomes"].as_array().into_iter().flatten() {
        let Some(file) = outcome["scenario"]["Mutant"]["file"].as_str() else {
            continue; // the unmutated baseline
        };
        let score = out.entry(file.to_string()).or_default();
        match outcome["summary"].as_str().unwrap_or_default() {
            "CaughtMutant" => score.caught += 1,
            "MissedMutant" => score.missed += 1,
            "Timeout" => score.timeout += 1,
            "Unviable" => score.unviable += 1,
            _ => {}
        }
    }
    out
}

/// Runs cargo-mutants on each of `files` (or only the mutants in the diff
/// since `in_diff`), with the tests `tests` picks, one run per file (each
/// has its own suites), into `target/mutants/<file>/`. Returns the
/// per-file scores.
pub fn run(
    root: &Path,
    files: &[String],
    in_diff: Option<&str>,
    tests: Tests,
) -> Result<BTreeMap<String, Score>, Error> {
    ensure_tool()?;
    let diff = in_diff.map(|rev| write_diff(root, rev)).transpose()?;
    let mut scores = BTreeMap::new();
    for file in files {
        scores.extend(run_file(root, file, diff.as_deref(), tests)?);
    }
    Ok(scores)
}

/// One file's run, into `target/mutants/<file>/`: its scores.
fn run_file(
    root: &Path,
    file: &str,
    diff: Option<&Path>,
    tests: Tests,
) -> Result<BTreeMap<String, Score>, Error> {
    let out_dir = root.join("target/mutants").join(file.replace('/', "__"));
    // cargo-mutants writes `mutants.out` inside this folder, but does not
    // make the folder itself.
    std::fs::create_dir_all(&out_dir).map_err(|e| {
        tool_error(
            format!("cannot create {}: {e}", out_dir.display()),
            "check target/",
        )
    })?;
    // cargo-mutants exits non-zero when a mutant is missed: the scores say
    // which, so only a failure to run at all is an error here.
    let status = command(root, file, &out_dir, diff, tests)?
        .status()
        .map_err(|e| tool_error(format!("cannot run cargo mutants: {e}"), "check it"))?;
    let outcomes = out_dir.join("mutants.out/outcomes.json");
    let text = std::fs::read_to_string(&outcomes).map_err(|e| {
        tool_error(
            format!("cargo mutants wrote no outcomes ({status}): {e}"),
            "read its output above",
        )
    })?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| tool_error(format!("{}: {e}", outcomes.display()), "re-run it"))?;
    Ok(scores(&value))
}

/// The cargo-mutants command for `file`'s mutants (those in `diff`, if
/// given), tested as `tests` says; it says what it tests with.
fn command(
    root: &Path,
    file: &str,
    out_dir: &Path,
    diff: Option<&Path>,
    tests: Tests,
) -> Result<Command, Error> {
    let package = file
        .strip_prefix("crates/")
        .and_then(|f| f.split('/').next())
        .ok_or_else(|| tool_error(format!("{file}: not under crates/"), "name a crate's file"))?;
    let mut command = Command::new("cargo");
    command
        .current_dir(root)
        .args(["mutants", "--no-shuffle", "--timeout", "120", "--output"])
        .arg(out_dir)
        .args(["--package", package, "--file", file]);
    if let Some(features) = features(package) {
        command.args(["--features", features]);
    }
    if let Some(diff) = diff {
        command.arg("--in-diff").arg(diff);
    }
    let args = test_args(file, tests);
    if !args.is_empty() {
        command.arg("--").args(&args);
    }
    let tested = if args.is_empty() {
        "every test".to_string()
    } else {
        args.join(" ")
    };
    eprintln!("mutants of {file}, tested with: {tested}");
    Ok(command)
}

/// The diff since `rev`, written where cargo-mutants reads it.
fn write_diff(root: &Path, rev: &str) -> Result<std::path::PathBuf, Error> {
    let diff = Command::new("git")
        .current_dir(root)
        .args(["diff", rev])
        .output()
        .map_err(|e| tool_error(format!("cannot run git diff: {e}"), "install git"))?;
    let path = root.join("target/mutants.diff");
    std::fs::create_dir_all(root.join("target"))
        .and_then(|()| std::fs::write(&path, &diff.stdout))
        .map_err(|e| tool_error(format!("cannot write the diff: {e}"), "check target/"))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_count_each_files_outcomes() {
        let outcomes = serde_json::json!({"outcomes": [
            {"scenario": "Baseline", "summary": "Success"},
            {"scenario": {"Mutant": {"file": "a.rs"}}, "summary": "CaughtMutant"},
            {"scenario": {"Mutant": {"file": "a.rs"}}, "summary": "MissedMutant"},
            {"scenario": {"Mutant": {"file": "a.rs"}}, "summary": "Timeout"},
            {"scenario": {"Mutant": {"file": "a.rs"}}, "summary": "Unviable"},
            {"scenario": {"Mutant": {"file": "b.rs"}}, "summary": "Unviable"}
        ]});
        let scores = scores(&outcomes);
        let a = &scores["a.rs"];
        assert_eq!((a.caught, a.missed, a.timeout, a.unviable), (1, 1, 1, 1));
        assert_eq!(a.ratio(), Some(2.0 / 3.0));
        assert_eq!(scores["b.rs"].ratio(), None, "nothing viable");
    }

    #[test]
    fn each_file_is_tested_with_its_suites() {
        let bulk = "crates/event-invites/src/artsvp/bulk/engine.rs";
        assert_eq!(test_args(bulk, Tests::Suites), ["--lib", "--test", "bulk"]);
        assert_eq!(test_args(bulk, Tests::Lib), ["--lib"]);
        assert_eq!(features("event-invites"), Some("redis,metrics"));
        assert_eq!(features("event-invites-cli"), None);
        assert!(test_args(bulk, Tests::Full).is_empty());
        let journal = "crates/event-invites-cli/src/journal.rs";
        assert_eq!(test_args(journal, Tests::Lib), ["--bin", "event-invites"]);
        let verdict = "crates/event-invites/src/verdict.rs";
        assert_eq!(
            test_args(verdict, Tests::Suites),
            ["--lib"],
            "unit tests only"
        );
        // A folder's suites hold for each file in it, and for no other.
        let cause = "crates/event-invites/src/pipeline/classify/cause.rs";
        assert_eq!(
            test_args(cause, Tests::Suites),
            ["--lib", "--test", "errors", "--test", "fault_matrix"]
        );
        let beside = "crates/event-invites/src/pipeline/classify_more.rs";
        assert_eq!(test_args(beside, Tests::Suites), ["--lib"]);
        for (entry, _) in SUITES {
            assert!(
                DECISION_CORE
                    .iter()
                    .any(|f| f == entry || f.starts_with(entry)),
                "{entry} is not in the core"
            );
        }
    }
}
