//! A service process of the tool (`sync --watch`, `serve`) under test: its
//! stderr collected line by line, the address it says it serves on, its
//! endpoints read over HTTP on loopback, SIGTERM and SIGHUP.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// A running service, its stderr collected line by line.
pub struct Service {
    pub child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Service {
    /// Spawns `command` (killed when dropped).
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let mut reader = BufReader::new(child.stderr.take().unwrap()).lines();
        let collected = lines.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = reader.next_line().await {
                collected.lock().unwrap().push(line);
            }
        });
        Self { child, lines }
    }

    pub fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Where it serves its endpoints, once it says.
    pub async fn address(&self) -> String {
        let said = until(Duration::from_secs(10), || {
            self.log()
                .lines()
                .find_map(|l| l.split("on http://").nth(1).map(str::to_string))
        })
        .await;
        said.unwrap_or_else(|| panic!("no address said: {}", self.log()))
    }

    /// Sends `signal` (`HUP`, `TERM`, …).
    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().expect("still running");
        std::process::Command::new("kill")
            .args([format!("-{signal}"), pid.to_string()])
            .status()
            .unwrap();
    }

    /// Whether it still runs.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Sends SIGTERM; returns the exit code, how long it took, the log.
    pub async fn terminate(mut self) -> (Option<i32>, Duration, String) {
        let t = Instant::now();
        self.signal("TERM");
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("it exits")
            .unwrap();
        (status.code(), t.elapsed(), self.log())
    }
}

/// Polls `probe` until it returns something, or `limit` passes.
pub async fn until<T>(limit: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(found) = probe() {
            return Some(found);
        }
        if start.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `GET http://{address}{path}`: the status code and the body.
pub async fn get(address: &str, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let code = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (code, body)
}

/// Waits until `/healthz` answers `code`; returns its text.
pub async fn health_becomes(address: &str, code: u16, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        let (now, text) = get(address, "/healthz").await;
        if now == code {
            return text;
        }
        assert!(
            start.elapsed() < limit,
            "/healthz still {now} ({text}), not {code}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
