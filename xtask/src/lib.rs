//! Maintainer tasks for the event-invites workspace, run as `cargo xtask …`.
//!
//! The library half exists so that workspace tests can run exactly what the
//! command runs (for instance, the generated-code freshness check).

pub mod builders;
pub mod changes;
pub mod codegen;
pub mod compiled_here;
pub mod conformance;
pub mod derives;
pub mod error;
pub mod footprint;
pub mod lint;
pub mod mutants;
pub mod normalize;
pub mod overlay;
pub mod presence;
pub mod provision;
pub mod release;
pub mod update;

pub use error::Error;

use std::path::{Path, PathBuf};

/// The workspace root: the directory holding `xtask/`.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Extracts the OpenAPI document that a vendor's Markdown page carries in its
/// last ```` ```yaml ```` (or longer) fence: every byte between the line that
/// opens the fence and the line that closes it. `None` if there is no fence.
pub fn fenced_yaml(markdown: &str) -> Option<&str> {
    let open = markdown.rfind("```yaml")?;
    // The fence is the run of backticks that ends at `yaml`.
    let fence_start = markdown[..open].rfind(|c| c != '`').map_or(0, |i| i + 1);
    let fence = &markdown[fence_start..open + 3];
    let body_start = open + markdown[open..].find('\n')? + 1;
    let close = markdown[body_start..].find(&format!("\n{fence}"))?;
    Some(&markdown[body_start..body_start + close + 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenced_yaml_takes_the_bytes_between_the_fences() {
        let md = "text\n````yaml GET /x\na: 1\n\nb: ```\n````\n";
        assert_eq!(fenced_yaml(md), Some("a: 1\n\nb: ```\n"));
        assert_eq!(fenced_yaml("```yaml\nx\n```"), Some("x\n"));
        assert_eq!(fenced_yaml("no fence"), None);
    }
}
