//! Why a manifest, an envelope or a key is refused.

/// Everything that can go wrong; each message names the cause.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The envelope isn't DSSE JSON.
    #[error("not a DSSE envelope: {0}")]
    Envelope(String),
    /// The envelope carries something other than a pinwarden manifest.
    #[error("payload type {0:?} is not a pinwarden manifest ({expected})", expected = crate::PAYLOAD_TYPE)]
    PayloadType(String),
    /// More signatures than a verifier will try ([`crate::MAX_SIGNATURES`]).
    #[error(
        "the envelope carries {count} signatures, more than the {max} allowed: \
         sign with at most {max} keys"
    )]
    TooManySignatures {
        /// Signatures in the envelope.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The payload isn't a valid manifest.
    #[error("manifest: {0}")]
    Payload(String),
    /// A version above [`crate::MAX_VERSION`].
    #[error(
        "manifest version {version} is above {max} (2^53 - 1), the largest version \
         every client reads exactly: number versions from 1 up (a counter, or a date \
         such as 2026120101)"
    )]
    VersionTooLarge {
        /// The manifest's version.
        version: u64,
        /// The largest allowed.
        max: u64,
    },
    /// Too few valid signatures from trusted keys.
    #[error("{valid} valid signature(s) from trusted keys, {threshold} needed: {}", details.join("; "))]
    Signatures {
        /// Distinct trusted keys whose signature verified.
        valid: usize,
        /// How many are needed.
        threshold: usize,
        /// What happened to each signature.
        details: Vec<String>,
    },
    /// Signed for another app.
    #[error("manifest is for app {got:?}, not {expected:?}")]
    WrongApp {
        /// The app the manifest names.
        got: String,
        /// The app the verifier serves.
        expected: String,
    },
    /// Older than the last accepted version.
    #[error("version {got} is older than the accepted version {accepted}: rollback refused")]
    Rollback {
        /// The manifest's version.
        got: u64,
        /// The last accepted version.
        accepted: u64,
    },
    /// Same version as the last accepted one, different content.
    #[error("version {0} was already accepted with different content: equivocation refused")]
    Equivocation(u64),
    /// A key that can't be read or used.
    #[error("key: {0}")]
    Key(String),
    /// The trust set is unusable (no keys, threshold out of range).
    #[error("trust set: {0}")]
    Trust(String),
}
