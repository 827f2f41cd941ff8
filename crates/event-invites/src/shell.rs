//! The shell both clients share: the generated client, the base URL and the
//! transport behind one `Arc`, and the methods every client has (`new`,
//! `builder`, `from_env`, `raw`, `base_url`, `rate_limit`, `quota`, a
//! one-line `Debug`), written once by [`client_shell!`].

use std::fmt;

use crate::pipeline::transport::Transport;

/// What a client holds, shared by its clones.
pub(crate) struct Shell<R> {
    pub(crate) raw: R,
    pub(crate) base_url: String,
    pub(crate) transport: Transport,
}

impl<R> Shell<R> {
    /// `ARTSVP(https://…, key: [redacted], quota: 1000/900s)`.
    pub(crate) fn fmt_line(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({}, key: [redacted], quota: ",
            self.transport.api.name(),
            self.base_url
        )?;
        match self.transport.pacer.quota() {
            Some(q) => write!(f, "{}/{}s)", q.limit, q.window.as_secs_f64()),
            None => f.write_str("server headers only)"),
        }
    }
}

/// Defines a client type around a [`Shell`] and its `Api` facts (each
/// written once, here, for the trait constants and the docs alike).
macro_rules! client_shell {
    (
        $(#[$meta:meta])*
        $client:ident {
            raw: $raw:ty,
            service: $service:expr,
            facts: $facts:path,
            quota: $quota:expr,
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $client {
            shell: std::sync::Arc<$crate::shell::Shell<$raw>>,
        }

        impl std::fmt::Debug for $client {
            /// One line: API, base URL, key redacted, quota.
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.shell.fmt_line(f)
            }
        }

        impl $crate::config::Api for $client {
            const SERVICE: $crate::Service = $service;
            const DEFAULT_BASE_URL: &'static str = { use $facts as facts; facts::BASE_URL };
            const KEY_HEADER: &'static str = { use $facts as facts; facts::KEY_HEADER };
            const ENV_KEY: &'static str = { use $facts as facts; facts::ENV_API_KEY };
            const ENV_BASE_URL: &'static str = { use $facts as facts; facts::ENV_BASE_URL };
            const DEFAULT_QUOTA: Option<$crate::Quota> = $quota;
        }

        impl $crate::config::sealed::Assemble for $client {
            fn assemble(
                base_url: String,
                http: reqwest::Client,
                transport: $crate::pipeline::transport::Transport,
            ) -> Self {
                Self {
                    shell: std::sync::Arc::new($crate::shell::Shell {
                        raw: <$raw>::new_with_client(&base_url, http),
                        base_url,
                        transport,
                    }),
                }
            }
        }

        impl $client {
            /// A client for the production API
            /// ([`DEFAULT_BASE_URL`](crate::Api::DEFAULT_BASE_URL)) with this
            /// key.
            pub fn new(api_key: impl Into<String>) -> Result<Self, $crate::Error> {
                Self::builder().api_key(api_key).build()
            }

            /// A builder for base URL, key, timeouts, retries, quota and
            /// observer.
            pub fn builder() -> $crate::ClientBuilder<Self> {
                $crate::ClientBuilder::default()
            }

            /// A client from the environment: the key from
            /// [`ENV_KEY`](crate::Api::ENV_KEY) and, if set, the base URL
            /// from [`ENV_BASE_URL`](crate::Api::ENV_BASE_URL)
            /// (`ARTSVP_API_KEY` and `ARTSVP_BASE_URL`, `SECUREGATE_API_KEY`
            /// and `SECUREGATE_BASE_URL`).
            pub fn from_env() -> Result<Self, $crate::Error> {
                $crate::config::from_env()
            }

            /// The generated client, for anything the facade does not wrap.
            /// It shares the facade's `reqwest::Client`, which sends the API
            /// key (as a sensitive default header), the user agent and the
            /// timeouts; it bypasses the facade's retries, pacing, retry
            /// budget and observer. With a caller's own client
            /// ([`ClientBuilder::http_client`](crate::ClientBuilder::http_client))
            /// it sends only what that client sends: give it the key as a
            /// default header to call it.
            pub fn raw(&self) -> &$raw {
                &self.shell.raw
            }

            /// The base URL in use.
            pub fn base_url(&self) -> &str {
                &self.shell.base_url
            }

            /// The rate-limit state the server last reported, if it sends
            /// one. Per call: [`Response::rate_limit`](crate::Response::rate_limit).
            pub fn rate_limit(&self) -> Option<$crate::RateLimitState> {
                self.shell.transport.pacer.last()
            }

            /// The client-side quota it paces by, if any.
            pub fn quota(&self) -> Option<$crate::Quota> {
                self.shell.transport.pacer.quota()
            }

            /// The quota as its store holds it now, for every client that
            /// shares it ([`QuotaStore`](crate::QuotaStore)): the quota paced
            /// by (the server's, when it said a smaller one), requests left,
            /// when it is whole again. Asks the store (one exchange, counting
            /// no request); while it fails, this process's own count answers
            /// (`shared: false`).
            pub async fn quota_usage(&self) -> $crate::QuotaUsage {
                self.shell.transport.pacer.usage().await
            }

            /// The tokens left in the retry budget the client and its
            /// clones share (`None` when it is disabled): see
            /// [`RetryBudget`](crate::RetryBudget).
            pub fn retry_tokens(&self) -> Option<u32> {
                self.shell.transport.budget.left()
            }
        }
    };
}

pub(crate) use client_shell;
