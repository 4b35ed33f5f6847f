//! The manifest updater: fetch, verify, persist, activate, repeat.
//!
//! State survives restarts in one file, `manifest-state.json` in the cache
//! directory, replaced atomically (temporary file, fsync, rename, fsync of
//! the directory), so a crash mid-write leaves the old state or the new one.
//! The cached envelope is verified again at start, so a tampered cache is
//! ignored like a tampered download.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pinwarden_core::PinSet;
use pinwarden_manifest::{Accepted, AfterExpiry, TrustSet, VerifiedManifest, cohort};
use rustls::RootCertStore;
use time::OffsetDateTime;

use crate::{ActivePins, PinSource, PinStore};

const STATE_FILE: &str = "manifest-state.json";
const ROLLOUT_HEADER: &str = "pinwarden-rollout-percentage";

/// What the updater needs.
#[derive(Clone, Debug)]
pub struct UpdaterConfig {
    /// The manifest's URL (`https://…/v1/manifests/APP`, or a static file).
    pub url: String,
    /// The app; a manifest for another app is refused.
    pub app: String,
    /// This installation's id (for its rollout cohort).
    pub install_id: String,
    /// The keys manifests must be signed with, and the threshold.
    pub trust: TrustSet,
    /// Where the verified manifest is kept between runs.
    pub cache_dir: PathBuf,
    /// The pins compiled into the client: the floor.
    pub built_in: Vec<PinSet>,
    /// Roots for the (unpinned) manifest connection.
    pub roots: Arc<RootCertStore>,
    /// Time between refreshes (±10% jitter).
    pub refresh: Duration,
    /// First retry delay after a failure; doubles up to `refresh`.
    pub retry: Duration,
}

/// Why a refresh failed; the pins in force stay as they were.
#[derive(Debug, thiserror::Error)]
pub enum UpdaterError {
    /// The download failed.
    #[error("fetching {url}: {cause}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong.
        cause: String,
    },
    /// The manifest was refused.
    #[error("manifest from {url} refused: {cause}")]
    Refused {
        /// The URL.
        url: String,
        /// Why.
        cause: pinwarden_manifest::Error,
    },
    /// The cache couldn't be written.
    #[error("saving the manifest to {path}: {cause}")]
    Persist {
        /// The file.
        path: String,
        /// What the system said.
        cause: std::io::Error,
    },
    /// The HTTPS client couldn't be built.
    #[error("HTTPS client: {0}")]
    Client(String),
}

/// What one refresh did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refreshed {
    /// A newer manifest is in force.
    Updated(u64),
    /// The server had nothing new (perhaps a new rollout percentage).
    Unchanged,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Cached {
    envelope: String,
    accepted: Accepted,
    rollout: Option<u8>,
    etag: Option<String>,
}

/// Keeps the [`PinStore`] in line with the app's signed manifest.
#[derive(Debug)]
pub struct ManifestUpdater {
    config: UpdaterConfig,
    pins: PinStore,
    client: reqwest::Client,
    state: Mutex<Option<(Cached, VerifiedManifest)>>,
}

/// Writes `bytes` to `path` so that a crash leaves the old or the new file.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{STATE_FILE}.{}.tmp", std::process::id()));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    // The rename itself is durable once the directory is synced.
    std::fs::File::open(dir)?.sync_all()
}

fn jittered(base: Duration) -> Duration {
    let mut byte = [0u8; 1];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut byte);
    // 0.9 .. 1.1 of base.
    base.mul_f64(0.9 + f64::from(byte[0]) / 255.0 * 0.2)
}

impl ManifestUpdater {
    /// Starts from the cache when it holds a valid manifest, else from the
    /// built-in pins. Doesn't touch the network.
    ///
    /// # Errors
    /// When the HTTPS client can't be built.
    pub fn new(config: UpdaterConfig) -> Result<Self, UpdaterError> {
        let client =
            crate::http::client(Arc::clone(&config.roots)).map_err(UpdaterError::Client)?;
        let this = Self {
            pins: PinStore::new(config.built_in.clone()),
            client,
            state: Mutex::new(None),
            config,
        };
        if let Some(cached) = this.load_cache() {
            let verified = this.config.trust.verify(
                cached.envelope.as_bytes(),
                &this.config.app,
                Some(&cached.accepted),
            );
            if let Ok(v) = verified {
                this.activate(&v, cached.rollout, OffsetDateTime::now_utc());
                *this
                    .state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((cached, v));
            }
        }
        Ok(this)
    }

    /// The pins it keeps up to date: give them to a [`crate::PinningVerifier`].
    pub fn pins(&self) -> PinStore {
        self.pins.clone()
    }

    /// The version in force, if a manifest is.
    pub fn version(&self) -> Option<u64> {
        self.state
            .lock()
            .ok()?
            .as_ref()
            .map(|(c, _)| c.accepted.version)
    }

    /// SHA-256 of "pinwarden-client" ‖ install id ‖ app, first 16 bytes, hex.
    fn client_id(&self) -> String {
        let mut input = b"pinwarden-client".to_vec();
        input.extend_from_slice(self.config.install_id.as_bytes());
        input.extend_from_slice(self.config.app.as_bytes());
        ring::digest::digest(&ring::digest::SHA256, &input).as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn state_path(&self) -> PathBuf {
        self.config.cache_dir.join(STATE_FILE)
    }

    fn load_cache(&self) -> Option<Cached> {
        let bytes = std::fs::read(self.state_path()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Puts the manifest's pins (or the built-in ones, per its expiry rule)
    /// in force.
    fn activate(&self, verified: &VerifiedManifest, rollout: Option<u8>, now: OffsetDateTime) {
        let m = verified.manifest();
        let cohort = cohort(&self.config.install_id, &self.config.app);
        let version = m.version;
        let pins = if m.expired(now) {
            match m.after_expiry {
                AfterExpiry::FallBackToBuiltIn => ActivePins {
                    sets: self.config.built_in.clone(),
                    source: PinSource::BuiltIn,
                    cohort: Some(cohort),
                },
                AfterExpiry::SuspendAndReport => ActivePins {
                    sets: m
                        .pin_sets
                        .iter()
                        .cloned()
                        .map(|mut s| {
                            s.enforce = false;
                            s
                        })
                        .collect(),
                    source: PinSource::Manifest {
                        version,
                        candidate: false,
                        expired: true,
                    },
                    cohort: Some(cohort),
                },
            }
        } else {
            let in_candidate = m.candidate.as_ref().is_some_and(|c| {
                let percentage = rollout.map_or(c.percentage, |r| r.min(c.percentage));
                cohort < percentage
            });
            let sets = match (&m.candidate, in_candidate) {
                (Some(c), true) => c.pin_sets.clone(),
                _ => m.pin_sets.clone(),
            };
            ActivePins {
                sets,
                source: PinSource::Manifest {
                    version,
                    candidate: in_candidate,
                    expired: false,
                },
                cohort: Some(cohort),
            }
        };
        self.pins.replace(pins);
    }

    /// Applies the clock: a manifest that has just expired gives way to its
    /// after-expiry behaviour.
    pub fn reapply(&self, now: OffsetDateTime) {
        if let Ok(state) = self.state.lock()
            && let Some((cached, verified)) = state.as_ref()
        {
            self.activate(verified, cached.rollout, now);
        }
    }

    /// Fetches the manifest once; on success the new pins are in force and
    /// saved before this returns.
    ///
    /// # Errors
    /// On a failed download, a refused manifest or an unwritable cache; the
    /// pins in force are unchanged.
    pub async fn refresh_now(&self) -> Result<Refreshed, UpdaterError> {
        let url = self.config.url.clone();
        let fetch = |cause: String| UpdaterError::Fetch {
            url: url.clone(),
            cause,
        };
        let (etag, last) = {
            let state = self
                .state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            (
                state.as_ref().and_then(|(c, _)| c.etag.clone()),
                state.as_ref().map(|(c, _)| c.accepted.clone()),
            )
        };
        // The cohort and a pseudonymous client id (never the install id) let
        // the server's rollout guard compare cohorts per client.
        let cohort = cohort(&self.config.install_id, &self.config.app);
        let mut request = self
            .client
            .get(&url)
            .header("pinwarden-cohort", cohort.to_string())
            .header("pinwarden-client", self.client_id());
        if let Some(etag) = &etag {
            request = request.header("if-none-match", etag);
        }
        let response = request.send().await.map_err(|e| fetch(e.to_string()))?;
        let rollout = response
            .headers()
            .get(ROLLOUT_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u8>().ok())
            .map(|p| p.min(100));
        let new_etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Refreshed::Unchanged);
        }
        if !status.is_success() {
            return Err(fetch(format!("HTTP {status}")));
        }
        let body = response.bytes().await.map_err(|e| fetch(e.to_string()))?;
        if body.len() > pinwarden_manifest::MAX_ENVELOPE_BYTES {
            return Err(fetch(format!(
                "{} bytes is too large for a manifest",
                body.len()
            )));
        }
        let verified = self
            .config
            .trust
            .verify(&body, &self.config.app, last.as_ref())
            .map_err(|cause| UpdaterError::Refused {
                url: url.clone(),
                cause,
            })?;
        let envelope = String::from_utf8(body.to_vec())
            .map_err(|_| fetch("the manifest is not UTF-8".into()))?;
        let cached = Cached {
            envelope,
            accepted: verified.accepted().clone(),
            rollout,
            etag: new_etag,
        };
        let path = self.state_path();
        let bytes = serde_json::to_vec(&cached).unwrap_or_default();
        write_atomic(&path, &bytes).map_err(|cause| UpdaterError::Persist {
            path: path.display().to_string(),
            cause,
        })?;
        let newer = last
            .as_ref()
            .is_none_or(|l| l.version < cached.accepted.version);
        self.activate(&verified, rollout, OffsetDateTime::now_utc());
        let version = cached.accepted.version;
        *self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((cached, verified));
        Ok(if newer {
            Refreshed::Updated(version)
        } else {
            Refreshed::Unchanged
        })
    }

    /// Refreshes in the background until the returned task is aborted:
    /// every `refresh` (±10%) after a success, after `retry` doubling up to
    /// `refresh` after a failure.
    pub fn spawn(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut backoff = self.config.retry;
            loop {
                let delay = match self.refresh_now().await {
                    Ok(_) => {
                        backoff = self.config.retry;
                        self.config.refresh
                    }
                    Err(_) => {
                        let d = backoff;
                        backoff = (backoff * 2).min(self.config.refresh);
                        d
                    }
                };
                self.reapply(OffsetDateTime::now_utc());
                tokio::time::sleep(jittered(delay)).await;
            }
        })
    }
}
