//! The `pinwarden` binary: parses flags and hands the work to the crates.

use std::process::ExitCode;

use clap::Parser as _;

// Reading a bundle makes many small allocations on every core; mimalloc
// serves them without glibc's per-thread arena growth (measured in bench/).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod assess_cmd;
mod caa_cmd;
mod chains;
mod check_cmd;
mod ct_cmd;
mod ct_monitor;
mod export_cmd;
mod init_cmd;
mod interactive;
mod lint_cmd;
mod manifest_cmd;
mod pin_cmd;
mod pin_render;
mod pin_report;
mod policy_file;
mod serve_cmd;
mod simulate_cmd;
mod vectors_pki;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("pinwarden: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: args::Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        args::Command::Pin(a) => pin_cmd::run(a),
        args::Command::Export(a) => export_cmd::run(a),
        args::Command::Lint(a) => lint_cmd::run(a),
        args::Command::Check(a) => check_cmd::run(a),
        args::Command::Simulate(a) => simulate_cmd::run(a),
        args::Command::Init(a) => init_cmd::run(a),
        args::Command::Assess(a) => assess_cmd::run(a),
        args::Command::Serve(a) => serve_cmd::run(*a),
        args::Command::Manifest(c) => manifest_cmd::run(c),
        args::Command::Caa(a) => caa_cmd::run(a),
        args::Command::Ct(c) => ct_cmd::run(c),
        args::Command::Runbook(a) => {
            let policy = policy_file::load(&a.policy)?;
            if let Some(id) = &a.app
                && !policy.applications.iter().any(|app| app.id.get_ref() == id)
            {
                anyhow::bail!("{}: no application {id:?}", a.policy);
            }
            let today = assess_cmd::today(a.today.as_deref())?;
            print!(
                "{}",
                pinwarden_assess::runbooks(&policy, today, a.app.as_deref())
            );
            Ok(ExitCode::SUCCESS)
        }
        args::Command::Schema => {
            let schema = schemars::schema_for!(pinwarden_core::policy::Policy);
            println!("{}", serde_json::to_string_pretty(&schema)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
