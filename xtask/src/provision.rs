//! `cargo xtask test`: every test of the workspace on a machine that has
//! only the Rust toolchain. The tests that share a quota through Redis
//! start real `redis-server`s of their own (one server, a cluster,
//! sentinels), so `redis-server` and `redis-cli` must be installed: this
//! installs them where it can (Debian or Ubuntu packages as root or
//! through `sudo`, Homebrew on macOS), or stops before building the tests
//! with one message naming what to install. It never skips a test.

use std::path::Path;
use std::process::Command;

/// A program the tests run, and the package that gives it.
pub struct Tool {
    /// The program, as found on `PATH`.
    pub program: &'static str,
    /// The Debian and Ubuntu package.
    pub apt: &'static str,
    /// The Homebrew formula.
    pub brew: &'static str,
}

/// What the tests need beyond the Rust toolchain.
pub const TOOLS: &[Tool] = &[
    Tool {
        program: "redis-server",
        apt: "redis-server",
        brew: "redis",
    },
    Tool {
        program: "redis-cli",
        apt: "redis-tools",
        brew: "redis",
    },
];

/// How this machine can install packages, if it can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installer {
    /// `apt-get`, run directly (as root).
    Apt,
    /// `apt-get` through `sudo -n` (no password asked).
    SudoApt,
    /// Homebrew.
    Brew,
}

/// Whether `program` is on `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(program)))
    })
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// The installer this machine offers: `apt-get` as root or through a
/// `sudo` that asks no password, else Homebrew, else none.
pub fn installer() -> Option<Installer> {
    let succeeds = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if on_path("apt-get") {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        if root {
            return Some(Installer::Apt);
        }
        if on_path("sudo") && succeeds("sudo", &["-n", "true"]) {
            return Some(Installer::SudoApt);
        }
    }
    on_path("brew").then_some(Installer::Brew)
}

/// The one message for a machine that cannot install `missing` itself.
pub fn install_hint(missing: &[&Tool]) -> String {
    let names = |f: fn(&Tool) -> &'static str| {
        let mut names: Vec<&str> = missing.iter().map(|t| f(t)).collect();
        names.dedup();
        names.join(" ")
    };
    let programs: Vec<&str> = missing.iter().map(|t| t.program).collect();
    format!(
        "the tests need {} (they start Redis servers of their own): install them with \
         `sudo apt-get install {}` (Debian, Ubuntu) or `brew install {}` (macOS), then run \
         `cargo xtask test` again",
        programs.join(" and "),
        names(|t| t.apt),
        names(|t| t.brew),
    )
}

/// The commands that install `missing` with `installer`.
pub fn install_commands(installer: &Installer, missing: &[&Tool]) -> Vec<Vec<String>> {
    let mut apt: Vec<String> = missing.iter().map(|t| t.apt.to_string()).collect();
    apt.dedup();
    let with = |prefix: &[&str], rest: Vec<String>| {
        prefix
            .iter()
            .map(|s| s.to_string())
            .chain(rest)
            .collect::<Vec<_>>()
    };
    match installer {
        Installer::Apt | Installer::SudoApt => {
            let sudo: &[&str] = match installer {
                Installer::SudoApt => &["sudo", "-n"],
                _ => &[],
            };
            let install = [
                vec![
                    "apt-get".into(),
                    "install".into(),
                    "-y".into(),
                    "-qq".into(),
                ],
                apt,
            ]
            .concat();
            vec![
                with(sudo, vec!["apt-get".into(), "update".into(), "-qq".into()]),
                with(sudo, install),
            ]
        }
        Installer::Brew => {
            let mut formulas: Vec<String> = missing.iter().map(|t| t.brew.to_string()).collect();
            formulas.dedup();
            vec![[vec!["brew".to_string(), "install".to_string()], formulas].concat()]
        }
    }
}

/// Makes sure every tool is there, installing what is missing where this
/// machine can; an error names what to install otherwise.
pub fn provision() -> Result<(), String> {
    let missing: Vec<&Tool> = TOOLS.iter().filter(|t| !on_path(t.program)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let Some(installer) = installer() else {
        return Err(install_hint(&missing));
    };
    for command in install_commands(&installer, &missing) {
        eprintln!("xtask test: installing: {}", command.join(" "));
        let status = Command::new(&command[0])
            .args(&command[1..])
            .status()
            .map_err(|e| format!("cannot run {}: {e}", command[0]))?;
        if !status.success() {
            return Err(format!(
                "`{}` failed ({status}); {}",
                command.join(" "),
                install_hint(&missing)
            ));
        }
    }
    match TOOLS.iter().find(|t| !on_path(t.program)) {
        Some(tool) => Err(format!(
            "{} is still not on PATH after installing; {}",
            tool.program,
            install_hint(&missing)
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_names_every_missing_program_and_its_packages() {
        let hint = install_hint(&TOOLS.iter().collect::<Vec<_>>());
        assert!(hint.contains("redis-server and redis-cli"), "{hint}");
        assert!(
            hint.contains("apt-get install redis-server redis-tools"),
            "{hint}"
        );
        assert!(hint.contains("brew install redis`"), "{hint}");
    }

    #[test]
    fn each_installer_gets_its_own_commands() {
        let missing: Vec<&Tool> = TOOLS.iter().collect();
        let line = |c: &Vec<String>| c.join(" ");
        let apt = install_commands(&Installer::Apt, &missing);
        assert_eq!(
            apt.iter().map(line).collect::<Vec<_>>(),
            [
                "apt-get update -qq",
                "apt-get install -y -qq redis-server redis-tools"
            ]
        );
        let sudo = install_commands(&Installer::SudoApt, &missing[1..]);
        assert_eq!(line(&sudo[1]), "sudo -n apt-get install -y -qq redis-tools");
        let brew = install_commands(&Installer::Brew, &missing);
        assert_eq!(
            brew.iter().map(line).collect::<Vec<_>>(),
            ["brew install redis"]
        );
    }

    #[test]
    fn a_program_is_found_on_path_only_when_it_is_there() {
        assert!(on_path("cargo") || on_path("rustc"));
        assert!(!on_path("no-such-program-event-invites"));
    }
}
