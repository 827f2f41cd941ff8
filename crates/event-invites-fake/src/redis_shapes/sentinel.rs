//! A master and its replica behind three Sentinels on loopback.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::{NODE_TIMEOUT, Node, cli, temp_dir, tls_dir, wait_until};

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
    /// With TLS: the directory of `ca.pem`, `redis.crt` and `redis.key`.
    tls: Option<PathBuf>,
}

impl RedisSentinel {
    /// Starts the master, its replica and three sentinels, and waits until
    /// the sentinels know the replica and each other (so that they can
    /// fail over).
    pub fn start() -> io::Result<Self> {
        Self::start_with(None)
    }

    /// The same, every node serving TLS only (clients, replication, and the
    /// sentinels' own links to the nodes and to each other), with a
    /// certificate for `localhost` and `127.0.0.1` from a CA made now
    /// ([`RedisSentinel::ca_file`]); clients need not present one. Its
    /// [`RedisSentinel::url`] is `rediss+sentinel://…`.
    pub fn start_tls() -> io::Result<Self> {
        Self::start_with(Some(tls_dir("redis-sentinel-tls")?))
    }

    /// The CA that signed a TLS setup's certificate (PEM), for
    /// `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(|dir| dir.join("ca.pem"))
    }

    fn start_with(tls: Option<PathBuf>) -> io::Result<Self> {
        let dir = temp_dir("redis-sentinel")?;
        let mut taken = Vec::new();
        let tls_args: &[&str] = match tls {
            Some(_) => &["--tls-replication", "yes"],
            None => &[],
        };
        let master = Node::start(dir.join("master"), tls_args, tls.as_deref(), &mut taken)?;
        let of = master.port.to_string();
        let replica = Node::start(
            dir.join("replica"),
            &[&["--replicaof", "127.0.0.1", &of], tls_args].concat(),
            tls.as_deref(),
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
                &[&[config.as_str(), "--sentinel"], tls_args].concat(),
                tls.as_deref(),
                &mut taken,
            )?);
        }
        let redis = Self {
            dir,
            data: vec![master, replica],
            sentinels,
            tls,
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
        let scheme = match self.tls {
            Some(_) => "rediss+sentinel",
            None => "redis+sentinel",
        };
        format!("{scheme}://{}/{SENTINEL_SERVICE}", sentinels.join(","))
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

    /// `redis://127.0.0.1:PORT` (`rediss://` with TLS) of the master as
    /// started (whatever it is now).
    pub fn first_master_url(&self) -> String {
        self.node_url(0)
    }

    /// `redis://127.0.0.1:PORT` (`rediss://` with TLS) of the replica as
    /// started.
    pub fn replica_url(&self) -> String {
        self.node_url(1)
    }

    fn node_url(&self, n: usize) -> String {
        let scheme = if self.tls.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}://127.0.0.1:{}", self.data[n].port)
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
        cli(self.master_port()?, args, false, self.tls.as_deref())
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
        if let Some(tls) = &self.tls {
            let _ = std::fs::remove_dir_all(tls);
        }
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
