//! `pinwarden serve`: loads the policy, binds, prints the URL, serves.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use pinwarden_server::store::redact;
use pinwarden_server::{AppState, Store, router};

use crate::args::ServeArgs;

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let policy = crate::policy_file::load(&args.policy)?;
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
        let _ = stdout.flush();
        drop(stdout);
        let app = router(AppState {
            policy: Arc::new(policy),
            policy_name: args.policy.as_str().into(),
            store: store.clone(),
        });
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown())
            .await
            .context("serving");
        store.close().await;
        served
    })?;
    Ok(ExitCode::SUCCESS)
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
