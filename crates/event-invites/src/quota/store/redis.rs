//! The Redis quota store: one bucket per key in Redis, shared by processes
//! on several hosts, updated by one Lua script (`bucket.lua`) that reads
//! Redis's own clock, so the hosts' clocks do not matter. One server, a
//! Redis Cluster or a master behind Sentinel (`url.rs` reads the URL forms,
//! `link.rs` connects to each shape, `check.rs` checks at start that the
//! script runs, `wire.rs` reads its answers).
//!
//! A bucket's two keys share one hash tag, `event-invites:quota:{NAME}`
//! and `event-invites:quota:{NAME}:pacers`, so that on a cluster they are
//! in one slot (a script's keys must be) and the script runs on the node
//! that owns it; a lone server names them the same, one layout everywhere.
//!
//! The script is the same token bucket as [`Ask::apply`] (the pacer's own
//! algorithm, ported line by line): the differential test runs both on the
//! same sequences on a real `redis-server` (and on a real cluster) and
//! compares every decision. Token bucket rather than GCRA: it is the
//! algorithm the in-process and host stores already use and test, so all
//! three stores pace alike, and its state also carries what GCRA's one
//! timestamp cannot (the server's budget and window, a 429's hold).

use std::io;
use std::time::Duration;

use super::{Exchanged, QuotaStore, Store};
use crate::error::{Error, ErrorKind};
use crate::quota::bucket::{Ask, Event};

mod check;
mod link;
mod url;
mod wire;

pub(crate) use url::redacted;

/// How long one exchange may take before the pacer paces alone.
const EXCHANGE_TIMEOUT: Duration = Duration::from_millis(750);
/// Where the buckets are: `event-invites:quota:{artsvp-0123456789abcdef}`.
const PREFIX: &str = "event-invites:quota:";

static SCRIPT: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(include_str!("bucket.lua")));

/// After an exchange fails, how long the others fail at once without
/// asking (so that while Redis is down, one request in this long pays for
/// trying to reconnect, not every one).
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(500);

/// Buckets in Redis.
pub(super) struct Redis {
    /// The URL with its user and password replaced (for messages).
    shown: String,
    link: link::Link,
    /// Until when exchanges fail without asking, after one failed.
    resting: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis").field("url", &self.shown).finish()
    }
}

impl QuotaStore {
    /// Buckets in Redis, shared by every process on every host that uses
    /// the same Redis. One server: `redis://[USER:PASSWORD@]HOST[:PORT][/DB]`,
    /// `rediss://…` (TLS) or `redis+unix:///path/to/redis.sock[?user=…&pass=…]`.
    /// A Redis Cluster: `redis+cluster://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…]`
    /// (seed nodes; `rediss+cluster://` for TLS): each bucket is asked of
    /// the node that owns its slot, found again after a failover or a
    /// resharding. A master behind Sentinel:
    /// `redis+sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…]/SERVICE`
    /// (the sentinels; `rediss+sentinel://` for TLS): the sentinels are
    /// asked for SERVICE's master, and asked again after a connection is
    /// lost or a demoted master answers `READONLY`. USER and PASSWORD are
    /// the master's; sentinels that want their own take
    /// `?sentinel_user=…&sentinel_password=…`. TLS trusts the system's
    /// roots, or the bundle in `SSL_CERT_FILE`.
    ///
    /// Each request is one atomic script on the server's own clock (the
    /// hosts' clocks need not agree); a bucket expires once its quota would
    /// be whole again.
    ///
    /// Connects and runs the script once (counting nothing) before
    /// returning, so that a store that could not serve requests fails now:
    /// a URL that does not parse is [`ErrorKind::Config`]; a server that
    /// cannot be reached, refuses the user or password, refuses the script
    /// to the user (ACL), is a read-only replica, or is a cluster node
    /// named by a one-server URL is [`ErrorKind::QuotaStore`], saying what
    /// to do. Both name the URL with its user and password hidden (as does
    /// the store's `Display`). A server lost later is not fatal: clients
    /// pace alone and say so (see [`QuotaStore`]), and share again when it
    /// (or a new master) answers.
    ///
    /// Needs the `redis` feature.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), event_invites::Error> {
    /// use event_invites::{Artsvp, QuotaStore};
    ///
    /// let store = QuotaStore::redis("redis+cluster://quota:s3cret@10.0.0.5:6379,10.0.0.6:6379").await?;
    /// assert_eq!(store.to_string(), "redis (redis+cluster://***:***@10.0.0.5:6379,10.0.0.6:6379)");
    /// let client = Artsvp::builder().api_key("key").quota_store(store).build()?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn redis(url: &str) -> Result<QuotaStore, Error> {
        let shown = redacted(url);
        // The crate's own words may quote the URL: not shown.
        let not_a_url = || {
            Error::config(format!(
                "the quota store URL {shown} is not a Redis URL ({})",
                url::FORMS
            ))
        };
        let target = url::Target::parse(url).ok_or_else(not_a_url)?;
        let single = matches!(target, url::Target::Single(_));
        let unavailable = |message: String| {
            Error::without_operation(ErrorKind::QuotaStore {
                store: shown.clone(),
                message,
            })
        };
        let link = tokio::time::timeout(
            link::CONNECT_TIMEOUT * 2,
            link::Link::connect(&target, EXCHANGE_TIMEOUT),
        )
        .await
        .map_err(|_| unavailable("no answer in time".into()))?
        .map_err(|e| match e.kind() {
            redis::ErrorKind::InvalidClientConfig if single => not_a_url(),
            // The crate's word when no address of the URL is a sentinel.
            redis::ErrorKind::InvalidClientConfig
                if matches!(target, url::Target::Sentinel { .. }) =>
            {
                unavailable(format!(
                    "no sentinel answers at the URL's addresses: redis+sentinel:// names the \
                     sentinels (port 26379 by default), not the master ({e})"
                ))
            }
            _ => unavailable(check::problem(&e, single)),
        })?;
        tokio::time::timeout(link::CONNECT_TIMEOUT * 2, check::start_check(&link))
            .await
            .map_err(|_| unavailable("no answer in time".into()))?
            .map_err(unavailable)?;
        Ok(QuotaStore {
            inner: std::sync::Arc::new(Redis {
                shown,
                link,
                resting: std::sync::Mutex::new(None),
            }),
        })
    }
}

impl Store for Redis {
    fn exchange<'a>(&'a self, key: &'a str, ask: &'a Ask) -> Exchanged<'a> {
        Box::pin(async move {
            let mut invocation = SCRIPT.key(format!("{PREFIX}{{{key}}}"));
            invocation.key(format!("{PREFIX}{{{key}}}:pacers"));
            let quota = ask.quota;
            invocation
                .arg(quota.map_or(0, |q| q.limit))
                .arg(quota.map_or(0, |q| q.window.as_micros() as u64))
                .arg(if ask.take { "1" } else { "0" })
                .arg(ask.seed.as_ref().map_or(String::new(), wire::encode))
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
            let single = matches!(self.link, link::Link::Single(_));
            let reply: io::Result<Vec<String>> =
                tokio::time::timeout(EXCHANGE_TIMEOUT, self.link.invoke(&invocation))
                    .await
                    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer in time"))
                    .and_then(|r| r.map_err(|e| io::Error::other(check::problem(&e, single))));
            *self.resting.lock().unwrap_or_else(|e| e.into_inner()) = match &reply {
                Ok(_) => None,
                Err(_) => Some(tokio::time::Instant::now() + RETRY_AFTER_FAILURE),
            };
            wire::answer(&reply?)
        })
    }

    fn describe(&self) -> String {
        format!("redis ({})", self.shown)
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}

impl Redis {
    /// Until when exchanges fail without asking, if they do.
    fn rest(&self) -> Option<tokio::time::Instant> {
        *self.resting.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod shape_tests;
#[cfg(test)]
mod tests;
