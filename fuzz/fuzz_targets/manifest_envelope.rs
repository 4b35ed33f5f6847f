//! Envelope parsing and verification on arbitrary bytes: never a panic, and
//! nothing but the signed manifest ever verifies.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pinwarden_manifest::{SigningKey, TrustSet};

/// A fixed Ed25519 key (RFC 8032 test 1's seed in RFC 8410 PKCS#8 v1).
fn trust() -> &'static TrustSet {
    static TRUST: OnceLock<TrustSet> = OnceLock::new();
    TRUST.get_or_init(|| {
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(&[
            0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec,
            0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03,
            0x1c, 0xae, 0x7f, 0x60,
        ]);
        let key = SigningKey::from_pkcs8_der(&der).expect("the fixed key loads");
        TrustSet::new(vec![key.verifying_key()], 1).expect("one key, threshold 1")
    })
}

fuzz_target!(|data: &[u8]| {
    // Without the private key the fuzzer can't sign, so nothing verifies;
    // what's tested is that no input panics the parser or the verifier.
    let result = trust().verify(data, "app", None);
    assert!(result.is_err());
    if let Ok(envelope) = pinwarden_manifest::Envelope::from_json(data) {
        let _ = envelope.unverified_manifest();
    }
});
