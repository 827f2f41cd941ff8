//! The fake servers' notion of time for rate-limit windows: the real clock,
//! or a manual one that a test advances, so that a window reset needs no
//! sleep.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Time since the server started, real or manual.
#[derive(Debug, Clone)]
pub(crate) enum Clock {
    Real(Instant),
    Manual(Arc<Mutex<Duration>>),
}

impl Clock {
    pub(crate) fn real() -> Self {
        Self::Real(Instant::now())
    }

    pub(crate) fn manual() -> Self {
        Self::Manual(Arc::new(Mutex::new(Duration::ZERO)))
    }

    pub(crate) fn now(&self) -> Duration {
        match self {
            Self::Real(start) => start.elapsed(),
            Self::Manual(now) => *now.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Moves a manual clock forward; returns false for the real clock.
    pub(crate) fn advance(&self, by: Duration) -> bool {
        match self {
            Self::Real(_) => false,
            Self::Manual(now) => {
                *now.lock().unwrap_or_else(|e| e.into_inner()) += by;
                true
            }
        }
    }
}
