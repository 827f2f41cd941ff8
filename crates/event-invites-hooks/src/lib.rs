//! Per-call hooks for the generated `securegate-api` and `artsvp-api`
//! clients, used by the `event-invites` facade:
//!
//! - headers that the facade adds to every request of one call (the API
//!   key, marked sensitive, and any per-call headers), and a per-call
//!   timeout, whatever `reqwest::Client` the caller supplied;
//! - the operation id progenitor names each request with (`OperationInfo`),
//!   so the facade's errors and metrics use the spec's name;
//! - the status and headers of the last response the call received, even
//!   when the call then failed (a body that does not decode, a body cut
//!   short): progenitor's errors drop both in those cases, and the facade
//!   needs them for its errors and its rate-limit pacing;
//! - on request ([`hold_next_success`]), a success response held back for
//!   the facade to decode into its own models ([`take_held`]), so a large
//!   list is decoded once, not into the generated types and then again.
//!
//! The generated clients implement progenitor's `ClientHooks` with
//! [`before`], [`exec`] and [`after`]; the facade runs each call inside
//! [`with_call`]. Outside [`with_call`] the hooks do nothing.
//!
//! ```
//! use reqwest::header::{HeaderMap, HeaderValue};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let mut headers = HeaderMap::new();
//! headers.insert("x-api-key", HeaderValue::from_static("k"));
//! let setup = event_invites_hooks::Setup { headers, timeout: None };
//! let (value, seen) = event_invites_hooks::with_call(setup, async { 7 }).await;
//! assert_eq!(value, 7);
//! assert!(seen.is_none(), "no response was received");
//! # }
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// What one call adds to each of its requests.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// Headers added to each request (replacing any of the same name).
    pub headers: HeaderMap,
    /// A timeout for each request, replacing the client's.
    pub timeout: Option<Duration>,
}

/// The status and headers of a response, and the operation it answered.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The operation id of the request (progenitor's `OperationInfo`).
    pub operation: &'static str,
    /// The response's status.
    pub status: StatusCode,
    /// The response's headers.
    pub headers: HeaderMap,
}

struct Call {
    setup: Setup,
    operation: &'static str,
    seen: Option<Observed>,
    /// The body the generated client decodes in place of a held success.
    hold: Option<&'static [u8]>,
    held: Option<reqwest::Response>,
}

tokio::task_local! {
    static CALL: RefCell<Call>;
}

/// Runs `call` with `setup` applied to each of its requests, and returns
/// its output with the last response it received.
pub async fn with_call<F: Future>(setup: Setup, call: F) -> (F::Output, Option<Observed>) {
    let state = RefCell::new(Call {
        setup,
        operation: "",
        seen: None,
        hold: None,
        held: None,
    });
    CALL.scope(state, async {
        let output = call.await;
        let seen = CALL.with(|c| c.borrow_mut().seen.take());
        (output, seen)
    })
    .await
}

/// Applies the enclosing call's setup to `request` and notes its operation.
pub fn before(request: &mut reqwest::Request, operation: &'static str) {
    let _ = CALL.try_with(|c| {
        let mut call = c.borrow_mut();
        call.operation = operation;
        for (name, value) in &call.setup.headers {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        if let Some(timeout) = call.setup.timeout {
            *request.timeout_mut() = Some(timeout);
        }
    });
}

/// Asks that the next success (2xx) response of the enclosing call be held
/// for [`take_held`]: the generated client receives one with the same
/// status and the real response's headers (moved, not copied: the held
/// response keeps none) and `placeholder` as its body (a document its
/// success type decodes cheaply, such as `[]` for a list), and the caller
/// reads and decodes the real body itself, taking the status and headers
/// from the generated client's answer. Outside [`with_call`] it does
/// nothing.
pub fn hold_next_success(placeholder: &'static [u8]) {
    let _ = CALL.try_with(|c| c.borrow_mut().hold = Some(placeholder));
}

/// The success response [`hold_next_success`] held, if one came.
pub fn take_held() -> Option<reqwest::Response> {
    CALL.try_with(|c| c.borrow_mut().held.take()).ok().flatten()
}

/// Sends `request` with `client`; holds a success response back if the
/// enclosing call asked ([`hold_next_success`]) and gives the generated
/// client its stand-in.
pub async fn exec(
    client: &reqwest::Client,
    request: reqwest::Request,
) -> reqwest::Result<reqwest::Response> {
    let response = client.execute(request).await?;
    let placeholder = match CALL.try_with(|c| c.borrow_mut().hold.take()) {
        Ok(Some(placeholder)) if response.status().is_success() => placeholder,
        _ => return Ok(response),
    };
    let mut response = response;
    let mut stand_in = http::Response::new(placeholder);
    *stand_in.status_mut() = response.status();
    *stand_in.version_mut() = response.version();
    // The headers move to the stand-in (the generated client reads them,
    // and the caller takes them from its answer): not copied per call. The
    // held response keeps its body, which its own length describes.
    *stand_in.headers_mut() = std::mem::take(response.headers_mut());
    let _ = CALL.try_with(|c| c.borrow_mut().held = Some(response));
    Ok(reqwest::Response::from(stand_in))
}

/// Records a response for the enclosing call.
pub fn after(result: &reqwest::Result<reqwest::Response>) {
    if let Ok(response) = result {
        let _ = CALL.try_with(|c| {
            let mut call = c.borrow_mut();
            call.seen = Some(Observed {
                operation: call.operation,
                status: response.status(),
                headers: response.headers().clone(),
            });
        });
    }
}

/// Implements progenitor's `ClientHooks` for a generated `Client` with
/// [`before`], [`exec`] and [`after`]. Used once in each generated API crate's
/// `lib.rs` (a trait impl must live beside the type); the crate needs
/// `progenitor-client` and `reqwest` as dependencies.
#[macro_export]
macro_rules! impl_client_hooks {
    ($client:ty) => {
        /// Per-call hooks for the `event-invites` facade (see
        /// `event_invites_hooks`): headers the facade adds to a call's
        /// requests, every response's status and headers, seen even when a
        /// body then fails to decode, and a success held for the facade to
        /// decode. Outside a facade call they do nothing.
        impl progenitor_client::ClientHooks<()> for $client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                $crate::before(request, info.operation_id);
                Ok(())
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                _info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                $crate::exec(progenitor_client::ClientInfo::client(self), request).await
            }

            async fn post<E>(
                &self,
                result: &reqwest::Result<reqwest::Response>,
                _info: &progenitor_client::OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                $crate::after(result);
                Ok(())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server on loopback that answers each connection with `answer`.
    async fn serve(answer: &'static [u8]) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(answer).await;
            }
        });
        format!("http://{addr}/")
    }

    async fn send(url: &str) -> reqwest::Response {
        let client = reqwest::Client::new();
        exec(&client, client.get(url).build().unwrap())
            .await
            .unwrap()
    }

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nx-rate: 7\r\ncontent-length: 9\r\n\r\n[1, 2, 3]";

    #[tokio::test]
    async fn a_held_success_leaves_a_stand_in_with_its_status_and_headers() {
        let url = serve(OK).await;
        let ((stand_in, held), _) = with_call(Setup::default(), async {
            hold_next_success(b"[]");
            let stand_in = send(&url).await;
            (stand_in, take_held().expect("held"))
        })
        .await;
        assert_eq!(stand_in.status(), held.status());
        // The real headers moved to the stand-in (the real body's length
        // among them, as the caller should see it); its body is the
        // placeholder all the same.
        assert_eq!(stand_in.headers()["x-rate"], "7");
        assert_eq!(stand_in.headers()["content-length"], "9");
        assert!(held.headers().is_empty());
        assert_eq!(stand_in.bytes().await.unwrap(), &b"[]"[..]);
        assert_eq!(held.bytes().await.unwrap(), &b"[1, 2, 3]"[..]);
    }

    #[tokio::test]
    async fn only_a_success_of_a_call_that_asked_is_held() {
        let url = serve(OK).await;
        let (body, _) = with_call(Setup::default(), async {
            let body = send(&url).await.bytes().await.unwrap();
            assert!(take_held().is_none());
            body
        })
        .await;
        assert_eq!(body, &b"[1, 2, 3]"[..], "not asked: the response itself");

        let failing =
            serve(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 2\r\n\r\n{}").await;
        let (status, _) = with_call(Setup::default(), async {
            hold_next_success(b"[]");
            let status = send(&failing).await.status();
            assert!(
                take_held().is_none(),
                "a failure goes to the generated client"
            );
            status
        })
        .await;
        assert_eq!(status, 503);

        // Outside a call: nothing held, nothing to take.
        hold_next_success(b"[]");
        assert_eq!(send(&url).await.bytes().await.unwrap(), &b"[1, 2, 3]"[..]);
        assert!(take_held().is_none());
    }
}
