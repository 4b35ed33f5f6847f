//! Signed tree heads made and signed by openssl (ECDSA P-256 and RSA-2048),
//! verified by pinwarden-ct; any change to the head or the key is refused.

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
