//! The shared quota's benchmarks: three `event-invites invite` processes
//! on one key through each store (the host's files, one Redis server, one
//! lost and back, a Redis Cluster, a master behind Sentinel) against one
//! process inviting all their guests; and what asking each store costs a
//! request.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use event_invites::Quota;
use event_invites_fake::{FakeArtsvp, RateLimit, RedisCluster, RedisSentinel, RedisServer};

use crate::bulk::{limited_empty_fake, rate_limited};
use crate::{Failure, Figure, Sizes, ms};

/// Where the CLI processes of [`shared_quota`] keep their quota.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shared {
    /// One process inviting all the guests: the wall time to match.
    Single,
    /// Three processes, each its own quota (`--quota-store memory`): as
    /// processes paced before the shared quota.
    Memory,
    /// Three processes on the host store (the CLI's default).
    Host,
    /// Three processes through a real redis-server.
    Redis,
    /// The same, with Redis killed part-way and restarted (empty) 1.5 s
    /// later.
    RedisLost,
    /// Three processes through a Redis Cluster (three masters, three
    /// replicas), `redis+cluster://`.
    RedisCluster,
    /// Three processes through a master behind three sentinels,
    /// `redis+sentinel://`.
    RedisSentinel,
}

/// A Redis of one of the shapes, running for a benchmark.
enum Running {
    Server(RedisServer),
    Cluster(RedisCluster),
    Sentinel(RedisSentinel),
}

impl Running {
    /// The shape `shared` runs through, started; `None` for the others.
    fn start(shared: Shared) -> std::io::Result<Option<Self>> {
        Ok(match shared {
            Shared::Redis | Shared::RedisLost => Some(Self::Server(RedisServer::start()?)),
            Shared::RedisCluster => Some(Self::Cluster(RedisCluster::start()?)),
            Shared::RedisSentinel => Some(Self::Sentinel(RedisSentinel::start()?)),
            _ => None,
        })
    }

    fn url(&self) -> String {
        match self {
            Self::Server(redis) => redis.url(),
            Self::Cluster(cluster) => cluster.url(),
            Self::Sentinel(redis) => redis.url(),
        }
    }

    /// `redis-cli ARGS` where the keys are.
    fn cli(&self, args: &[&str]) -> std::io::Result<String> {
        match self {
            Self::Server(redis) => redis.cli(args),
            Self::Cluster(cluster) => cluster.cli(args),
            Self::Sentinel(redis) => redis.cli(args),
        }
    }

    fn keys(&self) -> std::io::Result<Vec<String>> {
        match self {
            Self::Server(redis) => redis.keys(),
            Self::Cluster(cluster) => cluster.keys(),
            Self::Sentinel(redis) => redis.keys(),
        }
    }

    /// Keys (names or values) that hold `secret`.
    fn leaks(&self, secret: &str) -> std::io::Result<usize> {
        let mut leaked = 0;
        for key in self.keys()? {
            let value = match key.ends_with(":pacers") {
                true => self.cli(&["ZRANGE", &key, "0", "-1"])?,
                false => self.cli(&["GET", &key])?,
            };
            leaked += usize::from(key.contains(secret) || value.contains(secret));
        }
        Ok(leaked)
    }
}

/// What one run of [`shared_quota`] measured.
struct SharedRun {
    elapsed: f64,
    answered: usize,
    limited: usize,
    held: usize,
    /// Runs that did not exit 0.
    failed: usize,
    /// Redis keys (names or values) that hold the API key.
    leaked: usize,
}

impl SharedRun {
    /// Requests answered without a 429, per second, as a share of the quota.
    fn rate(&self, sizes: &Sizes) -> f64 {
        let quota = sizes.shared_quota as f64 / sizes.shared_window.as_secs_f64();
        (self.answered - self.limited) as f64 / self.elapsed / quota
    }

    /// Every guest once, every run exit 0, at most 1 % of requests 429, no
    /// key in Redis.
    fn sound(&self, all: usize) -> bool {
        self.held == all
            && self.failed == 0
            && self.limited * 100 <= self.answered
            && self.leaked == 0
    }
}

/// The command-line tool, built next to this program (`cargo xtask bench`
/// builds both).
pub(crate) fn cli_binary() -> Result<PathBuf, Failure> {
    let bin = std::env::current_exe()?
        .with_file_name(format!("event-invites{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        return Err(format!("{} is not built: run `cargo xtask bench`", bin.display()).into());
    }
    Ok(bin)
}

/// One `invite` process for `job`: `per_job` guests of its own in a CSV in
/// `dir`, the quota through `store`; waited for on a thread of its own, so
/// that its end is timed when it comes.
fn spawn_job(
    fake: &FakeArtsvp,
    event: &str,
    (dir, store): (&Path, &str),
    job: usize,
    per_job: usize,
) -> Result<tokio::task::JoinHandle<std::io::Result<(std::process::Output, Instant)>>, Failure> {
    let csv = dir.join(format!("guests-{job}.csv"));
    let mut rows = String::from("name,email\n");
    for i in 0..per_job {
        rows.push_str(&format!("Guest {job}-{i},job{job}-{i}@example.com\n"));
    }
    std::fs::write(&csv, rows)?;
    let child = std::process::Command::new(cli_binary()?)
        .args(["invite", "--event", event, "--csv"])
        .arg(&csv)
        .env("ARTSVP_API_KEY", fake.api_key())
        .env("ARTSVP_BASE_URL", fake.base_url())
        .env("EVENT_INVITES_QUOTA_STORE", store)
        .env("XDG_RUNTIME_DIR", dir.join("runtime"))
        .env_remove("SECUREGATE_API_KEY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    Ok(tokio::task::spawn_blocking(move || {
        child.wait_with_output().map(|out| (out, Instant::now()))
    }))
}

/// Three `event-invites invite` processes on one key (or one with all
/// their guests), at once, against a fake ARTSVP allowing 60 requests per
/// 2 s, through `shared`'s store.
async fn shared_run(sizes: &Sizes, shared: Shared) -> Result<SharedRun, Failure> {
    let fake = limited_empty_fake(
        RateLimit::new(sizes.shared_quota, sizes.shared_window),
        sizes.shared_guests * 12,
    )
    .await?;
    let dir = std::env::temp_dir().join(format!("bench-shared-quota-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut redis = Running::start(shared)?;
    let store = match (&redis, shared) {
        (Some(redis), _) => redis.url(),
        (None, Shared::Memory) => "memory".into(),
        (None, _) => "host".into(),
    };
    let event = fake.events()[0].id.clone();
    let (jobs, per_job) = match shared {
        Shared::Single => (1, 3 * sizes.shared_guests),
        _ => (3, sizes.shared_guests),
    };
    let t = Instant::now();
    let running = (0..jobs)
        .map(|job| spawn_job(&fake, &event, (&dir, &store), job, per_job))
        .collect::<Result<Vec<_>, _>>()?;
    if let (Some(Running::Server(redis)), Shared::RedisLost) = (&mut redis, shared) {
        // Lost a third of the way, while requests flow; back 1.5 s later.
        while fake.requests().len() < sizes.shared_guests {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        redis.stop();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        redis.restart()?;
    }
    let (mut failed, mut last) = (0, t);
    for job in running {
        let (out, ended) = job.await??;
        last = last.max(ended);
        if !out.status.success() {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
            failed += 1;
        }
    }
    let leaked = match &redis {
        Some(redis) => redis.leaks(fake.api_key())?,
        None => 0,
    };
    let _ = std::fs::remove_dir_all(&dir);
    Ok(SharedRun {
        elapsed: (last - t).as_secs_f64(),
        answered: fake.requests().len(),
        limited: rate_limited(&fake),
        held: fake.state().invites_of(&event).len(),
        failed,
        leaked,
    })
}

/// A store's two figures: wall time against one process (goal <= 1.2) and
/// throughput as a share of the quota (goal >= 0.95), both only when every
/// guest is held once, every run exits 0, at most 1 % is 429 and no key is
/// in Redis.
fn store_figures(
    (name, rate_name): (&'static str, &'static str),
    run: &SharedRun,
    single: &SharedRun,
    sizes: &Sizes,
) -> [Figure; 2] {
    let all = 3 * sizes.shared_guests;
    let sound = run.sound(all);
    let time = Figure::compare(name, run.elapsed, single.elapsed, "s").check(
        format!(
            "ratio <= 1.2, 429 <= 1 % (got {} of {}), held {} of {all}, exit 0 {}/3, leaks {}",
            run.limited,
            run.answered,
            run.held,
            3 - run.failed,
            run.leaked
        ),
        |r| r <= 1.2 && sound,
    );
    let quota = sizes.shared_quota as f64 / sizes.shared_window.as_secs_f64();
    let rate = Figure::compare(rate_name, run.rate(sizes) * quota, quota, "req/s")
        .check("ratio >= 0.95".into(), |r| r >= 0.95 && sound);
    [time, rate]
}

/// Three CLI processes on one key inviting 300 guests each at once,
/// through each store, against one process inviting all 900: wall time
/// (goal <= 1.2), throughput as a share of the quota (goal >= 0.95), at
/// most 1 % 429 (goal 0); unshared, the 429s that costs.
pub(crate) async fn shared_quota(sizes: &Sizes) -> Result<Vec<Figure>, Failure> {
    let all = 3 * sizes.shared_guests;
    let single = shared_run(sizes, Shared::Single).await?;
    let mut figures = Vec::new();
    for (names, shared) in [
        (("shared_host", "rate_host"), Shared::Host),
        (("shared_redis", "rate_redis"), Shared::Redis),
        (("shared_redis_lost", "rate_redis_lost"), Shared::RedisLost),
        (
            ("shared_redis_cluster", "rate_redis_cluster"),
            Shared::RedisCluster,
        ),
        (
            ("shared_redis_sentinel", "rate_redis_sentinel"),
            Shared::RedisSentinel,
        ),
    ] {
        let run = shared_run(sizes, shared).await?;
        figures.extend(store_figures(names, &run, &single, sizes));
    }
    let memory = shared_run(sizes, Shared::Memory).await?;
    figures.push(
        Figure::compare("shared_memory", memory.elapsed, single.elapsed, "s").check(
            format!(
                "unshared: {} x 429 of {}, {:.2} of the quota, held {}",
                memory.limited,
                memory.answered,
                memory.rate(sizes),
                memory.held
            ),
            |_| memory.held == all,
        ),
    );
    Ok(figures)
}

/// What asking the shared quota's store costs per request: the latency of
/// a GET through a client on the host store, on a real redis-server, on a
/// Redis Cluster and behind Sentinel, against one on memory, interleaved;
/// p50 and p99. The fake's quota never runs out but it sends its headers,
/// so each request is two exchanges with the store (take, then what the
/// headers said).
pub(crate) async fn store_cost(sizes: &Sizes) -> Result<Vec<Figure>, Failure> {
    let fake = FakeArtsvp::builder()
        .rate_limit(RateLimit::new(u64::from(u32::MAX), Duration::from_secs(1)))
        .request_log_limit(0)
        .start()
        .await?;
    let dir = std::env::temp_dir().join(format!("bench-store-cost-{}", std::process::id()));
    let redis = RedisServer::start()?;
    let cluster = RedisCluster::start()?;
    let sentinel = RedisSentinel::start()?;
    // A quota that never waits: each request still takes a token from it.
    let quota = Some(Quota::per_second(1_000_000));
    let client = |store: event_invites::QuotaStore| {
        fake.client_builder()
            .quota_store(store)
            .quota(quota)
            .build()
    };
    use event_invites::QuotaStore;
    let clients = [
        client(QuotaStore::memory())?,
        client(QuotaStore::host_in(&dir)?)?,
        client(QuotaStore::redis(&redis.url()).await?)?,
        client(QuotaStore::redis(&cluster.url()).await?)?,
        client(QuotaStore::redis(&sentinel.url()).await?)?,
    ];
    let event = fake.events()[0].id.clone();
    let mut latencies: [Vec<Duration>; 5] = Default::default();
    for _ in 0..sizes.store_calls {
        for (client, times) in clients.iter().zip(&mut latencies) {
            let t = Instant::now();
            client.get_event(&event).await?;
            times.push(t.elapsed());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let percentile = |xs: &[Duration], p: f64| {
        let mut xs = xs.to_vec();
        xs.sort();
        ms(xs[((xs.len() - 1) as f64 * p) as usize])
    };
    let [memory, stores @ ..] = &latencies;
    let names = [
        ("store_cost_p50", "store_cost_p99"),
        ("store_redis_p50", "store_redis_p99"),
        ("store_cluster_p50", "store_cluster_p99"),
        ("store_sentinel_p50", "store_sentinel_p99"),
    ];
    let mut figures = Vec::new();
    for ((p50, p99), times) in names.into_iter().zip(stores) {
        for (name, p) in [(p50, 0.5), (p99, 0.99)] {
            figures.push(
                Figure::compare(name, percentile(times, p), percentile(memory, p), "ms")
                    .check("report (vs memory)".into(), |_| true),
            );
        }
    }
    Ok(figures)
}
