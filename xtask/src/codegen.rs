//! `cargo xtask codegen [--check]`: turns each `specs/<name>.yaml` (plus its
//! optional `specs/<name>.overlay.yaml`) into
//! `crates/<name>-api/src/generated.rs`.
//!
//! Pipeline: read YAML → apply the overlay (its targets address the document
//! as published) → normalize 3.1 to 3.0.3 → drop presence-rule combinators
//! (`presence`) → drop repeated enum values → check
//! for constructs progenitor panics on → progenitor (builder interface,
//! `schemars::JsonSchema` derived, behind the generated crate's `schemars`
//! feature) → each operation's future compiled in the generated crate
//! (`compiled_here`) → prettyplease → header.

use std::cell::Cell;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;

use serde_json::Value;

use crate::error::Error;
use crate::normalize::{self, Warning};
use crate::{lint, overlay, presence};

/// The progenitor version the generated code is made with; it must equal the
/// exact pin in the workspace `Cargo.toml` (a test checks).
pub const PROGENITOR_VERSION: &str = "0.15.1";

/// The command that regenerates the code, named in headers and errors.
pub const REGENERATE: &str = "cargo xtask codegen";

/// One spec and where its generated code goes. Paths are relative to the
/// workspace root, so that messages show them as a maintainer types them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// `securegate` for `specs/securegate.yaml`.
    pub name: String,
    /// `specs/<name>.yaml`.
    pub spec: PathBuf,
    /// `specs/<name>.overlay.yaml`, when it exists.
    pub overlay: Option<PathBuf>,
    /// `crates/<name>-api/src/generated.rs`.
    pub output: PathBuf,
}

/// The specs under `root/specs`, in name order.
pub fn discover(root: &Path) -> Result<Vec<Spec>, Error> {
    let dir = root.join("specs");
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        Error::file(
            Path::new("specs"),
            format!("cannot list the directory: {e}"),
            "run the xtask from the workspace (it looks for `specs/` beside `xtask/`)",
        )
    })?;
    let mut specs = Vec::new();
    for entry in entries {
        let file_name = entry
            .map_err(|e| Error::file(Path::new("specs"), e.to_string(), "check the directory"))?
            .file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let Some(name) = file_name.strip_suffix(".yaml") else {
            continue;
        };
        if name.ends_with(".overlay") {
            continue;
        }
        let overlay = Path::new("specs").join(format!("{name}.overlay.yaml"));
        specs.push(Spec {
            name: name.to_string(),
            spec: Path::new("specs").join(file_name),
            overlay: root.join(&overlay).exists().then_some(overlay),
            output: Path::new("crates")
                .join(format!("{name}-api"))
                .join("src")
                .join("generated.rs"),
        });
    }
    specs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(specs)
}

/// Reads a YAML file into a JSON value (key order kept).
pub fn read_yaml(root: &Path, file: &Path) -> Result<Value, Error> {
    let text = std::fs::read_to_string(root.join(file)).map_err(|e| {
        Error::file(
            file,
            format!("cannot read: {e}"),
            "check that the file exists",
        )
    })?;
    serde_saphyr::from_str(&text).map_err(|e| {
        Error::file(
            file,
            format!("not valid YAML: {e}"),
            "fix the YAML syntax at the line and column given",
        )
    })
}

/// The document as the API behaves: the spec with its overlay applied, in
/// its own OpenAPI version (what conformance tools are given).
pub fn with_overlay(root: &Path, spec: &Spec) -> Result<Value, Error> {
    let mut doc = read_yaml(root, &spec.spec)?;
    if let Some(overlay_file) = &spec.overlay {
        let overlay_doc = read_yaml(root, overlay_file)?;
        overlay::apply(&mut doc, overlay_doc, overlay_file)?;
    }
    Ok(doc)
}

/// The document progenitor is fed for `spec`: overlay applied, normalized to
/// OpenAPI 3.0.3, enum repeats removed, checked. Also returns the warnings.
pub fn prepare(root: &Path, spec: &Spec) -> Result<(Value, Vec<Warning>), Error> {
    prepare_doc(with_overlay(root, spec)?, spec)
}

/// The document progenitor would have been fed for `spec` as committed at
/// git's `HEAD` (spec and overlay), or `None` when there is no committed
/// version (a new spec, or not a git checkout).
pub fn prepare_committed(root: &Path, spec: &Spec) -> Result<Option<Value>, Error> {
    let show = |file: &Path| -> Option<String> {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .arg("show")
            .arg(format!("HEAD:{}", unix(file)))
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let parse = |file: &Path, text: &str| -> Result<Value, Error> {
        serde_saphyr::from_str(text).map_err(|e| {
            Error::file(
                file,
                format!("the committed version is not valid YAML: {e}"),
                "commit a valid version first",
            )
        })
    };
    let Some(text) = show(&spec.spec) else {
        return Ok(None);
    };
    let mut doc = parse(&spec.spec, &text)?;
    if let Some(overlay_file) = &spec.overlay
        && let Some(text) = show(overlay_file)
    {
        overlay::apply(&mut doc, parse(overlay_file, &text)?, overlay_file)?;
    }
    prepare_doc(doc, spec).map(|(doc, _)| Some(doc))
}

/// [`prepare`] on a document already read and overlaid.
pub fn prepare_doc(mut doc: Value, spec: &Spec) -> Result<(Value, Vec<Warning>), Error> {
    normalize::normalize(&mut doc, &spec.spec)?;
    presence::strip(&mut doc);
    let warnings = normalize::dedupe_enums(&mut doc, &spec.spec);
    lint::check(&doc, &spec.spec)?;
    Ok((doc, warnings))
}

/// Generates the formatted Rust source (with its header) for `spec`.
pub fn generate(root: &Path, spec: &Spec) -> Result<(String, Vec<Warning>), Error> {
    let (doc, warnings) = prepare(root, spec)?;
    let code = generate_from(&doc, spec)?;
    Ok((code, warnings))
}

/// Runs progenitor and prettyplease on an already prepared document.
pub fn generate_from(doc: &Value, spec: &Spec) -> Result<String, Error> {
    let openapi: openapiv3::OpenAPI = serde_json::from_value(doc.clone()).map_err(|e| {
        let (pointer, message) = locate_invalid(doc).unwrap_or((String::new(), e.to_string()));
        Error::at(
            &spec.spec,
            pointer,
            format!("not a valid OpenAPI 3.0 document after normalizing: {message}"),
            "fix the spec (or the overlay) at this place",
        )
    })?;
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq");
    let mut generator = progenitor::Generator::new(&settings);
    let tokens = without_panics(|| generator.generate_tokens(&openapi))
        .map_err(|message| {
            Error::file(
                &spec.spec,
                format!("progenitor {PROGENITOR_VERSION} panicked on this spec: {message}"),
                "this construct is not supported by the generator; rewrite it in the overlay \
                 and consider adding a check for it to xtask/src/lint.rs",
            )
        })?
        .map_err(|e| {
            Error::file(
                &spec.spec,
                format!("progenitor rejected the spec: {e}"),
                "fix the spec (or the overlay) where the message says",
            )
        })?;
    let mut file: syn::File = syn::parse2(tokens).map_err(|e| {
        Error::file(
            &spec.spec,
            format!("progenitor produced code that does not parse: {e}"),
            "report this against progenitor with the spec attached",
        )
    })?;
    crate::derives::gate_schemars(&mut file);
    crate::builders::gate_unused_builders(&mut file);
    crate::compiled_here::compile_operations_here(&mut file);
    let mut out = header(spec);
    // progenitor marks its usage sketches `ignore` (they use undefined
    // variables); as `text` they read the same and are not reported as
    // ignored doctests on every test run.
    out.push_str(&prettyplease::unparse(&file).replace("```ignore\n", "```text\n"));
    Ok(out)
}

/// The lints generated code is exempt from, as its first inner attribute:
/// it answers to the spec, not to the project's style.
const ALLOWED_LINTS: &str = "#![allow(
    clippy::all,
    clippy::pedantic,
    missing_docs,
    unused_imports,
    unused_mut,
    rustdoc::all
)]
";

fn header(spec: &Spec) -> String {
    let mut sources = format!("`{}`", unix(&spec.spec));
    if let Some(overlay) = &spec.overlay {
        let _ = write!(sources, " with the overlay `{}`", unix(overlay));
    }
    format!(
        "// @generated by `{REGENERATE}` from {sources},\n\
         // using progenitor {PROGENITOR_VERSION}. Do not edit this file by hand: change the spec\n\
         // or its overlay and run `{REGENERATE}`.\n\n{ALLOWED_LINTS}\n"
    )
}

/// A path with `/` separators, whatever the platform, for headers and messages.
fn unix(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Finds the innermost part of `doc` that `openapiv3` rejects: operations,
/// path items and components one by one (untagged enums hide the place of an
/// error when the whole document is parsed at once), then the document.
fn locate_invalid(doc: &Value) -> Option<(String, String)> {
    use openapiv3::{Operation, Parameter, PathItem, ReferenceOr, RequestBody, Response, Schema};
    type Check = fn(&Value, &str) -> Found;

    for (pointer, item) in entries(doc, "/paths") {
        for (op_pointer, operation) in entries(doc, &pointer) {
            if operation.get("responses").is_some()
                && let Some(found) = narrow::<Operation>(operation, &op_pointer)
            {
                return Some(found);
            }
        }
        if let Some(found) = narrow::<PathItem>(item, &pointer) {
            return Some(found);
        }
    }
    let components: [(&str, Check); 5] = [
        ("/components/schemas", narrow::<ReferenceOr<Schema>>),
        ("/components/parameters", narrow::<ReferenceOr<Parameter>>),
        ("/components/responses", narrow::<ReferenceOr<Response>>),
        (
            "/components/requestBodies",
            narrow::<ReferenceOr<RequestBody>>,
        ),
        (
            "/components/headers",
            narrow::<ReferenceOr<openapiv3::Header>>,
        ),
    ];
    for (section, check) in components {
        for (pointer, entry) in entries(doc, section) {
            if let Some(found) = check(entry, &pointer) {
                return Some(found);
            }
        }
    }
    narrow::<openapiv3::OpenAPI>(doc, "")
}

/// Where `openapiv3` rejects a part of the document, and why.
type Found = Option<(String, String)>;

/// Where and why `value` (at `base`) is not a `T`.
fn narrow<T: serde::de::DeserializeOwned>(value: &Value, base: &str) -> Found {
    serde_path_to_error::deserialize::<_, T>(value)
        .err()
        .map(|e| {
            (
                format!("{base}{}", pointer_of(e.path())),
                e.inner().to_string(),
            )
        })
}

/// The entries of the mapping at `pointer`, each with its own pointer.
fn entries<'a>(doc: &'a Value, pointer: &str) -> impl Iterator<Item = (String, &'a Value)> {
    doc.pointer(pointer)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(move |(k, v)| (crate::error::push_pointer(pointer, k), v))
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                pointer = crate::error::push_pointer(&pointer, &index.to_string())
            }
            Segment::Map { key } => pointer = crate::error::push_pointer(&pointer, key),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

thread_local! {
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic into `Err(message)` without printing a
/// backtrace. Panics on other threads still reach the previous hook.
fn without_panics<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous(info);
            }
        }));
    });
    GUARDED.with(|g| g.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(false));
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
            .unwrap_or_else(|| "(no message)".to_string())
    })
}

/// One generated file that differs from what the generator makes now.
#[derive(Debug)]
pub struct Stale {
    /// The generated file, relative to the workspace root.
    pub output: PathBuf,
    /// A unified diff from the file on disk to the fresh code.
    pub diff: String,
}

/// What one run of the codegen did.
#[derive(Debug, Default)]
pub struct Report {
    /// Warnings from the normalizer, for every spec.
    pub warnings: Vec<Warning>,
    /// Files written (codegen) or found stale (`--check`).
    pub written: Vec<PathBuf>,
    /// With `--check`: the stale files and their diffs.
    pub stale: Vec<Stale>,
}

/// Generates the code for every spec under `root`; writes it, or with
/// `check` only compares it with what is on disk.
pub fn run(root: &Path, check: bool) -> Result<Report, Error> {
    let mut report = Report::default();
    for spec in discover(root)? {
        let (code, warnings) = generate(root, &spec)?;
        let crate_dir = spec
            .output
            .parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new(""));
        if !root.join(crate_dir).is_dir() {
            return Err(Error::file(
                &spec.spec,
                format!(
                    "there is no crate `{}` to hold the generated code",
                    unix(crate_dir)
                ),
                "create the crate (same shape as crates/securegate-api) and add it to the workspace",
            ));
        }
        report.warnings.extend(warnings);
        let path = root.join(&spec.output);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() == Some(code.as_str()) {
            continue;
        }
        if check {
            report.stale.push(Stale {
                diff: unified_diff(current.as_deref().unwrap_or(""), &code, &unix(&spec.output)),
                output: spec.output.clone(),
            });
        } else {
            std::fs::write(&path, &code).map_err(|e| {
                Error::file(
                    &spec.output,
                    format!("cannot write: {e}"),
                    "check permissions",
                )
            })?;
            report.written.push(spec.output.clone());
        }
    }
    Ok(report)
}

/// The unified diff from `old` to `new`, at most 400 lines.
pub fn unified_diff(old: &str, new: &str, name: &str) -> String {
    const MAX_LINES: usize = 400;
    let diff = similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string();
    let total = diff.lines().count();
    if total <= MAX_LINES {
        return diff;
    }
    let mut cut: String = diff.lines().take(MAX_LINES).collect::<Vec<_>>().join("\n");
    let _ = write!(cut, "\n… {} more diff lines\n", total - MAX_LINES);
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_message() {
        let result: Result<(), String> = without_panics(|| panic!("boom {}", 1));
        assert_eq!(result.unwrap_err(), "boom 1");
        assert_eq!(without_panics(|| 7).unwrap(), 7);
    }

    #[test]
    fn diff_names_the_file_and_shows_changes() {
        let d = unified_diff("a\nb\n", "a\nc\n", "x.rs");
        assert!(d.contains("--- a/x.rs"));
        assert!(d.contains("-b\n"));
        assert!(d.contains("+c\n"));
    }

    #[test]
    fn header_names_spec_overlay_and_command() {
        let spec = Spec {
            name: "s".into(),
            spec: PathBuf::from("specs/s.yaml"),
            overlay: Some(PathBuf::from("specs/s.overlay.yaml")),
            output: PathBuf::from("crates/s-api/src/generated.rs"),
        };
        let h = header(&spec);
        assert!(h.contains("@generated"));
        assert!(h.contains("`specs/s.yaml` with the overlay `specs/s.overlay.yaml`"));
        assert!(h.contains("Do not edit"));
        assert!(h.contains("run `cargo xtask codegen`"));
        assert!(h.contains("\n#![allow(\n    clippy::all,"), "{h}");
    }
}
