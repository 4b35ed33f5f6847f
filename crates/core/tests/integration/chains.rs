//! Chain assembly: unordered bundles, completion from a trust store, and the
//! plain statements about broken or incomplete chains.

use pinwarden_core::{
    Certificate, ChainStatus, Level, Link, OrderProblem, SpkiPin, TrustStore, assemble, decode,
    presented,
};
use pinwarden_test_support::{Ca, KeyKind, Pki};

fn certs(pems: &[&str]) -> Vec<Certificate> {
    let decoded = decode(pems.concat().as_bytes()).unwrap();
    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    decoded.certificates
}

fn root_store(ca: &Ca) -> TrustStore {
    TrustStore::from_certificates("test roots", certs(&[&ca.pem]))
}

#[test]
fn unordered_bundle_is_assembled_leaf_first() {
    let pki = Pki::new(&["a.pinwarden.test"]);
    // Root, leaf, intermediate: any order in, leaf → intermediate → root out.
    let bundle = certs(&[&pki.root.pem, &pki.leaf.pem, &pki.intermediate.pem]);
    let chains = assemble(&bundle, &TrustStore::empty());
    assert_eq!(chains.len(), 1);
    assert_eq!(
        chains[0].links,
        [Link::Input(1), Link::Input(2), Link::Input(0)]
    );
    assert_eq!(chains[0].status, ChainStatus::Complete);
    let levels: Vec<Level> = bundle.iter().map(Certificate::level).collect();
    assert_eq!(levels, [Level::Root, Level::Leaf, Level::Intermediate]);
}

#[test]
fn missing_root_is_completed_from_the_store() {
    let pki = Pki::new(&["a.pinwarden.test"]);
    let bundle = certs(&[&pki.leaf.pem, &pki.intermediate.pem]);
    let store = root_store(&pki.root);
    let chains = assemble(&bundle, &store);
    assert_eq!(
        chains[0].links,
        [Link::Input(0), Link::Input(1), Link::TrustStore(0)]
    );
    assert_eq!(chains[0].status, ChainStatus::Complete);
    assert_eq!(
        store.anchors()[0].pin,
        SpkiPin::from_spki_der(&pki.root.spki)
    );
}

#[test]
fn a_root_with_the_same_name_but_another_key_does_not_complete_the_chain() {
    let pki = Pki::new(&["a.pinwarden.test"]);
    // Same subject as the real root, different key: names alone would match.
    let impostor = Ca::root("pinwarden Test Root", KeyKind::EcdsaP256);
    let bundle = certs(&[&pki.leaf.pem, &pki.intermediate.pem]);
    let chains = assemble(&bundle, &root_store(&impostor));
    match &chains[0].status {
        ChainStatus::Incomplete { missing_issuer } => {
            assert!(
                missing_issuer.contains("pinwarden Test Root"),
                "{missing_issuer}"
            );
        }
        other => panic!("expected incomplete, got {other:?}"),
    }
}

#[test]
fn missing_intermediate_is_stated_plainly() {
    let pki = Pki::new(&["a.pinwarden.test"]);
    let bundle = certs(&[&pki.leaf.pem]);
    let chains = assemble(&bundle, &root_store(&pki.root));
    let status = chains[0].status.to_string();
    assert!(status.starts_with("incomplete"), "{status}");
    assert!(status.contains("pinwarden Test Intermediate"), "{status}");
}

#[test]
fn key_identifiers_pick_the_right_issuer_among_namesakes() {
    // Two intermediates with the same name and different keys; the leaf's AKI
    // says which one issued it.
    let root = Ca::root("Root", KeyKind::EcdsaP256);
    let real = root.intermediate("Shared Name CA", KeyKind::EcdsaP256);
    let other = root.intermediate("Shared Name CA", KeyKind::EcdsaP256);
    let leaf = real.leaf(&["b.pinwarden.test"], KeyKind::EcdsaP256);
    let bundle = certs(&[&leaf.pem, &other.pem, &real.pem, &root.pem]);
    let chains = assemble(&bundle, &TrustStore::empty());
    let leaf_chain = chains
        .iter()
        .find(|c| c.links[0] == Link::Input(0))
        .unwrap();
    assert_eq!(
        leaf_chain.links,
        [Link::Input(0), Link::Input(2), Link::Input(3)]
    );
    // The unused namesake is reported as a chain of its own, not lost.
    assert!(chains.iter().any(|c| c.links[0] == Link::Input(1)));
}

#[test]
fn a_bundle_of_roots_is_one_chain_each() {
    let roots: Vec<Ca> = (0..5)
        .map(|i| Ca::root(&format!("Root {i}"), KeyKind::Ed25519))
        .collect();
    let pems: Vec<&str> = roots.iter().map(|r| r.pem.as_str()).collect();
    let bundle = certs(&pems);
    let chains = assemble(&bundle, &TrustStore::empty());
    assert_eq!(chains.len(), 5);
    assert!(
        chains
            .iter()
            .all(|c| c.links.len() == 1 && c.status == ChainStatus::Complete)
    );
    assert!(
        bundle
            .iter()
            .all(|c| c.level() == Level::Root && c.is_self_signed())
    );
}

#[test]
fn presented_order_problems_are_listed() {
    let pki = Pki::new(&["a.pinwarden.test"]);
    let stray = Ca::root("Stray", KeyKind::EcdsaP256);
    let served = certs(&[&pki.leaf.pem, &stray.pem, &pki.intermediate.pem]);
    let (chain, problems) = presented(&served, &root_store(&pki.root)).unwrap();
    assert_eq!(
        chain.links,
        [Link::Input(0), Link::Input(2), Link::TrustStore(0)]
    );
    assert!(
        problems.contains(&OrderProblem::NotIssuerOfPrevious { position: 1 }),
        "{problems:?}"
    );
    assert!(
        problems.contains(&OrderProblem::Unused { position: 1 }),
        "{problems:?}"
    );

    let good = certs(&[&pki.leaf.pem, &pki.intermediate.pem]);
    let (_, problems) = presented(&good, &root_store(&pki.root)).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn webpki_roots_complete_chains_and_pins_match_their_certificates() {
    // The system bundle's certificates and webpki-roots' anchors agree on the
    // SPKI of the roots both hold: the anchor's SEQUENCE header is rebuilt right.
    let store = TrustStore::webpki_roots();
    assert!(store.len() > 100);
    let Ok(bytes) = std::fs::read("/etc/ssl/certs/ca-certificates.crt") else {
        panic!("/etc/ssl/certs/ca-certificates.crt is missing: install ca-certificates");
    };
    let system = decode(&bytes).unwrap();
    let matched = system
        .certificates
        .iter()
        .filter(|c| store.contains_pin(&c.pin))
        .count();
    assert!(
        matched > 50,
        "only {matched} system roots found among webpki-roots' pins"
    );
}

#[test]
fn a_self_signed_server_certificate_is_a_leaf_and_a_root_is_a_root() {
    // No basicConstraints in either: the SAN tells a server certificate apart
    // from a version-1-style root.
    let leaf =
        pinwarden_test_support::Leaf::self_signed(&["self.pinwarden.test"], KeyKind::EcdsaP256);
    let root = Ca::root("Root", KeyKind::EcdsaP256);
    let bundle = certs(&[&leaf.pem, &root.pem]);
    assert_eq!(bundle[0].level(), Level::Leaf);
    assert!(bundle[0].is_self_signed());
    assert_eq!(bundle[1].level(), Level::Root);
}
