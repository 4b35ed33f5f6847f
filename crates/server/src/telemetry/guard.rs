//! The rollout guard: for each active rollout, the candidate cohort's
//! failure rate against the stable cohort's, per client. A breach halts the
//! rollout, records why, posts a webhook and puts a banner on the pages.
//!
//! Clients are counted from manifest fetches (pinwarden clients send their
//! cohort and a pseudonymous client id), failures from pinwarden reports on
//! the rollout's manifest version since the rollout last changed. A rate is
//! failures per client, at most 1.

use std::sync::Arc;
use std::time::Duration;

use crate::manifests::Manifests;
use crate::store::{RolloutState, Store};

/// When the guard acts.
#[derive(Clone, Debug)]
pub struct GuardConfig {
    /// Time between checks.
    pub interval: Duration,
    /// Candidate clients needed before the guard judges.
    pub min_clients: usize,
    /// Halt when the candidate's rate exceeds the stable one's by more than
    /// this (0.05 = 5 points).
    pub threshold: f64,
    /// Where to post a JSON alert (Slack-compatible `text`).
    pub webhook: Option<String>,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(60),
            min_clients: 20,
            threshold: 0.05,
            webhook: None,
        }
    }
}

/// One check's numbers for one rollout.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Verdict {
    /// The app.
    pub app: String,
    /// The manifest version rolling out.
    pub version: i64,
    /// Candidate clients seen.
    pub candidate_clients: usize,
    /// Failures in the candidate cohort.
    pub candidate_failures: i64,
    /// Stable clients seen.
    pub stable_clients: usize,
    /// Failures in the stable cohort.
    pub stable_failures: i64,
    /// Whether the guard halted the rollout.
    pub halted: bool,
    /// The guard's words.
    pub text: String,
}

fn rate(failures: i64, clients: usize) -> f64 {
    if clients == 0 {
        return 0.0;
    }
    (failures as f64 / clients as f64).min(1.0)
}

/// Checks every active rollout once.
pub async fn check(store: &Store, manifests: &Manifests, config: &GuardConfig) -> Vec<Verdict> {
    let Ok(rollouts) = store.rollouts().await else {
        return Vec::new();
    };
    let mut verdicts = Vec::new();
    for r in rollouts.into_iter().filter(|r| r.state == "active") {
        if let Some(v) = judge(store, manifests, config, &r).await {
            verdicts.push(v);
        }
    }
    verdicts
}

async fn judge(
    store: &Store,
    manifests: &Manifests,
    config: &GuardConfig,
    r: &RolloutState,
) -> Option<Verdict> {
    let cohorts = manifests.clients(&r.app, r.version);
    let in_candidate = |cohort: i64| cohort < r.percentage;
    let candidate_clients = cohorts
        .iter()
        .filter(|c| in_candidate(i64::from(**c)))
        .count();
    let stable_clients = cohorts.len() - candidate_clients;
    let failures = store
        .failures_by_cohort(&r.app, r.version, r.updated_at)
        .await
        .ok()?;
    let (mut candidate_failures, mut stable_failures) = (0, 0);
    for (cohort, n) in failures {
        if in_candidate(cohort) {
            candidate_failures += n;
        } else {
            stable_failures += n;
        }
    }
    let (c, s) = (
        rate(candidate_failures, candidate_clients),
        rate(stable_failures, stable_clients),
    );
    let breach = candidate_clients >= config.min_clients && c - s > config.threshold;
    let text = format!(
        "{} rollout of {} version {} at {}%: candidate failure rate {:.0}% ({candidate_failures} failures, {candidate_clients} clients) vs stable {:.0}% ({stable_failures}, {stable_clients}){}",
        if breach { "Halted the" } else { "Watching the" },
        r.app,
        r.version,
        r.percentage,
        c * 100.0,
        s * 100.0,
        if breach {
            format!(", more than {:.0} points worse", config.threshold * 100.0)
        } else if candidate_clients < config.min_clients {
            format!(", waiting for {} candidate clients", config.min_clients)
        } else {
            String::new()
        }
    );
    let mut halted = false;
    if breach {
        let reason = format!("rollout guard: {text}");
        halted = manifests
            .rollout(store, &r.app, "halt", None, &reason)
            .await
            .is_ok();
    }
    Some(Verdict {
        app: r.app.clone(),
        version: r.version,
        candidate_clients,
        candidate_failures,
        stable_clients,
        stable_failures,
        halted,
        text,
    })
}

/// Posts `verdict` to the webhook as JSON with a Slack-compatible `text`.
async fn notify(client: &reqwest::Client, url: &str, verdict: &Verdict) {
    let body = serde_json::json!({
        "text": format!("pinwarden: {}", verdict.text),
        "app": verdict.app,
        "version": verdict.version,
        "candidate_clients": verdict.candidate_clients,
        "candidate_failures": verdict.candidate_failures,
        "stable_clients": verdict.stable_clients,
        "stable_failures": verdict.stable_failures,
    });
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await;
    if let Err(e) = sent {
        eprintln!("pinwarden: rollout guard webhook {url}: {e}");
    }
}

/// Runs the guard every `config.interval` until the runtime stops.
pub fn spawn(store: Store, manifests: Arc<Manifests>, config: GuardConfig) {
    let client = webhook_client();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(config.interval).await;
            for v in check(&store, &manifests, &config).await {
                if v.halted {
                    eprintln!("pinwarden: {}", v.text);
                    if let (Some(url), Some(client)) = (&config.webhook, &client) {
                        notify(client, url, &v).await;
                    }
                }
            }
        }
    });
}

fn webhook_client() -> Option<reqwest::Client> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_secs(10))
        .build()
        .ok()
}
