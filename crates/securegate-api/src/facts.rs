//! Facts about the SecureGate API that the facade, the fake server and the
//! CLI share, written once here. The key header and the base URL are also
//! in the vendor's OpenAPI document; a test checks that they agree.
//!
//! SecureGate publishes no quota and no rate-limit headers; the facade
//! still honours a 429's `Retry-After`, and reads ARTSVP's `x-rate-limit-*`
//! headers (`artsvp_api::facts`) should SecureGate send them.
//!
//! ```
//! assert_eq!(securegate_api::facts::KEY_HEADER, "x-api-key");
//! ```

/// The production base URL.
pub const BASE_URL: &str = "https://api.securegate.ai";

/// The header that carries the API key, lowercase.
pub const KEY_HEADER: &str = "x-api-key";

/// The environment variable this project reads the API key from.
pub const ENV_API_KEY: &str = "SECUREGATE_API_KEY";

/// The environment variable this project reads an optional base URL from.
pub const ENV_BASE_URL: &str = "SECUREGATE_BASE_URL";
