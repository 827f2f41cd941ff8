//! The vendor's document in `specs/` is the one published in the shared API
//! docs, byte for byte: when the vendor's page changes, this test says so.

use workspace_tests::read_shared_doc;

#[test]
fn securegate_spec_is_the_vendor_document_byte_for_byte() {
    let markdown = read_shared_doc("securegate-get-invites.md");
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
    let markdown = read_shared_doc("securegate-get-invites.md");
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
