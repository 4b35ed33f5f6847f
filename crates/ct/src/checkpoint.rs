//! Checkpoints: the signed tree heads of static-ct-api logs.
//!
//! A checkpoint is a signed note (c2sp.org/signed-note) whose text is a
//! tree head (c2sp.org/tlog-checkpoint): origin, tree size, base64 root
//! hash, optional extension lines; then a blank line and one or more
//! signature lines `— <key name> <base64(key ID || signature)>`.
//!
//! A static-ct-api log (c2sp.org/static-ct-api, "Checkpoints") signs with
//! signature type 0x05: the key name is the origin (the submission prefix
//! without scheme or trailing slash), the key ID is the first four bytes of
//! SHA-256(name || 0x0A || 0x05 || LogID), and the signature is an
//! `RFC6962NoteSignature`: the tree head's 8-byte timestamp followed by the
//! RFC 6962 `TreeHeadSignature` `DigitallySigned`. So a verified checkpoint
//! converts losslessly into the [`SignedTreeHead`] a `get-sth` would have
//! returned, and is verified by the same code ([`SignedTreeHead::verify`]).
//!
//! Parsing is strict and never panics: every refusal names what is wrong.
//! Signatures by other keys (witnesses, other key types) are ignored, as
//! the note specification requires; the log's own signature is required.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

use crate::merkle::Hash;
use crate::sth::{LogKey, SignedTreeHead, SthError};

/// The signed-note signature type of RFC 6962 tree head signatures.
const RFC6962_SIGNATURE_TYPE: u8 = 0x05;
/// More signature lines than any checkpoint needs (the note specification
/// asks verifiers to accept at least 16).
const MAX_SIGNATURES: usize = 64;
/// Larger than any checkpoint: 64 post-quantum signatures fit.
pub const MAX_CHECKPOINT_BYTES: usize = 1 << 20;

/// Why a checkpoint is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The note or its text is not well-formed.
    #[error("malformed checkpoint: {part}: {reason}")]
    Malformed {
        /// The part at fault (`note`, `origin line`, `signature line 2`, …).
        part: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The origin line is not the log's.
    #[error(
        "checkpoint origin {got:?} is not this log's {expected:?} (the log list's submission URL without scheme); wrong log or wrong URL"
    )]
    WrongOrigin {
        /// The origin derived from the log list.
        expected: String,
        /// The origin line.
        got: String,
    },
    /// No signature line carries the log's key name and key ID.
    #[error(
        "checkpoint has no signature by the log's key (name {name:?}, key ID {key_id:08x}); signatures present: {present}"
    )]
    Unsigned {
        /// The expected key name.
        name: String,
        /// The expected key ID.
        key_id: u32,
        /// The names and key IDs that were there.
        present: String,
    },
    /// The log's signature line is there but doesn't verify.
    #[error("the log's checkpoint signature: {0}")]
    Signature(SthError),
}

fn malformed(part: impl Into<String>, reason: impl Into<String>) -> CheckpointError {
    CheckpointError::Malformed {
        part: part.into(),
        reason: reason.into(),
    }
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key ID (first four bytes, big-endian).
    pub key_id: u32,
    /// The signature bytes after the key ID.
    pub signature: Vec<u8>,
}

/// A parsed, not yet verified checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The origin line.
    pub origin: String,
    /// The tree size.
    pub tree_size: u64,
    /// The root hash.
    pub root: Hash,
    /// Extension lines, if any.
    pub extensions: Vec<String>,
    /// Every signature line, in order.
    pub signatures: Vec<NoteSignature>,
}

impl Checkpoint {
    /// Parses a checkpoint strictly (signed-note and tlog-checkpoint).
    pub fn parse(bytes: &[u8]) -> Result<Self, CheckpointError> {
        if bytes.len() > MAX_CHECKPOINT_BYTES {
            return Err(malformed(
                "note",
                format!("{} bytes, more than {MAX_CHECKPOINT_BYTES}", bytes.len()),
            ));
        }
        let note =
            std::str::from_utf8(bytes).map_err(|e| malformed("note", format!("not UTF-8: {e}")))?;
        if let Some((at, c)) = note
            .char_indices()
            .find(|&(_, c)| c.is_ascii_control() && c != '\n')
        {
            return Err(malformed(
                "note",
                format!("control character {:#04x} at byte {at}", c as u32),
            ));
        }
        if !note.ends_with('\n') {
            return Err(malformed("note", "does not end with a newline"));
        }
        // The text ends at the last blank line; signatures follow it.
        let Some(split) = note.rfind("\n\n") else {
            return Err(malformed(
                "note",
                "no blank line before signature lines: the checkpoint is unsigned",
            ));
        };
        let text = &note[..=split];
        let block = &note[split + 2..];
        if block.is_empty() {
            return Err(malformed("note", "no signature lines after the blank line"));
        }
        let signatures = block
            .strip_suffix('\n')
            .unwrap_or(block)
            .split('\n')
            .enumerate()
            .map(|(i, line)| parse_signature_line(i + 1, line))
            .collect::<Result<Vec<_>, _>>()?;
        if signatures.len() > MAX_SIGNATURES {
            return Err(malformed(
                "note",
                format!(
                    "{} signatures, more than {MAX_SIGNATURES}",
                    signatures.len()
                ),
            ));
        }

        let lines: Vec<&str> = text
            .strip_suffix('\n')
            .unwrap_or(text)
            .split('\n')
            .collect();
        if lines.len() < 3 {
            return Err(malformed(
                "text",
                format!(
                    "{} line(s); a checkpoint needs origin, tree size and root hash",
                    lines.len()
                ),
            ));
        }
        let origin = lines[0];
        if origin.is_empty() {
            return Err(malformed("origin line", "empty"));
        }
        let tree_size = parse_tree_size(lines[1])?;
        let root = STANDARD
            .decode(lines[2])
            .map_err(|e| malformed("root hash line", format!("not base64: {e}")))?;
        let root = Hash::try_from(root.as_slice()).map_err(|_| {
            malformed(
                "root hash line",
                format!("{} bytes, not a 32-byte SHA-256 hash", root.len()),
            )
        })?;
        let extensions = lines[3..]
            .iter()
            .enumerate()
            .map(|(i, line)| {
                if line.is_empty() {
                    Err(malformed(
                        format!("extension line {}", i + 1),
                        "empty (extension lines must not be)",
                    ))
                } else {
                    Ok((*line).to_owned())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            origin: origin.to_owned(),
            tree_size,
            root,
            extensions,
            signatures,
        })
    }

    /// Verifies the log's RFC 6962 signature: the origin must be `origin`
    /// (see [`origin_of`]), a signature line must carry the log's key name
    /// and key ID, and it must verify with `key`. Other signature lines are
    /// ignored. Returns the tree head as `get-sth` would have served it.
    pub fn verify(&self, origin: &str, key: &LogKey) -> Result<SignedTreeHead, CheckpointError> {
        if self.origin != origin {
            return Err(CheckpointError::WrongOrigin {
                expected: origin.to_owned(),
                got: self.origin.clone(),
            });
        }
        let key_id = rfc6962_key_id(origin, &key.log_id());
        let Some(line) = self
            .signatures
            .iter()
            .find(|s| s.name == origin && s.key_id == key_id)
        else {
            let present = if self.signatures.is_empty() {
                "none".to_owned()
            } else {
                self.signatures
                    .iter()
                    .map(|s| format!("{} {:08x}", s.name, s.key_id))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(CheckpointError::Unsigned {
                name: origin.to_owned(),
                key_id,
                present,
            });
        };
        // static-ct-api: "A checkpoint signed with this algorithm MUST NOT
        // include any extension lines" (the signature couldn't cover them).
        if !self.extensions.is_empty() {
            return Err(malformed(
                "extension lines",
                "not allowed beside an RFC 6962 signature, which does not cover them",
            ));
        }
        // RFC6962NoteSignature: uint64 timestamp, then TreeHeadSignature.
        let Some((timestamp, digitally_signed)) = line.signature.split_first_chunk::<8>() else {
            return Err(malformed(
                "log signature",
                format!(
                    "{} bytes: too short for a timestamp and a signature",
                    line.signature.len()
                ),
            ));
        };
        let sth = SignedTreeHead {
            tree_size: self.tree_size,
            timestamp: u64::from_be_bytes(*timestamp),
            sha256_root_hash: STANDARD.encode(self.root),
            tree_head_signature: STANDARD.encode(digitally_signed),
        };
        sth.verify(key).map_err(CheckpointError::Signature)?;
        Ok(sth)
    }
}

fn parse_tree_size(line: &str) -> Result<u64, CheckpointError> {
    if line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(
            "tree size line",
            format!("{line:?} is not a decimal number"),
        ));
    }
    if line.len() > 1 && line.starts_with('0') {
        return Err(malformed(
            "tree size line",
            format!("{line:?} has a leading zero"),
        ));
    }
    line.parse::<u64>()
        .map_err(|e| malformed("tree size line", format!("{line:?}: {e}")))
}

fn parse_signature_line(n: usize, line: &str) -> Result<NoteSignature, CheckpointError> {
    let part = || format!("signature line {n}");
    let Some(rest) = line.strip_prefix("\u{2014} ") else {
        return Err(malformed(
            part(),
            "does not start with an em dash (U+2014) and a space",
        ));
    };
    let Some((name, b64)) = rest.split_once(' ') else {
        return Err(malformed(part(), "no space between key name and signature"));
    };
    if name.is_empty() {
        return Err(malformed(part(), "empty key name"));
    }
    if name.chars().any(|c| c.is_whitespace() || c == '+') {
        return Err(malformed(
            part(),
            format!("key name {name:?} contains a space or a plus sign"),
        ));
    }
    let bytes = STANDARD
        .decode(b64)
        .map_err(|e| malformed(part(), format!("signature is not base64: {e}")))?;
    let Some((key_id, signature)) = bytes.split_first_chunk::<4>() else {
        return Err(malformed(
            part(),
            format!("{} bytes: too short for a key ID", bytes.len()),
        ));
    };
    if signature.is_empty() {
        return Err(malformed(part(), "a key ID and no signature"));
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes(*key_id),
        signature: signature.to_vec(),
    })
}

/// The key ID of a static-ct-api log's note signatures (c2sp.org/static-ct-api,
/// "Checkpoints"): the first four bytes, big-endian, of
/// SHA-256(key name || 0x0A || 0x05 || LogID).
pub fn rfc6962_key_id(name: &str, log_id: &Hash) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', RFC6962_SIGNATURE_TYPE]);
    h.update(log_id);
    let digest = h.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A static-ct-api log's checkpoint origin: its submission prefix as a
/// schema-less URL with no trailing slashes
/// (`https://rome.ct.example.com/2024h1/` → `rome.ct.example.com/2024h1`).
pub fn origin_of(submission_url: &str) -> String {
    let url = submission_url.trim();
    let url = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    url.trim_end_matches('/').to_owned()
}

/// Formats a signature line (for logs and tests).
pub fn signature_line(name: &str, key_id: u32, signature: &[u8]) -> String {
    let mut bytes = key_id.to_be_bytes().to_vec();
    bytes.extend_from_slice(signature);
    format!("\u{2014} {name} {}\n", STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    fn note(sigs: &str) -> String {
        format!("{TEXT}\n{sigs}")
    }

    #[test]
    fn parses_text_and_signatures() {
        let n = note(
            &(signature_line("example.com/log", 7, b"sig")
                + &signature_line("witness.example/w", 9, b"cosig")),
        );
        let cp = Checkpoint::parse(n.as_bytes()).unwrap();
        assert_eq!(cp.origin, "example.com/log");
        assert_eq!(cp.tree_size, 5);
        assert_eq!(cp.signatures.len(), 2);
        assert_eq!(cp.signatures[1].name, "witness.example/w");
        assert_eq!(cp.signatures[1].key_id, 9);
        assert_eq!(cp.signatures[1].signature, b"cosig");
    }

    #[test]
    fn origins_drop_scheme_and_slashes() {
        assert_eq!(
            origin_of("https://rome.ct.example.com/2024h1/"),
            "rome.ct.example.com/2024h1"
        );
        assert_eq!(origin_of("http://127.0.0.1:80/log//"), "127.0.0.1:80/log");
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let n = note(&signature_line("example.com/log", 7, b"sig"));
        for cut in 0..n.len() {
            if n.is_char_boundary(cut) {
                assert!(
                    Checkpoint::parse(&n.as_bytes()[..cut]).is_err(),
                    "cut {cut}"
                );
            }
        }
    }
}
