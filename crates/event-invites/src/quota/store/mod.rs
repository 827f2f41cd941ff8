//! Where a client's pacing state (its quota's tokens, the server's budget
//! and window, a 429's hold) is kept, so that every client using one API
//! key paces as one: in this process's memory (the default), in a file per
//! key that every process of this user on this host locks in turn, or in a
//! Redis server that processes on several hosts share.
//!
//! A bucket's name is the API and a fingerprint of the server and the key
//! (the first 16 hex digits of the SHA-256 of the base URL's origin and
//! the key), never the key: one key used against two servers (production
//! and a staging host, or two fakes) is two quotas. A bucket holds numbers
//! and times only, nothing secret or personal.
//!
//! Each request is one exchange with the store ([`Store::exchange`]): what
//! the pacer learned since its last (the server's headers, a 429's wait),
//! then a token or the wait for one. A new store implements that one
//! method; the memory and host stores run [`Ask::apply`] on a bucket they
//! lock, the Redis store the same algorithm in Lua (`bucket.lua`).

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::quota::bucket::{Answer, Ask, Bucket};

#[cfg(feature = "redis")]
mod redis;

/// A store's answer, when it comes.
pub(crate) type Exchanged<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = io::Result<Answer>> + Send + 'a>>;

/// What a store does: one exchange per request, atomic for every sharer.
pub(crate) trait Store: Send + Sync + fmt::Debug {
    /// Runs `ask` on bucket `key` ([`Ask::apply`]) as one step no other
    /// sharer can split.
    fn exchange<'a>(&'a self, key: &'a str, ask: &'a Ask) -> Exchanged<'a>;

    /// What it is, for messages: `memory`, `host (/run/user/1000/event-invites)`.
    fn describe(&self) -> String;

    /// Its kind, for metrics: `memory`, `host` or `redis`.
    fn kind(&self) -> &'static str;
}

/// A store that keeps buckets on this host: one read-change-write of a
/// bucket, on the asker's clock.
trait Local: Send + Sync + fmt::Debug {
    /// Reads bucket `key` (`None` when new), lets `change` change it and
    /// keeps the result, as one step no other sharer can split.
    fn update(&self, key: &str, change: &mut dyn FnMut(&mut Option<Bucket>)) -> io::Result<()>;

    fn describe(&self) -> String;

    fn kind(&self) -> &'static str;
}

impl<T: Local> Store for T {
    fn exchange<'a>(&'a self, key: &'a str, ask: &'a Ask) -> Exchanged<'a> {
        let mut answer = None;
        let done = self
            .update(key, &mut |slot| answer = Some(ask.apply(slot, ask.now)))
            .and_then(|()| {
                answer.ok_or_else(|| io::Error::other("the store did not run the change"))
            });
        Box::pin(std::future::ready(done))
    }

    fn describe(&self) -> String {
        Local::describe(self)
    }

    fn kind(&self) -> &'static str {
        Local::kind(self)
    }
}

/// Where clients keep the quota they share; give one to
/// [`ClientBuilder::quota_store`](crate::ClientBuilder::quota_store).
///
/// - [`QuotaStore::memory`] (the default): this process only. Every client
///   built with the same `QuotaStore` value and the same key shares one
///   bucket (a client's clones always do).
/// - [`QuotaStore::host`]: every process of this user on this machine,
///   through a small file per key under the user's runtime directory
///   (`$XDG_RUNTIME_DIR/event-invites`, else the cache directory), locked
///   with the operating system's file lock for each request. Several jobs
///   on one key then pace as one, and what one learns from the server's
///   headers (a smaller quota, a spent window, a 429's wait) holds for all.
/// - `QuotaStore::redis(url)` (feature `redis`): every process on every
///   host using that Redis server, one atomic script per request on
///   Redis's own clock.
///
/// A store that fails mid-run (Redis down, a file that cannot be written
/// any more) is not fatal: the client paces by its share of what was left
/// (a third, when the Redis store counted three pacers on the key) and by
/// the server's headers, says so once in a `tracing` warning and to
/// [`Observer::quota_store`](crate::Observer::quota_store), and uses the
/// store again when it answers; a store that comes back empty starts from
/// what was left, not from a full quota.
///
/// ```
/// use event_invites::{Artsvp, QuotaStore};
///
/// let dir = std::env::temp_dir().join("event-invites-doc-quota");
/// let store = QuotaStore::host_in(&dir)?;
/// let client = Artsvp::builder().api_key("key").quota_store(store.clone()).build()?;
/// assert!(store.to_string().starts_with("host ("));
/// # let _ = client;
/// # Ok::<(), event_invites::Error>(())
/// ```
#[derive(Clone)]
pub struct QuotaStore {
    pub(crate) inner: Arc<dyn Store>,
}

impl fmt::Debug for QuotaStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QuotaStore({})", self.inner.describe())
    }
}

impl fmt::Display for QuotaStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.describe())
    }
}

impl Default for QuotaStore {
    fn default() -> Self {
        Self::memory()
    }
}

impl QuotaStore {
    /// Its kind: `memory`, `host` or `redis` (a metrics label).
    pub(crate) fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    /// Buckets in this process's memory, shared by the clients given this
    /// value.
    pub fn memory() -> Self {
        Self {
            inner: Arc::new(Memory::default()),
        }
    }

    /// Buckets in files in the user's runtime directory
    /// (`$XDG_RUNTIME_DIR/event-invites`), else cache directory
    /// (`$XDG_CACHE_HOME` or `~/.cache`, then `event-invites`), shared by
    /// every process of this user on this host. Fails, naming the
    /// directory, when it cannot be created or written.
    pub fn host() -> Result<Self, Error> {
        let dir = default_dir().ok_or_else(|| {
            Error::config(
                "no directory for the shared quota: set XDG_RUNTIME_DIR, XDG_CACHE_HOME or HOME, \
                 or use QuotaStore::host_in(dir)",
            )
        })?;
        Self::host_in(dir)
    }

    /// Buckets in files in `dir` (created, readable by this user only on
    /// Unix), shared by every process that uses the same directory. Fails,
    /// naming the directory, when it cannot be created or written.
    pub fn host_in(dir: impl Into<PathBuf>) -> Result<Self, Error> {
        let dir = dir.into();
        let cannot = |e: io::Error| {
            Error::config(format!(
                "the quota store {} cannot be used: {e}",
                dir.display()
            ))
        };
        create_private_dir(&dir).map_err(cannot)?;
        // Writable now: a probe file, made, locked like a bucket, removed.
        let probe = dir.join(format!(".probe-{}", std::process::id()));
        open_private(&probe)
            .and_then(|file| file.lock())
            .and_then(|()| std::fs::remove_file(&probe))
            .map_err(cannot)?;
        let host = Host { dir: dir.clone() };
        Ok(Self {
            inner: Arc::new(host),
        })
    }
}

/// The bucket name of `api`'s key at `origin` (`https://host[:port]`):
/// `artsvp-` and 16 hex digits of the SHA-256 of both (never the key).
pub(crate) fn bucket_name(api: &str, origin: &str, key: &str) -> String {
    let mut hasher = hmac_sha256::Hash::new();
    hasher.update(origin);
    hasher.update(b"\n");
    hasher.update(key);
    let digest = hasher.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", api.to_ascii_lowercase())
}

/// This process's buckets.
#[derive(Debug, Default)]
struct Memory {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Local for Memory {
    fn update(&self, key: &str, change: &mut dyn FnMut(&mut Option<Bucket>)) -> io::Result<()> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        // A bucket there is changed in place (no key copied per request).
        let mut slot = buckets.get(key).cloned();
        change(&mut slot);
        match (slot, buckets.get_mut(key)) {
            (Some(bucket), Some(kept)) => *kept = bucket,
            (Some(bucket), None) => {
                buckets.insert(key.to_string(), bucket);
            }
            (None, _) => {
                buckets.remove(key);
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        "memory".into()
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

/// One JSON file per bucket in `dir`, locked (exclusively) around each
/// read-change-write.
#[derive(Debug)]
struct Host {
    dir: PathBuf,
}

impl Local for Host {
    fn update(&self, key: &str, change: &mut dyn FnMut(&mut Option<Bucket>)) -> io::Result<()> {
        let path = self.dir.join(format!("{key}.json"));
        let mut file = open_private(&path)?;
        file.lock()?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        // An empty file is a new bucket; one that does not parse (cut
        // short by a crash mid-write, say) starts afresh too.
        let before: Option<Bucket> = serde_json::from_str(&text).ok();
        let mut slot = before.clone();
        change(&mut slot);
        if slot != before
            && let Some(bucket) = &slot
        {
            let json = serde_json::to_vec(bucket).map_err(io::Error::other)?;
            file.set_len(0)?;
            file.rewind()?;
            file.write_all(&json)?;
        }
        // The lock goes with the file handle.
        Ok(())
    }

    fn describe(&self) -> String {
        format!("host ({})", self.dir.display())
    }

    fn kind(&self) -> &'static str {
        "host"
    }
}

/// `$XDG_RUNTIME_DIR/event-invites`, else `$XDG_CACHE_HOME/event-invites`,
/// else `$HOME/.cache/event-invites`.
fn default_dir() -> Option<PathBuf> {
    default_dir_from(|name| std::env::var_os(name))
}

/// [`default_dir`] with the variables read through `lookup`.
fn default_dir_from(lookup: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let var = |name: &str| lookup(name).filter(|v| !v.is_empty());
    var("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .or_else(|| var("XDG_CACHE_HOME").map(PathBuf::from))
        .or_else(|| var("HOME").map(|home| Path::new(&home).join(".cache")))
        .map(|dir| dir.join("event-invites"))
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)
}

fn open_private(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_is_named_by_api_and_key_fingerprint_never_the_key() {
        let origin = "https://app.artsvp.com";
        let name = bucket_name("ARTSVP", origin, "sk_live_secret");
        assert!(name.starts_with("artsvp-"), "{name}");
        assert_eq!(name.len(), "artsvp-".len() + 16);
        assert!(!name.contains("secret"));
        assert_ne!(name, bucket_name("ARTSVP", origin, "another key"));
        assert_ne!(
            name,
            bucket_name("ARTSVP", "https://staging.artsvp.com", "sk_live_secret"),
            "another server, another quota"
        );
        // Stable across versions and processes: SHA-256 of
        // "origin\nkey", as every release names its files and Redis keys.
        assert_eq!(name, "artsvp-d84c374239d875f8");
    }

    #[test]
    fn the_default_directory_is_the_runtime_one_else_the_cache() {
        const ALL: &[(&str, &str)] = &[
            ("XDG_RUNTIME_DIR", "/run/user/7"),
            ("XDG_CACHE_HOME", "/c"),
            ("HOME", "/h"),
        ];
        let dir = |pairs: &'static [(&'static str, &'static str)]| {
            default_dir_from(|name| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            })
        };
        assert_eq!(dir(ALL), Some(PathBuf::from("/run/user/7/event-invites")));
        assert_eq!(dir(&ALL[1..]), Some(PathBuf::from("/c/event-invites")));
        assert_eq!(
            dir(&ALL[2..]),
            Some(PathBuf::from("/h/.cache/event-invites"))
        );
        let empty_is_unset = dir(&[("XDG_RUNTIME_DIR", ""), ("HOME", "/h")]);
        assert_eq!(empty_is_unset, dir(&ALL[2..]));
        assert_eq!(dir(&[]), None);
        // On this machine: a store in files, named as such.
        let host = QuotaStore::host().unwrap();
        assert!(host.to_string().starts_with("host ("), "{host}");
        assert!(host.to_string().ends_with("event-invites)"), "{host}");
        assert!(
            format!("{host:?}").starts_with("QuotaStore(host ("),
            "{host:?}"
        );
        assert_eq!(format!("{:?}", QuotaStore::default()), "QuotaStore(memory)");
    }

    #[test]
    fn a_directory_that_cannot_be_made_is_named_in_the_error() {
        let file = std::env::temp_dir().join(format!("quota-not-a-dir-{}", std::process::id()));
        std::fs::write(&file, "x").unwrap();
        let err = QuotaStore::host_in(file.join("sub")).unwrap_err();
        std::fs::remove_file(&file).unwrap();
        assert!(err.to_string().contains("cannot be used"), "{err}");
        assert!(err.to_string().contains("quota-not-a-dir"), "{err}");
    }
}
