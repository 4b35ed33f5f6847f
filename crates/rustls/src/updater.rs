//! The manifest updater: fetch, verify, persist, activate, repeat.
//!
//! What it defends, and how:
//!
//! - **The network** (whoever answers the manifest URL: the channel is not
//!   pinned, by design). Manifests are verified by signature, threshold and
//!   app; versions only go forward (refreshes are serialised and the version
//!   is compared again when committing, with what is held and, under the
//!   directory's lock, with what another updater of the app stored, so a
//!   slow or stale answer can't land after a newer one); nothing older than the app's [`Baseline`] (the
//!   manifest its built-in pins came from) is taken, even on a fresh
//!   install; bodies are read up to [`pinwarden_manifest::MAX_ENVELOPE_BYTES`];
//!   redirects stay within the URL's origin.
//! - **The disk** (other local users, a crash): state lives in a private
//!   directory per app (`CACHE_DIR/APP`, mode 0700, a symbolic link refused)
//!   in one file, `manifest-state.json`, replaced atomically through a
//!   temporary file of unpredictable name created exclusively (never through
//!   a link), synced, renamed, and the directory synced. At start the cached
//!   envelope is verified again; a damaged or tampered one is reported
//!   ([`ManifestUpdater::cache_problem`]) and its recorded version still
//!   bounds what is accepted next, so tampering never lets an older manifest
//!   in.
//! - **Expiry**: after a manifest expires its `after_expiry` applies, but
//!   the built-in pins come first again for the hosts they cover: expiry
//!   never weakens them.
//!
//! Out of scope: code running as the app's own user can replace the app.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pinwarden_core::PinSet;
use pinwarden_manifest::{Accepted, AfterExpiry, TrustSet, VerifiedManifest, cohort};

use rustls::RootCertStore;
use time::OffsetDateTime;

use crate::{ActivePins, PinSource, PinStore};

const STATE_FILE: &str = "manifest-state.json";

/// The manifest an app's built-in pins came from: nothing older is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Baseline {
    /// Its version.
    pub version: u64,
    /// When it was issued.
    pub issued_at: OffsetDateTime,
}
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
    /// The signed manifest `built_in` came from; `None` only for an app
    /// with no built-in pins (then any validly signed manifest is taken on
    /// a fresh install).
    pub baseline: Option<Baseline>,
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
    /// The manifest is older than the app's built-in pins.
    #[error(
        "manifest from {url} refused: version {version} issued {issued_at} is older than the built-in pins (version {baseline_version})"
    )]
    OlderThanBuiltIn {
        /// The URL.
        url: String,
        /// Its version.
        version: u64,
        /// When it was issued.
        issued_at: OffsetDateTime,
        /// The baseline's version.
        baseline_version: u64,
    },
    /// The cache directory is not private, or not a directory.
    #[error("cache directory {path}: {cause}")]
    CacheDir {
        /// The directory.
        path: String,
        /// What is wrong.
        cause: String,
    },
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

/// What the updater holds: the manifest in force, and the last version
/// accepted (the anti-rollback bound, which only moves forward, even when
/// the cached envelope turns out damaged).
#[derive(Debug, Default)]
struct State {
    current: Option<(Cached, VerifiedManifest)>,
    accepted: Option<Accepted>,
}

/// Keeps the [`PinStore`] in line with the app's signed manifest.
#[derive(Debug)]
pub struct ManifestUpdater {
    config: UpdaterConfig,
    dir: PathBuf,
    pins: PinStore,
    client: reqwest::Client,
    state: Mutex<State>,
    /// Serialises refreshes: fetch, verify and commit happen one at a time.
    refreshing: tokio::sync::Mutex<()>,
    cache_problem: Mutex<Option<String>>,
}

/// 16 random bytes, hex: a temporary file name nobody can predict.
fn random_name() -> String {
    let mut bytes = [0u8; 16];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `bytes` to `path` so that a crash leaves the old or the new file:
/// a temporary file of unpredictable name, created exclusively (an existing
/// file or link there is an error, never followed), mode 0600, synced, then
/// renamed over `path` and the directory synced.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let tmp = dir.join(format!(".{STATE_FILE}.{}.tmp", random_name()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    // The rename itself is durable once the directory is synced.
    std::fs::File::open(dir)?.sync_all()
}

/// The app's own cache directory under `root`: created 0700, tightened to
/// 0700 if it exists, refused when it is a link or not a directory. An app
/// name that isn't a plain file name is hashed.
fn app_dir(root: &Path, app: &str) -> Result<PathBuf, UpdaterError> {
    let plain = !app.is_empty()
        && app != "."
        && app != ".."
        && app
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    let name = if plain {
        app.to_owned()
    } else {
        ring::digest::digest(&ring::digest::SHA256, app.as_bytes()).as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let dir = root.join(name);
    let err = |cause: String| UpdaterError::CacheDir {
        path: dir.display().to_string(),
        cause,
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).map_err(|e| err(e.to_string()))?;
    let meta = std::fs::symlink_metadata(&dir).map_err(|e| err(e.to_string()))?;
    if meta.file_type().is_symlink() || !meta.is_dir() {
        return Err(err("not a directory (a symbolic link is refused)".into()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| err(format!("can't make it private: {e}")))?;
        }
    }
    Ok(dir)
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
        let client = crate::http::client(
            Arc::clone(&config.roots),
            crate::http::Redirects::SameOrigin,
        )
        .map_err(UpdaterError::Client)?;
        let dir = app_dir(&config.cache_dir, &config.app)?;
        let this = Self {
            pins: PinStore::new(config.built_in.clone()),
            client,
            state: Mutex::new(State::default()),
            refreshing: tokio::sync::Mutex::new(()),
            cache_problem: Mutex::new(None),
            dir,
            config,
        };
        match this.load_cache() {
            Ok(None) => {}
            Ok(Some(cached)) => {
                let verified = this
                    .config
                    .trust
                    .verify(
                        cached.envelope.as_bytes(),
                        &this.config.app,
                        Some(&cached.accepted),
                    )
                    .map_err(|e| e.to_string())
                    .and_then(|v| {
                        this.above_baseline(&v)
                            .map(|()| v)
                            .map_err(|e| e.to_string())
                    });
                let mut state = this.lock_state();
                // Whatever the envelope, the version it recorded bounds what
                // comes next: a tampered cache never lets an older one in.
                state.accepted = Some(cached.accepted.clone());
                match verified {
                    Ok(v) => {
                        this.activate(&v, cached.rollout, OffsetDateTime::now_utc());
                        state.current = Some((cached, v));
                    }
                    Err(cause) => this.note_problem(format!(
                        "the cached manifest was refused ({cause}): keeping the built-in pins"
                    )),
                }
            }
            Err(cause) => this.note_problem(cause),
        }
        Ok(this)
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn note_problem(&self, problem: String) {
        *self
            .cache_problem
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(problem);
    }

    /// What was wrong with the cache at start, if anything (damaged,
    /// tampered, a link where the state file belongs): for the app to report.
    pub fn cache_problem(&self) -> Option<String> {
        self.cache_problem
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Refuses a manifest older than the built-in pins.
    fn above_baseline(&self, verified: &VerifiedManifest) -> Result<(), UpdaterError> {
        let m = verified.manifest();
        match self.config.baseline {
            Some(b) if m.version < b.version || m.issued_at < b.issued_at => {
                Err(UpdaterError::OlderThanBuiltIn {
                    url: self.config.url.clone(),
                    version: m.version,
                    issued_at: m.issued_at,
                    baseline_version: b.version,
                })
            }
            _ => Ok(()),
        }
    }

    /// The pins it keeps up to date: give them to a [`crate::PinningVerifier`].
    pub fn pins(&self) -> PinStore {
        self.pins.clone()
    }

    /// The version in force, if a manifest is.
    pub fn version(&self) -> Option<u64> {
        self.lock_state()
            .current
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
        self.dir.join(STATE_FILE)
    }

    /// The cached state: `None` when there is none, an error saying what is
    /// wrong with one that is there (a link, damage).
    fn load_cache(&self) -> Result<Option<Cached>, String> {
        let path = self.state_path();
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        if !meta.is_file() {
            return Err(format!(
                "{}: not a regular file (a link?): ignored",
                path.display()
            ));
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{}: damaged ({e}): ignored", path.display()))
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
                    cohort: Some(cohort),
                    ..ActivePins::built_in(self.config.built_in.clone())
                },
                // Its sets turn report-only, behind the built-in ones:
                // expiry never weakens the built-in pins.
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
                    floor: self.config.built_in.clone(),
                    floor_first: true,
                    report_uri: m.report_uri.clone(),
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
            // A host the manifest doesn't cover keeps its built-in pins.
            ActivePins {
                sets,
                floor: self.config.built_in.clone(),
                floor_first: false,
                report_uri: m.report_uri.clone(),
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
        let state = self.lock_state();
        if let Some((cached, verified)) = state.current.as_ref() {
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
        // One refresh at a time: two racing ones could otherwise each verify
        // against the same old version and the slower, older answer win.
        let _one_at_a_time = self.refreshing.lock().await;
        let url = self.config.url.clone();
        let fetch = |cause: String| UpdaterError::Fetch {
            url: url.clone(),
            cause,
        };
        let (etag, last) = {
            let state = self.lock_state();
            (
                state.current.as_ref().and_then(|(c, _)| c.etag.clone()),
                state.accepted.clone(),
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
        let response = request
            .send()
            .await
            .map_err(|e| fetch(crate::http::causes(&e)))?;
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
        let body = crate::http::body_capped(response, pinwarden_manifest::MAX_ENVELOPE_BYTES)
            .await
            .map_err(|cause| fetch(format!("the manifest is too large or cut off: {cause}")))?;
        let verified = self
            .config
            .trust
            .verify(&body, &self.config.app, last.as_ref())
            .map_err(|cause| UpdaterError::Refused {
                url: url.clone(),
                cause,
            })?;
        self.above_baseline(&verified)?;
        let envelope =
            String::from_utf8(body).map_err(|_| fetch("the manifest is not UTF-8".into()))?;
        let cached = Cached {
            envelope,
            accepted: verified.accepted().clone(),
            rollout,
            etag: new_etag,
        };
        let version = cached.accepted.version;
        let mut state = self.lock_state();
        // Compared again at commit: nothing older than what is held now.
        if state
            .accepted
            .as_ref()
            .is_some_and(|held| held.version > version)
        {
            return Ok(Refreshed::Unchanged);
        }
        let newer = state
            .accepted
            .as_ref()
            .is_none_or(|held| held.version < version);
        let path = self.state_path();
        let persist = |cause| UpdaterError::Persist {
            path: path.display().to_string(),
            cause,
        };
        // Another updater of this app (another process, another instance)
        // may have stored a newer version meanwhile: under the directory's
        // lock, the file on disk only moves forward too.
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(".lock"))
            .map_err(persist)?;
        lock.lock().map_err(persist)?;
        if let Ok(Some(on_disk)) = self.load_cache()
            && on_disk.accepted.version > version
        {
            state.accepted = Some(on_disk.accepted);
            return Ok(Refreshed::Unchanged);
        }
        let bytes = serde_json::to_vec(&cached).unwrap_or_default();
        write_atomic(&path, &bytes).map_err(persist)?;
        drop(lock);
        self.activate(&verified, rollout, OffsetDateTime::now_utc());
        state.accepted = Some(cached.accepted.clone());
        state.current = Some((cached, verified));
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
