//! `cargo xtask update-spec NAME PATH [--source TEXT]`: a vendor's new
//! document, taken in whole or not at all. Everything is checked before a
//! file is written: the document parses, every overlay action still
//! matches, the normalizer and the generator take it. Then the vendor's file
//! is kept in `specs/vendor-docs/` with its provenance (file, SHA-256, date,
//! source), the spec and the generated code are written, and the change
//! report and a CHANGELOG draft are returned. A failure leaves every file as
//! it was and names the file, the JSON pointer and a fix.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::changes;
use crate::codegen::{self, Spec};
use crate::error::Error;
use crate::overlay;

/// What an update did.
#[derive(Debug)]
pub struct Update {
    /// The files written, relative to the root.
    pub written: Vec<PathBuf>,
    /// The change report, as text.
    pub report: String,
    /// The same, as Markdown for CHANGELOG.md.
    pub changelog: String,
}

/// Takes in the vendor's document at `path` for the spec `name`.
pub fn run(root: &Path, name: &str, path: &Path, source: Option<&str>) -> Result<Update, Error> {
    let spec = codegen::discover(root)?
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| {
            Error::file(
                &Path::new("specs").join(format!("{name}.yaml")),
                format!("there is no spec named `{name}`"),
                "name one of the specs under specs/ (e.g. securegate)",
            )
        })?;
    let bytes = std::fs::read(path)
        .map_err(|e| Error::file(path, format!("cannot read: {e}"), "check the path"))?;
    let yaml = vendor_yaml(path, &bytes)?;
    let (code, prepared) = check(root, &spec, path, yaml)?;
    // Everything checked: now write, spec last but one, code last.
    let before = codegen::prepare(root, &spec).ok().map(|(doc, _)| doc);
    let file_name = path
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(format!("{name}.yaml")));
    let kept = Path::new("specs/vendor-docs").join(&file_name);
    let write = |file: &Path, contents: &[u8]| {
        std::fs::write(root.join(file), contents)
            .map_err(|e| Error::file(file, format!("cannot write: {e}"), "check permissions"))
    };
    std::fs::create_dir_all(root.join("specs/vendor-docs")).map_err(|e| {
        Error::file(
            Path::new("specs/vendor-docs"),
            format!("cannot create: {e}"),
            "check permissions",
        )
    })?;
    write(&kept, &bytes)?;
    let provenance = Path::new("specs/vendor-docs/PROVENANCE.md");
    let table = std::fs::read_to_string(root.join(provenance)).unwrap_or_default();
    let row = provenance_row(name, path, &file_name, &bytes, source);
    write(provenance, with_row(&table, &row).as_bytes())?;
    write(&spec.spec, yaml.as_bytes())?;
    write(&spec.output, code.as_bytes())?;
    let changes = before.map_or_else(Vec::new, |before| changes::diff(&before, &prepared));
    let api = match name {
        "securegate" => "SecureGate",
        "artsvp" => "ARTSVP",
        other => other,
    };
    Ok(Update {
        written: vec![
            kept,
            provenance.to_path_buf(),
            spec.spec.clone(),
            spec.output.clone(),
        ],
        report: changes::text(api, &changes),
        changelog: changes::markdown(api, &format!("{name}-api"), &changes),
    })
}

/// The OpenAPI document in what the vendor gave: a page's last ```yaml
/// fence (`.md`), or the YAML itself.
fn vendor_yaml<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, Error> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        Error::file(
            path,
            "not UTF-8 text",
            "pass the vendor's page or YAML file",
        )
    })?;
    if path.extension().is_some_and(|e| e == "md") {
        crate::fenced_yaml(text).ok_or_else(|| {
            Error::file(
                path,
                "no ```yaml fence in this page",
                "pass the vendor's page whose last ```yaml fence is the OpenAPI document, or the \
                 YAML file itself",
            )
        })
    } else {
        Ok(text)
    }
}

/// The provenance row of a kept vendor file: its name, hash, today's
/// date, and where it came from.
fn provenance_row(
    name: &str,
    path: &Path,
    file_name: &Path,
    bytes: &[u8],
    source: Option<&str>,
) -> Row {
    let source = source.map_or_else(
        || {
            format!(
                "given to `cargo xtask update-spec {name}` as `{}`",
                path.display()
            )
        },
        str::to_string,
    );
    Row {
        file: file_name.display().to_string(),
        sha256: format!("{:x}", Sha256::digest(bytes)),
        date: today(),
        source,
    }
}

/// Checks the new document as the generator would take it, writing
/// nothing: the generated code and the prepared document.
fn check(root: &Path, spec: &Spec, path: &Path, yaml: &str) -> Result<(String, Value), Error> {
    let in_new = |mut e: Error| {
        e.message = format!("the new document ({}): {}", path.display(), e.message);
        e.help = format!("{}; nothing was changed", e.help);
        e
    };
    let mut doc: Value = serde_saphyr::from_str(yaml).map_err(|e| {
        in_new(Error::file(
            path,
            format!("not valid YAML: {e}"),
            "fix it, or ask the vendor for a document that parses",
        ))
    })?;
    if let Some(overlay_file) = &spec.overlay {
        let overlay_doc = codegen::read_yaml(root, overlay_file)?;
        overlay::apply(&mut doc, overlay_doc, overlay_file).map_err(in_new)?;
    }
    let (prepared, _warnings) = codegen::prepare_doc(doc, spec).map_err(in_new)?;
    let code = codegen::generate_from(&prepared, spec).map_err(in_new)?;
    Ok((code, prepared))
}

/// One row of the provenance table.
struct Row {
    file: String,
    sha256: String,
    date: String,
    source: String,
}

/// `table` with the row for `row.file` replaced (or added at the end).
fn with_row(table: &str, row: &Row) -> String {
    let line = format!(
        "| {} | {} | {} | {} |",
        row.file, row.sha256, row.date, row.source
    );
    let mut lines: Vec<String> = table.lines().map(str::to_string).collect();
    let ours = |l: &String| l.starts_with(&format!("| {} |", row.file));
    match lines.iter().position(ours) {
        Some(i) => lines[i] = line,
        None if lines.iter().any(|l| l.starts_with("|---")) => lines.push(line),
        None => {
            lines.push("| file | sha256 | copied | from |".into());
            lines.push("|---|---|---|---|".into());
            lines.push(line);
        }
    }
    lines.join("\n") + "\n"
}

/// Today's date, `YYYY-MM-DD` (UTC).
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    civil(i64::try_from(days).unwrap_or(0))
}

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_provenance_rows() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(20_788), "2026-12-01");
        let row = Row {
            file: "a.md".into(),
            sha256: "00".into(),
            date: "2026-12-01".into(),
            source: "the vendor".into(),
        };
        let table = "# P\n\n| file | sha256 | copied | from |\n|---|---|---|---|\n| a.md | ff | 2026-01-01 | old |\n| b.md | ee | 2026-01-01 | old |\n";
        let updated = with_row(table, &row);
        assert!(updated.contains("| a.md | 00 | 2026-12-01 | the vendor |"));
        assert!(updated.contains("| b.md | ee |") && !updated.contains("| a.md | ff"));
        let fresh = with_row("", &row);
        assert!(
            fresh.contains("|---|") && fresh.ends_with("| a.md | 00 | 2026-12-01 | the vendor |\n")
        );
    }
}
