//! The manifest service: verified uploads, what `GET /v1/manifests/{app}`
//! serves (kept in memory, so serving never waits on the database), and
//! staged rollouts.
//!
//! A manifest's candidate percentage is signed: it is the most the signer
//! allows. The server serves the envelope unchanged and says how far the
//! rollout has got in a `Pinwarden-Rollout-Percentage` header (0 until a
//! rollout starts, 0 again when halted); clients use the lower of the two.
//! The header can only move clients between two pin-set lists that were both
//! signed, so it needs no signature of its own, and halting a bad rollout
//! needs no signing key.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::http::StatusCode;
use pinwarden_manifest::{Accepted, Error as ManifestError, TrustSet};
use sha2::{Digest as _, Sha256};

use crate::store::{RolloutEvent, RolloutState, Store, StoreError, StoredManifest};

/// The header that carries the effective rollout percentage.
pub const ROLLOUT_HEADER: &str = "pinwarden-rollout-percentage";

/// What is served for one app.
#[derive(Clone, Debug)]
pub struct Served {
    /// The envelope as uploaded.
    pub body: Arc<[u8]>,
    /// A strong ETag over the body and the rollout percentage.
    pub etag: String,
    /// The effective rollout percentage, when the manifest has a candidate.
    pub rollout: Option<i64>,
    /// The version.
    pub version: i64,
}

/// Why an upload or a rollout change is refused, with the status to answer.
#[derive(Debug)]
pub struct Refusal {
    /// The HTTP status.
    pub status: StatusCode,
    /// Why, for the person who sent it.
    pub detail: String,
}

impl Refusal {
    fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        eprintln!("pinwarden: {e}");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database failed; the server's log says why",
        )
    }
}

/// Manifests: the trust set uploads are checked against, and what is served.
#[derive(Debug)]
pub struct Manifests {
    trust: Option<TrustSet>,
    served: RwLock<HashMap<String, Served>>,
    /// Uploads and rollout changes, one at a time.
    writing: tokio::sync::Mutex<()>,
    /// Clients seen fetching each app's current version: client id → cohort.
    clients: std::sync::Mutex<HashMap<(String, i64), HashMap<String, u8>>>,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn etag(body: &[u8], rollout: Option<i64>) -> String {
    let mut h = Sha256::new();
    h.update(body);
    h.update(rollout.map(|p| p.to_string()).unwrap_or_default());
    let digest = h.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// An app name the server accepts in a path.
pub fn valid_app(app: &str) -> bool {
    !app.is_empty()
        && app.len() <= 128
        && app
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl Manifests {
    /// Loads what to serve from the store. Without a trust set, uploads are
    /// refused; stored manifests are still served.
    pub async fn load(store: &Store, trust: Option<TrustSet>) -> Result<Self, StoreError> {
        let this = Self {
            trust,
            served: RwLock::new(HashMap::new()),
            writing: tokio::sync::Mutex::new(()),
            clients: std::sync::Mutex::new(HashMap::new()),
        };
        for m in store.latest_manifests().await? {
            this.refresh(store, &m.app).await?;
        }
        Ok(this)
    }

    /// Notes a pinwarden client (its pseudonymous id and cohort) fetching
    /// `version` of `app`, for the rollout guard. At most 100,000 clients
    /// per app and version are remembered.
    pub fn note_client(&self, app: &str, version: i64, client: &str, cohort: u8) {
        if client.is_empty() || client.len() > 64 || cohort >= 100 {
            return;
        }
        if let Ok(mut map) = self.clients.lock() {
            map.retain(|(a, v), _| a != app || *v == version);
            let seen = map.entry((app.to_owned(), version)).or_default();
            if seen.len() < 100_000 || seen.contains_key(client) {
                seen.insert(client.to_owned(), cohort);
            }
        }
    }

    /// The cohorts of the clients seen fetching `version` of `app`.
    pub fn clients(&self, app: &str, version: i64) -> Vec<u8> {
        self.clients
            .lock()
            .ok()
            .and_then(|map| {
                map.get(&(app.to_owned(), version))
                    .map(|m| m.values().copied().collect())
            })
            .unwrap_or_default()
    }

    /// What is served for `app`, if anything.
    pub fn served(&self, app: &str) -> Option<Served> {
        self.served.read().ok()?.get(app).cloned()
    }

    /// Recomputes what is served for `app` from the store.
    async fn refresh(&self, store: &Store, app: &str) -> Result<(), StoreError> {
        let Some(latest) = store.manifests(app).await?.into_iter().next() else {
            return Ok(());
        };
        let rollout = store.rollouts().await?.into_iter().find(|r| r.app == app);
        let percentage = latest.ceiling.map(|ceiling| match rollout {
            Some(r) if r.version == latest.version && r.state == "active" => {
                r.percentage.min(ceiling)
            }
            _ => 0,
        });
        let body: Arc<[u8]> = latest.envelope.into_bytes().into();
        let served = Served {
            etag: etag(&body, percentage),
            body,
            rollout: percentage,
            version: latest.version,
        };
        if let Ok(mut map) = self.served.write() {
            map.insert(app.to_owned(), served);
        }
        Ok(())
    }

    /// Verifies and stores an uploaded envelope. `Ok(true)` when it is new,
    /// `Ok(false)` when exactly this manifest was already stored.
    pub async fn upload(&self, store: &Store, app: &str, body: &[u8]) -> Result<bool, Refusal> {
        let Some(trust) = &self.trust else {
            return Err(Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "this server trusts no manifest keys: start it with --manifest-trust KEY",
            ));
        };
        let _writing = self.writing.lock().await;
        let latest = store.manifests(app).await?.into_iter().next();
        let last = latest.as_ref().map(|m| Accepted {
            version: u64::try_from(m.version).unwrap_or(0),
            payload_sha256: m.payload_sha256.clone(),
        });
        let verified = trust.verify(body, app, last.as_ref()).map_err(|e| {
            let status = match e {
                ManifestError::Rollback { .. } | ManifestError::Equivocation(_) => {
                    StatusCode::CONFLICT
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            Refusal::new(status, e.to_string())
        })?;
        let manifest = verified.manifest();
        if verified.expired(time::OffsetDateTime::now_utc()) {
            return Err(Refusal::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("manifest expired at {}", manifest.expires_at),
            ));
        }
        if last.as_ref() == Some(verified.accepted()) {
            return Ok(false);
        }
        let text = std::str::from_utf8(body)
            .map_err(|_| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, "envelope is not UTF-8"))?;
        let inserted = store
            .insert_manifest(&StoredManifest {
                app: app.to_owned(),
                version: i64::try_from(manifest.version).map_err(|_| {
                    Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, "version is too large")
                })?,
                envelope: text.to_owned(),
                payload_sha256: verified.accepted().payload_sha256.clone(),
                issued_at: manifest.issued_at.unix_timestamp(),
                expires_at: manifest.expires_at.unix_timestamp(),
                ceiling: manifest.candidate.as_ref().map(|c| i64::from(c.percentage)),
                uploaded_at: now(),
            })
            .await?;
        if !inserted {
            // Another server stored this version first: same content or not?
            let stored = store.manifests(app).await?;
            let same = stored.iter().any(|m| {
                u64::try_from(m.version) == Ok(manifest.version)
                    && m.payload_sha256 == verified.accepted().payload_sha256
            });
            if !same {
                return Err(Refusal::new(
                    StatusCode::CONFLICT,
                    ManifestError::Equivocation(manifest.version).to_string(),
                ));
            }
        }
        self.refresh(store, app).await?;
        Ok(inserted)
    }

    /// Starts, advances or halts the rollout of the latest manifest's
    /// candidate pin sets, recording the event.
    pub async fn rollout(
        &self,
        store: &Store,
        app: &str,
        action: &str,
        percentage: Option<u8>,
        reason: &str,
    ) -> Result<RolloutState, Refusal> {
        let unprocessable = |d: String| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, d);
        let _writing = self.writing.lock().await;
        let Some(latest) = store.manifests(app).await?.into_iter().next() else {
            return Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("no manifest for app {app:?}"),
            ));
        };
        let Some(ceiling) = latest.ceiling else {
            return Err(unprocessable(format!(
                "{app} version {} has no candidate pin sets to roll out",
                latest.version
            )));
        };
        let current = store
            .rollouts()
            .await?
            .into_iter()
            .find(|r| r.app == app && r.version == latest.version);
        let wanted = percentage.map(i64::from);
        let (new_percentage, state) = match action {
            "start" => {
                let p = wanted.ok_or_else(|| unprocessable("start needs a percentage".into()))?;
                if let Some(c) = current.as_ref().filter(|c| c.state == "active") {
                    return Err(Refusal::new(
                        StatusCode::CONFLICT,
                        format!(
                            "the rollout of version {} is already active at {}%: advance or halt it",
                            c.version, c.percentage
                        ),
                    ));
                }
                (p, "active")
            }
            "advance" => {
                let p = wanted.ok_or_else(|| unprocessable("advance needs a percentage".into()))?;
                let Some(c) = current.as_ref().filter(|c| c.state == "active") else {
                    return Err(Refusal::new(
                        StatusCode::CONFLICT,
                        format!(
                            "no active rollout of {app} version {}: start one",
                            latest.version
                        ),
                    ));
                };
                if p <= c.percentage {
                    return Err(unprocessable(format!(
                        "advance to {p}% from {}%: a rollout only grows; halt it to go back",
                        c.percentage
                    )));
                }
                (p, "active")
            }
            "halt" => (0, "halted"),
            other => {
                return Err(unprocessable(format!(
                    "action {other:?}: use start, advance or halt"
                )));
            }
        };
        if new_percentage > ceiling {
            return Err(unprocessable(format!(
                "{new_percentage}% is above the {ceiling}% the manifest's signers allow"
            )));
        }
        let at = now();
        let state = RolloutState {
            app: app.to_owned(),
            version: latest.version,
            percentage: new_percentage,
            state: state.into(),
            updated_at: at,
        };
        let event = RolloutEvent {
            at,
            version: latest.version,
            action: action.into(),
            percentage: new_percentage,
            reason: reason.into(),
        };
        store.set_rollout(&state, &event).await?;
        self.refresh(store, app).await?;
        Ok(state)
    }
}
