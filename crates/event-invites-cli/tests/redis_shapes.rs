//! The shared quota through the Redis shapes teams run beyond one server,
//! end to end: three `invite` processes on one key through
//! `redis+cluster://` (three masters, three replicas) and through
//! `redis+sentinel://` (a master, a replica, three sentinels), each as an
//! ACL user, once undisturbed and once with the master that holds the
//! bucket killed part-way. Every row is invited once, every process exits
//! 0, and at most 1 % of requests are answered 429 without a failover,
//! 3 % with one. A one-server URL at a cluster node stops at start. Both
//! shapes are reached over TLS too (`rediss+cluster://`, `rediss+sentinel://`).

mod common;

use std::process::Output;
use std::time::Duration;

use event_invites_fake::{FakeArtsvp, RedisCluster, RedisSentinel};

use common::shared::{all_invited_once, redis_holds_no_key, three_runs, tight_fake};
use common::{TempDir, command, text};

/// Guests per process: 150 rows in all, about 16 s at the fake's quota.
const GUESTS: usize = 50;

/// Sets up the ACL user the tool connects as, on `nodes` (each node of
/// the shape): the least privilege of the guide's "Share a quota".
fn add_quota_user(cli_each: impl FnOnce(&[&str]) -> std::io::Result<()>) {
    let args = event_invites_fake::quota_acl_user("quota", "s3cret");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    cli_each(&args).unwrap();
}

/// The store URL with the ACL user's credentials in it.
fn with_user(url: &str) -> String {
    url.replacen("://", "://quota:s3cret@", 1)
}

/// Waits until the fake has seen a third of the rows' requests.
async fn a_third_of_the_way(fake: &FakeArtsvp) {
    while fake.requests().len() < GUESTS {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every row once, exit 0, at most `percent` % answered 429; the password
/// printed nowhere.
fn assert_run(fake: &FakeArtsvp, outputs: &[Output], percent: usize, shape: &str) {
    let refused = all_invited_once(fake, outputs, 3 * GUESTS);
    let sent = fake.requests().len();
    eprintln!("{shape}: {refused} of {sent} requests answered 429");
    assert!(
        refused * 100 <= sent * percent,
        "{shape}: {refused} of {sent} answered 429"
    );
    for out in outputs {
        assert!(
            !text(&out.stderr).contains("s3cret"),
            "{}",
            text(&out.stderr)
        );
    }
}

/// A Redis of one shape, as the runs below use it.
trait Shape {
    fn keys(&self) -> Vec<String>;
    /// `redis-cli` on the node that holds the keys.
    fn cli(&self, args: &[&str]) -> String;
    /// Kills the master that holds the bucket.
    fn kill_the_buckets_master(&mut self);
}

impl Shape for RedisCluster {
    fn keys(&self) -> Vec<String> {
        RedisCluster::keys(self).unwrap()
    }
    fn cli(&self, args: &[&str]) -> String {
        RedisCluster::cli(self, args).unwrap()
    }
    fn kill_the_buckets_master(&mut self) {
        let bucket = Shape::keys(self)
            .into_iter()
            .find(|k| k.ends_with("}:pacers") && !k.contains("start-check"))
            .expect("a bucket");
        self.kill_master_of(&bucket).unwrap();
    }
}

impl Shape for RedisSentinel {
    fn keys(&self) -> Vec<String> {
        RedisSentinel::keys(self).unwrap()
    }
    fn cli(&self, args: &[&str]) -> String {
        RedisSentinel::cli(self, args).unwrap()
    }
    fn kill_the_buckets_master(&mut self) {
        self.kill_master().unwrap();
    }
}

/// Three processes through `url` on `shape`: undisturbed (at most 1 %
/// 429, Redis holds no key), then on a new key with the bucket's master
/// killed a third of the way (at most 3 %). Returns the second runs.
async fn through(shape: &mut impl Shape, url: &str, name: &str) -> Vec<Output> {
    let dir = TempDir::new(&format!("{name}-quota"));
    let fake = tight_fake().await;
    let outputs = three_runs(&fake, &dir, Some(url), GUESTS, async {}).await;
    assert_run(&fake, &outputs, 1, name);
    let read = |key: &str| match key.ends_with(":pacers") {
        true => shape.cli(&["ZRANGE", key, "0", "-1"]),
        false => shape.cli(&["GET", key]),
    };
    redis_holds_no_key(shape.keys(), read, &fake);

    let fake = tight_fake().await;
    let dir = TempDir::new(&format!("{name}-failover"));
    let failover = async {
        a_third_of_the_way(&fake).await;
        shape.kill_the_buckets_master();
    };
    let outputs = three_runs(&fake, &dir, Some(url), GUESTS, failover).await;
    assert_run(&fake, &outputs, 3, &format!("{name}, master killed"));
    outputs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_share_the_quota_through_a_cluster_through_a_master_failover_too() {
    let mut cluster = RedisCluster::start().unwrap_or_else(|e| panic!("{e}"));
    add_quota_user(|args| cluster.cli_each(args));
    let url = with_user(&cluster.url());
    through(&mut cluster, &url, "cluster").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_share_the_quota_behind_sentinel_through_a_master_failover_too() {
    let mut redis = RedisSentinel::start().unwrap_or_else(|e| panic!("{e}"));
    add_quota_user(|args| redis.cli_each(args));
    let url = with_user(&redis.url());
    let outputs = through(&mut redis, &url, "sentinel").await;
    // Each process said it paced alone while the master was gone.
    for out in &outputs {
        let stderr = text(&out.stderr);
        assert!(stderr.contains("paces alone until it is back"), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_server_url_at_a_cluster_node_stops_at_start_with_exit_69_naming_the_cluster() {
    let cluster = RedisCluster::start().unwrap_or_else(|e| panic!("{e}"));
    let fake = FakeArtsvp::builder().invites(0).start().await.unwrap();
    let port = cluster.ports()[4];
    let out = command(&fake, &["quota"])
        .env(
            "EVENT_INVITES_QUOTA_STORE",
            format!("redis://127.0.0.1:{port}"),
        )
        .output()
        .await
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{stderr}");
    assert!(
        stderr.contains("this is a Redis Cluster: use redis+cluster://"),
        "{stderr}"
    );
    assert_eq!(fake.requests().len(), 0, "nothing was sent");
    // Through the cluster form it is what `quota` shows, credentials hidden.
    add_quota_user(|args| cluster.cli_each(args));
    let url = with_user(&cluster.url());
    let out = command(&fake, &["quota"])
        .env("EVENT_INVITES_QUOTA_STORE", &url)
        .output()
        .await
        .unwrap();
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let hidden = cluster.url().replacen("://", "://***:***@", 1);
    assert!(
        shown.contains(&format!("store        redis ({hidden})")),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rediss_cluster_is_reached_over_tls_with_the_ca_of_ssl_cert_file() {
    let cluster = RedisCluster::start_tls().unwrap_or_else(|e| panic!("{e}"));
    let url = cluster.url();
    assert!(url.starts_with("rediss+cluster://"), "{url}");
    let keys = || cluster.keys().unwrap();
    over_tls("cluster-tls", &url, &cluster.ca_file().unwrap(), keys).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rediss_sentinel_is_reached_over_tls_with_the_ca_of_ssl_cert_file() {
    let redis = RedisSentinel::start_tls().unwrap_or_else(|e| panic!("{e}"));
    let url = redis.url();
    assert!(url.starts_with("rediss+sentinel://"), "{url}");
    // The sentinels over TLS, then the master they name over TLS.
    let keys = || redis.keys().unwrap();
    over_tls("sentinel-tls", &url, &redis.ca_file().unwrap(), keys).await;
}

/// Three runs (in a directory named for `shape`) through a TLS shape at
/// `url` whose certificate `ca` signed:
/// the start check ran the script over TLS, the quota is shared (0 × 429,
/// the bucket's keys on the shape); without the CA, refused at start with
/// exit 69, naming the URL.
async fn over_tls(shape: &str, url: &str, ca: &std::path::Path, keys: impl Fn() -> Vec<String>) {
    let fake = tight_fake().await;
    let dir = TempDir::new(shape);
    let _alone = common::shared::ONE_SET_AT_A_TIME.lock().await;
    let mut runs = Vec::new();
    for process in 0..3 {
        let csv = dir.path(&format!("guests-{process}.csv"));
        let mut rows = String::from("name,email\n");
        for i in 0..10 {
            rows.push_str(&format!("Guest {i},tls{process}-{i}@example.com\n"));
        }
        std::fs::write(&csv, rows).unwrap();
        let mut child = command(&fake, &["invite", "--event", "3779b1", "--csv"]);
        child
            .arg(&csv)
            .env("EVENT_INVITES_QUOTA_STORE", url)
            .env("SSL_CERT_FILE", ca);
        runs.push(child.output());
    }
    for run in runs {
        let out = run.await.unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    assert_eq!(common::held_emails(&fake, "3779b1").len(), 30);
    assert_eq!(fake.requests().count(|r| r.status == Some(429)), 0);
    let keys = keys();
    assert!(
        keys.iter()
            .any(|k| k.starts_with("event-invites:quota:{artsvp-")),
        "{keys:?}"
    );
    let out = command(&fake, &["quota"])
        .env("EVENT_INVITES_QUOTA_STORE", url)
        .output()
        .await
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "{stderr}");
    assert!(
        stderr.contains(&format!("quota store {url} cannot be used")),
        "{stderr}"
    );
}
