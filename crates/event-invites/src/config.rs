//! Building a client: base URL, API key, timeouts, user agent, retry policy,
//! rate-limit quota and an optional caller-supplied `reqwest::Client`; the
//! same builder shape for both APIs, and `from_env()`.

use std::fmt;
use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Service};
use crate::observe::{Observer, Observers};
use crate::pipeline::resolve::SystemResolver;
use crate::pipeline::retry::{Budget, RetryBudget, RetryPolicy};
use crate::pipeline::transport::Transport;
use crate::quota::{Pacer, Quota};
use crate::quota::{QuotaStore, bucket_name};
use crate::secret::ApiKey;

/// The user agent sent by default: `event-invites/<version>`. Public so
/// that an application can name itself and keep ours beside it:
///
/// ```
/// use event_invites::{Artsvp, USER_AGENT};
///
/// let client = Artsvp::builder()
///     .api_key("key")
///     .user_agent(format!("guest-desk/2.1 {USER_AGENT}"))
///     .build()?;
/// # let _ = client;
/// # Ok::<(), event_invites::Error>(())
/// ```
pub const USER_AGENT: &str = concat!("event-invites/", env!("CARGO_PKG_VERSION"));

/// Builds a client from its parts; not nameable outside the crate, so
/// [`Api`] is implemented by the crate's two clients only.
pub(crate) mod sealed {
    use crate::pipeline::transport::Transport;

    pub trait Assemble: Sized {
        fn assemble(base_url: String, http: reqwest::Client, transport: Transport) -> Self;
    }
}

/// What differs between the two APIs' clients (sealed: implemented by
/// [`crate::SecureGate`] and [`crate::Artsvp`] only).
///
/// ```
/// use event_invites::{Api, Artsvp, ClientBuilder, SecureGate};
///
/// /// A client of either API from one function.
/// fn client<A: Api>(key: &str) -> Result<A, event_invites::Error> {
///     ClientBuilder::<A>::default().api_key(key).build()
/// }
/// let artsvp: Artsvp = client("key")?;
/// let securegate: SecureGate = client("key")?;
/// assert_eq!(<Artsvp as Api>::NAME, "ARTSVP");
/// # let _ = (artsvp, securegate);
/// # Ok::<(), event_invites::Error>(())
/// ```
pub trait Api: sealed::Assemble {
    /// Which API it is.
    const SERVICE: Service;
    /// The API's name, as errors, traces and observers show it.
    const NAME: &'static str = Self::SERVICE.name();
    /// The production base URL.
    const DEFAULT_BASE_URL: &'static str;
    /// The header that carries the API key (lowercase).
    const KEY_HEADER: &'static str;
    /// The environment variable holding the API key.
    const ENV_KEY: &'static str;
    /// The environment variable holding an optional base URL.
    const ENV_BASE_URL: &'static str;
    /// The quota paced by default (`None`: none, 429s are still honoured).
    const DEFAULT_QUOTA: Option<Quota>;
}

/// Builds a [`crate::SecureGate`] or [`crate::Artsvp`] client.
///
/// ```
/// use std::time::Duration;
/// use event_invites::{Artsvp, Quota, RetryPolicy};
///
/// let client = Artsvp::builder()
///     .api_key("my_api_key")
///     .request_timeout(Duration::from_secs(10))
///     .retry(RetryPolicy::new().max_attempts(6))
///     .quota(Some(Quota::per_second(5)))
///     .build()?;
/// # Ok::<(), event_invites::Error>(())
/// ```
pub struct ClientBuilder<A> {
    base_url: Option<String>,
    api_key: Option<SecretString>,
    connect_timeout: Duration,
    request_timeout: Duration,
    timeout: Option<Duration>,
    user_agent: String,
    retry: RetryPolicy,
    retry_budget: RetryBudget,
    quota: Option<Option<Quota>>,
    quota_store: QuotaStore,
    http: Option<reqwest::Client>,
    observer: Option<Arc<dyn Observer>>,
    insecure_http: bool,
    roots: Vec<Vec<u8>>,
    resolve: Vec<(String, SocketAddr)>,
    api: PhantomData<fn() -> A>,
}

impl<A: Api> Default for ClientBuilder<A> {
    fn default() -> Self {
        Self {
            base_url: None,
            api_key: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            timeout: None,
            user_agent: USER_AGENT.to_string(),
            retry: RetryPolicy::default(),
            retry_budget: RetryBudget::default(),
            quota: None,
            quota_store: QuotaStore::memory(),
            http: None,
            observer: None,
            insecure_http: false,
            roots: Vec::new(),
            resolve: Vec::new(),
            api: PhantomData,
        }
    }
}

impl<A> fmt::Debug for ClientBuilder<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("retry_budget", &self.retry_budget)
            .field("quota", &self.quota)
            .field("quota_store", &self.quota_store)
            .field("http", &self.http.as_ref().map(|_| "caller-supplied"))
            .field("observer", &self.observer.is_some())
            .field("insecure_http", &self.insecure_http)
            .field("root_certificates", &self.roots.len())
            .field("resolve", &self.resolve)
            .finish()
    }
}

impl<A: Api> ClientBuilder<A> {
    setters! {
        /// The base URL (default: the vendor's production URL).
        pub fn base_url(url: impl Into<String>) => self.base_url = Some(url.into());

        /// The API key.
        pub fn api_key(key: impl Into<String>) =>
            self.api_key = Some(SecretString::from(key.into()));

        /// How long to wait for a connection (default 10 s). Ignored with
        /// [`ClientBuilder::http_client`].
        pub fn connect_timeout(timeout: Duration) => self.connect_timeout = timeout;

        /// How long one request (one attempt) may take (default 30 s). Ignored
        /// with [`ClientBuilder::http_client`]; a call can set its own with
        /// [`crate::Call::attempt_timeout`].
        pub fn request_timeout(timeout: Duration) => self.request_timeout = timeout;

        /// How long a whole call may take, from when it is sent to its outcome:
        /// every attempt, backoff, rate-limit wait and `Retry-After` wait
        /// included (default: none; the [`RetryPolicy`]'s time budget still
        /// bounds the retries). A wait that would pass it is not begun: the
        /// call fails at once with [`crate::ErrorKind::Deadline`], which says
        /// why. A call can set its own with [`crate::Call::timeout`].
        pub fn timeout(timeout: Duration) => self.timeout = Some(timeout);

        /// The retry budget the client and its clones share (default
        /// [`RetryBudget::new`]; [`RetryBudget::disabled`] turns it off).
        pub fn retry_budget(budget: RetryBudget) => self.retry_budget = budget;

        /// The `User-Agent` (default `event-invites/<version>`). Ignored with
        /// [`ClientBuilder::http_client`].
        pub fn user_agent(agent: impl Into<String>) => self.user_agent = agent.into();

        /// The retry policy (default [`RetryPolicy::default`]).
        pub fn retry(policy: RetryPolicy) => self.retry = policy;

        /// The client-side quota, shared by every clone of the client; `None`
        /// paces only by the server's rate-limit headers. Default: ARTSVP's
        /// published 1,000 per 15 minutes; none for SecureGate.
        pub fn quota(quota: Option<Quota>) => self.quota = Some(quota);

        /// Where the quota's state is kept, and so who shares it (default
        /// [`QuotaStore::memory`]: this client and its clones). With
        /// [`QuotaStore::host`], every process of this user on this machine
        /// that uses the same key paces as one.
        pub fn quota_store(store: QuotaStore) => self.quota_store = store;

        /// A `reqwest::Client` of the caller's (its own timeouts, proxy, TLS
        /// settings). The API key is still added to each request the facade
        /// sends; the generated client that `raw()` returns then sends
        /// whatever that `reqwest::Client` sends, so give it the key as a
        /// default header if you call it. Give it
        /// [`SystemResolver`](crate::SystemResolver) (or a resolver that fails
        /// with [`HostLookupError`](crate::HostLookupError)) for failed lookups
        /// to be told apart; with reqwest's own resolver they are
        /// [`TransportCause::Other`](crate::TransportCause::Other).
        pub fn http_client(client: reqwest::Client) => self.http = Some(client);

        /// Lets the key go over plain `http://` to a host other than loopback
        /// (default `false`: building such a client fails, sending nothing).
        /// Loopback (`localhost`, `127.0.0.0/8`, `::1`) is always allowed, for
        /// fakes and local proxies. [`from_env`](crate::Artsvp::from_env) and
        /// the command-line tool turn it on when
        /// [`ENV_ALLOW_INSECURE_HTTP`] is `1`.
        ///
        /// ```
        /// use event_invites::Artsvp;
        ///
        /// let refused = Artsvp::builder().api_key("k").base_url("http://rsvp.example").build();
        /// assert!(refused.unwrap_err().to_string().contains("https://"));
        /// let client = Artsvp::builder()
        ///     .api_key("k")
        ///     .base_url("http://rsvp.example")
        ///     .allow_insecure_http(true)
        ///     .build()?;
        /// # let _ = client;
        /// # Ok::<(), event_invites::Error>(())
        /// ```
        pub fn allow_insecure_http(allow: bool) => self.insecure_http = allow;
    }

    /// Trusts the certificate authorities in `pem` (one or more PEM
    /// `CERTIFICATE` blocks) besides the system's: for a server with a
    /// private CA, such as a fake serving HTTPS or a proxy of your
    /// company's. Checked when the client is built (an unreadable
    /// certificate is a configuration error). Ignored with
    /// [`ClientBuilder::http_client`].
    pub fn root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.roots.push(pem.into());
        self
    }

    /// Sends requests for `domain` to `addr` instead of looking the name
    /// up (the port of `addr` is used): to pin a host, or to test a
    /// remote name against a server on loopback. TLS still checks the
    /// certificate against `domain`. Ignored with
    /// [`ClientBuilder::http_client`].
    pub fn resolve(mut self, domain: impl Into<String>, addr: SocketAddr) -> Self {
        self.resolve.push((domain.into(), addr));
        self
    }

    /// An [`Observer`] that sees every attempt and pacing wait of the
    /// client and its clones (for metrics; `tracing` spans are emitted
    /// either way).
    pub fn observer(mut self, observer: impl Observer) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// Builds the client. Fails, sending nothing, when the key is missing,
    /// empty or not a valid header value, the base URL is not an `http(s)`
    /// URL, or it is plain `http://` to a host other than loopback without
    /// [`ClientBuilder::allow_insecure_http`].
    ///
    /// The client never follows a redirect: neither API documents one,
    /// and following it would hand the key (SecureGate's is a custom
    /// header, which HTTP clients do not strip) and a request's body to
    /// wherever it points. A 3xx answer is an error,
    /// [`crate::ErrorKind::Redirect`], naming only the origin it pointed
    /// to. No `Referer` is sent.
    pub fn build(self) -> Result<A, Error> {
        self.build_inner()
            .map_err(|e| e.at(A::SERVICE, None::<&str>))
    }

    fn build_inner(mut self) -> Result<A, Error> {
        let Some(secret) = self.api_key.take() else {
            return Err(Error::config(format!(
                "no API key: call .api_key(…) or set {}",
                A::ENV_KEY
            )));
        };
        let key = ApiKey::new(secret.expose_secret(), A::KEY_HEADER, A::ENV_KEY)?;
        let base_url = self
            .base_url
            .take()
            .unwrap_or_else(|| A::DEFAULT_BASE_URL.to_string());
        let parsed = self.checked(&base_url)?;
        let attempt_timeout = self.http.is_none().then_some(self.request_timeout);
        let http = match self.http.take() {
            Some(http) => http,
            None => self.default_http(&key)?,
        };
        let host = parsed.host_str().map(|host| match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        });
        let observers = Observers::new(self.observer);
        Ok(A::assemble(
            base_url.trim_end_matches('/').to_string(),
            http,
            Transport {
                api: A::SERVICE,
                host,
                key,
                pacer: Pacer::shared(
                    self.quota.unwrap_or(A::DEFAULT_QUOTA),
                    self.quota_store,
                    bucket_name(
                        A::NAME,
                        parsed.origin().ascii_serialization().as_str(),
                        secret.expose_secret(),
                    ),
                )
                .observed(observers.clone(), A::NAME),
                retry: self.retry,
                budget: Budget::new(self.retry_budget),
                timeout: self.timeout,
                attempt_timeout,
                observers,
            },
        ))
    }

    /// `base_url` parsed and checked: a URL with a host, and plain http
    /// only to loopback unless the caller opted in.
    fn checked(&self, base_url: &str) -> Result<reqwest::Url, Error> {
        let parsed = checked_base_url(base_url)?;
        if parsed.scheme() == "http" && !self.insecure_http && !is_loopback(&parsed) {
            return Err(Error::config(format!(
                "the base URL {base_url:?} is plain http to a host other than loopback, which \
                 would send the API key and guests' data unencrypted: use https://, or, on a \
                 network you trust, opt in with .allow_insecure_http(true) or \
                 {ENV_ALLOW_INSECURE_HTTP}=1"
            )));
        }
        Ok(parsed)
    }

    /// The HTTP client the builder makes when the caller gave none: its
    /// timeouts and user agent, the key as a sensitive default header too
    /// (so that the generated client `raw()` returns is authenticated), no
    /// redirects, no `Referer`, the typed system resolver, the overrides
    /// and extra roots.
    fn default_http(&self, key: &ApiKey) -> Result<reqwest::Client, Error> {
        let mut http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .user_agent(self.user_agent.as_str())
            .default_headers(key.headers())
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .dns_resolver(Arc::new(SystemResolver::new()));
        for (domain, addr) in &self.resolve {
            http = http.resolve(domain, *addr);
        }
        http = with_roots(http, &self.roots)?;
        http.build()
            .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))
    }
}

/// The base URL, parsed: an http or https URL with a host, and https only
/// when a TLS feature is built in.
fn checked_base_url(base_url: &str) -> Result<reqwest::Url, Error> {
    let parsed = reqwest::Url::parse(base_url)
        .map_err(|e| Error::config(format!("the base URL {base_url:?} is not a URL: {e}")))?;
    if parsed.scheme() == "https"
        && !cfg!(any(
            feature = "rustls",
            feature = "rustls-no-provider",
            feature = "native-tls"
        ))
    {
        return Err(Error::config(format!(
            "the base URL {base_url:?} is https, but event-invites was built without TLS: \
             enable its `rustls` (default), `rustls-no-provider` or `native-tls` feature"
        )));
    }
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(Error::config(format!(
            "the base URL {base_url:?} must be an http or https URL with a host"
        )));
    }
    Ok(parsed)
}

/// The environment variable that, set to `1`, lets
/// [`from_env`](crate::Artsvp::from_env) (and the command-line tool) send
/// the key over plain `http://` to a host other than loopback: see
/// [`ClientBuilder::allow_insecure_http`].
pub const ENV_ALLOW_INSECURE_HTTP: &str = "EVENT_INVITES_ALLOW_INSECURE_HTTP";

/// The conventional variable (OpenSSL's) naming a PEM file of extra
/// certificate authorities to trust, which `from_env` reads.
const ENV_CERT_FILE: &str = "SSL_CERT_FILE";

/// Whether the URL's host is this machine: `localhost`, `127.0.0.0/8` or
/// `::1` (a key sent there in clear does not cross a network).
fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The builder with each PEM bundle's certificates trusted besides the
/// system's.
#[cfg(any(
    feature = "rustls",
    feature = "rustls-no-provider",
    feature = "native-tls"
))]
fn with_roots(
    mut http: reqwest::ClientBuilder,
    roots: &[Vec<u8>],
) -> Result<reqwest::ClientBuilder, Error> {
    for pem in roots {
        let certificates = reqwest::Certificate::from_pem_bundle(pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                Error::config(
                    "a root certificate is not a PEM certificate (expected one or more \
                     -----BEGIN CERTIFICATE----- blocks)",
                )
            })?;
        http = http.tls_certs_merge(certificates);
    }
    Ok(http)
}

/// Without TLS, a root certificate has nothing to do: say so.
#[cfg(not(any(
    feature = "rustls",
    feature = "rustls-no-provider",
    feature = "native-tls"
)))]
fn with_roots(
    http: reqwest::ClientBuilder,
    roots: &[Vec<u8>],
) -> Result<reqwest::ClientBuilder, Error> {
    if roots.is_empty() {
        Ok(http)
    } else {
        Err(Error::config(
            "a root certificate was given, but event-invites was built without TLS",
        ))
    }
}

/// Reads `A::ENV_KEY` (required), `A::ENV_BASE_URL`,
/// [`ENV_ALLOW_INSECURE_HTTP`] and `SSL_CERT_FILE` (optional).
pub(crate) fn from_env<A: Api>() -> Result<A, Error> {
    ClientBuilder::from_env()?.build()
}

/// [`from_env`] with the variables read through `lookup`.
#[cfg(test)]
fn from_lookup<A: Api>(lookup: impl Fn(&str) -> Option<String>) -> Result<A, Error> {
    builder_from_lookup(lookup)?.build()
}

impl<A: Api> ClientBuilder<A> {
    /// A builder set from the environment as `from_env` reads it (the key,
    /// the base URL, [`ENV_ALLOW_INSECURE_HTTP`], `SSL_CERT_FILE`), for
    /// settings of your own before [`build`](Self::build).
    ///
    /// ```no_run
    /// use event_invites::{Artsvp, ClientBuilder, QuotaStore};
    ///
    /// let client: Artsvp = ClientBuilder::from_env()?.quota_store(QuotaStore::host()?).build()?;
    /// # let _ = client;
    /// # Ok::<(), event_invites::Error>(())
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        builder_from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the key read from the variable
    /// `key_var` instead of the API's own (`SECUREGATE_API_KEY`,
    /// `ARTSVP_API_KEY`): for a process that holds several keys of one
    /// API, such as a service syncing events of several accounts. The
    /// base URL and the TLS settings come from the usual variables.
    ///
    /// ```no_run
    /// use event_invites::{ClientBuilder, SecureGate};
    ///
    /// let summer: SecureGate = ClientBuilder::from_env_with_key_var("SECUREGATE_KEY_SUMMER")?.build()?;
    /// # let _ = summer;
    /// # Ok::<(), event_invites::Error>(())
    /// ```
    pub fn from_env_with_key_var(key_var: &str) -> Result<Self, Error> {
        builder_with_key_var(key_var, |name| std::env::var(name).ok())
    }
}

/// [`ClientBuilder::from_env`] with the variables read through `lookup`.
fn builder_from_lookup<A: Api>(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<ClientBuilder<A>, Error> {
    builder_with_key_var(A::ENV_KEY, lookup)
}

/// [`ClientBuilder::from_env_with_key_var`] with the variables read through
/// `lookup`.
fn builder_with_key_var<A: Api>(
    key_var: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<ClientBuilder<A>, Error> {
    let key = lookup(key_var).ok_or_else(|| {
        Error::config(format!(
            "{key_var} is not set (or not valid UTF-8); set it to your API key"
        ))
        .at(A::SERVICE, None)
    })?;
    let mut builder = ClientBuilder::<A>::default()
        .api_key(key)
        .allow_insecure_http(lookup(ENV_ALLOW_INSECURE_HTTP).is_some_and(|v| v.trim() == "1"));
    if let Some(path) = lookup(ENV_CERT_FILE).filter(|p| !p.trim().is_empty()) {
        let pem = std::fs::read(&path).map_err(|e| {
            Error::config(format!(
                "{ENV_CERT_FILE} names {path:?}, which cannot be read: {e}"
            ))
            .at(A::SERVICE, None)
        })?;
        builder = builder.root_certificate_pem(pem);
    }
    if let Some(url) = lookup(A::ENV_BASE_URL)
        && !url.trim().is_empty()
    {
        builder = builder.base_url(url);
    }
    Ok(builder)
}

#[cfg(test)]
mod tests;
