//! Trust anchors used to complete chains with their root.

use std::collections::HashMap;

use crate::cert::{Certificate, short_name};
use crate::pin::SpkiPin;

/// A root CA as a trust store knows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Anchor {
    /// Subject distinguished name.
    pub subject: String,
    /// The root's SPKI pin.
    pub pin: SpkiPin,
    /// The full certificate, when the store holds certificates (system store,
    /// `--roots FILE`); webpki-roots holds only names and keys.
    #[serde(skip)]
    pub certificate: Option<Box<Certificate>>,
    #[serde(skip)]
    subject_raw: Vec<u8>,
    #[serde(skip)]
    spki_der: Vec<u8>,
}

impl Anchor {
    /// A short name for people.
    pub fn display_name(&self) -> &str {
        short_name(&self.subject)
    }

    /// The anchor's DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }
}

/// A set of trust anchors, looked up by subject name.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    /// Where the anchors came from, for messages (`webpki-roots`, a file name…).
    pub name: String,
    anchors: Vec<Anchor>,
    by_subject: HashMap<Vec<u8>, Vec<usize>>,
}

impl TrustStore {
    /// An empty store: chains are never completed.
    pub fn empty() -> Self {
        Self {
            name: "none".to_owned(),
            ..Self::default()
        }
    }

    /// Mozilla's root program as shipped by the webpki-roots crate: the same
    /// everywhere, whatever the machine trusts.
    pub fn webpki_roots() -> Self {
        let mut store = Self {
            name: "webpki-roots (Mozilla)".to_owned(),
            ..Self::default()
        };
        for ta in webpki_roots::TLS_SERVER_ROOTS {
            // The anchor holds the contents of the Name and SPKI SEQUENCEs; a
            // certificate holds them whole, so put the SEQUENCE header back.
            let subject_raw = der_sequence(ta.subject.as_ref());
            let spki_der = der_sequence(ta.subject_public_key_info.as_ref());
            let subject =
                name_to_string(&subject_raw).unwrap_or_else(|| "(unreadable name)".to_owned());
            store.push(Anchor {
                subject,
                pin: SpkiPin::from_spki_der(&spki_der),
                certificate: None,
                subject_raw,
                spki_der,
            });
        }
        store
    }

    /// A store of the given root certificates.
    pub fn from_certificates(name: &str, certs: impl IntoIterator<Item = Certificate>) -> Self {
        let mut store = Self {
            name: name.to_owned(),
            ..Self::default()
        };
        for cert in certs {
            store.push(Anchor {
                subject: cert.subject_text(),
                pin: cert.pin,
                subject_raw: cert.subject_raw().to_vec(),
                spki_der: cert.spki_der().to_vec(),
                certificate: Some(Box::new(cert)),
            });
        }
        store
    }

    fn push(&mut self, anchor: Anchor) {
        self.by_subject
            .entry(anchor.subject_raw.clone())
            .or_default()
            .push(self.anchors.len());
        self.anchors.push(anchor);
    }

    /// Number of anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether the store has no anchors.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// The anchors, in load order.
    pub fn anchors(&self) -> &[Anchor] {
        &self.anchors
    }

    /// Whether an anchor has this key.
    pub fn contains_pin(&self, pin: &SpkiPin) -> bool {
        self.anchors.iter().any(|a| a.pin == *pin)
    }

    /// The index of the anchor that issued `cert`: same name, and a signature that verifies
    /// with the anchor's key (names alone are ambiguous across cross-signs and
    /// re-keyed roots).
    pub fn issuer_of(&self, cert: &Certificate) -> Option<usize> {
        self.by_subject
            .get(cert.issuer_raw())?
            .iter()
            .copied()
            .find(|&i| cert.is_signed_by(&self.anchors[i].spki_der))
    }
}

/// Wraps DER contents in a SEQUENCE header.
fn der_sequence(contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = Vec::with_capacity(len + 4);
    out.push(0x30);
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xff {
        out.extend([0x81, len as u8]);
    } else if len <= 0xffff {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    } else {
        out.extend([0x83, (len >> 16) as u8, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(contents);
    out
}

fn name_to_string(der: &[u8]) -> Option<String> {
    use x509_parser::prelude::FromDer;
    x509_parser::x509::X509Name::from_der(der)
        .ok()
        .map(|(_, n)| n.to_string())
}
