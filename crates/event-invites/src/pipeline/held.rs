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
    T: DeserializeOwned,
{
    event_invites_hooks::hold_next_success(placeholder);
    let stand_in = send.await?;
    let Some(response) = event_invites_hooks::take_held() else {
        let (status, headers) = (stand_in.status(), stand_in.headers().clone());
        return Ok(ResponseValue::new(
            convert(stand_in.into_inner()),
            status,
            headers,
        ));
    };
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(Error::ResponseBodyError)?;
    let value =
        serde_json::from_slice(&body).map_err(|e| Error::InvalidResponsePayload(body, e))?;
    Ok(ResponseValue::new(value, status, headers))
}
