//! The root cause of a transport failure (refused, reset, closed, DNS,
//! TLS), from the error's source chain: typed io, hyper and rustls errors
//! first, the chain's words only as a last resort (a failed host lookup,
//! which std reports only in words, and native-tls's certificate checks,
//! which OpenSSL reports only in words).

use crate::error::{TlsProblem, TransportCause};

/// The root cause of a connection failure, read from the error chain: the
/// first typed error that says ([`typed_cause`]), else, as a last resort,
/// the chain's words ([`cause_in_words`]).
pub(crate) fn cause(error: &(dyn std::error::Error + 'static)) -> TransportCause {
    let mut text = String::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(cause) = typed_cause(e) {
            return cause;
        }
        text.push_str(&e.to_string().to_ascii_lowercase());
        text.push('\n');
        next = below(e);
    }
    cause_in_words(&text)
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

/// What one error of the chain says by its type: an `io::Error`'s kind, or
/// hyper's "the connection closed" (before or while the response came).
fn typed_cause(e: &(dyn std::error::Error + 'static)) -> Option<TransportCause> {
    use std::io::ErrorKind as Io;
    if let Some(tls) = tls_cause(e) {
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

/// A certificate check that rustls failed, by its typed reason.
#[cfg(any(feature = "rustls", feature = "rustls-no-provider"))]
fn tls_cause(e: &(dyn std::error::Error + 'static)) -> Option<TransportCause> {
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

/// Without rustls there is no typed TLS error to read.
#[cfg(not(any(feature = "rustls", feature = "rustls-no-provider")))]
fn tls_cause(_: &(dyn std::error::Error + 'static)) -> Option<TransportCause> {
    None
}

/// The cause the chain's words name, for what has no typed kind: DNS and
/// TLS failures (reqwest and the TLS crates expose no kind for them), and
/// closes reported only in words.
fn cause_in_words(text: &str) -> TransportCause {
    let says = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if says(&["dns error", "failed to lookup address"]) {
        // getaddrinfo's answers, which std passes on only as text: "no
        // such name" (EAI_NONAME, EAI_NODATA; glibc, musl, macOS, Windows)
        // is final; anything else (EAI_AGAIN: "temporary failure") may
        // pass.
        if says(&[
            "name or service not known",
            "no address associated with hostname",
            "nodename nor servname provided",
            "no such host",
            "name does not resolve",
        ]) {
            TransportCause::NoSuchHost
        } else {
            TransportCause::Dns
        }
    } else if says(&["certificate", "tls", "handshake", "ssl"]) {
        TransportCause::Tls(tls_problem_in_words(text))
    } else if says(&["connection reset"]) {
        TransportCause::ConnectionReset
    } else if says(&[
        "closed before message completed",
        "end of file",
        "incomplete",
        "connection closed",
        "error decoding response body",
        "error reading a body",
    ]) {
        TransportCause::ConnectionClosed
    } else {
        TransportCause::Other
    }
}

/// What a TLS failure reported only in words (native-tls: OpenSSL's
/// verify result) says went wrong.
fn tls_problem_in_words(text: &str) -> TlsProblem {
    let says = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if says(&[
        "unable to get local issuer certificate",
        "unable to get issuer certificate",
        "self-signed certificate",
        "self signed certificate",
        "unknownissuer",
        "untrusted root",
    ]) {
        TlsProblem::UnknownIssuer
    } else if says(&["hostname mismatch", "notvalidforname", "name mismatch"]) {
        TlsProblem::NameMismatch
    } else if says(&["certificate has expired", "certificate is not yet valid"]) {
        TlsProblem::Expired
    } else {
        TlsProblem::Other
    }
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
        // An io error of another kind says nothing: the words decide.
        let other = Error::other("dns error: failed to lookup address information");
        assert_eq!(cause(&other), TransportCause::Dns);
        assert_eq!(cause(&Error::from(Io::TimedOut)), TransportCause::Other);
    }

    #[cfg(any(feature = "rustls", feature = "rustls-no-provider"))]
    #[test]
    fn a_rustls_certificate_error_inside_an_io_error_names_its_reason() {
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
    fn without_a_typed_cause_each_phrase_names_its_cause() {
        for (words, expected) in [
            ("dns error: no record", TransportCause::Dns),
            (
                "failed to lookup address information: Temporary failure in name resolution",
                TransportCause::Dns,
            ),
            (
                "failed to lookup address information: Name or service not known",
                TransportCause::NoSuchHost,
            ),
            (
                "dns error: failed to lookup address information: No address associated with hostname",
                TransportCause::NoSuchHost,
            ),
            (
                "invalid peer certificate: UnknownIssuer",
                TransportCause::Tls(TlsProblem::UnknownIssuer),
            ),
            (
                "error:0A000086:SSL routines:tls_post_process_server_certificate:certificate \
                 verify failed (unable to get local issuer certificate)",
                TransportCause::Tls(TlsProblem::UnknownIssuer),
            ),
            (
                "certificate verify failed (Hostname mismatch)",
                TransportCause::Tls(TlsProblem::NameMismatch),
            ),
            (
                "certificate verify failed (certificate has expired)",
                TransportCause::Tls(TlsProblem::Expired),
            ),
            (
                "received fatal alert from TLS peer",
                TransportCause::Tls(TlsProblem::Other),
            ),
            ("handshake failure", TransportCause::Tls(TlsProblem::Other)),
            ("Connection reset by peer", TransportCause::ConnectionReset),
            (
                "connection closed before message completed",
                TransportCause::ConnectionClosed,
            ),
            ("unexpected end of file", TransportCause::ConnectionClosed),
            ("incomplete message", TransportCause::ConnectionClosed),
            ("connection closed", TransportCause::ConnectionClosed),
            (
                "error decoding response body",
                TransportCause::ConnectionClosed,
            ),
            (
                "error reading a body from connection",
                TransportCause::ConnectionClosed,
            ),
            ("something odd", TransportCause::Other),
        ] {
            let chain = Link("error sending request", Some(Box::new(Link(words, None))));
            assert_eq!(cause(&chain), expected, "{words}");
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
