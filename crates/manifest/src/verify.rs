//! Verification: trusted keys and a threshold, the app the verifier serves,
//! and the last accepted version (anti-rollback).

use std::collections::BTreeSet;

use ring::digest::{SHA256, digest};
use time::OffsetDateTime;

use crate::envelope::decode_base64;
use crate::{Envelope, Error, MAX_SIGNATURES, Manifest, PAYLOAD_TYPE, VerifyingKey, pae};

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

/// An untrusted key id as it goes into a message: quoted, escaped, and cut
/// to the length of a pinwarden key id.
fn shown(id: &str) -> String {
    const MAX: usize = 64;
    match id.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}…", &id[..cut]),
        None => format!("{id:?}"),
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
        if threshold > MAX_SIGNATURES {
            return Err(Error::Trust(format!(
                "threshold {threshold}: an envelope carries at most {MAX_SIGNATURES} signatures"
            )));
        }
        Ok(Self { keys, threshold })
    }

    /// The trusted keys.
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    /// Verifies an envelope for `app`: payload type, `threshold` valid
    /// signatures from distinct trusted keys (a key that signed twice counts
    /// once; a signature's key id only says which key to try first, and one
    /// with no key id or an unknown one is tried with every trusted key, as
    /// DSSE requires), a valid manifest for that app,
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

        // DSSE's multi-signature verification (protocol.md): a key id is an
        // unauthenticated hint that may only narrow the keys to try, so it
        // orders them (the named key first) and never decides. Each signature
        // costs at most one verification per trusted key, and `from_json`
        // caps the signatures at MAX_SIGNATURES.
        let mut signed_by: BTreeSet<String> = BTreeSet::new();
        let mut details = Vec::new();
        for (n, s) in envelope.signatures.iter().enumerate() {
            let n = n + 1;
            let Some(sig) = decode_base64(&s.sig) else {
                details.push(format!("signature {n}: not base64"));
                continue;
            };
            let hint = s.keyid_hint();
            let named = hint.and_then(|id| self.keys.iter().position(|k| k.id().as_str() == id));
            let mut order = named
                .into_iter()
                .chain((0..self.keys.len()).filter(|&i| Some(i) != named));
            match order.find(|&i| self.keys[i].verify(&message, &sig)) {
                Some(i) => {
                    let id = self.keys[i].id();
                    if !signed_by.insert(id.to_string()) {
                        details.push(format!(
                            "signature {n}: by key {id} again, which counts once"
                        ));
                    }
                }
                None => details.push(match (hint, named) {
                    (None, _) => format!(
                        "signature {n} (no key id): verifies with none of the {} trusted key(s)",
                        self.keys.len()
                    ),
                    (Some(id), Some(_)) => format!(
                        "signature {n}: does not verify with key {id} nor any other trusted key"
                    ),
                    (Some(id), None) => format!(
                        "signature {n}: key {} is not trusted, and the signature verifies with \
                         none of the {} trusted key(s)",
                        shown(id),
                        self.keys.len()
                    ),
                }),
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
