//! The checked-in shared test vectors (testdata/vectors at the repository
//! root, made by `pinwarden manifest vectors`), verified case by case with
//! this crate and pinwarden-core: a change in behaviour breaks these tests
//! before it breaks another client. The chains also go through the real
//! verifier in crates/rustls/tests/vectors.rs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pinwarden_core::{Certificate, HostPattern, SpkiPin, set_for_host};
use pinwarden_manifest::vectors::{
    self, ChainPki, ChainVerdict, ChainsFile, CohortsFile, HostsFile, KeysFile, ManifestCase,
    ManifestsFile, RejectReason, SetsFile, Verdict,
};
use pinwarden_manifest::{Algorithm, Envelope, Error, TrustSet, VerifyingKey, cohort};
use ring::digest::{SHA256, digest};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/vectors")
}

fn read<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unique<'a>(what: &str, names: impl Iterator<Item = &'a str>) {
    let mut seen = BTreeSet::new();
    for n in names {
        assert!(seen.insert(n), "{what}: case {n} appears twice");
    }
}

fn keys() -> BTreeMap<String, VerifyingKey> {
    let file: KeysFile = read("keys.json");
    file.keys
        .iter()
        .map(|k| {
            (
                k.id.clone(),
                VerifyingKey::from_text(&k.spki_der_base64).unwrap(),
            )
        })
        .collect()
}

#[test]
fn keys_are_two_p256_and_one_ed25519_with_pinwardens_ids() {
    let file: KeysFile = read("keys.json");
    let algorithms: Vec<Algorithm> = file.keys.iter().map(|k| k.algorithm).collect();
    assert_eq!(
        algorithms,
        [
            Algorithm::EcdsaP256,
            Algorithm::EcdsaP256,
            Algorithm::Ed25519
        ]
    );
    for k in &file.keys {
        let der = STANDARD.decode(&k.spki_der_base64).unwrap();
        assert_eq!(k.id, hex(digest(&SHA256, &der).as_ref()), "{}", k.name);
        let from_der = VerifyingKey::from_spki_der(&der).unwrap();
        let from_pem = VerifyingKey::from_text(&k.public_pem).unwrap();
        assert_eq!(from_der, from_pem, "{}", k.name);
        assert_eq!(from_der.id().as_str(), k.id, "{}", k.name);
        assert_eq!(from_der.algorithm(), k.algorithm, "{}", k.name);
    }
}

/// The reason a refusal gives, written out here so that a change in the
/// mapping, or a new kind of refusal, shows.
fn reason(e: &Error) -> RejectReason {
    match e {
        Error::Signatures { valid: 0, .. } => RejectReason::Signature,
        Error::Signatures {
            valid, threshold, ..
        } => {
            assert!(valid < threshold);
            RejectReason::Threshold
        }
        Error::WrongApp { .. } => RejectReason::App,
        Error::Rollback { .. } => RejectReason::Rollback,
        Error::Equivocation(_) => RejectReason::Equivocation,
        Error::PayloadType(_) => RejectReason::PayloadType,
        Error::Envelope(_)
        | Error::TooManySignatures { .. }
        | Error::Payload(_)
        | Error::VersionTooLarge { .. } => RejectReason::Malformed,
        other => panic!("no vector reason for {other:?}"),
    }
}

#[test]
fn every_manifest_case_verifies_as_expected() {
    let keys = keys();
    let file: ManifestsFile = read("manifests.json");
    unique("manifests", file.cases.iter().map(|c| c.name.as_str()));
    let (mut accepted, mut rejected) = (0, BTreeSet::new());
    for case in &file.cases {
        let name = &case.name;
        let trusted = case
            .trusted_key_ids
            .iter()
            .map(|id| {
                keys.get(id)
                    .unwrap_or_else(|| panic!("{name}: no key {id}"))
                    .clone()
            })
            .collect();
        let trust = TrustSet::new(trusted, case.threshold).unwrap();
        let now = OffsetDateTime::parse(&case.now, &Rfc3339).unwrap();
        let result = trust.verify(case.envelope.as_bytes(), &case.app, case.last.as_ref());
        match (case.expect, result) {
            (Verdict::Accept, Ok(v)) => {
                accepted += 1;
                assert_eq!(case.reject_reason, None, "{name}");
                assert_eq!(case.version, Some(v.manifest().version), "{name}");
                assert_eq!(
                    case.payload_sha256.as_deref(),
                    Some(v.accepted().payload_sha256.as_str()),
                    "{name}"
                );
                // The hash is of the decoded payload bytes.
                let payload = Envelope::from_json(case.envelope.as_bytes())
                    .unwrap()
                    .payload_bytes()
                    .unwrap();
                assert_eq!(
                    case.payload_sha256.as_deref(),
                    Some(hex(digest(&SHA256, &payload).as_ref()).as_str()),
                    "{name}"
                );
                assert_eq!(case.expired, Some(v.expired(now)), "{name}");
                assert_eq!(case.expired, Some(now >= v.manifest().expires_at), "{name}");
                assert_eq!(case.signed_by.as_deref(), Some(v.signed_by()), "{name}");
            }
            (Verdict::Reject, Err(e)) => {
                assert_eq!(case.reject_reason, Some(reason(&e)), "{name}: {e}");
                rejected.insert(reason(&e));
                assert!(
                    case.version.is_none() && case.expired.is_none(),
                    "{name}: a rejected case carries no outcome"
                );
            }
            (expect, result) => panic!(
                "{name}: expected {expect:?}, pinwarden says {:?}",
                result.map(|v| v.manifest().version)
            ),
        }
    }
    assert!(accepted >= 10, "{accepted} accepted cases");
    assert_eq!(
        rejected.len(),
        7,
        "every reject reason has a case: {rejected:?}"
    );
}

#[test]
fn the_manifest_cases_are_the_ones_the_generator_writes() {
    // Keys and signatures are new on each run; the rest is not.
    let file: ManifestsFile = read("manifests.json");
    let (_, fresh) = vectors::manifest_vectors().unwrap();
    // Everything but the envelope and the key ids.
    let shape = |f: &ManifestsFile| -> Vec<_> {
        f.cases
            .iter()
            .map(|c| {
                let blank = |ids: &[String]| vec![String::new(); ids.len()];
                ManifestCase {
                    envelope: String::new(),
                    trusted_key_ids: blank(&c.trusted_key_ids),
                    signed_by: c.signed_by.as_deref().map(blank),
                    ..c.clone()
                }
            })
            .collect()
    };
    assert_eq!(
        shape(&file),
        shape(&fresh),
        "testdata/vectors is stale: run `pinwarden manifest vectors --out testdata/vectors`"
    );
}

#[test]
fn cohorts_are_pinwardens() {
    let file: CohortsFile = read("cohorts.json");
    assert!(file.cases.len() >= 50);
    for c in &file.cases {
        assert_eq!(cohort(&c.install_id, &c.app), c.cohort, "{c:?}");
        assert!(c.cohort < 100);
    }
    assert!(file.cases.iter().any(|c| c.install_id.is_empty()));
    assert!(file.cases.iter().any(|c| !c.install_id.is_ascii()));
    assert!(file.cases.iter().any(|c| c.install_id.len() >= 1000));
    assert_eq!(file.cases, vectors::cohort_cases(), "cohorts.json is stale");
}

#[test]
fn host_patterns_follow_okhttp() {
    let file: HostsFile = read("hosts.json");
    assert!(file.cases.len() >= 60);
    let wrong: Vec<String> = file
        .cases
        .iter()
        .filter(|c| c.pattern.parse::<HostPattern>().unwrap().matches(&c.host) != c.matches)
        .map(|c| format!("{} vs {}: OkHttp says {}", c.pattern, c.host, c.matches))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(file.cases, vectors::host_cases(), "hosts.json is stale");
}

#[test]
fn overlapping_sets_resolve_as_set_for_host_does() {
    let file: SetsFile = read("sets.json");
    unique("sets", file.cases.iter().map(|c| c.name.as_str()));
    for c in &file.cases {
        let got = set_for_host(&c.sets, &c.host).map(|(s, _)| s.id.as_str());
        assert_eq!(got, c.expect_set.as_deref(), "{}", c.name);
    }
    assert!(file.cases.iter().any(|c| c.expect_set.is_none()));
    assert_eq!(
        file.cases,
        vectors::set_cases().unwrap(),
        "sets.json is stale"
    );
}

fn der(b64: &str) -> Vec<u8> {
    STANDARD.decode(b64).unwrap()
}

fn key_pin(der: &[u8]) -> SpkiPin {
    SpkiPin::from_spki_der(Certificate::from_der(der, 0).unwrap().spki_der())
}

#[test]
fn chain_decisions_are_over_the_validated_path_only() {
    let file: ChainsFile = read("chains.json");
    unique("chains", file.cases.iter().map(|c| c.name.as_str()));
    for c in &file.cases {
        let path: Vec<Vec<u8>> = c.validated_path_der_base64.iter().map(|b| der(b)).collect();
        let served: Vec<Vec<u8>> = c.served_der_base64.iter().map(|b| der(b)).collect();
        let pins: Vec<SpkiPin> = c.pins.iter().map(|p| p.parse().unwrap()).collect();
        assert_eq!(path[0], served[0], "{}: the leaf is served first", c.name);
        let anchor = Certificate::from_der(path.last().unwrap(), 0).unwrap();
        assert!(
            anchor.is_self_signed(),
            "{}: the path ends at a root",
            c.name
        );
        let on_path = path.iter().any(|d| pins.contains(&key_pin(d)));
        let expect = if on_path {
            ChainVerdict::Match
        } else {
            ChainVerdict::Mismatch
        };
        assert_eq!(c.expect, expect, "{}", c.name);
        assert_eq!(
            vectors::path_matches(&path, &pins).unwrap(),
            on_path,
            "{}",
            c.name
        );
        if c.expect == ChainVerdict::Mismatch {
            // Each mismatch is about the path: some show a pinned key the
            // server sent off the path.
            assert!(
                !path.iter().any(|d| pins.contains(&key_pin(d))),
                "{}",
                c.name
            );
        }
    }
    let off_path_pinned = file.cases.iter().any(|c| {
        let pins: Vec<SpkiPin> = c.pins.iter().map(|p| p.parse().unwrap()).collect();
        c.expect == ChainVerdict::Mismatch
            && c.served_der_base64
                .iter()
                .any(|b| pins.contains(&key_pin(&der(b))))
    });
    assert!(
        off_path_pinned,
        "a case serves a pinned certificate off the path"
    );
}

#[test]
fn the_chain_cases_are_the_ones_the_generator_writes() {
    // The certificates are new on each run: take them from the file and
    // make the cases again.
    let file: ChainsFile = read("chains.json");
    let case = |name: &str| {
        file.cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no chain case {name}"))
    };
    let path = |name: &str, i: usize| der(&case(name).validated_path_der_base64[i]);
    let served = |name: &str, i: usize| der(&case(name).served_der_base64[i]);
    let pki = ChainPki {
        leaf: path("leaf-pinned", 0),
        inter_a: path("leaf-pinned", 1),
        root_a: path("leaf-pinned", 2),
        inter_a_reissued: path("reissued-intermediate-same-key", 1),
        leaf_direct: path("leaf-under-root-pinned-root", 0),
        inter_b: served("pinned-intermediate-served-not-on-path", 2),
        root_b: served("pinned-root-served-not-on-path", 2),
        leaf_b: served("pinned-leaf-of-other-host-served", 2),
    };
    assert_eq!(
        file.cases,
        vectors::chain_cases(&pki).unwrap(),
        "chains.json is stale: run `pinwarden manifest vectors --out testdata/vectors`"
    );
}

#[test]
fn the_readme_is_the_generators() {
    let readme = std::fs::read_to_string(dir().join("README.md")).unwrap();
    assert_eq!(readme, vectors::README, "README.md is stale");
}
