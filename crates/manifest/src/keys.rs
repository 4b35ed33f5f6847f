//! Signing and verifying keys: Ed25519 and ECDSA P-256 (the latter also
//! verifiable by iOS and Android platform crypto). A key's id is the SHA-256
//! of its DER SubjectPublicKeyInfo, in lowercase hex.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{
    self, ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair as _, UnparsedPublicKey,
};

use crate::Error;

const OID_ED25519: &str = "1.3.101.112";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";

/// RFC 8410 PKCS#8 v1 for Ed25519: `SEQUENCE { 0, { id-Ed25519 }, OCTET
/// STRING { OCTET STRING (32 bytes of seed) } }`, before the seed.
const ED25519_PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// DER prefixes of the two SubjectPublicKeyInfo shapes written here.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// A signature algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// Ed25519 (RFC 8032).
    Ed25519,
    /// ECDSA over P-256 with SHA-256, signatures ASN.1 DER encoded.
    EcdsaP256,
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ed25519 => "ed25519",
            Self::EcdsaP256 => "ecdsa-p256",
        })
    }
}

impl std::str::FromStr for Algorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "ed25519" => Ok(Self::Ed25519),
            "ecdsa-p256" | "p256" | "p-256" | "es256" => Ok(Self::EcdsaP256),
            other => Err(Error::Key(format!(
                "algorithm {other:?}: use ed25519 or ecdsa-p256"
            ))),
        }
    }
}

/// PEM with Unix line endings, as openssl writes it.
fn pem_lf(tag: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(tag, der.to_vec()), config)
}

/// A key id: SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    fn of_spki(spki: &[u8]) -> Self {
        let hash = ring::digest::digest(&ring::digest::SHA256, spki);
        Self(hash.as_ref().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A public key that verifies manifest signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyingKey {
    algorithm: Algorithm,
    /// The raw key: 32 bytes (Ed25519) or an uncompressed point (P-256).
    raw: Vec<u8>,
    spki: Vec<u8>,
    id: KeyId,
}

impl VerifyingKey {
    fn from_raw(algorithm: Algorithm, raw: &[u8]) -> Self {
        let prefix: &[u8] = match algorithm {
            Algorithm::Ed25519 => &ED25519_SPKI_PREFIX,
            Algorithm::EcdsaP256 => &P256_SPKI_PREFIX,
        };
        let spki = [prefix, raw].concat();
        Self {
            algorithm,
            raw: raw.to_vec(),
            id: KeyId::of_spki(&spki),
            spki,
        }
    }

    /// Reads a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, Error> {
        use x509_parser::prelude::FromDer as _;
        let (rest, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der)
            .map_err(|e| Error::Key(format!("not a SubjectPublicKeyInfo: {e}")))?;
        if !rest.is_empty() {
            return Err(Error::Key(format!(
                "{} bytes after the SubjectPublicKeyInfo",
                rest.len()
            )));
        }
        let oid = spki.algorithm.algorithm.to_id_string();
        let raw = spki.subject_public_key.data.as_ref();
        let key = match oid.as_str() {
            OID_ED25519 if raw.len() == 32 => Self::from_raw(Algorithm::Ed25519, raw),
            OID_EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string());
                if curve.as_deref() != Some(OID_P256) {
                    return Err(Error::Key(format!(
                        "EC key on curve {}: only P-256 is supported",
                        curve.unwrap_or_else(|| "(unnamed)".into())
                    )));
                }
                if raw.len() != 65 || raw[0] != 4 {
                    return Err(Error::Key("P-256 key is not an uncompressed point".into()));
                }
                Self::from_raw(Algorithm::EcdsaP256, raw)
            }
            OID_ED25519 => {
                return Err(Error::Key(format!(
                    "Ed25519 key of {} bytes, not 32",
                    raw.len()
                )));
            }
            other => {
                return Err(Error::Key(format!(
                    "key algorithm {other}: only Ed25519 and ECDSA P-256 sign manifests"
                )));
            }
        };
        if key.spki != der {
            // A non-canonical encoding would give the same key another id.
            return Err(Error::Key(
                "SubjectPublicKeyInfo is not in its canonical DER form".into(),
            ));
        }
        Ok(key)
    }

    /// Reads a `PUBLIC KEY` PEM, or base64 of the DER (as embedded in apps).
    pub fn from_text(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        if text.starts_with("-----BEGIN") {
            let block = pem::parse(text).map_err(|e| Error::Key(format!("PEM: {e}")))?;
            if block.tag() != "PUBLIC KEY" {
                return Err(Error::Key(format!(
                    "PEM block is {:?}, not \"PUBLIC KEY\"",
                    block.tag()
                )));
            }
            return Self::from_spki_der(block.contents());
        }
        let der = STANDARD
            .decode(text)
            .map_err(|e| Error::Key(format!("neither PEM nor base64 DER: {e}")))?;
        Self::from_spki_der(&der)
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The key id.
    pub fn id(&self) -> &KeyId {
        &self.id
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// `PUBLIC KEY` PEM.
    pub fn to_pem(&self) -> String {
        pem_lf("PUBLIC KEY", &self.spki)
    }

    /// Base64 of the DER SubjectPublicKeyInfo, for embedding in an app.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.spki)
    }

    /// Whether `sig` is this key's signature over `message`.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        let algorithm: &dyn signature::VerificationAlgorithm = match self.algorithm {
            Algorithm::Ed25519 => &signature::ED25519,
            Algorithm::EcdsaP256 => &ECDSA_P256_SHA256_ASN1,
        };
        UnparsedPublicKey::new(algorithm, &self.raw)
            .verify(message, sig)
            .is_ok()
    }
}

enum Pair {
    Ed25519(Ed25519KeyPair),
    EcdsaP256(EcdsaKeyPair),
}

/// A private key that signs manifests. Its Debug output never shows the key.
pub struct SigningKey {
    pair: Pair,
    pkcs8: Vec<u8>,
    public: VerifyingKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.public.algorithm)
            .field("id", &self.public.id)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new random key.
    pub fn generate(algorithm: Algorithm) -> Result<Self, Error> {
        let rng = SystemRandom::new();
        let failed = |_| Error::Key("the system's random generator failed".into());
        match algorithm {
            Algorithm::Ed25519 => {
                // RFC 8410's PKCS#8 v1 form (the seed only): ring writes v2,
                // which OpenSSL 3.0 can't read.
                let seed: [u8; 32] = ring::rand::generate(&rng).map_err(failed)?.expose();
                Self::from_pkcs8_der(&[&ED25519_PKCS8_V1_PREFIX[..], &seed].concat())
            }
            Algorithm::EcdsaP256 => {
                let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                    .map_err(failed)?;
                Self::from_pkcs8_der(pkcs8.as_ref())
            }
        }
    }

    /// Reads a PKCS#8 DER private key (Ed25519 or P-256).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Error> {
        let rng = SystemRandom::new();
        let pair = if let Ok(k) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            Pair::Ed25519(k)
        } else if let Ok(k) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der, &rng) {
            Pair::EcdsaP256(k)
        } else {
            return Err(Error::Key(
                "not a PKCS#8 Ed25519 or ECDSA P-256 private key".into(),
            ));
        };
        let public = match &pair {
            Pair::Ed25519(k) => VerifyingKey::from_raw(Algorithm::Ed25519, k.public_key().as_ref()),
            Pair::EcdsaP256(k) => {
                VerifyingKey::from_raw(Algorithm::EcdsaP256, k.public_key().as_ref())
            }
        };
        Ok(Self {
            pair,
            pkcs8: der.to_vec(),
            public,
        })
    }

    /// Reads a `PRIVATE KEY` (PKCS#8) PEM.
    pub fn from_pem(text: &str) -> Result<Self, Error> {
        let block = pem::parse(text.trim()).map_err(|e| Error::Key(format!("PEM: {e}")))?;
        if block.tag() != "PRIVATE KEY" {
            return Err(Error::Key(format!(
                "PEM block is {:?}, not \"PRIVATE KEY\" (PKCS#8)",
                block.tag()
            )));
        }
        Self::from_pkcs8_der(block.contents())
    }

    /// `PRIVATE KEY` (PKCS#8) PEM. Write it with mode 0600.
    pub fn to_pem(&self) -> String {
        pem_lf("PRIVATE KEY", &self.pkcs8)
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.public.clone()
    }

    /// The key id.
    pub fn id(&self) -> &KeyId {
        &self.public.id
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        match &self.pair {
            Pair::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
            Pair::EcdsaP256(k) => k
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| Error::Key("ECDSA signing failed".into())),
        }
    }
}
