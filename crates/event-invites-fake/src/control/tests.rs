use super::*;
use crate::faults::{Fault, FaultRule};

#[test]
fn rules_parse_from_json() {
    let rule = parse_rule(
        br#"{"fault": "status", "status": 503, "method": "post", "route": "/invites", "times": 2, "after_write": true}"#,
    )
    .unwrap();
    let expected = FaultRule::new(Fault::Status(503))
        .on("POST", "/invites")
        .times(2)
        .after_write();
    assert_eq!(rule, expected);
    let always = parse_rule(br#"{"fault": "latency", "ms": 20, "times": "always"}"#).unwrap();
    assert_eq!(
        always,
        FaultRule::new(Fault::Latency(Duration::from_millis(20))).always()
    );
}

#[test]
fn a_bad_rule_names_its_field() {
    for (body, field) in [
        (&br#"{"status": 503}"#[..], "`fault`"),
        (br#"{"fault": "status"}"#, "`status`"),
        (br#"{"fault": "status", "status": 99}"#, "`status`"),
        (br#"{"fault": "boom"}"#, "`boom`"),
        (br#"{"fault": "malformed_json", "times": 0}"#, "`times`"),
        (
            br#"{"fault": "malformed_json", "after_write": "yes"}"#,
            "invalid type",
        ),
        (br#"{"fault": "malformed_json", "tiems": 2}"#, "`tiems`"),
        (br#"{"fault": "latency", "ms": -1}"#, "invalid value"),
        (
            br#"{"fault": "latency", "ms": 5, "status": 500}"#,
            "`status`: only for",
        ),
        (
            br#"{"fault": "status", "status": 500, "share": {"strike": 4, "of": 3}}"#,
            "`share`",
        ),
        (
            br#"{"fault": "status", "status": 500, "share": {"strike": 1, "of": 3}, "times": 2}"#,
            "`share`",
        ),
        (
            br#"{"fault": "redirect", "status": 302}"#,
            "`location`: required",
        ),
        (
            br#"{"fault": "redirect", "status": 200, "location": "/x"}"#,
            "300..=399",
        ),
        (
            br#"{"fault": "status", "status": 500, "location": "/x"}"#,
            "`location`: only for",
        ),
    ] {
        let err = parse_rule(body).unwrap_err();
        assert!(
            err.contains(field),
            "{}: {err}",
            String::from_utf8_lossy(body)
        );
    }
    let array = parse_rule(b"[1]").unwrap_err();
    assert!(array.contains("a JSON object"), "{array}");
    assert!(parse_rule(b"{").unwrap_err().contains("not JSON"));
    let unknown = parse_rule(br#"{"fault": "status", "status": 500, "tiems": 2}"#).unwrap_err();
    assert!(
        unknown.contains("expected one of `fault`, `status`"),
        "names what exists: {unknown}"
    );
}

#[test]
fn a_redirect_rule_parses() {
    let rule = parse_rule(
        br#"{"fault": "redirect", "status": 307, "location": "http://127.0.0.1:9/x", "route": "/invites"}"#,
    )
    .unwrap();
    let redirect = Fault::Redirect {
        status: 307,
        location: "http://127.0.0.1:9/x".into(),
    };
    assert_eq!(rule, FaultRule::new(redirect).route("/invites"));
}

#[test]
fn a_share_rule_parses() {
    let rule =
        parse_rule(br#"{"fault": "status", "status": 503, "share": {"strike": 1, "of": 4}}"#)
            .unwrap();
    assert_eq!(rule, FaultRule::new(Fault::Status(503)).share(1, 4));
}

#[test]
fn errors_quote_no_values() {
    let err = parse_rule(br#"{"fault": "status", "status": "lucy@example.com"}"#).unwrap_err();
    assert!(!err.contains("lucy"), "{err}");
    assert!(err.contains("invalid type"), "{err}");
}
