//! `cargo xtask bench --build`: what depending on `event-invites` costs a
//! downstream build. Two tiny crates, each calling one operation of each
//! API as a user's crate does (so that the calls are compiled where they
//! are used): one on the facade (default features), one on the bare stack
//! any client of these APIs needs (reqwest 0.13 with the facade's
//! features, serde with derive, serde_json, tokio, chrono) with
//! hand-written request and model code. Built debug in fresh target
//! directories, interleaved (ours, bare, ours, bare, …). Prints the ratio
//! of median wall times and of crate counts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// One measured build.
#[derive(Debug, Clone, Copy)]
pub struct Build {
    pub wall: Duration,
    pub crates: usize,
}

/// The figures of a run.
#[derive(Debug)]
pub struct Footprint {
    pub ours: Vec<Build>,
    pub bare: Vec<Build>,
}

impl Footprint {
    fn median(builds: &[Build]) -> Duration {
        let mut walls: Vec<Duration> = builds.iter().map(|b| b.wall).collect();
        walls.sort();
        walls[walls.len() / 2]
    }

    /// Median wall time ours ÷ bare.
    pub fn time_ratio(&self) -> f64 {
        Self::median(&self.ours).as_secs_f64() / Self::median(&self.bare).as_secs_f64()
    }

    /// Crates compiled, ours ÷ bare.
    pub fn crate_ratio(&self) -> f64 {
        self.ours[0].crates as f64 / self.bare[0].crates as f64
    }

    pub fn report(&self) -> String {
        let secs = |b: &[Build]| {
            b.iter()
                .map(|b| format!("{:.1}", b.wall.as_secs_f64()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "downstream build (debug, fresh target dir, interleaved)\n\
             \x20 on event-invites: {} s (median {:.1} s), {} crates\n\
             \x20 on the bare stack: {} s (median {:.1} s), {} crates\n\
             \x20 ratio: time {:.3} (target <= 1.10), crates {:.3}",
            secs(&self.ours),
            Self::median(&self.ours).as_secs_f64(),
            self.ours[0].crates,
            secs(&self.bare),
            Self::median(&self.bare).as_secs_f64(),
            self.bare[0].crates,
            self.time_ratio(),
            self.crate_ratio(),
        )
    }
}

/// The crate on the facade: ARTSVP's `get_event` and SecureGate's guest
/// list, compiled, never run (the address is a closed loopback port).
const ON_FACADE: &str = r#"#[tokio::main]
async fn main() -> Result<(), event_invites::Error> {
    let artsvp = event_invites::Artsvp::builder()
        .api_key("key")
        .base_url("http://127.0.0.1:9")
        .build()?;
    let securegate = event_invites::SecureGate::builder()
        .api_key("key")
        .base_url("http://127.0.0.1:9")
        .build()?;
    if std::env::args().count() > 9 {
        let event = artsvp.get_event("e").await?;
        let invites = securegate.invites("e").await?;
        println!("{} {}", event.name, invites.len());
    }
    Ok(())
}
"#;

/// The same on the bare stack: the requests and the models by hand.
const ON_BARE_STACK: &str = r#"#[derive(Debug, serde::Deserialize)]
struct Event {
    id: String,
    name: String,
    starts_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, serde::Deserialize)]
struct Invite {
    id: String,
    email: String,
    status: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

#[tokio::main]
async fn main() -> Result<(), reqwest::Error> {
    let http = reqwest::Client::new();
    if std::env::args().count() > 9 {
        let event: Event = http
            .get("http://127.0.0.1:9/events/e")
            .header("authorization", "key")
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let invites: Vec<Invite> = http
            .get("http://127.0.0.1:9/events/e/invites")
            .header("x-api-key", "key")
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        println!("{} {} {}", event.id, event.name, invites.len());
        let _ = (&event.starts_at, invites.first().map(|i| (&i.id, &i.email, &i.status, i.created_at)));
        let _ = serde_json::Value::Null;
    }
    Ok(())
}
"#;

fn manifest(name: &str, deps: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\n{deps}"
    )
}

/// Writes the two crates under `dir` and returns their paths.
fn write_crates(root: &Path, dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
    let facade = root.join("crates/event-invites");
    let ours = dir.join("on-facade");
    let bare = dir.join("on-bare-stack");
    for (path, deps, main) in [
        (
            &ours,
            format!(
                "event-invites = {{ path = {:?} }}\ntokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n",
                facade.display().to_string()
            ),
            ON_FACADE,
        ),
        (
            &bare,
            "reqwest = { version = \"0.13.5\", default-features = false, features = [\"rustls\", \"http2\", \"json\", \"query\", \"stream\"] }\n\
             serde = { version = \"1\", features = [\"derive\"] }\nserde_json = \"1\"\n\
             tokio = { version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }\n\
             chrono = { version = \"0.4\", default-features = false, features = [\"serde\", \"std\", \"clock\"] }\n"
                .to_string(),
            ON_BARE_STACK,
        ),
    ] {
        std::fs::create_dir_all(path.join("src"))?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("x");
        std::fs::write(path.join("Cargo.toml"), manifest(name, &deps))?;
        std::fs::write(path.join("src/main.rs"), main)?;
        // The workspace's lock file, so both resolve the versions the
        // project tests with; cargo adds or drops what differs.
        std::fs::copy(root.join("Cargo.lock"), path.join("Cargo.lock"))?;
    }
    Ok((ours, bare))
}

/// Builds `krate` in a fresh target directory; times it and counts the
/// crates compiled.
fn build(krate: &Path, target: &Path) -> Result<Build, String> {
    let _ = std::fs::remove_dir_all(target);
    let started = Instant::now();
    let output = Command::new(env!("CARGO"))
        .args(["build", "--message-format=json", "--quiet"])
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_INCREMENTAL", "0")
        .current_dir(krate)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let wall = started.elapsed();
    if !output.status.success() {
        return Err(format!(
            "building {} failed:\n{}",
            krate.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let crates = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            Some(v["package_id"].as_str()?.to_string())
        })
        .collect::<std::collections::HashSet<_>>()
        .len();
    Ok(Build { wall, crates })
}

/// Measures `rounds` interleaved pairs of builds.
pub fn run(root: &Path, rounds: usize) -> Result<Footprint, String> {
    let dir = root.join("target/footprint");
    let (ours, bare) = write_crates(root, &dir).map_err(|e| e.to_string())?;
    // Fetch once, outside the timings.
    for krate in [&ours, &bare] {
        let status = Command::new(env!("CARGO"))
            .args(["fetch", "--quiet"])
            .current_dir(krate)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("cargo fetch failed in {}", krate.display()));
        }
    }
    let mut result = Footprint {
        ours: Vec::new(),
        bare: Vec::new(),
    };
    for round in 1..=rounds {
        eprintln!("round {round}/{rounds}: on event-invites…");
        result.ours.push(build(&ours, &dir.join("target-ours"))?);
        eprintln!("round {round}/{rounds}: on the bare stack…");
        result.bare.push(build(&bare, &dir.join("target-bare"))?);
    }
    Ok(result)
}
