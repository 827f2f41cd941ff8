//! The vendor's document in `specs/` is the one published in the shared API
//! docs, byte for byte: when the vendor's page changes, this test says so.

use std::path::PathBuf;

fn shared_doc(name: &str) -> PathBuf {
    xtask::workspace_root()
        .join("../shared/api-docs")
        .join(name)
}

#[test]
fn securegate_spec_is_the_vendor_document_byte_for_byte() {
    let doc_path = shared_doc("securegate-get-invites.md");
    let markdown = std::fs::read_to_string(&doc_path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; the shared API docs must sit beside the workspace",
            doc_path.display()
        )
    });
    let published = xtask::fenced_yaml(&markdown).expect("the page ends with a ```yaml fence");
    let ours = std::fs::read_to_string(xtask::workspace_root().join("specs/securegate.yaml"))
        .expect("specs/securegate.yaml exists");
    assert!(
        ours == published,
        "specs/securegate.yaml differs from the document in {}: copy the fenced YAML over it \
         byte for byte, put any fix in specs/securegate.overlay.yaml, and run `cargo xtask codegen`\n{}",
        doc_path.display(),
        xtask::codegen::unified_diff(&ours, published, "specs/securegate.yaml")
    );
}
