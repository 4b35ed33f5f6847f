//! Pin-failure reports: TrustKit's JSON (so any TrustKit collector takes
//! them) plus pinwarden's manifest version and cohort; deduplicated for a
//! window (24 hours by default) and sent from a bounded queue, so a handshake
//! never waits for a report and a flood of failures can't grow memory.

use std::collections::HashMap;
use std::hash::{Hash as _, Hasher as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pinwarden_core::SpkiPin;
use rustls::RootCertStore;
use tokio::sync::mpsc;

/// One pin failure, as the verifier saw it.
#[derive(Clone, Debug)]
pub struct PinFailure {
    /// The host connected to.
    pub host: String,
    /// The port.
    pub port: u16,
    /// The pin set's host pattern that matched.
    pub noted_hostname: String,
    /// Whether the pin set covers subdomains.
    pub include_subdomains: bool,
    /// Whether the failure was enforced (the connection refused).
    pub enforce: bool,
    /// The validated chain, DER, leaf first.
    pub chain_der: Vec<Vec<u8>>,
    /// The pins that would have matched.
    pub known_pins: Vec<SpkiPin>,
    /// The manifest version in force, if any.
    pub manifest_version: Option<u64>,
    /// This installation's cohort, if known.
    pub cohort: Option<u8>,
    /// The pin set's report URI, if it has one.
    pub report_uri: Option<String>,
}

/// How reports are made and sent.
#[derive(Clone, Debug)]
pub struct ReporterConfig {
    /// `app-bundle-id`.
    pub app_id: String,
    /// `app-version`.
    pub app_version: String,
    /// Where reports go when the pin set names no report URI.
    pub default_report_uri: Option<String>,
    /// Roots for the (unpinned) report connection.
    pub roots: Arc<RootCertStore>,
    /// A failure seen again within this window is not sent again.
    pub dedup_window: Duration,
    /// Reports waiting to be sent, at most.
    pub queue: usize,
}

impl ReporterConfig {
    /// Defaults: 24-hour deduplication, a queue of 64.
    pub fn new(
        app_id: impl Into<String>,
        app_version: impl Into<String>,
        roots: Arc<RootCertStore>,
    ) -> Self {
        Self {
            app_id: app_id.into(),
            app_version: app_version.into(),
            default_report_uri: None,
            roots,
            dedup_window: Duration::from_secs(24 * 3600),
            queue: 64,
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    queued: AtomicU64,
    sent: AtomicU64,
    failed: AtomicU64,
    deduplicated: AtomicU64,
    dropped: AtomicU64,
}

/// A handle that queues reports; cheap to clone.
#[derive(Clone, Debug)]
pub struct Reporter {
    tx: mpsc::Sender<(String, Vec<u8>)>,
    config: Arc<ReporterConfig>,
    seen: Arc<Mutex<HashMap<u64, Instant>>>,
    counters: Arc<Counters>,
}

fn pem(der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new("CERTIFICATE", der.to_vec()), config)
}

impl Reporter {
    /// Starts the sending task on the current tokio runtime.
    ///
    /// # Errors
    /// When the HTTPS client can't be built.
    pub fn spawn(config: ReporterConfig) -> Result<Self, String> {
        let client = crate::http::client(Arc::clone(&config.roots), crate::http::Redirects::None)?;
        let (tx, mut rx) = mpsc::channel::<(String, Vec<u8>)>(config.queue.max(1));
        let counters = Arc::new(Counters::default());
        let task_counters = Arc::clone(&counters);
        tokio::spawn(async move {
            while let Some((uri, body)) = rx.recv().await {
                let sent = client
                    .post(&uri)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                let counter = match sent {
                    Ok(r) if r.status().is_success() => &task_counters.sent,
                    _ => &task_counters.failed,
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        Ok(Self {
            tx,
            config: Arc::new(config),
            seen: Arc::new(Mutex::new(HashMap::new())),
            counters,
        })
    }

    /// Queues a report unless the same failure was reported within the
    /// window or the queue is full. Never blocks.
    pub fn report(&self, failure: PinFailure) {
        let Some(uri) = failure
            .report_uri
            .clone()
            .or_else(|| self.config.default_report_uri.clone())
        else {
            return;
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        failure.host.hash(&mut hasher);
        failure.port.hash(&mut hasher);
        failure.chain_der.hash(&mut hasher);
        failure.manifest_version.hash(&mut hasher);
        let key = hasher.finish();
        let now = Instant::now();
        if let Ok(mut seen) = self.seen.lock() {
            seen.retain(|_, at| now.duration_since(*at) < self.config.dedup_window);
            if seen.contains_key(&key) {
                self.counters.deduplicated.fetch_add(1, Ordering::Relaxed);
                return;
            }
            seen.insert(key, now);
        }
        let body = self.json(&failure);
        match self.tx.try_send((uri, body)) {
            Ok(()) => self.counters.queued.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.counters.dropped.fetch_add(1, Ordering::Relaxed),
        };
    }

    /// The report body: TrustKit's fields, then pinwarden's.
    pub fn json(&self, f: &PinFailure) -> Vec<u8> {
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        serde_json::to_vec(&serde_json::json!({
            "app-bundle-id": self.config.app_id,
            "app-version": self.config.app_version,
            "app-platform": "rust",
            "app-platform-version": std::env::consts::OS,
            "app-vendor-id": "",
            "trustkit-version": "pinwarden-rustls",
            "date-time": now,
            "hostname": f.host,
            "port": f.port,
            "noted-hostname": f.noted_hostname,
            "include-subdomains": f.include_subdomains,
            "enforce-pinning": f.enforce,
            "validated-certificate-chain": f.chain_der.iter().map(|d| pem(d)).collect::<Vec<_>>(),
            "known-pins": f.known_pins.iter().map(|p| format!("pin-sha256=\"{}\"", p.to_base64())).collect::<Vec<_>>(),
            "validation-result": 1,
            "pinwarden-manifest-version": f.manifest_version,
            "pinwarden-cohort": f.cohort,
        }))
        .unwrap_or_default()
    }

    /// Reports delivered (2xx).
    pub fn sent(&self) -> u64 {
        self.counters.sent.load(Ordering::Relaxed)
    }

    /// Reports that could not be delivered.
    pub fn failed(&self) -> u64 {
        self.counters.failed.load(Ordering::Relaxed)
    }

    /// Failures not reported again within the window.
    pub fn deduplicated(&self) -> u64 {
        self.counters.deduplicated.load(Ordering::Relaxed)
    }

    /// Reports dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }
}
