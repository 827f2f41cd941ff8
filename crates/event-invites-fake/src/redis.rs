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
    /// With TLS: the loopback port it serves TLS on (files in `dir`).
    tls_port: Option<u16>,
}

impl RedisServer {
    /// Starts one and waits until it answers `PING`. Fails with
    /// [`INSTALL_HINT`] when `redis-server` is not installed.
    pub fn start() -> io::Result<Self> {
        static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ei-redis-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let mut server = Self {
            dir,
            child: None,
            tls_port: None,
        };
        server.restart()?;
        Ok(server)
    }

    /// Starts one that also serves TLS on a free loopback port, with a
    /// certificate for `localhost` from a CA made now
    /// ([`RedisServer::ca_file`]); clients need not present one. Its
    /// [`RedisServer::tls_url`] is `rediss://localhost:PORT`.
    pub fn start_tls() -> io::Result<Self> {
        let mut server = Self::start()?;
        server.stop();
        let (ca, cert, key) = crate::FakeTls::new().pem_files()?;
        std::fs::write(server.ca_file(), ca)?;
        std::fs::write(server.dir.join("redis.crt"), cert)?;
        std::fs::write(server.dir.join("redis.key"), key)?;
        // A free port: taken from the system, let go, handed to Redis.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        server.tls_port = Some(port);
        server.restart()?;
        Ok(server)
    }

    /// The CA that signed a TLS server's certificate (PEM), for
    /// `SSL_CERT_FILE`.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// `rediss://localhost:PORT` of a server started with
    /// [`RedisServer::start_tls`].
    pub fn tls_url(&self) -> Option<String> {
        self.tls_port
            .map(|port| format!("rediss://localhost:{port}"))
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
        let mut command = Command::new("redis-server");
        command
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
            .arg(&self.dir);
        if let Some(port) = self.tls_port {
            command
                // Loopback only (`-::1`: where the host has it).
                .args(["--bind", "127.0.0.1 -::1", "--tls-port", &port.to_string()])
                .arg("--tls-cert-file")
                .arg(self.dir.join("redis.crt"))
                .arg("--tls-key-file")
                .arg(self.dir.join("redis.key"))
                .arg("--tls-ca-cert-file")
                .arg(self.ca_file())
                .args(["--tls-auth-clients", "no"]);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(installed)?;
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
        let mut command = Command::new("redis-cli");
        command.arg("-s").arg(self.socket());
        run_cli(command, args)
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

/// A Redis program's spawn error, with how to install Redis when it is
/// not there.
pub(crate) fn installed(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::NotFound => io::Error::new(io::ErrorKind::NotFound, INSTALL_HINT),
        _ => e,
    }
}

/// Runs `command` (a `redis-cli` pointed at a server) with `args`: what it
/// printed, or its error output as the error.
pub(crate) fn run_cli(mut command: Command, args: &[&str]) -> io::Result<String> {
    let out = command.args(args).output().map_err(installed)?;
    if !out.status.success() {
        return Err(io::Error::other(
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
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
