//! The one judgement on a failed request: was it sent (no, maybe, yes), may
//! this operation send it again, and may it have taken effect. It is made
//! once, here, from what happened to the attempt (a [`Cause`], read by
//! `classify`) and how safe the operation is to repeat ([`Safety`]). The
//! [`crate::Error`] carries it; the retry loop, [`crate::Error::is_retryable`]
//! and the bulk engine's `Failed`/`Unknown` choice read it and decide
//! nothing again.

use std::fmt;

use crate::transport_cause::TransportCause;

/// Whether a failed request reached the server.
///
/// ```
/// # fn example(err: &event_invites::Error) {
/// use event_invites::Sent;
///
/// match err.was_sent() {
///     Sent::No => println!("nothing reached the server: send it again"),
///     Sent::Maybe => println!("it may have been applied: look before writing again"),
///     _ => println!("the server answered: {err}"),
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sent {
    /// It never reached the server: the connection did not open (refused,
    /// DNS, TLS, reset or timed out while connecting), or the facade refused
    /// the input before sending it. Nothing happened on the server.
    No,
    /// It was written, or may have been, and no answer says what the server
    /// did with it: a timeout or a connection cut before the response
    /// began, or a 502, 503 or 504 (from the server or a gateway in front of
    /// it, which may have passed the request on). A write may have been
    /// applied.
    Maybe,
    /// The server received it and answered: the status says what it did.
    /// A success whose body was then cut short or did not decode was done.
    Yes,
}

impl fmt::Display for Sent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::No => "not sent",
            Self::Maybe => "maybe sent",
            Self::Yes => "sent",
        })
    }
}

/// What the facade concluded about a failed call, once, when its last
/// attempt failed: [`crate::Error::verdict`].
///
/// ```
/// # fn example(err: event_invites::Error) {
/// use event_invites::Sent;
///
/// let verdict = err.verdict();
/// match verdict.sent() {
///     Sent::No => println!("nothing reached the server"),
///     Sent::Maybe if verdict.is_outcome_unknown() => println!("check before writing again"),
///     _ => {}
/// }
/// if verdict.is_retryable() {
///     println!("the same call may succeed later, and is safe to send again");
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    sent: Sent,
    retryable: bool,
    outcome_unknown: bool,
    cause: Cause,
}

impl Verdict {
    /// Whether the request reached the server.
    pub fn sent(&self) -> Sent {
        self.sent
    }

    /// Whether sending the same call again later may succeed **and** is
    /// safe for this operation: the failure was transient (a rate limit,
    /// a gateway error, a timeout, a connection that failed or was cut), and
    /// either nothing happened on the server or a repeat cannot make a
    /// second object (a read, a PATCH, a DELETE, a create with a dedupe
    /// filter). The facade has already retried as far as its policy, its
    /// retry budget and the call's deadline allowed.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// Whether a write may have taken effect although the call failed: it
    /// was maybe sent ([`Sent::Maybe`]), or it succeeded but its answer
    /// could not be read. Always `false` for reads.
    pub fn is_outcome_unknown(&self) -> bool {
        self.outcome_unknown
    }

    /// The verdict of a failure that is no failed request (a configuration
    /// error, an input refused before sending, a pagination loop): nothing
    /// sent, nothing to retry.
    pub(crate) const NOT_SENT: Verdict = Verdict {
        sent: Sent::No,
        retryable: false,
        outcome_unknown: false,
        cause: Cause::BeforeSending,
    };

    /// What happened to the attempt the verdict is about.
    pub(crate) fn cause(&self) -> Cause {
        self.cause
    }
}

/// What happened to one failed attempt, as far as the client can tell: the
/// facts a [`Verdict`] is decided from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The facade or the generated client refused the input; nothing was
    /// sent.
    BeforeSending,
    /// The connection did not open, for this reason.
    Connect(TransportCause),
    /// No connection within the connect timeout.
    ConnectTimeout,
    /// Held back, not sent: the call's deadline would pass while it waited
    /// for the rate limit, or a bulk run stopped before it.
    HeldBack,
    /// The connection was cut after the request was written, before the
    /// response began.
    CutAfterWrite(TransportCause),
    /// No response began within the attempt's timeout.
    TimeoutBeforeHeaders,
    /// The response began with this success status, then its body timed
    /// out ([`Cause::body_lost`]).
    TimeoutAfterHeaders(u16),
    /// The response began with this success status, then the connection
    /// was cut ([`Cause::body_lost`]).
    TruncatedBody(u16),
    /// A complete answer with this failure status.
    Status(u16),
    /// A redirect (3xx), not followed: the request was not carried out,
    /// and nothing went to where it pointed.
    Redirected(u16),
    /// An answer with this status whose body did not decode.
    Decode(u16),
}

impl Cause {
    /// A response that began with `status` and whose body was then lost
    /// (timed out, or cut): a failure status says what happened by itself.
    pub(crate) fn body_lost(status: u16, timeout: bool) -> Self {
        match (status, timeout) {
            (200..=299, true) => Self::TimeoutAfterHeaders(status),
            (200..=299, false) => Self::TruncatedBody(status),
            _ => Self::Status(status),
        }
    }

    /// Whether the failure may pass by itself, so that another attempt may
    /// succeed.
    fn is_transient(self) -> bool {
        match self {
            Self::BeforeSending | Self::Decode(_) | Self::Redirected(_) => false,
            // A certificate the client does not trust will not be trusted on
            // the next attempt either, nor will a host that does not exist
            // appear.
            Self::Connect(cause) => !cause.is_permanent(),
            Self::ConnectTimeout
            | Self::HeldBack
            | Self::CutAfterWrite(_)
            | Self::TimeoutBeforeHeaders
            | Self::TimeoutAfterHeaders(_)
            | Self::TruncatedBody(_) => true,
            Self::Status(status) => matches!(status, 429 | 502..=504),
        }
    }

    /// Whether the request reached the server.
    fn sent(self) -> Sent {
        match self {
            Self::BeforeSending
            | Self::Connect(_)
            | Self::ConnectTimeout
            | Self::HeldBack
            | Self::Redirected(_) => Sent::No,
            Self::CutAfterWrite(_) | Self::TimeoutBeforeHeaders => Sent::Maybe,
            Self::Status(502..=504) => Sent::Maybe,
            Self::TimeoutAfterHeaders(_)
            | Self::TruncatedBody(_)
            | Self::Status(_)
            | Self::Decode(_) => Sent::Yes,
        }
    }

    /// Whether the server may have acted on the request: it was maybe sent,
    /// or it answered with a success.
    fn may_have_acted(self) -> bool {
        match self.sent() {
            Sent::No => false,
            Sent::Maybe => true,
            Sent::Yes => match self {
                Self::TimeoutAfterHeaders(s) | Self::TruncatedBody(s) | Self::Decode(s) => {
                    (200..300).contains(&s)
                }
                _ => false,
            },
        }
    }

    /// A 429: the server did nothing and said how long to wait.
    pub(crate) fn is_rate_limited(self) -> bool {
        self == Self::Status(429)
    }

    /// A sign that the API is down or failing: the connection failed or
    /// was cut, no answer came in time, or the server answered 5xx.
    pub(crate) fn is_unavailable(self) -> bool {
        match self {
            Self::Connect(cause) => !cause.is_permanent(),
            Self::ConnectTimeout
            | Self::CutAfterWrite(_)
            | Self::TimeoutBeforeHeaders
            | Self::TimeoutAfterHeaders(_)
            | Self::TruncatedBody(_) => true,
            Self::Status(status) => (500..=599).contains(&status),
            Self::BeforeSending | Self::HeldBack | Self::Decode(_) | Self::Redirected(_) => false,
        }
    }

    /// A timeout: a retry after it costs the retry budget more.
    pub(crate) fn is_timeout(self) -> bool {
        matches!(
            self,
            Self::ConnectTimeout | Self::TimeoutBeforeHeaders | Self::TimeoutAfterHeaders(_)
        )
    }

    /// Why an attempt with this cause is retried, for observers and traces.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Self::Status(429) => "rate limited",
            Self::Connect(_) | Self::ConnectTimeout => "connection not opened",
            Self::HeldBack | Self::BeforeSending => "not sent",
            Self::Status(_) => "gateway error",
            _ => "answer lost",
        }
    }

    /// The verdict on an attempt of an operation this safe to repeat, under
    /// a policy that does (`true`) or does not repeat creates without a
    /// dedupe filter.
    pub(crate) fn verdict(self, safety: Safety, retry_creates: bool) -> Verdict {
        let acted = self.may_have_acted();
        // Nothing happened on the server (it never got the request, or it
        // refused it with a 429): a repeat is safe for every operation.
        let nothing_done = self.sent() == Sent::No || self.is_rate_limited();
        Verdict {
            sent: self.sent(),
            retryable: self.is_transient() && (nothing_done || safety.may_repeat(retry_creates)),
            outcome_unknown: acted && safety.is_write(),
            cause: self,
        }
    }
}

/// How safe it is to send an operation again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safety {
    /// A read: a repeat changes nothing.
    Read,
    /// A whitelisted PATCH or a DELETE: a repeat changes nothing more.
    Idempotent,
    /// A create with a dedupe filter: a repeat returns the first one's object.
    DedupedCreate,
    /// A create without a filter: a repeat may create a second object.
    Create,
}

impl Safety {
    /// Whether a request that may have reached the server can be repeated,
    /// under a policy that does (`true`) or does not repeat creates without
    /// a dedupe filter.
    pub(crate) fn may_repeat(self, retry_creates: bool) -> bool {
        match self {
            Self::Read | Self::Idempotent | Self::DedupedCreate => true,
            Self::Create => retry_creates,
        }
    }

    /// Whether the operation changes something on the server.
    pub(crate) fn is_write(self) -> bool {
        self != Self::Read
    }
}

impl Verdict {
    /// What a bulk run makes of a failed create with this verdict:
    /// `unknown` when the invite may exist (the outcome is unknown), else
    /// `failed`. Read from the verdict alone, decided nowhere else.
    pub(crate) fn bulk_label(&self) -> &'static str {
        if self.is_outcome_unknown() {
            "unknown"
        } else {
            "failed"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport_cause::TlsProblem;
    use Cause::*;
    use TransportCause as T;

    /// Per safety class (read, idempotent write, create with a dedupe
    /// filter, create without one): whether the call is retried, and what
    /// a bulk run makes of the failure (`failed`: nothing was made;
    /// `unknown`: an invite may exist).
    type Expect = [(bool, &'static str); 4];

    const ALL_RETRY_FAILED: Expect = [(true, "failed"); 4];
    const NONE_RETRY_FAILED: Expect = [(false, "failed"); 4];
    /// Maybe applied: repeated where that is safe; writes are unknown.
    const LOST: Expect = [
        (true, "failed"),
        (true, "unknown"),
        (true, "unknown"),
        (false, "unknown"),
    ];

    /// Safety classes in the order of an [`Expect`]'s cells.
    const CLASSES: [Safety; 4] = [
        Safety::Read,
        Safety::Idempotent,
        Safety::DedupedCreate,
        Safety::Create,
    ];

    /// Checks each row's cause against every safety class: was it sent,
    /// is it retried, and its bulk label; lists every cell that differs.
    fn assert_rows(table: &[(&str, Cause, Sent, Expect)]) {
        let mut wrong = Vec::new();
        for (name, cause, sent, expect) in table {
            for (safety, (retry, bulk)) in CLASSES.iter().zip(expect) {
                let v = cause.verdict(*safety, false);
                let got = (v.sent(), v.is_retryable(), v.bulk_label());
                if got != (*sent, *retry, *bulk) {
                    wrong.push(format!(
                        "{name} × {safety:?}: expected {:?}, got {got:?}",
                        (sent, retry, bulk)
                    ));
                }
                // A read never has an unknown outcome; a write whose
                // outcome is unknown was sent, or maybe.
                assert!(!(v.is_outcome_unknown() && *safety == Safety::Read));
                assert!(!v.is_outcome_unknown() || v.sent() != Sent::No, "{name}");
            }
        }
        assert!(wrong.is_empty(), "cells that differ:\n{}", wrong.join("\n"));
    }

    /// Nothing sent: a retry is safe for every class; what no retry mends is not retried.
    #[test]
    fn failures_before_anything_was_sent_are_retried_unless_no_attempt_can_mend_them() {
        assert_rows(&[
            (
                "connect refused",
                Connect(T::ConnectionRefused),
                Sent::No,
                ALL_RETRY_FAILED,
            ),
            ("DNS", Connect(T::Dns), Sent::No, ALL_RETRY_FAILED),
            (
                "no such host",
                Connect(T::NoSuchHost),
                Sent::No,
                NONE_RETRY_FAILED,
            ),
            (
                "TLS, unknown issuer",
                Connect(T::Tls(TlsProblem::UnknownIssuer)),
                Sent::No,
                NONE_RETRY_FAILED,
            ),
            (
                "TLS, other",
                Connect(T::Tls(TlsProblem::Other)),
                Sent::No,
                NONE_RETRY_FAILED,
            ),
            (
                "302, not followed",
                Redirected(302),
                Sent::No,
                NONE_RETRY_FAILED,
            ),
            (
                "307, not followed",
                Redirected(307),
                Sent::No,
                NONE_RETRY_FAILED,
            ),
            (
                "reset during connect",
                Connect(T::ConnectionReset),
                Sent::No,
                ALL_RETRY_FAILED,
            ),
            (
                "connect timeout",
                ConnectTimeout,
                Sent::No,
                ALL_RETRY_FAILED,
            ),
            (
                "refused before sending",
                BeforeSending,
                Sent::No,
                NONE_RETRY_FAILED,
            ),
            ("deadline while paced", HeldBack, Sent::No, ALL_RETRY_FAILED),
        ]);
    }

    /// Sent, or maybe, and the answer lost: only reads, idempotent writes and deduped creates repeat.
    #[test]
    fn an_answer_lost_after_the_write_is_retried_only_where_a_repeat_is_safe() {
        assert_rows(&[
            (
                "reset after the write",
                CutAfterWrite(T::ConnectionReset),
                Sent::Maybe,
                LOST,
            ),
            (
                "closed after the write",
                CutAfterWrite(T::ConnectionClosed),
                Sent::Maybe,
                LOST,
            ),
            (
                "timeout before the headers",
                TimeoutBeforeHeaders,
                Sent::Maybe,
                LOST,
            ),
            (
                "timeout after 200 headers",
                Cause::body_lost(200, true),
                Sent::Yes,
                LOST,
            ),
            (
                "truncated 201 body",
                Cause::body_lost(201, false),
                Sent::Yes,
                LOST,
            ),
            (
                "truncated 503 body",
                Cause::body_lost(503, false),
                Sent::Maybe,
                LOST,
            ),
            (
                "timeout after 404 headers",
                Cause::body_lost(404, true),
                Sent::Yes,
                NONE_RETRY_FAILED,
            ),
        ]);
    }

    /// An answer with a status: 429 always; 502–504 maybe applied; other errors final.
    #[test]
    fn each_status_is_retried_by_what_it_says_about_the_write() {
        assert_rows(&[
            ("429", Status(429), Sent::Yes, ALL_RETRY_FAILED),
            ("500", Status(500), Sent::Yes, NONE_RETRY_FAILED),
            ("501", Status(501), Sent::Yes, NONE_RETRY_FAILED),
            ("502", Status(502), Sent::Maybe, LOST),
            ("503", Status(503), Sent::Maybe, LOST),
            ("504", Status(504), Sent::Maybe, LOST),
            ("400", Status(400), Sent::Yes, NONE_RETRY_FAILED),
            ("401", Status(401), Sent::Yes, NONE_RETRY_FAILED),
            ("404", Status(404), Sent::Yes, NONE_RETRY_FAILED),
            ("422", Status(422), Sent::Yes, NONE_RETRY_FAILED),
            (
                "decode of a 200",
                Decode(200),
                Sent::Yes,
                [
                    (false, "failed"),
                    (false, "unknown"),
                    (false, "unknown"),
                    (false, "unknown"),
                ],
            ),
        ]);
    }

    #[test]
    fn a_policy_that_repeats_creates_retries_lost_unfiltered_creates() {
        let v = TimeoutBeforeHeaders.verdict(Safety::Create, true);
        assert!(v.is_retryable());
        assert!(v.is_outcome_unknown());
        assert!(!Status(500).verdict(Safety::Create, true).is_retryable());
    }

    #[test]
    fn sent_reads_as_words() {
        let words: Vec<String> = [Sent::No, Sent::Maybe, Sent::Yes]
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(words, ["not sent", "maybe sent", "sent"]);
    }

    #[test]
    fn retry_reasons_and_costs_follow_the_cause() {
        assert_eq!(HeldBack.reason(), "not sent");
        assert_eq!(BeforeSending.reason(), "not sent");
        assert_eq!(Status(429).reason(), "rate limited");
        assert_eq!(
            Connect(T::ConnectionRefused).reason(),
            "connection not opened"
        );
        assert_eq!(Status(503).reason(), "gateway error");
        assert_eq!(TruncatedBody(200).reason(), "answer lost");
        assert!(TimeoutBeforeHeaders.is_timeout() && ConnectTimeout.is_timeout());
        assert!(!CutAfterWrite(T::ConnectionReset).is_timeout());
        assert!(Status(429).is_rate_limited() && !Status(503).is_rate_limited());
        for unavailable in [
            Status(500),
            Status(503),
            TimeoutBeforeHeaders,
            Connect(T::Dns),
        ] {
            assert!(unavailable.is_unavailable(), "{unavailable:?}");
        }
        for answered in [
            Status(429),
            Status(404),
            Decode(200),
            Connect(T::Tls(TlsProblem::Expired)),
            Connect(T::NoSuchHost),
            Redirected(301),
            HeldBack,
        ] {
            assert!(!answered.is_unavailable(), "{answered:?}");
        }
    }
}
