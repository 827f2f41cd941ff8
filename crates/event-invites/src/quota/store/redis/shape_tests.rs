//! The Redis store on the shapes teams run beyond one server, each started
//! by the test on loopback: a 3-master + 3-replica cluster and a master
//! with a replica behind three sentinels, failovers included; and the start
//! check's refusals (a cluster node named by a one-server URL, a read-only
//! replica, an ACL without scripting, a wrong password).

use std::time::{Duration, Instant};

use event_invites_fake::{RedisCluster, RedisSentinel, RedisServer};

use super::tests::decides_as_the_rust_bucket;
use crate::error::ErrorKind;
use crate::quota::store::QuotaStore;
use crate::quota::{Pacer, Quota};

fn started<T>(shape: std::io::Result<T>) -> T {
    shape.unwrap_or_else(|e| panic!("{e}"))
}

/// The message of a store that failed its start, which must name `url`
/// without `secrets`.
async fn refused(url: &str, secrets: &[&str]) -> String {
    let err = QuotaStore::redis(url).await.unwrap_err();
    let ErrorKind::QuotaStore { message, .. } = err.kind() else {
        panic!("{err:?}")
    };
    let shown = format!("{err} {err:?}");
    for secret in secrets {
        assert!(!shown.contains(secret), "{shown}");
    }
    message.clone()
}

/// Takes from `pacer` every 100 ms until it shares again, up to `limit`;
/// returns how long that took.
async fn until_shared(pacer: &Pacer, limit: Duration) -> Duration {
    let lost = Instant::now();
    while lost.elapsed() < limit {
        pacer.try_acquire(tokio::time::Instant::now()).await;
        if pacer.usage().await.shared {
            return lost.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not shared again within {limit:?}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_cluster_both_keys_of_a_bucket_are_in_one_slot_and_the_script_decides_as_rust() {
    let cluster = started(RedisCluster::start());
    let store = QuotaStore::redis(&cluster.url()).await.unwrap();
    assert_eq!(store.to_string(), format!("redis ({})", cluster.url()));
    decides_as_the_rust_bucket(&store).await;
    let quota = Some(Quota::new(5, Duration::from_secs(60)));
    let pacer = Pacer::shared(quota, store, "artsvp-0123456789abcdef".into());
    assert_eq!(pacer.try_acquire(tokio::time::Instant::now()).await, None);
    let bucket = "event-invites:quota:{artsvp-0123456789abcdef}";
    let keys = cluster.keys().unwrap();
    assert!(keys.iter().any(|k| k == bucket), "{keys:?}");
    assert!(keys.contains(&format!("{bucket}:pacers")), "{keys:?}");
    let slot = cluster.slot(bucket).unwrap();
    assert_eq!(cluster.slot(&format!("{bucket}:pacers")).unwrap(), slot);
    assert_eq!(pacer.usage().await.left, Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_server_url_at_any_cluster_node_stops_at_start_naming_the_cluster() {
    let cluster = started(RedisCluster::start());
    // Masters and replicas alike, whether or not the node owns the start
    // check's slot.
    for port in cluster.ports() {
        let message = refused(&format!("redis://127.0.0.1:{port}"), &[]).await;
        assert!(
            message.starts_with("this is a Redis Cluster: use redis+cluster://"),
            "{message}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_master_killed_mid_run_leaves_the_run_paced_alone_until_its_replica_serves() {
    let mut cluster = started(RedisCluster::start());
    let store = QuotaStore::redis(&cluster.url()).await.unwrap();
    let quota = Some(Quota::new(100, Duration::from_secs(3600)));
    let pacer = Pacer::shared(quota, store, "artsvp-failover".into());
    for _ in 0..10 {
        assert_eq!(pacer.try_acquire(tokio::time::Instant::now()).await, None);
    }
    cluster
        .kill_master_of("event-invites:quota:{artsvp-failover}")
        .unwrap();
    let took = until_shared(&pacer, Duration::from_secs(20)).await;
    eprintln!("cluster failover: shared again {took:?} after the master was killed");
    // What was taken before the failover is on the replica that took over.
    let left = pacer.usage().await.left.unwrap();
    assert!(left <= 90, "{left} left of 100 after more than 10 taken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_sentinel_the_master_is_found_and_found_again_after_a_failover() {
    let mut redis = started(RedisSentinel::start());
    let store = QuotaStore::redis(&redis.url()).await.unwrap();
    // The master's address given as a sentinel's: refused, saying so.
    let master = redis
        .first_master_url()
        .replace("redis://", "redis+sentinel://")
        + "/ei-quota";
    let message = refused(&master, &[]).await;
    assert!(
        message.starts_with("no sentinel answers at the URL's addresses"),
        "{message}"
    );
    // Its replica, named by a one-server URL, is refused at start.
    let message = refused(&redis.replica_url(), &[]).await;
    assert!(
        message.starts_with("this node is a read-only replica"),
        "{message}"
    );
    let quota = Some(Quota::new(100, Duration::from_secs(3600)));
    let pacer = Pacer::shared(quota, store, "artsvp-sentinel".into());
    for _ in 0..10 {
        assert_eq!(pacer.try_acquire(tokio::time::Instant::now()).await, None);
    }
    let keys = redis.keys().unwrap();
    assert!(keys.contains(&"event-invites:quota:{artsvp-sentinel}".to_string()));
    let old = redis.kill_master().unwrap();
    let took = until_shared(&pacer, Duration::from_secs(30)).await;
    let new = redis.wait_failover().unwrap();
    assert_ne!(new, old);
    eprintln!("sentinel failover: shared again {took:?} after the master was killed");
    let left = pacer.usage().await.left.unwrap();
    assert!(left <= 90, "{left} left of 100 after more than 10 taken");
}

#[tokio::test]
async fn a_user_without_scripting_or_with_a_wrong_password_stops_at_start_saying_so() {
    let redis = started(RedisServer::start());
    redis
        .cli(&[
            "ACL",
            "SETUSER",
            "noscript",
            "on",
            ">n0scr1pt",
            "~*",
            "+@all",
            "-@scripting",
        ])
        .unwrap();
    let quota_user = event_invites_fake::quota_acl_user("quota", "qu0ta");
    let quota_user: Vec<&str> = quota_user.iter().map(String::as_str).collect();
    redis.cli(&quota_user).unwrap();
    let url = |user: &str, pass: &str| format!("{}?user={user}&pass={pass}", redis.url());
    let message = refused(&url("noscript", "n0scr1pt"), &["noscript", "n0scr1pt"]).await;
    assert!(
        message.starts_with("the Redis user may not run the quota script"),
        "{message}"
    );
    let message = refused(&url("quota", "wr0ng"), &["wr0ng"]).await;
    assert!(
        message.starts_with("the server refused the user or password"),
        "{message}"
    );
    // The user the guide suggests: the script and what it runs, on the
    // quota's keys only.
    let store = QuotaStore::redis(&url("quota", "qu0ta")).await.unwrap();
    assert!(!store.to_string().contains("qu0ta"), "{store}");
}

#[tokio::test]
async fn a_url_of_no_known_form_is_a_config_error_listing_the_forms() {
    for url in [
        "redis+cluster://:s3cret@h:notaport",
        "redis+sentinel://:s3cret@h:26379",
    ] {
        let err = QuotaStore::redis(url).await.unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
        let shown = err.to_string();
        assert!(
            shown.contains("redis+sentinel://[USER:PASSWORD@]"),
            "{shown}"
        );
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
