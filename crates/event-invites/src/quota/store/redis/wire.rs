//! The quota script's wire form: a bucket as nine space-separated fields
//! (`-` for none), and the script's five-value reply read into an
//! [`Answer`].

use std::io;
use std::time::Duration;

use crate::observe::PacingReason;
use crate::quota::bucket::{Answer, Bucket};

/// A bucket as the script keeps it: nine fields, `-` for none.
pub(super) fn encode(b: &Bucket) -> String {
    let opt = |v: Option<u64>| v.map_or("-".into(), |v| v.to_string());
    [
        format!("{:?}", b.tokens),
        b.refilled_at.to_string(),
        opt(b.server_remaining),
        opt(b.window_end.map(|(lo, _)| lo)),
        opt(b.window_end.map(|(_, hi)| hi)),
        opt(b.blocked_until),
        b.sent_unknown.to_string(),
        opt(b.server_limit),
        opt(b.server_window),
    ]
    .join(" ")
}

/// The script's reply: its clock, the bucket, the wait and why, the
/// pacers lately.
pub(super) fn answer(reply: &[String]) -> io::Result<Answer> {
    let bad = |what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the quota script answered {what}"),
        )
    };
    let [now, bucket, wait, reason, pacers] = reply else {
        return Err(bad("the wrong number of values"));
    };
    let now = now.parse().map_err(|_| bad("no time"))?;
    let bucket = decode(bucket).ok_or_else(|| bad("a bucket it cannot read"))?;
    let wait = if wait.is_empty() {
        None
    } else {
        let wait = Duration::from_micros(wait.parse().map_err(|_| bad("a wait it cannot read"))?);
        let reason = match reason.as_str() {
            "quota" => PacingReason::Quota,
            "server" => PacingReason::ServerWindow,
            "retry" => PacingReason::RetryAfter,
            _ => return Err(bad("an unknown reason")),
        };
        Some((wait, reason))
    };
    let sharers = Some(pacers.parse().map_err(|_| bad("no count of pacers"))?);
    Ok(Answer {
        now,
        bucket,
        wait,
        sharers,
    })
}

/// A bucket from the script's nine fields.
pub(super) fn decode(text: &str) -> Option<Bucket> {
    let fields: Vec<&str> = text.split(' ').collect();
    let [
        tokens,
        refilled_at,
        remaining,
        lo,
        hi,
        blocked,
        unknown,
        limit,
        window,
    ] = fields[..]
    else {
        return None;
    };
    let opt = |v: &str| -> Option<Option<u64>> {
        if v == "-" {
            Some(None)
        } else {
            v.parse().ok().map(Some)
        }
    };
    let window_end = match (opt(lo)?, opt(hi)?) {
        (Some(lo), Some(hi)) => Some((lo, hi)),
        _ => None,
    };
    Some(Bucket {
        tokens: tokens.parse().ok()?,
        refilled_at: refilled_at.parse().ok()?,
        server_remaining: opt(remaining)?,
        window_end,
        blocked_until: opt(blocked)?,
        sent_unknown: unknown.parse().ok()?,
        server_limit: opt(limit)?,
        server_window: opt(window)?,
    })
}
