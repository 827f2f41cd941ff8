//! `cargo xtask conformance`: both fake servers against their documents
//! with Schemathesis (property-based tests from the OpenAPI documents:
//! examples, coverage, fuzzing and stateful phases, every check).
//!
//! Schemathesis is pinned with every dependency and hashed in
//! `.ci/requirements-conformance.txt` and installed into
//! `<target>/conformance/venv` when missing. The fakes run as the
//! stand-alone program (`--seed 42 --rate-limit off` and fixed keys), so the
//! seeded ids in `conformance/<api>.toml` name real objects. SecureGate is
//! tested against its document with our overlay applied (what the fake
//! implements), written to `<target>/conformance/securegate.json`. Each
//! config file lists its accepted exceptions with the reason;
//! `conformance/<api>_hooks.py`, when present, is loaded as Schemathesis
//! hooks (ARTSVP's points generated creates at a seeded event).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::codegen;

/// The pinned requirements file, relative to the workspace root.
pub const REQUIREMENTS: &str = ".ci/requirements-conformance.txt";

/// The API keys the fakes are started with (the config files send them).
const KEYS: [(&str, &str); 2] = [
    ("--artsvp-key", "conformance-artsvp-key"),
    ("--securegate-key", "conformance-securegate-key"),
];

/// One API's run.
struct Target {
    name: &'static str,
    /// The document Schemathesis reads.
    document: PathBuf,
}

/// Kills the fake program however the run ends.
struct Fake(Child);

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the conformance suite; `Err` says what failed.
pub fn run(root: &Path) -> Result<(), String> {
    let target_dir = target_dir(root)?;
    let work = target_dir.join("conformance");
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let schemathesis = install(root, &work)?;
    let fake_bin = build_fake(root, &target_dir)?;

    let securegate_doc = securegate_document(root, &work)?;
    let (fake, info) = start_fake(&fake_bin)?;
    let targets = [
        Target {
            name: "artsvp",
            document: root.join("specs/artsvp.yaml"),
        },
        Target {
            name: "securegate",
            document: securegate_doc,
        },
    ];
    let mut failed = Vec::new();
    for target in &targets {
        let base_url = info[target.name]["base_url"]
            .as_str()
            .ok_or_else(|| format!("the fake did not say where {} is", target.name))?;
        let status = schemathesis_run(root, &schemathesis, &work, target, base_url)?;
        if !status.success() {
            failed.push(target.name);
        }
    }
    drop(fake);
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "Schemathesis found failures for: {} (above); fix the fake or the spec, or, for a \
             deliberate difference, list it with its reason in conformance/<api>.toml",
            failed.join(", ")
        ))
    }
}

/// SecureGate's document with our overlay applied, written to `work`.
fn securegate_document(root: &Path, work: &Path) -> Result<PathBuf, String> {
    let path = work.join("securegate.json");
    let specs = codegen::discover(root).map_err(|e| e.to_string())?;
    let securegate = specs
        .iter()
        .find(|s| s.name == "securegate")
        .ok_or("specs/securegate.yaml is missing")?;
    let doc = codegen::with_overlay(root, securegate).map_err(|e| e.to_string())?;
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Runs Schemathesis on one API's document against its fake, with its
/// `conformance/<api>.toml` and, when there is one, its hooks module.
fn schemathesis_run(
    root: &Path,
    schemathesis: &Path,
    work: &Path,
    target: &Target,
    base_url: &str,
) -> Result<std::process::ExitStatus, String> {
    let dir = root.join("conformance");
    let config = dir.join(format!("{}.toml", target.name));
    eprintln!("conformance: {} at {base_url}", target.name);
    let mut command = Command::new(schemathesis);
    // `conformance/<api>_hooks.py`, when there is one, is loaded as a
    // Schemathesis hooks module.
    let hooks = format!("{}_hooks", target.name);
    if dir.join(format!("{hooks}.py")).exists() {
        command
            .env("PYTHONPATH", &dir)
            .env("SCHEMATHESIS_HOOKS", &hooks)
            .env("PYTHONDONTWRITEBYTECODE", "1");
    }
    command
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(&target.document)
        .args(["--url", base_url, "--checks", "all", "--no-color"])
        .current_dir(work)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", schemathesis.display()))
}

fn target_dir(root: &Path) -> Result<PathBuf, String> {
    let out = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    let metadata: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("cargo metadata printed no JSON: {e}"))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata has no target_directory".into())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// The Schemathesis executable, installed from the pinned requirements when
/// missing.
fn install(root: &Path, work: &Path) -> Result<PathBuf, String> {
    let venv = work.join("venv");
    let schemathesis = venv.join("bin/schemathesis");
    let stamp = venv.join("requirements.txt");
    let wanted = std::fs::read_to_string(root.join(REQUIREMENTS))
        .map_err(|e| format!("{REQUIREMENTS}: {e}"))?;
    if schemathesis.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&wanted) {
        return Ok(schemathesis);
    }
    eprintln!("conformance: installing Schemathesis from {REQUIREMENTS}");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run_command(Command::new(&python).args(["-m", "venv"]).arg(&venv))?;
    run_command(
        Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--only-binary",
                ":all:",
                "--require-hashes",
                "-r",
            ])
            .arg(root.join(REQUIREMENTS)),
    )?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(schemathesis)
}

fn run_command(command: &mut Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed ({status})"))
    }
}

fn build_fake(root: &Path, target_dir: &Path) -> Result<PathBuf, String> {
    run_command(
        Command::new(cargo())
            .args([
                "build",
                "--locked",
                "-p",
                "event-invites-fake-server",
                "--bin",
                "event-invites-fake",
            ])
            .current_dir(root),
    )?;
    Ok(target_dir.join("debug/event-invites-fake"))
}

/// Starts the fake program and reads the JSON line saying where it is.
fn start_fake(bin: &Path) -> Result<(Fake, Value), String> {
    let mut command = Command::new(bin);
    command.args(["--seed", "42", "--rate-limit", "off"]);
    for (flag, key) in KEYS {
        command.args([flag, key]);
    }
    let mut child = Fake(
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?,
    );
    let stdout = child.0.stdout.take().ok_or("the fake has no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| format!("reading the fake's first line: {e}"))?;
    let info = serde_json::from_str(&line)
        .map_err(|e| format!("the fake's first line is not JSON ({e}): {line:?}"))?;
    Ok((child, info))
}
