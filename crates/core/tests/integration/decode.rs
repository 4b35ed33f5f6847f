//! Decoding inputs: PEM bundles, DER, keys and certificate requests.

use pinwarden_core::{Item, SpkiPin, decode};
use pinwarden_test_support::Pki;

#[test]
fn concatenated_der_is_read_as_a_chain() {
    let pki = Pki::new(&["der.pinwarden.test"]);
    let mut der = pki.leaf.der.clone();
    der.extend_from_slice(&pki.intermediate.der);
    let decoded = decode(&der).unwrap();
    let pins: Vec<SpkiPin> = decoded.certificates().map(|c| c.pin).collect();
    assert_eq!(
        pins,
        [SpkiPin::from_spki_der(&pki.leaf.spki), SpkiPin::from_spki_der(&pki.intermediate.spki)]
    );
}

#[test]
fn crlf_and_surrounding_text_are_tolerated() {
    let pki = Pki::new(&["crlf.pinwarden.test"]);
    let text = format!("subject=whatever\r\n{}trailing words\n", pki.leaf.pem.replace('\n', "\r\n"));
    let decoded = decode(text.as_bytes()).unwrap();
    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    assert_eq!(decoded.certificates().count(), 1);
}

#[test]
fn facts_are_read() {
    let pki = Pki::new(&["facts.pinwarden.test", "127.0.0.1"]);
    let decoded = decode(pki.leaf.pem.as_bytes()).unwrap();
    let Some(Item::Certificate(cert)) = decoded.items.first() else { panic!("no certificate") };
    assert_eq!(cert.sans, ["DNS:facts.pinwarden.test", "IP:127.0.0.1"]);
    assert!(cert.subject.contains("CN=facts.pinwarden.test"));
    assert!(cert.issuer.contains("CN=pinwarden Test Intermediate"));
    assert!(!cert.is_ca);
    assert_eq!(cert.key.to_string(), "EC P-256");
    assert!(cert.aki.is_some());
    assert!(cert.not_after > cert.not_before);
    // The fingerprint is of the whole certificate, the pin of the key only.
    assert_ne!(cert.fingerprint_sha256, *cert.pin.as_bytes());

    let decoded = decode(pki.intermediate.pem.as_bytes()).unwrap();
    let inter = decoded.certificates().next().unwrap();
    assert!(inter.is_ca);
    assert_eq!(inter.ski, cert.aki);
}

#[test]
fn decoding_random_bytes_never_panics() {
    // A small deterministic corpus of mutations of a real certificate: every
    // byte flipped in turn, and every truncation. Errors are fine; panics aren't.
    let pki = Pki::new(&["mut.pinwarden.test"]);
    let der = &pki.leaf.der;
    for i in 0..der.len() {
        let mut m = der.clone();
        m[i] ^= 0xff;
        let _ = decode(&m);
        let _ = decode(&der[..i]);
    }
    let pem = pki.leaf.pem.as_bytes();
    for i in 0..pem.len() {
        let _ = decode(&pem[..i]);
    }
}
