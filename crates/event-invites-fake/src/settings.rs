//! What both fake servers are configured and controlled with: seed,
//! latency, quota, API key, port, clock, faults and request log, and the
//! running server's handle. The builders and servers expose them through the
//! two macros below, so both APIs offer the same knobs, written once.

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use crate::clock::Clock;
use crate::faults::FaultRule;
use crate::log::RequestLog;
use crate::rate_limit::RateLimit;
use crate::server::{self, Api, Pipeline, Running};

/// The settings every fake server takes.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) seed: u64,
    pub(crate) latency: Duration,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) api_key: Option<String>,
    pub(crate) host: IpAddr,
    pub(crate) port: u16,
    pub(crate) manual_clock: bool,
    pub(crate) faults: Vec<FaultRule>,
    pub(crate) log_limit: Option<usize>,
    pub(crate) base_path: String,
    pub(crate) tls: Option<crate::FakeTls>,
}

impl Settings {
    pub(crate) fn new(rate_limit: Option<RateLimit>) -> Self {
        Self {
            seed: 42,
            latency: Duration::ZERO,
            rate_limit,
            api_key: None,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            manual_clock: false,
            faults: Vec::new(),
            log_limit: None,
            base_path: String::new(),
            tls: None,
        }
    }

    /// Serves `router` for API `A` with these settings; `reseed` puts the
    /// router's data back to what the seed gave.
    pub(crate) async fn serve<A: Api>(
        self,
        router: Router,
        default_key: String,
        reseed: impl Fn() + Send + Sync + 'static,
        data: Arc<dyn AddData>,
    ) -> io::Result<Server> {
        let clock = if self.manual_clock {
            Clock::manual()
        } else {
            Clock::real()
        };
        let pipeline = Arc::new(Pipeline::new::<A>(
            self.base_path,
            self.api_key.unwrap_or(default_key),
            self.rate_limit,
            &clock,
            self.latency,
            self.log_limit,
        ));
        for rule in self.faults {
            pipeline
                .add_fault(rule)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        }
        let tls = self.tls.map(|tls| tls.make()).transpose()?;
        let acceptor = tls.as_ref().map(|served| served.acceptor.clone());
        let running =
            server::serve::<A>(router, pipeline.clone(), (self.host, self.port), acceptor).await?;
        let mut base_url = server::base_url(running.addr) + &pipeline.base_path;
        if tls.is_some() {
            base_url = base_url.replacen("http://", "https://", 1);
        }
        Ok(Server {
            base_url,
            ca_pem: tls.map(|served| served.ca_pem),
            running,
            controls: Controls {
                pipeline,
                clock,
                reseed: Arc::new(reseed),
                data,
            },
        })
    }
}

/// What the control API adds to a server's data: `POST /{api}/{kind}`.
pub(crate) trait AddData: Send + Sync {
    /// The kinds of data, each with the shape of its JSON body.
    fn kinds(&self) -> &'static [(&'static str, &'static str)];

    /// Adds what `body` holds to `kind` (one of [`kinds`](Self::kinds));
    /// the answer's JSON, or what was wrong with the body (field names,
    /// never values: they may be a guest's).
    fn add(&self, kind: &str, body: &[u8]) -> Result<serde_json::Value, String>;
}

/// What can be changed on a running server, shared with the control API.
#[derive(Clone)]
pub(crate) struct Controls {
    pub(crate) pipeline: Arc<Pipeline>,
    pub(crate) clock: Clock,
    reseed: Arc<dyn Fn() + Send + Sync>,
    pub(crate) data: Arc<dyn AddData>,
}

/// A serde error's text without the values it quotes (they may be a
/// guest's name or email): `invalid type: string "…", expected i64`.
pub(crate) fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            if quoted {
                out.push_str("…\"");
            } else {
                out.push('"');
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

impl Controls {
    /// The seeded data again, no fault rules, an empty request log and a
    /// fresh rate-limit window.
    pub(crate) fn reset(&self) {
        (self.reseed)();
        self.pipeline.faults.clear();
        self.pipeline.log.clear();
        if let Some(limiter) = &self.pipeline.limiter {
            limiter.reset();
        }
    }
}

/// A running fake server's handle.
pub(crate) struct Server {
    pub(crate) base_url: String,
    /// The CA's certificate, when the server speaks HTTPS.
    pub(crate) ca_pem: Option<String>,
    pub(crate) running: Running,
    pub(crate) controls: Controls,
}

impl Server {
    pub(crate) fn api_key(&self) -> &str {
        &self.controls.pipeline.api_key
    }

    pub(crate) fn requests(&self) -> RequestLog {
        self.controls.pipeline.log.clone()
    }
}

/// The builder methods for [`Settings`], on a builder with a `settings`
/// field; `$fake` names the server type in the docs.
macro_rules! settings_methods {
    ($fake:ident) => {
        setters! {
            /// The seed of the data, ids and default API key (default 42).
            pub fn seed(seed: u64) => self.settings.seed = seed;

            /// Latency added to every request.
            pub fn latency(latency: std::time::Duration) => self.settings.latency = latency;

            /// A request quota: over it, 429 with `Retry-After`, and the
            /// request has no effect.
            pub fn rate_limit(quota: $crate::RateLimit) => self.settings.rate_limit = Some(quota);

            /// No quota at all (and no rate-limit headers).
            pub fn unlimited() => self.settings.rate_limit = None;

            /// The API key the server accepts (default: derived from the seed).
            pub fn api_key(key: impl Into<String>) => self.settings.api_key = Some(key.into());

            /// The port (default 0: any free port).
            pub fn port(port: u16) => self.settings.port = port;

            /// The address to listen on (default `127.0.0.1`; `0.0.0.0` makes
            /// the fake reachable from other machines).
            pub fn host(host: std::net::IpAddr) => self.settings.host = host;

            #[doc = concat!(
                "Rate-limit windows follow a manual clock moved by [`",
                stringify!($fake),
                "::advance_clock`] instead of real time."
            )]
            pub fn manual_clock() => self.settings.manual_clock = true;

            /// Keeps only the last `n` requests in the request log (default:
            /// all; 0 keeps none). For long runs, whose log would otherwise grow.
            pub fn request_log_limit(n: usize) => self.settings.log_limit = Some(n);

            /// Serves HTTPS with a certificate made at start (see
            /// [`FakeTls`](crate::FakeTls)): `base_url()` is then
            /// `https://127.0.0.1:<port>`, and `client()` trusts the fake's CA.
            pub fn tls(tls: $crate::FakeTls) => self.settings.tls = Some(tls);
        }

        /// A fault rule in force from the first request. A rule for a
        /// route or method the API does not serve makes `start` fail with
        /// [`std::io::ErrorKind::InvalidInput`], naming the routes it has.
        pub fn fault(mut self, rule: $crate::FaultRule) -> Self {
            self.settings.faults.push(rule);
            self
        }

        /// Serves every route under this path, as the vendor does (ARTSVP
        /// under `/api/v2`); the default is none, the routes at `/`.
        /// `base_url()` includes it. A trailing `/` is dropped, and a
        /// leading one added.
        pub fn base_path(mut self, path: &str) -> Self {
            let path = path.trim_end_matches('/');
            self.settings.base_path = if path.is_empty() || path.starts_with('/') {
                path.to_string()
            } else {
                format!("/{path}")
            };
            self
        }
    };
}

/// The control methods of a running fake server with a `server` field.
macro_rules! server_methods {
    () => {
        /// `http://127.0.0.1:<port>` (`https://` with
        /// [`tls`](Self::ca_certificate_pem)) and the base path, if one
        /// was set: the base URL to give a client.
        pub fn base_url(&self) -> &str {
            &self.server.base_url
        }

        /// The PEM certificate of the CA that signed the server's
        /// certificate, when it serves HTTPS (the builder's `tls`): give it
        /// to a client (`root_certificate_pem`, or a file named by
        /// `SSL_CERT_FILE` for the command-line tool).
        pub fn ca_certificate_pem(&self) -> Option<&str> {
            self.server.ca_pem.as_deref()
        }

        /// How many TCP connections the server has accepted so far (TLS
        /// handshakes that failed included).
        pub fn connections(&self) -> usize {
            self.server
                .running
                .connections
                .load(std::sync::atomic::Ordering::SeqCst)
        }

        /// The API key the server accepts.
        pub fn api_key(&self) -> &str {
            self.server.api_key()
        }

        /// Adds a fault rule and returns its id, for
        /// [`remove_fault`](Self::remove_fault).
        ///
        /// # Panics
        ///
        /// When the rule names a route or method the API does not serve: it
        /// could never strike, and a test that relies on it would pass
        /// while testing nothing. The message lists the routes there are.
        /// [`try_inject`](Self::try_inject) returns that as an error.
        #[track_caller]
        pub fn inject(&self, rule: $crate::FaultRule) -> $crate::FaultId {
            match self.try_inject(rule) {
                Ok(id) => id,
                Err(e) => panic!("{e}"),
            }
        }

        /// Adds a fault rule and returns its id, or refuses one whose route
        /// or method the API does not serve.
        pub fn try_inject(
            &self,
            rule: $crate::FaultRule,
        ) -> Result<$crate::FaultId, $crate::UnknownRoute> {
            self.server.controls.pipeline.add_fault(rule)
        }

        /// Removes one fault rule; false when there is none with that id
        /// (removed already, or gone after its last strike).
        pub fn remove_fault(&self, id: $crate::FaultId) -> bool {
            self.server.controls.pipeline.faults.remove(id)
        }

        /// The fault rules in force, oldest first, with their ids.
        pub fn faults(&self) -> Vec<($crate::FaultId, $crate::FaultRule)> {
            self.server.controls.pipeline.faults.list()
        }

        /// Removes every fault rule.
        pub fn clear_faults(&self) {
            self.server.controls.pipeline.faults.clear();
        }

        /// Puts the server back as the seed made it: the seeded data, no
        /// fault rules (the builder's too are gone), an empty request log and
        /// a fresh rate-limit window. The API key, the settings and a manual
        /// clock's time stay.
        pub fn reset(&self) {
            self.server.controls.reset();
        }

        /// The request log.
        pub fn requests(&self) -> $crate::RequestLog {
            self.server.requests()
        }

        /// Moves the manual clock forward (see the builder's
        /// `manual_clock`); false on the real clock.
        pub fn advance_clock(&self, by: std::time::Duration) -> bool {
            self.server.controls.clock.advance(by)
        }

        /// What the control API changes.
        pub(crate) fn controls(&self) -> $crate::settings::Controls {
            self.server.controls.clone()
        }

        /// Stops the server and waits until it has stopped.
        pub async fn shutdown(mut self) {
            self.server.running.shutdown().await;
        }
    };
}

pub(crate) use {server_methods, settings_methods};
