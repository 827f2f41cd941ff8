//! Host names to addresses: the system's resolver (`getaddrinfo`, as
//! reqwest's default), whose failures are typed ([`HostLookupError`]) so
//! that the classifier tells a host that does not exist from a resolver
//! that did not answer without reading words.

use std::fmt;
use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a host name could not be turned into addresses: the typed error the
/// facade's resolver ([`SystemResolver`]) fails with, and the one a
/// resolver of your own returns for the facade to classify it.
///
/// The facade reads it anywhere in a failure's chain of errors:
/// [`NoSuchHost`](Self::NoSuchHost) becomes
/// [`TransportCause::NoSuchHost`](crate::TransportCause::NoSuchHost) (a
/// wrong base URL: not retried), [`Failed`](Self::Failed)
/// [`TransportCause::Dns`](crate::TransportCause::Dns) (may pass: retried).
/// A lookup that fails with another error type is
/// [`TransportCause::Other`](crate::TransportCause::Other).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use event_invites::{Artsvp, ErrorKind, HostLookupError, RetryPolicy, TransportCause};
/// use reqwest::dns::{Name, Resolve, Resolving};
///
/// /// A resolver that knows no host, as a test double.
/// struct NoHosts;
/// impl Resolve for NoHosts {
///     fn resolve(&self, _: Name) -> Resolving {
///         Box::pin(async { Err(HostLookupError::NoSuchHost.into()) })
///     }
/// }
///
/// let http = reqwest::Client::builder().dns_resolver(Arc::new(NoHosts)).build()?;
/// let client = Artsvp::builder()
///     .base_url("https://rsvp.example.test/api/v2")
///     .api_key("key")
///     .http_client(http)
///     .build()?;
/// let err = client.get_event("eve-1").await.unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::Transport(TransportCause::NoSuchHost));
/// assert_eq!(err.attempts(), 1, "a host that does not exist is not retried");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HostLookupError {
    /// The resolver answered that the name does not exist or has no
    /// address (`EAI_NONAME`, `EAI_NODATA`).
    NoSuchHost,
    /// The resolver gave no answer (`EAI_AGAIN`, `EAI_FAIL`, a system
    /// error): the lookup may succeed later.
    Failed,
}

impl fmt::Display for HostLookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoSuchHost => "no such host",
            Self::Failed => "the host name could not be looked up",
        })
    }
}

impl std::error::Error for HostLookupError {}

impl From<dns_lookup::LookupErrorKind> for HostLookupError {
    fn from(kind: dns_lookup::LookupErrorKind) -> Self {
        use dns_lookup::LookupErrorKind as Gai;
        match kind {
            Gai::NoName | Gai::NoData => Self::NoSuchHost,
            _ => Self::Failed,
        }
    }
}

/// The system's resolver (`getaddrinfo` on a blocking thread, as reqwest's
/// default), failing with a typed [`HostLookupError`].
///
/// Clients the builder makes use it. Give it to a `reqwest::Client` of your
/// own ([`crate::ClientBuilder::http_client`]) for the same classification
/// of failed lookups:
///
/// ```
/// use std::sync::Arc;
/// use event_invites::SystemResolver;
///
/// let http = reqwest::Client::builder()
///     .dns_resolver(Arc::new(SystemResolver::new()))
///     .build()?;
/// # Ok::<(), reqwest::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver {
    _private: (),
}

impl SystemResolver {
    /// The system's resolver.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = tokio::task::spawn_blocking(move || lookup(&host))
                .await
                .map_err(|_| HostLookupError::Failed)??;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The addresses of `host` (port 0: the connector sets it).
fn lookup(host: &str) -> Result<Vec<SocketAddr>, HostLookupError> {
    let addrs: Vec<SocketAddr> = dns_lookup::lookup_host(host)
        .map_err(|e| HostLookupError::from(e.kind()))?
        .map(|ip| SocketAddr::new(ip, 0))
        .collect();
    if addrs.is_empty() {
        return Err(HostLookupError::NoSuchHost);
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_resolver_that_says_no_such_name_means_no_such_host() {
        use dns_lookup::LookupErrorKind as Gai;
        for (kind, expected) in [
            (Gai::NoName, HostLookupError::NoSuchHost),
            (Gai::NoData, HostLookupError::NoSuchHost),
            (Gai::Again, HostLookupError::Failed),
            (Gai::Fail, HostLookupError::Failed),
            (Gai::System, HostLookupError::Failed),
            (Gai::IO, HostLookupError::Failed),
        ] {
            assert_eq!(HostLookupError::from(kind), expected, "{kind:?}");
        }
    }

    #[test]
    fn each_lookup_error_says_what_failed_without_the_name() {
        assert_eq!(HostLookupError::NoSuchHost.to_string(), "no such host");
        assert_eq!(
            HostLookupError::Failed.to_string(),
            "the host name could not be looked up"
        );
    }

    #[tokio::test]
    async fn localhost_resolves_to_loopback_through_the_system() {
        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<SocketAddr> = SystemResolver::new().resolve(name).await.unwrap().collect();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
