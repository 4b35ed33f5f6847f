//! `pinwarden manifest`: keys and signatures checked with openssl, refusals
//! with reasons, static publishing.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::support::{pinwarden, require, sh_ok, stdout_of, write};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/pinwarden.toml");

fn keygen(dir: &Path, name: &str, alg: &str) -> String {
    let prefix = dir.join(name).display().to_string();
    stdout_of(pinwarden().args(["manifest", "keygen", "--out", &prefix, "--alg", alg]));
    prefix
}

/// Signs the example's mobile manifest; `expires_in` days varies the content
/// of two manifests of the same version.
fn sign_expiring(
    dir: &Path,
    keys: &[&str],
    version: &str,
    expires_in: &str,
    out: &str,
) -> std::path::PathBuf {
    let path = dir.join(out);
    let mut cmd = pinwarden();
    cmd.args([
        "manifest",
        "sign",
        "--policy",
        EXAMPLE,
        "--app",
        "northwind-mobile",
    ])
    .args(["--version", version, "--expires-in", expires_in, "-o"])
    .arg(&path);
    for k in keys {
        cmd.args(["--key", &format!("{k}.key")]);
    }
    stdout_of(&mut cmd);
    path
}

fn sign(dir: &Path, keys: &[&str], version: &str, out: &str) -> std::path::PathBuf {
    sign_expiring(dir, keys, version, "30", out)
}

/// DSSE's PAE, written out here independently of the crate.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

#[test]
fn keys_and_signatures_verify_with_openssl() {
    require("openssl");
    let dir = tempfile::tempdir().unwrap();
    let ed = keygen(dir.path(), "ed", "ed25519");
    let ec = keygen(dir.path(), "ec", "ecdsa-p256");
    for prefix in [&ed, &ec] {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(format!("{prefix}.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{prefix}.key");
        }
        // openssl reads the PKCS#8 key and derives the same public key.
        let derived = sh_ok(&format!("openssl pkey -in '{prefix}.key' -pubout"));
        assert_eq!(
            derived,
            std::fs::read_to_string(format!("{prefix}.pub")).unwrap()
        );
    }

    let envelope_path = sign(dir.path(), &[&ed, &ec], "7", "v7.json");
    let envelope: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&envelope_path).unwrap()).unwrap();
    let payload = STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    let message = write(
        dir.path(),
        "pae.bin",
        pae(envelope["payloadType"].as_str().unwrap(), &payload),
    );
    for (n, prefix) in [&ed, &ec].into_iter().enumerate() {
        let signature = &envelope["signatures"][n];
        // The key id is SHA-256 of the DER SubjectPublicKeyInfo.
        let keyid = sh_ok(&format!(
            "openssl pkey -pubin -in '{prefix}.pub' -outform der | openssl dgst -sha256 -r | cut -d' ' -f1"
        ));
        assert_eq!(signature["keyid"], keyid.trim());
        let sig = write(
            dir.path(),
            &format!("sig{n}.bin"),
            STANDARD.decode(signature["sig"].as_str().unwrap()).unwrap(),
        );
        let check = if prefix == &ed {
            format!(
                "openssl pkeyutl -verify -pubin -inkey '{prefix}.pub' -rawin -in '{}' -sigfile '{}'",
                message.display(),
                sig.display()
            )
        } else {
            format!(
                "openssl dgst -sha256 -verify '{prefix}.pub' -signature '{}' '{}'",
                sig.display(),
                message.display()
            )
        };
        assert!(sh_ok(&check).contains("Verified"), "{check}");
    }
    let manifest: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(manifest["app"], "northwind-mobile");
    assert_eq!(manifest["version"], 7);
    assert_eq!(manifest["pin_sets"][0]["id"], "public-api");
    assert_eq!(
        manifest["report_uri"],
        "https://pins.northwind.example/report"
    );
}

#[test]
fn verify_refuses_tampering_untrusted_keys_and_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "k", "ed25519");
    let other = keygen(dir.path(), "other", "ecdsa-p256");
    let v3 = sign(dir.path(), &[&key], "3", "v3.json");
    let trust = format!("{key}.pub");

    let ok = pinwarden()
        .args(["manifest", "verify", "--trust", &trust, "--json"])
        .arg(&v3)
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    let answer: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(answer["verified"], true);
    let sha = answer["accepted"]["payload_sha256"]
        .as_str()
        .unwrap()
        .to_owned();

    // The payload with one pin changed, re-encoded, the signature kept.
    let mut envelope: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&v3).unwrap()).unwrap();
    let payload = String::from_utf8(
        STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let evil = payload.replacen("C5+lpZ7", "AAAAAAA", 1);
    assert_ne!(evil, payload);
    envelope["payload"] = STANDARD.encode(evil).into();
    let tampered = write(dir.path(), "tampered.json", envelope.to_string());

    let v2 = sign(dir.path(), &[&key], "2", "v2.json");
    let by_other = sign(dir.path(), &[&other], "4", "v4.json");
    let embedded = std::fs::read_to_string(format!("{key}.pub"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>();
    for (file, trust_key, extra, needle) in [
        (&tampered, trust.as_str(), vec![], "does not verify"),
        (&by_other, trust.as_str(), vec![], "is not trusted"),
        (
            &v2,
            embedded.as_str(),
            vec!["--last-version", "3", "--last-sha256", &sha],
            "rollback refused",
        ),
        (
            &sign_expiring(dir.path(), &[&key], "3", "10", "v3b.json"),
            trust.as_str(),
            vec!["--last-version", "3", "--last-sha256", &sha],
            "equivocation refused",
        ),
        (
            &v3,
            trust.as_str(),
            vec!["--app", "teller-desktop"],
            "not \"teller-desktop\"",
        ),
    ] {
        let out = pinwarden()
            .args(["manifest", "verify", "--trust", trust_key])
            .args(&extra)
            .arg(file)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{}: {text}", file.display());
        assert!(
            text.contains("REFUSED") && text.contains(needle),
            "{needle}: {text}"
        );
    }

    // show prints what is inside, and says it is unverified.
    let shown = pinwarden()
        .args(["manifest", "show"])
        .arg(&tampered)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shown.stderr).contains("NOT VERIFIED"));
    assert!(String::from_utf8_lossy(&shown.stdout).contains("sha256/AAAAAAA"));
}

#[test]
fn publish_writes_static_files_and_refuses_what_clients_would_refuse() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "k", "ed25519");
    let trust = format!("{key}.pub");
    let site = dir.path().join("site");
    let publish = |file: &Path| {
        pinwarden()
            .args(["manifest", "publish", "--trust", &trust, "--out"])
            .arg(&site)
            .arg(file)
            .output()
            .unwrap()
    };
    let v1 = sign(dir.path(), &[&key], "1", "v1.json");
    assert!(publish(&v1).status.success());
    let v2 = sign(dir.path(), &[&key], "2", "v2.json");
    assert!(publish(&v2).status.success());
    let current = site.join("northwind-mobile/manifest.json");
    assert_eq!(
        std::fs::read(&current).unwrap(),
        std::fs::read(&v2).unwrap()
    );
    assert_eq!(
        std::fs::read(site.join("northwind-mobile/v1.json")).unwrap(),
        std::fs::read(&v1).unwrap()
    );

    for (file, needle) in [
        (v1.as_path(), "rollback refused"),
        (
            sign_expiring(dir.path(), &[&key], "2", "10", "v2b.json").as_path(),
            "equivocation refused",
        ),
    ] {
        let out = publish(file);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{err}");
    }
    assert_eq!(
        std::fs::read(&current).unwrap(),
        std::fs::read(&v2).unwrap(),
        "a refused manifest changes nothing"
    );
}

#[test]
fn keygen_never_overwrites_a_key_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = keygen(dir.path(), "k", "ed25519");
    let before = std::fs::read(format!("{prefix}.key")).unwrap();
    pinwarden()
        .args(["manifest", "keygen", "--out", &prefix])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--force"));
    assert_eq!(std::fs::read(format!("{prefix}.key")).unwrap(), before);
    pinwarden()
        .args(["manifest", "keygen", "--out", &prefix, "--alg", "rsa"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("ed25519 or ecdsa-p256"));
}
