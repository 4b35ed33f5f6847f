//! Signing and verification: thresholds, tampering, rollback, equivocation,
//! wrong app, cohorts.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pinwarden_core::{PinSet, SpkiPin};
use pinwarden_manifest::{
    Accepted, Algorithm, Candidate, Envelope, Error, MAX_VERSION, Manifest, PAYLOAD_TYPE,
    Signature, SigningKey, TrustSet, cohort, pae, sign,
};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

fn pin_set(id: &str, host: &str, seed: u8) -> PinSet {
    PinSet::enforced(
        id,
        vec![host.parse().unwrap()],
        [seed, seed.wrapping_add(1)].map(|b| SpkiPin::from_digest([b; 32])),
    )
}

fn manifest(version: u64) -> Manifest {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let mut m = Manifest::new("mobile", version, now, now + Duration::days(30));
    m.pin_sets = vec![pin_set("api", "api.example.com", 1)];
    m.report_uri = Some("https://pins.example.com/v1/reports/mobile".into());
    m
}

fn trust(keys: &[&SigningKey], threshold: usize) -> TrustSet {
    TrustSet::new(keys.iter().map(|k| k.verifying_key()).collect(), threshold).unwrap()
}

#[test]
fn both_algorithms_sign_and_verify_and_keys_round_trip_through_pem() {
    for algorithm in [Algorithm::Ed25519, Algorithm::EcdsaP256] {
        let key = SigningKey::generate(algorithm).unwrap();
        let again = SigningKey::from_pem(&key.to_pem()).unwrap();
        assert_eq!(again.id(), key.id(), "{algorithm}");
        let public =
            pinwarden_manifest::VerifyingKey::from_text(&key.verifying_key().to_pem()).unwrap();
        assert_eq!(public, key.verifying_key());
        let embedded =
            pinwarden_manifest::VerifyingKey::from_text(&key.verifying_key().to_base64()).unwrap();
        assert_eq!(embedded, key.verifying_key());

        let envelope = sign(&manifest(3), &[&again]).unwrap();
        assert_eq!(envelope.payload_type, PAYLOAD_TYPE);
        let verified = trust(&[&key], 1)
            .verify(envelope.to_json().as_bytes(), "mobile", None)
            .unwrap();
        assert_eq!(verified.manifest(), &manifest_of(&envelope));
        assert_eq!(verified.signed_by(), [key.id().to_string()]);
    }
}

fn manifest_of(envelope: &Envelope) -> Manifest {
    envelope.unverified_manifest().unwrap()
}

#[test]
fn thresholds_count_distinct_trusted_keys() {
    let a = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let b = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
    let stranger = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let both = sign(&manifest(1), &[&a, &b]).unwrap().to_json();
    let only_a = sign(&manifest(1), &[&a]).unwrap().to_json();
    let a_twice = sign(&manifest(1), &[&a, &a]).unwrap().to_json();
    let by_stranger = sign(&manifest(1), &[&stranger]).unwrap().to_json();

    assert!(
        trust(&[&a, &b], 2)
            .verify(both.as_bytes(), "mobile", None)
            .is_ok()
    );
    assert!(
        trust(&[&a, &b], 1)
            .verify(only_a.as_bytes(), "mobile", None)
            .is_ok()
    );
    // Rotation: clients trusting {a, b} accept a manifest signed by b alone.
    let only_b = sign(&manifest(1), &[&b]).unwrap().to_json();
    assert!(
        trust(&[&a, &b], 1)
            .verify(only_b.as_bytes(), "mobile", None)
            .is_ok()
    );

    for (envelope, why) in [(&only_a, "one of two"), (&a_twice, "the same key twice")] {
        match trust(&[&a, &b], 2).verify(envelope.as_bytes(), "mobile", None) {
            Err(Error::Signatures {
                valid: 1,
                threshold: 2,
                ..
            }) => {}
            other => panic!("{why}: {other:?}"),
        }
    }
    let e = trust(&[&a], 1)
        .verify(by_stranger.as_bytes(), "mobile", None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("is not trusted") && e.contains(stranger.id().as_str()),
        "{e}"
    );

    assert!(TrustSet::new(vec![], 1).is_err());
    assert!(TrustSet::new(vec![a.verifying_key(), a.verifying_key()], 2).is_err());
    assert!(TrustSet::new(vec![a.verifying_key()], 0).is_err());
}

#[test]
fn rollback_and_equivocation_are_refused() {
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let trust = trust(&[&key], 1);
    let v5 = trust
        .verify(
            sign(&manifest(5), &[&key]).unwrap().to_json().as_bytes(),
            "mobile",
            None,
        )
        .unwrap();
    let last: &Accepted = v5.accepted();

    let v4 = sign(&manifest(4), &[&key]).unwrap().to_json();
    assert_eq!(
        trust
            .verify(v4.as_bytes(), "mobile", Some(last))
            .unwrap_err(),
        Error::Rollback {
            got: 4,
            accepted: 5
        }
    );
    let mut other = manifest(5);
    other.pin_sets = vec![pin_set("api", "api.example.com", 9)];
    let forked = sign(&other, &[&key]).unwrap().to_json();
    assert_eq!(
        trust
            .verify(forked.as_bytes(), "mobile", Some(last))
            .unwrap_err(),
        Error::Equivocation(5)
    );
    // The very same manifest again is fine (a refresh), and so is a newer one.
    assert!(
        trust
            .verify(
                sign(v5.manifest(), &[&key]).unwrap().to_json().as_bytes(),
                "mobile",
                Some(last)
            )
            .is_ok()
    );
    assert!(
        trust
            .verify(
                sign(&manifest(6), &[&key]).unwrap().to_json().as_bytes(),
                "mobile",
                Some(last)
            )
            .is_ok()
    );
}

#[test]
fn a_manifest_for_another_app_or_of_another_type_is_refused() {
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let trust = trust(&[&key], 1);
    let envelope = sign(&manifest(1), &[&key]).unwrap();
    assert!(matches!(
        trust.verify(envelope.to_json().as_bytes(), "desktop", None),
        Err(Error::WrongApp { .. })
    ));

    // A signature over the same bytes declared as another type.
    let payload = STANDARD.decode(&envelope.payload).unwrap();
    let other_type = "application/vnd.in-toto+json";
    let forged = Envelope {
        payload_type: other_type.into(),
        signatures: vec![Signature {
            keyid: Some(key.id().to_string()),
            sig: STANDARD.encode(key.sign(&pae(other_type, &payload)).unwrap()),
        }],
        ..envelope.clone()
    };
    assert!(matches!(
        trust.verify(forged.to_json().as_bytes(), "mobile", None),
        Err(Error::PayloadType(_))
    ));
    // Relabelling the type without re-signing breaks the signature instead.
    let relabelled = Envelope {
        payload_type: other_type.into(),
        ..envelope
    };
    assert!(
        trust
            .verify(relabelled.to_json().as_bytes(), "mobile", None)
            .is_err()
    );
}

#[test]
fn bad_manifests_are_refused_with_the_reason() {
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let mut no_hosts = manifest(1);
    no_hosts.pin_sets[0].hosts.clear();
    let mut backwards = manifest(1);
    backwards.expires_at = backwards.issued_at - Duration::hours(1);
    let mut zero = manifest(1);
    zero.version = 0;
    let mut too_many = manifest(1);
    too_many.candidate = Some(Candidate {
        pin_sets: vec![pin_set("api", "api.example.com", 3)],
        percentage: 101,
    });
    for (m, needle) in [
        (no_hosts, "names no hosts"),
        (backwards, "is not after"),
        (zero, "version"),
        (too_many, "above 100"),
    ] {
        let e = sign(&m, &[&key]).unwrap_err().to_string();
        assert!(e.contains(needle), "{e}");
    }
    for (text, needle) in [
        (&b"{"[..], "not a DSSE envelope"),
        (
            br#"{"payload":"","signatures":[]}"#,
            "missing field `payloadType`",
        ),
        (
            br#"{"payload":"","payloadType":"x","signatures":[{"keyid":"k"}]}"#,
            "missing field `sig`",
        ),
        // Unknown fields are ignored (DSSE), a repeated one is not: two
        // parsers could read two different payloads.
        (
            br#"{"payload":"","payload":"","payloadType":"x","signatures":[]}"#,
            "duplicate field `payload`",
        ),
        (&vec![b' '; 1 << 21][..], "more than"),
    ] {
        let e = trust(&[&key], 1)
            .verify(text, "mobile", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{e}");
    }
}

/// Versions stop at 2^53 - 1 (issue 15): a manifest of version `i64::MAX`
/// was accepted and then refused every later version. Refused at signing
/// and, for an envelope signed by other software, at verification; the
/// largest allowed version still signs and verifies.
#[test]
fn versions_above_two_to_the_53_are_refused_at_signing_and_verification() {
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let trust = trust(&[&key], 1);
    assert_eq!(MAX_VERSION, 9_007_199_254_740_991);
    let top = sign(&manifest(MAX_VERSION), &[&key]).unwrap();
    let verified = trust
        .verify(top.to_json().as_bytes(), "mobile", None)
        .unwrap();
    assert_eq!(verified.manifest().version, MAX_VERSION);

    for version in [MAX_VERSION + 1, i64::MAX as u64, u64::MAX] {
        let e = sign(&manifest(version), &[&key]).unwrap_err();
        assert_eq!(
            e,
            Error::VersionTooLarge {
                version,
                max: MAX_VERSION
            }
        );
        assert!(e.to_string().contains("above 9007199254740991"), "{e}");

        // Signed without the check, as another signer might.
        let payload = manifest(version).to_json();
        let envelope = Envelope {
            payload: STANDARD.encode(&payload),
            payload_type: PAYLOAD_TYPE.into(),
            signatures: vec![Signature {
                keyid: Some(key.id().to_string()),
                sig: STANDARD.encode(key.sign(&pae(PAYLOAD_TYPE, &payload)).unwrap()),
            }],
        };
        let e = trust
            .verify(envelope.to_json().as_bytes(), "mobile", None)
            .unwrap_err();
        assert!(matches!(e, Error::VersionTooLarge { .. }), "{e}");
    }
}

#[test]
fn ten_thousand_installs_split_within_two_points_of_the_percentage() {
    for percentage in [1u8, 5, 10, 25, 50, 90] {
        let inside = (0..10_000)
            .filter(|i| cohort(&format!("install-{i}"), "mobile") < percentage)
            .count();
        let share = inside as f64 / 100.0;
        assert!(
            (share - f64::from(percentage)).abs() <= 2.0,
            "{percentage}%: {share}% of installs"
        );
    }
    let mut m = manifest(1);
    m.candidate = Some(Candidate {
        pin_sets: vec![pin_set("api", "api.example.com", 7)],
        percentage: 30,
    });
    let in_rollout = (0..1000)
        .filter(|i| {
            m.pin_sets_for(&format!("install-{i}"))[0].pins[0].pin == SpkiPin::from_digest([7; 32])
        })
        .count();
    assert!((250..=350).contains(&in_rollout), "{in_rollout}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any single-byte change to the payload or to a signature is refused.
    #[test]
    fn any_single_byte_change_is_refused(
        payload_index in any::<prop::sample::Index>(),
        sig_index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        ecdsa in any::<bool>(),
    ) {
        let algorithm = if ecdsa { Algorithm::EcdsaP256 } else { Algorithm::Ed25519 };
        let key = SigningKey::generate(algorithm).unwrap();
        let trust = trust(&[&key], 1);
        let envelope = sign(&manifest(2), &[&key]).unwrap();

        let mut payload = STANDARD.decode(&envelope.payload).unwrap();
        let i = payload_index.index(payload.len());
        payload[i] ^= flip;
        let tampered = Envelope { payload: STANDARD.encode(&payload), ..envelope.clone() };
        prop_assert!(trust.verify(tampered.to_json().as_bytes(), "mobile", None).is_err());

        let mut sig = STANDARD.decode(&envelope.signatures[0].sig).unwrap();
        let j = sig_index.index(sig.len());
        sig[j] ^= flip;
        let mut forged = envelope;
        forged.signatures[0].sig = STANDARD.encode(&sig);
        prop_assert!(trust.verify(forged.to_json().as_bytes(), "mobile", None).is_err());
    }

    /// A byte changed anywhere in the envelope's JSON either breaks it or
    /// leaves the very same manifest (JSON whitespace, say).
    #[test]
    fn envelope_text_changes_never_yield_another_manifest(
        index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let trust = trust(&[&key], 1);
        let envelope = sign(&manifest(2), &[&key]).unwrap();
        let mut text = envelope.to_json().into_bytes();
        let i = index.index(text.len());
        text[i] ^= flip;
        if let Ok(v) = trust.verify(&text, "mobile", None) {
            prop_assert_eq!(v.manifest(), &manifest_of(&envelope));
        }
    }
}
