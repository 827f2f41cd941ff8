//! The season service's benchmarks, each running the command-line tool
//! against fakes in this process:
//!
//! - `season_memory`: `serve` with 50 syncs of 2,000 accepted guests each
//!   against one `sync --watch` of one such event: peak resident memory
//!   (`VmHWM`) once every guest is invited and each sync has had a quiet
//!   cycle (goal <= 3 x);
//! - `watch_quiet_100k`: a quiet cycle of a 100,000-guest SecureGate event
//!   (every guest settled) against fetching and decoding that list alone
//!   (goal <= 1.3);
//! - `rebuild`: requests to ARTSVP to rebuild the lost journal of a
//!   5,000-guest event and finish the first cycle (goal <= 60).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use event_invites::artsvp::{Guest, Target};
use event_invites_fake::{FakeArtsvp, FakeSecureGate, RateLimit};

use crate::bulk::creates_sent;
use crate::shared::cli_binary;
use crate::{Failure, Figure, Sizes, median, ms};

/// Most requests a rebuild of [`Sizes::rebuild_guests`] may take.
const REBUILD_MAX: f64 = 60.0;

/// A SecureGate fake whose events `events` hold `guests` accepted guests
/// each (`season-E-I@example.com`), and an ARTSVP fake with as many events
/// and a quota of 999 requests a second: the client paces by the server's
/// limit when it is smaller than ARTSVP's documented 1,000 per 15 minutes
/// (which would make 100,000 invites take a day); memory and time are
/// measured here, not pacing.
async fn season_fakes(
    events: usize,
    guests: usize,
) -> Result<(FakeSecureGate, FakeArtsvp, Vec<String>), Failure> {
    let securegate = FakeSecureGate::start().await?;
    let template = securegate.invites(&securegate.event_ids()[0])[0].clone();
    let mut sources = Vec::new();
    for e in 0..events {
        let source = format!("evt-season-{e}");
        let batch: Vec<_> = (0..guests)
            .map(|i| {
                let mut invite = template.clone();
                invite.id = format!("inv-season-{e}-{i}");
                invite.event_id = source.clone();
                invite.email = guest_email(e, i);
                invite.status = "accepted".into();
                invite
            })
            .collect();
        securegate.insert_invites(&source, batch);
        sources.push(source);
    }
    let artsvp = FakeArtsvp::builder()
        .invites(0)
        .events(events.max(1))
        .rate_limit(RateLimit::new(999, Duration::from_secs(1)))
        .request_log_limit(guests * events * 2 + 10_000)
        .start()
        .await?;
    Ok((securegate, artsvp, sources))
}

fn guest_email(event: usize, i: usize) -> String {
    format!("season-{event}-{i}@example.com")
}

/// Gives ARTSVP event `target` an invite for each of SecureGate event
/// `event`'s `guests` (as a past run of the sync would have), from this
/// process, many at once; then clears the fake's request log.
async fn prefill(
    artsvp: &FakeArtsvp,
    target: &str,
    event: usize,
    guests: usize,
) -> Result<(), Failure> {
    let list: Vec<Guest> = (0..guests)
        .map(|i| Guest::new(format!("Guest {i}"), guest_email(event, i)))
        .collect();
    let client = artsvp.client_builder().quota(None).build()?;
    let progress = client
        .bulk_invite(Target::event(target), list)
        .concurrency(64)
        .await?;
    if progress.created as usize != guests {
        return Err(format!("prefill: {} of {guests} created", progress.created).into());
    }
    artsvp.requests().clear();
    Ok(())
}

/// A tool process, its stderr collected line by line.
struct Tool {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Tool {
    fn spawn(
        args: &[&str],
        securegate: &FakeSecureGate,
        artsvp: &FakeArtsvp,
    ) -> Result<Self, Failure> {
        let mut child = Command::new(cli_binary()?)
            .args(args)
            .env("SECUREGATE_API_KEY", securegate.api_key())
            .env("SECUREGATE_BASE_URL", securegate.base_url())
            .env("ARTSVP_API_KEY", artsvp.api_key())
            .env("ARTSVP_BASE_URL", artsvp.base_url())
            .env("EVENT_INVITES_QUOTA_STORE", "memory")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let collected = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                collected
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(line);
            }
        });
        Ok(Self { child, lines })
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits (at most `limit`) until `found` finds something in the lines.
    async fn until<T>(
        &mut self,
        limit: Duration,
        found: impl Fn(&[String]) -> Option<T>,
    ) -> Result<T, Failure> {
        let start = Instant::now();
        loop {
            if let Some(t) = found(&self.lines()) {
                return Ok(t);
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(
                    format!("the tool exited ({status}): {}", self.lines().join("\n")).into(),
                );
            }
            if start.elapsed() > limit {
                return Err(format!("timed out: {}", self.lines().join("\n")).into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Where it serves, once it says.
    async fn address(&mut self) -> Result<String, Failure> {
        self.until(Duration::from_secs(30), |lines| {
            lines
                .iter()
                .find_map(|l| l.split("on http://").nth(1).map(str::to_string))
        })
        .await
    }

    /// The peak resident memory (`VmHWM`, bytes), from `/proc`.
    fn peak_rss(&self) -> Result<f64, Failure> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .map_err(|e| format!("reading /proc (this benchmark needs Linux): {e}"))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or("no VmHWM in /proc/PID/status")?;
        Ok(kb * 1024.0)
    }

    /// SIGTERM, then waits; an exit other than 0 is a failure.
    fn stop(mut self) -> Result<(), Failure> {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        let status = self.child.wait()?;
        if !status.success() {
            return Err(format!("the tool exited {status}: {}", self.lines().join("\n")).into());
        }
        Ok(())
    }
}

/// `/status` once every sync has invited its guests and had a cycle
/// after (a quiet one).
async fn all_quiet(address: &str, syncs: usize, guests: usize) -> Result<(), Failure> {
    let url = format!("http://{address}/status");
    let start = Instant::now();
    loop {
        let status: serde_json::Value = reqwest::get(&url).await?.json().await?;
        let done = status["syncs"].as_array().map_or(0, |all| {
            all.iter()
                .filter(|s| {
                    s["invited"].as_u64() == Some(guests as u64) && s["cycles"].as_u64() >= Some(2)
                })
                .count()
        });
        if done == syncs {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(600) {
            return Err(format!("not all quiet after 10 min: {status}").into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A temp directory of the benchmark's own.
fn temp_dir(name: &str) -> Result<PathBuf, Failure> {
    let dir = std::env::temp_dir().join(format!("bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The config of `serve` with a sync per event, a cycle a second.
fn season_config(dir: &Path, sources: &[String], targets: &[String]) -> Result<PathBuf, Failure> {
    let mut text =
        String::from("listen = \"127.0.0.1:0\"\nstate_dir = \"state\"\nlog_format = \"json\"\n");
    for (i, (from, to)) in sources.iter().zip(targets).enumerate() {
        text.push_str(&format!(
            "\n[[sync]]\nname = \"s{i}\"\nfrom_securegate = \"{from}\"\nto_artsvp_event = \"{to}\"\ninterval = \"1s\"\n"
        ));
    }
    let path = dir.join("season.toml");
    std::fs::write(&path, text)?;
    Ok(path)
}

/// `sync FROM --to-artsvp-event TO --watch --interval 1s --journal DIR/FILE
/// --progress off` and `more`.
fn watch_args(from: &str, to: &str, journal: &Path, more: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["sync", "--from-securegate", from, "--to-artsvp-event", to]
        .into_iter()
        .chain([
            "--watch",
            "--interval",
            "1s",
            "--progress",
            "off",
            "--journal",
        ])
        .map(String::from)
        .collect();
    args.push(journal.to_string_lossy().into_owned());
    args.extend(more.iter().map(|a| a.to_string()));
    args
}

fn spawn_watch(
    args: &[String],
    securegate: &FakeSecureGate,
    artsvp: &FakeArtsvp,
) -> Result<Tool, Failure> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Tool::spawn(&args, securegate, artsvp)
}

/// `serve` with a sync per event: its peak memory once every guest is
/// invited (each once) and each sync has had a quiet cycle.
async fn season_peak(syncs: usize, guests: usize, dir: &Path) -> Result<f64, Failure> {
    let (securegate, artsvp, sources) = season_fakes(syncs, guests).await?;
    let targets: Vec<String> = artsvp
        .events()
        .into_iter()
        .take(syncs)
        .map(|e| e.id)
        .collect();
    let config = season_config(dir, &sources, &targets)?;
    let config = config.to_string_lossy().into_owned();
    let mut serve = Tool::spawn(&["serve", "--config", &config], &securegate, &artsvp)?;
    let address = serve.address().await?;
    all_quiet(&address, syncs, guests).await?;
    let peak = serve.peak_rss()?;
    serve.stop()?;
    let state = artsvp.state();
    let held: usize = targets.iter().map(|t| state.invites_of(t).len()).sum();
    if held != syncs * guests {
        return Err(format!("{held} invites held for {} guests", syncs * guests).into());
    }
    eprintln!(
        "season_memory: {} creates sent ({} answered 429) for {held} guests",
        creates_sent(&artsvp),
        crate::bulk::rate_limited(&artsvp)
    );
    Ok(peak)
}

/// One `sync --watch` of one event of `guests`: its peak memory, as
/// [`season_peak`] measures it.
async fn one_watch_peak(guests: usize, dir: &Path) -> Result<f64, Failure> {
    let (securegate, artsvp, sources) = season_fakes(1, guests).await?;
    let target = artsvp.events()[0].id.clone();
    let args = watch_args(
        &sources[0],
        &target,
        &dir.join("one.journal.sqlite"),
        &["--listen", "127.0.0.1:0"],
    );
    let mut watch = spawn_watch(&args, &securegate, &artsvp)?;
    let address = watch.address().await?;
    all_quiet(&address, 1, guests).await?;
    let peak = watch.peak_rss()?;
    watch.stop()?;
    Ok(peak)
}

pub(crate) async fn season_memory(sizes: &Sizes) -> Result<Figure, Failure> {
    let (syncs, guests) = (sizes.season_syncs, sizes.season_guests);
    let dir = temp_dir("season-memory")?;
    let season = season_peak(syncs, guests, &dir).await? / 1048576.0;
    let one = one_watch_peak(guests, &dir).await? / 1048576.0;
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "season_memory: serve, {syncs} syncs x {guests} guests: {season:.1} MiB peak; one watch: {one:.1} MiB"
    );
    Ok(Figure::at_most("season_memory", season, one, "MiB", 3.0))
}

/// The `took_ms` of each `cycle done` line (JSON logs), in order.
fn cycle_times(lines: &[String]) -> Vec<Duration> {
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["message"] == "cycle done")
        .filter_map(|v| v["took_ms"].as_u64())
        .map(Duration::from_millis)
        .collect()
}

/// A watch of one event of `guests` whose ARTSVP event already holds an
/// invite for each, started without its journal (lost): it rebuilds it,
/// then every cycle is quiet. Runs until `cycles` cycles are done; returns
/// their times, the ARTSVP requests by then, and the SecureGate fake and
/// its event. Sending any create is a failure.
async fn lost_journal_watch(
    name: &str,
    guests: usize,
    cycles: usize,
) -> Result<(Vec<Duration>, usize, FakeSecureGate, String), Failure> {
    let (securegate, artsvp, mut sources) = season_fakes(1, guests).await?;
    let target = artsvp.events()[0].id.clone();
    prefill(&artsvp, &target, 0, guests).await?;
    let dir = temp_dir(name)?;
    let journal = dir.join(format!("{name}.journal.sqlite"));
    let args = watch_args(&sources[0], &target, &journal, &["--log-format", "json"]);
    let mut watch = spawn_watch(&args, &securegate, &artsvp)?;
    let times = watch
        .until(Duration::from_secs(600), |lines| {
            let times = cycle_times(lines);
            (times.len() >= cycles).then_some(times)
        })
        .await?;
    let requests = artsvp.requests().len();
    watch.stop()?;
    let _ = std::fs::remove_dir_all(&dir);
    if creates_sent(&artsvp) != 0 {
        return Err(format!("{name}: the watch sent {} creates", creates_sent(&artsvp)).into());
    }
    Ok((times, requests, securegate, sources.swap_remove(0)))
}

pub(crate) async fn watch_quiet(sizes: &Sizes) -> Result<Figure, Failure> {
    let guests = sizes.quiet_guests;
    // The first cycle rebuilds the journal; the ones after are quiet.
    let (times, _, securegate, source) =
        lost_journal_watch("watch-quiet", guests, sizes.quiet_cycles + 1).await?;
    let quiet = median(times[1..].to_vec());
    let client = securegate.client();
    let mut fetches = Vec::new();
    for _ in 0..sizes.quiet_cycles {
        let t = Instant::now();
        let listed = client.invites(&source).await?;
        fetches.push(t.elapsed());
        if listed.len() != guests {
            return Err(format!("listed {} of {guests}", listed.len()).into());
        }
    }
    let fetch = median(fetches);
    Ok(Figure::at_most(
        "watch_quiet_100k",
        ms(quiet),
        ms(fetch),
        "ms",
        1.3,
    ))
}

pub(crate) async fn rebuild(sizes: &Sizes) -> Result<Figure, Failure> {
    let guests = sizes.rebuild_guests;
    let (_, requests, _, _) = lost_journal_watch("rebuild", guests, 1).await?;
    let requests = requests as f64;
    // The baseline: one page of 100 per 100 invites, the least a listing
    // can take.
    let pages = (guests as f64 / 100.0).ceil();
    let figure = Figure::compare("rebuild", requests, pages, "req");
    let meets = figure.ours <= REBUILD_MAX;
    Ok(Figure {
        meets,
        target: format!("requests <= {REBUILD_MAX:.0}"),
        ..figure
    })
}
