//! Facts about a certificate or a bare public key, read once from DER.

use std::fmt;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::certificate::X509Certificate;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_SIG_ED448, OID_SIG_ED25519,
};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey as ParsedKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::error::Error;
use crate::frame::Frame;
use crate::pin::SpkiPin;

/// An X.509 certificate: its DER, its pin, and what chain building needs.
///
/// Built by locating the certificate's parts (every element's DER framing is
/// checked); the descriptive [`Facts`] are decoded on first use, so computing
/// the pins of a bundle of thousands costs little more than hashing.
#[derive(Clone, Debug)]
pub struct Certificate {
    /// The SPKI pin of the subject public key.
    pub pin: SpkiPin,
    /// Whether basicConstraints says this is a CA (false when absent).
    pub is_ca: bool,
    /// basicConstraints pathLenConstraint.
    pub path_len: Option<u32>,
    has_basic_constraints: bool,
    has_san: bool,
    /// Position in its input, from 1, for messages.
    index: usize,
    der: Vec<u8>,
    subject: Part,
    issuer: Part,
    spki: Part,
    ski: Option<Part>,
    aki: Option<Part>,
    // Boxed: most certificates of a large bundle never have their facts read.
    facts: OnceLock<Box<Result<Facts, String>>>,
}

/// What a certificate says about itself, for people.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Facts {
    /// Subject distinguished name (RFC 4514 style).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Subject alternative names, as `DNS:…`, `IP:…`, `email:…`, `URI:…`.
    pub sans: Vec<String>,
    /// Serial number as colon-separated hex.
    pub serial: String,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// The subject public key.
    pub key: KeyInfo,
    /// SHA-256 over the whole certificate: a fingerprint that identifies this
    /// certificate, never a pin (it changes at every re-issuance).
    #[serde(serialize_with = "ser_hex")]
    pub fingerprint_sha256: [u8; 32],
}

impl Certificate {
    /// Reads the certificate at the start of `der`. `index` (from 1) names it in errors.
    pub fn from_der(der: &[u8], index: usize) -> Result<Self, Error> {
        let frame = Frame::parse(der).map_err(|reason| Error::BadCertificate { index, reason })?;
        let owned = frame.der.to_vec();
        Ok(Self::from_frame(&frame, owned, index))
    }

    /// Like [`Certificate::from_der`], keeping the buffer instead of copying it.
    pub(crate) fn from_vec(mut der: Vec<u8>, index: usize) -> Result<Self, Error> {
        let frame = Frame::parse(&der).map_err(|reason| Error::BadCertificate { index, reason })?;
        let len = frame.der.len();
        let cert = Self::from_frame(&frame, Vec::new(), index);
        der.truncate(len);
        Ok(Self { der, ..cert })
    }

    /// `der` is the frame's bytes, owned (or empty, to be filled by the caller).
    fn from_frame(frame: &Frame<'_>, der: Vec<u8>, index: usize) -> Self {
        let base = frame.der.as_ptr() as usize;
        // Frame parts are sub-slices of frame.der, whose length came from a
        // DER length of at most four bytes: offsets fit in u32.
        let range = |part: &[u8]| {
            let start = part.as_ptr() as usize - base;
            Part {
                start: u32::try_from(start).unwrap_or(u32::MAX),
                end: u32::try_from(start + part.len()).unwrap_or(u32::MAX),
            }
        };
        let (has_basic_constraints, (is_ca, path_len)) = match frame.basic_constraints {
            Some(bc) => (true, bc),
            None => (false, (false, None)),
        };
        Self {
            pin: SpkiPin::from_spki_der(frame.spki),
            is_ca,
            path_len,
            has_basic_constraints,
            has_san: frame.has_san,
            index,
            subject: range(frame.subject),
            issuer: range(frame.issuer),
            spki: range(frame.spki),
            ski: frame.ski.map(range),
            aki: frame.aki.map(range),
            der,
            facts: OnceLock::new(),
        }
    }

    /// The descriptive facts, decoded on first use.
    pub fn facts(&self) -> Result<&Facts, Error> {
        self.facts
            .get_or_init(|| Box::new(Facts::parse(&self.der)))
            .as_ref()
            .as_ref()
            .map_err(|reason| Error::BadCertificate {
                index: self.index,
                reason: reason.clone(),
            })
    }

    /// The certificate's DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        self.spki.of(&self.der)
    }

    /// The subject key identifier.
    pub fn ski(&self) -> Option<&[u8]> {
        self.ski.map(|p| p.of(&self.der))
    }

    /// The authority key identifier's keyIdentifier.
    pub fn aki(&self) -> Option<&[u8]> {
        self.aki.map(|p| p.of(&self.der))
    }

    pub(crate) fn subject_raw(&self) -> &[u8] {
        self.subject.of(&self.der)
    }

    pub(crate) fn issuer_raw(&self) -> &[u8] {
        self.issuer.of(&self.der)
    }

    /// Subject and issuer names are byte-identical: a root, or a self-issued cert.
    pub fn is_self_issued(&self) -> bool {
        self.subject_raw() == self.issuer_raw()
    }

    /// Whether this certificate's signature verifies with `spki_der`.
    pub fn is_signed_by(&self, spki_der: &[u8]) -> bool {
        let Ok((_, cert)) = X509Certificate::from_der(&self.der) else {
            return false;
        };
        let Ok((_, spki)) = SubjectPublicKeyInfo::from_der(spki_der) else {
            return false;
        };
        cert.verify_signature(Some(&spki)).is_ok()
    }

    /// Whether the certificate verifies with its own key.
    pub fn is_self_signed(&self) -> bool {
        self.is_self_issued() && self.is_signed_by(self.spki_der())
    }

    /// Where this certificate sits in a chain, from its own contents.
    pub fn level(&self) -> Level {
        // Version 1 roots carry no basicConstraints at all; a self-signed
        // server certificate without them names its hosts in a SAN.
        let unmarked_root = !self.has_basic_constraints && !self.has_san;
        if self.is_self_issued() && (self.is_ca || unmarked_root) {
            Level::Root
        } else if self.is_ca {
            Level::Intermediate
        } else {
            Level::Leaf
        }
    }

    /// The subject as text, or a placeholder when it can't be decoded.
    pub fn subject_text(&self) -> String {
        self.facts().map_or_else(
            |_| format!("(certificate #{}: unreadable subject)", self.index),
            |f| f.subject.clone(),
        )
    }

    /// The issuer as text, or a placeholder when it can't be decoded.
    pub fn issuer_text(&self) -> String {
        self.facts().map_or_else(
            |_| format!("(certificate #{}: unreadable issuer)", self.index),
            |f| f.issuer.clone(),
        )
    }

    /// A short name for people: the subject's CN, else the whole subject.
    pub fn display_name(&self) -> String {
        short_name(&self.subject_text()).to_owned()
    }
}

/// Where a part of a certificate sits in its DER: two u32s instead of a
/// `Range<usize>`, since large bundles hold many certificates.
#[derive(Clone, Copy, Debug)]
struct Part {
    start: u32,
    end: u32,
}

impl Part {
    fn of(self, der: &[u8]) -> &[u8] {
        der.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

impl Facts {
    fn parse(der: &[u8]) -> Result<Self, String> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        let tbs = &cert.tbs_certificate;
        let mut sans = Vec::new();
        for ext in tbs.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    sans = san.general_names.iter().filter_map(general_name).collect();
                }
                ParsedExtension::ParseError { error } if ext.critical => {
                    return Err(format!(
                        "critical extension {} is malformed: {error}",
                        ext.oid
                    ));
                }
                _ => {}
            }
        }
        Ok(Self {
            subject: tbs.subject.to_string(),
            issuer: tbs.issuer.to_string(),
            sans,
            serial: tbs.raw_serial_as_string(),
            not_before: tbs.validity.not_before.to_datetime(),
            not_after: tbs.validity.not_after.to_datetime(),
            key: KeyInfo::from_spki(&tbs.subject_pki),
            fingerprint_sha256: Sha256::digest(der).into(),
        })
    }
}

impl serde::Serialize for Certificate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("pin", &self.pin)?;
        map.serialize_entry("level", &self.level())?;
        map.serialize_entry("is_ca", &self.is_ca)?;
        map.serialize_entry("path_len", &self.path_len)?;
        map.serialize_entry("ski", &self.ski().map(to_hex))?;
        map.serialize_entry("aki", &self.aki().map(to_hex))?;
        match self.facts() {
            Ok(f) => {
                map.serialize_entry("subject", &f.subject)?;
                map.serialize_entry("issuer", &f.issuer)?;
                map.serialize_entry("sans", &f.sans)?;
                map.serialize_entry("serial", &f.serial)?;
                map.serialize_entry("not_before", &f.not_before.format(&Rfc3339).ok())?;
                map.serialize_entry("not_after", &f.not_after.format(&Rfc3339).ok())?;
                map.serialize_entry("key", &f.key)?;
                map.serialize_entry("fingerprint_sha256", &to_hex(&f.fingerprint_sha256))?;
            }
            Err(e) => map.serialize_entry("facts_error", &e.to_string())?,
        }
        map.end()
    }
}

/// The common name in an RFC 4514 string, or the whole string.
pub fn short_name(dn: &str) -> &str {
    dn.split(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or(dn)
}

fn general_name(name: &GeneralName<'_>) -> Option<String> {
    Some(match name {
        GeneralName::DNSName(n) => format!("DNS:{n}"),
        GeneralName::IPAddress(ip) => match ip.len() {
            4 => format!(
                "IP:{}",
                std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*ip).ok()?)
            ),
            16 => format!(
                "IP:{}",
                std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*ip).ok()?)
            ),
            _ => return None,
        },
        GeneralName::RFC822Name(n) => format!("email:{n}"),
        GeneralName::URI(n) => format!("URI:{n}"),
        _ => return None,
    })
}

/// The level of a certificate in a chain.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The end-entity (server) certificate.
    Leaf,
    /// A CA certificate issued by another CA.
    Intermediate,
    /// A self-issued CA certificate.
    Root,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Leaf => "leaf",
            Self::Intermediate => "intermediate",
            Self::Root => "root",
        })
    }
}

/// A public key's algorithm and size.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KeyInfo {
    /// `RSA`, `EC`, `Ed25519`, `Ed448`, or the algorithm OID.
    pub algorithm: String,
    /// The curve for EC keys (`P-256`, `P-384`, `P-521`, or an OID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
    /// Size in bits.
    pub bits: Option<u32>,
}

impl KeyInfo {
    fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Self {
        let alg = &spki.algorithm.algorithm;
        if *alg == OID_PKCS1_RSAENCRYPTION {
            let bits = match spki.parsed() {
                Ok(ParsedKey::RSA(rsa)) => u32::try_from(rsa.key_size()).ok(),
                _ => None,
            };
            return Self::new("RSA", None, bits);
        }
        if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            let (name, bits) = match curve {
                Some(c) if c == OID_EC_P256 => ("P-256".to_owned(), Some(256)),
                Some(c) if c == OID_NIST_EC_P384 => ("P-384".to_owned(), Some(384)),
                Some(c) if c == OID_NIST_EC_P521 => ("P-521".to_owned(), Some(521)),
                Some(c) => (c.to_id_string(), None),
                None => ("unnamed curve".to_owned(), None),
            };
            return Self::new("EC", Some(name), bits);
        }
        if *alg == OID_SIG_ED25519 {
            return Self::new("Ed25519", None, Some(256));
        }
        if *alg == OID_SIG_ED448 {
            return Self::new("Ed448", None, Some(456));
        }
        Self::new(&alg.to_id_string(), None, None)
    }

    fn new(algorithm: &str, curve: Option<String>, bits: Option<u32>) -> Self {
        Self {
            algorithm: algorithm.to_owned(),
            curve,
            bits,
        }
    }
}

impl fmt::Display for KeyInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.curve, self.bits) {
            (Some(curve), _) => write!(f, "{} {curve}", self.algorithm),
            (None, Some(bits)) if self.algorithm == "RSA" => write!(f, "RSA {bits}"),
            _ => f.write_str(&self.algorithm),
        }
    }
}

/// A bare public key (PEM `PUBLIC KEY`, DER SPKI, or the key of a CSR).
#[derive(Clone, Debug, serde::Serialize)]
pub struct PublicKey {
    /// Where the key came from: `public key` or `certificate request (CN=…)`.
    pub source: String,
    /// The key.
    pub key: KeyInfo,
    /// Its SPKI pin.
    pub pin: SpkiPin,
}

impl PublicKey {
    /// Parses a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8], index: usize) -> Result<Self, Error> {
        let (rest, spki) =
            SubjectPublicKeyInfo::from_der(der).map_err(|e| Error::BadPublicKey {
                index,
                reason: e.to_string(),
            })?;
        if !rest.is_empty() {
            return Err(Error::BadPublicKey {
                index,
                reason: format!("{} bytes of trailing data", rest.len()),
            });
        }
        Ok(Self {
            source: "public key".to_owned(),
            key: KeyInfo::from_spki(&spki),
            pin: SpkiPin::from_spki_der(spki.raw),
        })
    }

    /// The public key inside a PKCS#10 certificate signing request: how a
    /// pre-generated backup key is usually handed around.
    pub fn from_csr_der(der: &[u8], index: usize) -> Result<Self, Error> {
        let (_, csr) =
            X509CertificationRequest::from_der(der).map_err(|e| Error::BadPublicKey {
                index,
                reason: format!("certificate request: {e}"),
            })?;
        let info = &csr.certification_request_info;
        Ok(Self {
            source: format!("certificate request ({})", info.subject),
            key: KeyInfo::from_spki(&info.subject_pki),
            pin: SpkiPin::from_spki_der(info.subject_pki.raw),
        })
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn ser_hex<S: serde::Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_hex(bytes))
}
