//! Turning input bytes (PEM bundles, DER files) into certificates and keys.
//!
//! Every block is decoded on its own, so one damaged certificate in a bundle of
//! thousands costs that certificate, not the bundle. The PEM scanner is ours
//! rather than rustls-pki-types' because that one skips unknown labels silently
//! and stops at the first damaged block; here both must be reported by position.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::cert::{Certificate, PublicKey};
use crate::error::Error;

/// One thing found in an input.
#[derive(Clone, Debug)]
pub enum Item {
    /// An X.509 certificate.
    Certificate(Box<Certificate>),
    /// A bare public key or the key of a certificate request.
    PublicKey(PublicKey),
}

/// What an input held: items in order, and one error per block that failed.
#[derive(Debug, Default)]
pub struct Decoded {
    /// Decoded items in input order.
    pub items: Vec<Item>,
    /// Blocks that could not be used, in input order.
    pub errors: Vec<Error>,
    /// Blocks that were deliberately skipped (private keys, CRLs…), with why.
    pub skipped: Vec<String>,
}

impl Decoded {
    /// The certificates, in input order.
    pub fn certificates(&self) -> impl Iterator<Item = &Certificate> {
        self.items.iter().filter_map(|i| match i {
            Item::Certificate(c) => Some(c.as_ref()),
            Item::PublicKey(_) => None,
        })
    }
}

/// Decodes PEM (any number of blocks) or DER (one or more concatenated
/// certificates, an SPKI, or a CSR).
///
/// Fails as a whole only when nothing at all could be recognised.
pub fn decode(bytes: &[u8]) -> Result<Decoded, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::EmptyInput);
    }
    if let Some(start) = find(bytes, b"-----BEGIN ") {
        return Ok(decode_pem(&bytes[start..]));
    }
    if bytes.first() == Some(&0x30) {
        return decode_der(bytes);
    }
    Err(Error::NoCertificates)
}

fn decode_der(bytes: &[u8]) -> Result<Decoded, Error> {
    let mut out = Decoded::default();
    let first = Certificate::from_der(bytes, 1);
    let cert_err = match first {
        Ok(cert) => {
            let mut used = cert.der().len();
            out.items.push(Item::Certificate(Box::new(cert)));
            // Some tools write chains as concatenated DER.
            while used < bytes.len() {
                let index = out.items.len() + 1;
                match Certificate::from_der(&bytes[used..], index) {
                    Ok(cert) => {
                        used += cert.der().len();
                        out.items.push(Item::Certificate(Box::new(cert)));
                    }
                    Err(e) => {
                        out.errors.push(e);
                        break;
                    }
                }
            }
            return Ok(out);
        }
        Err(e) => e,
    };
    if let Ok(key) = PublicKey::from_spki_der(bytes, 1) {
        out.items.push(Item::PublicKey(key));
        return Ok(out);
    }
    if let Ok(key) = PublicKey::from_csr_der(bytes, 1) {
        out.items.push(Item::PublicKey(key));
        return Ok(out);
    }
    // Neither a key nor a request: the certificate parser's reason is the useful one.
    Err(cert_err)
}

fn decode_pem(text: &[u8]) -> Decoded {
    let mut out = Decoded::default();
    let mut block = 0;
    let mut rest = text;
    while let Some(start) = find(rest, b"-----BEGIN ") {
        block += 1;
        rest = &rest[start + b"-----BEGIN ".len()..];
        let Some(label_end) = find(rest, b"-----") else {
            out.errors
                .push(bad_pem(block, "the BEGIN line is not closed by -----"));
            break;
        };
        let label = String::from_utf8_lossy(&rest[..label_end]).into_owned();
        rest = &rest[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let Some(body_end) = find(rest, end_marker.as_bytes()) else {
            out.errors.push(bad_pem(
                block,
                &format!("no {end_marker} line (truncated?)"),
            ));
            break;
        };
        let body = &rest[..body_end];
        rest = &rest[body_end + end_marker.len()..];
        if find(body, b"-----BEGIN ").is_some() {
            out.errors.push(bad_pem(
                block,
                &format!("a new block starts before {end_marker}"),
            ));
            continue;
        }
        let der = match decode_base64_body(body) {
            Ok(der) => der,
            Err(reason) => {
                out.errors.push(bad_pem(block, &reason));
                continue;
            }
        };
        match label.as_str() {
            "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
                match Certificate::from_der(&der, block) {
                    Ok(cert) => out.items.push(Item::Certificate(Box::new(cert))),
                    Err(e) => out.errors.push(e),
                }
            }
            "PUBLIC KEY" => match PublicKey::from_spki_der(&der, block) {
                Ok(key) => out.items.push(Item::PublicKey(key)),
                Err(e) => out.errors.push(e),
            },
            "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
                match PublicKey::from_csr_der(&der, block) {
                    Ok(key) => out.items.push(Item::PublicKey(key)),
                    Err(e) => out.errors.push(e),
                }
            }
            l if l.contains("PRIVATE KEY") => out.skipped.push(format!(
                "block #{block} is a private key ({l}): skipped; pinwarden reads public keys only"
            )),
            l => out.skipped.push(format!(
                "block #{block} is a {l}, not a certificate, public key or certificate request: skipped"
            )),
        }
    }
    if out.items.is_empty() && out.errors.is_empty() && out.skipped.is_empty() {
        out.errors.push(Error::NoCertificates);
    }
    out
}

fn decode_base64_body(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut clean = Vec::with_capacity(body.len());
    for line in body.split(|&b| b == b'\n') {
        // RFC 1421 encapsulated headers (Proc-Type, DEK-Info) mean an encrypted body.
        if line.contains(&b':') {
            return Err("the block has headers (an encrypted or legacy PEM?)".to_owned());
        }
        clean.extend(line.iter().filter(|b| !b.is_ascii_whitespace()));
    }
    if clean.is_empty() {
        return Err("the block is empty".to_owned());
    }
    STANDARD
        .decode(&clean)
        .map_err(|e| format!("bad base64 ({e})"))
}

fn bad_pem(index: usize, reason: &str) -> Error {
    Error::BadPem {
        index,
        reason: reason.to_owned(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}
