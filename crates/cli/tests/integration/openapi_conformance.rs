//! The OpenAPI document against the server it describes, checked by
//! schemathesis (PyPI): every documented operation, positive and negative
//! input generated from the schemas, every check (status codes, content
//! types, response schemas, schema-violating input refused, schema-valid
//! input accepted, missing auth refused...). Fixed seed, bounded examples.
//! Issue 14.

use std::process::Command;

use crate::serve_cmd::start_serving;
use crate::support::{pinwarden, require, write};

#[test]
fn schemathesis_finds_no_failure() {
    require("schemathesis");
    let dir = tempfile::tempdir().unwrap();
    let token = "schemathesis-admin-token-0123456789";
    let token_file = write(dir.path(), "token", format!("{token}\n"));
    std::fs::set_permissions(
        &token_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let signer = dir.path().join("signer");
    let keygen = pinwarden()
        .args(["manifest", "keygen", "--out"])
        .arg(&signer)
        .output()
        .unwrap();
    assert!(
        keygen.status.success(),
        "{}",
        String::from_utf8_lossy(&keygen.stderr)
    );
    let database = format!("sqlite://{}/pw.db", dir.path().display());
    let server = start_serving(
        &database,
        &[
            "--admin-token-file",
            token_file.to_str().unwrap(),
            "--manifest-trust",
            signer.with_extension("pub").to_str().unwrap(),
            // Schemathesis sends a few hundred reports, most of them new
            // failures, from one address.
            "--report-rate",
            "1000",
            "--report-source-rate",
            "1000",
            "--report-source-new-failures",
            "100000",
            "--report-new-failures",
            "100000",
        ],
    );
    let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/schemathesis");
    let out = Command::new("schemathesis")
        .current_dir(&tools)
        .env("PYTHONPATH", &tools)
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .args(["--config-file", "schemathesis.toml", "run"])
        .arg(format!("{}/api/openapi.json", server.url))
        .args([
            "--checks",
            "all",
            "--max-examples",
            "30",
            "--seed",
            "1",
            "--no-color",
        ])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && !text.contains("FAILURES"),
        "schemathesis found failures:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // It did test: every operation of the document was exercised.
    assert!(text.contains("passed"), "{text}");
}
