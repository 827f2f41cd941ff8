//! The `event-invites` binary over HTTPS, through proxies: a fake serving
//! HTTPS with its own CA, trusted through `SSL_CERT_FILE`; a CONNECT proxy
//! on loopback that sees where the tool goes but never the key;
//! `NO_PROXY`; proxy credentials kept out of what the tool prints. Every
//! server listens on loopback.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Output;
use std::sync::{Arc, Mutex};

use event_invites_fake::{FakeSecureGate, FakeTls};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_event-invites");

/// A CONNECT proxy on loopback: it tunnels to loopback targets only, and
/// keeps each tunnel's request head and every byte the client sent
/// through it.
struct Proxy {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
    tunnelled: Arc<Mutex<Vec<u8>>>,
}

impl Proxy {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let tunnelled = Arc::new(Mutex::new(Vec::new()));
        let (h, t) = (Arc::clone(&heads), Arc::clone(&tunnelled));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(tunnel(client, Arc::clone(&h), Arc::clone(&t)));
            }
        });
        Self {
            addr,
            heads,
            tunnelled,
        }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    fn saw(&self, needle: &str) -> bool {
        let bytes = self.tunnelled.lock().unwrap();
        String::from_utf8_lossy(&bytes).contains(needle)
    }
}

async fn tunnel(mut client: TcpStream, heads: Arc<Mutex<Vec<String>>>, seen: Arc<Mutex<Vec<u8>>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await.unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    heads.lock().unwrap().push(head.clone());
    let target = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let port = target.rsplit(':').next().unwrap_or_default();
    let loopback = target.starts_with("localhost:") || target.starts_with("127.0.0.1:");
    let Some(mut server) = (match loopback {
        true => TcpStream::connect(format!("127.0.0.1:{port}")).await.ok(),
        false => None,
    }) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };
    let _ = client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await;
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.split();
    let upstream = async {
        let mut buf = [0u8; 8192];
        while let Ok(n) = from_client.read(&mut buf).await {
            if n == 0 || to_server.write_all(&buf[..n]).await.is_err() {
                break;
            }
            seen.lock().unwrap().extend_from_slice(&buf[..n]);
        }
        let _ = to_server.shutdown().await;
    };
    let downstream = tokio::io::copy(&mut from_server, &mut to_client);
    let _ = tokio::join!(upstream, downstream);
}

/// A fake SecureGate serving HTTPS, and its CA in a file.
struct HttpsFake {
    fake: FakeSecureGate,
    ca_file: PathBuf,
}

impl HttpsFake {
    async fn start(name: &str) -> Self {
        let fake = FakeSecureGate::builder()
            .tls(FakeTls::new())
            .start()
            .await
            .unwrap();
        let ca_file =
            std::env::temp_dir().join(format!("cli-ca-{name}-{}.pem", std::process::id()));
        std::fs::write(&ca_file, fake.ca_certificate_pem().unwrap()).unwrap();
        Self { fake, ca_file }
    }

    fn port(&self) -> u16 {
        self.fake
            .base_url()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// `guests` for the fake's first event at `https://localhost:PORT`,
    /// with no proxy variable set unless the caller sets one.
    fn guests(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(["guests", "--event", &self.fake.event_ids()[0]])
            .env("SECUREGATE_API_KEY", self.fake.api_key())
            .env(
                "SECUREGATE_BASE_URL",
                format!("https://localhost:{}", self.port()),
            )
            .env("SSL_CERT_FILE", &self.ca_file)
            .env("EVENT_INVITES_QUOTA_STORE", "memory");
        for var in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
        ] {
            command.env_remove(var);
        }
        command.kill_on_drop(true);
        command
    }
}

impl Drop for HttpsFake {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_cert_file_makes_a_private_ca_trusted_and_without_it_exit_2_names_the_issuer() {
    let https = HttpsFake::start("trust").await;
    let out = https.guests().output().await.unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains('@'),
        "a guest list"
    );

    let out = https
        .guests()
        .env_remove("SSL_CERT_FILE")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(
            "TLS handshake failed after 1 attempt: the certificate's issuer is not trusted"
        ),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains(https.fake.api_key()));

    let out = https
        .guests()
        .env("SSL_CERT_FILE", "/nonexistent/ca.pem")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("SSL_CERT_FILE names"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_proxy_tunnels_the_request_and_sees_no_key_and_no_proxy_bypasses_it() {
    let https = HttpsFake::start("proxy").await;
    let proxy = Proxy::start().await;
    let proxy_url = format!("http://ops:proxy-pass-77@{}", proxy.addr);
    let out = https
        .guests()
        .env("HTTPS_PROXY", &proxy_url)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with(&format!("CONNECT localhost:{} ", https.port())),
        "{}",
        heads[0]
    );
    // The proxy's credentials go to the proxy (Basic), nowhere else.
    assert!(
        heads[0]
            .to_ascii_lowercase()
            .contains("proxy-authorization: basic "),
        "{}",
        heads[0]
    );
    assert!(
        !proxy.saw(https.fake.api_key()),
        "the key crossed the proxy in clear"
    );
    assert!(!proxy.saw("x-api-key"));
    assert!(!text(&out).contains("proxy-pass-77"), "{}", text(&out));

    // NO_PROXY names the host: straight to it, the proxy sees nothing more.
    let out = https
        .guests()
        .env("HTTPS_PROXY", &proxy_url)
        .env("NO_PROXY", "localhost")
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(proxy.heads().len(), 1, "bypassed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_proxy_is_an_outage_and_its_password_is_never_printed() {
    let https = HttpsFake::start("noproxy").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = https
        .guests()
        .env("HTTPS_PROXY", format!("http://ops:proxy-pass-77@{closed}"))
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(69), "{}", text(&out));
    assert!(!text(&out).contains("proxy-pass-77"), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("proxy-pass-77"));
    assert_eq!(https.fake.requests().len(), 0);
}
