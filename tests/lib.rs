//! Helpers shared by the workspace-level tests (see `specs.rs`, `codegen_fresh.rs`).
