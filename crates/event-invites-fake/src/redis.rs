//! A real `redis-server` for tests: started on a unix socket in a temporary
//! directory of its own (no TCP port), without persistence, and killed when
//! dropped. Tests of the Redis quota store use it; it needs `redis-server`
//! (and `redis-cli`) installed, and fails, saying how to install them,
//! where they are not: such tests never skip.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How to get `redis-server` where it is missing.
pub const INSTALL_HINT: &str = "redis-server is not installed: `apt-get install redis-server` \
     (Debian, Ubuntu) or `brew install redis` (macOS); the shared-quota tests need a real one";

/// A `redis-server` of a test's own, on a unix socket.
///
/// ```no_run
/// let mut redis = event_invites_fake::RedisServer::start().expect("redis-server");
/// println!("{}", redis.url()); // redis+unix:///tmp/…/redis.sock
/// redis.stop();                // as if it crashed
/// redis.restart().unwrap();    // empty again, same socket
/// ```
#[derive(Debug)]
pub struct RedisServer {
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one and waits until it answers `PING`. Fails with
    /// [`INSTALL_HINT`] when `redis-server` is not installed.
    pub fn start() -> io::Result<Self> {
        static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ei-redis-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let mut server = Self { dir, child: None };
        server.restart()?;
        Ok(server)
    }

    /// The socket's path.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("redis.sock")
    }

    /// `redis+unix:///…/redis.sock`, for `QuotaStore::redis` and the CLI.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    /// Kills it at once (SIGKILL, as a crash would), keeping its directory.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(self.socket());
    }

    /// Starts it again (empty: it keeps nothing on disk) on the same socket.
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop();
        let child = Command::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(self.socket())
            .args([
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => io::Error::new(io::ErrorKind::NotFound, INSTALL_HINT),
                _ => e,
            })?;
        self.child = Some(child);
        let started = Instant::now();
        loop {
            if ping(&self.socket()).is_ok() {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(10) {
                self.stop();
                return Err(io::Error::other("redis-server did not answer within 10 s"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Runs `redis-cli` on it with `args` and returns what it printed.
    pub fn cli(&self, args: &[&str]) -> io::Result<String> {
        let out = Command::new("redis-cli")
            .arg("-s")
            .arg(self.socket())
            .args(args)
            .output()
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => io::Error::new(io::ErrorKind::NotFound, INSTALL_HINT),
                _ => e,
            })?;
        if !out.status.success() {
            return Err(io::Error::other(
                String::from_utf8_lossy(&out.stderr).into_owned(),
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Every key it holds (`SCAN`, all of it).
    pub fn keys(&self) -> io::Result<Vec<String>> {
        Ok(self
            .cli(&["--scan"])?
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends `PING` on `socket` and expects `+PONG`.
fn ping(socket: &Path) -> io::Result<()> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    stream.write_all(b"*1\r\n$4\r\nPING\r\n")?;
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply)?;
    if &reply == b"+PONG\r\n" {
        Ok(())
    } else {
        Err(io::Error::other("not PONG"))
    }
}
