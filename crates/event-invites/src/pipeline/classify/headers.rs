//! What the response headers say about a failure: the server's request id,
//! and the wait a 429 asks for.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// The request id a server sent, if any.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "request-id", "x-amzn-requestid"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 200)
        .map(str::to_string)
}

/// The wait a 429 asks for: `Retry-After` (seconds), else
/// `x-rate-limit-reset`.
pub(super) fn wait_asked(headers: &HeaderMap) -> Option<Duration> {
    ["retry-after", artsvp_api::facts::RATE_LIMIT_RESET]
        .iter()
        .find_map(|name| {
            let seconds: f64 = headers.get(*name)?.to_str().ok()?.trim().parse().ok()?;
            (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_prefers_the_header_then_the_reset() {
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-reset", "9".parse().unwrap());
        assert_eq!(wait_asked(&h), Some(Duration::from_secs(9)));
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(wait_asked(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(wait_asked(&h), Some(Duration::from_secs(9)));
    }

    #[test]
    fn a_negative_or_endless_wait_is_not_taken() {
        for bad in ["-5", "inf", "NaN"] {
            let mut h = HeaderMap::new();
            h.insert("retry-after", bad.parse().unwrap());
            assert_eq!(wait_asked(&h), None, "{bad}");
            h.insert("x-rate-limit-reset", "3".parse().unwrap());
            assert_eq!(wait_asked(&h), Some(Duration::from_secs(3)), "{bad}");
        }
    }

    #[test]
    fn a_request_id_is_read_when_plausible() {
        let mut h = HeaderMap::new();
        assert_eq!(request_id(&h), None);
        h.insert("request-id", "req-1".parse().unwrap());
        assert_eq!(request_id(&h).as_deref(), Some("req-1"));
        h.insert("x-request-id", "".parse().unwrap());
        assert_eq!(request_id(&h), None, "an empty id is none");
        h.insert("x-request-id", "r".repeat(201).parse().unwrap());
        assert_eq!(request_id(&h), None, "too long to be an id");
        h.insert("x-request-id", "r".repeat(200).parse().unwrap());
        assert_eq!(request_id(&h).map(|id| id.len()), Some(200));
    }
}
