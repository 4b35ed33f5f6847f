//! The pin-aware CT monitor.
//!
//! One round per log: fetch the signed tree head and check its signature;
//! check it is consistent with the last verified head; download the new
//! entries in batches (in parallel, bounded per log, within a request
//! budget); hash, decode and match them off the async threads; append
//! their hashes in order to the compact range; and once the range reaches
//! the head's size, compare roots. Only then do the round's matches become
//! alerts and go to the sinks. The state is saved along the way (a file
//! replaced atomically, or a database row under a lease: [`StateStore`]),
//! so a kill at any moment resumes without a gap or a repeat.

pub mod alert;
mod api;
mod download;
pub mod evaluate;
pub mod notify;
pub mod policy;
pub mod scan;
pub mod state;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use futures_util::StreamExt as _;
use pinwarden_core::SpkiPin;

pub use api::LogApi;
pub use download::{Budget, Retry};

use crate::client::ClientError;
use crate::loglist::Log;
use crate::merkle::{CompactRange, Hash, verify_consistency};
use crate::watch::Watchlist;
use alert::{Alert, Finding, Verdict};
use evaluate::{CaaCheck, Candidate, Expectations};
use notify::Sink;
pub use state::{FileStore, LogState, StateError, StateStore, create_private_dir, log_key};

/// Monitor settings.
#[derive(Clone, Debug)]
pub struct MonitorConfig {
    /// Where per-log state files live (the default [`FileStore`]).
    pub state_dir: PathBuf,
    /// Entries per `get-entries` request.
    pub batch_size: u64,
    /// Requests in flight per log.
    pub parallel: usize,
    /// Requests per second per log (`None`: unlimited).
    pub requests_per_second: Option<f64>,
    /// Retry policy.
    pub retry: Retry,
    /// Save progress at least this often while catching up.
    pub save_every: Duration,
}

impl MonitorConfig {
    /// Defaults: 256-entry batches, 4 in flight, 20 requests a second.
    pub fn new(state_dir: PathBuf) -> Self {
        Self {
            state_dir,
            batch_size: 256,
            parallel: 4,
            requests_per_second: Some(20.0),
            retry: Retry::default(),
            save_every: Duration::from_secs(2),
        }
    }
}

/// Why a round stopped.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The state can't be read or written.
    #[error(transparent)]
    State(#[from] StateError),
    /// The log didn't answer usefully.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The log's tree head is not acceptable.
    #[error("{log}: {reason}")]
    BadTreeHead {
        /// The log.
        log: String,
        /// Why.
        reason: String,
    },
    /// The log's entries or heads contradict each other: a fork or a bug.
    #[error("{log}: MISBEHAVIOUR: {reason}")]
    Inconsistent {
        /// The log.
        log: String,
        /// What contradicts what.
        reason: String,
    },
    /// The log can't be monitored by this version.
    #[error("{log}: {reason}")]
    Unsupported {
        /// The log.
        log: String,
        /// Why.
        reason: String,
    },
}

/// A log to monitor and its client.
#[derive(Clone, Debug)]
pub struct LogSource {
    /// From the log list.
    pub log: Log,
    /// Its client: RFC 6962 or static-ct-api.
    pub client: LogApi,
}

impl LogSource {
    /// A source for a log of the list, RFC 6962 or static-ct-api.
    pub fn new(log: Log) -> Result<Self, MonitorError> {
        let client = LogApi::for_log(&log)?;
        Ok(Self { log, client })
    }
}

/// Where monitoring of one log stands.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Coverage {
    /// The log's description.
    pub log: String,
    /// Its URL.
    pub url: String,
    /// Its id, base64.
    pub log_id: String,
    /// Entries covered by a verified tree head.
    pub verified_size: u64,
    /// Entries downloaded and matched (≥ verified size).
    pub position: u64,
    /// The newest signature-checked tree head's size.
    pub sth_size: Option<u64>,
    /// Its age in seconds, from its timestamp.
    pub sth_age_seconds: Option<i64>,
    /// Entries below the newest head not yet verified: [from, to).
    pub gaps: Vec<(u64, u64)>,
    /// Entries that couldn't be decoded (still hashed and verified).
    pub malformed: usize,
    /// Alerts found but not yet verified.
    pub pending_alerts: usize,
    /// Alerts verified but not yet delivered everywhere.
    pub undelivered_alerts: usize,
    /// The last error, if the last round failed.
    pub last_error: Option<String>,
}

/// Told how catching up goes, for a progress bar.
pub trait Progress: Send + Sync {
    /// Catching up `log` from `from` to `to` entries.
    fn start(&self, log: &str, from: u64, to: u64);
    /// Now at `position`.
    fn advance(&self, log: &str, position: u64);
    /// Done with this round.
    fn finish(&self, log: &str);
}

/// Called after each round of [`Monitor::watch`].
pub type OnRound = Arc<dyn Fn(&LogSource, &Result<RoundOutcome, MonitorError>) + Send + Sync>;

/// What the monitor delivered in a round.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RoundOutcome {
    /// Entries newly verified.
    pub entries: u64,
    /// Alerts delivered.
    pub alerts: Vec<Alert>,
}

/// The monitor.
pub struct Monitor {
    config: MonitorConfig,
    state: Arc<dyn StateStore>,
    watchlist: Arc<Watchlist>,
    expectations: Arc<Expectations>,
    caa: Option<Arc<dyn CaaCheck>>,
    sinks: Vec<Arc<dyn Sink>>,
    progress: Option<Arc<dyn Progress>>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("config", &self.config)
            .field("state", &self.state)
            .field("watchlist", &self.watchlist.len())
            .field(
                "sinks",
                &self.sinks.iter().map(|s| s.name()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Monitor {
    /// A monitor keeping state in files under `config.state_dir`; sinks,
    /// CAA, progress and another state store are added with the builders.
    pub fn new(config: MonitorConfig, watchlist: Watchlist, expectations: Expectations) -> Self {
        Self {
            state: Arc::new(FileStore::new(config.state_dir.clone())),
            config,
            watchlist: Arc::new(watchlist),
            expectations: Arc::new(expectations),
            caa: None,
            sinks: Vec::new(),
            progress: None,
        }
    }

    /// Adds a sink.
    pub fn with_sink(mut self, sink: Arc<dyn Sink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Checks matched names' CAA with `caa`.
    pub fn with_caa(mut self, caa: Arc<dyn CaaCheck>) -> Self {
        self.caa = Some(caa);
        self
    }

    /// Reports catch-up progress.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Keeps state in `store` instead of files under `config.state_dir`.
    pub fn with_state_store(mut self, store: Arc<dyn StateStore>) -> Self {
        self.state = store;
        self
    }

    async fn load(
        &self,
        source: &LogSource,
        store: &dyn StateStore,
    ) -> Result<LogState, MonitorError> {
        let log_id = STANDARD.encode(source.log.log_id);
        let state = store
            .load(&source.log.log_id)
            .await?
            .unwrap_or_else(|| LogState::new(&source.log.log_id, source.client.url()));
        if state.log_id != log_id {
            return Err(StateError::Corrupt {
                log: log_id,
                reason: format!("it belongs to another log ({})", state.log_id),
            }
            .into());
        }
        Ok(state)
    }

    /// The coverage report for a log, from its saved state.
    pub async fn coverage(&self, source: &LogSource) -> Result<Coverage, MonitorError> {
        let state = self.load(source, &*self.state).await?;
        Ok(Coverage::of(&source.log, &state))
    }

    /// One round for one log: catch up to its newest tree head, verify,
    /// deliver. A failure is recorded in the state (and the coverage).
    pub async fn round(&self, source: &LogSource) -> Result<RoundOutcome, MonitorError> {
        let store = self.state.clone();
        self.round_with(source, &*store).await
    }

    /// A round whose state is read from and saved to `store` rather than
    /// the monitor's own: a replica's lease on the log, say, which stops
    /// every save (and delivery) once the lease has passed to another.
    pub async fn round_with(
        &self,
        source: &LogSource,
        store: &dyn StateStore,
    ) -> Result<RoundOutcome, MonitorError> {
        let mut state = self.load(source, store).await?;
        let result = self.round_inner(source, &mut state, store).await;
        // A round that went well but left alerts undelivered still says why.
        state.last_error = match &result {
            Err(e) => Some(e.to_string()),
            Ok(_) => state.delivery_error.clone(),
        };
        store.save(&source.log.log_id, &state).await?;
        result
    }

    async fn round_inner(
        &self,
        source: &LogSource,
        state: &mut LogState,
        store: &dyn StateStore,
    ) -> Result<RoundOutcome, MonitorError> {
        let log_id = &source.log.log_id;
        let name = source.log.description.clone();
        let mut outcome = RoundOutcome::default();
        // Alerts verified before a crash go out first.
        outcome
            .alerts
            .extend(self.deliver(state, store, log_id).await?);

        // A tiled log's checkpoint is verified as it is read; the head it
        // yields carries the same signature, so this check holds for both.
        let sth = source
            .client
            .tree_head(&source.log, self.config.retry)
            .await?;
        sth.verify(&source.log.key)
            .map_err(|e| MonitorError::BadTreeHead {
                log: name.clone(),
                reason: e.to_string(),
            })?;
        let root = sth.root().map_err(|e| MonitorError::BadTreeHead {
            log: name.clone(),
            reason: e.to_string(),
        })?;
        state.sth_fetched_at = Some(time::OffsetDateTime::now_utc().unix_timestamp());

        let verified_size = state.verified.as_ref().map_or(0, |v| v.tree_size);
        if let Some(verified) = &state.verified {
            let old_root = verified.root().map_err(|e| MonitorError::BadTreeHead {
                log: name.clone(),
                reason: e.to_string(),
            })?;
            if sth.tree_size == verified.tree_size && root != old_root {
                return Err(MonitorError::Inconsistent {
                    log: name,
                    reason: format!(
                        "two signed tree heads of size {} with different roots",
                        sth.tree_size
                    ),
                });
            }
            // A tiled log serves no consistency proofs, and none is needed:
            // its new entries are appended to the compact range of the
            // verified ones, so a rebuilt root equal to the new head's
            // proves the new tree extends the verified tree (a fork fails
            // the root comparison below and rolls back to the verified head).
            if let LogApi::Rfc6962(client) = &source.client
                && sth.tree_size > verified.tree_size
                && verified.tree_size > 0
            {
                let proof = download::with_retry(&Budget::new(None), self.config.retry, || {
                    client.get_sth_consistency(verified.tree_size, sth.tree_size)
                })
                .await?;
                verify_consistency(verified.tree_size, sth.tree_size, &old_root, &root, &proof)
                    .map_err(|e| MonitorError::Inconsistent {
                        log: name.clone(),
                        reason: format!(
                            "tree head {} is not consistent with verified head {}: {e}",
                            sth.tree_size, verified.tree_size
                        ),
                    })?;
            }
        }
        // Catch up to the larger of the saved target and this head.
        let target = match state.target.take() {
            Some(t) if t.tree_size >= sth.tree_size => t,
            _ => sth,
        };
        if target.tree_size < verified_size {
            // A stale head from a lagging frontend: nothing to do.
            return Ok(outcome);
        }
        state.target = Some(target.clone());
        let target_root = target.root().map_err(|e| MonitorError::BadTreeHead {
            log: name.clone(),
            reason: e.to_string(),
        })?;

        let mut range = state
            .compact_range()
            .map_err(|reason| StateError::Corrupt {
                log: state.log_id.clone(),
                reason,
            })?;
        let start = range.size();
        if start > target.tree_size {
            return Err(MonitorError::Inconsistent {
                log: name,
                reason: format!(
                    "downloaded {start} entries but the newest tree head has {}",
                    target.tree_size
                ),
            });
        }
        if let Some(p) = &self.progress {
            p.start(&name, start, target.tree_size);
        }
        self.download(source, state, &mut range, target.tree_size, store)
            .await?;
        if let Some(p) = &self.progress {
            p.finish(&name);
        }

        if range.root() != target_root {
            // The entries don't make the signed tree: forget everything
            // since the last verified head and say so loudly.
            state.position = verified_size;
            state.range = state.verified_range.clone();
            state.pending.clear();
            return Err(MonitorError::Inconsistent {
                log: name,
                reason: format!(
                    "entries 0..{} don't hash to the root of the log's signed tree head of that size; \
                     the log is presenting a forked or corrupt tree (entries after {verified_size} discarded)",
                    target.tree_size
                ),
            });
        }
        outcome.entries = target.tree_size - verified_size;
        let mut pending = std::mem::take(&mut state.pending);
        for alert in &mut pending {
            alert.verified_tree_size = target.tree_size;
        }
        self.check_caa(&mut pending).await;
        state.ready.extend(pending);
        state.verified = Some(target);
        state.verified_range = state.range.clone();
        state.target = None;
        store.save(log_id, state).await?;
        outcome
            .alerts
            .extend(self.deliver(state, store, log_id).await?);
        Ok(outcome)
    }

    async fn download(
        &self,
        source: &LogSource,
        state: &mut LogState,
        range: &mut CompactRange,
        end: u64,
        store: &dyn StateStore,
    ) -> Result<(), MonitorError> {
        let budget = Arc::new(Budget::new(self.config.requests_per_second));
        let batch = self.config.batch_size.max(1);
        let chunks = source.client.chunks(range.size(), end, batch);
        let retry = self.config.retry;
        let mut results = futures_util::stream::iter(chunks)
            .map(|(s, e)| {
                let client = source.client.clone();
                let budget = budget.clone();
                let watchlist = self.watchlist.clone();
                async move {
                    let entries = download::fetch_range(&client, &budget, retry, s, e).await?;
                    let scanned =
                        tokio::task::spawn_blocking(move || scan::scan(s, &entries, &watchlist))
                            .await
                            .map_err(|e| ClientError::Decode {
                                url: client.url().to_owned(),
                                reason: format!("scanning entries {s}..={e}: {e}"),
                            })?;
                    Ok::<_, ClientError>((s, scanned))
                }
            })
            .buffered(self.config.parallel.max(1));
        let mut last_save = Instant::now();
        let log_id = URL_SAFE_NO_PAD.encode(source.log.log_id);
        while let Some(result) = results.next().await {
            let (s, scanned) = match result {
                Ok(r) => r,
                Err(e) => {
                    state.set_range(range);
                    store.save(&source.log.log_id, state).await?;
                    return Err(e.into());
                }
            };
            debug_assert_eq!(s, range.size());
            for hash in &scanned.leaf_hashes {
                range.append(*hash);
            }
            for m in scanned.matches {
                state.pending.push(self.alert(source, &log_id, m));
            }
            for (index, reason) in scanned.malformed {
                if state.malformed.len() < 1000 {
                    state.malformed.push((index, reason));
                }
            }
            state.set_range(range);
            if let Some(p) = &self.progress {
                p.advance(&source.log.description, range.size());
            }
            if last_save.elapsed() >= self.config.save_every {
                store.save(&source.log.log_id, state).await?;
                last_save = Instant::now();
            }
        }
        store.save(&source.log.log_id, state).await?;
        Ok(())
    }

    fn alert(&self, source: &LogSource, log_id: &str, m: scan::Matched) -> Alert {
        let leaf = SpkiPin::from_spki_der(&m.info.spki);
        let findings = self.expectations.evaluate(&Candidate {
            names: &m.info.names,
            leaf,
            chain: &m.chain,
            issuer_dn: &m.info.issuer,
        });
        let issuer_ca = self.expectations.issuer_of(&m.chain).map(|k| k.ca.clone());
        let verdict = findings
            .iter()
            .map(|f| f.verdict)
            .max()
            .unwrap_or(Verdict::Discovered);
        Alert {
            id: format!("{log_id}:{}", m.index),
            event: "discovered_cert".to_owned(),
            verdict,
            findings,
            watch_item: m.watch_item,
            log_uri: source.client.url().to_owned(),
            log_id: STANDARD.encode(source.log.log_id),
            entry_index: m.index,
            entry_type: m.kind,
            timestamp: m.timestamp,
            cert_sha256: m.cert_sha256,
            tbs_sha256: m.tbs_sha256,
            pubkey_sha256: crate::cert::hex(leaf.as_bytes()),
            pin: format!("sha256/{}", leaf.to_base64()),
            chain_pins: m
                .chain
                .iter()
                .map(|p| format!("sha256/{}", p.to_base64()))
                .collect(),
            names: m.info.names,
            subject_dn: m.info.subject,
            issuer_dn: m.info.issuer,
            issuer_ca,
            serial: m.info.serial,
            not_before: m.info.not_before,
            not_after: m.info.not_after,
            verified_tree_size: 0,
        }
    }

    /// Adds `caa-violation` findings; a failed lookup is a finding too
    /// (it can't be ruled out), never silently "permitted".
    async fn check_caa(&self, alerts: &mut [Alert]) {
        let Some(caa) = &self.caa else { return };
        for alert in alerts {
            let chain: Vec<SpkiPin> = alert
                .chain_pins
                .iter()
                .filter_map(|p| p.parse().ok())
                .collect();
            let ids = self
                .expectations
                .issuer_of(&chain)
                .map(|k| k.caa.clone())
                .unwrap_or_default();
            for name in alert.names.clone() {
                if self.watchlist.matches(&name).is_none() {
                    continue;
                }
                // The CaaCheck caches lookups; asking again per alert is cheap.
                let detail = match caa.violation(&name, &ids).await {
                    Ok(None) => continue,
                    Ok(Some(reason)) => reason,
                    Err(e) => format!("CAA for {name} could not be checked: {e}"),
                };
                alert.findings.push(Finding {
                    verdict: Verdict::CaaViolation,
                    pinset: None,
                    apps: Vec::new(),
                    detail,
                });
                alert.verdict = alert.verdict.max(Verdict::CaaViolation);
            }
        }
    }

    /// Delivers ready alerts to every sink that hasn't had them, saving
    /// which sink has which after each alert.
    async fn deliver(
        &self,
        state: &mut LogState,
        store: &dyn StateStore,
        log_id: &Hash,
    ) -> Result<Vec<Alert>, MonitorError> {
        let mut done = Vec::new();
        let mut failed = None;
        let mut ready = std::mem::take(&mut state.ready).into_iter();
        while let Some(alert) = ready.next() {
            // A process that lost the log hands nothing more to the sinks:
            // the one that holds it now delivers from the saved state.
            if let Err(e) = store.check(log_id) {
                state.ready.push(alert);
                state.ready.extend(ready);
                return Err(e.into());
            }
            let mut complete = true;
            for sink in &self.sinks {
                let name = sink.name();
                let delivered = state.delivered.entry(alert.id.clone()).or_default();
                if delivered.contains(&name) {
                    continue;
                }
                match sink.deliver(&alert).await {
                    Ok(()) => delivered.push(name),
                    Err(e) => {
                        complete = false;
                        failed = Some(format!("delivering {} to {name}: {e}", alert.id));
                    }
                }
            }
            if complete {
                state.delivered.remove(&alert.id);
                done.push(alert);
            } else {
                state.ready.push(alert);
            }
            store.save(log_id, state).await?;
        }
        state.delivery_error = failed;
        Ok(done)
    }

    /// Rounds for every log until `stop` resolves, one task per log, each
    /// repeating every `interval`. Errors are recorded in the state and
    /// reported through `on_error`; the loop goes on.
    pub async fn watch(
        self: Arc<Self>,
        sources: Vec<LogSource>,
        interval: Duration,
        on_round: OnRound,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut tasks = Vec::new();
        for source in sources {
            let monitor = self.clone();
            let on_round = on_round.clone();
            let mut stop = stop.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    let result = tokio::select! {
                        r = monitor.round(&source) => r,
                        _ = stop.wait_for(|s| *s) => return,
                    };
                    on_round(&source, &result);
                    tokio::select! {
                        () = tokio::time::sleep(interval) => {}
                        _ = stop.wait_for(|s| *s) => return,
                    }
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    }
}

impl Coverage {
    /// Where monitoring of `log` stands, from its saved state.
    pub fn of(log: &Log, state: &LogState) -> Self {
        coverage_of(log, state)
    }
}

fn coverage_of(log: &Log, state: &LogState) -> Coverage {
    let verified_size = state.verified.as_ref().map_or(0, |v| v.tree_size);
    let newest = state.target.as_ref().or(state.verified.as_ref());
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let sth_size = newest.map(|h| h.tree_size);
    let gaps = match sth_size {
        Some(size) if size > verified_size => vec![(verified_size, size)],
        _ => Vec::new(),
    };
    Coverage {
        log: log.description.clone(),
        url: state.url.clone(),
        log_id: state.log_id.clone(),
        verified_size,
        position: state.position,
        sth_size,
        sth_age_seconds: newest.map(|h| (now_ms - h.timestamp as i64) / 1000),
        gaps,
        malformed: state.malformed.len(),
        pending_alerts: state.pending.len(),
        undelivered_alerts: state.ready.len(),
        last_error: state.last_error.clone(),
    }
}
