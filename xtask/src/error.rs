//! The one error type of the xtask: what went wrong, in which file, at which
//! JSON pointer, and what the maintainer should do about it.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem that stops `cargo xtask codegen`. Its `Display` is what the
/// maintainer reads: file, JSON pointer (when there is one), the problem and
/// a fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The file the problem is in (a spec, an overlay or a generated file).
    pub file: PathBuf,
    /// RFC 6901 JSON pointer into the document, when the problem has a place.
    pub pointer: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

impl Error {
    /// A problem at `pointer` inside `file`.
    pub fn at(
        file: &Path,
        pointer: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_path_buf(),
            pointer: Some(pointer.into()),
            message: message.into(),
            help: help.into(),
        }
    }

    /// A problem with `file` as a whole.
    pub fn file(file: &Path, message: impl Into<String>, help: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            pointer: None,
            message: message.into(),
            help: help.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(pointer) = &self.pointer {
            // An empty pointer is the document root.
            write!(
                f,
                " at `{}`",
                if pointer.is_empty() { "/" } else { pointer }
            )?;
        }
        write!(f, ": {}\n  help: {}", self.message, self.help)
    }
}

impl std::error::Error for Error {}

/// Appends one reference token to a JSON pointer, escaping `~` and `/` as
/// RFC 6901 requires.
pub fn push_pointer(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(
            push_pointer("/paths", "/events/{event_id}"),
            "/paths/~1events~1{event_id}"
        );
        assert_eq!(push_pointer("", "a~b"), "/a~0b");
    }

    #[test]
    fn display_names_file_pointer_and_help() {
        let e = Error::at(Path::new("specs/x.yaml"), "/a/b", "bad thing", "do this");
        assert_eq!(
            e.to_string(),
            "specs/x.yaml at `/a/b`: bad thing\n  help: do this"
        );
    }
}
