//! SPKI pins: SHA-256 over the DER SubjectPublicKeyInfo (RFC 7469 §2.4).

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::error::PinError;

/// A public-key pin: the SHA-256 digest of a DER-encoded SubjectPublicKeyInfo.
///
/// Displayed as `sha256/BASE64`. Parsing accepts the notations clients use
/// (`sha256/…`, curl's `sha256//…`, HPKP's `pin-sha256="…"`, bare base64 and hex)
/// and rejects, with a reason, the things people paste by mistake: SHA-1
/// digests, certificate fingerprints, other hash lengths, whole certificates.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpkiPin([u8; 32]);

impl SpkiPin {
    /// The pin of a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(spki: &[u8]) -> Self {
        Self(Sha256::digest(spki).into())
    }

    /// A pin from an already computed SHA-256 digest of an SPKI.
    pub fn from_digest(digest: [u8; 32]) -> Self {
        Self(digest)
    }

    /// The 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Standard base64 of the digest, the form every platform config uses.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Appends `sha256/BASE64` to `out`, without an allocation of its own.
    pub fn write_to(&self, out: &mut String) {
        out.push_str("sha256/");
        STANDARD.encode_string(self.0, out);
    }

    /// Lower-case hex of the digest.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(64);
        for b in self.0 {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        out
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl fmt::Display for SpkiPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256/{}", self.to_base64())
    }
}

impl fmt::Debug for SpkiPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpkiPin({self})")
    }
}

impl FromStr for SpkiPin {
    type Err = PinError;

    fn from_str(input: &str) -> Result<Self, PinError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(PinError::Empty);
        }
        if s.starts_with("-----BEGIN") {
            return Err(PinError::PemPasted);
        }
        let lower = s.to_ascii_lowercase();
        if lower.contains("fingerprint") {
            return Err(PinError::Fingerprint);
        }
        // pin-sha256="…" (HPKP header directive); the quotes are required by RFC 7469.
        if let Some(rest) = strip_prefix_ci(s, "pin-sha256=") {
            let inner = rest
                .strip_prefix('"')
                .and_then(|r| r.strip_suffix('"'))
                .ok_or(PinError::UnquotedHpkp)?;
            return decode_base64(inner);
        }
        if let Some((algo, _)) = s.split_once('=').filter(|(a, _)| a.starts_with("pin-")) {
            return Err(PinError::UnsupportedAlgorithm(
                algo["pin-".len()..].to_owned(),
            ));
        }
        // `sha256/` + base64 that itself starts with '/' looks like curl's
        // `sha256//`: a whole 44-character pin after one slash wins.
        if let Some(rest) = strip_prefix_ci(s, "sha256/") {
            return match rest.strip_prefix('/') {
                Some(curl) if rest.len() != 44 => decode_base64(curl),
                _ => decode_base64(rest),
            };
        }
        if let Some((algo, _)) = s.split_once('/') {
            let algo = algo.to_ascii_lowercase();
            if matches!(
                algo.as_str(),
                "sha1" | "sha384" | "sha512" | "md5" | "sha224"
            ) {
                return Err(PinError::UnsupportedAlgorithm(algo));
            }
        }
        if s.contains(':') && s.split(':').all(|p| p.len() == 2 && is_hex(p)) {
            // AB:CD:… is how openssl and browsers print certificate fingerprints.
            return Err(PinError::Fingerprint);
        }
        if is_hex(s) {
            return match s.len() {
                64 => {
                    let mut out = [0u8; 32];
                    for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
                        out[i] = (hex_val(chunk[0]) << 4) | hex_val(chunk[1]);
                    }
                    Ok(Self(out))
                }
                n if n % 2 == 0 => Err(PinError::WrongLength {
                    bytes: n / 2,
                    encoding: "hex",
                }),
                _ => Err(PinError::OddHex),
            };
        }
        decode_base64(s)
    }
}

fn decode_base64(s: &str) -> Result<SpkiPin, PinError> {
    if s.is_empty() {
        return Err(PinError::Empty);
    }
    if let Some((pos, ch)) = s
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
    {
        return Err(PinError::BadBase64Char { ch, pos });
    }
    if !s.len().is_multiple_of(4) {
        return Err(PinError::BadBase64(format!(
            "{} characters is not a whole number of base64 quads (truncated?); a pin has 44",
            s.len()
        )));
    }
    let bytes = STANDARD
        .decode(s)
        .map_err(|e| PinError::BadBase64(e.to_string()))?;
    let digest: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| PinError::WrongLength {
            bytes: bytes.len(),
            encoding: "base64",
        })?;
    Ok(SpkiPin(digest))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        // is_hex has been checked by the caller.
        _ => b - b'A' + 10,
    }
}

impl serde::Serialize for SpkiPin {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for SpkiPin {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // SHA-256 of the empty string: a stable, independently known digest.
    const EMPTY_B64: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    const EMPTY_HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn empty() -> SpkiPin {
        SpkiPin::from_spki_der(b"")
    }

    #[test]
    fn every_notation_parses_to_the_same_pin() {
        for text in [
            format!("sha256/{EMPTY_B64}"),
            format!("SHA256/{EMPTY_B64}"),
            format!("sha256//{EMPTY_B64}"),
            format!("pin-sha256=\"{EMPTY_B64}\""),
            EMPTY_B64.to_owned(),
            format!("  {EMPTY_B64}\n"),
            EMPTY_HEX.to_owned(),
            EMPTY_HEX.to_ascii_uppercase(),
        ] {
            assert_eq!(text.parse::<SpkiPin>().unwrap(), empty(), "{text}");
        }
    }

    #[test]
    fn base64_starting_with_a_slash_is_not_taken_for_curls_notation() {
        // Found by the `check` tests: a pin whose base64 began with '/' was
        // read as `sha256//…` and lost its first character.
        let pin = SpkiPin::from_digest([0xfc; 32]);
        let text = pin.to_string();
        assert!(text.starts_with("sha256//"), "{text}");
        assert_eq!(text.parse::<SpkiPin>().unwrap(), pin);
        let curl = format!("sha256//{}", pin.to_base64());
        assert_eq!(curl.parse::<SpkiPin>().unwrap(), pin);
    }

    #[test]
    fn display_round_trips() {
        let pin = empty();
        assert_eq!(pin.to_string(), format!("sha256/{EMPTY_B64}"));
        assert_eq!(pin.to_hex(), EMPTY_HEX);
        assert_eq!(pin.to_string().parse::<SpkiPin>().unwrap(), pin);
    }

    #[test]
    fn sha1_digests_are_named() {
        // 20 bytes in base64 and in hex: a SHA-1 digest.
        let err = "sha256/2jmj7l5rSw0yVb/vlWAYkK/YBwk="
            .parse::<SpkiPin>()
            .unwrap_err();
        assert!(err.to_string().contains("SHA-1"), "{err}");
        let err = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
            .parse::<SpkiPin>()
            .unwrap_err();
        assert!(err.to_string().contains("SHA-1"), "{err}");
        let err = "sha1/2jmj7l5rSw0yVb/vlWAYkK/YBwk="
            .parse::<SpkiPin>()
            .unwrap_err();
        assert!(err.to_string().contains("sha1"), "{err}");
    }

    #[test]
    fn fingerprints_are_named() {
        let colon = EMPTY_HEX
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap().to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join(":");
        for text in [colon.clone(), format!("sha256 Fingerprint={colon}")] {
            let err = text.parse::<SpkiPin>().unwrap_err();
            assert!(matches!(err, PinError::Fingerprint), "{text}: {err}");
            assert!(err.to_string().contains("fingerprint"));
        }
    }

    #[test]
    fn other_mistakes_have_reasons() {
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("sha256/", "empty"),
            ("-----BEGIN CERTIFICATE-----\nMII", "certificate"),
            ("pin-sha256=47DEQ", "quote"),
            ("pin-sha1=\"2jmj7l5rSw0yVb/vlWAYkK/YBwk=\"", "sha1"),
            ("sha256/47DEQ*j8", "'*'"),
            ("sha256/AAAA", "3 bytes"),
            ("abc", "odd"),
            // 48 bytes: a SHA-384 digest.
            (
                "OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb",
                "48 bytes",
            ),
        ];
        for (text, needle) in cases {
            let err = text.parse::<SpkiPin>().unwrap_err().to_string();
            assert!(
                err.contains(needle),
                "{text:?} gave {err:?}, wanted {needle:?}"
            );
        }
    }

    #[test]
    fn serde_uses_the_display_form() {
        let json = serde_json::to_string(&empty()).unwrap();
        assert_eq!(json, format!("\"sha256/{EMPTY_B64}\""));
        let back: SpkiPin = serde_json::from_str(&json).unwrap();
        assert_eq!(back, empty());
        assert!(serde_json::from_str::<SpkiPin>("\"nope\"").is_err());
    }
}
