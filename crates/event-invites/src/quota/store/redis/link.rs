//! The connection to each shape of Redis, behind one `invoke`: one server
//! through the `redis` crate's reconnecting `ConnectionManager`; a cluster
//! through its async cluster client (which follows MOVED and ASK and
//! refreshes its slot map after a failover or a resharding; the script is
//! loaded where the slot's owner lacks it, EVALSHA then EVAL on
//! NOSCRIPT); a master behind Sentinel through the sentinels, asked again
//! for the master after any failure (a connection lost, a `READONLY` reply
//! from a demoted master).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{AsyncConnectionConfig, ConnectionAddr, RedisResult, ScriptInvocation, TlsMode};

use super::url::{Nodes, Target};

/// How long connecting may take (at start and when reconnecting).
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection to the store, whatever its shape.
pub(super) enum Link {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
    Sentinel(Box<Sentinel>),
}

impl Link {
    /// Connects to `target`, answering within `response` per command.
    pub(super) async fn connect(target: &Target, response: Duration) -> RedisResult<Self> {
        match target {
            Target::Single(url) => {
                let client = redis::Client::open(url.as_str())?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(response))
                    .set_number_of_retries(1)
                    .set_min_delay(Duration::from_millis(10))
                    .set_max_delay(Duration::from_millis(100));
                let manager = ConnectionManager::new_with_config(client, config).await?;
                Ok(Self::Single(manager))
            }
            Target::Cluster(nodes) => {
                let scheme = if nodes.tls { "rediss" } else { "redis" };
                let seeds = nodes
                    .hosts
                    .iter()
                    .map(|(host, port)| match host.contains(':') {
                        true => format!("{scheme}://[{host}]:{port}"),
                        false => format!("{scheme}://{host}:{port}"),
                    });
                let mut builder = ClusterClientBuilder::new(seeds)
                    .connection_timeout(CONNECT_TIMEOUT)
                    .response_timeout(response)
                    // Few and quick: a failing exchange is cut short by the
                    // store's own time limit anyway, and the pacer goes on
                    // by its share meanwhile.
                    .retries(2)
                    .min_retry_wait(10)
                    .max_retry_wait(100);
                if let Some(user) = &nodes.auth.user {
                    builder = builder.username(user);
                }
                if let Some(password) = &nodes.auth.password {
                    builder = builder.password(password);
                }
                let connection = builder.build()?.get_async_connection().await?;
                Ok(Self::Cluster(connection))
            }
            Target::Sentinel {
                nodes,
                service,
                sentinel_auth,
            } => {
                let client = sentinel_client(nodes, service, sentinel_auth)?;
                let sentinel = Sentinel::new(client, response);
                sentinel.connection().await?;
                Ok(Self::Sentinel(Box::new(sentinel)))
            }
        }
    }

    /// Runs `invocation` (EVALSHA, or EVAL when the server lacks it).
    pub(super) async fn invoke(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> RedisResult<Vec<String>> {
        match self {
            Self::Single(manager) => invocation.invoke_async(&mut manager.clone()).await,
            Self::Cluster(connection) => invocation.invoke_async(&mut connection.clone()).await,
            Self::Sentinel(sentinel) => {
                let mut connection = sentinel.connection().await?;
                let reply = invocation.invoke_async(&mut connection).await;
                if reply.is_err() {
                    sentinel.forget();
                }
                reply
            }
        }
    }

    /// Runs one command on a one-server link (`INFO cluster`, say); `None`
    /// for the other shapes.
    pub(super) async fn single_query(&self, command: &redis::Cmd) -> Option<RedisResult<String>> {
        match self {
            Self::Single(manager) => Some(command.query_async(&mut manager.clone()).await),
            _ => None,
        }
    }
}

/// A sentinel client for `service`, with the master's credentials from
/// `nodes` and the sentinels' own from `sentinel_auth`.
fn sentinel_client(
    nodes: &Nodes,
    service: &str,
    sentinel_auth: &super::url::Auth,
) -> RedisResult<SentinelClient> {
    let addresses = nodes.hosts.iter().map(|(host, port)| match nodes.tls {
        true => ConnectionAddr::TcpTls {
            host: host.clone(),
            port: *port,
            insecure: false,
            tls_params: None,
        },
        false => ConnectionAddr::Tcp(host.clone(), *port),
    });
    let mut builder = SentinelClientBuilder::new(addresses, service, SentinelServerType::Master)?;
    if nodes.tls {
        builder = builder
            .set_client_to_redis_tls_mode(TlsMode::Secure)
            .set_client_to_sentinel_tls_mode(TlsMode::Secure);
    }
    if let Some(user) = &nodes.auth.user {
        builder = builder.set_client_to_redis_username(user);
    }
    if let Some(password) = &nodes.auth.password {
        builder = builder.set_client_to_redis_password(password);
    }
    if let Some(user) = &sentinel_auth.user {
        builder = builder.set_client_to_sentinel_username(user);
    }
    if let Some(password) = &sentinel_auth.password {
        builder = builder.set_client_to_sentinel_password(password);
    }
    builder.build()
}

/// The master behind the sentinels: a connection kept until it fails, then
/// the sentinels asked again.
pub(super) struct Sentinel {
    client: tokio::sync::Mutex<SentinelClient>,
    master: std::sync::Mutex<Option<MultiplexedConnection>>,
    config: AsyncConnectionConfig,
}

impl Sentinel {
    fn new(client: SentinelClient, response: Duration) -> Self {
        Self {
            client: tokio::sync::Mutex::new(client),
            master: std::sync::Mutex::new(None),
            config: AsyncConnectionConfig::new()
                .set_connection_timeout(Some(CONNECT_TIMEOUT))
                .set_response_timeout(Some(response)),
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        self.master.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The master's connection: the one kept, else one to the master the
    /// sentinels name now (which the crate checks says `ROLE` master).
    async fn connection(&self) -> RedisResult<MultiplexedConnection> {
        if let Some(connection) = self.kept().clone() {
            return Ok(connection);
        }
        let mut client = self.client.lock().await;
        // Another exchange may have asked while this one waited.
        if let Some(connection) = self.kept().clone() {
            return Ok(connection);
        }
        let connection = client
            .get_async_connection_with_config(&self.config)
            .await?;
        *self.kept() = Some(connection.clone());
        Ok(connection)
    }

    /// Drops the kept connection: the next exchange asks the sentinels.
    fn forget(&self) {
        *self.kept() = None;
    }
}
