//! `pinwarden check` against rustls servers on 127.0.0.1 and against chain
//! files: which pin matched, at which depth, and whether a way out remains.

use pinwarden_test_support::{Ca, KeyKind, Pki, TlsServer};

use crate::support::{pinwarden, write};

/// The pin of a DER SPKI, hashed by openssl so the test doesn't reuse
/// pinwarden's own hashing.
fn pin_of(spki: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "spki.der", spki);
    let b64 = crate::support::sh_ok(&format!(
        "openssl dgst -sha256 -binary '{}' | base64",
        f.display()
    ));
    format!("sha256/{}", b64.trim())
}

fn policy(port: u16, api_pins: &[(&str, &str)], other_pin: &str) -> String {
    let mut text = format!(
        "[[endpoint]]\nhost = \"api.pinwarden.test\"\nport = {port}\n\
         [[endpoint]]\nhost = \"other.pinwarden.test\"\nport = {port}\n\
         [[pinset]]\nid = \"api\"\nhosts = [\"api.pinwarden.test\"]\n"
    );
    for (pin, role) in api_pins {
        text.push_str(&format!(
            "[[pinset.pins]]\npin = \"{pin}\"\nrole = \"{role}\"\n"
        ));
    }
    text.push_str(&format!(
        "[[pinset]]\nid = \"other\"\nhosts = [\"other.pinwarden.test\"]\n[[pinset.pins]]\npin = \"{other_pin}\"\n"
    ));
    text
}

#[test]
fn check_reports_match_depth_backups_and_misses() {
    crate::support::require("openssl");
    let pki = Pki::new(&["api.pinwarden.test", "other.pinwarden.test"]);
    let second_ca = Ca::root("Second CA Root", KeyKind::EcdsaP384);
    let server = TlsServer::start(pki.served_chain(), pki.leaf.key_der.clone());
    let port = server.addr.port();
    let dir = tempfile::tempdir().unwrap();
    let roots = write(dir.path(), "roots.pem", &pki.root.pem);
    let inter_pin = pin_of(&pki.intermediate.spki);
    let backup_pin = pin_of(&second_ca.spki);
    let stranger = Ca::root("Stranger", KeyKind::Ed25519);
    let file = write(
        dir.path(),
        "pinwarden.toml",
        policy(
            port,
            &[(&inter_pin, "primary"), (&backup_pin, "backup")],
            &pin_of(&stranger.spki),
        ),
    );
    let resolve = |host: &str| format!("{host}:{port}:127.0.0.1");
    let out = pinwarden()
        .arg("check")
        .arg(&file)
        .args(["--json", "--roots"])
        .arg(&roots)
        .args([
            "--resolve",
            &resolve("api.pinwarden.test"),
            "--resolve",
            &resolve("other.pinwarden.test"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hosts = doc["hosts"].as_array().unwrap();
    let api = hosts.iter().find(|h| h["pinset"] == "api").unwrap();
    assert_eq!(api["result"]["matched"]["pin"], inter_pin.as_str());
    assert_eq!(api["result"]["matched"]["depth"], 1);
    assert_eq!(api["result"]["matched"]["level"], "intermediate");
    assert_eq!(api["result"]["backups_outside_chain"], 1);
    // The backup is a root the CA dataset doesn't know: whether it is
    // another operator's can't be told from its key.
    assert_eq!(api["result"]["survives_ca_change"], "unknown");
    // Validated before any match: the served chain is trusted for the name.
    assert_eq!(api["validation"]["verdict"], "trusted");
    assert!(api["leaf_expires_in_days"].as_i64().unwrap() >= 88);
    let other = hosts.iter().find(|h| h["pinset"] == "other").unwrap();
    assert!(other["result"]["matched"].is_null(), "{other}");
}

#[test]
fn check_reads_chain_files_and_spots_a_backup_in_the_chain() {
    crate::support::require("openssl");
    let pki = Pki::new(&["api.pinwarden.test", "other.pinwarden.test"]);
    let dir = tempfile::tempdir().unwrap();
    let chains = dir.path().join("chains");
    std::fs::create_dir(&chains).unwrap();
    let served = format!("{}{}", pki.leaf.pem, pki.intermediate.pem);
    write(&chains, "api.pinwarden.test.pem", &served);
    write(&chains, "other.pinwarden.test.pem", &served);
    let roots = write(dir.path(), "roots.pem", &pki.root.pem);
    let leaf_pin = pin_of(&pki.leaf.spki);
    let root_pin = pin_of(&pki.root.spki);
    // The root is marked "backup", but it is in today's chain.
    let file = write(
        dir.path(),
        "pinwarden.toml",
        policy(
            443,
            &[(&leaf_pin, "primary"), (&root_pin, "backup")],
            &root_pin,
        ),
    );
    let out = pinwarden()
        .arg("check")
        .arg(&file)
        .arg("--chains")
        .arg(&chains)
        .arg("--roots")
        .arg(&roots)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("depth 0"), "{stdout}");
    assert!(
        stdout.contains("depth 2"),
        "the root from the store matches other: {stdout}"
    );
    assert!(
        stdout.contains(&format!("backup pin {root_pin} is in today's chain")),
        "{stdout}"
    );
}

/// A chain clients refuse (here: a root the trust store doesn't hold) is
/// said so before any pin is judged, and is a finding (exit 1), though the
/// pinned intermediate is in it (issue 16).
#[test]
fn check_validates_before_matching() {
    crate::support::require("openssl");
    let pki = Pki::new(&["api.pinwarden.test", "other.pinwarden.test"]);
    let dir = tempfile::tempdir().unwrap();
    let chains = dir.path().join("chains");
    std::fs::create_dir(&chains).unwrap();
    let served = format!("{}{}", pki.leaf.pem, pki.intermediate.pem);
    write(&chains, "api.pinwarden.test.pem", &served);
    write(&chains, "other.pinwarden.test.pem", &served);
    let inter_pin = pin_of(&pki.intermediate.spki);
    let file = write(
        dir.path(),
        "pinwarden.toml",
        policy(443, &[(&inter_pin, "primary")], &inter_pin),
    );
    let stranger = Ca::root("Stranger", KeyKind::EcdsaP256);
    let roots = write(dir.path(), "roots.pem", &stranger.pem);
    let out = pinwarden()
        .arg("check")
        .arg(&file)
        .arg("--chains")
        .arg(&chains)
        .arg("--roots")
        .arg(&roots)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("CHAIN REFUSED: unknown issuer"), "{text}");
    let json = pinwarden()
        .arg("check")
        .arg(&file)
        .arg("--chains")
        .arg(&chains)
        .arg("--roots")
        .arg(&roots)
        .arg("--json")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        doc["hosts"][0]["validation"]["verdict"], "untrusted",
        "{doc}"
    );
}

/// A real public CA certificate from the dataset's sources
/// (crates/core/data/certs, provenance in SOURCES.md): its path.
fn public_cert(file: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/data/certs")
        .join(file)
}

/// Its DER, converted by openssl.
fn public_der(file: &str) -> Vec<u8> {
    let out = crate::support::sh(&format!(
        "openssl x509 -in '{}' -outform der",
        public_cert(file).display()
    ));
    assert!(out.status.success(), "{file}");
    out.stdout
}

#[test]
fn check_against_a_local_server_serving_real_lets_encrypt_certificates() {
    // A local server presents a test leaf above Let's Encrypt's real R10 and
    // ISRG Root X1, as a misconfigured (or intercepting) server would: R10
    // didn't sign that leaf. check must refuse the chain before any match,
    // and judge the pin sets' way out by the real keys' operators.
    crate::support::require("openssl");
    let pki = Pki::new(&["api.pinwarden.test", "other.pinwarden.test"]);
    let chain = vec![
        pki.served_chain()[0].clone(),
        public_der("letsencrypt/r10.pem"),
        public_der("letsencrypt/isrg-root-x1.pem"),
    ];
    let server = TlsServer::start(chain, pki.leaf.key_der);
    let port = server.addr.port();
    let r10 = crate::support::openssl_pin(&public_cert("letsencrypt/r10.pem"));
    let r11 = crate::support::openssl_pin(&public_cert("letsencrypt/r11.pem"));
    let x1 = crate::support::openssl_pin(&public_cert("letsencrypt/isrg-root-x1.pem"));
    let x2 = crate::support::openssl_pin(&public_cert("letsencrypt/isrg-root-x2.pem"));
    let g2 = crate::support::openssl_pin(&public_cert("digicert/digicert-global-root-g2.pem"));
    let dir = tempfile::tempdir().unwrap();
    // Bare pins: no label, level or source; the keys say what they are.
    let text = format!(
        "[[endpoint]]\nhost = \"api.pinwarden.test\"\nport = {port}\n\
         [[endpoint]]\nhost = \"other.pinwarden.test\"\nport = {port}\n\
         [[pinset]]\nid = \"api\"\nhosts = [\"api.pinwarden.test\"]\n\
         [[pinset.pins]]\npin = \"{r10}\"\n[[pinset.pins]]\npin = \"{r11}\"\nrole = \"backup\"\n\
         [[pinset]]\nid = \"other\"\nhosts = [\"other.pinwarden.test\"]\n\
         [[pinset.pins]]\npin = \"{x1}\"\n[[pinset.pins]]\npin = \"{x2}\"\nrole = \"backup\"\n\
         [[pinset.pins]]\npin = \"{g2}\"\nrole = \"backup\"\n"
    );
    let file = write(dir.path(), "pinwarden.toml", text);
    let roots = public_cert("letsencrypt/isrg-root-x1.pem");
    let run = |json: bool| {
        let mut cmd = pinwarden();
        cmd.arg("check").arg(&file).arg("--roots").arg(&roots);
        for host in ["api.pinwarden.test", "other.pinwarden.test"] {
            cmd.args(["--resolve", &format!("{host}:{port}:127.0.0.1")]);
        }
        if json {
            cmd.arg("--json");
        }
        cmd.output().unwrap()
    };
    let out = run(false);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("CHAIN REFUSED"), "{text}");
    let out = run(true);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let host = |set: &str| {
        doc["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["pinset"] == set)
            .unwrap()
            .clone()
    };
    let api = host("api");
    assert_eq!(api["validation"]["verdict"], "untrusted", "{api}");
    // R10 + R11: both Let's Encrypt's; X1 + X2 too, but DigiCert G2 is
    // another operator's key.
    assert_eq!(api["result"]["survives_ca_change"], "no", "{api}");
    // R10 didn't sign the leaf: it is no part of the chain that was judged,
    // so nothing is said to match it.
    assert!(api["result"]["matched"].is_null(), "{api}");
    let other = host("other");
    assert_eq!(other["result"]["survives_ca_change"], "yes", "{other}");
    assert_eq!(
        other["result"]["backup_operators"],
        serde_json::json!(["Let's Encrypt", "DigiCert"]),
        "{other}"
    );
}
