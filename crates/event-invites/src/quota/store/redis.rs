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
mod tests;
