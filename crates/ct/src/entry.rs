//! Log entries (RFC 6962 §3.4, §4.6): the `MerkleTreeLeaf` a log hashes and
//! the `extra_data` chain it returns beside it, decoded without copying, and
//! encoded for the local test log. Every length is checked against what is
//! left; a malformed entry is an error naming the field, never a panic.

use crate::merkle::Hash;

/// What a log entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A final certificate.
    X509,
    /// A precertificate: the leaf holds its TBSCertificate, poison removed.
    Precert,
}

impl EntryKind {
    /// `x509` or `precert`, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::X509 => "x509",
            Self::Precert => "precert",
        }
    }
}

/// Why an entry can't be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct EntryError {
    /// The structure or field at fault.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

pub(crate) fn err(field: &'static str, reason: impl Into<String>) -> EntryError {
    EntryError {
        field,
        reason: reason.into(),
    }
}

/// A decoded `MerkleTreeLeaf`, borrowing from the `leaf_input` bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaf<'a> {
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// Certificate or precertificate.
    pub kind: EntryKind,
    /// X509: the certificate's DER. Precert: the TBSCertificate's DER.
    pub cert: &'a [u8],
    /// Precert only: SHA-256 of the issuing CA's SubjectPublicKeyInfo.
    pub issuer_key_hash: Option<&'a [u8; 32]>,
}

/// A cursor over TLS presentation-language bytes.
pub(crate) struct Reader<'a> {
    pub(crate) rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], EntryError> {
        if self.rest.len() < n {
            return Err(err(
                field,
                format!("needs {n} bytes, {} left", self.rest.len()),
            ));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn uint(&mut self, n: usize, field: &'static str) -> Result<u64, EntryError> {
        Ok(self
            .take(n, field)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// `opaque<..2^(8n)-1>`: an n-byte length, then that many bytes.
    pub(crate) fn vector(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], EntryError> {
        let len = self.uint(n, field)? as usize;
        self.take(len, field)
    }

    pub(crate) fn finish(&self, field: &'static str) -> Result<(), EntryError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(err(
                field,
                format!("{} unexpected bytes after the end", self.rest.len()),
            ))
        }
    }
}

/// Decodes a `leaf_input`.
pub fn parse_leaf(leaf_input: &[u8]) -> Result<Leaf<'_>, EntryError> {
    let mut r = Reader { rest: leaf_input };
    let version = r.uint(1, "MerkleTreeLeaf.version")?;
    if version != 0 {
        return Err(err(
            "MerkleTreeLeaf.version",
            format!("{version} is not v1 (0)"),
        ));
    }
    let leaf_type = r.uint(1, "MerkleTreeLeaf.leaf_type")?;
    if leaf_type != 0 {
        return Err(err(
            "MerkleTreeLeaf.leaf_type",
            format!("{leaf_type} is not timestamped_entry (0)"),
        ));
    }
    let timestamp = r.uint(8, "TimestampedEntry.timestamp")?;
    let (kind, cert, issuer_key_hash) = match r.uint(2, "TimestampedEntry.entry_type")? {
        0 => (
            EntryKind::X509,
            r.vector(3, "TimestampedEntry.signed_entry (ASN.1Cert)")?,
            None,
        ),
        1 => {
            let hash = r.take(32, "PreCert.issuer_key_hash")?;
            let hash: &[u8; 32] = hash.try_into().expect("took exactly 32 bytes");
            (
                EntryKind::Precert,
                r.vector(3, "PreCert.tbs_certificate")?,
                Some(hash),
            )
        }
        other => {
            return Err(err(
                "TimestampedEntry.entry_type",
                format!("{other} is neither x509_entry (0) nor precert_entry (1)"),
            ));
        }
    };
    if cert.is_empty() {
        return Err(err("TimestampedEntry.signed_entry", "empty"));
    }
    r.vector(2, "TimestampedEntry.extensions")?;
    r.finish("MerkleTreeLeaf")?;
    Ok(Leaf {
        timestamp,
        kind,
        cert,
        issuer_key_hash,
    })
}

/// The `extra_data` of an entry: the chain the submitter gave, issuer first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtraData<'a> {
    /// Precert only: the precertificate as submitted (with the poison).
    pub precertificate: Option<&'a [u8]>,
    /// The issuing chain, leaf's issuer first, up to a root.
    pub chain: Vec<&'a [u8]>,
}

/// Decodes `extra_data` for an entry of `kind`.
pub fn parse_extra_data(kind: EntryKind, extra: &[u8]) -> Result<ExtraData<'_>, EntryError> {
    let mut r = Reader { rest: extra };
    let precertificate = match kind {
        EntryKind::X509 => None,
        EntryKind::Precert => Some(r.vector(3, "PrecertChainEntry.pre_certificate")?),
    };
    let list = r.vector(3, "certificate_chain")?;
    r.finish("extra_data")?;
    let mut certs = Reader { rest: list };
    let mut chain = Vec::new();
    while !certs.rest.is_empty() {
        chain.push(certs.vector(3, "certificate_chain entry")?);
    }
    Ok(ExtraData {
        precertificate,
        chain,
    })
}

fn push_uint(out: &mut Vec<u8>, value: u64, n: usize) {
    out.extend_from_slice(&value.to_be_bytes()[8 - n..]);
}

fn push_vector(out: &mut Vec<u8>, bytes: &[u8], n: usize) {
    push_uint(out, bytes.len() as u64, n);
    out.extend_from_slice(bytes);
}

/// Encodes the `leaf_input` of a certificate entry.
pub fn encode_x509_leaf(timestamp: u64, cert: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(cert.len() + 15);
    out.extend_from_slice(&[0, 0]);
    push_uint(&mut out, timestamp, 8);
    push_uint(&mut out, 0, 2);
    push_vector(&mut out, cert, 3);
    push_uint(&mut out, 0, 2);
    out
}

/// Encodes the `leaf_input` of a precertificate entry.
pub fn encode_precert_leaf(timestamp: u64, issuer_key_hash: &Hash, tbs: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tbs.len() + 47);
    out.extend_from_slice(&[0, 0]);
    push_uint(&mut out, timestamp, 8);
    push_uint(&mut out, 1, 2);
    out.extend_from_slice(issuer_key_hash);
    push_vector(&mut out, tbs, 3);
    push_uint(&mut out, 0, 2);
    out
}

/// Encodes `extra_data`: the chain, with the precertificate first for a
/// precert entry.
pub fn encode_extra_data(precertificate: Option<&[u8]>, chain: &[&[u8]]) -> Vec<u8> {
    let mut list = Vec::new();
    for cert in chain {
        push_vector(&mut list, cert, 3);
    }
    let mut out = Vec::with_capacity(list.len() + 8);
    if let Some(pre) = precertificate {
        push_vector(&mut out, pre, 3);
    }
    push_vector(&mut out, &list, 3);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x509_leaf_round_trips() {
        let leaf = encode_x509_leaf(1_700_000_000_000, b"certificate");
        let parsed = parse_leaf(&leaf).unwrap();
        assert_eq!(parsed.timestamp, 1_700_000_000_000);
        assert_eq!(parsed.kind, EntryKind::X509);
        assert_eq!(parsed.cert, b"certificate");
        assert_eq!(parsed.issuer_key_hash, None);
    }

    #[test]
    fn precert_leaf_round_trips() {
        let leaf = encode_precert_leaf(7, &[9; 32], b"tbs");
        let parsed = parse_leaf(&leaf).unwrap();
        assert_eq!(parsed.kind, EntryKind::Precert);
        assert_eq!(parsed.cert, b"tbs");
        assert_eq!(parsed.issuer_key_hash, Some(&[9; 32]));
    }

    #[test]
    fn extra_data_round_trips() {
        let extra = encode_extra_data(Some(b"pre"), &[b"int", b"root"]);
        let parsed = parse_extra_data(EntryKind::Precert, &extra).unwrap();
        assert_eq!(parsed.precertificate, Some(&b"pre"[..]));
        assert_eq!(parsed.chain, vec![&b"int"[..], &b"root"[..]]);
        let extra = encode_extra_data(None, &[]);
        assert!(
            parse_extra_data(EntryKind::X509, &extra)
                .unwrap()
                .chain
                .is_empty()
        );
    }

    #[test]
    fn every_truncation_is_an_error() {
        let leaf = encode_precert_leaf(7, &[9; 32], b"tbs");
        for n in 0..leaf.len() {
            assert!(parse_leaf(&leaf[..n]).is_err(), "truncated at {n}");
        }
        let extra = encode_extra_data(Some(b"pre"), &[b"int", b"root"]);
        for n in 0..extra.len() {
            assert!(
                parse_extra_data(EntryKind::Precert, &extra[..n]).is_err(),
                "truncated at {n}"
            );
        }
    }

    #[test]
    fn bad_fields_are_named() {
        let mut leaf = encode_x509_leaf(7, b"c");
        leaf[0] = 1;
        assert_eq!(
            parse_leaf(&leaf).unwrap_err().field,
            "MerkleTreeLeaf.version"
        );
        let mut leaf = encode_x509_leaf(7, b"c");
        leaf[11] = 5;
        assert_eq!(
            parse_leaf(&leaf).unwrap_err().field,
            "TimestampedEntry.entry_type"
        );
        let mut leaf = encode_x509_leaf(7, b"c");
        leaf.push(0);
        assert_eq!(parse_leaf(&leaf).unwrap_err().field, "MerkleTreeLeaf");
    }
}
