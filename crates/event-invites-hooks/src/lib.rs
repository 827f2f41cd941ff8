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
//!   needs them for its errors and its rate-limit pacing.
//!
//! The generated clients implement progenitor's `ClientHooks` with
//! [`before`] and [`after`]; the facade runs each call inside [`with_call`].
//! Outside [`with_call`] both hooks do nothing.
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
/// [`before`] and [`after`]. Used once in each generated API crate's
/// `lib.rs` (a trait impl must live beside the type); the crate needs
/// `progenitor-client` and `reqwest` as dependencies.
#[macro_export]
macro_rules! impl_client_hooks {
    ($client:ty) => {
        /// Per-call hooks for the `event-invites` facade (see
        /// `event_invites_hooks`): headers the facade adds to a call's
        /// requests, and every response's status and headers, seen even when
        /// a body then fails to decode. Outside a facade call they do nothing.
        impl progenitor_client::ClientHooks<()> for $client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                $crate::before(request, info.operation_id);
                Ok(())
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
