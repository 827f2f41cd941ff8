//! A success decoded once, straight into the facade's models: the
//! generated builder builds and sends the request, its success response is
//! held back by the hooks (`event_invites_hooks::hold_next_success`), and
//! the body is decoded here into a facade type whose decoding is proven to
//! accept and reject the same documents as the generated type (see
//! the parity tests of `tests/decode_fuzz.rs`). For large lists (a
//! SecureGate guest list), where decoding into the generated types and then
//! moving every value into the facade's cost a tenth again of the decode.

use std::future::Future;

use progenitor_client::{Error, ResponseValue};
use serde::de::DeserializeOwned;

/// Runs `send` (a generated builder's `send()`) with its success held, and
/// decodes the held body into `T`, failing as progenitor would (a body cut
/// short, a body that does not decode). Should nothing have been held (the
/// generated client got the real response), its value is converted with
/// `convert`.
pub(crate) async fn decoded<T, G, E>(
    send: impl Future<Output = Result<ResponseValue<G>, Error<E>>>,
    placeholder: &'static [u8],
    convert: impl FnOnce(G) -> T,
) -> Result<ResponseValue<T>, Error<E>>
where
    T: DeserializeOwned + std::fmt::Debug,
{
    event_invites_hooks::hold_next_success(placeholder);
    let stand_in = send.await?;
    let Some(response) = event_invites_hooks::take_held() else {
        let Ok(converted) = stand_in.map::<T, _, std::convert::Infallible>(convert);
        return Ok(converted);
    };
    let body = response.bytes().await.map_err(Error::ResponseBodyError)?;
    let value: T =
        serde_json::from_slice(&body).map_err(|e| Error::InvalidResponsePayload(body, e))?;
    // The status and headers are the stand-in's: the hooks moved the real
    // response's there (no copy per call).
    let Ok(answered) = stand_in.map::<T, _, std::convert::Infallible>(|_| value);
    Ok(answered)
}
