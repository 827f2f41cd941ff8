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
