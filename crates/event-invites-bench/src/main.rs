//! The event-invites benchmarks. Every figure is a ratio of two things
//! measured in this run, interleaved (A B A B …), medians over rounds,
//! against the fake servers on loopback. Prints a table and writes
//! `target/bench/summary.json`. `--smoke` runs the same code on tiny sizes
//! (it checks that the benchmarks run; its figures mean nothing).
//!
//! Run it with `cargo xtask bench [--smoke]`.

mod alloc;
mod bulk;
mod calls;
mod season;
mod shared;
mod streams;

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use bulk::{bulk_invite, flaky, outage, pacing, resume_waste};
use calls::{decode_10k, get_overhead};
use streams::{stream_memory, stream_overlap};

/// What a benchmark fails with.
type Failure = Box<dyn std::error::Error>;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// How big each benchmark is.
struct Sizes {
    get_rounds: usize,
    get_block: u32,
    decode_invites: usize,
    decode_rounds: usize,
    overlap_pages: usize,
    overlap_rounds: usize,
    memory_small: usize,
    memory_large: usize,
    pacing_creates: usize,
    pacing_quota: u32,
    bulk_guests: usize,
    bulk_quota: u64,
    bulk_window: Duration,
    resume_guests: usize,
    outage_guests: usize,
    flaky_guests: usize,
    shared_guests: usize,
    shared_quota: u64,
    shared_window: Duration,
    store_calls: usize,
    season_syncs: usize,
    season_guests: usize,
    quiet_guests: usize,
    quiet_cycles: usize,
    rebuild_guests: usize,
}

const FULL: Sizes = Sizes {
    get_rounds: 500,
    get_block: 10,
    decode_invites: 10_000,
    decode_rounds: 31,
    overlap_pages: 50,
    overlap_rounds: 3,
    memory_small: 10_000,
    memory_large: 100_000,
    pacing_creates: 400,
    pacing_quota: 50,
    bulk_guests: 2_000,
    bulk_quota: 200,
    bulk_window: Duration::from_secs(2),
    resume_guests: 2_000,
    outage_guests: 1_000,
    flaky_guests: 1_000,
    shared_guests: 300,
    shared_quota: 60,
    shared_window: Duration::from_secs(2),
    store_calls: 2_000,
    season_syncs: 50,
    season_guests: 2_000,
    quiet_guests: 100_000,
    quiet_cycles: 5,
    rebuild_guests: 5_000,
};

const SMOKE: Sizes = Sizes {
    get_rounds: 5,
    get_block: 2,
    decode_invites: 200,
    decode_rounds: 3,
    overlap_pages: 3,
    overlap_rounds: 1,
    memory_small: 300,
    memory_large: 900,
    pacing_creates: 20,
    pacing_quota: 50,
    bulk_guests: 30,
    bulk_quota: 20,
    bulk_window: Duration::from_secs(1),
    resume_guests: 40,
    outage_guests: 400,
    flaky_guests: 60,
    shared_guests: 10,
    shared_quota: 20,
    shared_window: Duration::from_secs(1),
    store_calls: 50,
    season_syncs: 3,
    season_guests: 40,
    quiet_guests: 500,
    quiet_cycles: 2,
    rebuild_guests: 300,
};

/// One line of `summary.json`.
#[derive(Debug, Serialize)]
struct Figure {
    name: &'static str,
    ours: f64,
    baseline: f64,
    unit: &'static str,
    ratio: f64,
    target: String,
    meets: bool,
}

/// A benchmark gives one figure or several.
impl From<Figure> for Vec<Figure> {
    fn from(figure: Figure) -> Self {
        vec![figure]
    }
}

/// Runs each benchmark `wanted` names, in this order, into `figures`.
macro_rules! run_wanted {
    ($wanted:ident, $figures:ident, $($name:literal => $run:expr,)*) => {
        $(if $wanted($name) {
            $figures.extend(Vec::<Figure>::from($run));
        })*
    };
}

impl Figure {
    /// `ours / baseline`, not yet checked against a target.
    fn compare(name: &'static str, ours: f64, baseline: f64, unit: &'static str) -> Self {
        Self {
            name,
            ours,
            baseline,
            unit,
            ratio: ours / baseline,
            target: String::new(),
            meets: false,
        }
    }

    /// The target, in words, and whether the figure meets it (`meets` is
    /// given the ratio).
    fn check(self, target: String, meets: impl FnOnce(f64) -> bool) -> Self {
        Self {
            meets: meets(self.ratio),
            target,
            ..self
        }
    }

    fn at_most(name: &'static str, ours: f64, baseline: f64, unit: &'static str, max: f64) -> Self {
        Self::compare(name, ours, baseline, unit).check(format!("ratio <= {max:.2}"), |r| r <= max)
    }
}

pub(crate) fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let smoke = std::env::args().any(|a| a == "--smoke");
    // Names given: only the benchmarks whose name starts with one of them.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| name.starts_with(o.as_str()));
    let sizes = if smoke { &SMOKE } else { &FULL };
    let mut figures = Vec::new();
    eprintln!(
        "running the benchmarks{}…",
        if smoke { " (smoke sizes)" } else { "" }
    );
    run_wanted!(
        wanted,
        figures,
        "get_overhead" => get_overhead(sizes).await?,
        "decode_10k" => decode_10k(sizes)?,
        "stream_overlap" => stream_overlap(sizes).await?,
        "stream_memory" => stream_memory(sizes).await?,
        "pacing" => pacing(sizes).await?,
        "bulk_invite" => bulk_invite(sizes).await?,
        "resume_waste" => resume_waste(sizes).await?,
        "outage" => outage(sizes).await?,
        "flaky" => flaky(sizes).await?,
        "shared" => shared::shared_quota(sizes).await?,
        "store_cost" => shared::store_cost(sizes).await?,
        "season_memory" => season::season_memory(sizes).await?,
        "watch_quiet_100k" => season::watch_quiet(sizes).await?,
        "rebuild" => season::rebuild(sizes).await?,
    );

    println!(
        "{:<22} {:>14} {:>14} {:>6} {:>8}  {:<18} meets",
        "name", "ours", "baseline", "unit", "ratio", "target"
    );
    for f in &figures {
        println!(
            "{:<22} {:>14.3} {:>14.3} {:>6} {:>8.3}  {:<18} {}",
            f.name, f.ours, f.baseline, f.unit, f.ratio, f.target, f.meets
        );
    }
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("bench");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(if smoke {
        "summary-smoke.json"
    } else {
        "summary.json"
    });
    std::fs::write(&path, serde_json::to_string_pretty(&figures)? + "\n")?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
