//! Every feature of the facade is a row of the guide's features table
//! (guide/src/sdk.md, "Features"), and the table lists no feature the
//! facade does not have: a user choosing features reads that table.

use std::collections::BTreeSet;
use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The features `[features]` of a manifest declares, but `default`.
fn declared(manifest: &str) -> BTreeSet<String> {
    manifest
        .lines()
        .skip_while(|l| l.trim() != "[features]")
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.split_once(" = ").map(|(name, _)| name.trim()))
        .filter(|name| !name.starts_with('#') && *name != "default")
        .map(str::to_string)
        .collect()
}

/// The first cell of each row of the table under `## Features`, one
/// backticked name each (`rustls` (default) counts as `rustls`).
fn documented(page: &str) -> BTreeSet<String> {
    page.lines()
        .skip_while(|l| l.trim() != "## Features")
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(name, _)| name.to_string()))
        .collect()
}

#[test]
fn every_feature_of_the_facade_is_in_the_guides_table_and_no_other() {
    let declared = declared(&read("crates/event-invites/Cargo.toml"));
    let documented = documented(&read("guide/src/sdk.md"));
    assert!(
        declared.len() >= 7,
        "read the manifest's features: {declared:?}"
    );
    assert_eq!(
        declared, documented,
        "the features of event-invites (left) against the rows of the guide's table \
         in guide/src/sdk.md (right)"
    );
}

#[test]
fn the_readers_take_what_they_should() {
    let manifest = "[package]\nname = \"x\"\n\n[features]\ndefault = [\"a\"]\n# a comment\na = []\nb-c = [\"dep:b\"]\n\n[dependencies]\nd = \"1\"\n";
    assert_eq!(
        declared(manifest),
        BTreeSet::from(["a".into(), "b-c".into()])
    );
    let page = "# P\n| `x` | not this table |\n## Features\n\n| feature | what |\n|---|---|\n| `a` (default) | … |\n| `b-c` | … |\n\nAfter.\n| `z` | another table |\n";
    assert_eq!(documented(page), BTreeSet::from(["a".into(), "b-c".into()]));
}
