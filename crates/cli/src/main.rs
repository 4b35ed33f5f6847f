//! The `pinwarden` binary: parses flags and hands the work to the crates.

use std::process::ExitCode;

use clap::Parser as _;

mod args;
mod export_cmd;
mod pin_cmd;
mod pin_render;

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
    }
}
