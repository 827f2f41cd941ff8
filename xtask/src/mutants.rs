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
    "crates/event-invites/src/retry.rs",
    "crates/event-invites/src/pacing.rs",
    "crates/event-invites/src/classify.rs",
    "crates/event-invites/src/call.rs",
    "crates/event-invites/src/transport.rs",
    "crates/event-invites/src/artsvp/bulk.rs",
    "crates/event-invites/src/redact.rs",
    "crates/event-invites-cli/src/journal.rs",
];

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

/// Runs cargo-mutants on `files` (or only the mutants in the diff since
/// `in_diff`), with the packages' whole test suites, or only their unit
/// tests (`lib_only`: minutes instead of hours, a lower bound of the
/// score). Returns the per-file scores.
pub fn run(
    root: &Path,
    files: &[String],
    in_diff: Option<&str>,
    lib_only: bool,
) -> Result<BTreeMap<String, Score>, Error> {
    ensure_tool()?;
    let out_dir = root.join("target/mutants");
    let mut command = Command::new("cargo");
    command
        .current_dir(root)
        .args(["mutants", "--no-shuffle", "--timeout", "300", "--output"])
        .arg(&out_dir);
    let mut packages: Vec<&str> = files
        .iter()
        .filter_map(|f| f.strip_prefix("crates/")?.split('/').next())
        .collect();
    packages.sort_unstable();
    packages.dedup();
    for package in &packages {
        command.args(["--package", package]);
    }
    for file in files {
        command.args(["--file", file]);
    }
    if let Some(rev) = in_diff {
        let diff = Command::new("git")
            .current_dir(root)
            .args(["diff", rev])
            .output()
            .map_err(|e| tool_error(format!("cannot run git diff: {e}"), "install git"))?;
        let path = out_dir.with_extension("diff");
        std::fs::create_dir_all(root.join("target"))
            .and_then(|()| std::fs::write(&path, &diff.stdout))
            .map_err(|e| tool_error(format!("cannot write the diff: {e}"), "check target/"))?;
        command.arg("--in-diff").arg(&path);
    }
    if lib_only {
        command.args(["--", "--lib"]);
    }
    // cargo-mutants exits non-zero when a mutant is missed: the scores below
    // say which, so only a failure to run at all is an error here.
    let status = command
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
}
