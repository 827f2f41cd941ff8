//! What the command-line tests share: a directory of each test's own.

// Each test binary uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A directory of the test's own, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// `event-invites-cli-NAME-PID` in the temp directory, empty.
    pub fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("event-invites-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.0
    }

    /// `file` in the directory.
    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
