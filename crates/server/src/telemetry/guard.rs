//! The rollout guard: for each active rollout, the candidate cohort's
//! failure rate against the stable cohort's, per client. A breach halts the
//! rollout, records why, posts a webhook and puts a banner on the pages.
//!
//! Clients are counted from manifest fetches (pinwarden clients send their
//! cohort and a pseudonymous client id), failures from pinwarden reports on
//! the rollout's manifest version since the rollout last changed. A rate is
//! failures per client, at most 1. Both counts live in the database, so
//! every replica judges the same numbers, and a halt is compare-and-set on
//! the rollout's revision: one replica halts a step, once, with one webhook.
//!
//! Nobody needs a token to fetch a manifest or send a report, so the counts
//! are built to resist a stranger (ARCHITECTURE.md, "the rollout guard's
//! threat model"): each network source adds at most `per_source` clients
//! and `per_source` failures; a halt needs failures from `min_sources`
//! distinct sources; and beside the rate, `absolute_failures` candidate
//! failures halt whatever the number of clients, so invented healthy
//! clients can't hold back a halt that real failures call for.

use std::sync::Arc;
use std::time::Duration;

use std::collections::HashMap;

use crate::manifests::Manifests;
use crate::store::{RolloutState, SourceCount, Store};

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
    /// Distinct network sources whose candidate failures a halt needs.
    pub min_sources: usize,
    /// Clients, and failures, one network source can add to the counts.
    pub per_source: i64,
    /// Candidate failures (from `min_sources` sources) that halt whatever
    /// the rates say.
    pub absolute_failures: i64,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(60),
            min_clients: 20,
            threshold: 0.05,
            webhook: None,
            min_sources: 3,
            per_source: 20,
            absolute_failures: 25,
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
    /// Distinct sources of the candidate's failures.
    pub failure_sources: usize,
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

/// Counts per side of the rollout (candidate, stable): each source's
/// contribution capped at `cap`, and the sources that contributed.
fn split(rows: &[SourceCount], percentage: i64, cap: i64) -> ([i64; 2], [usize; 2]) {
    let mut per: HashMap<(bool, Option<&str>), i64> = HashMap::new();
    for row in rows {
        *per.entry((row.cohort < percentage, row.source.as_deref()))
            .or_default() += row.count;
    }
    let (mut totals, mut sources) = ([0, 0], [0, 0]);
    for ((candidate, _), n) in per {
        let side = usize::from(!candidate);
        totals[side] += n.min(cap);
        sources[side] += usize::from(n > 0);
    }
    (totals, sources)
}

async fn judge(
    store: &Store,
    manifests: &Manifests,
    config: &GuardConfig,
    r: &RolloutState,
) -> Option<Verdict> {
    let clients = store.guard_clients(&r.app, r.version).await.ok()?;
    let failures = store
        .guard_failures(&r.app, r.version, r.updated_at)
        .await
        .ok()?;
    let ([candidate_clients, stable_clients], _) = split(&clients, r.percentage, config.per_source);
    let ([candidate_failures, stable_failures], [failure_sources, _]) =
        split(&failures, r.percentage, config.per_source);
    let (candidate_clients, stable_clients) = (
        usize::try_from(candidate_clients).unwrap_or(0),
        usize::try_from(stable_clients).unwrap_or(0),
    );
    let (c, s) = (
        rate(candidate_failures, candidate_clients),
        rate(stable_failures, stable_clients),
    );
    let by_rate = candidate_clients >= config.min_clients && c - s > config.threshold;
    let by_count = candidate_failures >= config.absolute_failures;
    let enough_sources = failure_sources >= config.min_sources;
    let breach = enough_sources && (by_rate || by_count);
    let text = format!(
        "{} rollout of {} version {} at {}%: candidate failure rate {:.0}% ({candidate_failures} failures from {failure_sources} sources, {candidate_clients} clients) vs stable {:.0}% ({stable_failures}, {stable_clients}){}",
        if breach { "Halted the" } else { "Watching the" },
        r.app,
        r.version,
        r.percentage,
        c * 100.0,
        s * 100.0,
        if breach && by_rate {
            format!(", more than {:.0} points worse", config.threshold * 100.0)
        } else if breach {
            format!(", at least {} failures", config.absolute_failures)
        } else if (by_rate || by_count) && !enough_sources {
            format!(
                ", but from fewer than {} network sources: not halting on what one source says",
                config.min_sources
            )
        } else if candidate_clients < config.min_clients {
            format!(", waiting for {} candidate clients", config.min_clients)
        } else {
            String::new()
        }
    );
    let mut halted = false;
    if breach {
        let reason = format!("rollout guard: {text}");
        // Only if nobody changed the rollout since it was read: another
        // replica's guard may have halted this step already.
        halted = matches!(
            manifests
                .halt_if_unchanged(store, &r.app, r.revision, &reason)
                .await,
            Ok(Some(_))
        );
    }
    Some(Verdict {
        app: r.app.clone(),
        version: r.version,
        candidate_clients,
        candidate_failures,
        stable_clients,
        stable_failures,
        failure_sources,
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
        "failure_sources": verdict.failure_sources,
    });
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await;
    if let Err(e) = sent {
        // The URL may carry a secret (Slack's path does, a userinfo password
        // would): named by host only, issue 15.
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "?".into());
        eprintln!(
            "pinwarden: rollout guard webhook to {host}: {}",
            e.without_url()
        );
    }
}

/// Runs the guard every `config.interval` until the runtime stops.
pub fn spawn(store: Store, manifests: Arc<Manifests>, config: GuardConfig) {
    let client = webhook_client();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(config.interval).await;
            let month_ago = time::OffsetDateTime::now_utc().unix_timestamp() - 30 * 86_400;
            if let Err(e) = store.prune_guard_clients(month_ago).await {
                eprintln!("pinwarden: rollout guard: {e}");
            }
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
