use super::*;
use crate::{Artsvp, SecureGate};

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

#[test]
fn from_env_reads_the_key_and_optional_base_url() {
    let client: SecureGate = from_lookup(env(&[("SECUREGATE_API_KEY", "k1")])).unwrap();
    assert_eq!(client.base_url(), "https://api.securegate.ai");
    let client: Artsvp = from_lookup(env(&[
        ("ARTSVP_API_KEY", "k2"),
        ("ARTSVP_BASE_URL", "http://127.0.0.1:9/api/v2/"),
    ]))
    .unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:9/api/v2");
}

#[test]
fn from_env_lets_plain_http_to_a_remote_host_through_only_when_asked() {
    let remote = [
        ("ARTSVP_API_KEY", "k"),
        ("ARTSVP_BASE_URL", "http://rsvp.example/api/v2"),
    ];
    let err = from_lookup::<Artsvp>(env(&remote)).unwrap_err();
    assert!(err.to_string().contains("plain http"), "{err}");
    let opted = [remote[0], remote[1], (ENV_ALLOW_INSECURE_HTTP, "1")];
    assert!(from_lookup::<Artsvp>(env(&opted)).is_ok());
    let other = [remote[0], remote[1], (ENV_ALLOW_INSECURE_HTTP, "yes")];
    assert!(
        from_lookup::<Artsvp>(env(&other)).is_err(),
        "only 1 opts in"
    );
}

#[test]
fn from_env_reads_extra_roots_from_ssl_cert_file_and_names_one_it_cannot_read() {
    let missing = std::env::temp_dir().join("event-invites-no-such-ca.pem");
    let missing = missing.to_str().unwrap();
    let err = from_lookup::<Artsvp>(env(&[("ARTSVP_API_KEY", "k"), ("SSL_CERT_FILE", missing)]))
        .unwrap_err();
    assert!(err.to_string().contains("SSL_CERT_FILE names"), "{err}");
    let not_pem = std::env::temp_dir().join(format!("not-a-ca-{}.pem", std::process::id()));
    std::fs::write(&not_pem, "hello").unwrap();
    let err = from_lookup::<Artsvp>(env(&[
        ("ARTSVP_API_KEY", "k"),
        ("SSL_CERT_FILE", not_pem.to_str().unwrap()),
    ]))
    .unwrap_err();
    std::fs::remove_file(&not_pem).unwrap();
    #[cfg(any(
        feature = "rustls",
        feature = "rustls-no-provider",
        feature = "native-tls"
    ))]
    assert!(err.to_string().contains("not a PEM certificate"), "{err}");
    #[cfg(not(any(
        feature = "rustls",
        feature = "rustls-no-provider",
        feature = "native-tls"
    )))]
    assert!(err.to_string().contains("without TLS"), "{err}");
}

#[test]
fn from_env_without_a_key_names_the_variable() {
    let err = from_lookup::<Artsvp>(env(&[])).unwrap_err();
    assert!(
        err.to_string().contains("ARTSVP_API_KEY is not set"),
        "{err}"
    );
}

#[test]
fn a_key_from_another_variable_keeps_the_base_url_and_names_that_variable() {
    let lookup = env(&[
        ("SECUREGATE_KEY_SUMMER", "k3"),
        ("SECUREGATE_BASE_URL", "http://127.0.0.1:9/"),
    ]);
    let builder = builder_with_key_var::<SecureGate>("SECUREGATE_KEY_SUMMER", &lookup).unwrap();
    assert_eq!(builder.build().unwrap().base_url(), "http://127.0.0.1:9");
    let err = builder_with_key_var::<SecureGate>("SECUREGATE_KEY_WINTER", &lookup).unwrap_err();
    assert!(
        err.to_string().contains("SECUREGATE_KEY_WINTER is not set"),
        "{err}"
    );
}

#[cfg(not(any(
    feature = "rustls",
    feature = "rustls-no-provider",
    feature = "native-tls"
)))]
#[test]
fn without_tls_an_https_base_url_is_refused_at_build() {
    let err = Artsvp::builder()
        .api_key("k")
        .base_url("https://app.artsvp.com/api/v2")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("built without TLS"), "{err}");
    assert!(
        Artsvp::builder()
            .api_key("k")
            .base_url("http://127.0.0.1:9")
            .build()
            .is_ok()
    );
}

#[test]
fn builder_debug_hides_the_key() {
    let builder = Artsvp::builder().api_key("sk_live_hidden");
    let shown = format!("{builder:?}");
    assert!(!shown.contains("sk_live_hidden"), "{shown}");
    assert!(shown.contains("[redacted]"));
}
