//! The policy schema (`pinwarden schema`) against the loader: every policy
//! schemathesis (PyPI) generates from the schema, written as TOML, loads with
//! `Policy::parse`; and values the loader refuses are refused by the schema
//! too (checked by jsonschema, formats asserted). Derandomized, bounded
//! examples; the generator is `policy_schema.py` beside this file. Issue 16.

use std::path::Path;
use std::process::Command;

use pinwarden_core::policy::Policy;

use crate::support::{pinwarden, require, stdout_of, write};

/// Enough to reach every key, enum value and nesting many times over, and
/// well under the 30 s budget.
const EXAMPLES: usize = 200;

#[test]
fn schema_valid_policies_load_and_refused_values_are_schema_invalid() {
    require("python3");
    let missing = Command::new("python3")
        .args(["-c", "import schemathesis, jsonschema"])
        .output()
        .expect("python3 runs");
    assert!(
        missing.status.success(),
        "schemathesis or jsonschema is not installed: run ./scripts/test, which installs them\n{}",
        String::from_utf8_lossy(&missing.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let schema = write(
        dir.path(),
        "schema.json",
        stdout_of(pinwarden().arg("schema")),
    );
    let out_dir = dir.path().join("policies");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/policy_schema.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&schema)
        .arg(&out_dir)
        .arg(EXAMPLES.to_string())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the generator failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let mut accepted = 0;
    let mut refused = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&out_dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let loaded = Policy::parse(&text);
        if name.starts_with("accept-") {
            accepted += 1;
            if let Err(problems) = loaded {
                let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
                failures.push(format!(
                    "{name}: schema-valid but refused: {}\n{text}",
                    problems.join("; ")
                ));
            }
        } else {
            refused += 1;
            if loaded.is_ok() {
                failures.push(format!("{name}: schema-invalid but loads:\n{text}"));
            }
        }
    }
    assert!(
        accepted >= EXAMPLES / 2 && refused > 0,
        "too few policies: {accepted} generated, {refused} refused"
    );
    assert!(
        failures.is_empty(),
        "{} of {} policies disagree with the schema:\n\n{}",
        failures.len(),
        accepted + refused,
        failures.join("\n\n")
    );
}
