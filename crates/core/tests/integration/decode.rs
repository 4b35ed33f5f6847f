//! Decoding inputs: PEM bundles, DER, keys and certificate requests.

use pinwarden_core::{Item, SpkiPin, decode};
use pinwarden_test_support::Pki;

#[test]
fn concatenated_der_is_read_as_a_chain() {
    let pki = Pki::new(&["der.pinwarden.test"]);
    let mut der = pki.leaf.der.clone();
    der.extend_from_slice(&pki.intermediate.der);
    let decoded = decode(&der).unwrap();
    let pins: Vec<SpkiPin> = decoded.certificates.iter().map(|c| c.pin).collect();
    assert_eq!(
        pins,
        [
            SpkiPin::from_spki_der(&pki.leaf.spki),
            SpkiPin::from_spki_der(&pki.intermediate.spki)
        ]
    );
}

#[test]
fn crlf_and_surrounding_text_are_tolerated() {
    let pki = Pki::new(&["crlf.pinwarden.test"]);
    let text = format!(
        "subject=whatever\r\n{}trailing words\n",
        pki.leaf.pem.replace('\n', "\r\n")
    );
    let decoded = decode(text.as_bytes()).unwrap();
    assert!(decoded.errors.is_empty(), "{:?}", decoded.errors);
    assert_eq!(decoded.certificates.len(), 1);
}

#[test]
fn facts_are_read() {
    let pki = Pki::new(&["facts.pinwarden.test", "127.0.0.1"]);
    let decoded = decode(pki.leaf.pem.as_bytes()).unwrap();
    assert_eq!(decoded.order[0].item, Item::Certificate(0));
    let Some(cert) = decoded.certificates.first() else {
        panic!("no certificate")
    };
    let facts = cert.facts().unwrap();
    assert_eq!(facts.sans, ["DNS:facts.pinwarden.test", "IP:127.0.0.1"]);
    assert!(facts.subject.contains("CN=facts.pinwarden.test"));
    assert!(facts.issuer.contains("CN=pinwarden Test Intermediate"));
    assert!(!cert.is_ca);
    assert_eq!(facts.key.to_string(), "EC P-256");
    assert!(cert.aki().is_some());
    assert!(facts.not_after > facts.not_before);
    assert_eq!(cert.pin, SpkiPin::from_spki_der(&pki.leaf.spki));
    // The fingerprint is of the whole certificate, the pin of the key only.
    assert_ne!(facts.fingerprint_sha256, *cert.pin.as_bytes());

    let decoded = decode(pki.intermediate.pem.as_bytes()).unwrap();
    let inter = &decoded.certificates[0];
    assert!(inter.is_ca);
    assert_eq!(inter.ski(), cert.aki());
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

fn summary(d: &pinwarden_core::Decoded) -> (Vec<SpkiPin>, Vec<String>, Vec<String>) {
    (
        d.certificates.iter().map(|c| c.pin).collect(),
        d.errors.iter().map(ToString::to_string).collect(),
        d.skipped.clone(),
    )
}

#[test]
fn fed_in_pieces_equals_fed_whole() {
    // Blocks cut at every size from 1 byte up: the streaming decoder must find
    // the same certificates, errors and skips wherever the cuts fall.
    let pki = Pki::new(&["stream.pinwarden.test"]);
    let text = format!(
        "preamble text\n{}{}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n\
         -----BEGIN CERTIFICATE-----\nMIIB\n{}-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n{}",
        pki.leaf.pem, pki.intermediate.pem, pki.root.pem, pki.leaf.pem
    );
    let whole = summary(&decode(text.as_bytes()).unwrap());
    assert_eq!(whole.0.len(), 4, "{whole:?}");
    assert_eq!(whole.1.len(), 2, "{whole:?}");
    assert!(
        whole.1[1].contains("a new block starts before"),
        "{whole:?}"
    );
    for size in [1, 2, 3, 5, 7, 11, 64, 100, 333, 1000, 4096] {
        let mut decoder = pinwarden_core::Decoder::new();
        for piece in text.as_bytes().chunks(size) {
            decoder.feed(piece);
        }
        assert_eq!(
            summary(&decoder.finish().unwrap()),
            whole,
            "pieces of {size} bytes"
        );
    }
}

#[test]
fn positions_count_every_block() {
    let pki = Pki::new(&["pos.pinwarden.test"]);
    let text = format!(
        "{}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n{}",
        pki.leaf.pem, pki.root.pem
    );
    let decoded = decode(text.as_bytes()).unwrap();
    let positions: Vec<usize> = decoded.order.iter().map(|f| f.position).collect();
    assert_eq!(positions, [1, 3]);
    assert!(decoded.skipped[0].contains("block #2 is a private key"));
}

/// A reader that hands out a few bytes at a time and is interrupted once.
struct Trickle<'a> {
    data: &'a [u8],
    interrupted: bool,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.interrupted && self.data.len() > 100 {
            self.interrupted = true;
            return Err(std::io::ErrorKind::Interrupted.into());
        }
        let n = buf.len().min(self.data.len()).min(37);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn read_from_a_reader_in_small_pieces() {
    let pki = Pki::new(&["reader.pinwarden.test"]);
    let text = pki.full_chain_pem();
    let mut decoder = pinwarden_core::Decoder::new();
    decoder
        .read_from(&mut Trickle {
            data: text.as_bytes(),
            interrupted: false,
        })
        .unwrap();
    let decoded = decoder.finish().unwrap();
    assert_eq!(
        summary(&decoded),
        summary(&decode(text.as_bytes()).unwrap())
    );
    assert_eq!(decoded.certificates.len(), 3);
}
