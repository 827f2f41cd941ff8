//! `cargo xtask release-check [--baseline REV]`: the version bump each
//! publishable library crate needs, from cargo-semver-checks (pinned; it
//! has no wheel, so it is built once with `cargo install --locked` into
//! cargo's bin directory and found there next time) run against a baseline:
//! the last `v*` tag, or the revision given.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::error::Error;

/// The cargo-semver-checks this project uses.
pub const SEMVER_CHECKS_VERSION: &str = "0.51.0";

/// One crate's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The crate.
    pub name: String,
    /// Its version now.
    pub version: String,
    /// What cargo-semver-checks said it needs: `none`, `minor` or `major`
    /// (at 0.x a `major` is the next minor, `0.1.0` → `0.2.0`).
    pub bump: String,
    /// The line cargo-semver-checks summed it up with.
    pub summary: String,
}

fn tool_error(message: String, fix: &str) -> Error {
    Error::file(Path::new("xtask/src/release.rs"), message, fix)
}

/// The baseline: `given`, else the last `v*` tag.
pub fn baseline(root: &Path, given: Option<&str>) -> Result<String, Error> {
    if let Some(rev) = given {
        return Ok(rev.to_string());
    }
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["describe", "--tags", "--abbrev=0", "--match", "v*"])
        .output()
        .map_err(|e| tool_error(format!("cannot run git: {e}"), "install git"))?;
    let tag = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if output.status.success() && !tag.is_empty() {
        Ok(tag)
    } else {
        Err(tool_error(
            "no `v*` tag to compare with (nothing has been released yet)".into(),
            "pass --baseline REV, e.g. the commit of the last release",
        ))
    }
}

/// Installs the pinned cargo-semver-checks unless it is there.
pub fn ensure_tool() -> Result<(), Error> {
    let installed = Command::new("cargo-semver-checks")
        .args(["semver-checks", "--version"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    if installed
        .as_deref()
        .is_some_and(|v| v.contains(SEMVER_CHECKS_VERSION))
    {
        return Ok(());
    }
    eprintln!(
        "installing cargo-semver-checks {SEMVER_CHECKS_VERSION} (once; it has no prebuilt wheel, \
         so this compiles it, a few minutes)"
    );
    let started = Instant::now();
    let status = Command::new("cargo")
        .args(["install", "--locked", "--version", SEMVER_CHECKS_VERSION])
        .arg("cargo-semver-checks")
        .status()
        .map_err(|e| tool_error(format!("cannot run cargo install: {e}"), "check cargo"))?;
    if !status.success() {
        return Err(tool_error(
            format!("cargo install cargo-semver-checks {SEMVER_CHECKS_VERSION} failed"),
            "read cargo's output above",
        ));
    }
    eprintln!(
        "installed cargo-semver-checks in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The publishable library crates, with their versions, from `cargo
/// metadata`.
pub fn publishable(root: &Path) -> Result<Vec<(String, String)>, Error> {
    let output = Command::new("cargo")
        .current_dir(root)
        .args(["metadata", "--no-deps", "--format-version", "1", "--locked"])
        .output()
        .map_err(|e| tool_error(format!("cannot run cargo metadata: {e}"), "check cargo"))?;
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| tool_error(format!("cargo metadata: {e}"), "run it by hand"))?;
    let mut crates = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        // `publish: []` is `publish = false`.
        let unpublished = package["publish"].as_array().is_some_and(Vec::is_empty);
        let library = package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "lib"))
            });
        if !unpublished && library {
            crates.push((
                package["name"].as_str().unwrap_or_default().to_string(),
                package["version"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    crates.sort();
    Ok(crates)
}

/// The bump a cargo-semver-checks run's output asks for.
pub fn bump_of(output: &str) -> (String, String) {
    let summary = output
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("Summary"))
        .unwrap_or_default()
        .to_string();
    let bump = if summary.contains("new major version") {
        "major"
    } else if summary.contains("new minor version") {
        "minor"
    } else if summary.contains("no semver update required") {
        "none"
    } else {
        "unknown"
    };
    (bump.to_string(), summary)
}

/// Runs cargo-semver-checks on every publishable library crate against
/// `baseline`.
pub fn run(root: &Path, baseline: &str) -> Result<Vec<Verdict>, Error> {
    ensure_tool()?;
    let mut verdicts = Vec::new();
    for (name, version) in publishable(root)? {
        eprintln!("checking {name} {version} against {baseline}…");
        let started = Instant::now();
        let output = Command::new("cargo")
            .current_dir(root)
            .args(["semver-checks", "check-release", "--baseline-rev", baseline])
            .args(["--package", &name])
            .output()
            .map_err(|e| tool_error(format!("cannot run cargo semver-checks: {e}"), "check it"))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let (bump, summary) = bump_of(&text);
        if bump == "unknown" {
            return Err(tool_error(
                format!("cargo semver-checks gave no verdict for {name}:\n{text}"),
                "read its output; a baseline that does not build cannot be compared",
            ));
        }
        eprintln!("  {summary} ({:.0} s)", started.elapsed().as_secs_f64());
        verdicts.push(Verdict {
            name,
            version,
            bump,
            summary,
        });
    }
    Ok(verdicts)
}

/// The next version for a bump: at 0.x a breaking change is the next
/// minor, an addition the next patch.
pub fn next_version(version: &str, bump: &str) -> String {
    let parts: Vec<u64> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    let (major, minor, patch) = (parts[0], parts[1], parts[2]);
    match (major, bump) {
        (_, "none") => version.to_string(),
        (0, "major") => format!("0.{}.0", minor + 1),
        (0, _) => format!("0.{minor}.{}", patch + 1),
        (_, "major") => format!("{}.0.0", major + 1),
        (_, _) => format!("{major}.{}.0", minor + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line_gives_the_bump() {
        let major = "     Checking event-invites v0.2.0 -> v0.1.0\n     Summary semver requires new major version: 2 major and 0 minor checks failed\n";
        assert_eq!(bump_of(major).0, "major");
        let minor =
            "     Summary semver requires new minor version: 0 major and 1 minor checks failed";
        assert_eq!(bump_of(minor).0, "minor");
        let none = "     Summary no semver update required";
        assert_eq!(bump_of(none).0, "none");
        assert_eq!(bump_of("error: something else").0, "unknown");
    }

    #[test]
    fn at_zero_x_a_major_bump_is_the_next_minor() {
        assert_eq!(next_version("0.1.0", "major"), "0.2.0");
        assert_eq!(next_version("0.1.0", "minor"), "0.1.1");
        assert_eq!(next_version("0.1.3", "none"), "0.1.3");
        assert_eq!(next_version("1.4.2", "major"), "2.0.0");
        assert_eq!(next_version("1.4.2", "minor"), "1.5.0");
    }

    #[test]
    fn publishable_library_crates_come_from_cargo_metadata() {
        let crates = publishable(&crate::workspace_root()).unwrap();
        let names: Vec<&str> = crates.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names.contains(&"event-invites") && names.contains(&"securegate-api"));
        assert!(
            !names.contains(&"xtask") && !names.contains(&"event-invites-cli"),
            "{names:?}"
        );
    }
}
