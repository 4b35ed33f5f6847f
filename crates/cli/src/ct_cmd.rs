//! `pinwarden ct`: verify-sth here; the monitor commands in `ct_monitor`.

use std::io::Read as _;
use std::process::ExitCode;

use anyhow::Context as _;
use base64::Engine as _;
use pinwarden_ct::{LogKey, SignedTreeHead};

use crate::args::{CtCommand, VerifySthArgs};

pub(crate) fn run(command: CtCommand) -> anyhow::Result<ExitCode> {
    match command {
        CtCommand::Once(a) => crate::ct_monitor::once(&a),
        CtCommand::Watch(a) => crate::ct_monitor::watch(&a),
        CtCommand::Coverage(a) => crate::ct_monitor::coverage(&a),
        CtCommand::VerifySth(a) => verify_sth(&a),
    }
}

fn verify_sth(a: &VerifySthArgs) -> anyhow::Result<ExitCode> {
    let key = LogKey::from_base64(&a.log_key).context("--log-key")?;
    let bytes = if a.sth == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        buf
    } else {
        std::fs::read(&a.sth).with_context(|| format!("can't read {}", a.sth))?
    };
    let head = SignedTreeHead::from_json(&bytes).with_context(|| a.sth.clone())?;
    let log_id = base64::engine::general_purpose::STANDARD.encode(key.log_id());
    let result = head.verify(&key);
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "verified": result.is_ok(),
                "reason": result.as_ref().err().map(ToString::to_string),
                "log_id": log_id,
                "tree_size": head.tree_size,
                "timestamp": head.timestamp,
                "sha256_root_hash": head.sha256_root_hash,
            })
        );
    } else {
        match &result {
            Ok(()) => println!(
                "{}: verified: tree size {}, timestamp {}, root {} (log id {log_id})",
                a.sth, head.tree_size, head.timestamp, head.sha256_root_hash
            ),
            Err(e) => println!("{}: REFUSED: {e} (log id {log_id})", a.sth),
        }
    }
    Ok(if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
