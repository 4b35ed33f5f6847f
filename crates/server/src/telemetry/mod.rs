//! Pin-failure telemetry: reports in, classified, stored durably in batches,
//! aggregated, and watched by the rollout guard.
//!
//! `POST /v1/reports ==> parse + classify ==> rate limits (source and app, source) ==> bounded queue ==> writer (new-failure budget, one transaction per batch) ==> 202`
//!
//! A report is answered 202 only after the transaction holding it has
//! committed; when the queue is full the answer is 503 with Retry-After, so
//! nothing acknowledged is ever lost and nothing is dropped silently. A new
//! distinct failure over its source's or the server's budget is answered
//! 429 or 503 with Retry-After and not stored; repeats of known failures
//! are always counted.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::{mpsc, oneshot};

use crate::store::{NewReport, Store, StoreError};

pub(crate) mod api;
pub mod guard;
mod ratelimit;
mod recent;
mod sqlite_writer;

pub(crate) use ratelimit::{Limited, NewFailures, RateLimiter, Refused};
pub use sqlite_writer::SqliteReports;

/// Why telemetry couldn't start.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TelemetryError(String);

/// How telemetry behaves.
#[derive(Clone, Debug)]
pub struct TelemetryConfig {
    /// The same failure within this window is counted, not stored again.
    pub dedup_window: Duration,
    /// Reports older than this many days are deleted.
    pub retention_days: u32,
    /// Reports waiting for the writer, at most.
    pub queue: usize,
    /// Reports per transaction, at most.
    pub batch: usize,
    /// SQLite: failures of the current dedup window kept in memory to be
    /// counted again, at most (20-40 bytes each: ~37 MB at the default).
    /// Past that a new failure is still stored, but a repeat of it gets its
    /// own row.
    pub dedup_memory: usize,
    /// Keep the client's address with each report.
    pub store_client_ip: bool,
    /// Reports per source and app allowed at once.
    pub burst: u32,
    /// Reports per source and app per second, sustained.
    pub per_second: f64,
    /// Reports per source, all apps and hosts together, allowed at once.
    pub source_burst: u32,
    /// Reports per source, all apps and hosts together, per second.
    pub source_per_second: f64,
    /// New distinct failures one source may add per minute (at once, and
    /// refilled over the minute); repeats of a known failure don't count.
    pub source_new_per_minute: u32,
    /// New distinct failures the server stores per minute, all sources
    /// together (on PostgreSQL, per server process).
    pub new_per_minute: u32,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            dedup_window: Duration::from_secs(3600),
            retention_days: 30,
            queue: 4096,
            batch: 256,
            dedup_memory: 1_000_000,
            store_client_ip: false,
            burst: 120,
            per_second: 10.0,
            // A source is a /24 or /48: many phones behind one NAT. 20 a
            // second is 72,000 reports an hour from one network.
            source_burst: 240,
            source_per_second: 20.0,
            // New failures cost a row each (~2.5 KB, kept 30 days); one
            // source may take a tenth of the server's budget, so it takes
            // ten networks to crowd out everybody else's new failures.
            source_new_per_minute: 100,
            new_per_minute: 1000,
        }
    }
}

struct Job {
    report: NewReport,
    /// The report's network source, for the new-failure budget.
    source: String,
    done: Done,
}

/// The ingestion side: a handle on the writer's queue.
#[derive(Debug)]
pub struct Telemetry {
    tx: mpsc::Sender<Job>,
    capacity: usize,
    pub(crate) config: TelemetryConfig,
    pub(crate) limiter: RateLimiter,
    pub(crate) counters: Counters,
}

/// The per-report metrics, registered once rather than looked up by name
/// for every report.
pub(crate) struct Counters {
    pub(crate) accepted: metrics::Counter,
    pub(crate) deduplicated: metrics::Counter,
    queue_depth: metrics::Gauge,
}

impl std::fmt::Debug for Counters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Counters").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("host", &self.report.host)
            .finish()
    }
}

/// Why a report wasn't stored.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Submit {
    /// The queue is full: try again shortly.
    Full,
    /// A new failure over its source's or the server's budget.
    Refused(Refused),
    /// The database failed.
    Failed,
}

/// What the writer did with a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stored {
    /// Stored as a new failure's row.
    New,
    /// Counted on the row of a failure already stored.
    Repeat,
    /// A new failure, not stored: over budget.
    Refused(Refused),
}

/// The Prometheus handle, installed once per process.
pub(crate) fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .ok();
            if handle.is_some() {
                crate::metrics::register();
            }
            handle
        })
        .as_ref()
}

impl Telemetry {
    /// Starts the writer and the retention task on the current runtime.
    /// On SQLite the writer is [`SqliteReports`] on its own thread; it
    /// fails when another server already writes reports to the same file.
    pub fn start(store: Store, config: TelemetryConfig) -> Result<Arc<Self>, TelemetryError> {
        prometheus();
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let window = i64::try_from(config.dedup_window.as_secs()).unwrap_or(3600);
        match store.sqlite_path() {
            Some(path) => {
                let mut writer = SqliteReports::open(&path, window, config.dedup_memory)
                    .map_err(TelemetryError)?;
                writer.budget =
                    NewFailures::new(config.source_new_per_minute, config.new_per_minute);
                sqlite_writer::spawn(writer, rx, config.batch)
                    .map_err(|e| TelemetryError(format!("starting the report writer: {e}")))?;
            }
            None => {
                tokio::spawn(writer(store.clone(), rx, config.clone()));
            }
        }
        tokio::spawn(retention(store, config.retention_days));
        Ok(Arc::new(Self {
            tx,
            capacity: config.queue.max(1),
            limiter: RateLimiter::new(
                config.burst,
                config.per_second,
                config.source_burst,
                config.source_per_second,
            ),
            config,
            counters: Counters {
                accepted: metrics::counter!("pinwarden_reports_accepted_total"),
                deduplicated: metrics::counter!("pinwarden_reports_deduplicated_total"),
                queue_depth: metrics::gauge!("pinwarden_report_queue_depth"),
            },
        }))
    }

    /// Queues a report from `source` and waits until it is committed;
    /// `Ok(true)` when it was counted as a duplicate.
    pub(crate) async fn submit(&self, report: NewReport, source: String) -> Result<bool, Submit> {
        let (done, wait) = oneshot::channel();
        self.tx
            .try_send(Job {
                report,
                source,
                done,
            })
            .map_err(|_| Submit::Full)?;
        self.counters
            .queue_depth
            .set((self.capacity - self.tx.capacity()) as f64);
        match wait.await {
            Ok(Ok(Stored::New)) => Ok(false),
            Ok(Ok(Stored::Repeat)) => Ok(true),
            Ok(Ok(Stored::Refused(r))) => Err(Submit::Refused(r)),
            _ => Err(Submit::Failed),
        }
    }
}

type Done = oneshot::Sender<Result<Stored, ()>>;

/// A batch: the reports, their sources, and where to answer each (moved
/// apart, not copied).
struct Batch {
    reports: Vec<NewReport>,
    sources: Vec<String>,
    dones: Vec<Done>,
}

/// `first` and whatever else is queued, up to `batch` jobs.
fn gather(first: Job, rx: &mut mpsc::Receiver<Job>, batch: usize) -> Batch {
    let mut b = Batch {
        reports: vec![first.report],
        sources: vec![first.source],
        dones: vec![first.done],
    };
    while b.reports.len() < batch.max(1) {
        match rx.try_recv() {
            Ok(job) => {
                b.reports.push(job.report);
                b.sources.push(job.source);
                b.dones.push(job.done);
            }
            Err(_) => break,
        }
    }
    metrics::gauge!("pinwarden_report_queue_depth").set(rx.len() as f64);
    b
}

/// Answers every report of a batch: new, repeat or refused, or the failure.
fn answer(dones: Vec<Done>, result: Result<Vec<Stored>, String>, started: Instant) {
    metrics::histogram!("pinwarden_report_store_seconds").record(started.elapsed().as_secs_f64());
    match result {
        Ok(outcomes) => {
            let new = outcomes.iter().filter(|o| **o == Stored::New).count();
            if new > 0 {
                metrics::counter!("pinwarden_reports_new_failures_total").increment(new as u64);
            }
            for (done, outcome) in dones.into_iter().zip(outcomes) {
                let _ = done.send(Ok(outcome));
            }
        }
        Err(e) => {
            eprintln!("pinwarden: storing reports: {e}");
            for done in dones {
                let _ = done.send(Err(()));
            }
        }
    }
}

/// The writer for PostgreSQL: batches through the shared pool.
async fn writer(store: Store, mut rx: mpsc::Receiver<Job>, config: TelemetryConfig) {
    let window = i64::try_from(config.dedup_window.as_secs()).unwrap_or(3600);
    let mut budget = NewFailures::new(config.source_new_per_minute, config.new_per_minute);
    while let Some(first) = rx.recv().await {
        let b = gather(first, &mut rx, config.batch);
        let started = Instant::now();
        let result = store
            .insert_reports_within(&b.reports, &b.sources, window, &mut budget)
            .await
            .map_err(|e| e.to_string());
        answer(b.dones, result, started);
    }
}

fn log_store_error(e: &StoreError) {
    eprintln!("pinwarden: storing reports: {e}");
}

/// Deletes old reports at start and then hourly.
async fn retention(store: Store, days: u32) {
    loop {
        let before = time::OffsetDateTime::now_utc().unix_timestamp() - i64::from(days) * 86_400;
        if let Err(e) = store.delete_reports_before(before).await {
            log_store_error(&e);
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}
