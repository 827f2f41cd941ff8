use super::wire::{answer, decode, encode};
use super::*;
use crate::observe::PacingReason;
use crate::quota::bucket::Reading;
use crate::quota::bucket::{Answer, Bucket};
use crate::quota::{Pacer, Quota};
use event_invites_fake::RedisServer;

fn server() -> RedisServer {
    RedisServer::start().unwrap_or_else(|e| panic!("{e}"))
}

/// A random exchange: often no events, so requests are also counted blind
/// between readings; some read nearly a second ago, so a window can end
/// within the next millisecond.
fn random_ask(rng: &mut fastrand::Rng, quota: Option<Quota>) -> Ask {
    let ago = |rng: &mut fastrand::Rng| match rng.u8(0..4) {
        0 => rng.u64(995_000..1_000_000),
        _ => rng.u64(0..5_000),
    };
    let count = rng.usize(0..6).saturating_sub(3);
    let events = (0..count)
        .map(|_| match rng.u8(0..4) {
            0 => Event::Block {
                wait: rng.u64(0..30_000),
                ago: ago(rng),
            },
            _ => Event::Observe {
                reading: Reading {
                    limit: rng.bool().then(|| rng.u64(0..12)),
                    remaining: rng.u64(0..6),
                    reset: Duration::from_secs(rng.u64(0..3)),
                },
                ago: ago(rng),
            },
        })
        .collect();
    Ask {
        quota,
        now: 0,
        events,
        take: rng.u8(0..4) != 0,
        seed: None,
        pacer: 1,
    }
}

/// The script's answer and the Rust bucket's agree: the same reason to
/// wait, waits within a microsecond, the same bucket (tokens within 1e-6).
#[track_caller]
fn assert_same_decision(theirs: &Answer, mine: &Answer, context: &str) {
    assert_eq!(
        theirs.wait.map(|w| w.1),
        mine.wait.map(|w| w.1),
        "{context}"
    );
    if let (Some((a, _)), Some((b, _))) = (theirs.wait, mine.wait) {
        let gap = a.abs_diff(b);
        assert!(gap <= Duration::from_micros(1), "{a:?} vs {b:?}: {context}");
    }
    let (t, m) = (&theirs.bucket, &mine.bucket);
    assert!(
        (t.tokens - m.tokens).abs() < 1e-6,
        "{t:?} vs {m:?}: {context}"
    );
    let exact = |b: &Bucket| Bucket {
        tokens: 0.0,
        ..b.clone()
    };
    assert_eq!(exact(t), exact(m), "{context}");
}

/// A sequence of exchanges, each run by the script on Redis and by
/// [`Ask::apply`] at the time Redis answered, on a bucket of its own.
async fn differential(store: &QuotaStore, key: &str, quota: Option<Quota>, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut ours: Option<Bucket> = None;
    for step in 0..400 {
        let ask = random_ask(&mut rng, quota);
        let theirs = store.inner.exchange(key, &ask).await.unwrap();
        let mine = ask.apply(&mut ours, theirs.now);
        assert_same_decision(
            &theirs,
            &mine,
            &format!("step {step} of seed {seed}: {ask:?}"),
        );
        // Ours goes on from Redis's, so a rounding cannot compound.
        ours = Some(theirs.bucket);
        if rng.u8(0..8) == 0 {
            tokio::time::sleep(Duration::from_millis(rng.u64(1..40))).await;
        }
    }
}

/// The differential test on `store`: a tight quota (a token every 20 ms),
/// one the server's smaller limits cut, and none at all.
pub(super) async fn decides_as_the_rust_bucket(store: &QuotaStore) {
    let quotas = [
        Some(Quota::new(3, Duration::from_millis(60))),
        Some(Quota::new(10, Duration::from_millis(500))),
        None,
    ];
    for (n, quota) in quotas.into_iter().enumerate() {
        differential(store, &format!("diff-{n}"), quota, n as u64).await;
    }
}

#[tokio::test]
async fn the_script_decides_as_the_rust_bucket_does() {
    let redis = server();
    let store = QuotaStore::redis(&redis.url()).await.unwrap();
    decides_as_the_rust_bucket(&store).await;
}

#[tokio::test]
async fn sharers_whose_clocks_disagree_by_minutes_share_one_bucket() {
    let redis = server();
    let store = QuotaStore::redis(&redis.url()).await.unwrap();
    let quota = Some(Quota::new(4, Duration::from_secs(60)));
    let minutes = 7 * 60 * 1_000_000;
    let ahead = Pacer::shared(quota, store.clone(), "skew".into()).skewed(minutes);
    let behind = Pacer::shared(quota, store.clone(), "skew".into()).skewed(-minutes);
    let now = tokio::time::Instant::now();
    for pacer in [&ahead, &behind, &ahead, &behind] {
        assert_eq!(pacer.try_acquire(now).await, None);
    }
    // 4 taken between them: each waits for one token (15 s), not for
    // minutes, nor none.
    for pacer in [&ahead, &behind] {
        let (wait, reason) = pacer.try_acquire(now).await.expect("the quota is spent");
        assert_eq!(reason, PacingReason::Quota);
        assert!(
            wait > Duration::from_secs(14) && wait <= Duration::from_secs(15),
            "{wait:?}"
        );
    }
    // A 429 one of them saw holds the other for its wait, on Redis's clock.
    ahead.block_for(Duration::from_secs(30)).await;
    let held = behind.usage().await.blocked_for.expect("held");
    assert!(
        held > Duration::from_secs(29) && held <= Duration::from_secs(30),
        "{held:?}"
    );
}

#[tokio::test]
async fn redis_lost_mid_run_leaves_pacing_to_the_process_until_it_is_back() {
    let mut redis = server();
    let store = QuotaStore::redis(&redis.url()).await.unwrap();
    let quota = Some(Quota::new(3, Duration::from_secs(60)));
    let pacer = Pacer::shared(quota, store, "lost".into());
    let now = tokio::time::Instant::now();
    assert_eq!(pacer.try_acquire(now).await, None);
    redis.stop();
    // Two left of three, as Redis last said.
    assert_eq!(pacer.try_acquire(now).await, None);
    assert!(!pacer.usage().await.shared);
    assert_eq!(pacer.try_acquire(now).await, None);
    assert!(pacer.try_acquire(now).await.is_some());
    // Back, empty: seeded from this process's count, not a full quota.
    redis.restart().unwrap();
    let mut back = None;
    for _ in 0..50 {
        let usage = pacer.usage().await;
        if usage.shared {
            back = Some(usage);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let usage = back.expect("shared again within 5 s of the restart");
    assert_eq!(usage.left, Some(0), "{usage:?}");
    assert!(pacer.try_acquire(now).await.is_some());
}

#[tokio::test]
async fn while_redis_is_lost_each_of_its_sharers_paces_to_its_share() {
    let mut redis = server();
    let store = QuotaStore::redis(&redis.url()).await.unwrap();
    let quota = Some(Quota::new(12, Duration::from_secs(600)));
    let pacers: Vec<Pacer> = (0..3)
        .map(|_| Pacer::shared(quota, store.clone(), "thirds".into()))
        .collect();
    let now = tokio::time::Instant::now();
    for pacer in &pacers {
        assert_eq!(pacer.try_acquire(now).await, None);
    }
    // Each learns there are three of them with its next exchange.
    for pacer in &pacers {
        assert_eq!(pacer.try_acquire(now).await, None);
    }
    redis.stop();
    // 6 left of 12: 2 each, then each waits.
    for pacer in &pacers {
        assert_eq!(pacer.try_acquire(now).await, None);
        assert_eq!(pacer.try_acquire(now).await, None);
        let (_, reason) = pacer.try_acquire(now).await.expect("its share is spent");
        assert_eq!(reason, PacingReason::Quota);
        assert_eq!(pacer.outlook().available, Some(0));
    }
    // Back, empty: the first sharer back restores the whole from its
    // share, not a full quota. It last saw 8 left (it took the 4th),
    // so its share was 2⅔ and ⅔ is left: 2 for all three.
    redis.restart().unwrap();
    let mut usage = pacers[0].usage().await;
    for _ in 0..50 {
        if usage.shared {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        usage = pacers[0].usage().await;
    }
    assert!(usage.shared, "shared again within 5 s of the restart");
    assert_eq!(usage.left, Some(2), "{usage:?}");
}

#[tokio::test]
async fn redis_holds_no_key_and_nothing_that_outlives_the_quota() {
    let redis = server();
    let store = QuotaStore::redis(&redis.url()).await.unwrap();
    let key = "sk_live_do_not_store_me";
    let pacer_bucket = super::super::bucket_name("ARTSVP", "https://app.artsvp.com", key);
    let quota = Some(Quota::new(5, Duration::from_secs(60)));
    let pacer = Pacer::shared(quota, store, pacer_bucket.clone());
    pacer.try_acquire(tokio::time::Instant::now()).await;
    pacer.block_for(Duration::from_secs(2)).await;
    let mut keys = redis.keys().unwrap();
    keys.sort();
    // The start check's own bucket, gone within a second.
    let probe = "event-invites:quota:{start-check}";
    assert_eq!(keys.pop().as_deref(), Some(probe), "{keys:?}");
    let ttl: u64 = redis.cli(&["PTTL", probe]).unwrap().trim().parse().unwrap();
    assert!(ttl <= 1_000, "{ttl}");
    // One hash tag for both: one slot on a cluster, the same names on a
    // lone server.
    let bucket = format!("event-invites:quota:{{artsvp-{}}}", &pacer_bucket[7..]);
    assert_eq!(keys, [bucket.clone(), format!("{bucket}:pacers")]);
    let value = redis.cli(&["GET", &keys[0]]).unwrap();
    let pacers = redis.cli(&["ZRANGE", &keys[1], "0", "-1"]).unwrap();
    for text in [&keys[0], &keys[1], &value, &pacers] {
        assert!(!text.contains(key) && !text.contains("sk_live"), "{text}");
    }
    // Numbers only, and gone once the quota would be whole again (the
    // pacers 30 s after the last took).
    for numbers in [&value, &pacers] {
        let mut fields = numbers.split_whitespace();
        assert!(
            fields.all(|f| f == "-" || f.parse::<f64>().is_ok()),
            "{numbers}"
        );
    }
    for key in &keys {
        let ttl: u64 = redis.cli(&["PTTL", key]).unwrap().trim().parse().unwrap();
        assert!(ttl > 60_000 && ttl <= 121_000, "{key}: {ttl}");
    }
}

#[tokio::test]
async fn a_bad_or_unreachable_url_is_an_error_naming_it_without_its_password() {
    let err = QuotaStore::redis("redis://:hunter2@[::1")
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("hunter2"), "{err}");

    let dir = std::env::temp_dir().join(format!("ei-no-redis-{}", std::process::id()));
    let url = format!("redis+unix://{}/none.sock?pass=hunter2", dir.display());
    let err = QuotaStore::redis(&url).await.unwrap_err();
    let ErrorKind::QuotaStore { store, .. } = err.kind() else {
        panic!("{err:?}")
    };
    assert!(store.ends_with("none.sock?pass=***"), "{store}");
    assert!(err.to_string().contains("none.sock?pass=***"), "{err}");
    assert!(!format!("{err} {err:?}").contains("hunter2"), "{err}");
}

#[tokio::test]
async fn the_store_says_where_it_is_with_its_password_hidden() {
    let redis = server();
    let url = format!("{}?db=2", redis.url());
    let store = QuotaStore::redis(&url).await.unwrap();
    assert_eq!(store.to_string(), format!("redis ({url})"));
    assert_eq!(format!("{store:?}"), format!("QuotaStore(redis ({url}))"));
}

#[test]
fn a_bucket_reads_back_as_written_and_a_bad_reply_is_an_error() {
    let mut bucket = Bucket::new(Some(Quota::per_second(3)), 1_733_280_000_123_456);
    bucket.tokens = 0.1 + 0.2;
    bucket.window_end = Some((1_733_280_000_000_001, 1_733_280_001_000_001));
    bucket.server_limit = Some(7);
    assert_eq!(decode(&encode(&bucket)), Some(bucket.clone()));
    let reply = |fields: [&str; 5]| fields.map(String::from);
    let ok = answer(&reply(["5", &encode(&bucket), "250", "quota", "3"])).unwrap();
    assert_eq!(
        ok.wait,
        Some((Duration::from_micros(250), PacingReason::Quota))
    );
    assert_eq!(ok.sharers, Some(3));
    for bad in [
        reply(["x", &encode(&bucket), "", "", "1"]),
        reply(["5", "1 2 3", "", "", "1"]),
        reply(["5", &encode(&bucket), "250", "why", "1"]),
        reply(["5", &encode(&bucket), "", "", "many"]),
    ] {
        assert_eq!(answer(&bad).unwrap_err().kind(), io::ErrorKind::InvalidData);
    }
    assert!(answer(&["1".to_string()]).is_err());
}
