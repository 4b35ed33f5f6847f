//! The DSSE envelope (<https://github.com/secure-systems-lab/dsse>): the
//! payload, its type, and signatures over the pre-authentication encoding
//! `PAE(type, payload)`, so a signature can never be replayed over another
//! type of document.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

use crate::{Error, Manifest, SigningKey};

/// The payload type of a pinwarden manifest.
pub const PAYLOAD_TYPE: &str = "application/vnd.pinwarden.manifest+json";

/// Envelopes larger than this are refused before parsing.
pub const MAX_ENVELOPE_BYTES: usize = 1 << 20;

/// Envelopes with more signatures than this are refused: each signature may
/// cost a verification per trusted key, so the work stays bounded.
pub const MAX_SIGNATURES: usize = 32;

/// One signature.
///
/// DSSE (`envelope.md`, "Parsing rules"): `keyid` is optional, absent and
/// empty mean the same, and fields a consumer doesn't know are ignored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signature {
    /// The signer's key id, as the signer wrote it: an unauthenticated hint
    /// (pinwarden writes [`crate::KeyId`]s; other tools write their own ids,
    /// or none). Never trust it; [`Signature::keyid_hint`] reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyid: Option<String>,
    /// Base64 of the signature over `PAE(payloadType, payload)`.
    pub sig: String,
}

impl Signature {
    /// The key id hint, `None` when absent or empty (DSSE treats an unset
    /// field as set-but-empty).
    pub fn keyid_hint(&self) -> Option<&str> {
        self.keyid.as_deref().filter(|k| !k.is_empty())
    }
}

/// A DSSE envelope. Unknown fields are ignored, as DSSE requires.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Base64 of the payload bytes.
    pub payload: String,
    /// What the payload is.
    pub payload_type: String,
    /// One or more signatures.
    pub signatures: Vec<Signature>,
}

/// DSSE's pre-authentication encoding:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + payload.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// Decodes DSSE base64: standard or URL-safe alphabet (DSSE's envelope.md
/// allows either), padded or not (it is silent on padding, and the URL-safe
/// form is commonly sent without).
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(text)
        .or_else(|_| STANDARD_NO_PAD.decode(text))
        .or_else(|_| URL_SAFE.decode(text))
        .or_else(|_| URL_SAFE_NO_PAD.decode(text))
        .ok()
}

/// Whether `bytes` is a JSON object (after leading white space): serde
/// would otherwise take a struct written as a JSON array, which no other
/// DSSE or manifest reader accepts.
pub(crate) fn is_json_object(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        == Some(&b'{')
}

/// Signs `manifest` with every key; the manifest is checked first.
pub fn sign(manifest: &Manifest, keys: &[&SigningKey]) -> Result<Envelope, Error> {
    manifest.check()?;
    if keys.is_empty() {
        return Err(Error::Key("no signing key given".into()));
    }
    if keys.len() > MAX_SIGNATURES {
        return Err(Error::TooManySignatures {
            count: keys.len(),
            max: MAX_SIGNATURES,
        });
    }
    let payload = manifest.to_json();
    let message = pae(PAYLOAD_TYPE, &payload);
    let signatures = keys
        .iter()
        .map(|k| {
            Ok(Signature {
                keyid: Some(k.id().to_string()),
                sig: STANDARD.encode(k.sign(&message)?),
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(Envelope {
        payload: STANDARD.encode(&payload),
        payload_type: PAYLOAD_TYPE.into(),
        signatures,
    })
}

impl Envelope {
    /// Parses an envelope, refusing oversized input and more than
    /// [`MAX_SIGNATURES`] signatures. Unknown fields are ignored.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(Error::Envelope(format!(
                "{} bytes, more than the {MAX_ENVELOPE_BYTES} allowed",
                bytes.len()
            )));
        }
        if !is_json_object(bytes) {
            return Err(Error::Envelope("an envelope is a JSON object".into()));
        }
        let wire: Wire =
            serde_json::from_slice(bytes).map_err(|e| Error::Envelope(e.to_string()))?;
        if wire.signatures.total > MAX_SIGNATURES {
            return Err(Error::TooManySignatures {
                count: wire.signatures.total,
                max: MAX_SIGNATURES,
            });
        }
        Ok(Self {
            payload: wire.payload,
            payload_type: wire.payload_type,
            signatures: wire.signatures.kept,
        })
    }

    /// The envelope as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The decoded payload bytes.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, Error> {
        decode_base64(&self.payload).ok_or_else(|| Error::Envelope("payload is not base64".into()))
    }

    /// The manifest inside, parsed and checked but NOT verified: for showing
    /// an envelope to a person, never for enforcing.
    pub fn unverified_manifest(&self) -> Result<Manifest, Error> {
        Manifest::from_json(&self.payload_bytes()?)
    }
}

/// The envelope as read by [`Envelope::from_json`]: the same fields, but the
/// signatures past [`MAX_SIGNATURES`] are only counted, so a megabyte of
/// `{"sig":""}` never becomes a hundred thousand values in memory.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    payload: String,
    payload_type: String,
    signatures: Capped,
}

struct Capped {
    kept: Vec<Signature>,
    total: usize,
}

impl<'de> serde::Deserialize<'de> for Capped {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Capped;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of signatures")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Capped, A::Error> {
                let mut kept = Vec::new();
                let mut total = 0;
                loop {
                    if total < MAX_SIGNATURES {
                        let Some(s) = seq.next_element::<Signature>()? else {
                            break;
                        };
                        kept.push(s);
                    } else if seq.next_element::<serde::de::IgnoredAny>()?.is_none() {
                        break;
                    }
                    total += 1;
                }
                Ok(Capped { kept, total })
            }
        }
        deserializer.deserialize_seq(Visitor)
    }
}
