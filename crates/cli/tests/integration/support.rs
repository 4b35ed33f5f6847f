//! Shared helpers: the binary, required tools, temporary files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The pinwarden binary under test.
pub(crate) fn pinwarden() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("pinwarden").expect("cargo builds the pinwarden binary")
}

/// Fails (does not skip) when an independent tool is missing: `./scripts/test`
/// installs every tool these tests use.
pub(crate) fn require(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is not installed: run ./scripts/test, which installs it"
    );
}

/// Runs a shell command, returning its output.
pub(crate) fn sh(script: &str) -> Output {
    Command::new("sh")
        .args(["-c", script])
        .output()
        .expect("sh runs")
}

/// Runs a shell command that must succeed, returning its stdout.
pub(crate) fn sh_ok(script: &str) -> String {
    let out = sh(script);
    assert!(
        out.status.success(),
        "`{script}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Writes `contents` to `name` inside `dir`.
pub(crate) fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write a temp file");
    path
}

/// openssl's SPKI pin of the first certificate in a PEM file.
pub(crate) fn openssl_pin(cert_pem: &Path) -> String {
    let pin = sh_ok(&format!(
        "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform der \
         | openssl dgst -sha256 -binary | base64",
        cert_pem.display()
    ));
    format!("sha256/{}", pin.trim())
}

/// The stdout of a successful pinwarden run.
pub(crate) fn stdout_of(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().expect("pinwarden runs");
    assert!(
        out.status.success(),
        "pinwarden failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// The SARIF 2.1.0 JSON Schema, from the npm package `@microsoft/jest-sarif`
/// (fetched once with `npm pack` into target/test-tools/).
pub(crate) fn sarif_schema() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-tools");
    let schema = dir.join("package/lib/schemas/sarif-2.1.0-rtm.5.json");
    if !schema.exists() {
        require("npm");
        std::fs::create_dir_all(&dir).expect("create target/test-tools");
        sh_ok(&format!(
            "cd '{}' && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null && tar xzf microsoft-jest-sarif-1.0.0-beta.0.tgz",
            dir.display()
        ));
    }
    assert!(
        schema.exists(),
        "the SARIF schema is missing from {}",
        schema.display()
    );
    schema
}

/// Microsoft's SARIF multitool (`@microsoft/sarif-multitool`, installed in
/// tests/tools by ./scripts/test): validates `log` and returns every error
/// and warning it reports (an empty list when the log is clean).
pub(crate) fn sarif_multitool(log: &Path) -> Vec<String> {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/tools/node_modules/.bin/sarif-multitool");
    assert!(
        tool.exists(),
        "the SARIF multitool is not installed in tests/tools: run ./scripts/test, which installs it"
    );
    let out_dir = tempfile::tempdir().expect("a temporary directory");
    let out = Command::new(&tool)
        .arg("validate")
        .arg(log)
        .arg("-o")
        .arg(out_dir.path().join("validation.sarif"))
        .output()
        .expect("run the SARIF multitool");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && text.contains("Analysis completed successfully"),
        "the SARIF multitool failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .filter(|l| l.contains(": error ") || l.contains(": warning "))
        .map(str::to_owned)
        .collect()
}
