//! Verification: trusted keys and a threshold, the app the verifier serves,
//! and the last accepted version (anti-rollback).

use std::collections::BTreeSet;

use ring::digest::{SHA256, digest};
use time::OffsetDateTime;

use crate::envelope::decode_base64;
use crate::{Envelope, Error, Manifest, PAYLOAD_TYPE, VerifyingKey, pae};

/// What a client remembers of the last manifest it accepted, to refuse
/// rollbacks and equivocation. Persist it beside the cached manifest.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Accepted {
    /// The accepted version.
    pub version: u64,
    /// SHA-256 of its payload, lowercase hex.
    pub payload_sha256: String,
}

/// The keys a verifier trusts and how many of them must have signed.
#[derive(Clone, Debug)]
pub struct TrustSet {
    keys: Vec<VerifyingKey>,
    threshold: usize,
}

/// A manifest whose signatures, app and version have been checked. Only
/// [`TrustSet::verify`] makes one.
#[derive(Clone, Debug)]
pub struct VerifiedManifest {
    manifest: Manifest,
    accepted: Accepted,
    signed_by: Vec<String>,
}

impl VerifiedManifest {
    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// What to remember for the next verification.
    pub fn accepted(&self) -> &Accepted {
        &self.accepted
    }

    /// Ids of the trusted keys whose signatures verified.
    pub fn signed_by(&self) -> &[String] {
        &self.signed_by
    }

    /// Whether it has expired at `now`.
    pub fn expired(&self, now: OffsetDateTime) -> bool {
        self.manifest.expired(now)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl TrustSet {
    /// Trusts `keys`, requiring `threshold` distinct ones to have signed.
    pub fn new(keys: Vec<VerifyingKey>, threshold: usize) -> Result<Self, Error> {
        let distinct: BTreeSet<_> = keys.iter().map(VerifyingKey::id).collect();
        if keys.is_empty() {
            return Err(Error::Trust("no trusted keys".into()));
        }
        if threshold == 0 || threshold > distinct.len() {
            return Err(Error::Trust(format!(
                "threshold {threshold} with {} distinct key(s): it must be 1 to {}",
                distinct.len(),
                distinct.len()
            )));
        }
        Ok(Self { keys, threshold })
    }

    /// The trusted keys.
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    /// Verifies an envelope for `app`: payload type, `threshold` valid
    /// signatures from distinct trusted keys, a valid manifest for that app,
    /// and, given the last accepted version, no rollback or equivocation.
    /// Expiry is the caller's decision ([`VerifiedManifest::expired`]): a
    /// client applies the manifest's `after_expiry`, a server refuses.
    pub fn verify(
        &self,
        envelope: &[u8],
        app: &str,
        last: Option<&Accepted>,
    ) -> Result<VerifiedManifest, Error> {
        let envelope = Envelope::from_json(envelope)?;
        if envelope.payload_type != PAYLOAD_TYPE {
            return Err(Error::PayloadType(envelope.payload_type));
        }
        let payload = envelope.payload_bytes()?;
        let message = pae(&envelope.payload_type, &payload);

        let mut signed_by: BTreeSet<String> = BTreeSet::new();
        let mut details = Vec::new();
        for (n, s) in envelope.signatures.iter().enumerate() {
            let Some(key) = self.keys.iter().find(|k| k.id().as_str() == s.keyid) else {
                details.push(format!(
                    "signature {}: key {} is not trusted",
                    n + 1,
                    s.keyid
                ));
                continue;
            };
            match decode_base64(&s.sig) {
                Some(sig) if key.verify(&message, &sig) => {
                    signed_by.insert(s.keyid.clone());
                }
                Some(_) => details.push(format!(
                    "signature {}: does not verify with key {}",
                    n + 1,
                    s.keyid
                )),
                None => details.push(format!("signature {}: not base64", n + 1)),
            }
        }
        if envelope.signatures.is_empty() {
            details.push("the envelope has no signatures".into());
        }
        if signed_by.len() < self.threshold {
            return Err(Error::Signatures {
                valid: signed_by.len(),
                threshold: self.threshold,
                details,
            });
        }

        // Only now, with the signatures checked, is the payload parsed.
        let manifest = Manifest::from_json(&payload)?;
        if manifest.app != app {
            return Err(Error::WrongApp {
                got: manifest.app,
                expected: app.to_owned(),
            });
        }
        let accepted = Accepted {
            version: manifest.version,
            payload_sha256: hex(digest(&SHA256, &payload).as_ref()),
        };
        if let Some(last) = last {
            if manifest.version < last.version {
                return Err(Error::Rollback {
                    got: manifest.version,
                    accepted: last.version,
                });
            }
            if manifest.version == last.version && accepted.payload_sha256 != last.payload_sha256 {
                return Err(Error::Equivocation(manifest.version));
            }
        }
        Ok(VerifiedManifest {
            manifest,
            accepted,
            signed_by: signed_by.into_iter().collect(),
        })
    }
}
