//! The committed generated code is what `cargo xtask codegen` makes now, so
//! plain `cargo test` fails on stale code (the same check as
//! `cargo xtask codegen --check`).

#[test]
fn generated_code_is_fresh() {
    let report = xtask::codegen::run(&xtask::workspace_root(), true)
        .unwrap_or_else(|e| panic!("cargo xtask codegen fails: {e}"));
    let stale: Vec<String> = report
        .stale
        .iter()
        .map(|s| format!("{}\n{} is stale", s.diff, s.output.display()))
        .collect();
    assert!(
        stale.is_empty(),
        "{}\nfix: run `cargo xtask codegen` and commit the result",
        stale.join("\n")
    );
}

#[test]
fn generator_and_runtime_are_pinned_to_the_version_the_code_names() {
    let root = xtask::workspace_root();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let version = xtask::codegen::PROGENITOR_VERSION;
    assert!(
        manifest.contains(&format!(
            "progenitor = {{ version = \"={version}\", default-features = false }}"
        )),
        "the workspace must pin progenitor to ={version}"
    );
    assert!(
        manifest.contains(&format!("progenitor-client = \"={version}\"")),
        "the workspace must pin progenitor-client to ={version}"
    );
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    for name in ["progenitor", "progenitor-client", "progenitor-impl"] {
        assert!(
            lock.contains(&format!("name = \"{name}\"\nversion = \"{version}\"")),
            "Cargo.lock must hold {name} {version}"
        );
    }
}
