//! Signed tree heads (RFC 6962 §3.5, §4.3): the JSON a log's `get-sth`
//! answers, and its signature checked against the log's public key (ECDSA
//! P-256 or RSA, SHA-256), as the log list gives it: base64 of the DER
//! SubjectPublicKeyInfo.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::signature::{self, UnparsedPublicKey};
use sha2::{Digest as _, Sha256};
use x509_parser::prelude::FromDer as _;

use crate::Hash;

/// A `get-sth` answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct SignedTreeHead {
    /// Entries in the tree.
    pub tree_size: u64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// Base64 of the tree's root hash.
    pub sha256_root_hash: String,
    /// Base64 of the TLS `DigitallySigned` structure.
    pub tree_head_signature: String,
}

/// Why a tree head is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SthError {
    /// The JSON isn't a tree head.
    #[error("not a signed tree head: {0}")]
    Json(String),
    /// A field is malformed.
    #[error("{0}")]
    Field(String),
    /// The log key can't be used.
    #[error("log key: {0}")]
    Key(String),
    /// The signature does not verify.
    #[error("the tree head signature does not verify with this log key")]
    BadSignature,
}

/// A log's public key and id.
#[derive(Clone, Debug)]
pub struct LogKey {
    spki: Vec<u8>,
    kind: KeyKind,
    /// The raw key: an uncompressed P-256 point, or an RSAPublicKey DER.
    raw: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    EcdsaP256,
    Rsa,
}

impl LogKey {
    /// Reads base64 of a DER SubjectPublicKeyInfo.
    pub fn from_base64(text: &str) -> Result<Self, SthError> {
        let spki = STANDARD
            .decode(text.trim())
            .map_err(|e| SthError::Key(format!("not base64: {e}")))?;
        let (rest, parsed) = x509_parser::x509::SubjectPublicKeyInfo::from_der(&spki)
            .map_err(|e| SthError::Key(format!("not a SubjectPublicKeyInfo: {e}")))?;
        if !rest.is_empty() {
            return Err(SthError::Key("bytes after the SubjectPublicKeyInfo".into()));
        }
        let raw = parsed.subject_public_key.data.to_vec();
        let kind = match parsed.algorithm.algorithm.to_id_string().as_str() {
            "1.2.840.10045.2.1" => {
                let curve = parsed
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string());
                if curve.as_deref() != Some("1.2.840.10045.3.1.7") {
                    return Err(SthError::Key("an EC key not on P-256".into()));
                }
                KeyKind::EcdsaP256
            }
            "1.2.840.113549.1.1.1" => KeyKind::Rsa,
            other => {
                return Err(SthError::Key(format!(
                    "algorithm {other}: CT logs sign with ECDSA P-256 or RSA"
                )));
            }
        };
        Ok(Self { spki, kind, raw })
    }

    /// The log id: SHA-256 of the SubjectPublicKeyInfo.
    pub fn log_id(&self) -> Hash {
        Sha256::digest(&self.spki).into()
    }
}

/// The bytes a log signs for a tree head (RFC 6962 §3.5): version v1 (0),
/// signature type tree_hash (1), timestamp, tree size, root hash.
pub fn tree_head_tbs(timestamp: u64, tree_size: u64, root: &Hash) -> Vec<u8> {
    let mut out = Vec::with_capacity(50);
    out.extend_from_slice(&[0, 1]);
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&tree_size.to_be_bytes());
    out.extend_from_slice(root);
    out
}

impl SignedTreeHead {
    /// Parses a `get-sth` answer.
    pub fn from_json(bytes: &[u8]) -> Result<Self, SthError> {
        serde_json::from_slice(bytes).map_err(|e| SthError::Json(e.to_string()))
    }

    /// The root hash.
    pub fn root(&self) -> Result<Hash, SthError> {
        STANDARD
            .decode(&self.sha256_root_hash)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| SthError::Field("sha256_root_hash is not 32 bytes of base64".into()))
    }

    /// Verifies the signature with `key`.
    pub fn verify(&self, key: &LogKey) -> Result<(), SthError> {
        let root = self.root()?;
        let signed = STANDARD
            .decode(&self.tree_head_signature)
            .map_err(|e| SthError::Field(format!("tree_head_signature is not base64: {e}")))?;
        // DigitallySigned: hash algorithm, signature algorithm, u16 length, signature.
        let [hash_alg, sig_alg, hi, lo, sig @ ..] = signed.as_slice() else {
            return Err(SthError::Field("tree_head_signature is too short".into()));
        };
        if *hash_alg != 4 {
            return Err(SthError::Field(format!(
                "hash algorithm {hash_alg}: CT uses SHA-256 (4)"
            )));
        }
        if usize::from(u16::from_be_bytes([*hi, *lo])) != sig.len() {
            return Err(SthError::Field(
                "tree_head_signature's length field does not match".into(),
            ));
        }
        let algorithm: &dyn signature::VerificationAlgorithm = match (key.kind, *sig_alg) {
            (KeyKind::EcdsaP256, 3) => &signature::ECDSA_P256_SHA256_ASN1,
            (KeyKind::Rsa, 1) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (_, other) => {
                return Err(SthError::Field(format!(
                    "signature algorithm {other} does not fit the log key"
                )));
            }
        };
        let tbs = tree_head_tbs(self.timestamp, self.tree_size, &root);
        UnparsedPublicKey::new(algorithm, &key.raw)
            .verify(&tbs, sig)
            .map_err(|_| SthError::BadSignature)
    }
}
