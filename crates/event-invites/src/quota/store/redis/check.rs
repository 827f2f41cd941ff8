//! The start check (the real script run once, on a bucket of its own that
//! no client uses, so that a store that cannot run it stops the program at
//! start instead of failing every request later) and what a failure is
//! called, in words an operator can act on.

use redis::{ErrorKind as RedisKind, RedisError, ServerErrorKind};

use super::link::Link;
use super::{PREFIX, SCRIPT};

/// The start check's bucket: under the quota prefix (so that an ACL
/// granting `~event-invites:quota:*` covers it), one hash slot, expiring
/// within a second.
const PROBE: &str = "{start-check}";

/// What tells an operator to use the cluster form.
pub(super) const USE_CLUSTER: &str = "this is a Redis Cluster: use redis+cluster://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…] \
     (any of its nodes as seeds), so that each bucket is asked of the node that owns its slot";

/// Runs the real script once, as a request would but counting nothing:
/// fails, in words to act on, where a request would. A one-server URL at a
/// cluster node is refused whichever node it names (its `INFO cluster`
/// says so), before the script could succeed by chance on a node that
/// owns the probe's slot.
pub(super) async fn start_check(link: &Link) -> Result<(), String> {
    let info = redis::cmd("INFO").arg("cluster").clone();
    if let Some(Ok(info)) = link.single_query(&info).await
        && info.lines().any(|l| l.trim() == "cluster_enabled:1")
    {
        return Err(USE_CLUSTER.into());
    }
    let mut invocation = SCRIPT.key(format!("{PREFIX}{PROBE}"));
    invocation
        .key(format!("{PREFIX}{PROBE}:pacers"))
        .arg(0)
        .arg(0)
        .arg("0")
        .arg("")
        .arg(0);
    let reply = link
        .invoke(&invocation)
        .await
        .map_err(|e| problem(&e, matches!(link, Link::Single(_))))?;
    super::wire::answer(&reply).map(|_| ()).map_err(|e| {
        format!("{e}: is this the event-invites quota script's server, and Redis 6.2 or newer?")
    })
}

/// What went wrong, in words an operator can act on, with the crate's
/// words for the error after them (never a password: the crate does not
/// echo the URL). `single`: the URL names one server.
pub(super) fn problem(e: &RedisError, single: bool) -> String {
    if e.is_connection_refusal() {
        return "connection refused".into();
    }
    if e.is_timeout() {
        return "no answer in time".into();
    }
    let hint = match e.kind() {
        RedisKind::Server(ServerErrorKind::NoPerm) => {
            "the Redis user may not run the quota script: allow it EVALSHA, EVAL and \
             SCRIPT LOAD (ACL +evalsha +eval +script|load, or +@scripting) on the keys \
             ~event-invites:quota:*"
        }
        RedisKind::Server(ServerErrorKind::ReadOnly) => {
            "this node is a read-only replica: name the master, or reach it through its \
             sentinels with redis+sentinel://HOST:PORT[,HOST:PORT…]/SERVICE so that a new \
             master is found after a failover"
        }
        RedisKind::Server(ServerErrorKind::Moved | ServerErrorKind::CrossSlot) if single => {
            USE_CLUSTER
        }
        RedisKind::Server(ServerErrorKind::ClusterDown) => {
            "the cluster is down (a slot has no master): check CLUSTER INFO on its nodes"
        }
        RedisKind::AuthenticationFailed => {
            "the server refused the user or password: check USER:PASSWORD in the URL"
        }
        RedisKind::MasterNameNotFoundBySentinel => {
            "the sentinels know no master by that name: check the URL's /SERVICE \
             (SENTINEL MASTERS lists the names)"
        }
        _ if matches!(e.code(), Some("WRONGPASS" | "NOAUTH")) => {
            "the server refused the user or password: check USER:PASSWORD in the URL"
        }
        _ if !single
            && e.detail()
                .is_some_and(|d| d.contains("cluster support disabled")) =>
        {
            "this is not a Redis Cluster: use redis://HOST:PORT (or redis+sentinel://…)"
        }
        _ => return e.to_string(),
    };
    format!("{hint} ({e})")
}
