//! pinwarden-manifest: signed pin manifests.
//!
//! A manifest is a JSON document (the [`Manifest`]: app, strictly increasing
//! version, issue and expiry times, pin sets, report URI, what to do after
//! expiry, and an optional candidate rollout) wrapped in a DSSE envelope
//! ([`Envelope`]) signed by one or more keys ([`SigningKey`]: Ed25519 or
//! ECDSA P-256). A client holds a [`TrustSet`] (keys and a threshold) and the
//! last version it accepted ([`Accepted`]); [`TrustSet::verify`] is the only way
//! to get a [`VerifiedManifest`].
//!
//! ```text
//! Manifest ==sign(keys)==> Envelope (JSON) ==verify(trust, app, last)==> VerifiedManifest
//! ```
//!
//! # Getting started
//! ```
//! use pinwarden_manifest::{Algorithm, Manifest, SigningKey, TrustSet, sign};
//!
//! let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
//! let now = time::OffsetDateTime::now_utc();
//! let manifest = Manifest::new("mobile", 1, now, now + time::Duration::days(30));
//! let envelope = sign(&manifest, &[&key]).unwrap();
//!
//! let trust = TrustSet::new(vec![key.verifying_key()], 1).unwrap();
//! let verified = trust.verify(envelope.to_json().as_bytes(), "mobile", None).unwrap();
//! assert_eq!(verified.manifest().version, 1);
//! ```

mod cohort;
mod envelope;
mod error;
mod keys;
mod payload;
pub mod vectors;
mod verify;

pub use cohort::{cohort, in_candidate};
pub use envelope::{
    Envelope, MAX_ENVELOPE_BYTES, MAX_SIGNATURES, PAYLOAD_TYPE, Signature, pae, sign,
};
pub use error::Error;
pub use keys::{Algorithm, KeyId, SigningKey, VerifyingKey};
pub use payload::{AfterExpiry, Candidate, MAX_VERSION, Manifest};
pub use verify::{Accepted, TrustSet, VerifiedManifest};
