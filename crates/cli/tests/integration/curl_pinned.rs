//! curl, given pinwarden's `curl` export, connects to a local TLS server that
//! presents the pinned key and refuses one that doesn't.

use pinwarden_test_support::{Pki, TlsServer};

use crate::support::{pinwarden, require, sh, stdout_of, write};

fn curl_with(export: &str, root: &std::path::Path, port: u16) -> std::process::Output {
    // The export pasted into a shell command line, as a user would.
    sh(&format!(
        "curl --silent --show-error --max-time 10 {} --cacert '{}' \
         --resolve pin.pinwarden.test:{port}:127.0.0.1 https://pin.pinwarden.test:{port}/",
        export.trim(),
        root.display()
    ))
}

#[test]
fn curl_accepts_the_exported_pin_and_rejects_a_wrong_one() {
    require("curl");
    let pki = Pki::new(&["pin.pinwarden.test"]);
    let server = TlsServer::start(pki.served_chain(), pki.leaf.key_der.clone());
    let dir = tempfile::tempdir().unwrap();
    let root = write(dir.path(), "root.pem", &pki.root.pem);
    let leaf = write(dir.path(), "leaf.pem", &pki.leaf.pem);
    let port = server.addr.port();

    // The leaf's pin, as pinwarden computes it, exported for curl.
    let leaf_pin = stdout_of(
        pinwarden()
            .args(["pin", "--format", "plain", "--roots", "none"])
            .arg(&leaf),
    );
    let good = stdout_of(pinwarden().args([
        "export",
        "--to",
        "curl",
        "--pin-level",
        "leaf",
        "--host",
        "pin.pinwarden.test",
        "--danger-single-pin",
        "--pin",
        leaf_pin.trim(),
    ]));
    assert!(good.starts_with("--pinnedpubkey 'sha256//"), "{good}");
    let out = curl_with(&good, &root, port);
    assert!(
        out.status.success(),
        "curl refused the right pin: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");

    // A wrong pin (the intermediate's key: in the chain, but curl checks only
    // the leaf) must fail with curl's pin-mismatch error.
    let inter = write(dir.path(), "inter.pem", &pki.intermediate.pem);
    let inter_pin = stdout_of(
        pinwarden()
            .args(["pin", "--format", "plain", "--roots", "none"])
            .arg(&inter),
    );
    let wrong = pinwarden()
        .args([
            "export",
            "--to",
            "curl",
            "--host",
            "pin.pinwarden.test",
            "--danger-single-pin",
            "--pin",
            inter_pin.trim(),
        ])
        .output()
        .unwrap();
    assert!(wrong.status.success());
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("only the leaf"),
        "expected a leaf-only warning, got: {stderr}"
    );
    let out = curl_with(&String::from_utf8_lossy(&wrong.stdout), &root, port);
    // 90 = CURLE_SSL_PINNEDPUBKEYNOTMATCH
    assert_eq!(
        out.status.code(),
        Some(90),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Several pins, one of them right: curl accepts.
    let both = stdout_of(pinwarden().args([
        "export",
        "--to",
        "curl",
        "--pin-level",
        "leaf",
        "--pin",
        inter_pin.trim(),
        "--backup-pin",
        leaf_pin.trim(),
    ]));
    let out = curl_with(&both, &root, port);
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
