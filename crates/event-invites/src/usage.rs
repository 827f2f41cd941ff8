//! ARTSVP's `amount_used` (`"used/total"`, where a total of 0 means
//! unlimited) as numbers.

use std::fmt;
use std::str::FromStr;

/// How many times an invite was used, and how many it allows.
///
/// ```
/// use event_invites::artsvp::Usage;
///
/// let usage: Usage = "1/3".parse()?;
/// assert_eq!(usage.remaining(), Some(2));
/// let unlimited: Usage = "5/0".parse()?;
/// assert_eq!((unlimited.limit, unlimited.is_exhausted()), (None, false));
/// # Ok::<(), event_invites::artsvp::UsageParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schemars",
    schemars(description = "How many times an invite was used, and how many it allows.")
)]
pub struct Usage {
    /// Times used.
    pub used: u32,
    /// Times allowed; `None` for an unlimited invite (`total_count` 0).
    pub limit: Option<u32>,
}

impl Usage {
    /// Whether the invite cannot be used again.
    pub fn is_exhausted(&self) -> bool {
        self.limit.is_some_and(|limit| self.used >= limit)
    }

    /// Uses left; `None` when unlimited.
    pub fn remaining(&self) -> Option<u32> {
        self.limit.map(|limit| limit.saturating_sub(self.used))
    }
}

/// Why an `amount_used` string is not `used/total`.
///
/// ```
/// use event_invites::artsvp::Usage;
///
/// let err = "three".parse::<Usage>().unwrap_err();
/// assert!(err.to_string().starts_with("expected `used/total`"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageParseError(pub String);

impl fmt::Display for UsageParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected `used/total` (two whole numbers), got {:?}",
            self.0
        )
    }
}

impl std::error::Error for UsageParseError {}

impl FromStr for Usage {
    type Err = UsageParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || UsageParseError(text.to_string());
        let (used, total) = text.split_once('/').ok_or_else(bad)?;
        let used: u32 = used.trim().parse().map_err(|_| bad())?;
        let total: u32 = total.trim().parse().map_err(|_| bad())?;
        Ok(Self {
            used,
            limit: (total != 0).then_some(total),
        })
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.used, self.limit.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_limited_and_unlimited() {
        let one: Usage = "1/1".parse().unwrap();
        assert_eq!(
            one,
            Usage {
                used: 1,
                limit: Some(1)
            }
        );
        assert!(one.is_exhausted());
        let open: Usage = "3/0".parse().unwrap();
        assert_eq!(open.limit, None);
        assert!(!open.is_exhausted());
        assert_eq!(open.remaining(), None);
        assert_eq!(open.to_string(), "3/0");
        assert_eq!("0/10".parse::<Usage>().unwrap().remaining(), Some(10));
    }

    #[test]
    fn malformed_strings_are_errors_not_panics() {
        for bad in ["", "3", "a/b", "1/", "/1", "-1/2", "1/2/3", "99999999999/1"] {
            assert!(bad.parse::<Usage>().is_err(), "{bad:?}");
        }
    }
}
