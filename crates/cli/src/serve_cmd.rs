//! `pinwarden serve`: loads the policy, binds, prints the URL, serves.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use pinwarden_server::{AppState, router};

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
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("can't listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        println!("pinwarden serving {} on http://{addr}/", args.policy);
        std::io::stdout().flush()?;
        let app = router(AppState {
            policy: Arc::new(policy),
        });
        axum::serve(listener, app).await.context("serving")
    })?;
    Ok(ExitCode::SUCCESS)
}
