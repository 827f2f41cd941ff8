//! The root cause of a transport failure (refused, reset, closed, DNS,
//! TLS), from the error's source chain, by type only: io error kinds,
//! hyper's error, the resolver's [`HostLookupError`], rustls's certificate
//! errors, native-tls's error. The words of an error are never read: a
//! failure no type explains is [`TransportCause::Other`].

use crate::error::TransportCause;
use crate::pipeline::resolve::HostLookupError;

/// The root cause of a connection failure: the first error of the chain
/// whose type says ([`typed_cause`]), else [`TransportCause::Other`].
pub(crate) fn cause(error: &(dyn std::error::Error + 'static)) -> TransportCause {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(cause) = typed_cause(e) {
            return cause;
        }
        next = below(e);
    }
    TransportCause::Other
}

/// The next link of the chain below `e`. An `io::Error`'s `source()` skips
/// the error it wraps (rustls's, for a failed handshake, under one or two
/// io errors): that one comes next, and its own source after it.
fn below<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a (dyn std::error::Error + 'static)> {
    match e
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
    {
        Some(wrapped) => Some(wrapped as &(dyn std::error::Error + 'static)),
        None => e.source(),
    }
}

/// What one error of the chain says by its type: a failed lookup, a TLS
/// library's error, an `io::Error`'s kind, or hyper's "the connection
/// closed" (before or while the response came).
fn typed_cause(e: &(dyn std::error::Error + 'static)) -> Option<TransportCause> {
    use std::io::ErrorKind as Io;
    if let Some(lookup) = e.downcast_ref::<HostLookupError>() {
        return Some(match lookup {
            HostLookupError::NoSuchHost => TransportCause::NoSuchHost,
            HostLookupError::Failed => TransportCause::Dns,
        });
    }
    if let Some(tls) = rustls_cause(e).or_else(|| native_tls_cause(e)) {
        return Some(tls);
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return match io.kind() {
            Io::ConnectionRefused => Some(TransportCause::ConnectionRefused),
            Io::ConnectionReset => Some(TransportCause::ConnectionReset),
            Io::UnexpectedEof | Io::BrokenPipe | Io::ConnectionAborted => {
                Some(TransportCause::ConnectionClosed)
            }
            _ => None,
        };
    }
    let hyper = e.downcast_ref::<hyper::Error>()?;
    (hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled())
        .then_some(TransportCause::ConnectionClosed)
}

/// A handshake that rustls failed, with the certificate check's typed
/// reason.
#[cfg(any(feature = "rustls", feature = "rustls-no-provider"))]
fn rustls_cause(e: &(dyn std::error::Error + 'static)) -> Option<TransportCause> {
    use crate::error::TlsProblem;
    use rustls::CertificateError as C;
    let problem = match e.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(reason) => match reason {
            C::UnknownIssuer => TlsProblem::UnknownIssuer,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::NameMismatch,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => TlsProblem::Expired,
            _ => TlsProblem::Other,
        },
        _ => TlsProblem::Other,
    };
    Some(TransportCause::Tls(problem))
}

/// Without rustls there is no rustls error to read.
#[cfg(not(any(feature = "rustls", feature = "rustls-no-provider")))]
fn rustls_cause(_: &(dyn std::error::Error + 'static)) -> Option<TransportCause> {
    None
}

/// A handshake that native-tls failed. Its error has no typed reason (the
/// platform library's verify result is kept only in its words), so the
/// problem is [`crate::error::TlsProblem::Other`]: rustls names it.
#[cfg(feature = "native-tls")]
fn native_tls_cause(e: &(dyn std::error::Error + 'static)) -> Option<TransportCause> {
    e.downcast_ref::<native_tls::Error>()
        .map(|_| TransportCause::Tls(crate::error::TlsProblem::Other))
}

/// Without native-tls there is no native-tls error to read.
#[cfg(not(feature = "native-tls"))]
fn native_tls_cause(_: &(dyn std::error::Error + 'static)) -> Option<TransportCause> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error with a message and, optionally, a source: a link of a chain.
    #[derive(Debug)]
    struct Link(
        &'static str,
        Option<Box<dyn std::error::Error + Send + Sync>>,
    );

    impl std::fmt::Display for Link {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Link {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn an_io_error_kind_anywhere_in_the_chain_names_the_cause() {
        use std::io::{Error, ErrorKind as Io};
        for (kind, expected) in [
            (Io::ConnectionRefused, TransportCause::ConnectionRefused),
            (Io::ConnectionReset, TransportCause::ConnectionReset),
            (Io::UnexpectedEof, TransportCause::ConnectionClosed),
            (Io::BrokenPipe, TransportCause::ConnectionClosed),
            (Io::ConnectionAborted, TransportCause::ConnectionClosed),
        ] {
            // The kind decides, not the words (these say nothing).
            assert_eq!(cause(&Error::new(kind, "os error")), expected, "{kind:?}");
            // Under two wrappers whose words say something else.
            let chain = Link(
                "error sending request",
                Some(Box::new(Link(
                    "client error (Connect)",
                    Some(Box::new(Error::new(kind, "os error"))),
                ))),
            );
            assert_eq!(cause(&chain), expected, "{kind:?} in a chain");
        }
        // An io error of another kind says nothing, whatever its words.
        let other = Error::other("dns error: failed to lookup address information");
        assert_eq!(cause(&other), TransportCause::Other);
        assert_eq!(cause(&Error::from(Io::TimedOut)), TransportCause::Other);
    }

    #[cfg(any(feature = "rustls", feature = "rustls-no-provider"))]
    #[test]
    fn a_rustls_certificate_error_inside_an_io_error_names_its_reason() {
        use crate::error::TlsProblem;
        use rustls::CertificateError as C;
        for (reason, expected) in [
            (C::UnknownIssuer, TlsProblem::UnknownIssuer),
            (C::NotValidForName, TlsProblem::NameMismatch),
            (C::Expired, TlsProblem::Expired),
            (C::NotValidYet, TlsProblem::Expired),
            (C::BadSignature, TlsProblem::Other),
        ] {
            // As hyper-util passes it on: an io error around tokio-rustls's.
            let io = std::io::Error::other(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(reason.clone()),
            ));
            // Wrapped in words that name another reason: the type decides.
            let chain = Link(
                "client error (Connect): unable to get local issuer certificate",
                Some(Box::new(io)),
            );
            assert_eq!(cause(&chain), TransportCause::Tls(expected), "{reason:?}");
        }
    }

    #[test]
    fn a_failed_lookup_is_read_from_the_resolvers_typed_error() {
        for (lookup, expected) in [
            (HostLookupError::NoSuchHost, TransportCause::NoSuchHost),
            (HostLookupError::Failed, TransportCause::Dns),
        ] {
            // As reqwest passes it on: under its own and hyper-util's
            // errors, whose words say something else.
            let chain = Link(
                "error sending request",
                Some(Box::new(Link(
                    "client error (Connect)",
                    Some(Box::new(lookup)),
                ))),
            );
            assert_eq!(cause(&chain), expected, "{lookup:?}");
        }
    }

    #[test]
    fn words_alone_name_no_cause() {
        // What each cause used to be told by: without a typed error below,
        // every one of them is `Other`.
        for words in [
            "dns error: failed to lookup address information: Name or service not known",
            "failed to lookup address information: Temporary failure in name resolution",
            "error:0A000086:SSL routines::certificate verify failed (unable to get local \
             issuer certificate)",
            "invalid peer certificate: UnknownIssuer",
            "Connection reset by peer",
            "connection closed before message completed",
            "unexpected end of file",
        ] {
            let chain = Link("error sending request", Some(Box::new(Link(words, None))));
            assert_eq!(cause(&chain), TransportCause::Other, "{words}");
        }
    }

    /// A server on loopback that reads one request, writes `answer` and
    /// closes the connection.
    async fn answer_once_then_close(answer: &'static [u8]) -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf).await;
            let _ = stream.write_all(answer).await;
        });
        addr
    }

    #[tokio::test]
    async fn a_connection_closed_mid_answer_is_read_from_hypers_error() {
        // Headers that promise a body, then the connection closes.
        let addr =
            answer_once_then_close(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"a\"").await;
        let response = reqwest::get(format!("http://{addr}/")).await.unwrap();
        let error = response.bytes().await.unwrap_err();
        assert_eq!(cause(&error), TransportCause::ConnectionClosed, "{error:?}");
    }

    #[tokio::test]
    async fn a_connection_closed_before_any_answer_is_read_from_hypers_error() {
        let addr = answer_once_then_close(b"").await;
        let error = reqwest::get(format!("http://{addr}/")).await.unwrap_err();
        let mut link: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        let mut typed = None;
        while let Some(e) = link {
            typed = typed.or_else(|| typed_cause(e));
            link = below(e);
        }
        assert_eq!(typed, Some(TransportCause::ConnectionClosed), "{error:?}");
        assert_eq!(cause(&error), TransportCause::ConnectionClosed);
    }
}
