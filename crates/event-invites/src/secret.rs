//! The API key: checked when the client is built, and sent as a header
//! value marked sensitive, made once (the builder holds the key itself as a
//! `SecretString`). It never appears in `Debug`, in an error or in tracing
//! output.

use std::fmt;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::Error;

/// An API key that can be sent in a header.
#[derive(Clone)]
pub(crate) struct ApiKey {
    header: HeaderName,
    /// The key as the header's value, marked sensitive (its `Debug` shows
    /// `Sensitive`, and HTTP/2 never indexes it): made once, since every
    /// attempt sends it (a clone shares its bytes). The builder keeps the
    /// key itself as a `SecretString`.
    value: HeaderValue,
}

impl ApiKey {
    /// Checks `raw` for use in the `header` header: not empty, and only the
    /// visible ASCII characters a header value can carry.
    pub(crate) fn new(raw: &str, header: &'static str, env_name: &str) -> Result<Self, Error> {
        if raw.trim().is_empty() {
            return Err(Error::config(format!(
                "the API key is empty; pass the key or set {env_name}"
            )));
        }
        if let Some(position) = raw.bytes().position(|b| !(0x21..=0x7e).contains(&b)) {
            return Err(Error::config(format!(
                "the API key has a character a header cannot carry at byte {position} (only visible \
                 ASCII is allowed; check for spaces, newlines or a pasted quote)"
            )));
        }
        // Visible ASCII only (checked above): a valid header value.
        let mut value = HeaderValue::from_str(raw)
            .map_err(|_| Error::config("the API key cannot be sent in a header"))?;
        value.set_sensitive(true);
        Ok(Self {
            header: HeaderName::from_static(header),
            value,
        })
    }

    /// The header that carries the key, marked sensitive.
    pub(crate) fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(1);
        headers.insert(self.header.clone(), self.value.clone());
        headers
    }

    /// The header's name and its value (sensitive), for one request.
    pub(crate) fn header(&self) -> (HeaderName, HeaderValue) {
        (self.header.clone(), self.value.clone())
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({}: [redacted])", self.header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_keys_are_config_errors_that_do_not_echo_the_key() {
        for raw in ["", "   ", "sk_abc def", "sk_zq81\n", "sk_caf\u{e9}"] {
            let err = ApiKey::new(raw, "x-api-key", "SECUREGATE_API_KEY").unwrap_err();
            assert!(
                matches!(err.kind(), crate::ErrorKind::Config { .. }),
                "{raw:?}"
            );
            if !raw.trim().is_empty() {
                assert!(!err.to_string().contains(raw.trim()), "{err}");
            }
        }
    }

    #[test]
    fn the_header_is_sensitive_and_debug_redacts() {
        let key = ApiKey::new("sk_live_123", "authorization", "ARTSVP_API_KEY").unwrap();
        let headers = key.headers();
        assert!(headers["authorization"].is_sensitive());
        assert_eq!(headers["authorization"], "sk_live_123");
        let (name, value) = key.header();
        assert_eq!(
            (name.as_str(), value.is_sensitive()),
            ("authorization", true)
        );
        assert!(!format!("{key:?} {value:?}").contains("sk_live_123"));
    }
}
