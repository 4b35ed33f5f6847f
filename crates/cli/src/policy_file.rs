//! Loading pinwarden.toml for the commands that read it.

use anyhow::{Context as _, bail};
use pinwarden_core::policy::Policy;

/// Reads and checks the policy at `path`; problems are printed one per line
/// as `FILE:LINE:COLUMN: message (hint: …)`.
pub(crate) fn load(path: &str) -> anyhow::Result<Policy> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("can't read policy file {path}"))?;
    match Policy::parse(&text) {
        Ok(policy) => Ok(policy),
        Err(problems) => {
            for p in &problems {
                eprintln!("{path}:{p}");
            }
            bail!("{path}: {} problem(s); nothing was done", problems.len())
        }
    }
}
