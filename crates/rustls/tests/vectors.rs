//! The shared test vectors' chain cases (testdata/vectors/chains.json at the
//! repository root) through the real verifier: each case's served
//! certificates, with the last certificate of its validated path as the only
//! trust anchor, at the vectors' time. The verifier must decide as the case
//! says, and the path it validated must be the case's `validated_path`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pinwarden_core::{PinSet, SpkiPin};
use pinwarden_manifest::vectors::{ChainCase, ChainVerdict, ChainsFile, NOW};
use pinwarden_rustls::{PinMismatch, PinStore, PinningVerifier};
use rustls::client::danger::ServerCertVerifier as _;
use rustls::{CertificateError, RootCertStore};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

fn chains() -> ChainsFile {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/chains.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn der(b64: &str) -> CertificateDer<'static> {
    CertificateDer::from(STANDARD.decode(b64).unwrap())
}

/// The distinct keys of a path. webpki may take a root the server also sent
/// as an intermediate below the same root as anchor (leaf, intermediate,
/// root, root): the same keys as the path the case names.
fn keys(path: &[SpkiPin]) -> BTreeSet<SpkiPin> {
    path.iter().copied().collect()
}

fn key_pin(cert: &CertificateDer<'_>) -> SpkiPin {
    let cert = pinwarden_core::Certificate::from_der(cert.as_ref(), 0).unwrap();
    SpkiPin::from_spki_der(cert.spki_der())
}

/// What the verifier makes of the case with `pins`: `Ok` for a match, else
/// the keys of the path it validated.
fn decide(case: &ChainCase, pins: Vec<SpkiPin>) -> Result<(), Vec<SpkiPin>> {
    let anchor = der(case.validated_path_der_base64.last().unwrap());
    let mut roots = RootCertStore::empty();
    roots.add(anchor).unwrap();
    let set = PinSet::enforced("vectors", vec![case.host.parse().unwrap()], pins);
    let verifier = PinningVerifier::new(
        Arc::new(roots),
        Arc::new(rustls::crypto::ring::default_provider()),
        PinStore::new(vec![set]),
    )
    .unwrap();
    let served: Vec<CertificateDer<'static>> =
        case.served_der_base64.iter().map(|b| der(b)).collect();
    let name = ServerName::try_from(case.host.clone()).unwrap();
    let now = UnixTime::since_unix_epoch(Duration::from_secs(
        u64::try_from(NOW.unix_timestamp()).unwrap(),
    ));
    match verifier.verify_server_cert(&served[0], &served[1..], &name, &[], now) {
        Ok(_) => Ok(()),
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(other))) => {
            let mismatch = other
                .0
                .downcast_ref::<PinMismatch>()
                .unwrap_or_else(|| panic!("{}: not a pin mismatch: {other:?}", case.name));
            Err(mismatch.saw.clone())
        }
        Err(e) => panic!("{}: the chain doesn't validate: {e}", case.name),
    }
}

#[test]
fn the_verifier_decides_every_chain_case_as_expected() {
    let file = chains();
    assert!(file.cases.len() >= 10);
    for case in &file.cases {
        let pins: Vec<SpkiPin> = case.pins.iter().map(|p| p.parse().unwrap()).collect();
        let path_keys: Vec<SpkiPin> = case
            .validated_path_der_base64
            .iter()
            .map(|b| key_pin(&der(b)))
            .collect();
        match (case.expect, decide(case, pins)) {
            (ChainVerdict::Match, Ok(())) => {}
            (ChainVerdict::Mismatch, Err(saw)) => {
                assert_eq!(keys(&saw), keys(&path_keys), "{}", case.name);
            }
            (expect, got) => panic!("{}: expected {expect:?}, got {got:?}", case.name),
        }
    }
}

#[test]
fn the_validated_path_is_the_one_the_verifier_builds() {
    // A pin matching nothing: the mismatch names the keys of the path the
    // verifier validated, which must be the case's path.
    for case in &chains().cases {
        let path_keys: Vec<SpkiPin> = case
            .validated_path_der_base64
            .iter()
            .map(|b| key_pin(&der(b)))
            .collect();
        let saw = decide(case, vec![SpkiPin::from_digest([0; 32])]).unwrap_err();
        assert_eq!(keys(&saw), keys(&path_keys), "{}", case.name);
        // And each key on it, pinned alone, matches.
        for key in &path_keys {
            assert_eq!(decide(case, vec![*key]), Ok(()), "{}", case.name);
        }
    }
}
