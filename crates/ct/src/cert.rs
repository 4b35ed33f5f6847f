//! What the monitor needs from a logged certificate or TBSCertificate: its
//! DNS identities for the watchlist, and — for a match — its key, names and
//! validity for the alert.

use x509_parser::certificate::{TbsCertificate, X509Certificate};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer as _;

use crate::entry::{EntryError, EntryKind};

/// A logged certificate, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// DNS names, lowercase, without a trailing dot: the SAN dNSNames and a
    /// subject CN that looks like a host name, deduplicated, in order.
    pub names: Vec<String>,
    /// The DER SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
    /// Subject distinguished name (RFC 4514 text).
    pub subject: String,
    /// Issuer distinguished name (RFC 4514 text).
    pub issuer: String,
    /// Start of validity, seconds since the Unix epoch.
    pub not_before: i64,
    /// End of validity, seconds since the Unix epoch.
    pub not_after: i64,
    /// Serial number, lowercase hex.
    pub serial: String,
}

impl CertInfo {
    /// Decodes an entry's certificate (X509) or TBSCertificate (precert).
    pub fn parse(kind: EntryKind, der: &[u8]) -> Result<Self, EntryError> {
        let bad = |e: String| EntryError {
            field: match kind {
                EntryKind::X509 => "certificate",
                EntryKind::Precert => "tbs_certificate",
            },
            reason: e,
        };
        match kind {
            EntryKind::X509 => {
                let (rest, cert) =
                    X509Certificate::from_der(der).map_err(|e| bad(e.to_string()))?;
                if !rest.is_empty() {
                    return Err(bad(format!("{} bytes after the certificate", rest.len())));
                }
                Ok(Self::from_tbs(&cert.tbs_certificate))
            }
            EntryKind::Precert => {
                let (rest, tbs) = TbsCertificate::from_der(der).map_err(|e| bad(e.to_string()))?;
                if !rest.is_empty() {
                    return Err(bad(format!(
                        "{} bytes after the TBSCertificate",
                        rest.len()
                    )));
                }
                Ok(Self::from_tbs(&tbs))
            }
        }
    }

    fn from_tbs(tbs: &TbsCertificate<'_>) -> Self {
        Self {
            names: dns_names(tbs),
            spki: tbs.subject_pki.raw.to_vec(),
            subject: tbs.subject.to_string(),
            issuer: tbs.issuer.to_string(),
            not_before: tbs.validity.not_before.timestamp(),
            not_after: tbs.validity.not_after.timestamp(),
            serial: serial_hex(tbs.raw_serial()),
        }
    }
}

/// Only the DNS names: what the watchlist needs, for every entry.
pub fn entry_names(kind: EntryKind, der: &[u8]) -> Result<Vec<String>, EntryError> {
    let bad = |e: String| EntryError {
        field: "certificate",
        reason: e,
    };
    match kind {
        EntryKind::X509 => {
            let (_, cert) = X509Certificate::from_der(der).map_err(|e| bad(e.to_string()))?;
            Ok(dns_names(&cert.tbs_certificate))
        }
        EntryKind::Precert => {
            let (_, tbs) = TbsCertificate::from_der(der).map_err(|e| bad(e.to_string()))?;
            Ok(dns_names(&tbs))
        }
    }
}

fn dns_names(tbs: &TbsCertificate<'_>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    };
    if let Ok(Some(san)) = tbs.subject_alternative_name() {
        for general in &san.value.general_names {
            if let GeneralName::DNSName(name) = general {
                push(name);
            }
        }
    }
    for cn in tbs.subject.iter_common_name() {
        if let Ok(cn) = cn.as_str()
            && looks_like_host(cn)
        {
            push(cn);
        }
    }
    names
}

fn looks_like_host(text: &str) -> bool {
    text.contains('.')
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'*' | b'_'))
}

/// A DER INTEGER's content as certspotter prints serials: hex without
/// leading zeros, `-` before a negative one (two's complement undone).
fn serial_hex(raw: &[u8]) -> String {
    let negative = raw.first().is_some_and(|b| b & 0x80 != 0);
    let magnitude: Vec<u8> = if negative {
        // -(~x + 1): invert, then add one from the least significant byte.
        let mut m: Vec<u8> = raw.iter().map(|b| !b).collect();
        for byte in m.iter_mut().rev() {
            let (v, carry) = byte.overflowing_add(1);
            *byte = v;
            if !carry {
                break;
            }
        }
        m
    } else {
        raw.to_vec()
    };
    let digits = hex(&magnitude);
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if negative {
        format!("-{digits}")
    } else {
        digits.to_owned()
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::serial_hex;

    #[test]
    fn serials_print_as_integers() {
        assert_eq!(serial_hex(&[0x00, 0x8f, 0x01]), "8f01");
        assert_eq!(serial_hex(&[0x0c, 0x31]), "c31");
        assert_eq!(serial_hex(&[0x00]), "0");
        assert_eq!(serial_hex(&[0xff]), "-1");
        assert_eq!(serial_hex(&[0x80]), "-80");
        assert_eq!(serial_hex(&[0xff, 0x00]), "-100");
    }
}
