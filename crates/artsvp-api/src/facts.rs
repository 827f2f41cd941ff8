//! Facts about the ARTSVP API that are not in its OpenAPI document, written
//! once here and used by the facade, the fake server and the CLI (source:
//! `specs/vendor-docs/artsvp-api-v2.md`).
//!
//! ```
//! use artsvp_api::facts;
//!
//! assert_eq!(facts::QUOTA_LIMIT, 1_000);
//! assert_eq!(facts::KEY_HEADER, "authorization");
//! ```

/// The production base URL.
pub const BASE_URL: &str = "https://app.artsvp.com/api/v2";

/// The header that carries the API key, lowercase (its value is the key
/// itself, with no `Bearer` prefix).
pub const KEY_HEADER: &str = "authorization";

/// The environment variable this project reads the API key from.
pub const ENV_API_KEY: &str = "ARTSVP_API_KEY";

/// The environment variable this project reads an optional base URL from.
pub const ENV_BASE_URL: &str = "ARTSVP_BASE_URL";

/// The published quota: this many requests …
pub const QUOTA_LIMIT: u32 = 1_000;

/// … per window of this many seconds (15 minutes).
pub const QUOTA_WINDOW_SECS: u64 = 15 * 60;

/// The response header with the window's request limit.
pub const RATE_LIMIT_LIMIT: &str = "x-rate-limit-limit";

/// The response header with the requests left in the window.
pub const RATE_LIMIT_REMAINING: &str = "x-rate-limit-remaining";

/// The response header with the seconds until the window resets.
pub const RATE_LIMIT_RESET: &str = "x-rate-limit-reset";
