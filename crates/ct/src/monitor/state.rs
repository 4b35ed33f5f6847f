//! A log's monitoring state, and where it is kept.
//!
//! `position` only moves forward together with `range`, the compact range
//! of every entry before it, so a restart resumes exactly where the last
//! saved state stopped: no entry is skipped, none is matched twice. Alerts
//! wait in `pending` until the entries up to a signed tree head hash to its
//! root, then in `ready` until every sink has them.
//!
//! The monitor reads and writes states through a [`StateStore`]. The
//! [`FileStore`] keeps one JSON file per log, replaced atomically (a
//! temporary file under an unpredictable name, fsync, rename, fsync the
//! directory) so a kill at any moment leaves either the old state or the
//! new one. `pinwarden serve` on PostgreSQL keeps states in the database
//! instead, each write fenced by the replica's lease on the log.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::merkle::{CompactRange, Hash};
use crate::monitor::alert::Alert;
use crate::monitor::notify::BoxFuture;
use crate::sth::SignedTreeHead;

/// What the monitor knows about one log.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct LogState {
    /// The log id, base64.
    pub log_id: String,
    /// The log's URL.
    pub url: String,
    /// Entries processed: every entry before this index has been hashed
    /// and matched.
    pub position: u64,
    /// The compact range of entries `0..position`: (base64 hash, height).
    pub range: Vec<(String, u32)>,
    /// The newest tree head whose root the entries reproduced.
    pub verified: Option<SignedTreeHead>,
    /// The compact range at the verified size, to fall back to when the
    /// entries after it don't reproduce the next head.
    #[serde(default)]
    pub verified_range: Vec<(String, u32)>,
    /// The signature-checked tree head being caught up to.
    pub target: Option<SignedTreeHead>,
    /// When the newest tree head was fetched (Unix seconds).
    pub sth_fetched_at: Option<i64>,
    /// Matches at or after the verified size: not yet checked against a
    /// tree head.
    pub pending: Vec<Alert>,
    /// Verified matches not yet delivered to every sink.
    pub ready: Vec<Alert>,
    /// Alert id → sinks that already have it (for alerts still in `ready`).
    #[serde(default)]
    pub delivered: std::collections::HashMap<String, Vec<String>>,
    /// Entries that matched nothing because they couldn't be decoded.
    pub malformed: Vec<(u64, String)>,
    /// The last error, cleared by a successful round.
    pub last_error: Option<String>,
    /// Why an alert could not be delivered in the last delivery attempt.
    #[serde(default)]
    pub delivery_error: Option<String>,
}

/// A state that can't be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// A state file can't be read or written.
    #[error("{path}: {reason}")]
    File {
        /// The state file (or its directory).
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A state store other than files (a database) failed.
    #[error("state of log {log}: {reason}")]
    Store {
        /// The log id, base64.
        log: String,
        /// What went wrong.
        reason: String,
    },
    /// A saved state doesn't make sense: it can't be used as it is.
    #[error("state of log {log} is unusable: {reason}")]
    Corrupt {
        /// The log id, base64.
        log: String,
        /// What is wrong with it.
        reason: String,
    },
    /// This process may no longer write the log's state (its lease passed
    /// to another replica, or the state was saved by another meanwhile):
    /// it stops, and whoever holds the log carries on from the last save.
    #[error(
        "log {log}: no longer monitored by this process ({reason}); \
         the replica holding the log carries on from the last saved state"
    )]
    NotHeld {
        /// The log id, base64.
        log: String,
        /// Why.
        reason: String,
    },
}

/// Where the monitor keeps each log's [`LogState`].
///
/// A store that is shared between processes must make `save` fail with
/// [`StateError::NotHeld`] once this process no longer has the right to
/// write the log (the database store's lease), and `check` report the same
/// without a round trip where it can: the monitor calls `check` before it
/// hands an alert to a sink, so a process that lost a log stops delivering.
pub trait StateStore: Send + Sync + std::fmt::Debug {
    /// The saved state of a log, `None` when there is none yet.
    fn load<'a>(&'a self, log_id: &'a Hash) -> BoxFuture<'a, Result<Option<LogState>, StateError>>;

    /// Replaces the saved state of a log, atomically and durably.
    fn save<'a>(
        &'a self,
        log_id: &'a Hash,
        state: &'a LogState,
    ) -> BoxFuture<'a, Result<(), StateError>>;

    /// Whether this process may still act for the log; files always may.
    fn check(&self, log_id: &Hash) -> Result<(), StateError> {
        let _ = log_id;
        Ok(())
    }
}

/// One JSON file per log in a directory (created `0700` on first save).
///
/// Temporary files get unpredictable names and are created exclusively
/// (`O_CREAT | O_EXCL`, which never follows a symlink), and the rename
/// replaces a symlink at the state's path rather than writing through it.
/// Two processes saving into one directory therefore never trip over each
/// other's temporary files, though the last rename wins: a directory is for
/// one monitor at a time (replicas share state through the database).
#[derive(Clone, Debug)]
pub struct FileStore {
    dir: PathBuf,
}

/// Temporary files older than this are left over from a killed process.
const STALE_TEMPORARY: Duration = Duration::from_secs(3600);

impl FileStore {
    /// A store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The state file for a log.
    pub fn path(&self, log_id: &Hash) -> PathBuf {
        self.dir
            .join(format!("{}.json", URL_SAFE_NO_PAD.encode(log_id)))
    }

    fn load_now(&self, log_id: &Hash) -> Result<Option<LogState>, StateError> {
        let path = self.path(log_id);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(file_error(&path, e)),
        };
        let state: LogState = serde_json::from_slice(&bytes).map_err(|e| file_error(&path, e))?;
        state.compact_range().map_err(|e| file_error(&path, e))?;
        self.remove_stale_temporaries(&path);
        Ok(Some(state))
    }

    fn save_now(&self, log_id: &Hash, state: &LogState) -> Result<(), StateError> {
        let path = self.path(log_id);
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| file_error(&path, e))?;
        create_private_dir(&self.dir).map_err(|e| file_error(&self.dir, e))?;
        replace_file(&path, &bytes).map_err(|e| file_error(&path, e))
    }

    /// Removes this state file's temporaries that a killed process left
    /// behind; recent ones may belong to a save in progress.
    fn remove_stale_temporaries(&self, path: &Path) {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return;
        };
        let prefix = format!(".{name}.");
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let file = entry.file_name();
            let Some(file) = file.to_str() else { continue };
            if !(file.starts_with(&prefix) && file.ends_with(".tmp")) {
                continue;
            }
            // symlink_metadata: a planted symlink is judged (and removed)
            // as itself, never followed.
            let old = entry
                .path()
                .symlink_metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_TEMPORARY);
            if old {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

impl StateStore for FileStore {
    fn load<'a>(&'a self, log_id: &'a Hash) -> BoxFuture<'a, Result<Option<LogState>, StateError>> {
        Box::pin(async move { self.load_now(log_id) })
    }

    fn save<'a>(
        &'a self,
        log_id: &'a Hash,
        state: &'a LogState,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move { self.save_now(log_id, state) })
    }
}

/// A fresh temporary name beside `path`: `.NAME.<128 random bits>.tmp`.
fn temporary_path(path: &Path) -> std::io::Result<PathBuf> {
    use ring::rand::SecureRandom as _;
    let mut random = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut random)
        .map_err(|_| std::io::Error::other("the system's random generator failed"))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
    Ok(path.with_file_name(format!(".{name}.{random}.tmp")))
}

/// Writes `bytes` to a new temporary file beside `path`, syncs it, renames
/// it over `path` and syncs the directory.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = temporary_path(path)?;
    let write = || -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        // create_new is O_CREAT | O_EXCL: fails on anything already there,
        // a symlink included, instead of following it.
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        // rename replaces whatever is at `path`, a symlink included, and
        // never writes through it.
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    };
    let result = write();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Creates `dir` (and its parents) readable by its owner only (0700); an
/// existing directory is left as it is.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

impl LogState {
    /// A fresh state for a log.
    pub fn new(log_id: &Hash, url: &str) -> Self {
        Self {
            log_id: log_key(log_id),
            url: url.to_owned(),
            ..Self::default()
        }
    }

    /// The saved compact range.
    pub fn compact_range(&self) -> Result<CompactRange, String> {
        let nodes = self
            .range
            .iter()
            .map(|(hash, height)| {
                let bytes = STANDARD
                    .decode(hash)
                    .map_err(|e| format!("range hash {hash:?}: {e}"))?;
                let hash = Hash::try_from(bytes.as_slice())
                    .map_err(|_| format!("range hash {hash:?} is not 32 bytes"))?;
                Ok((hash, *height))
            })
            .collect::<Result<Vec<_>, String>>()?;
        CompactRange::from_parts(self.position, nodes)
    }

    /// Stores a compact range and its size as the new position.
    pub fn set_range(&mut self, range: &CompactRange) {
        self.position = range.size();
        self.range = range
            .nodes()
            .iter()
            .map(|(hash, height)| (STANDARD.encode(hash), *height))
            .collect();
    }
}

/// How states, leases and alerts name a log: its id, base64.
pub fn log_key(log_id: &Hash) -> String {
    STANDARD.encode(log_id)
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> StateError {
    StateError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: Hash = [7; 32];

    /// A state told apart by its `sth_fetched_at`.
    fn state(mark: i64) -> LogState {
        LogState {
            sth_fetched_at: Some(mark),
            ..LogState::new(&LOG, "https://log.example/")
        }
    }

    fn mark(state: Option<LogState>) -> i64 {
        state.unwrap().sth_fetched_at.unwrap()
    }

    fn load(store: &FileStore) -> Option<LogState> {
        store.load_now(&LOG).unwrap()
    }

    /// Issue 15: replicas sharing `--ct-state-dir` failed because every save
    /// went through the same `<log>.json.tmp`. Temporary names are now
    /// fresh each time, so concurrent savers never rename each other's file.
    #[test]
    fn temporary_names_are_unpredictable_and_never_the_fixed_json_tmp() {
        let path = Path::new("/state/abc.json");
        let a = temporary_path(path).unwrap();
        let b = temporary_path(path).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, path.with_extension("json.tmp"));
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with(".abc.json.") && name.ends_with(".tmp"),
            "{name}"
        );
        // 128 random bits, hex.
        assert_eq!(name.len(), ".abc.json.".len() + 32 + ".tmp".len());
    }

    #[test]
    fn concurrent_savers_in_one_directory_never_fail() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..4i64)
            .map(|t| {
                let store = FileStore::new(dir.path().join("ct"));
                std::thread::spawn(move || {
                    for i in 0..50 {
                        store.save_now(&LOG, &state(t * 1000 + i)).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let store = FileStore::new(dir.path().join("ct"));
        assert_eq!(mark(load(&store)) % 1000, 49);
        let names: Vec<String> = std::fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            vec![store.path(&LOG).file_name().unwrap().to_string_lossy()]
        );
    }

    #[cfg(unix)]
    #[test]
    fn saving_never_writes_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("ct"));
        store.save_now(&LOG, &state(1)).unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep me").unwrap();
        let path = store.path(&LOG);
        // The old fixed temporary name, planted as a symlink: unused now.
        std::os::unix::fs::symlink(&victim, path.with_extension("json.tmp")).unwrap();
        store.save_now(&LOG, &state(2)).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        // A symlink at the state's own path is replaced, not written through.
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        store.save_now(&LOG, &state(3)).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        assert!(!path.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(mark(load(&store)), 3);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(store.dir()), 0o700);
        }
    }

    #[test]
    fn a_missing_state_is_none_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("ct"));
        assert!(load(&store).is_none());
        assert!(!store.dir().exists());
    }

    #[test]
    fn stale_temporaries_of_a_killed_save_are_removed_fresh_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        store.save_now(&LOG, &state(1)).unwrap();
        let path = store.path(&LOG);
        let stale = temporary_path(&path).unwrap();
        let fresh = temporary_path(&path).unwrap();
        std::fs::write(&stale, "half").unwrap();
        std::fs::write(&fresh, "half").unwrap();
        let old = std::time::SystemTime::now() - STALE_TEMPORARY - Duration::from_secs(60);
        std::fs::File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert_eq!(mark(load(&store)), 1);
        assert!(!stale.exists());
        assert!(fresh.exists());
    }
}
