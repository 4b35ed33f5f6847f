//! Log keys, signed tree heads and log lists, with keys, ids and signatures
//! made by openssl: tree heads verify and any change is refused; v3 log lists
//! (RFC 6962 and tiled logs) are read, and a bad entry is named.

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pinwarden_ct::{LogKey, SignedTreeHead, SthError};

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs: ./scripts/test installs it");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A key made by openssl; the log key as a log list gives it.
fn key(dir: &Path, name: &str, kind: &str) -> String {
    let key = format!("{name}.pem");
    match kind {
        "ec" => openssl(
            dir,
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
                &key,
            ],
        ),
        _ => openssl(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &key,
            ],
        ),
    };
    let der = openssl(dir, &["pkey", "-in", &key, "-pubout", "-outform", "DER"]);
    STANDARD.encode(der)
}

/// RFC 6962 §3.5's signed bytes, written out here independently.
fn tbs(timestamp: u64, size: u64, root: &[u8; 32]) -> Vec<u8> {
    let mut v = vec![0u8, 1u8];
    v.extend(timestamp.to_be_bytes());
    v.extend(size.to_be_bytes());
    v.extend(root);
    v
}

fn signed_head(dir: &Path, name: &str, sig_alg: u8, size: u64) -> SignedTreeHead {
    let root = [0x5du8; 32];
    let timestamp = 1_795_900_000_000;
    std::fs::write(dir.join("tbs.bin"), tbs(timestamp, size, &root)).unwrap();
    openssl(
        dir,
        &[
            "dgst",
            "-sha256",
            "-sign",
            &format!("{name}.pem"),
            "-out",
            "sig.bin",
            "tbs.bin",
        ],
    );
    let sig = std::fs::read(dir.join("sig.bin")).unwrap();
    let mut digitally_signed = vec![4u8, sig_alg];
    digitally_signed.extend(u16::try_from(sig.len()).unwrap().to_be_bytes());
    digitally_signed.extend(&sig);
    SignedTreeHead {
        tree_size: size,
        timestamp,
        sha256_root_hash: STANDARD.encode(root),
        tree_head_signature: STANDARD.encode(digitally_signed),
    }
}

#[test]
fn heads_signed_by_openssl_verify_and_changes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (name, kind, sig_alg) in [("ec", "ec", 3u8), ("rsa", "rsa", 1u8)] {
        let log = LogKey::from_base64(&key(dir.path(), name, kind)).unwrap();
        let head = signed_head(dir.path(), name, sig_alg, 1_000_000);
        let json = serde_json::to_vec(&head).unwrap();
        SignedTreeHead::from_json(&json)
            .unwrap()
            .verify(&log)
            .unwrap();

        let mut bigger = head.clone();
        bigger.tree_size += 1;
        assert_eq!(bigger.verify(&log), Err(SthError::BadSignature), "{name}");
        let mut later = head.clone();
        later.timestamp += 1;
        assert_eq!(later.verify(&log), Err(SthError::BadSignature), "{name}");
        let mut other_root = head.clone();
        other_root.sha256_root_hash = STANDARD.encode([0x5eu8; 32]);
        assert_eq!(
            other_root.verify(&log),
            Err(SthError::BadSignature),
            "{name}"
        );

        let other = LogKey::from_base64(&key(dir.path(), &format!("{name}2"), kind)).unwrap();
        assert_eq!(head.verify(&other), Err(SthError::BadSignature), "{name}");
        assert_ne!(log.log_id(), other.log_id());
    }

    let ec = LogKey::from_base64(&key(dir.path(), "ec3", "ec")).unwrap();
    let wrong_alg = signed_head(dir.path(), "ec3", 1, 5);
    assert!(matches!(wrong_alg.verify(&ec), Err(SthError::Field(_))));
    let mut short = signed_head(dir.path(), "ec3", 3, 5);
    short.tree_head_signature = STANDARD.encode([4u8, 3, 0]);
    assert!(matches!(short.verify(&ec), Err(SthError::Field(_))));
    assert!(matches!(
        SignedTreeHead::from_json(b"{\"tree_size\": -1}"),
        Err(SthError::Json(_))
    ));
    assert!(matches!(LogKey::from_base64("AAAA"), Err(SthError::Key(_))));
}

/// The log id openssl computes: SHA-256 of the DER SPKI, base64.
fn log_id(dir: &Path, name: &str) -> String {
    let der = openssl(
        dir,
        &[
            "pkey",
            "-in",
            &format!("{name}.pem"),
            "-pubout",
            "-outform",
            "DER",
        ],
    );
    std::fs::write(dir.join("spki.der"), der).unwrap();
    STANDARD.encode(openssl(dir, &["dgst", "-sha256", "-binary", "spki.der"]))
}

#[test]
fn a_v3_log_list_with_tiled_logs_is_read_and_bad_entries_are_named() {
    use pinwarden_ct::{Api, parse_log_list};
    let dir = tempfile::tempdir().unwrap();
    let classic = key(dir.path(), "classic", "ec");
    let tiled = key(dir.path(), "tiled", "rsa");
    let list = |classic_id: &str| {
        serde_json::json!({
            "version": "42.1",
            "log_list_timestamp": "2026-11-29T00:00:00Z",
            "operators": [{
                "name": "Example Operator",
                "email": ["ct@example.com"],
                "logs": [{
                    "description": "Example 2026h2",
                    "log_id": classic_id,
                    "key": classic,
                    "url": "https://ct.example.com/2026h2/",
                    "mmd": 86400,
                    "state": {"usable": {"timestamp": "2026-01-01T00:00:00Z"}},
                    "temporal_interval": {"start_inclusive": "2026-07-01T00:00:00Z", "end_exclusive": "2027-01-01T00:00:00Z"}
                }],
                "tiled_logs": [{
                    "description": "Example Static 2027",
                    "log_id": log_id(dir.path(), "tiled"),
                    "key": tiled,
                    "submission_url": "https://submit.example.com/2027/",
                    "monitoring_url": "https://tiles.example.com/2027/",
                    "mmd": 60,
                    "state": {"qualified": {"timestamp": "2026-11-01T00:00:00Z"}}
                }]
            }]
        })
        .to_string()
    };
    let logs = parse_log_list(list(&log_id(dir.path(), "classic")).as_bytes()).unwrap();
    assert_eq!(logs.len(), 2);
    assert_eq!(
        logs[0].api,
        Api::Rfc6962 {
            url: "https://ct.example.com/2026h2/".into()
        }
    );
    assert_eq!(logs[0].state.as_deref(), Some("usable"));
    assert_eq!(
        logs[0].interval.as_ref().unwrap().end_exclusive,
        "2027-01-01T00:00:00Z"
    );
    assert!(
        matches!(logs[1].api, Api::Tiled { ref monitoring_url, .. } if monitoring_url == "https://tiles.example.com/2027/")
    );
    assert_eq!(logs[1].mmd, 60);

    let wrong = STANDARD.encode([0u8; 32]);
    let e = parse_log_list(list(&wrong).as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Example Operator / Example 2026h2") && e.contains("not the SHA-256 of the key"),
        "{e}"
    );
    assert!(parse_log_list(b"{\"operators\": 3}").is_err());
}
