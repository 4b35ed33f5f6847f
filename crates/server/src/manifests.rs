//! The manifest service: verified uploads, what `GET /v1/manifests/{app}`
//! serves (kept in memory, so serving never waits on the database), and
//! staged rollouts.
//!
//! Replicas on one PostgreSQL database are one service: the database is the
//! truth, each replica's served map a cache. A change made on any replica
//! is announced with NOTIFY and every replica reloads that app at once; a
//! reconciliation every few seconds reloads everything anyway, in case a
//! notification was missed. Rollout changes are compare-and-set on the
//! rollout's revision, so two replicas can't both decide from the same
//! state: a halt that commits after an advance is the final word.
//!
//! A manifest's candidate percentage is signed: it is the most the signer
//! allows. The server serves the envelope unchanged and says how far the
//! rollout has got in a `Pinwarden-Rollout-Percentage` header (0 until a
//! rollout starts, 0 again when halted); clients use the lower of the two.
//! The header can only move clients between two pin-set lists that were both
//! signed, so it needs no signature of its own, and halting a bad rollout
//! needs no signing key.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::http::StatusCode;
use pinwarden_manifest::{Accepted, Error as ManifestError, TrustSet};
use sha2::{Digest as _, Sha256};

use crate::store::{RolloutEvent, RolloutState, SeenClient, Store, StoreError, StoredManifest};

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
    /// Uploads and rollout changes from this process, one at a time (the
    /// database's compare-and-set orders them across replicas).
    writing: tokio::sync::Mutex<()>,
    /// Clients seen fetching manifests since the last flush to the store.
    seen: std::sync::Mutex<Seen>,
}

/// Clients waiting to be written, each once.
#[derive(Debug, Default)]
struct Seen {
    clients: Vec<SeenClient>,
    keys: HashSet<(String, i64, String)>,
}

/// At most this many clients wait between flushes (a flood is dropped, not
/// buffered: the store caps each source anyway).
const MAX_PENDING_CLIENTS: usize = 100_000;

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
            seen: std::sync::Mutex::new(Seen::default()),
        };
        this.reload(store).await?;
        Ok(this)
    }

    /// Notes a pinwarden client (its pseudonymous id and cohort) fetching
    /// `version` of `app` from network `source`, for the rollout guard;
    /// written to the store by [`Manifests::flush_clients`].
    pub fn note_client(&self, app: &str, version: i64, client: &str, cohort: u8, source: &str) {
        if client.is_empty() || client.len() > 64 || cohort >= 100 {
            return;
        }
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        if seen.clients.len() >= MAX_PENDING_CLIENTS {
            return;
        }
        if seen
            .keys
            .insert((app.to_owned(), version, client.to_owned()))
        {
            seen.clients.push(SeenClient {
                app: app.to_owned(),
                version,
                client: client.to_owned(),
                cohort: i64::from(cohort),
                source: source.to_owned(),
                seen_at: now(),
            });
        }
    }

    /// Writes the clients seen since the last flush; a source adds at most
    /// `per_source` clients to a version.
    pub async fn flush_clients(&self, store: &Store, per_source: i64) -> Result<(), StoreError> {
        let clients = match self.seen.lock() {
            Ok(mut seen) => {
                seen.keys.clear();
                std::mem::take(&mut seen.clients)
            }
            Err(_) => return Ok(()),
        };
        if clients.is_empty() {
            return Ok(());
        }
        store.note_clients(&clients, per_source).await
    }

    /// What is served for `app`, if anything.
    pub fn served(&self, app: &str) -> Option<Served> {
        self.served.read().ok()?.get(app).cloned()
    }

    fn serve(latest: StoredManifest, rollout: Option<&RolloutState>) -> Served {
        let percentage = latest.ceiling.map(|ceiling| match rollout {
            Some(r) if r.version == latest.version && r.state == "active" => {
                r.percentage.min(ceiling)
            }
            _ => 0,
        });
        let body: Arc<[u8]> = latest.envelope.into_bytes().into();
        Served {
            etag: etag(&body, percentage),
            body,
            rollout: percentage,
            version: latest.version,
        }
    }

    /// Recomputes what is served for `app` from the store.
    pub async fn refresh(&self, store: &Store, app: &str) -> Result<(), StoreError> {
        let Some(latest) = store.manifests(app).await?.into_iter().next() else {
            return Ok(());
        };
        let rollouts = store.rollouts().await?;
        let served = Self::serve(latest, rollouts.iter().find(|r| r.app == app));
        if let Ok(mut map) = self.served.write() {
            map.insert(app.to_owned(), served);
        }
        Ok(())
    }

    /// Recomputes what is served for every app, in two queries.
    pub async fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let latest = store.latest_manifests().await?;
        let rollouts = store.rollouts().await?;
        let map: HashMap<String, Served> = latest
            .into_iter()
            .map(|m| {
                let app = m.app.clone();
                let rollout = rollouts.iter().find(|r| r.app == app);
                (app, Self::serve(m, rollout))
            })
            .collect();
        if let Ok(mut served) = self.served.write() {
            *served = map;
        }
        Ok(())
    }

    /// Keeps this replica's served map in step with the database: reloads
    /// an app when another replica announces a change (PostgreSQL
    /// LISTEN/NOTIFY), everything every `reconcile`, and flushes the clients
    /// seen every second (`per_source` at most per source and version).
    pub fn spawn_sync(self: &Arc<Self>, store: Store, reconcile: Duration, per_source: i64) {
        let this = Arc::clone(self);
        let listening = store.clone();
        tokio::spawn(async move {
            loop {
                match listening.listen_changes().await {
                    Ok(Some(mut listener)) => {
                        // Anything missed while not listening.
                        let _ = this.reload(&listening).await;
                        while let Ok(n) = listener.recv().await {
                            if let Err(e) = this.refresh(&listening, n.payload()).await {
                                eprintln!("pinwarden: reloading {}: {e}", n.payload());
                            }
                        }
                        eprintln!("pinwarden: the change notifications stopped; listening again");
                    }
                    Ok(None) => return,
                    Err(e) => eprintln!("pinwarden: listening for changes: {e}"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut last_reload = tokio::time::Instant::now();
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if let Err(e) = this.flush_clients(&store, per_source).await {
                    eprintln!("pinwarden: recording manifest clients: {e}");
                }
                if last_reload.elapsed() >= reconcile {
                    last_reload = tokio::time::Instant::now();
                    if let Err(e) = this.reload(&store).await {
                        eprintln!("pinwarden: reloading manifests: {e}");
                    }
                }
            }
        });
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
        store.notify_change(app).await?;
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
        let _writing = self.writing.lock().await;
        // Decided on what the database holds; when another replica changed
        // it in between, decided again on what it holds then.
        for _ in 0..MAX_ATTEMPTS {
            let (state, expected) = decide(store, app, action, percentage.map(i64::from)).await?;
            if self.commit(store, &state, action, reason, expected).await? {
                return Ok(state);
            }
        }
        Err(Refusal::new(
            StatusCode::CONFLICT,
            format!("the rollout of {app} kept changing under this request; try again"),
        ))
    }

    /// Halts the rollout only if it is still at `revision` (the guard's
    /// check saw that one). `Ok(None)` when it changed meanwhile — another
    /// replica's guard halted it, say — so a step is halted once, with one
    /// event and one webhook.
    pub async fn halt_if_unchanged(
        &self,
        store: &Store,
        app: &str,
        revision: i64,
        reason: &str,
    ) -> Result<Option<RolloutState>, Refusal> {
        let _writing = self.writing.lock().await;
        let (state, expected) = decide(store, app, "halt", None).await?;
        if expected != Some(revision) {
            return Ok(None);
        }
        Ok(self
            .commit(store, &state, "halt", reason, expected)
            .await?
            .then_some(state))
    }

    async fn commit(
        &self,
        store: &Store,
        state: &RolloutState,
        action: &str,
        reason: &str,
        expected: Option<i64>,
    ) -> Result<bool, Refusal> {
        let event = RolloutEvent {
            at: state.updated_at,
            version: state.version,
            action: action.into(),
            percentage: state.percentage,
            reason: reason.into(),
        };
        if !store.set_rollout(state, &event, expected).await? {
            return Ok(false);
        }
        self.refresh(store, &state.app).await?;
        store.notify_change(&state.app).await?;
        Ok(true)
    }
}

/// Attempts at a rollout change before giving up under contention.
const MAX_ATTEMPTS: usize = 16;

/// The rollout state `action` leads to from what the store holds now, and
/// the revision it must still be at.
async fn decide(
    store: &Store,
    app: &str,
    action: &str,
    wanted: Option<i64>,
) -> Result<(RolloutState, Option<i64>), Refusal> {
    let unprocessable = |d: String| Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, d);
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
    let row = store.rollouts().await?.into_iter().find(|r| r.app == app);
    let current = row.as_ref().filter(|r| r.version == latest.version);
    let (new_percentage, state) = match action {
        "start" => {
            let p = wanted.ok_or_else(|| unprocessable("start needs a percentage".into()))?;
            if let Some(c) = current.filter(|c| c.state == "active") {
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
            let Some(c) = current.filter(|c| c.state == "active") else {
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
    let expected = row.as_ref().map(|r| r.revision);
    Ok((
        RolloutState {
            app: app.to_owned(),
            version: latest.version,
            percentage: new_percentage,
            state: state.into(),
            updated_at: now(),
            revision: expected.map_or(1, |r| r + 1),
        },
        expected,
    ))
}
