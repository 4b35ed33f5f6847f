//! `pinwarden manifest vectors`: the shared test vectors, written afresh and
//! checked with openssl (key ids, signatures over DSSE's PAE, certificate
//! paths and SPKI pins), and compared with the checked-in testdata/vectors
//! (the fixed files byte for byte, the others case by case).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::support::{pinwarden, require, sh_ok, stdout_of, write};

fn checked_in() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/vectors")
}

fn json(dir: &Path, name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
}

fn cases(v: &Value) -> &Vec<Value> {
    v["cases"].as_array().unwrap()
}

fn pem(der_b64: &str) -> String {
    let lines: Vec<&str> = der_b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
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
fn vectors_are_written_afresh_and_check_out_with_openssl() {
    require("openssl");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("vectors");
    let stdout = stdout_of(pinwarden().args(["manifest", "vectors", "--out"]).arg(&out));
    assert!(stdout.contains("3 keys"), "{stdout}");

    // The fixed files are byte for byte the checked-in ones.
    for name in ["README.md", "cohorts.json", "hosts.json", "sets.json"] {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(checked_in().join(name)).unwrap(),
            "{name} differs from testdata/vectors: regenerate it"
        );
    }
    // The others have the same cases and outcomes (keys differ).
    for (name, fields) in [
        (
            "manifests.json",
            &["name", "expect", "reject_reason", "version", "expired"][..],
        ),
        ("chains.json", &["name", "expect", "pins"][..]),
    ] {
        let fresh = json(&out, name);
        let kept = json(&checked_in(), name);
        let shape = |v: &Value| -> Vec<Vec<Value>> {
            cases(v)
                .iter()
                .map(|c| {
                    fields
                        .iter()
                        .map(|f| match (*f, &c[*f]) {
                            // Chain pins are new keys: keep their number.
                            ("pins", p) => p.as_array().map(Vec::len).into(),
                            (_, v) => v.clone(),
                        })
                        .collect()
                })
                .collect()
        };
        assert_eq!(
            shape(&fresh),
            shape(&kept),
            "{name}: regenerate testdata/vectors"
        );
    }

    // Key ids are SHA-256 of the SubjectPublicKeyInfo, as openssl derives it.
    let keys = json(&out, "keys.json");
    for key in keys["keys"].as_array().unwrap() {
        let name = key["name"].as_str().unwrap();
        let pub_pem = write(
            tmp.path(),
            &format!("{name}.pub"),
            key["public_pem"].as_str().unwrap(),
        );
        let id = sh_ok(&format!(
            "openssl pkey -pubin -in '{}' -outform der | openssl dgst -sha256 -r | cut -d' ' -f1",
            pub_pem.display()
        ));
        assert_eq!(id.trim(), key["id"].as_str().unwrap(), "{name}");
    }

    // The valid single-signer envelopes verify with openssl over the PAE.
    let manifests = json(&out, "manifests.json");
    for (case_name, key_name) in [
        ("p256-one-signer", "p256-a"),
        ("ed25519-one-signer", "ed25519"),
    ] {
        let case = cases(&manifests)
            .iter()
            .find(|c| c["name"] == case_name)
            .unwrap();
        let envelope: Value = serde_json::from_str(case["envelope"].as_str().unwrap()).unwrap();
        let payload = STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap();
        let message = write(
            tmp.path(),
            "pae.bin",
            pae(envelope["payloadType"].as_str().unwrap(), &payload),
        );
        let sig = write(
            tmp.path(),
            "sig.bin",
            STANDARD
                .decode(envelope["signatures"][0]["sig"].as_str().unwrap())
                .unwrap(),
        );
        let key = tmp.path().join(format!("{key_name}.pub"));
        let verify = if key_name == "ed25519" {
            format!(
                "openssl pkeyutl -verify -pubin -inkey '{}' -rawin -in '{}' -sigfile '{}'",
                key.display(),
                message.display(),
                sig.display()
            )
        } else {
            format!(
                "openssl dgst -sha256 -verify '{}' -signature '{}' '{}'",
                key.display(),
                sig.display(),
                message.display()
            )
        };
        assert!(sh_ok(&verify).contains("Verified"), "{case_name}");
    }

    // Every chain validates with openssl (the path's root the only CA, at
    // the vectors' time, for its host), and the decision is openssl's SPKI
    // pins of the validated path against the case's pins.
    let chains = json(&out, "chains.json");
    for case in cases(&chains) {
        let name = case["name"].as_str().unwrap();
        let b64 = |field: &str| -> Vec<String> {
            case[field]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        let path = b64("validated_path_der_base64");
        let served = b64("served_der_base64");
        let root = write(tmp.path(), "root.pem", pem(path.last().unwrap()));
        let leaf = write(tmp.path(), "leaf.pem", pem(&served[0]));
        let rest: String = served[1..].iter().map(|c| pem(c)).collect();
        let untrusted = write(
            tmp.path(),
            "untrusted.pem",
            rest + &pem(path.last().unwrap()),
        );
        let shown = sh_ok(&format!(
            "openssl verify -x509_strict -attime 1780272000 -verify_hostname '{}' \
             -show_chain -CAfile '{}' -untrusted '{}' '{}'",
            case["host"].as_str().unwrap(),
            root.display(),
            untrusted.display(),
            leaf.display()
        ));
        assert!(shown.contains(": OK"), "{name}: {shown}");
        let pins: Vec<&str> = case["pins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        let mut matched = false;
        for (i, cert) in path.iter().enumerate() {
            let file = write(tmp.path(), &format!("path{i}.pem"), pem(cert));
            let pin = crate::support::openssl_pin(&file);
            matched |= pins.contains(&pin.as_str());
        }
        let expect = if matched { "match" } else { "mismatch" };
        assert_eq!(case["expect"], expect, "{name}");
        // openssl's chain has as many certificates as the validated path.
        assert_eq!(
            shown.matches("depth=").count(),
            path.len(),
            "{name}: {shown}"
        );
    }
}
