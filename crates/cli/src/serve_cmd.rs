//! `pinwarden serve`: loads the policy, binds, prints the URL, serves.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use pinwarden_server::store::redact;
use pinwarden_server::telemetry::guard::{self, GuardConfig};
use pinwarden_server::{AppState, Manifests, Store, Telemetry, TelemetryConfig, router};

use crate::args::ServeArgs;

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let policy = crate::policy_file::load(&args.policy)?;
    let trust = if args.manifest_trust.is_empty() {
        None
    } else {
        Some(crate::manifest_cmd::trust_set(
            &args.manifest_trust,
            args.manifest_threshold,
        )?)
    };
    let admin_token = admin_token(args.admin_token_file.as_deref())?;
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {}, reachable from other machines",
            args.listen.ip()
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let store = Store::open(&args.database).await?;
        let manifests = Arc::new(Manifests::load(&store, trust).await?);
        let telemetry = Telemetry::start(
            store.clone(),
            TelemetryConfig {
                dedup_window: std::time::Duration::from_secs(
                    u64::from(args.report_dedup_minutes) * 60,
                ),
                retention_days: args.report_retention_days,
                dedup_memory: args.report_dedup_memory,
                queue: args.report_queue,
                store_client_ip: args.store_client_ip,
                burst: (args.report_rate * 12.0).clamp(1.0, 1e6) as u32,
                per_second: args.report_rate,
                source_burst: (args.report_source_rate * 12.0).clamp(1.0, 1e6) as u32,
                source_per_second: args.report_source_rate,
                source_new_per_minute: args.report_source_new_failures,
                new_per_minute: args.report_new_failures,
                ..TelemetryConfig::default()
            },
        )?;
        guard::spawn(
            store.clone(),
            Arc::clone(&manifests),
            GuardConfig {
                interval: std::time::Duration::from_secs(args.guard_interval.max(1)),
                min_clients: args.guard_min_clients,
                threshold: args.guard_threshold / 100.0,
                webhook: args.guard_webhook.clone(),
                min_sources: args.guard_min_sources.max(1),
                per_source: args.guard_per_source.max(1),
                absolute_failures: args.guard_absolute_failures.max(1),
            },
        );
        // Other replicas' changes, and the clients seen, through the database.
        manifests.spawn_sync(
            store.clone(),
            std::time::Duration::from_secs(args.reconcile_interval.max(1)),
            args.guard_per_source.max(1),
        );
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("can't listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        // A server whose terminal went away keeps serving: write errors on
        // stdout are not fatal.
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(
            stdout,
            "pinwarden serving {} on http://{addr}/",
            args.policy
        );
        let _ = writeln!(stdout, "state in {}", redact(&args.database));
        let _ = writeln!(
            stdout,
            "admin API {}",
            if admin_token.is_some() {
                "on (bearer token)"
            } else {
                "off (no token)"
            }
        );
        let _ = stdout.flush();
        drop(stdout);
        let (ct, ct_task) = match &args.ct_logs {
            Some(logs) => {
                let (status, task) = start_ct(&args, logs, &store).await?;
                (Some(status), task)
            }
            None => (None, None),
        };
        let app = router(AppState {
            policy: Arc::new(policy),
            policy_name: args.policy.as_str().into(),
            store: store.clone(),
            manifests,
            admin_token,
            telemetry: Some(telemetry),
            ct,
            trusted_proxies: args.trusted_proxies.clone().into(),
        });
        let limits = pinwarden_server::listen::Limits {
            header_timeout: std::time::Duration::from_secs(args.header_timeout),
            idle_timeout: std::time::Duration::from_secs(args.idle_timeout),
            body_timeout: std::time::Duration::from_secs(args.body_timeout),
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        };
        let served = pinwarden_server::listen::serve(listener, app, limits, shutdown())
            .await
            .context("serving");
        // The CT task gives its leases up on the same signal: let it, for a
        // few seconds at most, before the database goes away.
        if let Some(task) = ct_task {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
        store.close().await;
        served
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Starts the CT monitor as a task: the policy's hosts (or the watchlist)
/// against the listed logs, alerts into the store, coverage for the page.
/// On SQLite this process monitors every log, its state in files under
/// `--ct-state-dir`; on PostgreSQL the replicas lease the logs to each
/// other through the database, where each log's state lives too.
async fn start_ct(
    args: &ServeArgs,
    logs: &str,
    store: &Store,
) -> anyhow::Result<(
    Arc<pinwarden_server::ct::CtStatus>,
    Option<tokio::task::JoinHandle<()>>,
)> {
    use pinwarden_ct::monitor::{LogSource, MonitorError, RoundOutcome};
    use pinwarden_server::ct::{CtStatus, Leases, StoreSink, lease_period};
    let run = crate::args::CtRunArgs {
        logs: logs.to_owned(),
        watchlist: args.ct_watchlist.clone(),
        policy: Some(args.policy.clone()),
        cas: None,
        state_dir: args.ct_state_dir.clone(),
        jsonl: None,
        hook: None,
        webhook: args.ct_webhook.clone(),
        quiet: true,
        json: false,
        no_caa: args.ct_no_caa,
        dns_server: args.ct_dns_server,
        batch_size: 256,
        parallel: 4,
        rps: args.ct_rps,
    };
    let sources = crate::ct_monitor::sources(crate::ct_monitor::log_list(logs).await?)?;
    let interval = std::time::Duration::from_secs(args.ct_interval.max(1));
    let status = Arc::new(CtStatus::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);

    if let Store::Postgres(_) = store {
        let leases = Leases::new(store.clone(), lease_period(interval));
        let monitor = crate::ct_monitor::monitor(&run, false)?
            .with_sink(StoreSink::leased(store.clone(), leases.clone()));
        let on_round = Arc::new(
            |_: &LogSource, result: &Result<RoundOutcome, MonitorError>| {
                if let Err(e) = result {
                    eprintln!("pinwarden serve: CT: {e}");
                }
            },
        );
        // On Ctrl-C or SIGTERM the leases are given up, so another replica
        // needn't wait for them to expire; `run` waits for that (5 s at
        // most) before closing the store.
        tokio::spawn(async move {
            shutdown().await;
            let _ = stop_tx.send(true);
        });
        let task = tokio::spawn(leases.run(
            Arc::new(monitor),
            sources,
            interval,
            status.clone(),
            on_round,
            stop_rx,
        ));
        return Ok((status, Some(task)));
    }

    crate::ct_monitor::create_private_dir(&args.ct_state_dir)?;
    let monitor = crate::ct_monitor::monitor(&run, false)?.with_sink(StoreSink::new(store.clone()));
    let monitor = Arc::new(monitor);
    for source in &sources {
        if let Ok(c) = monitor.coverage(source).await {
            status.update(c);
        }
    }
    let on_round = {
        let status = status.clone();
        let monitor = monitor.clone();
        Arc::new(
            move |source: &LogSource, result: &Result<RoundOutcome, MonitorError>| {
                if let Err(e) = result {
                    eprintln!("pinwarden serve: CT: {e}");
                }
                let (status, monitor, source) = (status.clone(), monitor.clone(), source.clone());
                tokio::spawn(async move {
                    if let Ok(c) = monitor.coverage(&source).await {
                        status.update(c);
                    }
                });
            },
        )
    };
    // The task lives as long as the process; its state is saved atomically
    // as it goes, so stopping at any moment loses nothing.
    tokio::spawn(async move {
        let _stop = stop_tx;
        monitor.watch(sources, interval, on_round, stop_rx).await;
    });
    Ok((status, None))
}

/// The admin token from a file or the environment; never printed. A token
/// shorter than 16 characters is refused: it would be guessable.
fn admin_token(file: Option<&str>) -> anyhow::Result<Option<Arc<str>>> {
    let (token, from) = match file {
        Some(path) => (read_token_file(path)?, path.to_owned()),
        None => match std::env::var("PINWARDEN_ADMIN_TOKEN") {
            Ok(t) => (t, "PINWARDEN_ADMIN_TOKEN".to_owned()),
            Err(_) => return Ok(None),
        },
    };
    let token = token.trim();
    if token.chars().count() < 16 {
        anyhow::bail!("the admin token in {from} is shorter than 16 characters");
    }
    Ok(Some(token.into()))
}

/// Reads a token file that only its owner can read or change: a token
/// others can read is as good as published, and one they can write lets
/// them choose it. Refused otherwise, as ssh refuses an open private key
/// (issue 15). The mode is read from the opened file, not the path, so it
/// is the mode of what is read.
fn read_token_file(path: &str) -> anyhow::Result<String> {
    use std::io::Read as _;
    let cant_read = || format!("can't read the admin token file {path}");
    let mut file = std::fs::File::open(path).with_context(cant_read)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = file
            .metadata()
            .with_context(cant_read)?
            .permissions()
            .mode()
            & 0o7777;
        if mode & 0o077 != 0 {
            anyhow::bail!(
                "the admin token file {path} is open to group or others (mode {mode:04o}): \
                 run chmod 600 {path}"
            );
        }
    }
    let mut token = String::new();
    file.read_to_string(&mut token).with_context(cant_read)?;
    Ok(token)
}

/// Resolves on Ctrl-C or SIGTERM, so the database is closed cleanly.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
