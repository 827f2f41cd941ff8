//! Redis as teams run it beyond one server, for tests: a Redis Cluster
//! (three masters, three replicas) and a master with a replica behind three
//! Sentinels, each node a real `redis-server` on a loopback port of its own
//! in a temporary directory, without persistence, killed when dropped.
//! Tests of the Redis quota store's cluster and sentinel forms use them;
//! like [`RedisServer`](crate::RedisServer) they fail, saying how to
//! install Redis, where it is missing.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::redis::INSTALL_HINT;

/// The least privilege a quota user needs (the README's rule): the quota
/// script and the commands it runs, on the quota's keys only, and the
/// cluster's slot map.
pub const QUOTA_ACL: &[&str] = &[
    "~event-invites:quota:*",
    "+evalsha",
    "+eval",
    "+script|load",
    "+get",
    "+set",
    "+zadd",
    "+pexpire",
    "+zremrangebyscore",
    "+zcard",
    "+time",
    "+ping",
    "+info",
    "+cluster|slots",
];

/// `ACL SETUSER user on >password` with [`QUOTA_ACL`], for `redis-cli`.
pub fn quota_acl_user(user: &str, password: &str) -> Vec<String> {
    let head = ["ACL", "SETUSER", user, "on"].map(String::from);
    head.into_iter()
        .chain([format!(">{password}")])
        .chain(QUOTA_ACL.iter().map(|s| s.to_string()))
        .collect()
}

/// How long a node may be silent before the others fail it over (the
/// cluster's `cluster-node-timeout`, the sentinels' `down-after-milliseconds`).
pub const NODE_TIMEOUT: Duration = Duration::from_millis(1000);

/// One `redis-server` on `127.0.0.1:port`.
#[derive(Debug)]
struct Node {
    port: u16,
    dir: PathBuf,
    /// What it was started with besides its port and directory.
    args: Vec<String>,
    /// With TLS (only): the directory of `ca.pem`, `redis.crt` and
    /// `redis.key`; the port then serves TLS alone.
    tls: Option<PathBuf>,
    child: Option<Child>,
}

impl Node {
    /// Starts a node in `dir` with `args` on a free port (one whose port +
    /// 10,000, a cluster node's bus, is free too), trying other ports if
    /// another process takes the one chosen first.
    fn start(
        dir: PathBuf,
        args: &[&str],
        tls: Option<&Path>,
        taken: &mut Vec<u16>,
    ) -> io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        let mut last = None;
        for _ in 0..8 {
            let port = free_port(taken)?;
            taken.push(port);
            let mut node = Self {
                port,
                dir: dir.clone(),
                args: args.iter().map(|a| a.to_string()).collect(),
                tls: tls.map(Path::to_path_buf),
                child: None,
            };
            match node.spawn() {
                Ok(()) => return Ok(node),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(e),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no free port")))
    }

    /// Runs `redis-server` and waits until it answers `PING`.
    fn spawn(&mut self) -> io::Result<()> {
        let mut command = Command::new("redis-server");
        // A sentinel reads its configuration from a file given first.
        let (config, rest) = match self.args.first() {
            Some(first) if first.ends_with(".conf") => (Some(first.clone()), &self.args[1..]),
            _ => (None, &self.args[..]),
        };
        command.args(config);
        let port = self.port.to_string();
        match &self.tls {
            None => command.args(["--port", &port]),
            Some(tls) => command
                .args(["--port", "0", "--tls-port", &port])
                .arg("--tls-cert-file")
                .arg(tls.join("redis.crt"))
                .arg("--tls-key-file")
                .arg(tls.join("redis.key"))
                .arg("--tls-ca-cert-file")
                .arg(tls.join("ca.pem"))
                .args(["--tls-auth-clients", "no"]),
        };
        command
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .args(rest)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = command.spawn().map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => io::Error::new(io::ErrorKind::NotFound, INSTALL_HINT),
            _ => e,
        })?;
        let started = Instant::now();
        loop {
            let answers = match &self.tls {
                None => ping(self.port).is_ok(),
                Some(_) => self.cli(&["PING"], false).is_ok_and(|r| r.trim() == "PONG"),
            };
            if answers {
                self.child = Some(child);
                return Ok(());
            }
            if let Some(status) = child.try_wait()? {
                return Err(io::Error::other(format!(
                    "redis-server on port {} exited at start ({status})",
                    self.port
                )));
            }
            if started.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io::Error::other("redis-server did not answer within 10 s"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills it at once (SIGKILL, as a crash would).
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn alive(&self) -> bool {
        self.child.is_some()
    }

    /// `redis-cli` on this node with `args`; `cluster` follows redirects.
    fn cli(&self, args: &[&str], cluster: bool) -> io::Result<String> {
        cli(self.port, args, cluster, self.tls.as_deref())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `redis-cli -p port args` and returns what it printed.
fn cli(port: u16, args: &[&str], cluster: bool, tls: Option<&Path>) -> io::Result<String> {
    let mut command = Command::new("redis-cli");
    command.args(["-h", "127.0.0.1", "-p", &port.to_string()]);
    if cluster {
        command.arg("-c");
    }
    if let Some(tls) = tls {
        command.arg("--tls").arg("--cacert").arg(tls.join("ca.pem"));
    }
    let out = command.args(args).output().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => io::Error::new(io::ErrorKind::NotFound, INSTALL_HINT),
        _ => e,
    })?;
    if !out.status.success() {
        return Err(io::Error::other(
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A loopback port that is free, with its port + 10,000 free too, both at
/// most 65,535, and not in `taken` (nor their buses).
fn free_port(taken: &[u16]) -> io::Result<u16> {
    let clashes = |p: u16| taken.iter().any(|&t| [t, t + 10_000].contains(&p));
    for _ in 0..200 {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        if port > 55_535 || clashes(port) || clashes(port + 10_000) {
            continue;
        }
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port + 10_000)).is_ok() {
            return Ok(port);
        }
    }
    Err(io::Error::other("no free loopback port pair found"))
}

/// Sends `PING` to `127.0.0.1:port` and expects `+PONG`.
fn ping(port: u16) -> io::Result<()> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    stream.write_all(b"*1\r\n$4\r\nPING\r\n")?;
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply)?;
    if &reply == b"+PONG\r\n" {
        Ok(())
    } else {
        Err(io::Error::other("not PONG"))
    }
}

/// Waits up to `limit` for `done` to hold, checking every 50 ms.
fn wait_until(
    limit: Duration,
    what: &str,
    mut done: impl FnMut() -> io::Result<bool>,
) -> io::Result<()> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done().unwrap_or(false) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(io::Error::other(format!(
        "{what}: not within {} s",
        limit.as_secs()
    )))
}

/// A directory of its own under the system's temporary one.
fn temp_dir(kind: &str) -> io::Result<PathBuf> {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ei-{kind}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A Redis Cluster of three masters and three replicas on loopback, its
/// nodes failing over after [`NODE_TIMEOUT`].
///
/// ```no_run
/// let mut cluster = event_invites_fake::RedisCluster::start().expect("redis-server");
/// println!("{}", cluster.url()); // redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3
/// let port = cluster.kill_master_of("event-invites:quota:{artsvp-0123}").unwrap();
/// cluster.wait_healthy().unwrap(); // its replica took over
/// # let _ = port;
/// ```
#[derive(Debug)]
pub struct RedisCluster {
    dir: PathBuf,
    nodes: Vec<Node>,
    /// With TLS: the directory of the CA and the nodes' certificate.
    tls: Option<PathBuf>,
}

impl RedisCluster {
    /// Starts six nodes, joins them as three masters with a replica each
    /// (`redis-cli --cluster create`) and waits until every slot is served.
    pub fn start() -> io::Result<Self> {
        Self::start_with(None)
    }

    /// The same, every node serving TLS only (clients, the cluster bus and
    /// replication), with a certificate for `localhost` and `127.0.0.1`
    /// from a CA made now ([`RedisCluster::ca_file`]); clients need not
    /// present one. Its [`RedisCluster::url`] is `rediss+cluster://…`.
    pub fn start_tls() -> io::Result<Self> {
        let dir = temp_dir("redis-cluster-tls")?;
        let (ca, cert, key) = crate::FakeTls::new().pem_files()?;
        std::fs::write(dir.join("ca.pem"), ca)?;
        std::fs::write(dir.join("redis.crt"), cert)?;
        std::fs::write(dir.join("redis.key"), key)?;
        Self::start_with(Some(dir))
    }

    /// The CA that signed a TLS cluster's certificate (PEM), for
    /// `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(|dir| dir.join("ca.pem"))
    }

    fn start_with(tls: Option<PathBuf>) -> io::Result<Self> {
        let dir = temp_dir("redis-cluster")?;
        let timeout = NODE_TIMEOUT.as_millis().to_string();
        let mut taken = Vec::new();
        let mut nodes = Vec::new();
        let mut args = vec![
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            &timeout,
            // A replica whose master was lost long ago may still take over
            // (the tests kill a master and expect it to).
            "--cluster-replica-validity-factor",
            "0",
        ];
        if tls.is_some() {
            args.extend(["--tls-cluster", "yes", "--tls-replication", "yes"]);
        }
        for n in 0..6 {
            let home = dir.join(format!("node-{n}"));
            nodes.push(Node::start(home, &args, tls.as_deref(), &mut taken)?);
        }
        let cluster = Self { dir, nodes, tls };
        let addresses: Vec<String> = cluster
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let mut create = vec!["--cluster", "create"];
        create.extend(addresses.iter().map(String::as_str));
        create.extend(["--cluster-replicas", "1", "--cluster-yes"]);
        cluster.nodes[0].cli(&create, false)?;
        cluster.wait_healthy()?;
        // Every replica attached and in sync, so that one can take over.
        wait_until(Duration::from_secs(30), "replicas in sync", || {
            let synced = cluster.nodes.iter().filter(|n| {
                n.cli(&["INFO", "replication"], false)
                    .is_ok_and(|info| info.contains("master_link_status:up"))
            });
            Ok(synced.count() == 3)
        })?;
        Ok(cluster)
    }

    /// `redis+cluster://` (`rediss+cluster://` with TLS) with the three
    /// masters as seeds.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = self.nodes[..3]
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let scheme = if self.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}+cluster://{}", seeds.join(","))
    }

    /// Every node's port (the first three were created as masters).
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|n| n.port).collect()
    }

    /// The port of the master that serves `key`'s slot now.
    pub fn master_of(&self, key: &str) -> io::Result<u16> {
        let node = self.live()?;
        let slot: u16 = node
            .cli(&["CLUSTER", "KEYSLOT", key], false)?
            .trim()
            .parse()
            .map_err(io::Error::other)?;
        // `CLUSTER NODES`: id addr flags master ping pong epoch state slots…
        for line in node.cli(&["CLUSTER", "NODES"], false)?.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 8 || !fields[2].contains("master") || fields[2].contains("fail") {
                continue;
            }
            let serves = fields[8..].iter().any(|range| {
                let (lo, hi) = range.split_once('-').unwrap_or((range, range));
                matches!((lo.parse::<u16>(), hi.parse::<u16>()), (Ok(lo), Ok(hi)) if lo <= slot && slot <= hi)
            });
            if serves {
                let port = fields[1].split(['@', ':']).nth(1).unwrap_or("");
                return port.parse().map_err(io::Error::other);
            }
        }
        Err(io::Error::other(format!("no master serves slot {slot}")))
    }

    /// The slot `key` hashes to.
    pub fn slot(&self, key: &str) -> io::Result<u16> {
        self.live()?
            .cli(&["CLUSTER", "KEYSLOT", key], false)?
            .trim()
            .parse()
            .map_err(io::Error::other)
    }

    /// Kills (SIGKILL) the master serving `key`'s slot; returns its port.
    pub fn kill_master_of(&mut self, key: &str) -> io::Result<u16> {
        let port = self.master_of(key)?;
        self.kill(port);
        Ok(port)
    }

    /// Kills (SIGKILL) the node on `port`.
    pub fn kill(&mut self, port: u16) {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.port == port) {
            node.kill();
        }
    }

    /// Waits (up to 30 s) until a live node says `cluster_state:ok` and
    /// every master it knows of is alive.
    pub fn wait_healthy(&self) -> io::Result<()> {
        wait_until(Duration::from_secs(30), "cluster_state:ok", || {
            let live = self.nodes.iter().filter(|n| n.alive());
            let ok = live
                .map(|n| n.cli(&["CLUSTER", "INFO"], false))
                .all(|info| info.is_ok_and(|i| i.contains("cluster_state:ok")));
            Ok(ok && self.master_count()? == 3)
        })
    }

    /// Masters not failed, as a live node sees them.
    fn master_count(&self) -> io::Result<usize> {
        let nodes = self.live()?.cli(&["CLUSTER", "NODES"], false)?;
        Ok(nodes
            .lines()
            .filter(|l| l.contains("master") && !l.contains("fail"))
            .count())
    }

    /// `redis-cli -c` (following redirects) on a live node.
    pub fn cli(&self, args: &[&str]) -> io::Result<String> {
        self.live()?.cli(args, true)
    }

    /// `redis-cli` on every live node (to set up an ACL user, say).
    pub fn cli_each(&self, args: &[&str]) -> io::Result<()> {
        for node in self.nodes.iter().filter(|n| n.alive()) {
            node.cli(args, false)?;
        }
        Ok(())
    }

    /// Every key the live masters hold.
    pub fn keys(&self) -> io::Result<Vec<String>> {
        let mut keys = Vec::new();
        for node in self.nodes.iter().filter(|n| n.alive()) {
            let info = node.cli(&["INFO", "replication"], false)?;
            if info.contains("role:master") {
                let scanned = node.cli(&["--scan"], false)?;
                keys.extend(scanned.lines().filter(|l| !l.is_empty()).map(String::from));
            }
        }
        Ok(keys)
    }

    fn live(&self) -> io::Result<&Node> {
        self.nodes
            .iter()
            .find(|n| n.alive())
            .ok_or_else(|| io::Error::other("no node of the cluster is alive"))
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        self.nodes.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(tls) = &self.tls {
            let _ = std::fs::remove_dir_all(tls);
        }
    }
}

/// The name the sentinels of [`RedisSentinel`] know the master by.
pub const SENTINEL_SERVICE: &str = "ei-quota";

/// A master and its replica watched by three Sentinels (quorum 2) on
/// loopback, failing over [`NODE_TIMEOUT`] after the master stops
/// answering.
///
/// ```no_run
/// let mut redis = event_invites_fake::RedisSentinel::start().expect("redis-server");
/// println!("{}", redis.url()); // redis+sentinel://127.0.0.1:S1,…/ei-quota
/// redis.kill_master();
/// let new_master = redis.wait_failover().unwrap();
/// # let _ = new_master;
/// ```
#[derive(Debug)]
pub struct RedisSentinel {
    dir: PathBuf,
    /// The master as started, then its replica.
    data: Vec<Node>,
    sentinels: Vec<Node>,
}

impl RedisSentinel {
    /// Starts the master, its replica and three sentinels, and waits until
    /// the sentinels know the replica and each other (so that they can
    /// fail over).
    pub fn start() -> io::Result<Self> {
        let dir = temp_dir("redis-sentinel")?;
        let mut taken = Vec::new();
        let master = Node::start(dir.join("master"), &[], None, &mut taken)?;
        let of = master.port.to_string();
        let replica = Node::start(
            dir.join("replica"),
            &["--replicaof", "127.0.0.1", &of],
            None,
            &mut taken,
        )?;
        let mut sentinels = Vec::new();
        for n in 0..3 {
            let home = dir.join(format!("sentinel-{n}"));
            std::fs::create_dir_all(&home)?;
            let config = home.join("sentinel.conf");
            std::fs::write(&config, sentinel_config(master.port))?;
            let config = config.to_string_lossy().into_owned();
            sentinels.push(Node::start(
                home,
                &[&config, "--sentinel"],
                None,
                &mut taken,
            )?);
        }
        let redis = Self {
            dir,
            data: vec![master, replica],
            sentinels,
        };
        wait_until(Duration::from_secs(30), "sentinels ready", || {
            let ready = redis.sentinels.iter().all(|s| {
                let replicas = s.cli(&["SENTINEL", "REPLICAS", SENTINEL_SERVICE], false);
                let peers = s.cli(&["SENTINEL", "SENTINELS", SENTINEL_SERVICE], false);
                replicas.is_ok_and(|r| r.contains("slave") && !r.contains("s_down"))
                    && peers.is_ok_and(|p| p.matches("sentinel").count() >= 2)
            });
            Ok(ready)
        })?;
        Ok(redis)
    }

    /// `redis+sentinel://` with the three sentinels and the service name.
    pub fn url(&self) -> String {
        let sentinels: Vec<String> = self
            .sentinels
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        format!(
            "redis+sentinel://{}/{SENTINEL_SERVICE}",
            sentinels.join(",")
        )
    }

    /// The port the sentinels name as the master now.
    pub fn master_port(&self) -> io::Result<u16> {
        let sentinel = self
            .sentinels
            .iter()
            .find(|s| s.alive())
            .ok_or_else(|| io::Error::other("no sentinel is alive"))?;
        let reply = sentinel.cli(
            &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_SERVICE],
            false,
        )?;
        reply
            .lines()
            .nth(1)
            .and_then(|p| p.trim().parse().ok())
            .ok_or_else(|| io::Error::other(format!("no master address in {reply:?}")))
    }

    /// `redis://127.0.0.1:PORT` of the master as started (whatever it is now).
    pub fn first_master_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.data[0].port)
    }

    /// `redis://127.0.0.1:PORT` of the replica as started.
    pub fn replica_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.data[1].port)
    }

    /// Kills (SIGKILL) the node the sentinels name as master; returns its port.
    pub fn kill_master(&mut self) -> io::Result<u16> {
        let port = self.master_port()?;
        if let Some(node) = self.data.iter_mut().find(|n| n.port == port) {
            node.kill();
        }
        Ok(port)
    }

    /// Waits (up to 30 s) until the sentinels name a live master that
    /// says it is one; returns its port.
    pub fn wait_failover(&self) -> io::Result<u16> {
        let mut found = 0;
        wait_until(Duration::from_secs(30), "failover", || {
            let port = self.master_port()?;
            let node = self.data.iter().find(|n| n.port == port && n.alive());
            let is_master = node.is_some_and(|n| {
                n.cli(&["ROLE"], false)
                    .is_ok_and(|r| r.starts_with("master"))
            });
            found = port;
            Ok(is_master)
        })?;
        Ok(found)
    }

    /// `redis-cli` on the master the sentinels name now.
    pub fn cli(&self, args: &[&str]) -> io::Result<String> {
        cli(self.master_port()?, args, false, None)
    }

    /// `redis-cli` on the master and the replica (to set up an ACL user on
    /// both, say: ACL changes are not replicated).
    pub fn cli_each(&self, args: &[&str]) -> io::Result<()> {
        for node in self.data.iter().filter(|n| n.alive()) {
            node.cli(args, false)?;
        }
        Ok(())
    }

    /// Every key the master holds now.
    pub fn keys(&self) -> io::Result<Vec<String>> {
        Ok(self
            .cli(&["--scan"])?
            .lines()
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect())
    }
}

impl Drop for RedisSentinel {
    fn drop(&mut self) {
        self.sentinels.clear();
        self.data.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A sentinel's configuration file: it watches the master on `port`,
/// fails it over after [`NODE_TIMEOUT`] with two sentinels agreeing.
fn sentinel_config(port: u16) -> String {
    let timeout = NODE_TIMEOUT.as_millis();
    format!(
        "sentinel monitor {SENTINEL_SERVICE} 127.0.0.1 {port} 2\n\
         sentinel down-after-milliseconds {SENTINEL_SERVICE} {timeout}\n\
         sentinel failover-timeout {SENTINEL_SERVICE} 10000\n\
         sentinel parallel-syncs {SENTINEL_SERVICE} 1\n"
    )
}
