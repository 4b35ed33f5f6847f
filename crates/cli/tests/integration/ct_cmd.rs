//! `pinwarden ct`: tree heads signed by openssl, checked.

use crate::support::{pinwarden, require, sh_ok, write};

#[test]
fn ct_verify_sth_checks_a_head_signed_by_openssl() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    require("openssl");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    sh_ok(&format!(
        "cd '{d}' && openssl ecparam -name prime256v1 -genkey -noout -out log.pem"
    ));
    let spki = sh_ok(&format!(
        "cd '{d}' && openssl pkey -in log.pem -pubout -outform DER | base64 -w0"
    ));
    let root = [7u8; 32];
    let mut tbs = vec![0u8, 1];
    tbs.extend(1_795_900_000_000u64.to_be_bytes());
    tbs.extend(42u64.to_be_bytes());
    tbs.extend(root);
    write(dir.path(), "tbs.bin", &tbs);
    sh_ok(&format!(
        "cd '{d}' && openssl dgst -sha256 -sign log.pem -out sig.bin tbs.bin"
    ));
    let sig = std::fs::read(dir.path().join("sig.bin")).unwrap();
    let mut signed = vec![4u8, 3];
    signed.extend(u16::try_from(sig.len()).unwrap().to_be_bytes());
    signed.extend(&sig);
    let head = serde_json::json!({
        "tree_size": 42,
        "timestamp": 1_795_900_000_000u64,
        "sha256_root_hash": STANDARD.encode(root),
        "tree_head_signature": STANDARD.encode(&signed),
    });
    let good = write(dir.path(), "sth.json", head.to_string());
    pinwarden()
        .args(["ct", "verify-sth", "--log-key", spki.trim()])
        .arg(&good)
        .assert()
        .success()
        .stdout(predicates::str::contains("verified: tree size 42"));
    let mut forged = head;
    forged["tree_size"] = 43.into();
    let forged = write(dir.path(), "forged.json", forged.to_string());
    pinwarden()
        .args(["ct", "verify-sth", "--log-key", spki.trim()])
        .arg(&forged)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("REFUSED"));
    pinwarden()
        .args(["ct", "verify-sth", "--log-key", "not base64!"])
        .arg(&good)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--log-key"));
}
