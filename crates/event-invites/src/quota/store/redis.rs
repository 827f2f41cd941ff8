//! The Redis quota store: one bucket per key in a Redis server that
//! processes on several hosts share, updated by one Lua script
//! (`bucket.lua`) that reads Redis's own clock, so the hosts' clocks do not
//! matter.
//!
//! The script is the same token bucket as [`Ask::apply`] (the pacer's own
//! algorithm, ported line by line): the differential test below runs both
//! on the same sequences on a real `redis-server` and compares every
//! decision. Token bucket rather than GCRA: it is the algorithm the
//! in-process and host stores already use and test, so all three stores
//! pace alike, and its state also carries what GCRA's one timestamp cannot
//! (the server's budget and window, a 429's hold).

use std::io;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Exchanged, QuotaStore, Store};
use crate::error::{Error, ErrorKind};
use crate::observe::PacingReason;
use crate::quota::bucket::{Answer, Ask, Bucket, Event};

/// How long one exchange may take before the pacer paces alone.
const EXCHANGE_TIMEOUT: Duration = Duration::from_millis(750);
/// How long connecting may take (at start and when reconnecting).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Where the buckets are: `event-invites:quota:artsvp-0123456789abcdef`.
const PREFIX: &str = "event-invites:quota:";

static SCRIPT: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(include_str!("bucket.lua")));

/// After an exchange fails, how long the others fail at once without
/// asking (so that while Redis is down, one request in this long pays for
/// trying to reconnect, not every one).
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(500);

/// Buckets in a Redis server.
pub(super) struct Redis {
    /// The URL with its password replaced (for messages).
    shown: String,
    connection: ConnectionManager,
    /// Until when exchanges fail without asking, after one failed.
    resting: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis").field("url", &self.shown).finish()
    }
}

impl QuotaStore {
    /// Buckets in a Redis server, shared by every process on every host
    /// that uses the same server: `redis://[:password@]host[:port][/db]`,
    /// `rediss://…` (TLS, trusting the system's roots, or the bundle in
    /// `SSL_CERT_FILE`) or `redis+unix:///path/to/redis.sock[?pass=…]`.
    /// Each request is one atomic script on the server's own clock (the
    /// hosts' clocks need not agree); a bucket expires once its quota would
    /// be whole again.
    ///
    /// Connects and loads the script before returning: a URL that does not
    /// parse is [`ErrorKind::Config`], a server that cannot be reached or
    /// refuses the password is [`ErrorKind::QuotaStore`]; both name the URL
    /// with its password hidden (as does the store's `Display`). A server
    /// lost later is not fatal: clients pace alone and say so (see
    /// [`QuotaStore`]), and share again when it is back.
    ///
    /// Needs the `redis` feature.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), event_invites::Error> {
    /// use event_invites::{Artsvp, QuotaStore};
    ///
    /// let store = QuotaStore::redis("redis://:s3cret@quota.internal:6379").await?;
    /// assert_eq!(store.to_string(), "redis (redis://:***@quota.internal:6379)");
    /// let client = Artsvp::builder().api_key("key").quota_store(store).build()?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn redis(url: &str) -> Result<QuotaStore, Error> {
        let shown = redacted(url);
        // The crate's own words may quote the URL: not shown.
        let client = redis::Client::open(url).map_err(|_| {
            Error::config(format!(
                "the quota store URL {shown} is not a Redis URL (redis://host[:port][/db], \
                 rediss://… or redis+unix:///path/to/socket)"
            ))
        })?;
        let unavailable = |message: String| {
            Error::without_operation(ErrorKind::QuotaStore {
                store: shown.clone(),
                message,
            })
        };
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(EXCHANGE_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(Duration::from_millis(100));
        let mut connection = tokio::time::timeout(
            CONNECT_TIMEOUT * 2,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| unavailable("no answer in time".into()))?
        .map_err(|e| unavailable(problem(&e)))?;
        SCRIPT
            .prepare_invoke()
            .load_async(&mut connection)
            .await
            .map_err(|e| unavailable(problem(&e)))?;
        Ok(QuotaStore {
            inner: std::sync::Arc::new(Redis {
                shown,
                connection,
                resting: std::sync::Mutex::new(None),
            }),
        })
    }
}

impl Store for Redis {
    fn exchange<'a>(&'a self, key: &'a str, ask: &'a Ask) -> Exchanged<'a> {
        Box::pin(async move {
            let mut invocation = SCRIPT.key(format!("{PREFIX}{key}"));
            invocation.key(format!("{PREFIX}{key}:pacers"));
            let quota = ask.quota;
            invocation
                .arg(quota.map_or(0, |q| q.limit))
                .arg(quota.map_or(0, |q| q.window.as_micros() as u64))
                .arg(if ask.take { "1" } else { "0" })
                .arg(ask.seed.as_ref().map_or(String::new(), encode))
                .arg(ask.pacer);
            for event in &ask.events {
                match *event {
                    Event::Observe { reading, ago } => invocation
                        .arg("o")
                        .arg(ago)
                        .arg(reading.limit.map_or("-".into(), |l| l.to_string()))
                        .arg(reading.remaining)
                        .arg(reading.reset.as_micros() as u64),
                    Event::Block { wait, ago } => {
                        invocation.arg("b").arg(ago).arg(wait).arg("-").arg("-")
                    }
                };
            }
            let now = tokio::time::Instant::now();
            if self.rest().is_some_and(|until| now < until) {
                return Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "unreachable a moment ago",
                ));
            }
            let mut connection = self.connection.clone();
            let reply: io::Result<Vec<String>> =
                tokio::time::timeout(EXCHANGE_TIMEOUT, invocation.invoke_async(&mut connection))
                    .await
                    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer in time"))
                    .and_then(|r| r.map_err(|e| io::Error::other(problem(&e))));
            *self.resting.lock().unwrap_or_else(|e| e.into_inner()) = match &reply {
                Ok(_) => None,
                Err(_) => Some(tokio::time::Instant::now() + RETRY_AFTER_FAILURE),
            };
            answer(&reply?)
        })
    }

    fn describe(&self) -> String {
        format!("redis ({})", self.shown)
    }
}

impl Redis {
    /// Until when exchanges fail without asking, if they do.
    fn rest(&self) -> Option<tokio::time::Instant> {
        *self.resting.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What went wrong, in the redis crate's words for its kind of error
/// (never a password: the crate does not echo the URL).
fn problem(e: &redis::RedisError) -> String {
    if e.is_connection_refusal() {
        "connection refused".into()
    } else if e.is_timeout() {
        "no answer in time".into()
    } else {
        e.to_string()
    }
}

/// `url` with its password (user info, or a `pass`/`password` query
/// parameter) replaced by `***`; a URL that does not parse shows its scheme
/// only.
pub(crate) fn redacted(url: &str) -> String {
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        let scheme = url.split_once("://").map_or("", |(s, _)| s);
        return format!("{scheme}://(unparsable)");
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    let hidden = |name: &str| matches!(name, "pass" | "password");
    if parsed.query_pairs().any(|(k, _)| hidden(&k)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if hidden(&k) {
                    "***".into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// A bucket as the script keeps it: nine fields, `-` for none.
fn encode(b: &Bucket) -> String {
    let opt = |v: Option<u64>| v.map_or("-".into(), |v| v.to_string());
    [
        format!("{:?}", b.tokens),
        b.refilled_at.to_string(),
        opt(b.server_remaining),
        opt(b.window_end.map(|(lo, _)| lo)),
        opt(b.window_end.map(|(_, hi)| hi)),
        opt(b.blocked_until),
        b.sent_unknown.to_string(),
        opt(b.server_limit),
        opt(b.server_window),
    ]
    .join(" ")
}

/// The script's reply: its clock, the bucket, the wait and why, the
/// pacers lately.
fn answer(reply: &[String]) -> io::Result<Answer> {
    let bad = |what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the quota script answered {what}"),
        )
    };
    let [now, bucket, wait, reason, pacers] = reply else {
        return Err(bad("the wrong number of values"));
    };
    let now = now.parse().map_err(|_| bad("no time"))?;
    let bucket = decode(bucket).ok_or_else(|| bad("a bucket it cannot read"))?;
    let wait = if wait.is_empty() {
        None
    } else {
        let wait = Duration::from_micros(wait.parse().map_err(|_| bad("a wait it cannot read"))?);
        let reason = match reason.as_str() {
            "quota" => PacingReason::Quota,
            "server" => PacingReason::ServerWindow,
            "retry" => PacingReason::RetryAfter,
            _ => return Err(bad("an unknown reason")),
        };
        Some((wait, reason))
    };
    let sharers = Some(pacers.parse().map_err(|_| bad("no count of pacers"))?);
    Ok(Answer {
        now,
        bucket,
        wait,
        sharers,
    })
}

/// A bucket from the script's nine fields.
fn decode(text: &str) -> Option<Bucket> {
    let fields: Vec<&str> = text.split(' ').collect();
    let [
        tokens,
        refilled_at,
        remaining,
        lo,
        hi,
        blocked,
        unknown,
        limit,
        window,
    ] = fields[..]
    else {
        return None;
    };
    let opt = |v: &str| -> Option<Option<u64>> {
        if v == "-" {
            Some(None)
        } else {
            v.parse().ok().map(Some)
        }
    };
    let window_end = match (opt(lo)?, opt(hi)?) {
        (Some(lo), Some(hi)) => Some((lo, hi)),
        _ => None,
    };
    Some(Bucket {
        tokens: tokens.parse().ok()?,
        refilled_at: refilled_at.parse().ok()?,
        server_remaining: opt(remaining)?,
        window_end,
        blocked_until: opt(blocked)?,
        sent_unknown: unknown.parse().ok()?,
        server_limit: opt(limit)?,
        server_window: opt(window)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quota::bucket::Reading;
    use crate::quota::{Pacer, Quota};
    use event_invites_fake::RedisServer;

    fn server() -> RedisServer {
        RedisServer::start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// A sequence of exchanges, each run by the script on Redis and by
    /// [`Ask::apply`] at the time Redis answered, on a bucket of its own.
    async fn differential(store: &QuotaStore, key: &str, quota: Option<Quota>, seed: u64) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut ours: Option<Bucket> = None;
        for step in 0..400 {
            // Often none, so requests are also counted blind between
            // readings; some read nearly a second ago, so a window can end
            // within the next millisecond.
            let ago = |rng: &mut fastrand::Rng| match rng.u8(0..4) {
                0 => rng.u64(995_000..1_000_000),
                _ => rng.u64(0..5_000),
            };
            let count = rng.usize(0..6).saturating_sub(3);
            let events = (0..count)
                .map(|_| match rng.u8(0..4) {
                    0 => Event::Block {
                        wait: rng.u64(0..30_000),
                        ago: ago(&mut rng),
                    },
                    _ => Event::Observe {
                        reading: Reading {
                            limit: rng.bool().then(|| rng.u64(0..12)),
                            remaining: rng.u64(0..6),
                            reset: Duration::from_secs(rng.u64(0..3)),
                        },
                        ago: ago(&mut rng),
                    },
                })
                .collect();
            let ask = Ask {
                quota,
                now: 0,
                events,
                take: rng.u8(0..4) != 0,
                seed: None,
                pacer: 1,
            };
            let theirs = store.inner.exchange(key, &ask).await.unwrap();
            let mine = ask.apply(&mut ours, theirs.now);
            let context = format!("step {step} of seed {seed}: {ask:?}");
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
            // Ours goes on from Redis's, so a rounding cannot compound.
            ours = Some(theirs.bucket);
            if rng.u8(0..8) == 0 {
                tokio::time::sleep(Duration::from_millis(rng.u64(1..40))).await;
            }
        }
    }

    #[tokio::test]
    async fn the_script_decides_as_the_rust_bucket_does() {
        let redis = server();
        let store = QuotaStore::redis(&redis.url()).await.unwrap();
        // A tight quota (a token every 20 ms), one the server's smaller
        // limits cut, and none at all.
        let quotas = [
            Some(Quota::new(3, Duration::from_millis(60))),
            Some(Quota::new(10, Duration::from_millis(500))),
            None,
        ];
        for (n, quota) in quotas.into_iter().enumerate() {
            differential(&store, &format!("diff-{n}"), quota, n as u64).await;
        }
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
        let bucket = format!("event-invites:quota:artsvp-{}", &pacer_bucket[7..]);
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
        for (url, shown) in [
            ("redis://:s3cret@h:6379/1", "redis://:***@h:6379/1"),
            ("rediss://user:s3cret@h", "rediss://user:***@h"),
            ("redis://h:6379", "redis://h:6379"),
            (
                "redis+unix:///r.sock?db=1&pass=s3cret",
                "redis+unix:///r.sock?db=1&pass=***",
            ),
            (
                "redis+unix:///r.sock?password=s3cret",
                "redis+unix:///r.sock?password=***",
            ),
            ("redis://:s3cret@[oops", "redis://(unparsable)"),
        ] {
            assert_eq!(redacted(url), shown);
        }
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
}
