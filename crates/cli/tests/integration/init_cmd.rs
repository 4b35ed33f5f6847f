//! `pinwarden init` against a local TLS server: a policy that reads back,
//! pins the CA level, and leaves the backup to people.

use pinwarden_core::policy::Policy;
use pinwarden_test_support::{Pki, TlsServer};

use crate::support::{openssl_pin, pinwarden, require, write};

#[test]
fn init_pins_the_ca_level_and_marks_the_backup_as_todo() {
    require("openssl");
    let pki = Pki::new(&["init.pinwarden.test"]);
    let server = TlsServer::start(pki.served_chain(), pki.leaf.key_der.clone());
    let port = server.addr.port();
    let dir = tempfile::tempdir().unwrap();
    let roots = write(dir.path(), "roots.pem", &pki.root.pem);
    let target = format!("init.pinwarden.test:{port}");
    let out_file = dir.path().join("pinwarden.toml");
    let run = || {
        pinwarden()
            .args([
                "init",
                &target,
                "--resolve",
                &format!("{target}:127.0.0.1"),
                "--output",
            ])
            .arg(&out_file)
            .arg("--roots")
            .arg(&roots)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    // It never overwrites.
    assert_eq!(run().status.code(), Some(2));

    let text = std::fs::read_to_string(&out_file).unwrap();
    let policy = Policy::parse(&text).unwrap_or_else(|d| panic!("{d:?}\n{text}"));
    let set = policy.pinset("init-pinwarden-test").unwrap().to_pinset();
    let pins: Vec<String> = set.pins.iter().map(|p| p.pin.to_string()).collect();
    let inter = openssl_pin(&write(dir.path(), "inter.pem", &pki.intermediate.pem));
    let root = openssl_pin(&roots);
    assert_eq!(pins, [inter, root], "intermediate and root, not the leaf");
    assert_eq!(policy.endpoints[0].port, port);
    assert!(text.contains("TODO BACKUP PIN"), "{text}");

    // lint then says what is missing, starting with the backup.
    let lint = pinwarden()
        .arg("lint")
        .arg(&out_file)
        .args(["--json", "--roots", "none"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&lint.stdout).unwrap();
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"PW001"), "{rules:?}");
}
