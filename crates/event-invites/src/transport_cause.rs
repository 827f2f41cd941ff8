//! Why a connection failed or an answer was lost ([`TransportCause`]), as
//! the classifier reads it from the chain of errors: a fact below both the
//! error type and the verdict on it, so neither depends on the other for it.

use std::fmt;

/// Why a connection failed or an answer was lost: the root cause, read
/// from the whole chain of errors below the HTTP client's.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use event_invites::{Artsvp, ErrorKind, RetryPolicy, TransportCause};
///
/// // A loopback port that was just free: nothing listens there.
/// let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
/// let client = Artsvp::builder()
///     .base_url(format!("http://127.0.0.1:{port}"))
///     .api_key("key")
///     .retry(RetryPolicy::none())
///     .build()?;
/// let err = client.get_event("eve-1").await.unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::Transport(TransportCause::ConnectionRefused));
/// assert!(err.is_retryable(), "nothing was sent: safe to try again");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportCause {
    /// Nothing listens at the address (`ECONNREFUSED`).
    ConnectionRefused,
    /// The host name could not be looked up for now (no answer from the
    /// resolver): may pass, so it is retried.
    Dns,
    /// The host name does not exist (the resolver answered "no such
    /// host"): a wrong base URL, not an outage, so it is not retried.
    NoSuchHost,
    /// The TLS handshake or a certificate check failed, for this reason:
    /// never retried (a certificate the client does not trust will not be
    /// trusted on the next attempt either).
    Tls(TlsProblem),
    /// The peer reset the connection.
    ConnectionReset,
    /// The connection closed before the response was complete (a body cut
    /// short, a connection dropped after the request was written).
    ConnectionClosed,
    /// Any other connection failure.
    Other,
}

impl TransportCause {
    /// A cause that another attempt cannot mend: a certificate the client
    /// does not trust, a host name that does not exist.
    pub(crate) fn is_permanent(self) -> bool {
        matches!(self, Self::Tls(_) | Self::NoSuchHost)
    }
}

impl fmt::Display for TransportCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ConnectionRefused => "connection refused",
            Self::Dns => "DNS lookup failed",
            Self::NoSuchHost => "no such host (DNS)",
            Self::Tls(problem) => return write!(f, "TLS handshake failed: {problem}"),
            Self::ConnectionReset => "connection reset by the peer",
            Self::ConnectionClosed => "connection closed before the response was complete",
            Self::Other => "connection failed",
        })
    }
}

/// Why a TLS handshake failed, as the certificate check named it.
///
/// ```
/// use event_invites::{TlsProblem, TransportCause};
///
/// let cause = TransportCause::Tls(TlsProblem::UnknownIssuer);
/// assert_eq!(
///     cause.to_string(),
///     "TLS handshake failed: the certificate's issuer is not trusted"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsProblem {
    /// The server's certificate chains to no trusted root (a private CA:
    /// add it with [`crate::ClientBuilder::root_certificate_pem`], or
    /// `SSL_CERT_FILE` for the command-line tool).
    UnknownIssuer,
    /// The certificate is not valid for the host name in the base URL.
    NameMismatch,
    /// The certificate has expired (or is not valid yet).
    Expired,
    /// Another handshake failure (a protocol or cipher the two sides do not
    /// share, a revoked or malformed certificate, an alert from the peer).
    Other,
}

impl fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnknownIssuer => "the certificate's issuer is not trusted",
            Self::NameMismatch => "the certificate is not valid for this host name",
            Self::Expired => "the certificate has expired or is not valid yet",
            Self::Other => "the handshake or the certificate was refused",
        })
    }
}
