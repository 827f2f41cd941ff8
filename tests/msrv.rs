//! The MSRV each crate states (`rust-version`) is not below what its
//! dependencies state: `cargo metadata` is read, every normal and build
//! dependency reachable from a workspace crate is visited, and any whose
//! own `rust-version` is newer than the crate's is reported. (This machine
//! has one toolchain, so the MSRV is not compiled; this is what can be
//! checked here. Resolver 3 already picks dependency versions that fit.)

use std::collections::{HashMap, HashSet};

/// `1.89` and `1.89.0` alike, as numbers.
fn version(text: &str) -> Vec<u64> {
    let mut parts: Vec<u64> = text.split('.').filter_map(|p| p.parse().ok()).collect();
    parts.resize(3, 0);
    parts
}

/// `cargo metadata` of the workspace, every feature on.
fn metadata() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--all-features",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Every package `member` needs to build and run (normal and build
/// dependencies, transitively; not dev-dependencies).
fn runtime_dependencies<'a>(
    nodes: &HashMap<&str, &'a serde_json::Value>,
    member: &'a str,
) -> HashSet<&'a str> {
    let mut seen = HashSet::new();
    let mut todo = vec![member];
    while let Some(id) = todo.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let runtime = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].as_str() != Some("dev"));
            let dep_id = dep["pkg"].as_str().unwrap();
            if runtime && seen.insert(dep_id) {
                todo.push(dep_id);
            }
        }
    }
    seen
}

#[test]
fn no_dependency_needs_a_newer_rust_than_the_crate_states() {
    let meta = metadata();
    let packages: HashMap<&str, &serde_json::Value> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p))
        .collect();
    let nodes: HashMap<&str, &serde_json::Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let mut problems = Vec::new();
    for member in meta["workspace_members"].as_array().unwrap() {
        let member = member.as_str().unwrap();
        let package = packages[member];
        let Some(ours) = package["rust_version"].as_str() else {
            continue;
        };
        for id in runtime_dependencies(&nodes, member) {
            let dep = packages[id];
            if let Some(theirs) = dep["rust_version"].as_str()
                && version(theirs) > version(ours)
            {
                problems.push(format!(
                    "{} states rust-version {ours}, but {} {} needs {theirs}",
                    package["name"], dep["name"], dep["version"]
                ));
            }
        }
    }
    problems.sort();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
