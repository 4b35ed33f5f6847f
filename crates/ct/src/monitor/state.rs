//! A log's monitoring state, one JSON file per log, replaced atomically
//! (write a temporary file, fsync, rename, fsync the directory) so a kill
//! at any moment leaves either the old state or the new one.
//!
//! `position` only moves forward together with `range`, the compact range
//! of every entry before it, so a restart resumes exactly where the last
//! saved state stopped: no entry is skipped, none is matched twice. Alerts
//! wait in `pending` until the entries up to a signed tree head hash to its
//! root, then in `ready` until every sink has them.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::merkle::{CompactRange, Hash};
use crate::monitor::alert::Alert;
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

/// A state file that can't be read or written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct StateError {
    /// The state file.
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

impl LogState {
    /// A fresh state for a log.
    pub fn new(log_id: &Hash, url: &str) -> Self {
        Self {
            log_id: STANDARD.encode(log_id),
            url: url.to_owned(),
            ..Self::default()
        }
    }

    /// The state file for a log under `dir`.
    pub fn path(dir: &Path, log_id: &Hash) -> PathBuf {
        dir.join(format!("{}.json", URL_SAFE_NO_PAD.encode(log_id)))
    }

    /// Loads the state at `path`, or `None` when there is none yet.
    pub fn load(path: &Path) -> Result<Option<Self>, StateError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(state_error(path, e)),
        };
        let state: Self = serde_json::from_slice(&bytes).map_err(|e| state_error(path, e))?;
        state.compact_range().map_err(|e| state_error(path, e))?;
        Ok(Some(state))
    }

    /// Replaces the state at `path` atomically and durably.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| state_error(path, e))?;
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)?;
            std::fs::File::open(dir)?.sync_all()
        };
        write().map_err(|e| state_error(path, e))
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

fn state_error(path: &Path, e: impl std::fmt::Display) -> StateError {
    StateError {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}
