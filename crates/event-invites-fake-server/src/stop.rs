//! Ctrl-C and SIGTERM.

/// Ctrl-C and SIGTERM, listened for from creation on (so that a signal
/// sent as soon as the JSON line is read is caught, not fatal).
#[cfg(unix)]
pub struct StopSignal(tokio::signal::unix::Signal, tokio::signal::unix::Signal);

#[cfg(unix)]
impl StopSignal {
    pub fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self(
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        ))
    }

    pub async fn wait(mut self) {
        tokio::select! {
            _ = self.0.recv() => {}
            _ = self.1.recv() => {}
        }
    }
}

/// Ctrl-C where there is no SIGTERM.
#[cfg(not(unix))]
pub struct StopSignal;

#[cfg(not(unix))]
impl StopSignal {
    pub fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    pub async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
