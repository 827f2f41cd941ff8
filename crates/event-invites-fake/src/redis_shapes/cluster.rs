//! A Redis Cluster of three masters and three replicas on loopback, with
//! or without TLS.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::{NODE_TIMEOUT, Node, temp_dir, tls_dir, wait_until};

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
        Self::start_with(Some(tls_dir("redis-cluster-tls")?))
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
