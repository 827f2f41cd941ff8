//! The network edges where a key or a guest's data could leave for another
//! host: redirects (never followed), plain http (loopback only, unless the
//! caller opts in) and host names that do not exist (not retried). Every
//! server here listens on loopback; a "remote" name is resolved to loopback
//! by the client itself.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use event_invites::artsvp::{Dedupe, NewInvite};
use event_invites::{
    Artsvp, ENV_ALLOW_INSECURE_HTTP, ErrorKind, HostLookupError, SecureGate, Sent, TransportCause,
};
use event_invites_fake::{FakeArtsvp, FakeSecureGate};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server on loopback that answers every request with `answer` and keeps
/// the bytes of each request it read.
struct Recorder {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    async fn start(answer: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (log, answer) = (Arc::clone(&log), answer.clone());
                tokio::spawn(async move {
                    let request = read_request(&mut stream).await;
                    log.lock().unwrap().push(request);
                    let _ = stream.write_all(answer.as_bytes()).await;
                });
            }
        });
        Self { addr, seen }
    }

    /// A server that redirects every request to `location`.
    async fn redirecting(status: u16, location: &str) -> Self {
        Self::start(format!(
            "HTTP/1.1 {status} Moved\r\nlocation: {location}\r\ncontent-length: 0\r\n\
             connection: close\r\n\r\n"
        ))
        .await
    }

    /// A server that answers every request with an empty JSON list.
    async fn empty_list() -> Self {
        Self::start(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\
             connection: close\r\n\r\n[]"
                .to_string(),
        )
        .await
    }

    /// Fails the test if any request reached this server.
    fn assert_untouched(&self) {
        let requests = self.requests();
        assert!(requests.is_empty(), "{requests:?}");
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// One request's head and body (by its content-length), as text.
async fn read_request(stream: &mut tokio::net::TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&bytes).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let l = l.to_ascii_lowercase();
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                break;
            }
        }
    }
    String::from_utf8_lossy(&bytes).to_string()
}

#[tokio::test]
async fn a_securegate_redirect_to_another_origin_is_an_error_and_the_key_stays_home() {
    let elsewhere = Recorder::empty_list().await;
    for status in [301, 302, 303, 307, 308] {
        let redirector = Recorder::redirecting(
            status,
            &format!("{}/events/e1/invites?x=1", elsewhere.url()),
        )
        .await;
        let client = SecureGate::builder()
            .base_url(redirector.url())
            .api_key("sg_secret_key")
            .retry(common::quick_retries())
            .build()
            .unwrap();
        let err = client.guest_list("e1").await.unwrap_err();
        assert_eq!(
            err.kind(),
            &ErrorKind::Redirect {
                to: Some(elsewhere.url())
            },
            "{status}: {err}"
        );
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.attempts(), 1, "not retried: {err}");
        assert_eq!(err.was_sent(), Sent::No);
        assert!(!err.is_retryable());
        let text = err.to_string();
        assert!(
            text.contains(&format!(
                "redirected (HTTP {status}) to {}",
                elsewhere.url()
            )),
            "{text}"
        );
        assert!(
            !text.contains("/events/e1") && !text.contains("x=1"),
            "{text}"
        );
        // The first request went where it was meant to, without a Referer.
        let asked = redirector.requests();
        assert_eq!(asked.len(), 1);
        assert!(
            !asked[0].to_ascii_lowercase().contains("\r\nreferer:"),
            "{}",
            asked[0]
        );
    }
    elsewhere.assert_untouched();
}

#[tokio::test]
async fn an_artsvp_create_redirected_with_307_sends_no_guest_data_elsewhere() {
    let elsewhere = Recorder::empty_list().await;
    let redirector = Recorder::redirecting(307, &format!("{}/invites", elsewhere.url())).await;
    let client = Artsvp::builder()
        .base_url(redirector.url())
        .api_key("artsvp_secret_key")
        .retry(common::quick_retries())
        .quota(None)
        .build()
        .unwrap();
    let new = NewInvite::for_event("eve-1")
        .email("lucy.guest@example.com")
        .dedupe(Dedupe::Email);
    let err = client.create_invite(&new).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Redirect { .. }), "{err}");
    assert_eq!((err.attempts(), err.was_sent()), (1, Sent::No));
    assert!(!err.is_outcome_unknown(), "a redirect carried nothing out");
    assert!(!err.to_string().contains("lucy"), "{err}");
    let asked = redirector.requests();
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0].contains("lucy.guest@example.com"),
        "the create went to its own host"
    );
    elsewhere.assert_untouched();
}

#[tokio::test]
async fn the_generated_client_behind_raw_follows_no_redirect_either() {
    let elsewhere = Recorder::empty_list().await;
    let redirector =
        Recorder::redirecting(302, &format!("{}/events/e1/invites", elsewhere.url())).await;
    let client = SecureGate::builder()
        .base_url(redirector.url())
        .api_key("sg_secret_key")
        .build()
        .unwrap();
    let answer = client.raw().get_invites().event_id("e1").send().await;
    let status = match answer {
        Err(securegate_api::Error::UnexpectedResponse(response)) => response.status(),
        other => panic!("expected the 302 itself, got {other:?}"),
    };
    assert_eq!(status.as_u16(), 302);
    elsewhere.assert_untouched();
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused_before_anything_is_sent() {
    for url in [
        "http://api.securegate.ai",
        "http://10.1.2.3:8080",
        "http://[2001:db8::1]/",
    ] {
        let err = SecureGate::builder()
            .api_key("k")
            .base_url(url)
            .build()
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Config { .. }),
            "{url}: {err}"
        );
        let text = err.to_string();
        assert!(text.contains("use https://"), "{text}");
        assert!(text.contains(ENV_ALLOW_INSECURE_HTTP), "{text}");
        assert_eq!(err.attempts(), 0);
    }
    for url in [
        "http://localhost:9",
        "http://LOCALHOST",
        "http://127.0.0.1:9",
        "http://127.8.9.10",
        "http://[::1]:9",
        "https://api.securegate.ai",
    ] {
        assert!(
            SecureGate::builder()
                .api_key("k")
                .base_url(url)
                .build()
                .is_ok(),
            "{url}"
        );
    }
}

#[tokio::test]
async fn plain_http_to_a_remote_name_goes_through_once_the_caller_opts_in() {
    let fake = FakeSecureGate::start().await.unwrap();
    let port = reqwest::Url::parse(fake.base_url())
        .unwrap()
        .port()
        .unwrap();
    let remote = format!("http://guests.example.test:{port}");
    let builder = || {
        fake.client_builder().base_url(&remote).resolve(
            "guests.example.test",
            SocketAddr::from(([127, 0, 0, 1], port)),
        )
    };
    assert!(builder().build().is_err(), "refused without the opt-in");
    let client = builder().allow_insecure_http(true).build().unwrap();
    let event = fake.event_ids()[0].clone();
    let guests = client.guest_list(&event).await.unwrap();
    assert_eq!(
        guests.len(),
        fake.state().events[0]
            .1
            .iter()
            .filter(|i| i.status == event_invites::securegate::InviteStatus::Accepted)
            .count()
    );
}

/// A resolver that answers every name with `error`, as the facade's
/// system resolver does when getaddrinfo fails.
struct FailingResolver(HostLookupError);

impl reqwest::dns::Resolve for FailingResolver {
    fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let error = self.0;
        Box::pin(async move { Err(error.into()) })
    }
}

fn with_resolver(error: HostLookupError) -> Artsvp {
    let http = reqwest::Client::builder()
        .dns_resolver(Arc::new(FailingResolver(error)))
        .build()
        .unwrap();
    Artsvp::builder()
        .base_url("https://rsvp.example.test/api/v2")
        .api_key("k")
        .http_client(http)
        .retry(common::quick_retries())
        .quota(None)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_host_that_does_not_exist_is_not_retried_but_a_resolver_hiccup_is() {
    for (lookup, cause, attempts) in [
        (HostLookupError::NoSuchHost, TransportCause::NoSuchHost, 1),
        (HostLookupError::Failed, TransportCause::Dns, 4),
    ] {
        let err = with_resolver(lookup).get_event("eve-1").await.unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Transport(cause), "{err}");
        assert_eq!(err.attempts(), attempts, "{err}");
        assert_eq!(err.is_retryable(), attempts > 1, "{err}");
    }
    let err = with_resolver(HostLookupError::NoSuchHost)
        .get_event("eve-1")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no such host"), "{err}");
}

#[tokio::test]
async fn a_fake_is_reached_over_loopback_http_without_any_opt_in() {
    let fake = FakeArtsvp::start().await.unwrap();
    assert!(fake.base_url().starts_with("http://127.0.0.1:"));
    fake.client()
        .list_events(&Default::default())
        .await
        .unwrap();
}
