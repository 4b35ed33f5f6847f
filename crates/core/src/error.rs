//! The errors of pinwarden-core. Each says what was wrong and what to do.

use thiserror::Error;

/// Everything that can go wrong in pinwarden-core.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// A pin in some notation could not be read.
    #[error("bad pin {input:?}: {reason}")]
    Pin {
        /// The text as given.
        input: String,
        /// Why it was refused.
        reason: PinError,
    },
    /// A host pattern could not be read.
    #[error("bad host pattern {input:?}: {reason}")]
    HostPattern {
        /// The text as given.
        input: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// Input bytes hold nothing that looks like a certificate or key.
    #[error("no certificate or public key found (expected PEM blocks or DER)")]
    NoCertificates,
    /// The input is empty.
    #[error("the input is empty")]
    EmptyInput,
    /// A DER certificate could not be parsed.
    #[error("certificate #{index} is not a valid X.509 certificate: {reason}")]
    BadCertificate {
        /// Position of the certificate in its input, from 1.
        index: usize,
        /// The parser's explanation.
        reason: String,
    },
    /// A DER public key could not be parsed.
    #[error("public key #{index} is not a valid SubjectPublicKeyInfo: {reason}")]
    BadPublicKey {
        /// Position of the key in its input, from 1.
        index: usize,
        /// The parser's explanation.
        reason: String,
    },
    /// A PEM block could not be decoded.
    #[error("PEM block #{index} is damaged: {reason}")]
    BadPem {
        /// Position of the block in its input, from 1.
        index: usize,
        /// The decoder's explanation.
        reason: String,
    },
    /// The CA dataset (built in, or a file given with `--cas`) is unusable.
    #[error("CA dataset {file}: {reason}")]
    CaDataset {
        /// The file.
        file: String,
        /// What is wrong in it, and where.
        reason: String,
    },
    /// A pin set can't be exported to a format.
    #[error("can't export to {format}: {reason}")]
    Export {
        /// The export format.
        format: &'static str,
        /// Why.
        reason: String,
    },
}

/// Why a pin's text was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinError {
    /// Nothing to parse.
    #[error("the pin is empty")]
    Empty,
    /// A PEM block was pasted where a pin belongs.
    #[error(
        "this is a PEM certificate or key, not a pin; compute its pin with `pinwarden pin FILE`"
    )]
    PemPasted,
    /// A certificate fingerprint was pasted where a pin belongs.
    #[error(
        "this looks like a certificate fingerprint (a hash of the whole certificate), not an SPKI pin; \
         a pin hashes only the public key, so it survives re-issuance with the same key: \
         run `pinwarden pin CERT` to get it"
    )]
    Fingerprint,
    /// `pin-sha256=` without the quotes RFC 7469 requires.
    #[error("pin-sha256 values must be in double quotes: pin-sha256=\"BASE64\"")]
    UnquotedHpkp,
    /// A hash algorithm other than SHA-256 was named.
    #[error(
        "{0} pins are not supported: pins are SHA-256 over the SubjectPublicKeyInfo (RFC 7469)"
    )]
    UnsupportedAlgorithm(String),
    /// The digest has the wrong length for SHA-256.
    #[error("{} (a pin is 32 bytes: 44 base64 characters or 64 hex digits)", describe_length(*.bytes, .encoding))]
    WrongLength {
        /// Decoded length.
        bytes: usize,
        /// "base64" or "hex".
        encoding: &'static str,
    },
    /// Hex with an odd number of digits.
    #[error("odd number of hex digits")]
    OddHex,
    /// A character outside the base64 alphabet.
    #[error("{ch:?} at position {pos} is not a base64 character")]
    BadBase64Char {
        /// The offending character.
        ch: char,
        /// Its byte offset in the base64 part.
        pos: usize,
    },
    /// Base64 that doesn't decode (bad padding, truncated).
    #[error("not valid base64: {0}")]
    BadBase64(String),
}

fn describe_length(bytes: usize, encoding: &str) -> String {
    let guess = match bytes {
        16 => " — an MD5 digest?",
        20 => " — a SHA-1 digest; SHA-1 pins are not accepted",
        28 => " — a SHA-224 digest?",
        48 => " — a SHA-384 digest?",
        64 => " — a SHA-512 digest?",
        _ => "",
    };
    format!("{encoding} decodes to {bytes} bytes{guess}")
}
