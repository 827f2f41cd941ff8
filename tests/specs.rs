//! The vendor's document in `specs/` is the one published in the vendor's
//! docs (kept in `specs/vendor-docs/` with their provenance), byte for
//! byte: when the vendor's page changes, this test says so. And the facts
//! the generated crates state (`artsvp_api::facts`, `securegate_api::facts`)
//! agree with those documents.

use sha2::{Digest, Sha256};
use workspace_tests::{read_vendor_doc, vendor_doc_hashes, vendor_docs};

#[test]
fn the_vendor_docs_are_the_copies_their_provenance_names() {
    let rows = vendor_doc_hashes();
    let mut kept: Vec<String> = std::fs::read_dir(vendor_docs())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "PROVENANCE.md")
        .collect();
    kept.sort();
    let mut listed: Vec<String> = rows.iter().map(|(file, _)| file.clone()).collect();
    listed.sort();
    assert_eq!(
        kept, listed,
        "every kept file has exactly one provenance row"
    );
    for (file, recorded) in rows {
        let bytes = std::fs::read(vendor_docs().join(&file)).unwrap();
        let actual = format!("{:x}", Sha256::digest(&bytes));
        assert_eq!(
            actual, recorded,
            "{file} changed: record its new SHA-256, date and source in specs/vendor-docs/PROVENANCE.md"
        );
    }
}

#[test]
fn securegate_spec_is_the_vendor_document_byte_for_byte() {
    let markdown = read_vendor_doc("securegate-get-invites.md");
    let published = xtask::fenced_yaml(&markdown).expect("the page ends with a ```yaml fence");
    let ours = std::fs::read_to_string(xtask::workspace_root().join("specs/securegate.yaml"))
        .expect("specs/securegate.yaml exists");
    assert!(
        ours == published,
        "specs/securegate.yaml differs from the document at the end of \
         securegate-get-invites.md: copy the fenced YAML over it byte for byte, put any fix in \
         specs/securegate.overlay.yaml, and run `cargo xtask codegen`\n{}",
        xtask::codegen::unified_diff(&ours, published, "specs/securegate.yaml")
    );
}

#[test]
fn securegate_fixture_is_the_docs_example() {
    let markdown = read_vendor_doc("securegate-get-invites.md");
    let start = markdown
        .find("```json")
        .expect("the page has a JSON example");
    let body_start = start + markdown[start..].find('\n').unwrap() + 1;
    let body_end = body_start + markdown[body_start..].find("```").unwrap();
    let docs: serde_json::Value = serde_json::from_str(&markdown[body_start..body_end]).unwrap();
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            xtask::workspace_root().join("tests/fixtures/securegate/get_invites.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(fixture, docs);
}

#[test]
fn the_api_facts_agree_with_the_specs_and_the_vendors_docs() {
    use artsvp_api::facts as artsvp;
    use securegate_api::facts as securegate;
    let read = |path: &str| std::fs::read_to_string(xtask::workspace_root().join(path)).unwrap();

    let spec = read("specs/artsvp.yaml");
    assert!(spec.contains(artsvp::BASE_URL), "servers[0].url");
    assert!(spec.contains(artsvp::RATE_LIMIT_REMAINING));
    let docs = read("specs/vendor-docs/artsvp-api-v2.md");
    assert!(
        docs.contains("1,000") || docs.contains("1000"),
        "the published quota"
    );

    let spec = read("specs/securegate.yaml");
    assert!(spec.contains(&format!("name: {}", securegate::KEY_HEADER)));
    assert!(spec.contains(&format!("url: {}", securegate::BASE_URL)));
}
