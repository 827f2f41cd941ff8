//! `cargo xtask codegen [--check]`: regenerate (or check) the generated API
//! crates from `specs/`. See the guide's "Maintain the specs" (guide/src/maintain.md).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};

use xtask::codegen::{self, REGENERATE};

/// The workspace's tasks: `cargo xtask <TASK> --help` says more of each.
#[derive(Debug, Parser)]
#[command(name = "xtask", bin_name = "cargo xtask")]
struct Cli {
    /// Work on another tree laid out like this workspace (tests use it).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Regenerate crates/*-api/src/generated.rs from specs/*.yaml, then
    /// report what changed since the committed specs (operations,
    /// parameters, fields, enum values; breaking or additive for the
    /// generated crate and the facade), also as Markdown in
    /// target/spec-changes/<name>.md.
    Codegen {
        /// Write nothing; fail with a diff if any generated file is stale.
        #[arg(long)]
        check: bool,
    },
    /// Build the benchmarks (and the command-line tool they run) in release
    /// and run them against the fake servers; prints a table, writes
    /// target/bench/summary.json.
    Bench {
        /// The same code on tiny sizes, in the dev profile (CI runs it).
        #[arg(long, conflicts_with = "build")]
        smoke: bool,
        /// What a downstream crate pays to build on event-invites: N
        /// (default 5) interleaved clean debug builds of a crate on the
        /// facade and one on the bare stack (reqwest, serde, serde_json,
        /// tokio, chrono); not in CI. Rounds differ by up to 4 s: fewer
        /// than 5 cannot tell 1.08 from 1.11.
        #[arg(
            long,
            value_name = "N",
            num_args = 0..=1,
            default_missing_value = "5",
            value_parser = clap::value_parser!(u32).range(1..)
        )]
        build: Option<u32>,
    },
    /// Every test of the workspace (`cargo test --workspace --locked`),
    /// after installing what the tests need beyond the Rust toolchain
    /// (redis-server and redis-cli: apt-get as root or through sudo, or
    /// Homebrew); where it cannot, it stops before building the tests, naming what
    /// to install. Arguments after `--` go to `cargo test`.
    Test {
        /// Passed to `cargo test` (a test name, `-- --nocapture`, …).
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Schemathesis (pinned in .ci/requirements-conformance.txt, installed
    /// into a venv under target/) runs both fake servers against their
    /// documents with every phase and check; config in conformance/.
    Conformance,
    /// Lint specs/*.yaml with the pinned Redocly CLI (redocly.yaml);
    /// installs it with `npm ci --ignore-scripts` when it is missing.
    LintSpecs,
    /// Take in the vendor's new document (a page with a ```yaml fence, or
    /// the YAML): check it all (parse, overlay, normalizer, generator)
    /// before writing anything, keep it in specs/vendor-docs with its
    /// provenance, write the spec and the generated code, print the change
    /// report, run tests/spec_coverage.rs, print a CHANGELOG draft.
    UpdateSpec {
        /// The spec: `securegate` or `artsvp`.
        name: String,
        /// The vendor's document.
        path: String,
        /// Where it came from, for the provenance record.
        #[arg(long, value_name = "TEXT")]
        source: Option<String>,
    },
    /// Mutation testing with a pinned cargo-mutants (installed once) of
    /// FILES (default: the decision core), each with its package's unit
    /// tests and the integration suites that exercise it; prints each
    /// file's score and fails under 90 %.
    Mutants {
        /// Files to mutate (default: the decision core).
        files: Vec<String>,
        /// Only the mutants in the diff since REV.
        #[arg(long, value_name = "REV")]
        in_diff: Option<String>,
        /// Unit tests only.
        #[arg(long, conflicts_with = "full")]
        lib: bool,
        /// Every test (hours).
        #[arg(long)]
        full: bool,
    },
    /// The version bump each publishable library crate needs, from
    /// cargo-semver-checks (pinned; installed once with cargo install)
    /// against the last v* tag or REV; not in CI (minutes).
    ReleaseCheck {
        /// Compare with this revision instead of the last v* tag.
        #[arg(long, value_name = "REV")]
        baseline: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.unwrap_or_else(xtask::workspace_root);
    match cli.task {
        Task::Codegen { check } => codegen_command(&root, check),
        Task::LintSpecs => lint_specs_command(&root),
        Task::UpdateSpec { name, path, source } => {
            update_spec_command(&root, &name, &path, source.as_deref())
        }
        Task::Mutants {
            files,
            in_diff,
            lib,
            full,
        } => {
            let tests = match (lib, full) {
                (true, _) => xtask::mutants::Tests::Lib,
                (_, true) => xtask::mutants::Tests::Full,
                _ => xtask::mutants::Tests::Suites,
            };
            mutants_command(&root, files, in_diff, tests)
        }
        Task::ReleaseCheck { baseline } => release_check_command(&root, baseline.as_deref()),
        Task::Test { args } => test_command(&root, &args),
        Task::Conformance => match xtask::conformance::run(&root) {
            Ok(()) => {
                eprintln!("conformance: both fakes passed");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Task::Bench {
            build: Some(rounds),
            ..
        } => footprint_command(&root, rounds as usize),
        Task::Bench { smoke, .. } => bench_command(&root, smoke),
    }
}

fn codegen_command(root: &Path, check: bool) -> ExitCode {
    let report = match codegen::run(root, check) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    if check {
        if report.stale.is_empty() {
            eprintln!("generated code is up to date");
            return ExitCode::SUCCESS;
        }
        for stale in &report.stale {
            println!("{}", stale.diff);
            eprintln!("error: {} is stale", stale.output.display());
        }
        eprintln!("fix: run `{REGENERATE}` and commit the result");
        return ExitCode::FAILURE;
    }
    if report.written.is_empty() {
        eprintln!("generated code was already up to date");
    }
    for written in &report.written {
        eprintln!("wrote {}", written.display());
    }
    match change_report(root) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: the change report failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Takes in a vendor's new document, all or nothing, then says what changed
/// and whether the facade still covers it.
fn update_spec_command(root: &Path, name: &str, path: &str, source: Option<&str>) -> ExitCode {
    let update = match xtask::update::run(root, name, Path::new(path), source) {
        Ok(update) => update,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for file in &update.written {
        eprintln!("wrote {}", file.display());
    }
    print!("{}", update.report);
    println!("\nCHANGELOG draft:\n\n{}", update.changelog);
    if !root.join("tests/spec_coverage.rs").exists() {
        println!(
            "No tests/spec_coverage.rs under this root: the facade's coverage was not checked."
        );
        return ExitCode::SUCCESS;
    }
    eprintln!("running tests/spec_coverage.rs (is anything of the API dropped by the facade?)");
    let coverage = Command::new("cargo")
        .current_dir(root)
        .args([
            "test",
            "--quiet",
            "-p",
            "workspace-tests",
            "--test",
            "spec_coverage",
        ])
        .env("RUST_BACKTRACE", "0")
        .status();
    let covered = matches!(coverage, Ok(s) if s.success());
    if covered {
        println!("The facade covers every operation, field and enum value of the new spec.");
        ExitCode::SUCCESS
    } else {
        println!(
            "The facade does not cover the new spec yet (the test above names what): map each \
             item in the facade, or add it to OMITTED in tests/spec_coverage.rs with the reason. \
             The update itself is applied."
        );
        ExitCode::FAILURE
    }
}

/// Mutation testing of the decision core: each file's score, and a failure
/// when one is under the threshold.
fn mutants_command(
    root: &Path,
    mut files: Vec<String>,
    in_diff: Option<String>,
    tests: xtask::mutants::Tests,
) -> ExitCode {
    if files.is_empty() {
        files = xtask::mutants::DECISION_CORE
            .iter()
            .map(|f| f.to_string())
            .collect();
    }
    let scores = match xtask::mutants::run(root, &files, in_diff.as_deref(), tests) {
        Ok(scores) => scores,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let threshold = xtask::mutants::THRESHOLD;
    let under = print_scores(&scores, threshold);
    println!("missed mutants: target/mutants/<file>/mutants.out/missed.txt");
    if under.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "error: under {:.0} %: {}; kill the missed mutants with tests, or list an equivalent \
             one in .cargo/mutants.toml (exclude_re) with the reason",
            threshold * 100.0,
            under.join(", ")
        );
        ExitCode::FAILURE
    }
}

/// Prints each file's outcomes and score; returns the files under
/// `threshold`.
fn print_scores(
    scores: &std::collections::BTreeMap<String, xtask::mutants::Score>,
    threshold: f64,
) -> Vec<String> {
    let mut under = Vec::new();
    println!(
        "{:<45} {:>6} {:>6} {:>8} {:>8} {:>7}",
        "file", "caught", "missed", "timeout", "unviable", "score"
    );
    for (file, s) in scores {
        let ratio = s.ratio();
        println!(
            "{file:<45} {:>6} {:>6} {:>8} {:>8} {:>7}",
            s.caught,
            s.missed,
            s.timeout,
            s.unviable,
            ratio.map_or("-".to_string(), |r| format!("{:.0} %", r * 100.0))
        );
        if ratio.is_some_and(|r| r < threshold) {
            under.push(file.clone());
        }
    }
    under
}

/// Prints the bump each publishable library crate needs.
fn release_check_command(root: &Path, baseline: Option<&str>) -> ExitCode {
    let checked = xtask::release::baseline(root, baseline)
        .and_then(|rev| Ok((xtask::release::run(root, &rev)?, rev)));
    let (verdicts, rev) = match checked {
        Ok(done) => done,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("against {rev}:");
    for v in &verdicts {
        let next = xtask::release::next_version(&v.version, &v.bump);
        println!(
            "  {:<22} {:<8} needs: {:<6} → {next}",
            v.name, v.version, v.bump
        );
    }
    ExitCode::SUCCESS
}

/// Prints what changed in each spec since the committed version, and
/// writes it as Markdown to `target/spec-changes/<name>.md`.
fn change_report(root: &Path) -> Result<(), xtask::error::Error> {
    let dir = root.join("target/spec-changes");
    for spec in codegen::discover(root)? {
        let api = match spec.name.as_str() {
            "securegate" => "SecureGate",
            "artsvp" => "ARTSVP",
            other => other,
        };
        let Some(before) = codegen::prepare_committed(root, &spec)? else {
            println!(
                "{api}: no committed version of {} to compare with (a new spec, or not a git \
                 checkout): no change report",
                spec.spec.display()
            );
            continue;
        };
        let (now, _) = codegen::prepare(root, &spec)?;
        let changes = xtask::changes::diff(&before, &now);
        print!("{}", xtask::changes::text(api, &changes));
        let crate_name = format!("{}-api", spec.name);
        let markdown = xtask::changes::markdown(api, &crate_name, &changes);
        let path = dir.join(format!("{}.md", spec.name));
        let written = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, markdown));
        match written {
            Ok(()) if !changes.is_empty() => {
                let shown = path.strip_prefix(root).unwrap_or(&path);
                println!("  (as Markdown for CHANGELOG.md: {})", shown.display());
            }
            Ok(()) => {}
            Err(e) => eprintln!("warning: cannot write {}: {e}", path.display()),
        }
    }
    Ok(())
}

/// Runs the pinned Redocly CLI over every spec, as configured in
/// `redocly.yaml`, with telemetry off.
fn lint_specs_command(root: &Path) -> ExitCode {
    let redocly = root.join("node_modules/.bin/redocly");
    if !redocly.exists() {
        eprintln!("installing the pinned Redocly CLI: npm ci --ignore-scripts");
        let status = Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(root)
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!(
                "error: `npm ci --ignore-scripts` failed ({status:?})\n  help: install Node.js 20.19+ \
                 and npm, then run it in {}",
                root.display()
            );
            return ExitCode::FAILURE;
        }
    }
    let status = Command::new(&redocly)
        .args(["lint", "--format", "stylish"])
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .current_dir(root)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => {
            eprintln!(
                "error: the specs have lint errors (above)\n  help: fix them in specs/, or, for a \
                 finding in the vendor's document, accept it in .redocly.lint-ignore.yaml"
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: cannot run {}: {e}", redocly.display());
            ExitCode::FAILURE
        }
    }
}

/// `bench --build`: the downstream build footprint.
fn footprint_command(root: &Path, rounds: usize) -> ExitCode {
    match xtask::footprint::run(root, rounds) {
        Ok(footprint) => {
            println!("{}", footprint.report());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the benchmark program: release for real figures, the dev profile
/// for `--smoke` (it only checks that the benchmarks still run).
fn bench_command(root: &Path, smoke: bool) -> ExitCode {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // The shared-quota benchmark runs the command-line tool: built first,
    // in the same profile, so it sits next to the benchmark program.
    let mut build = Command::new(&cargo);
    build
        .args(["build", "--locked", "--package", "event-invites-cli"])
        .current_dir(root);
    if !smoke {
        build.arg("--release");
    }
    match build.status() {
        Ok(status) if status.success() => {}
        Ok(status) => {
            eprintln!("error: the command-line tool did not build ({status})");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            return ExitCode::FAILURE;
        }
    }
    let mut command = Command::new(cargo);
    command
        .args(["run", "--locked", "--package", "event-invites-bench"])
        .current_dir(root);
    if smoke {
        command.args(["--", "--smoke"]);
    } else {
        command.arg("--release");
    }
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("error: the benchmarks failed ({status})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask test`: provisions what the tests need, then runs them all.
fn test_command(root: &Path, args: &[String]) -> ExitCode {
    if let Err(e) = xtask::provision::provision() {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["test", "--workspace", "--locked"])
        .args(args)
        .current_dir(root)
        .status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => ExitCode::from(status.code().map_or(1, |c| c.clamp(1, 255) as u8)),
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}
