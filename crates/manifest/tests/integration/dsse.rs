//! DSSE as the specification and its reference implementation write it
//! (testdata/dsse, see its README): no key id, an empty or foreign key id,
//! unknown fields, the PAE example, and the refusals a threshold needs
//! (issue 14).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pinwarden_manifest::{
    Algorithm, Envelope, Error, MAX_SIGNATURES, Manifest, PAYLOAD_TYPE, Signature, SigningKey,
    TrustSet, VerifyingKey, pae, sign,
};
use ring::digest::{SHA256, digest};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/testdata/dsse/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The P-256 key of DSSE's protocol.md test vector.
fn spec_key() -> VerifyingKey {
    VerifyingKey::from_text(&String::from_utf8(fixture("spec-key.pub.pem")).unwrap()).unwrap()
}

fn other_key() -> SigningKey {
    SigningKey::generate(Algorithm::Ed25519).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// ECDSA `r || s` (the reference's pycryptodome encoding) as ASN.1 DER, the
/// form pinwarden verifies.
fn der_from_raw(raw: &[u8]) -> Vec<u8> {
    assert_eq!(raw.len(), 64);
    let integer = |bytes: &[u8]| {
        let start = bytes
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(bytes.len() - 1);
        let mut value = bytes[start..].to_vec();
        if value[0] & 0x80 != 0 {
            value.insert(0, 0);
        }
        [vec![0x02, value.len() as u8], value].concat()
    };
    let body = [integer(&raw[..32]), integer(&raw[32..])].concat();
    [vec![0x30, body.len() as u8], body].concat()
}

/// A pinwarden envelope over manifest.json with the given signatures.
fn envelope(signatures: Vec<Signature>) -> Vec<u8> {
    Envelope {
        payload: STANDARD.encode(fixture("manifest.json")),
        payload_type: PAYLOAD_TYPE.into(),
        signatures,
    }
    .to_json()
    .into_bytes()
}

/// `key`'s signature over manifest.json, with `keyid` as the hint.
fn signature(key: &SigningKey, keyid: Option<&str>) -> Signature {
    let message = pae(PAYLOAD_TYPE, &fixture("manifest.json"));
    Signature {
        keyid: keyid.map(str::to_owned),
        sig: STANDARD.encode(key.sign(&message).unwrap()),
    }
}

fn refusal(result: Result<pinwarden_manifest::VerifiedManifest, Error>) -> (usize, String) {
    match result {
        Err(e @ Error::Signatures { valid, .. }) => (valid, e.to_string()),
        other => panic!("expected too few signatures, got {other:?}"),
    }
}

#[test]
fn pae_equals_the_specifications_example_bytes() {
    let expected = fixture("protocol-example.pae");
    assert_eq!(
        pae("http://example.com/HelloWorld", b"hello world"),
        expected
    );
    let envelope = Envelope::from_json(&fixture("protocol-example.json")).unwrap();
    assert_eq!(
        pae(&envelope.payload_type, &envelope.payload_bytes().unwrap()),
        expected
    );
}

/// Our PAE and key reading agree with the reference implementation's
/// signature (pycryptodome's), and both example envelopes parse: the spec's
/// without a key id, the reference's with its own.
#[test]
fn the_specifications_signature_verifies_over_our_pae() {
    for (name, keyid) in [
        ("protocol-example.json", None),
        ("reference-example.json", Some("66301bbf")),
    ] {
        let envelope = Envelope::from_json(&fixture(name)).unwrap();
        let [signature] = &envelope.signatures[..] else {
            panic!("{name}: one signature expected");
        };
        assert_eq!(signature.keyid_hint(), keyid, "{name}");
        let message = pae(&envelope.payload_type, &envelope.payload_bytes().unwrap());
        let raw = STANDARD.decode(&signature.sig).unwrap();
        assert!(spec_key().verify(&message, &der_from_raw(&raw)), "{name}");

        // Well signed, but not a pinwarden manifest.
        let trust = TrustSet::new(vec![spec_key()], 1).unwrap();
        assert_eq!(
            trust.verify(&fixture(name), "mobile", None).unwrap_err(),
            Error::PayloadType("http://example.com/HelloWorld".into())
        );
    }
}

/// Signed by DSSE's reference implementation; the trusted keys are tried
/// whatever the hint says, the spec's key last.
fn verifies_with_the_spec_key(name: &str) {
    let trust = TrustSet::new(
        vec![
            other_key().verifying_key(),
            other_key().verifying_key(),
            spec_key(),
        ],
        1,
    )
    .unwrap();
    let verified = trust
        .verify(&fixture(name), "mobile", None)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(verified.manifest().version, 7, "{name}");
    assert_eq!(
        verified.signed_by(),
        [spec_key().id().to_string()],
        "{name}"
    );
    // What was verified is manifest.json byte for byte.
    assert_eq!(
        verified.accepted().payload_sha256,
        hex(digest(&SHA256, &fixture("manifest.json")).as_ref()),
        "{name}"
    );
}

#[test]
fn an_envelope_without_keyid_verifies() {
    verifies_with_the_spec_key("envelope-no-keyid.json");
}

#[test]
fn an_envelope_with_an_empty_keyid_verifies() {
    verifies_with_the_spec_key("envelope-empty-keyid.json");
}

#[test]
fn an_envelope_with_a_foreign_keyid_verifies() {
    verifies_with_the_spec_key("envelope-foreign-keyid.json");
}

#[test]
fn unknown_fields_in_the_envelope_and_its_signatures_are_ignored() {
    verifies_with_the_spec_key("envelope-extra-fields.json");
}

#[test]
fn two_signatures_by_one_key_count_once_against_a_threshold_of_two() {
    let a = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
    let b = other_key();
    let trust = TrustSet::new(vec![a.verifying_key(), b.verifying_key()], 2).unwrap();
    // Two different ECDSA signatures by a, under every kind of hint.
    let a_id = a.id().to_string();
    let by_a_twice = envelope(vec![
        signature(&a, Some(&a_id)),
        signature(&a, None),
        signature(&a, Some("")),
        signature(&a, Some(b.id().as_str())),
    ]);
    let (valid, message) = refusal(trust.verify(&by_a_twice, "mobile", None));
    assert_eq!(valid, 1, "{message}");
    assert!(message.contains("counts once"), "{message}");

    // The same with the reference implementation's signature, hinted twice.
    let foreign = Envelope::from_json(&fixture("envelope-foreign-keyid.json")).unwrap();
    let none = Envelope::from_json(&fixture("envelope-no-keyid.json")).unwrap();
    let spec_twice = envelope(vec![
        none.signatures[0].clone(),
        foreign.signatures[0].clone(),
    ]);
    let trust = TrustSet::new(vec![spec_key(), b.verifying_key()], 2).unwrap();
    assert_eq!(refusal(trust.verify(&spec_twice, "mobile", None)).0, 1);

    // Adding b's signature reaches the threshold.
    let both = envelope(vec![foreign.signatures[0].clone(), signature(&b, None)]);
    let verified = trust.verify(&both, "mobile", None).unwrap();
    assert_eq!(verified.signed_by().len(), 2);
}

#[test]
fn a_wrong_signature_with_a_matching_keyid_still_fails() {
    let a = SigningKey::generate(Algorithm::EcdsaP256).unwrap();
    let b = other_key();
    let a_id = a.id().to_string();

    // b's signature claiming to be a's: a doesn't verify it.
    let claimed = envelope(vec![signature(&b, Some(&a_id))]);
    let only_a = TrustSet::new(vec![a.verifying_key()], 1).unwrap();
    let (valid, message) = refusal(only_a.verify(&claimed, "mobile", None));
    assert_eq!(valid, 0);
    assert!(message.contains(&a_id), "{message}");

    // A damaged signature of a's, hinted as a's, fails with every key.
    let mut damaged = signature(&a, Some(&a_id));
    let mut raw = STANDARD.decode(&damaged.sig).unwrap();
    raw[10] ^= 1;
    damaged.sig = STANDARD.encode(&raw);
    let both = TrustSet::new(vec![a.verifying_key(), b.verifying_key()], 1).unwrap();
    assert_eq!(
        refusal(both.verify(&envelope(vec![damaged]), "mobile", None)).0,
        0
    );

    // The hint is only a hint: the mislabelled but valid signature counts
    // for the key that made it.
    let verified = both.verify(&claimed, "mobile", None).unwrap();
    assert_eq!(verified.signed_by(), [b.id().to_string()]);
}

#[test]
fn more_than_the_maximum_of_signatures_is_refused() {
    let key = other_key();
    let trust = TrustSet::new(vec![key.verifying_key()], 1).unwrap();
    let junk = || Signature {
        keyid: None,
        sig: STANDARD.encode([0u8; 64]),
    };

    // At the limit, with the good signature last: verified.
    let mut signatures: Vec<_> = (1..MAX_SIGNATURES).map(|_| junk()).collect();
    signatures.push(signature(&key, None));
    assert!(
        trust
            .verify(&envelope(signatures.clone()), "mobile", None)
            .is_ok()
    );

    signatures.push(signature(&key, None));
    assert_eq!(
        trust
            .verify(&envelope(signatures), "mobile", None)
            .unwrap_err(),
        Error::TooManySignatures {
            count: MAX_SIGNATURES + 1,
            max: MAX_SIGNATURES
        }
    );

    // A megabyte of empty signatures is counted, not kept.
    let payload = STANDARD.encode(fixture("manifest.json"));
    let many = 90_000;
    let text = format!(
        r#"{{"payload":"{payload}","payloadType":"{PAYLOAD_TYPE}","signatures":[{}]}}"#,
        vec![r#"{"sig":""}"#; many].join(",")
    );
    assert!(text.len() <= pinwarden_manifest::MAX_ENVELOPE_BYTES);
    let e = Envelope::from_json(text.as_bytes()).unwrap_err();
    assert_eq!(
        e,
        Error::TooManySignatures {
            count: many,
            max: MAX_SIGNATURES
        }
    );
    assert!(e.to_string().contains("at most 32"), "{e}");

    // Nobody can make or require such an envelope.
    let keys: Vec<_> = (0..=MAX_SIGNATURES).map(|_| other_key()).collect();
    let manifest = Manifest::from_json(&fixture("manifest.json")).unwrap();
    assert!(matches!(
        sign(&manifest, &keys.iter().collect::<Vec<_>>()),
        Err(Error::TooManySignatures { .. })
    ));
    assert!(matches!(
        TrustSet::new(
            keys.iter().map(SigningKey::verifying_key).collect(),
            MAX_SIGNATURES + 1
        ),
        Err(Error::Trust(_))
    ));
}

#[test]
fn an_untrusted_key_id_is_quoted_and_cut_in_messages() {
    let key = other_key();
    let trust = TrustSet::new(vec![other_key().verifying_key()], 1).unwrap();
    let long = format!("\u{1b}[31m{}", "x".repeat(100_000));
    let (_, message) = refusal(trust.verify(
        &envelope(vec![signature(&key, Some(&long))]),
        "mobile",
        None,
    ));
    assert!(message.len() < 400, "{} bytes", message.len());
    assert!(message.contains(r#""\u{1b}[31mxxx"#), "{message}");
    assert!(!message.contains('\u{1b}'), "{message}");
}

#[test]
fn signing_writes_key_ids_and_a_missing_one_stays_missing() {
    let key = other_key();
    let manifest = Manifest::from_json(&fixture("manifest.json")).unwrap();
    let signed: serde_json::Value =
        serde_json::from_str(&sign(&manifest, &[&key]).unwrap().to_json()).unwrap();
    assert_eq!(signed["signatures"][0]["keyid"], key.id().as_str());

    let read = Envelope::from_json(&fixture("envelope-no-keyid.json")).unwrap();
    let written: serde_json::Value = serde_json::from_str(&read.to_json()).unwrap();
    assert_eq!(
        written["signatures"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["sig"]
    );
    // Unknown fields are ignored, not carried along.
    let extra = Envelope::from_json(&fixture("envelope-extra-fields.json")).unwrap();
    assert!(!extra.to_json().contains("x-producer"));
}
