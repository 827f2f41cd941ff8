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

use crate::redis::{installed, run_cli};

/// The least privilege a quota user needs (the guide's rule, "Share a quota"): the quota
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
        let mut child = command.spawn().map_err(installed)?;
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
    run_cli(command, args)
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

/// A new directory holding `ca.pem`, `redis.crt` and `redis.key`: a
/// certificate for `localhost` and `127.0.0.1` from a CA made now, as
/// [`Node`] serves TLS with.
fn tls_dir(kind: &str) -> io::Result<PathBuf> {
    let dir = temp_dir(kind)?;
    let (ca, cert, key) = crate::FakeTls::new().pem_files()?;
    std::fs::write(dir.join("ca.pem"), ca)?;
    std::fs::write(dir.join("redis.crt"), cert)?;
    std::fs::write(dir.join("redis.key"), key)?;
    Ok(dir)
}

mod cluster;
mod sentinel;

pub use cluster::RedisCluster;
pub use sentinel::{RedisSentinel, SENTINEL_SERVICE};
