//! Probing live endpoints: rustls servers on 127.0.0.1 presenting test chains.

use pinwarden_test_support::{KeyKind, Pki, TlsServer};
use time::{Duration, OffsetDateTime};

use crate::support::{openssl_pin, pinwarden, require, write};

const NAME: &str = "probe.pinwarden.test";

fn probe_json(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out = pinwarden()
        .arg("pin")
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code(),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn trusted_chain_is_recorded_and_completed_with_its_root() {
    require("openssl");
    let pki = Pki::new(&[NAME]);
    let server = TlsServer::start(pki.served_chain(), pki.leaf.key_der.clone());
    let dir = tempfile::tempdir().unwrap();
    let root = write(dir.path(), "root.pem", &pki.root.pem);
    let target = format!("{NAME}:{}", server.addr.port());
    let (code, doc, stderr) = probe_json(&[
        &target,
        "--connect",
        "127.0.0.1",
        "--roots",
        root.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let input = &doc["inputs"][0];
    assert_eq!(input["verdict"]["verdict"], "trusted", "{input}");
    let rows = input["rows"].as_array().unwrap();
    let levels: Vec<&str> = rows.iter().map(|r| r["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["leaf", "intermediate", "root"]);
    assert_eq!(rows[2]["source"], "trust-store");
    let expected = [
        openssl_pin(&write(dir.path(), "leaf.pem", &pki.leaf.pem)),
        openssl_pin(&write(dir.path(), "inter.pem", &pki.intermediate.pem)),
        openssl_pin(&root),
    ];
    for (row, pin) in rows.iter().zip(&expected) {
        assert_eq!(row["pin"], pin.as_str());
    }
    assert_eq!(input["chains"][0]["status"], "complete");
}

#[test]
fn untrusted_chain_is_still_recorded() {
    let pki = Pki::new(&[NAME]);
    let server = TlsServer::start(pki.served_chain(), pki.leaf.key_der);
    let target = format!("127.0.0.1:{}", server.addr.port());
    // Mozilla's roots don't know the test root.
    let (code, doc, stderr) = probe_json(&[&target, "--sni", NAME]);
    assert_eq!(code, Some(0), "{stderr}");
    let input = &doc["inputs"][0];
    assert_eq!(input["verdict"]["verdict"], "untrusted");
    assert!(
        input["verdict"]["reason"]
            .as_str()
            .unwrap()
            .contains("issuer"),
        "{input}"
    );
    assert_eq!(input["rows"].as_array().unwrap().len(), 2);
    assert_eq!(input["chains"][0]["status"], "incomplete");
    assert!(input["notes"][0].as_str().unwrap().contains("incomplete"));
}

#[test]
fn expired_and_wrong_name_are_verdicts_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(&[NAME]);
    let root = write(dir.path(), "root.pem", &pki.root.pem);
    let now = OffsetDateTime::now_utc();
    let expired = pki.intermediate.leaf_valid(
        &[NAME],
        KeyKind::EcdsaP384,
        now - Duration::days(60),
        now - Duration::days(1),
    );
    let server = TlsServer::start(
        vec![expired.der.clone(), pki.intermediate.der.clone()],
        expired.key_der,
    );
    let port = server.addr.port();
    let target = format!("127.0.0.1:{port}");
    let (code, doc, _) = probe_json(&[&target, "--sni", NAME, "--roots", root.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    let reason = doc["inputs"][0]["verdict"]["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(reason.contains("expired"), "{reason}");
    assert_eq!(doc["inputs"][0]["rows"][0]["key"]["curve"], "P-384");

    let good = TlsServer::start(pki.served_chain(), pki.leaf.key_der);
    let target = format!("127.0.0.1:{}", good.addr.port());
    let (_, doc, _) = probe_json(&[
        &target,
        "--sni",
        "other.pinwarden.test",
        "--roots",
        root.to_str().unwrap(),
    ]);
    let reason = doc["inputs"][0]["verdict"]["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(reason.contains("not valid for name"), "{reason}");
}

#[test]
fn self_signed_server_is_recorded_with_its_pin() {
    require("openssl");
    let leaf = pinwarden_test_support::Leaf::self_signed(&[NAME], KeyKind::Ed25519);
    let dir = tempfile::tempdir().unwrap();
    let expected = openssl_pin(&write(dir.path(), "self.pem", &leaf.pem));
    let server = TlsServer::start(vec![leaf.der.clone()], leaf.key_der);
    let target = format!("127.0.0.1:{}", server.addr.port());
    let (code, doc, stderr) = probe_json(&[&target, "--sni", NAME]);
    assert_eq!(code, Some(0), "{stderr}");
    let input = &doc["inputs"][0];
    assert_eq!(input["verdict"]["verdict"], "untrusted", "{input}");
    let rows = input["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["level"], "leaf");
    assert_eq!(rows[0]["pin"], expected.as_str());
    assert_eq!(rows[0]["key"]["algorithm"], "Ed25519");
}

#[test]
fn misordered_chain_is_called_out() {
    let pki = Pki::new(&[NAME]);
    let stray = pinwarden_test_support::Ca::root("Stray Root", KeyKind::Ed25519);
    let server = TlsServer::start(
        vec![
            pki.leaf.der.clone(),
            stray.der,
            pki.intermediate.der.clone(),
        ],
        pki.leaf.key_der,
    );
    let target = format!("127.0.0.1:{}", server.addr.port());
    let (_, doc, _) = probe_json(&[&target, "--sni", NAME, "--roots", "none"]);
    let notes: Vec<&str> = doc["inputs"][0]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("out of order")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("#2") && n.contains("unused")),
        "{notes:?}"
    );
}

#[test]
fn many_hosts_keep_their_order() {
    let servers: Vec<(Pki, TlsServer)> = (0..4)
        .map(|_| {
            let pki = Pki::new(&[NAME]);
            let server = TlsServer::start(pki.served_chain(), pki.leaf.key_der.clone());
            (pki, server)
        })
        .collect();
    let targets: Vec<String> = servers
        .iter()
        .map(|(_, s)| format!("127.0.0.1:{}", s.addr.port()))
        .collect();
    let mut args: Vec<&str> = targets.iter().map(String::as_str).collect();
    args.extend(["--concurrency", "2", "--roots", "none", "--level", "leaf"]);
    let (code, doc, stderr) = probe_json(&args);
    assert_eq!(code, Some(0), "{stderr}");
    let inputs = doc["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 4);
    for ((pki, _), (input, target)) in servers.iter().zip(inputs.iter().zip(&targets)) {
        assert_eq!(input["input"], target.as_str());
        let rows = input["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "--level leaf keeps the leaf only");
        let der_hex = rows[0]["certificate"]["fingerprint_sha256"]
            .as_str()
            .unwrap();
        assert_eq!(der_hex, sha256_hex(&pki.leaf.der));
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.der", bytes);
    let out = crate::support::sh_ok(&format!("openssl dgst -sha256 -r '{}'", f.display()));
    out.split_whitespace().next().unwrap().to_owned()
}
