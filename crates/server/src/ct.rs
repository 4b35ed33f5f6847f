//! The CT monitor under `pinwarden serve`: a sink that stores alerts, the
//! latest coverage per log, the API the CT page and scripts read, and, on
//! PostgreSQL, the leases that give each log to one replica at a time.
//!
//! On SQLite one process monitors every log and keeps its state in files
//! (`--ct-state-dir`). On PostgreSQL any number of replicas share the logs:
//!
//! ```text
//! every period/3:  ct_leases ==> renew held ==> take expired ==> a round task per held log
//! round task:      ct_state ==> round ==> save (fenced: owner, epoch, unexpired, version) ==> sleep
//! every 2 s:       ct_state versions ==> re-read the changed ==> coverage for the page
//! ```
//!
//! A replica that dies stops renewing; its leases expire within one lease
//! period, and a replica waiting for one wakes at its expiry and takes it,
//! with the state the dead one last saved: nothing found is lost, nothing
//! delivered is delivered again (exactly once into the store; at least
//! once to a hook or webhook, whose delivery and save can't be one
//! transaction).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use pinwarden_ct::monitor::alert::Alert;
use pinwarden_ct::monitor::notify::{BoxFuture, Sink};
use pinwarden_ct::monitor::{
    Coverage, LogSource, LogState, Monitor, MonitorError, OnRound, StateError, StateStore, log_key,
};

use crate::input::ApiQuery;
use crate::store::{CtFence, FencedWrite};
use crate::{AppState, Store, problem};

/// How often a replica re-reads the coverage of every log.
const COVERAGE_REFRESH: Duration = Duration::from_secs(2);

/// What the monitor task shares with the pages.
#[derive(Debug, Default)]
pub struct CtStatus {
    coverage: RwLock<Vec<Coverage>>,
}

impl CtStatus {
    /// Records a log's coverage after a round (replacing the last one).
    pub fn update(&self, coverage: Coverage) {
        let mut all = self.coverage.write().unwrap_or_else(|e| e.into_inner());
        match all.iter_mut().find(|c| c.log_id == coverage.log_id) {
            Some(c) => *c = coverage,
            None => all.push(coverage),
        }
    }

    /// Every log's latest coverage.
    pub fn coverage(&self) -> Vec<Coverage> {
        self.coverage
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Stores alerts in the server's database.
#[derive(Debug)]
pub struct StoreSink {
    store: Store,
    leases: Option<Arc<Leases>>,
}

impl StoreSink {
    /// A sink writing to `store`.
    pub fn new(store: Store) -> Arc<Self> {
        Arc::new(Self {
            store,
            leases: None,
        })
    }

    /// A sink writing to `store` only while this replica holds the lease
    /// on the alert's log, checked in the insert's transaction.
    pub fn leased(store: Store, leases: Arc<Leases>) -> Arc<Self> {
        Arc::new(Self {
            store,
            leases: Some(leases),
        })
    }
}

impl Sink for StoreSink {
    fn name(&self) -> String {
        "store".to_owned()
    }

    fn deliver<'a>(&'a self, alert: &'a Alert) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let Some(leases) = &self.leases else {
                return self
                    .store
                    .save_ct_alert(alert, now)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string());
            };
            let lease = leases
                .held(&alert.log_id)
                .ok_or_else(|| format!("log {}: not held by this replica", alert.log_id))?;
            match self
                .store
                .save_ct_alert_fenced(&lease.fence, alert, now)
                .await
                .map_err(|e| e.to_string())?
            {
                FencedWrite::Written => Ok(()),
                FencedWrite::NotHeld | FencedWrite::Stale => {
                    lease.lose();
                    Err(format!(
                        "log {}: the lease passed to another replica",
                        alert.log_id
                    ))
                }
            }
        })
    }
}

/// The lease period for rounds every `interval`: the interval itself,
/// between 5 s and 60 s. A dead replica's logs are taken over within one
/// period, so never later than their next round was due (up to a minute
/// late for intervals over a minute); 5 s leaves the renewals, every third
/// of a period, room for a slow database.
pub fn lease_period(interval: Duration) -> Duration {
    interval.clamp(Duration::from_secs(5), Duration::from_secs(60))
}

/// One lease this replica holds: the state store its rounds of the log use.
/// Every save carries the fence (owner, epoch) and the version it read,
/// checked in the save's transaction; [`StateStore::check`] answers from
/// memory, conservatively (the lease counts as gone from the moment the
/// last renewal was *sent* plus one period, never later than the database
/// frees it).
#[derive(Debug)]
pub struct Lease {
    store: Store,
    log_id: [u8; 32],
    fence: CtFence,
    held_until: Mutex<Instant>,
    lost: AtomicBool,
    /// The state's version this tenure last read or wrote.
    version: Mutex<i64>,
}

impl Lease {
    fn new(store: Store, log_id: [u8; 32], fence: CtFence, held_until: Instant) -> Self {
        Self {
            store,
            log_id,
            fence,
            held_until: Mutex::new(held_until),
            lost: AtomicBool::new(false),
            version: Mutex::new(0),
        }
    }

    /// The fence every write carries.
    pub fn fence(&self) -> &CtFence {
        &self.fence
    }

    fn renewed(&self, until: Instant) {
        *self.held_until.lock().unwrap_or_else(|e| e.into_inner()) = until;
    }

    fn lose(&self) {
        self.lost.store(true, Ordering::SeqCst);
    }

    fn not_held(&self, reason: &str) -> StateError {
        StateError::NotHeld {
            log: self.fence.log_id.clone(),
            reason: reason.to_owned(),
        }
    }

    fn same_log(&self, log_id: &[u8; 32]) -> Result<(), StateError> {
        if *log_id == self.log_id {
            Ok(())
        } else {
            Err(self.not_held("the lease is on another log"))
        }
    }
}

impl StateStore for Lease {
    fn load<'a>(
        &'a self,
        log_id: &'a [u8; 32],
    ) -> BoxFuture<'a, Result<Option<LogState>, StateError>> {
        Box::pin(async move {
            self.same_log(log_id)?;
            let store_error = |e: crate::store::StoreError| StateError::Store {
                log: self.fence.log_id.clone(),
                reason: e.to_string(),
            };
            let Some((version, json)) = self
                .store
                .ct_state(&self.fence.log_id)
                .await
                .map_err(store_error)?
            else {
                *self.version.lock().unwrap_or_else(|e| e.into_inner()) = 0;
                return Ok(None);
            };
            let corrupt = |reason: String| StateError::Corrupt {
                log: self.fence.log_id.clone(),
                reason,
            };
            let state: LogState =
                serde_json::from_str(&json).map_err(|e| corrupt(e.to_string()))?;
            state.compact_range().map_err(corrupt)?;
            *self.version.lock().unwrap_or_else(|e| e.into_inner()) = version;
            Ok(Some(state))
        })
    }

    fn save<'a>(
        &'a self,
        log_id: &'a [u8; 32],
        state: &'a LogState,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        Box::pin(async move {
            self.same_log(log_id)?;
            let store_error = |reason: String| StateError::Store {
                log: self.fence.log_id.clone(),
                reason,
            };
            let json = serde_json::to_string(state).map_err(|e| store_error(e.to_string()))?;
            let version = *self.version.lock().unwrap_or_else(|e| e.into_inner());
            match self
                .store
                .save_ct_state_fenced(&self.fence, version, &json)
                .await
                .map_err(|e| store_error(e.to_string()))?
            {
                FencedWrite::Written => {
                    *self.version.lock().unwrap_or_else(|e| e.into_inner()) = version + 1;
                    Ok(())
                }
                FencedWrite::NotHeld => {
                    self.lose();
                    Err(self.not_held("its lease expired or passed to another replica"))
                }
                FencedWrite::Stale => {
                    self.lose();
                    Err(self.not_held("the state was saved by another meanwhile"))
                }
            }
        })
    }

    fn check(&self, log_id: &[u8; 32]) -> Result<(), StateError> {
        self.same_log(log_id)?;
        if self.lost.load(Ordering::SeqCst) {
            return Err(self.not_held("its lease passed to another replica"));
        }
        if Instant::now() >= *self.held_until.lock().unwrap_or_else(|e| e.into_inner()) {
            return Err(self.not_held("its lease was not renewed in time"));
        }
        Ok(())
    }
}

/// The logs this replica holds, by log id (base64), and how it takes,
/// renews and gives up leases.
#[derive(Debug)]
pub struct Leases {
    store: Store,
    owner: String,
    period: Duration,
    held: RwLock<HashMap<String, Arc<Lease>>>,
}

impl Leases {
    /// Leases of `period` in `store` (PostgreSQL), under a fresh owner id
    /// for this process.
    pub fn new(store: Store, period: Duration) -> Arc<Self> {
        Arc::new(Self {
            store,
            owner: owner_id(),
            period,
            held: RwLock::new(HashMap::new()),
        })
    }

    /// This replica's owner id: `host:pid:random`.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The lease on a log (base64 id) while this replica holds it.
    pub fn held(&self, log_id: &str) -> Option<Arc<Lease>> {
        self.held
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(log_id)
            .cloned()
    }

    fn drop_lease(&self, log_id: &str) -> Option<Arc<Lease>> {
        self.held
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(log_id)
    }

    /// Monitors the logs of `sources` this replica can lease, each in a
    /// round every `interval`, and keeps `status` up to date for every log
    /// (held here or not) until `stop` turns true; then gives its leases up.
    pub async fn run(
        self: Arc<Self>,
        monitor: Arc<Monitor>,
        sources: Vec<LogSource>,
        interval: Duration,
        status: Arc<CtStatus>,
        on_round: OnRound,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let refresher = tokio::spawn(refresh_coverage(
            self.store.clone(),
            sources.clone(),
            status,
        ));
        let sources: HashMap<String, LogSource> = sources
            .into_iter()
            .map(|s| (log_key(&s.log.log_id), s))
            .collect();
        let ids: Vec<String> = sources.keys().cloned().collect();
        let mut rounds: HashMap<String, tokio::task::JoinHandle<()>> = HashMap::new();
        let mut registered = false;
        loop {
            let next = if registered {
                self.tick(&monitor, &sources, interval, &on_round, &mut rounds)
                    .await
            } else {
                match self.store.ct_lease_logs(&ids).await {
                    Ok(()) => {
                        registered = true;
                        Duration::ZERO
                    }
                    Err(e) => {
                        eprintln!("pinwarden serve: CT leases: {e}");
                        self.period / 3
                    }
                }
            };
            tokio::select! {
                () = tokio::time::sleep(next) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
        }
        // Give the leases up first, in one statement and before anything
        // else yields, so it usually beats the server closing the store;
        // if it doesn't, they expire within a period. The rounds still
        // running can't write after this (their fence is gone).
        for lease in self.held.read().unwrap_or_else(|e| e.into_inner()).values() {
            lease.lose();
        }
        let _ = self.store.ct_lease_release_all(&self.owner).await;
        refresher.abort();
        for (log_id, task) in rounds {
            task.abort();
            let _ = task.await;
            self.drop_lease(&log_id);
        }
    }

    /// Renews the held leases, takes the free ones, and says when to come
    /// back: a third of a period, or just after another replica's lease
    /// expires if that is sooner.
    async fn tick(
        &self,
        monitor: &Arc<Monitor>,
        sources: &HashMap<String, LogSource>,
        interval: Duration,
        on_round: &OnRound,
        rounds: &mut HashMap<String, tokio::task::JoinHandle<()>>,
    ) -> Duration {
        // Round tasks stop when a save or delivery found the lease gone:
        // give it up explicitly, so this replica or another takes it with
        // a fresh tenure and reads the state again.
        let finished: Vec<String> = rounds
            .iter()
            .filter(|(_, task)| task.is_finished())
            .map(|(id, _)| id.clone())
            .collect();
        for log_id in finished {
            rounds.remove(&log_id);
            if let Some(lease) = self.drop_lease(&log_id) {
                let _ = self.store.ct_lease_release(&lease.fence).await;
                eprintln!(
                    "pinwarden serve: CT: stopped monitoring {} (lease {})",
                    describe(sources, &log_id),
                    lease.fence.epoch
                );
            }
        }

        let held: Vec<Arc<Lease>> = self
            .held
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for lease in held {
            let sent = Instant::now();
            let renewed = self.store.ct_lease_renew(&lease.fence, self.period).await;
            let gone = match renewed {
                Ok(true) => {
                    lease.renewed(sent + self.period);
                    false
                }
                Ok(false) => true,
                Err(e) => {
                    eprintln!("pinwarden serve: CT: renewing a lease: {e}");
                    lease.check(&lease.log_id).is_err()
                }
            };
            if gone {
                lease.lose();
                if let Some(task) = rounds.remove(&lease.fence.log_id) {
                    task.abort();
                    let _ = task.await;
                }
                self.drop_lease(&lease.fence.log_id);
                eprintln!(
                    "pinwarden serve: CT: lost the lease on {} (lease {})",
                    describe(sources, &lease.fence.log_id),
                    lease.fence.epoch
                );
            }
        }

        let mut next = self.period / 3;
        let leases = match self.store.ct_leases().await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("pinwarden serve: CT leases: {e}");
                return next;
            }
        };
        for row in leases {
            let Some(source) = sources.get(&row.log_id) else {
                continue;
            };
            if self.held(&row.log_id).is_some() {
                continue;
            }
            if row.remaining_ms > 0 {
                // Come back just after it expires, not a third of a period
                // later: a dead replica's logs are taken within one period.
                let wait = Duration::from_millis(row.remaining_ms.unsigned_abs())
                    + Duration::from_millis(20);
                next = next.min(wait);
                continue;
            }
            let sent = Instant::now();
            let fence = match self
                .store
                .ct_lease_acquire(&row.log_id, &self.owner, self.period)
                .await
            {
                Ok(Some(fence)) => fence,
                Ok(None) => continue, // another replica was quicker
                Err(e) => {
                    eprintln!("pinwarden serve: CT: taking a lease: {e}");
                    continue;
                }
            };
            eprintln!(
                "pinwarden serve: CT: monitoring {} (lease {})",
                source.log.description, fence.epoch
            );
            let lease = Arc::new(Lease::new(
                self.store.clone(),
                source.log.log_id,
                fence,
                sent + self.period,
            ));
            self.held
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(row.log_id.clone(), lease.clone());
            rounds.insert(
                row.log_id.clone(),
                tokio::spawn(rounds_under(
                    monitor.clone(),
                    source.clone(),
                    lease,
                    interval,
                    on_round.clone(),
                )),
            );
        }
        next.max(Duration::from_millis(10))
    }
}

/// Rounds of one log, every `interval`, while `lease` holds.
async fn rounds_under(
    monitor: Arc<Monitor>,
    source: LogSource,
    lease: Arc<Lease>,
    interval: Duration,
    on_round: OnRound,
) {
    loop {
        let result = monitor.round_with(&source, &*lease).await;
        let gone = matches!(
            &result,
            Err(MonitorError::State(StateError::NotHeld { .. }))
        ) || lease.check(&source.log.log_id).is_err();
        on_round(&source, &result);
        if gone {
            return;
        }
        tokio::time::sleep(interval).await;
    }
}

/// Keeps every log's coverage in `status` from the states in the database,
/// re-reading a state only when its version changed.
async fn refresh_coverage(store: Store, sources: Vec<LogSource>, status: Arc<CtStatus>) {
    let mut cache: HashMap<String, (i64, LogState)> = HashMap::new();
    let mut failing = false;
    loop {
        let result = async {
            for (log_id, version) in store.ct_state_versions().await? {
                if cache.get(&log_id).is_some_and(|(v, _)| *v == version) {
                    continue;
                }
                if let Some((version, json)) = store.ct_state(&log_id).await?
                    && let Ok(state) = serde_json::from_str::<LogState>(&json)
                {
                    cache.insert(log_id, (version, state));
                }
            }
            Ok::<_, crate::store::StoreError>(())
        }
        .await;
        match result {
            Ok(()) => failing = false,
            Err(e) if !failing => {
                failing = true;
                eprintln!("pinwarden serve: CT coverage: {e}");
            }
            Err(_) => {}
        }
        for source in &sources {
            let coverage = match cache.get(&log_key(&source.log.log_id)) {
                Some((_, state)) => Coverage::of(&source.log, state),
                None => Coverage::of(
                    &source.log,
                    &LogState::new(&source.log.log_id, source.client.url()),
                ),
            };
            status.update(coverage);
        }
        tokio::time::sleep(COVERAGE_REFRESH).await;
    }
}

fn describe(sources: &HashMap<String, LogSource>, log_id: &str) -> String {
    sources
        .get(log_id)
        .map_or_else(|| log_id.to_owned(), |s| s.log.description.clone())
}

/// A replica's owner id: the host, the process and 64 random bits, so two
/// processes never share one, even on one host with a recycled pid.
fn owner_id() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    // RandomState is keyed from the system's random source per process.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{host}:{}:{:016x}", std::process::id(), hasher.finish())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertQuery {
    limit: Option<i64>,
}

/// `GET /api/v1/ct/alerts?limit=N`: newest alerts first (default 100, at most 1000).
pub(crate) async fn alerts(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> Response {
    let limit = q.limit.unwrap_or(100);
    if let Some(refused) = crate::input::out_of_range("limit", limit, 1, 1000) {
        return refused;
    }
    match state.store.ct_alerts(limit).await {
        Ok(alerts) => Json(serde_json::json!({
            "monitoring": state.ct.is_some(),
            "alerts": alerts,
        }))
        .into_response(),
        Err(e) => problem::store_failed(&e),
    }
}

/// `GET /api/v1/ct/coverage`: per log, verified size, tree head age, gaps.
pub(crate) async fn coverage(State(state): State<AppState>) -> Response {
    Json(serde_json::json!({
        "monitoring": state.ct.is_some(),
        "logs": state.ct.as_ref().map(|c| c.coverage()).unwrap_or_default(),
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use pinwarden_test_support::PostgresDb;

    use super::*;

    const LOG: [u8; 32] = [9; 32];

    fn state(mark: i64) -> LogState {
        LogState {
            sth_fetched_at: Some(mark),
            ..LogState::new(&LOG, "https://log.example/")
        }
    }

    fn alert(index: u64) -> Alert {
        serde_json::from_value(serde_json::json!({
            "id": format!("CQkJ:{index}"), "event": "discovered_cert", "verdict": "discovered",
            "findings": [], "watch_item": ".example.com", "log_uri": "https://log.example/",
            "log_id": log_key(&LOG), "entry_index": index, "entry_type": "x509",
            "timestamp": 0, "cert_sha256": "", "tbs_sha256": "", "pubkey_sha256": "",
            "pin": "", "chain_pins": [], "names": ["a.example.com"], "subject_dn": "",
            "issuer_dn": "", "serial": "01", "not_before": 0, "not_after": 0,
            "verified_tree_size": 1
        }))
        .unwrap()
    }

    async fn take(store: &Store, owner: &str, period: Duration) -> Option<Lease> {
        let fence = store
            .ct_lease_acquire(&log_key(&LOG), owner, period)
            .await
            .unwrap()?;
        Some(Lease::new(
            store.clone(),
            LOG,
            fence,
            Instant::now() + period,
        ))
    }

    async fn saved_mark(store: &Store) -> i64 {
        let (_, json) = store.ct_state(&log_key(&LOG)).await.unwrap().unwrap();
        serde_json::from_str::<LogState>(&json)
            .unwrap()
            .sth_fetched_at
            .unwrap()
    }

    fn not_held<T: std::fmt::Debug>(r: Result<T, StateError>) -> bool {
        matches!(r, Err(StateError::NotHeld { .. }))
    }

    /// Issue 15: a replica that lost a log's lease must write neither the
    /// log's state nor its alerts, even after it took the lease back
    /// (its old tenure is fenced off by the epoch).
    #[tokio::test]
    async fn a_replica_that_lost_its_lease_writes_nothing() {
        let db = PostgresDb::create();
        let store = Store::open(&db.url).await.unwrap();
        let period = Duration::from_millis(600);
        store.ct_lease_logs(&[log_key(&LOG)]).await.unwrap();

        let a = take(&store, "a", period).await.unwrap();
        assert!(take(&store, "b", period).await.is_none(), "held by a");
        assert!(a.load(&LOG).await.unwrap().is_none());
        a.save(&LOG, &state(1)).await.unwrap();
        a.save(&LOG, &state(2)).await.unwrap();

        // a stops renewing (a pause, a partition); b takes the log over.
        tokio::time::sleep(period + Duration::from_millis(100)).await;
        assert!(not_held(a.check(&LOG)), "a's own clock says it's gone");
        let b = take(&store, "b", period).await.unwrap();
        assert_eq!(b.fence().epoch, a.fence().epoch + 1);
        assert_eq!(b.load(&LOG).await.unwrap().unwrap().sth_fetched_at, Some(2));
        assert!(not_held(a.save(&LOG, &state(99)).await));
        assert_eq!(saved_mark(&store).await, 2);

        // The store sink: a's alert is refused, b's stored once.
        let leases_a = Leases::new(store.clone(), period);
        leases_a
            .held
            .write()
            .unwrap()
            .insert(log_key(&LOG), Arc::new(a));
        let sink_a = StoreSink::leased(store.clone(), leases_a.clone());
        assert!(sink_a.deliver(&alert(5)).await.is_err());
        assert!(store.ct_alerts(10).await.unwrap().is_empty());
        let leases_b = Leases::new(store.clone(), period);
        leases_b
            .held
            .write()
            .unwrap()
            .insert(log_key(&LOG), Arc::new(b));
        let sink_b = StoreSink::leased(store.clone(), leases_b.clone());
        sink_b.deliver(&alert(5)).await.unwrap();
        sink_b.deliver(&alert(5)).await.unwrap();
        assert_eq!(store.ct_alerts(10).await.unwrap().len(), 1);

        // b gives the log up and a takes it again: a's old tenure still
        // can't write; its new one reads b's state and goes on from there.
        let b = leases_b.held(&log_key(&LOG)).unwrap();
        b.save(&LOG, &state(3)).await.unwrap();
        assert!(store.ct_lease_release(b.fence()).await.unwrap());
        let old_a = leases_a.held(&log_key(&LOG)).unwrap();
        let new_a = take(&store, "a", period).await.unwrap();
        assert!(not_held(old_a.save(&LOG, &state(98)).await));
        assert!(not_held(b.save(&LOG, &state(97)).await));
        assert_eq!(
            new_a.load(&LOG).await.unwrap().unwrap().sth_fetched_at,
            Some(3)
        );
        new_a.save(&LOG, &state(4)).await.unwrap();
        assert_eq!(saved_mark(&store).await, 4);
        store.close().await;
    }

    /// Within one tenure a save is made only on the state it was computed
    /// from: a second reader's save after the first one's is refused.
    #[tokio::test]
    async fn a_save_on_a_stale_read_is_refused() {
        let db = PostgresDb::create();
        let store = Store::open(&db.url).await.unwrap();
        let period = Duration::from_secs(30);
        store.ct_lease_logs(&[log_key(&LOG)]).await.unwrap();
        let first = take(&store, "a", period).await.unwrap();
        let second = Lease::new(
            store.clone(),
            LOG,
            first.fence().clone(),
            Instant::now() + period,
        );
        first.save(&LOG, &state(1)).await.unwrap();
        first.load(&LOG).await.unwrap();
        second.load(&LOG).await.unwrap();
        first.save(&LOG, &state(2)).await.unwrap();
        assert!(not_held(second.save(&LOG, &state(3)).await));
        assert!(not_held(second.check(&LOG)));
        assert_eq!(saved_mark(&store).await, 2);
        store.close().await;
    }

    /// Replicas racing for an expired lease: exactly one gets it.
    #[tokio::test]
    async fn one_of_many_racing_replicas_takes_a_free_lease() {
        let db = PostgresDb::create();
        let store = Store::open(&db.url).await.unwrap();
        store.ct_lease_logs(&[log_key(&LOG)]).await.unwrap();
        let attempts: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .ct_lease_acquire(&log_key(&LOG), &format!("r{i}"), Duration::from_secs(30))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut won = Vec::new();
        for a in attempts {
            won.extend(a.await.unwrap());
        }
        assert_eq!(won.len(), 1, "{won:?}");
        let leases = store.ct_leases().await.unwrap();
        assert_eq!(leases[0].owner, won[0].owner);
        assert_eq!(leases[0].epoch, 1);
        assert!(leases[0].remaining_ms > 25_000, "{leases:?}");
        store.close().await;
    }
}
