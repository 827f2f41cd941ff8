//! HTTPS for the fake servers: a certificate authority made when a server
//! starts (rcgen), a leaf certificate it signs for the names asked for, and
//! the rustls acceptor that serves it. Nothing is read from or written to
//! disk unless asked; the CA's certificate is handed to clients as PEM.

use std::io;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// How a fake server serves HTTPS: the names its certificate is valid for
/// (default `localhost` and `127.0.0.1`), and whether it has expired. The
/// CA that signs it is made afresh at every start; give clients its
/// certificate (`ca_certificate_pem()` on the running fake; the fake's
/// `client()` trusts it already).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use event_invites_fake::{FakeSecureGate, FakeTls};
///
/// let fake = FakeSecureGate::builder().tls(FakeTls::new()).start().await?;
/// assert!(fake.base_url().starts_with("https://127.0.0.1:"));
/// let pem = fake.ca_certificate_pem().expect("served over TLS");
/// assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
/// let guests = fake.client().guest_list(&fake.event_ids()[0]).await?;
/// # let _ = guests;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct FakeTls {
    names: Vec<String>,
    expired: bool,
}

impl Default for FakeTls {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeTls {
    /// A certificate for `localhost` and `127.0.0.1`, valid now.
    pub fn new() -> Self {
        Self {
            names: vec!["localhost".into(), "127.0.0.1".into()],
            expired: false,
        }
    }

    /// The host names (or IP addresses) the certificate is valid for,
    /// instead of the default ones.
    pub fn names<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.names = names.into_iter().map(Into::into).collect();
        self
    }

    /// A certificate that expired in 2021, to test how a client reacts.
    pub fn expired(mut self) -> Self {
        self.expired = true;
        self
    }

    /// A fresh CA, a leaf it signs, and the acceptor serving the leaf.
    pub(crate) fn make(&self) -> io::Result<Served> {
        let (ca, leaf, leaf_key) = self.certificates()?;
        let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                b.with_no_client_auth()
                    .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)
            })
            .map_err(|e| io::Error::other(format!("the fake's TLS settings: {e}")))?;
        Ok(Served {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_pem: ca.pem(),
        })
    }

    /// A fresh CA, a leaf it signs and the leaf's key, as PEM: the CA's
    /// certificate, the leaf's, the leaf's key (for servers that read
    /// files, such as `redis-server --tls-port`).
    pub(crate) fn pem_files(&self) -> io::Result<(String, String, String)> {
        let (ca, leaf, key) = self.certificates()?;
        Ok((ca.pem(), leaf.pem(), key.serialize_pem()))
    }

    /// A fresh CA, a leaf it signs, and the leaf's key.
    fn certificates(
        &self,
    ) -> io::Result<(
        CertifiedIssuer<'static, KeyPair>,
        rcgen::Certificate,
        KeyPair,
    )> {
        let fail = |what: &str, e: rcgen::Error| io::Error::other(format!("{what}: {e}"));
        let mut ca =
            CertificateParams::new(Vec::<String>::new()).map_err(|e| fail("the fake's CA", e))?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // A name of its own: a client that trusts another fake's CA must
        // find no issuer here, not one of the same name whose signature
        // does not match.
        ca.distinguished_name.push(
            DnType::CommonName,
            format!("event-invites-fake test CA {}", unique()),
        );
        let ca_key = KeyPair::generate().map_err(|e| fail("the fake's CA key", e))?;
        let ca = CertifiedIssuer::self_signed(ca, ca_key).map_err(|e| fail("the fake's CA", e))?;

        let mut leaf = CertificateParams::new(self.names.clone())
            .map_err(|e| fail("the fake's certificate names", e))?;
        leaf.distinguished_name
            .push(DnType::CommonName, "event-invites-fake");
        if self.expired {
            leaf.not_before = rcgen::date_time_ymd(2020, 1, 1);
            leaf.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let leaf_key = KeyPair::generate().map_err(|e| fail("the fake's key", e))?;
        let leaf = leaf
            .signed_by(&leaf_key, &ca)
            .map_err(|e| fail("the fake's certificate", e))?;
        Ok((ca, leaf, leaf_key))
    }
}

/// A running server's TLS: what accepts connections, and the CA's
/// certificate for clients.
pub(crate) struct Served {
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) ca_pem: String,
}

/// A text no other CA made on this machine shares: the process, the time
/// and a counter.
fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static MADE: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        MADE.fetch_add(1, Ordering::Relaxed)
    )
}
