//! `pinwarden ct once|watch|coverage`: the pin-aware CT monitor from the
//! command line. The policy supplies the watchlist (when none is given),
//! the pin sets and their applications, and the organisation's CAs; the CA
//! dataset turns CA names and chain keys into each other and into CAA
//! identifiers.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a CAA answer is reused.
const CAA_REUSE: Duration = Duration::from_secs(600);

use anyhow::{Context as _, bail};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use pinwarden_core::caa::Permitted;
use pinwarden_core::cadata::CaDataset;
use pinwarden_core::policy::Policy;
use pinwarden_ct::monitor::alert::Verdict;
use pinwarden_ct::monitor::evaluate::{CaaCheck, Expectations};
use pinwarden_ct::monitor::notify::{Hook, JsonLines, Stdout, Webhook};
use pinwarden_ct::monitor::{LogSource, Monitor, MonitorConfig, Progress, RoundOutcome};
use pinwarden_ct::{Watchlist, parse_log_list};
use pinwarden_probe::{CaaResolver, RelevantCaa};

use crate::args::{CtCoverageArgs, CtRunArgs, CtWatchArgs};

/// Reads a log list from a file or an http(s) URL.
fn read_log_list(
    runtime: &tokio::runtime::Runtime,
    source: &str,
) -> anyhow::Result<Vec<pinwarden_ct::Log>> {
    runtime.block_on(log_list(source))
}

/// Reads a log list from a file or an http(s) URL.
pub(crate) async fn log_list(source: &str) -> anyhow::Result<Vec<pinwarden_ct::Log>> {
    let bytes = if source.starts_with("https://") || source.starts_with("http://") {
        pinwarden_ct::fetch(source)
            .await
            .with_context(|| format!("can't fetch log list {source}"))?
    } else {
        std::fs::read(source).with_context(|| format!("can't read log list {source}"))?
    };
    let logs = parse_log_list(&bytes).with_context(|| format!("log list {source}"))?;
    Ok(logs)
}

pub(crate) fn sources(logs: Vec<pinwarden_ct::Log>) -> anyhow::Result<Vec<LogSource>> {
    let mut out = Vec::new();
    // RFC 6962 and static-ct-api (tiled) logs alike: LogSource picks the client.
    for log in logs {
        out.push(LogSource::new(log)?);
    }
    if out.is_empty() {
        bail!("the log list has no log to monitor");
    }
    Ok(out)
}

/// The watchlist: the file, or every host the policy names.
fn watchlist(args: &CtRunArgs, policy: Option<&Policy>) -> anyhow::Result<Watchlist> {
    if let Some(path) = &args.watchlist {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("can't read watchlist {path}"))?;
        return Watchlist::parse(&text).with_context(|| path.clone());
    }
    let Some(policy) = policy else {
        bail!("give --watchlist FILE, or --policy FILE to watch every host the policy names");
    };
    Ok(pinwarden_ct::monitor::policy::watchlist(policy)?)
}

/// A CAA answer (or the lookup's failure) and when it was got.
type CaaAnswer = (Instant, Result<RelevantCaa, String>);

/// CAA through the probe's resolver; answers are reused for 10 minutes
/// (a watch runs for months: CAA changes must be seen).
struct DnsCaa {
    resolver: CaaResolver,
    cache: Mutex<HashMap<String, CaaAnswer>>,
}

impl CaaCheck for DnsCaa {
    fn violation<'a>(
        &'a self,
        name: &'a str,
        caa: &'a [String],
    ) -> Pin<Box<dyn Future<Output = Result<Option<String>, String>> + Send + 'a>> {
        Box::pin(async move {
            let wildcard = name.starts_with("*.");
            let base = name.trim_start_matches("*.");
            let cached = self.cache.lock().ok().and_then(|c| {
                c.get(base)
                    .filter(|(at, _)| at.elapsed() < CAA_REUSE)
                    .map(|(_, r)| r.clone())
            });
            let relevant = match cached {
                Some(r) => r,
                None => {
                    let r = self
                        .resolver
                        .relevant(base)
                        .await
                        .map_err(|e| e.to_string());
                    if let Ok(mut c) = self.cache.lock() {
                        c.insert(base.to_owned(), (Instant::now(), r.clone()));
                    }
                    r
                }
            }?;
            let at = relevant.found_at.clone().unwrap_or_default();
            Ok(match relevant.permitted(wildcard) {
                Permitted::Any => None,
                Permitted::Nobody(why) => Some(format!(
                    "CAA at {at} lets no CA issue for {name} ({why}), yet this certificate exists"
                )),
                Permitted::Only(list) => {
                    if caa.iter().any(|id| relevant.permits(id, wildcard)) {
                        None
                    } else {
                        let allowed: Vec<&str> = list.iter().map(|i| i.domain.as_str()).collect();
                        Some(format!(
                            "CAA at {at} permits only {} for {name}; the issuer {}",
                            allowed.join(", "),
                            if caa.is_empty() {
                                "is not a CA the dataset knows".to_owned()
                            } else {
                                format!("uses {}", caa.join(", "))
                            }
                        ))
                    }
                }
            })
        })
    }
}

/// A progress bar per log while catching up (hidden when stderr isn't a terminal).
struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Progress for Bars {
    fn start(&self, log: &str, from: u64, to: u64) {
        if to <= from {
            return;
        }
        let bar = self.multi.add(ProgressBar::new(to));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} entries, {per_sec}, eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(log.to_owned());
        bar.set_position(from);
        if let Ok(mut b) = self.bars.lock() {
            b.insert(log.to_owned(), bar);
        }
    }

    fn advance(&self, log: &str, position: u64) {
        if let Some(bar) = self.bars.lock().ok().and_then(|b| b.get(log).cloned()) {
            bar.set_position(position);
        }
    }

    fn finish(&self, log: &str) {
        if let Some(bar) = self.bars.lock().ok().and_then(|mut b| b.remove(log)) {
            bar.finish_and_clear();
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// The monitor `args` describe, with a progress bar per log while
/// catching up when `progress` (hidden anyway when stderr isn't a terminal).
/// Its state is kept in files under `args.state_dir` unless the caller
/// gives it another store (`Monitor::with_state_store`).
pub(crate) fn monitor(args: &CtRunArgs, progress: bool) -> anyhow::Result<Monitor> {
    let policy = args
        .policy
        .as_deref()
        .map(crate::policy_file::load)
        .transpose()?;
    let dataset = match &args.cas {
        Some(path) => CaDataset::load(path)?,
        None => CaDataset::builtin().clone(),
    };
    let watchlist = watchlist(args, policy.as_ref())?;
    let expectations = pinwarden_ct::monitor::policy::expectations(policy.as_ref(), &dataset)?;
    let mut config = MonitorConfig::new(args.state_dir.clone().into());
    config.batch_size = args.batch_size.max(1);
    config.parallel = args.parallel.max(1);
    config.requests_per_second = (args.rps > 0.0).then_some(args.rps);
    let mut monitor = Monitor::new(config, watchlist, expectations);
    if !args.quiet && !args.json {
        monitor = monitor.with_sink(Arc::new(Stdout));
    }
    if let Some(path) = &args.jsonl {
        monitor = monitor.with_sink(Arc::new(
            JsonLines::open(path.into()).map_err(|e| anyhow::anyhow!(e))?,
        ));
    }
    if let Some(program) = &args.hook {
        monitor = monitor.with_sink(Arc::new(Hook::new(program.into())));
    }
    if let Some(url) = &args.webhook {
        let http =
            pinwarden_ct::http_client().map_err(|e| anyhow::anyhow!("webhook client: {e}"))?;
        monitor = monitor.with_sink(Arc::new(Webhook::new(url.clone(), http)));
    }
    if !args.no_caa {
        let resolver = match args.dns_server {
            Some(addr) => CaaResolver::with_server(addr),
            None => CaaResolver::system().context("CAA lookups (use --no-caa to skip them)")?,
        };
        monitor = monitor.with_caa(Arc::new(DnsCaa {
            resolver,
            cache: Mutex::new(HashMap::new()),
        }));
    }
    if progress {
        monitor = monitor.with_progress(Arc::new(Bars {
            multi: MultiProgress::new(),
            bars: Mutex::new(HashMap::new()),
        }));
    }
    Ok(monitor)
}

/// Creates the state directory up front, so a bad path fails at start.
pub(crate) fn create_private_dir(dir: &str) -> anyhow::Result<()> {
    pinwarden_ct::monitor::create_private_dir(std::path::Path::new(dir))
        .with_context(|| format!("can't create state directory {dir}"))
}

pub(crate) fn once(args: &CtRunArgs) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let logs = sources(read_log_list(&rt, &args.logs)?)?;
    create_private_dir(&args.state_dir)?;
    let monitor = monitor(args, true)?;
    let mut failed = false;
    let mut serious = false;
    let mut report = Vec::new();
    for source in &logs {
        let result = rt.block_on(monitor.round(source));
        let coverage = rt.block_on(monitor.coverage(source)).ok();
        match &result {
            Ok(outcome) => {
                serious |= outcome
                    .alerts
                    .iter()
                    .any(|a| a.verdict > Verdict::Discovered);
                if let Some(c) = coverage.as_ref().filter(|c| c.undelivered_alerts > 0) {
                    failed = true;
                    eprintln!(
                        "pinwarden ct: {}: {} alert(s) not delivered yet (kept, retried next run): {}",
                        source.log.description,
                        c.undelivered_alerts,
                        c.last_error.as_deref().unwrap_or("?")
                    );
                }
                if !args.json {
                    eprintln!(
                        "{}: verified {} entries ({} new), {} alert(s)",
                        source.log.description,
                        coverage.as_ref().map_or(0, |c| c.verified_size),
                        outcome.entries,
                        outcome.alerts.len()
                    );
                }
            }
            Err(e) => {
                failed = true;
                eprintln!("pinwarden ct: {e}");
            }
        }
        report.push(serde_json::json!({
            "log": source.log.description,
            "outcome": result.as_ref().ok(),
            "error": result.as_ref().err().map(ToString::to_string),
            "coverage": coverage,
        }));
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "logs": report }))?
        );
    }
    Ok(if failed {
        ExitCode::from(1)
    } else if serious {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

pub(crate) fn watch(args: &CtWatchArgs) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let logs = sources(read_log_list(&rt, &args.run.logs)?)?;
    create_private_dir(&args.run.state_dir)?;
    let monitor = Arc::new(monitor(&args.run, true)?);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let interval = Duration::from_secs(args.interval.max(1));
    let on_round = Arc::new(
        |source: &LogSource, result: &Result<RoundOutcome, _>| match result {
            Ok(o) if o.entries > 0 || !o.alerts.is_empty() => eprintln!(
                "{}: {} new entries verified, {} alert(s)",
                source.log.description,
                o.entries,
                o.alerts.len()
            ),
            Ok(_) => {}
            Err(e) => eprintln!("pinwarden ct: {e}"),
        },
    );
    rt.block_on(async move {
        let task = tokio::spawn(monitor.watch(logs, interval, on_round, stop_rx));
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("pinwarden ct: stopping");
        let _ = stop_tx.send(true);
        let _ = task.await;
    });
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn coverage(args: &CtCoverageArgs) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let logs = sources(read_log_list(&rt, &args.logs)?)?;
    let config = MonitorConfig::new(args.state_dir.clone().into());
    let monitor = Monitor::new(config, Watchlist::default(), Expectations::default());
    let mut all = Vec::new();
    for source in &logs {
        all.push(rt.block_on(monitor.coverage(source))?);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(ExitCode::SUCCESS);
    }
    for c in &all {
        let head = c.sth_size.map_or_else(
            || "no tree head yet".to_owned(),
            |s| {
                format!(
                    "newest tree head {s} ({} s old)",
                    c.sth_age_seconds.unwrap_or(0)
                )
            },
        );
        let gaps = if c.gaps.is_empty() {
            "no gaps".to_owned()
        } else {
            c.gaps
                .iter()
                .map(|(a, b)| format!("{a}..{b} not yet verified"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "{}\n  {}\n  verified {} entries; {head}; {gaps}; {} malformed; {} alert(s) pending, {} undelivered{}",
            c.log,
            c.url,
            c.verified_size,
            c.malformed,
            c.pending_alerts,
            c.undelivered_alerts,
            c.last_error
                .as_ref()
                .map(|e| format!("\n  last error: {e}"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
