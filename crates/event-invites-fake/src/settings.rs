//! What both fake servers are configured and controlled with: seed,
//! latency, quota, API key, port, clock, faults and request log, and the
//! running server's handle. The builders and servers expose them through the
//! two macros below, so both APIs offer the same knobs, written once.

use std::io;
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
    pub(crate) port: u16,
    pub(crate) manual_clock: bool,
    pub(crate) faults: Vec<FaultRule>,
    pub(crate) log_limit: Option<usize>,
}

impl Settings {
    pub(crate) fn new(rate_limit: Option<RateLimit>) -> Self {
        Self {
            seed: 42,
            latency: Duration::ZERO,
            rate_limit,
            api_key: None,
            port: 0,
            manual_clock: false,
            faults: Vec::new(),
            log_limit: None,
        }
    }

    /// Serves `router` for API `A` with these settings.
    pub(crate) async fn serve<A: Api>(
        self,
        router: Router,
        default_key: String,
    ) -> io::Result<Server> {
        let clock = if self.manual_clock {
            Clock::manual()
        } else {
            Clock::real()
        };
        let pipeline = Arc::new(Pipeline::new(
            self.api_key.unwrap_or(default_key),
            self.rate_limit,
            &clock,
            self.latency,
            self.log_limit,
        ));
        for rule in self.faults {
            pipeline.faults.push(rule);
        }
        let running = server::serve::<A>(router, pipeline.clone(), self.port).await?;
        Ok(Server {
            base_url: format!("http://{}", running.addr),
            running,
            pipeline,
            clock,
        })
    }
}

/// A running fake server's handle.
pub(crate) struct Server {
    pub(crate) base_url: String,
    pub(crate) running: Running,
    pub(crate) pipeline: Arc<Pipeline>,
    pub(crate) clock: Clock,
}

impl Server {
    pub(crate) fn api_key(&self) -> &str {
        &self.pipeline.api_key
    }

    pub(crate) fn requests(&self) -> RequestLog {
        self.pipeline.log.clone()
    }
}

/// The builder methods for [`Settings`], on a builder with a `settings`
/// field; `$fake` names the server type in the docs.
macro_rules! settings_methods {
    ($fake:ident) => {
        /// The seed of the data, ids and default API key (default 42).
        pub fn seed(mut self, seed: u64) -> Self {
            self.settings.seed = seed;
            self
        }

        /// Latency added to every request.
        pub fn latency(mut self, latency: std::time::Duration) -> Self {
            self.settings.latency = latency;
            self
        }

        /// A request quota: over it, 429 with `Retry-After`, and the
        /// request has no effect.
        pub fn rate_limit(mut self, quota: $crate::RateLimit) -> Self {
            self.settings.rate_limit = Some(quota);
            self
        }

        /// No quota at all (and no rate-limit headers).
        pub fn unlimited(mut self) -> Self {
            self.settings.rate_limit = None;
            self
        }

        /// The API key the server accepts (default: derived from the seed).
        pub fn api_key(mut self, key: impl Into<String>) -> Self {
            self.settings.api_key = Some(key.into());
            self
        }

        /// The port on 127.0.0.1 (default 0: any free port).
        pub fn port(mut self, port: u16) -> Self {
            self.settings.port = port;
            self
        }

        #[doc = concat!("Rate-limit windows follow a manual clock moved by [`", stringify!($fake), "::advance_clock`] instead of real time.")]
        pub fn manual_clock(mut self) -> Self {
            self.settings.manual_clock = true;
            self
        }

        /// Keeps only the last `n` requests in the request log (default:
        /// all; 0 keeps none). For long runs, whose log would otherwise grow.
        pub fn request_log_limit(mut self, n: usize) -> Self {
            self.settings.log_limit = Some(n);
            self
        }

        /// A fault rule in force from the first request.
        pub fn fault(mut self, rule: $crate::FaultRule) -> Self {
            self.settings.faults.push(rule);
            self
        }
    };
}

/// The control methods of a running fake server with a `server` field.
macro_rules! server_methods {
    () => {
        /// `http://127.0.0.1:<port>`: the base URL to give a client.
        pub fn base_url(&self) -> &str {
            &self.server.base_url
        }

        /// The API key the server accepts.
        pub fn api_key(&self) -> &str {
            self.server.api_key()
        }

        /// Adds a fault rule.
        pub fn inject(&self, rule: $crate::FaultRule) {
            self.server.pipeline.faults.push(rule);
        }

        /// Removes every fault rule.
        pub fn clear_faults(&self) {
            self.server.pipeline.faults.clear();
        }

        /// The request log.
        pub fn requests(&self) -> $crate::RequestLog {
            self.server.requests()
        }

        /// Moves the manual clock forward (see the builder's
        /// `manual_clock`); false on the real clock.
        pub fn advance_clock(&self, by: std::time::Duration) -> bool {
            self.server.clock.advance(by)
        }

        /// Stops the server and waits until it has stopped.
        pub async fn shutdown(mut self) {
            self.server.running.shutdown().await;
        }
    };
}

pub(crate) use {server_methods, settings_methods};
