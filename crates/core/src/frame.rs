//! Locating the parts of a DER certificate that pins and chains need, without
//! decoding the rest.
//!
//! `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }`
//! `TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature,
//!   issuer, validity, subject, subjectPublicKeyInfo, [1] OPTIONAL, [2] OPTIONAL,
//!   [3] extensions OPTIONAL }` (RFC 5280 §4.1)
//!
//! Every element's DER framing is checked, so a truncated or mangled
//! certificate is refused here whatever the output format; the descriptive
//! fields (names as text, validity, SANs) are decoded later, on demand.

use x509_parser::extensions::{AuthorityKeyIdentifier, BasicConstraints, KeyIdentifier};
use x509_parser::prelude::FromDer;

/// The located parts of one certificate.
#[derive(Debug)]
pub(crate) struct Frame<'a> {
    /// The whole certificate's DER (without trailing input).
    pub(crate) der: &'a [u8],
    pub(crate) issuer: &'a [u8],
    /// The Validity SEQUENCE, header included.
    pub(crate) validity: &'a [u8],
    pub(crate) subject: &'a [u8],
    pub(crate) spki: &'a [u8],
    pub(crate) basic_constraints: Option<(bool, Option<u32>)>,
    pub(crate) ski: Option<&'a [u8]>,
    pub(crate) aki: Option<&'a [u8]>,
    /// Whether a subjectAltName extension is present (not decoded here).
    pub(crate) has_san: bool,
}

/// One DER element: its identifier octet and its contents.
///
/// A DER header is two to six bytes; reading it here rather than through
/// asn1-rs' generic `Any` makes locating a certificate's parts about as cheap
/// as hashing its key, which is what lets `pinwarden pin` read large bundles
/// quickly. Only definite, minimal (DER) lengths are accepted.
#[derive(Clone, Copy, Debug)]
struct Tlv<'a> {
    tag: u8,
    data: &'a [u8],
}

// Identifier octets (universal class unless noted).
const BOOLEAN: u8 = 0x01;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const SEQUENCE: u8 = 0x30;
/// Context-specific, constructed `[n]`.
const fn context(n: u8) -> u8 {
    0xa0 | n
}
/// Context-specific, primitive `[n]` (the unique identifiers).
const fn context_primitive(n: u8) -> u8 {
    0x80 | n
}

/// Reads one element from the front of `input`: the rest, the element, and
/// its raw bytes (header included).
fn next<'a>(input: &'a [u8], what: &str) -> Result<(&'a [u8], Tlv<'a>, &'a [u8]), String> {
    let truncated = || format!("{what}: truncated");
    let (&tag, after_tag) = input.split_first().ok_or_else(truncated)?;
    if tag & 0x1f == 0x1f {
        return Err(format!(
            "{what}: multi-byte tags are not used in certificates"
        ));
    }
    let (&first, mut rest) = after_tag.split_first().ok_or_else(truncated)?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(format!("{what}: indefinite or oversized length (not DER)"));
        }
        if rest.len() < n {
            return Err(truncated());
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if rest[0] == 0 || len < 0x80 {
            return Err(format!("{what}: length not in its shortest form (not DER)"));
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return Err(truncated());
    }
    let header = input.len() - rest.len();
    Ok((
        &rest[len..],
        Tlv {
            tag,
            data: &rest[..len],
        },
        &input[..header + len],
    ))
}

fn expect(tlv: &Tlv<'_>, tag: u8, what: &str) -> Result<(), String> {
    if tlv.tag == tag {
        Ok(())
    } else {
        Err(format!(
            "{what}: expected tag 0x{tag:02x}, found 0x{:02x}",
            tlv.tag
        ))
    }
}

// DER contents of the OIDs pinwarden reads from the frame.
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13]; // 2.5.29.19
const OID_SUBJECT_KEY_ID: &[u8] = &[0x55, 0x1d, 0x0e]; // 2.5.29.14
const OID_AUTHORITY_KEY_ID: &[u8] = &[0x55, 0x1d, 0x23]; // 2.5.29.35
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11]; // 2.5.29.17

impl<'a> Frame<'a> {
    /// Locates the parts of the certificate at the start of `input`.
    pub(crate) fn parse(input: &'a [u8]) -> Result<Self, String> {
        let (_, cert, der) = next(input, "certificate")?;
        expect(&cert, SEQUENCE, "certificate")?;
        let (after_tbs, tbs, _) = next(cert.data, "tbsCertificate")?;
        expect(&tbs, SEQUENCE, "tbsCertificate")?;
        let (after_alg, alg, _) = next(after_tbs, "signatureAlgorithm")?;
        expect(&alg, SEQUENCE, "signatureAlgorithm")?;
        let (trailing, sig, _) = next(after_alg, "signatureValue")?;
        expect(&sig, BIT_STRING, "signatureValue")?;
        if !trailing.is_empty() {
            return Err("junk after the signature".to_owned());
        }

        let mut rest = tbs.data;
        let (r, mut field, _) = next(rest, "version or serialNumber")?;
        if field.tag == context(0) {
            (rest, field, _) = next(r, "serialNumber")?;
        } else {
            rest = r;
        }
        expect(&field, INTEGER, "serialNumber")?;
        let (r, f, _) = next(rest, "signature")?;
        expect(&f, SEQUENCE, "signature")?;
        let (r, _, issuer) = next(r, "issuer")?;
        let (r, f, validity) = next(r, "validity")?;
        expect(&f, SEQUENCE, "validity")?;
        let (r, _, subject) = next(r, "subject")?;
        let (mut r, f, spki) = next(r, "subjectPublicKeyInfo")?;
        expect(&f, SEQUENCE, "subjectPublicKeyInfo")?;
        for raw in [issuer, subject] {
            if raw.first() != Some(&0x30) {
                return Err("a name is not a SEQUENCE".to_owned());
            }
        }

        let mut frame = Self {
            der,
            issuer,
            validity,
            subject,
            spki,
            basic_constraints: None,
            ski: None,
            aki: None,
            has_san: false,
        };
        while !r.is_empty() {
            let (after, f, _) = next(r, "optional field")?;
            r = after;
            if f.tag == context_primitive(1) || f.tag == context_primitive(2) {
                continue;
            }
            if f.tag != context(3) {
                return Err(format!(
                    "unexpected field with tag 0x{:02x} in tbsCertificate",
                    f.tag
                ));
            }
            let (tail, exts, _) = next(f.data, "extensions")?;
            expect(&exts, SEQUENCE, "extensions")?;
            if !tail.is_empty() {
                return Err("junk after the extensions".to_owned());
            }
            frame.read_extensions(exts.data)?;
        }
        Ok(frame)
    }

    fn read_extensions(&mut self, mut list: &'a [u8]) -> Result<(), String> {
        while !list.is_empty() {
            let (after, ext, _) = next(list, "extension")?;
            list = after;
            expect(&ext, SEQUENCE, "extension")?;
            let (r, oid, _) = next(ext.data, "extension id")?;
            expect(&oid, OID, "extension id")?;
            let (mut r, mut value, _) = next(r, "extension value")?;
            if value.tag == BOOLEAN {
                (r, value, _) = next(r, "extension value")?;
            }
            expect(&value, OCTET_STRING, "extension value")?;
            if !r.is_empty() {
                return Err("junk after an extension value".to_owned());
            }
            let dup = |name: &str| format!("the {name} extension appears twice");
            match oid.data {
                OID_BASIC_CONSTRAINTS => {
                    let (_, bc) = BasicConstraints::from_der(value.data)
                        .map_err(|e| format!("basicConstraints: {e}"))?;
                    if self
                        .basic_constraints
                        .replace((bc.ca, bc.path_len_constraint))
                        .is_some()
                    {
                        return Err(dup("basicConstraints"));
                    }
                }
                OID_SUBJECT_KEY_ID => {
                    let (_, id) = KeyIdentifier::from_der(value.data)
                        .map_err(|e| format!("subjectKeyIdentifier: {e}"))?;
                    if self.ski.replace(id.0).is_some() {
                        return Err(dup("subjectKeyIdentifier"));
                    }
                }
                OID_AUTHORITY_KEY_ID => {
                    let (_, aki) = AuthorityKeyIdentifier::from_der(value.data)
                        .map_err(|e| format!("authorityKeyIdentifier: {e}"))?;
                    if let Some(id) = aki.key_identifier
                        && self.aki.replace(id.0).is_some()
                    {
                        return Err(dup("authorityKeyIdentifier"));
                    }
                }
                OID_SUBJECT_ALT_NAME => self.has_san = true,
                _ => {}
            }
        }
        Ok(())
    }
}
