//! Shared test vectors: the files another client (the JVM/Android one, in
//! `clients/jvm/`) tests against to stay byte-compatible with this crate.
//!
//! [`Vectors::generate`] makes them and [`Vectors::write`] writes them to a
//! directory (`pinwarden manifest vectors --out DIR`); the README written
//! beside them ([`README`]) describes every file. Every expected value is
//! derived by running pinwarden's own code ([`TrustSet::verify`],
//! [`crate::cohort`], [`HostPattern::matches`], [`set_for_host`],
//! [`path_matches`]) and compared with what each case was written to show;
//! a difference is an error, so a vector never says one thing in its
//! description and another in its `expect`. Host patterns are the exception:
//! their expectations are OkHttp's, written by hand, and a difference from
//! [`HostPattern::matches`] is reported ([`Vectors::disagreements`]), not
//! corrected.
//!
//! Keys, signatures and certificates are fresh on each run; cohorts, host
//! patterns and pin sets come out the same every time.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use pinwarden_core::{HostPattern, Level, PinEntry, PinRole, PinSet, SpkiPin, set_for_host};
use ring::digest::{SHA256, digest};
use time::macros::{date, datetime};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{
    Accepted, AfterExpiry, Algorithm, Candidate, Envelope, Error, MAX_SIGNATURES, Manifest,
    PAYLOAD_TYPE, Signature, SigningKey, TrustSet, cohort, pae, sign,
};

/// The app every manifest case is verified for.
pub const APP: &str = "vectors-app";

/// The time every manifest case is verified at, and chains are validated at.
pub const NOW: OffsetDateTime = datetime!(2026-06-01 00:00:00 UTC);

/// The host the chain cases' leaf certificates are issued for.
pub const CHAIN_HOST: &str = "api.vectors.example";

/// Why generating the vectors failed: a case whose outcome isn't the one it
/// was written to show, or a key or certificate that can't be used.
#[derive(Debug, thiserror::Error)]
#[error("test vectors: {0}")]
pub struct VectorError(pub String);

impl From<Error> for VectorError {
    fn from(e: Error) -> Self {
        Self(e.to_string())
    }
}

fn fail<T>(what: impl Into<String>) -> Result<T, VectorError> {
    Err(VectorError(what.into()))
}

// ---------------------------------------------------------------- keys.json

/// `keys.json`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeysFile {
    /// The public keys the manifest cases refer to by id.
    pub keys: Vec<KeyEntry>,
}

/// One public key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyEntry {
    /// A name for people (`p256-a`, `p256-b`, `ed25519`).
    pub name: String,
    /// The key id: SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex.
    pub id: String,
    /// `ecdsa-p256` or `ed25519`.
    pub algorithm: Algorithm,
    /// Base64 of the DER SubjectPublicKeyInfo.
    pub spki_der_base64: String,
    /// The same key as `PUBLIC KEY` PEM.
    pub public_pem: String,
}

// ----------------------------------------------------------- manifests.json

/// `manifests.json`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ManifestsFile {
    /// The cases.
    pub cases: Vec<ManifestCase>,
}

/// Accept or reject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// [`TrustSet::verify`] returns a manifest.
    Accept,
    /// [`TrustSet::verify`] refuses it.
    Reject,
}

/// Why an envelope is refused, one word per kind of [`Error`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum RejectReason {
    /// No signature verifies with a trusted key.
    Signature,
    /// Some do, from fewer distinct trusted keys than the threshold.
    Threshold,
    /// The manifest is for another app.
    App,
    /// Older than the last accepted version.
    Rollback,
    /// The last accepted version, with other content.
    Equivocation,
    /// Not a pinwarden manifest's payload type.
    PayloadType,
    /// Not a DSSE envelope, or the signed payload isn't a valid manifest.
    Malformed,
}

impl RejectReason {
    /// The reason for a refusal by [`TrustSet::verify`].
    pub fn of(error: &Error) -> Self {
        match error {
            Error::Signatures { valid: 0, .. } => Self::Signature,
            Error::Signatures { .. } => Self::Threshold,
            Error::WrongApp { .. } => Self::App,
            Error::Rollback { .. } => Self::Rollback,
            Error::Equivocation(_) => Self::Equivocation,
            Error::PayloadType(_) => Self::PayloadType,
            _ => Self::Malformed,
        }
    }
}

/// One envelope and what a verifier must make of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ManifestCase {
    /// A unique name.
    pub name: String,
    /// What the case shows and why it ends as it does.
    pub description: String,
    /// The envelope, exactly the bytes a client would receive (UTF-8).
    pub envelope: String,
    /// The app the verifier serves.
    pub app: String,
    /// Ids (from keys.json) of the keys the verifier trusts.
    pub trusted_key_ids: Vec<String>,
    /// How many distinct trusted keys must have signed.
    pub threshold: usize,
    /// The last accepted manifest, or null on a first fetch.
    pub last: Option<Accepted>,
    /// The time of verification (RFC 3339), for `expired`.
    pub now: String,
    /// accept or reject.
    pub expect: Verdict,
    /// Why, when rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_reason: Option<RejectReason>,
    /// The manifest's version, when accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// SHA-256 of the decoded payload, lowercase hex, when accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_sha256: Option<String>,
    /// Whether `now` is at or after `expires_at`, when accepted (the client
    /// then applies the manifest's `after_expiry`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired: Option<bool>,
    /// Ids of the trusted keys whose signatures verified, sorted, when accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<Vec<String>>,
}

// ------------------------------------------------------------- cohorts.json

/// `cohorts.json`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CohortsFile {
    /// The cases.
    pub cases: Vec<CohortCase>,
}

/// An installation's cohort.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CohortCase {
    /// The install id, as the client holds it (hashed as its UTF-8 bytes).
    pub install_id: String,
    /// The app.
    pub app: String,
    /// `cohort(install_id, app)`, 0 to 99.
    pub cohort: u8,
}

// --------------------------------------------------------------- hosts.json

/// `hosts.json`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HostsFile {
    /// The cases.
    pub cases: Vec<HostCase>,
}

/// Whether a host falls under a pattern.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HostCase {
    /// The pattern, as a pin set would carry it.
    pub pattern: String,
    /// The host a client connects to.
    pub host: String,
    /// Whether the pattern covers the host (OkHttp's semantics).
    pub matches: bool,
    /// Why, where it isn't obvious.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

// ---------------------------------------------------------------- sets.json

/// `sets.json`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SetsFile {
    /// The cases.
    pub cases: Vec<SetCase>,
}

/// Which of overlapping pin sets applies to a host.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SetCase {
    /// A unique name.
    pub name: String,
    /// Why that set.
    pub description: String,
    /// The pin sets, in the order the manifest lists them.
    pub sets: Vec<PinSet>,
    /// The host.
    pub host: String,
    /// The id of the set that applies, or null when none covers the host.
    pub expect_set: Option<String>,
}

// -------------------------------------------------------------- chains.json

/// `chains.json`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChainsFile {
    /// The cases.
    pub cases: Vec<ChainCase>,
}

/// Match or mismatch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChainVerdict {
    /// A key of the validated path is pinned.
    Match,
    /// None is.
    Mismatch,
}

/// A pin decision over a validated path.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChainCase {
    /// A unique name.
    pub name: String,
    /// What the case shows and why it ends as it does.
    pub description: String,
    /// The name the server is reached by (the leaf's subjectAltName).
    pub host: String,
    /// The path the platform validated: leaf first, the trust anchor (a
    /// self-signed root) last.
    pub validated_path_der_base64: Vec<String>,
    /// What the server sent, in its order (leaf first).
    pub served_der_base64: Vec<String>,
    /// The pins, `sha256/BASE64` of DER SubjectPublicKeyInfos.
    pub pins: Vec<String>,
    /// match or mismatch.
    pub expect: ChainVerdict,
}

/// The certificates the chain cases are made of (DER), made by the caller
/// (the command uses rcgen): two unrelated hierarchies, A and B. All
/// certificates are valid from 2025-01-01 to 2099-12-31.
#[derive(Clone, Debug)]
pub struct ChainPki {
    /// Root A, self-signed.
    pub root_a: Vec<u8>,
    /// Intermediate A, issued by root A.
    pub inter_a: Vec<u8>,
    /// Intermediate A again: same subject and key, another certificate
    /// (serial, validity) issued by root A.
    pub inter_a_reissued: Vec<u8>,
    /// The leaf for [`CHAIN_HOST`], issued by intermediate A.
    pub leaf: Vec<u8>,
    /// A leaf for [`CHAIN_HOST`] issued by root A directly.
    pub leaf_direct: Vec<u8>,
    /// Root B, self-signed, another key.
    pub root_b: Vec<u8>,
    /// Intermediate B, issued by root B.
    pub inter_b: Vec<u8>,
    /// A leaf for another host, issued by intermediate B.
    pub leaf_b: Vec<u8>,
}

/// The SPKI pin of a DER certificate's key.
pub fn cert_pin(der: &[u8]) -> Result<SpkiPin, VectorError> {
    use x509_parser::prelude::FromDer as _;
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der)
        .map_err(|e| VectorError(format!("not a certificate: {e}")))?;
    Ok(SpkiPin::from_spki_der(cert.public_key().raw))
}

/// The pin decision, as pinwarden-rustls makes it on the path webpki
/// validated: a match when the key of any certificate on the path (leaf,
/// intermediates, anchor) is among the pins. Certificates the server sent
/// that aren't on the path never count.
pub fn path_matches(path_der: &[Vec<u8>], pins: &[SpkiPin]) -> Result<bool, VectorError> {
    for der in path_der {
        if pins.contains(&cert_pin(der)?) {
            return Ok(true);
        }
    }
    Ok(false)
}

// ------------------------------------------------------------------ all files

/// Every file's contents.
#[derive(Clone, Debug)]
pub struct Vectors {
    /// keys.json.
    pub keys: KeysFile,
    /// manifests.json.
    pub manifests: ManifestsFile,
    /// cohorts.json.
    pub cohorts: CohortsFile,
    /// hosts.json.
    pub hosts: HostsFile,
    /// sets.json.
    pub sets: SetsFile,
    /// chains.json.
    pub chains: ChainsFile,
    /// Host cases where [`HostPattern::matches`] differs from the OkHttp
    /// expectation written in hosts.json (empty when they all agree).
    pub disagreements: Vec<String>,
}

/// The README written beside the files.
pub const README: &str = include_str!("vectors_readme.md");

fn pretty<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

impl Vectors {
    /// Makes every file: fresh keys and the manifest cases signed with them
    /// ([`manifest_vectors`]), the fixed cohort, host and pin-set cases, and
    /// the chain cases over `pki`'s certificates.
    pub fn generate(pki: &ChainPki) -> Result<Self, VectorError> {
        let (keys, manifests) = manifest_vectors()?;
        let hosts = host_cases();
        let disagreements = hosts
            .iter()
            .filter_map(|c| {
                let got = c.pattern.parse::<HostPattern>().map(|p| p.matches(&c.host));
                match got {
                    Ok(m) if m == c.matches => None,
                    Ok(m) => Some(format!(
                        "pattern {:?} host {:?}: OkHttp {}, pinwarden {m}",
                        c.pattern, c.host, c.matches
                    )),
                    Err(err) => Some(format!("pattern {:?}: {err}", c.pattern)),
                }
            })
            .collect();
        Ok(Self {
            keys,
            manifests,
            cohorts: CohortsFile {
                cases: cohort_cases(),
            },
            hosts: HostsFile { cases: hosts },
            sets: SetsFile {
                cases: set_cases()?,
            },
            chains: ChainsFile {
                cases: chain_cases(pki)?,
            },
            disagreements,
        })
    }

    /// The files and their contents (pretty JSON, keys in a fixed order, a
    /// final newline), README.md included.
    pub fn files(&self) -> Vec<(&'static str, String)> {
        vec![
            ("README.md", README.to_owned()),
            ("keys.json", pretty(&self.keys)),
            ("manifests.json", pretty(&self.manifests)),
            ("cohorts.json", pretty(&self.cohorts)),
            ("hosts.json", pretty(&self.hosts)),
            ("sets.json", pretty(&self.sets)),
            ("chains.json", pretty(&self.chains)),
        ]
    }

    /// Writes the files into `dir`, creating it if needed.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, contents) in self.files() {
            std::fs::write(dir.join(name), contents)?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------ manifest cases

struct Signers<'a> {
    /// P-256 key A.
    a: &'a SigningKey,
    /// P-256 key B.
    b: &'a SigningKey,
    /// Ed25519 key.
    e: &'a SigningKey,
}

/// What a case was written to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Intended {
    Accept { expired: bool },
    Reject(RejectReason),
}

struct Spec<'k> {
    name: &'static str,
    description: String,
    envelope: String,
    app: &'static str,
    trusted: Vec<&'k SigningKey>,
    threshold: usize,
    last: Option<Accepted>,
    intended: Intended,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(digest(&SHA256, bytes).as_ref())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn pin(n: u8) -> SpkiPin {
    SpkiPin::from_digest([n; 32])
}

fn pattern(s: &str) -> HostPattern {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// The stable pin set of the manifests.
fn api_set(pins: [u8; 2]) -> PinSet {
    let mut set = PinSet::enforced(
        "api",
        vec![
            pattern("api.vectors.example"),
            pattern("**.cdn.vectors.example"),
        ],
        pins.map(pin),
    );
    set.report_uri = Some("https://reports.vectors.example/pins".into());
    set
}

/// A manifest for `app` valid from 2026-05-01 to 2026-07-01 (so valid at
/// [`NOW`]), with one pin set.
fn manifest(app: &str, version: u64) -> Manifest {
    let mut m = Manifest::new(
        app,
        version,
        datetime!(2026-05-01 00:00:00 UTC),
        datetime!(2026-07-01 00:00:00 UTC),
    );
    m.pin_sets = vec![api_set([1, 2])];
    m.report_uri = Some("https://reports.vectors.example/manifest".into());
    m
}

fn signed(m: &Manifest, keys: &[&SigningKey]) -> Result<Envelope, VectorError> {
    Ok(sign(m, keys)?)
}

/// Signatures over any payload bytes and type (for payloads `sign` refuses).
fn signed_raw(
    payload: &[u8],
    payload_type: &str,
    keys: &[&SigningKey],
) -> Result<Envelope, VectorError> {
    let message = pae(payload_type, payload);
    Ok(Envelope {
        payload: STANDARD.encode(payload),
        payload_type: payload_type.into(),
        signatures: keys
            .iter()
            .map(|k| {
                Ok(Signature {
                    keyid: Some(k.id().to_string()),
                    sig: STANDARD.encode(k.sign(&message)?),
                })
            })
            .collect::<Result<_, Error>>()?,
    })
}

/// A payload from a manifest's JSON, edited as text.
fn edited_payload(m: &Manifest, from: &str, to: &str) -> Result<Vec<u8>, VectorError> {
    let text = String::from_utf8(m.to_json()).map_err(|e| VectorError(e.to_string()))?;
    if !text.contains(from) {
        return fail(format!("{from:?} is not in the payload"));
    }
    Ok(text.replacen(from, to, 1).into_bytes())
}

/// ECDSA's ASN.1 DER signature as raw `r || s` (IEEE P1363, 64 bytes).
fn ecdsa_der_to_raw(der: &[u8]) -> Result<Vec<u8>, VectorError> {
    let bad = || VectorError("not a DER ECDSA signature".into());
    let body = der.get(2..).ok_or_else(bad)?;
    if der.first() != Some(&0x30) || usize::from(der[1]) != body.len() {
        return Err(bad());
    }
    let mut out = Vec::with_capacity(64);
    let mut rest = body;
    for _ in 0..2 {
        if rest.first() != Some(&0x02) {
            return Err(bad());
        }
        let len = usize::from(*rest.get(1).ok_or_else(bad)?);
        let int = rest.get(2..2 + len).ok_or_else(bad)?;
        let int = &int[int.iter().take_while(|&&b| b == 0).count()..];
        if int.len() > 32 {
            return Err(bad());
        }
        out.extend(std::iter::repeat_n(0, 32 - int.len()));
        out.extend_from_slice(int);
        rest = &rest[2 + len..];
    }
    Ok(out)
}

fn with_payload(env: &Envelope, payload: &[u8]) -> Envelope {
    Envelope {
        payload: STANDARD.encode(payload),
        ..env.clone()
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one list of cases, each with its explanation"
)]
fn manifest_specs<'k>(s: &Signers<'k>) -> Result<Vec<Spec<'k>>, VectorError> {
    use Intended::{Accept, Reject};
    use RejectReason as R;
    let (a, b, e) = (s.a, s.b, s.e);
    let ok = Accept { expired: false };
    let v1 = manifest(APP, 1);
    let v1_payload = v1.to_json();
    let env_a = signed(&v1, &[a])?;
    let env_e = signed(&v1, &[e])?;
    let env_ae = signed(&v1, &[a, e])?;
    let mut specs = Vec::new();
    let mut push = |name: &'static str,
                    description: &str,
                    envelope: String,
                    trusted: Vec<&'k SigningKey>,
                    threshold: usize,
                    last: Option<Accepted>,
                    intended: Intended| {
        specs.push(Spec {
            name,
            description: description.to_owned(),
            envelope,
            app: APP,
            trusted,
            threshold,
            last,
            intended,
        });
    };

    // Valid envelopes.
    push(
        "p256-one-signer",
        "Signed by p256-a (ECDSA P-256, ASN.1 DER signature) over DSSE's PAE; p256-a is \
         trusted with threshold 1, the manifest is for this app and valid at `now`: accepted.",
        env_a.to_json(),
        vec![a],
        1,
        None,
        ok,
    );
    push(
        "ed25519-one-signer",
        "Signed by the Ed25519 key over DSSE's PAE; trusted with threshold 1: accepted.",
        env_e.to_json(),
        vec![e],
        1,
        None,
        ok,
    );
    push(
        "two-signers-threshold-2",
        "Signed by p256-a and ed25519, both trusted, threshold 2: two distinct trusted keys \
         verified, accepted.",
        env_ae.to_json(),
        vec![a, e],
        2,
        None,
        ok,
    );
    push(
        "threshold-2-of-3",
        "Signed by p256-b and ed25519; p256-a, p256-b and ed25519 trusted, threshold 2: two \
         distinct trusted keys verified, accepted (which keys does not matter).",
        signed(&v1, &[b, e])?.to_json(),
        vec![a, b, e],
        2,
        None,
        ok,
    );
    push(
        "extra-untrusted-signature",
        "Signed by p256-a and p256-b; only p256-a is trusted, threshold 1: the untrusted \
         signature is ignored, p256-a's is enough, accepted.",
        signed(&v1, &[a, b])?.to_json(),
        vec![a],
        1,
        None,
        ok,
    );

    // Signatures and the threshold.
    push(
        "threshold-2-one-signature",
        "Signed by p256-a only; p256-a and ed25519 trusted with threshold 2: one valid \
         signature from a trusted key, two needed, rejected (threshold).",
        env_a.to_json(),
        vec![a, e],
        2,
        None,
        Reject(R::Threshold),
    );
    push(
        "untrusted-signer",
        "Signed by p256-b, which is in keys.json but not trusted here (p256-a and ed25519 are): \
         no signature verifies with a trusted key, rejected (signature).",
        signed(&v1, &[b])?.to_json(),
        vec![a, e],
        1,
        None,
        Reject(R::Signature),
    );
    let mut relabelled = signed(&v1, &[a, a])?;
    relabelled.signatures[1].keyid = Some(e.id().to_string());
    push(
        "same-key-twice-relabelled",
        "Two signatures, both by p256-a, the second with ed25519's key id; p256-a and ed25519 \
         trusted, threshold 2: the key id is only a hint, both signatures verify with p256-a, \
         and a key counts once, so one distinct key: rejected (threshold).",
        relabelled.to_json(),
        vec![a, e],
        2,
        None,
        Reject(R::Threshold),
    );
    let mut none = env_a.clone();
    none.signatures.clear();
    push(
        "no-signatures",
        "An empty signatures list: no valid signature, rejected (signature).",
        none.to_json(),
        vec![a],
        1,
        None,
        Reject(R::Signature),
    );

    // Tampering.
    let flipped = edited_payload(&v1, "\"version\":1,", "\"version\":9,")?;
    push(
        "tampered-payload",
        "p256-a's envelope with one payload byte flipped after signing (the version digit \
         '1' (0x31) became '9' (0x39), so the payload is still a valid manifest): the \
         signature no longer verifies over the PAE, rejected (signature). Signatures are \
         checked before the payload is parsed.",
        with_payload(&env_a, &flipped).to_json(),
        vec![a],
        1,
        None,
        Reject(R::Signature),
    );
    for (name, key, env, alg) in [
        (
            "tampered-signature-p256",
            a,
            &env_a,
            "p256-a's DER signature",
        ),
        (
            "tampered-signature-ed25519",
            e,
            &env_e,
            "the Ed25519 signature",
        ),
    ] {
        let mut sig = STANDARD
            .decode(&env.signatures[0].sig)
            .map_err(|e| VectorError(e.to_string()))?;
        if let Some(last) = sig.last_mut() {
            *last ^= 0x01;
        }
        let mut tampered = env.clone();
        tampered.signatures[0].sig = STANDARD.encode(&sig);
        push(
            name,
            &format!(
                "{alg} with the lowest bit of its last byte flipped: it verifies with no \
                 trusted key, rejected (signature)."
            ),
            tampered.to_json(),
            vec![key],
            1,
            None,
            Reject(R::Signature),
        );
    }
    let mut retyped = env_a.clone();
    retyped.payload_type = "application/json".into();
    push(
        "payload-type-changed",
        "p256-a's envelope with payloadType changed to application/json after signing: \
         not a pinwarden manifest (application/vnd.pinwarden.manifest+json), rejected \
         (payload-type). The type is checked before any signature.",
        retyped.to_json(),
        vec![a],
        1,
        None,
        Reject(R::PayloadType),
    );
    push(
        "payload-type-other-signed",
        "A manifest payload validly signed by trusted p256-a under payloadType \
         application/json (the PAE names that type): a signature over another type of \
         document is never a manifest, rejected (payload-type).",
        signed_raw(&v1_payload, "application/json", &[a])?.to_json(),
        vec![a],
        1,
        None,
        Reject(R::PayloadType),
    );
    let mut swapped = env_a.clone();
    swapped.signatures[0].keyid = Some(e.id().to_string());
    push(
        "keyid-changed-to-other-trusted-key",
        "p256-a's signature with its keyid changed to ed25519's id; both trusted, threshold 1. \
         DSSE's keyid is an unauthenticated hint: pinwarden tries the named key (ed25519, \
         fails), then every other trusted key, and p256-a verifies it: accepted, signed_by \
         p256-a.",
        swapped.to_json(),
        vec![a, e],
        1,
        None,
        ok,
    );
    let mut swapped2 = env_ae;
    swapped2.signatures[0].keyid = Some(e.id().to_string());
    swapped2.signatures[1].keyid = Some(a.id().to_string());
    push(
        "keyids-swapped-threshold-2",
        "p256-a's and ed25519's signatures with their keyids swapped; both trusted, threshold \
         2: each signature is verified by the key that made it whatever its keyid says, two \
         distinct keys, accepted.",
        swapped2.to_json(),
        vec![a, e],
        2,
        None,
        ok,
    );
    let mut unknown = env_a.clone();
    unknown.signatures[0].keyid = Some("not-a-pinwarden-key-id".into());
    push(
        "keyid-unknown",
        "p256-a's signature with a keyid no trusted key has: tried with every trusted key, \
         p256-a verifies it, accepted.",
        unknown.to_json(),
        vec![a, e],
        1,
        None,
        ok,
    );
    let mut no_keyid = env_a.clone();
    no_keyid.signatures[0].keyid = None;
    push(
        "keyid-absent",
        "p256-a's signature without a keyid field (DSSE makes it optional): tried with every \
         trusted key, accepted.",
        no_keyid.to_json(),
        vec![e, a],
        1,
        None,
        ok,
    );
    let mut empty_keyid = env_a.clone();
    empty_keyid.signatures[0].keyid = Some(String::new());
    push(
        "keyid-empty",
        "p256-a's signature with \"keyid\": \"\" (DSSE: empty means absent): accepted.",
        empty_keyid.to_json(),
        vec![a],
        1,
        None,
        ok,
    );
    let mut extra: serde_json::Value =
        serde_json::from_str(&env_a.to_json()).map_err(|e| VectorError(e.to_string()))?;
    extra["x-producer"] = "vectors".into();
    extra["signatures"][0]["x-note"] = "ignored".into();
    push(
        "unknown-envelope-fields",
        "p256-a's envelope with an unknown top-level field and an unknown signature field: \
         DSSE consumers ignore fields they don't know, accepted.",
        serde_json::to_string_pretty(&extra).unwrap_or_default(),
        vec![a],
        1,
        None,
        ok,
    );
    // URL-safe base64 without padding; retried until the text differs from
    // the standard alphabet (ECDSA signatures are randomised).
    let mut url_safe = None;
    for _ in 0..64 {
        let env = signed(&v1, &[a])?;
        let sig = STANDARD
            .decode(&env.signatures[0].sig)
            .map_err(|e| VectorError(e.to_string()))?;
        let sig = URL_SAFE_NO_PAD.encode(sig);
        if sig.contains(['-', '_']) {
            url_safe = Some(Envelope {
                payload: URL_SAFE_NO_PAD.encode(&v1_payload),
                signatures: vec![Signature {
                    keyid: env.signatures[0].keyid.clone(),
                    sig,
                }],
                ..env
            });
            break;
        }
    }
    let Some(url_safe) = url_safe else {
        return fail("no URL-safe signature with '-' or '_' in 64 tries");
    };
    push(
        "base64-url-safe-unpadded",
        "p256-a's envelope with payload and sig in URL-safe base64 without padding \
         ('-' and '_', no '='): DSSE allows the standard or URL-safe alphabet, accepted.",
        url_safe.to_json(),
        vec![a],
        1,
        None,
        ok,
    );
    let sig = STANDARD
        .decode(&env_a.signatures[0].sig)
        .map_err(|e| VectorError(e.to_string()))?;
    let mut raw_rs = env_a.clone();
    raw_rs.signatures[0].sig = STANDARD.encode(ecdsa_der_to_raw(&sig)?);
    push(
        "p256-signature-raw-r-s",
        "p256-a's signature re-encoded as raw r||s (64 bytes, IEEE P1363) instead of ASN.1 \
         DER: pinwarden verifies ECDSA signatures in DER only (Java's SHA256withECDSA), so it \
         verifies with no trusted key, rejected (signature).",
        raw_rs.to_json(),
        vec![a],
        1,
        None,
        Reject(R::Signature),
    );
    let mut over_raw = env_a.clone();
    over_raw.signatures[0].sig = STANDARD.encode(a.sign(&v1_payload)?);
    push(
        "signature-over-payload-not-pae",
        "p256-a's signature over the payload bytes themselves instead of \
         PAE(payloadType, payload): rejected (signature). Verifiers must build the PAE \
         'DSSEv1 <len(type)> <type> <len(body)> <body>'.",
        over_raw.to_json(),
        vec![a],
        1,
        None,
        Reject(R::Signature),
    );
    let mut not_b64 = env_a.clone();
    not_b64.signatures[0].sig = "not base64!".into();
    push(
        "signature-not-base64",
        "A sig that isn't base64: that signature counts as invalid, none left, rejected \
         (signature).",
        not_b64.to_json(),
        vec![a],
        1,
        None,
        Reject(R::Signature),
    );

    // The app, expiry, rollback and equivocation.
    push(
        "wrong-app",
        "Validly signed by trusted p256-a, but the manifest's app is other-app and the \
         verifier serves vectors-app: rejected (app).",
        signed(&manifest("other-app", 1), &[a])?.to_json(),
        vec![a],
        1,
        None,
        Reject(R::App),
    );
    let mut expired = manifest(APP, 2);
    expired.issued_at = datetime!(2026-04-01 00:00:00 UTC);
    expired.expires_at = datetime!(2026-05-15 00:00:00 UTC);
    expired.after_expiry = AfterExpiry::SuspendAndReport;
    push(
        "expired",
        "Validly signed, for this app, expires_at 2026-05-15T00:00:00Z before now: verification \
         accepts it (expiry is the caller's decision) with expired = true; the client then \
         applies after_expiry (suspend-and-report here), and never weakens its built-in pins.",
        signed(&expired, &[a])?.to_json(),
        vec![a],
        1,
        None,
        Accept { expired: true },
    );
    let mut boundary = manifest(APP, 2);
    boundary.expires_at = NOW;
    push(
        "expires-at-now",
        "expires_at equals now (2026-06-01T00:00:00Z): pinwarden counts a manifest as expired \
         when now >= expires_at, so accepted with expired = true.",
        signed(&boundary, &[a])?.to_json(),
        vec![a],
        1,
        None,
        Accept { expired: true },
    );
    let mut offset = manifest(APP, 2);
    let plus2 = time::UtcOffset::from_hms(2, 0, 0).map_err(|e| VectorError(e.to_string()))?;
    offset.issued_at = datetime!(2026-05-01 00:00:00 UTC).to_offset(plus2);
    offset.expires_at = datetime!(2026-05-31 23:30:00.5 UTC).to_offset(plus2);
    push(
        "timestamps-with-offset-and-fraction",
        "issued_at and expires_at written with a +02:00 offset and expires_at with a \
         fraction (2026-06-01T01:30:00.5+02:00, which is 2026-05-31T23:30:00.5Z): compare \
         instants, not text; it is before now, so accepted with expired = true.",
        signed(&offset, &[a])?.to_json(),
        vec![a],
        1,
        None,
        Accept { expired: true },
    );
    let v3 = manifest(APP, 3);
    let v5 = manifest(APP, 5);
    let mut v5_other = manifest(APP, 5);
    v5_other.pin_sets = vec![api_set([3, 4])];
    let accepted = |m: &Manifest| Accepted {
        version: m.version,
        payload_sha256: sha256_hex(&m.to_json()),
    };
    push(
        "rolled-back",
        "A valid version 3 when version 5 was accepted last: older than the last accepted \
         version, rejected (rollback).",
        signed(&v3, &[a])?.to_json(),
        vec![a],
        1,
        Some(accepted(&v5)),
        Reject(R::Rollback),
    );
    push(
        "equivocating",
        "A valid version 5 whose payload differs (other pins) from the version 5 accepted \
         last (last.payload_sha256 is the other payload's): same version, different \
         content, rejected (equivocation).",
        signed(&v5_other, &[a])?.to_json(),
        vec![a],
        1,
        Some(accepted(&v5)),
        Reject(R::Equivocation),
    );
    push(
        "same-version-same-payload",
        "The version 5 accepted last, fetched again (same payload SHA-256): not a rollback \
         nor equivocation, accepted.",
        signed(&v5, &[a])?.to_json(),
        vec![a],
        1,
        Some(accepted(&v5)),
        ok,
    );
    push(
        "newer-than-last",
        "Version 5 when version 3 was accepted last: accepted.",
        signed(&v5, &[e])?.to_json(),
        vec![e],
        1,
        Some(accepted(&v3)),
        ok,
    );

    // A full manifest.
    let mut full = manifest(APP, 7);
    full.after_expiry = AfterExpiry::SuspendAndReport;
    let legacy = PinSet {
        id: "legacy".into(),
        hosts: vec![pattern("*.legacy.vectors.example"), pattern("::1")],
        pins: vec![
            PinEntry {
                pin: pin(5),
                role: PinRole::Primary,
                level: Some(Level::Root),
                label: Some("Vectors Root A".into()),
            },
            PinEntry {
                pin: pin(6),
                role: PinRole::Backup,
                level: Some(Level::Intermediate),
                label: None,
            },
        ],
        enforce: false,
        include_subdomains: false,
        expires: Some(date!(2026 - 12 - 31)),
        report_uri: Some("https://reports.vectors.example/legacy".into()),
    };
    let mut wide = PinSet::enforced("wide", vec![pattern("vectors.example")], [pin(7), pin(8)]);
    wide.include_subdomains = true;
    full.pin_sets = vec![api_set([1, 2]), legacy.clone(), wide.clone()];
    full.candidate = Some(Candidate {
        pin_sets: vec![api_set([3, 1]), legacy, wide],
        percentage: 25,
    });
    push(
        "candidate-with-pin-sets",
        "A manifest with three pin sets (enforced; report-only with levels, labels, an \
         expires day and a report_uri; include_subdomains) and a candidate rollout of 25% \
         with its own sets, signed by trusted ed25519: accepted. A client uses \
         candidate.pin_sets when cohort(install_id, app) < 25 (cohorts.json), pin_sets \
         otherwise.",
        signed(&full, &[e])?.to_json(),
        vec![e],
        1,
        None,
        ok,
    );
    let max = manifest(APP, crate::MAX_VERSION);
    push(
        "version-max",
        "Version 9007199254740991 (2^53 - 1, the largest allowed; read it as an exact \
         integer): accepted.",
        signed(&max, &[a])?.to_json(),
        vec![a],
        1,
        None,
        ok,
    );
    let mut pin_set_extra = manifest(APP, 2);
    pin_set_extra.pin_sets = vec![api_set([1, 2])];
    let payload = edited_payload(
        &pin_set_extra,
        "\"enforce\":true",
        "\"enforce\":true,\"x-future\":1",
    )?;
    push(
        "unknown-pin-set-field",
        "A signed manifest whose pin set carries an unknown field (x-future): pin sets and \
         pin entries ignore fields they don't know, accepted. (The manifest's own top level \
         and candidate do not: see unknown-manifest-field.)",
        signed_raw(&payload, PAYLOAD_TYPE, &[a])?.to_json(),
        vec![a],
        1,
        None,
        ok,
    );

    // Malformed envelopes, and signed payloads that aren't valid manifests
    // (signatures are checked first, so these are validly signed).
    push(
        "malformed-json",
        "The envelope is cut short (not JSON): rejected (malformed).",
        env_a.to_json()[..40].to_owned(),
        vec![a],
        1,
        None,
        Reject(R::Malformed),
    );
    push(
        "envelope-not-an-object",
        "The envelope is a JSON array: rejected (malformed).",
        "[]".into(),
        vec![a],
        1,
        None,
        Reject(R::Malformed),
    );
    push(
        "envelope-fields-as-json-array",
        "A valid envelope's fields written as a JSON array [payload, payloadType, \
         [[keyid, sig]]] instead of an object: rejected (malformed); DSSE envelopes are objects.",
        serde_json::json!([
            env_a.payload,
            env_a.payload_type,
            env_a
                .signatures
                .iter()
                .map(|s| serde_json::json!([s.keyid, s.sig]))
                .collect::<Vec<_>>()
        ])
        .to_string(),
        vec![a],
        1,
        None,
        Reject(R::Malformed),
    );
    {
        // The manifest's own fields as a JSON array, validly signed.
        let fields: serde_json::Value =
            serde_json::from_slice(&v1_payload).map_err(|e| VectorError(e.to_string()))?;
        let array: Vec<serde_json::Value> = fields
            .as_object()
            .map(|o| o.values().cloned().collect())
            .unwrap_or_default();
        let payload = serde_json::to_vec(&array).map_err(|e| VectorError(e.to_string()))?;
        push(
            "manifest-as-json-array",
            "Validly signed by p256-a, but the payload is the manifest's fields as a JSON array, \
             not an object: rejected (malformed).",
            signed_raw(&payload, PAYLOAD_TYPE, &[a])?.to_json(),
            vec![a],
            1,
            None,
            Reject(R::Malformed),
        );
    }
    {
        // Standard alphabet without padding: DSSE's envelope.md allows either
        // alphabet and says nothing of padding; pinwarden takes both alphabets
        // with or without it, as it already did for the URL-safe one.
        let unpad = |text: &str| text.trim_end_matches('=').to_owned();
        let mut env = env_a.clone();
        env.payload = unpad(&env.payload);
        for sig in &mut env.signatures {
            sig.sig = unpad(&sig.sig);
        }
        push(
            "standard-base64-unpadded",
            "p256-one-signer with payload and signature in the standard base64 alphabet without \
             padding: accepted (DSSE allows either alphabet and is silent on padding; pinwarden \
             accepts both alphabets padded or not).",
            env.to_json(),
            vec![a],
            1,
            None,
            ok,
        );
    }
    push(
        "envelope-missing-payload",
        "An envelope without a payload field: rejected (malformed).",
        format!(
            "{{\"payloadType\":\"{PAYLOAD_TYPE}\",\"signatures\":[{{\"sig\":\"{}\"}}]}}",
            env_a.signatures[0].sig
        ),
        vec![a],
        1,
        None,
        Reject(R::Malformed),
    );
    let evil = manifest(APP, 99);
    push(
        "duplicate-payload-key",
        "An envelope with two \"payload\" keys: the first signed by trusted p256-a, the \
         second another manifest. JSON readers differ on which one they keep, so pinwarden \
         refuses duplicate keys: rejected (malformed). (org.json on Android keeps the last \
         silently: check for duplicates.)",
        format!(
            "{{\"payload\":\"{}\",\"payload\":\"{}\",\"payloadType\":\"{PAYLOAD_TYPE}\",\
             \"signatures\":[{{\"keyid\":\"{}\",\"sig\":\"{}\"}}]}}",
            env_a.payload,
            STANDARD.encode(evil.to_json()),
            a.id(),
            env_a.signatures[0].sig
        ),
        vec![a],
        1,
        None,
        Reject(R::Malformed),
    );
    let mut many = env_a.clone();
    many.signatures = vec![env_a.signatures[0].clone(); MAX_SIGNATURES + 1];
    push(
        "too-many-signatures",
        "33 signatures (copies of p256-a's valid one): more than the 32 a verifier tries, \
         refused before any verification, rejected (malformed).",
        many.to_json(),
        vec![a],
        1,
        None,
        Reject(R::Malformed),
    );
    let mut bad_payload = env_a.clone();
    bad_payload.payload = "%%% not base64 %%%".into();
    push(
        "payload-not-base64",
        "The payload field isn't base64: rejected (malformed).",
        bad_payload.to_json(),
        vec![a],
        1,
        None,
        Reject(R::Malformed),
    );
    let payload_cases: Vec<(&'static str, String, Vec<u8>)> = vec![
        (
            "payload-not-json",
            "The signed payload is not JSON".into(),
            b"this is not a manifest".to_vec(),
        ),
        (
            "unknown-manifest-field",
            "The signed manifest has an unknown top-level field (x-future); the manifest \
             refuses fields it doesn't know"
                .into(),
            edited_payload(&v1, "{", "{\"x-future\":true,")?,
        ),
        (
            "payload-duplicate-key",
            "The signed manifest has \"version\" twice (1, then 9): duplicate keys are refused"
                .into(),
            edited_payload(&v1, "\"version\":1,", "\"version\":1,\"version\":9,")?,
        ),
        (
            "version-zero",
            "The signed manifest has version 0 (versions start at 1)".into(),
            edited_payload(&v1, "\"version\":1,", "\"version\":0,")?,
        ),
        (
            "version-above-max",
            "The signed manifest has version 9007199254740992 (2^53, above the largest \
             allowed, 2^53 - 1)"
                .into(),
            edited_payload(&v1, "\"version\":1,", "\"version\":9007199254740992,")?,
        ),
        (
            "version-not-an-integer",
            "The signed manifest has version 1.0 (a JSON number with a fraction, not an \
             integer)"
                .into(),
            edited_payload(&v1, "\"version\":1,", "\"version\":1.0,")?,
        ),
        (
            "version-as-string",
            "The signed manifest has version \"1\" (a string: no coercion)".into(),
            edited_payload(&v1, "\"version\":1,", "\"version\":\"1\",")?,
        ),
        (
            "expires-not-after-issued",
            "The signed manifest expires at its issue time".into(),
            edited_payload(
                &v1,
                "\"expires_at\":\"2026-07-01T00:00:00Z\"",
                "\"expires_at\":\"2026-05-01T00:00:00Z\"",
            )?,
        ),
        (
            "after-expiry-unknown",
            "The signed manifest's after_expiry is ignore (only fall-back-to-built-in and \
             suspend-and-report exist)"
                .into(),
            edited_payload(&v1, "{", "{\"after_expiry\":\"ignore\",")?,
        ),
        (
            "pin-set-without-pins",
            "The signed manifest has a pin set with no pins".into(),
            {
                let mut m = v1.clone();
                m.pin_sets[0].pins.clear();
                m.to_json()
            },
        ),
        (
            "duplicate-pin-set-id",
            "The signed manifest has two pin sets with id api".into(),
            {
                let mut m = v1.clone();
                m.pin_sets.push(api_set([3, 4]));
                m.to_json()
            },
        ),
        (
            "candidate-percentage-above-100",
            "The signed manifest's candidate percentage is 101".into(),
            {
                let mut m = v1.clone();
                m.candidate = Some(Candidate {
                    pin_sets: vec![api_set([3, 4])],
                    percentage: 101,
                });
                m.to_json()
            },
        ),
        (
            "bad-host-pattern",
            "The signed manifest has the host pattern api.*.vectors.example (a wildcard may \
             only be the whole first label)"
                .into(),
            edited_payload(&v1, "\"api.vectors.example\"", "\"api.*.vectors.example\"")?,
        ),
        (
            "bad-pin",
            "The signed manifest has a pin that is a SHA-1 (sha1/...), not sha256/ of 32 bytes"
                .into(),
            edited_payload(
                &v1,
                &format!("\"{}\"", pin(1)),
                "\"sha1/AAAAAAAAAAAAAAAAAAAAAAAAAAA=\"",
            )?,
        ),
    ];
    for (name, why, payload) in payload_cases {
        push(
            name,
            &format!(
                "{why}. Signed by trusted p256-a, so the signatures pass and the payload is \
                 parsed: rejected (malformed)."
            ),
            signed_raw(&payload, PAYLOAD_TYPE, &[a])?.to_json(),
            vec![a],
            1,
            None,
            Reject(R::Malformed),
        );
    }
    push(
        "malformed-payload-untrusted-signer",
        "A payload that is not JSON, signed by untrusted p256-b: signatures are checked \
         before the payload is parsed, so rejected (signature), not malformed.",
        signed_raw(b"this is not a manifest", PAYLOAD_TYPE, &[b])?.to_json(),
        vec![a],
        1,
        None,
        Reject(R::Signature),
    );
    Ok(specs)
}

/// New keys (two ECDSA P-256, one Ed25519) and the manifest cases signed
/// with them.
pub fn manifest_vectors() -> Result<(KeysFile, ManifestsFile), VectorError> {
    let keys = [
        ("p256-a", SigningKey::generate(Algorithm::EcdsaP256)?),
        ("p256-b", SigningKey::generate(Algorithm::EcdsaP256)?),
        ("ed25519", SigningKey::generate(Algorithm::Ed25519)?),
    ];
    let keys_file = KeysFile {
        keys: keys
            .iter()
            .map(|(name, k)| {
                let v = k.verifying_key();
                KeyEntry {
                    name: (*name).into(),
                    id: v.id().to_string(),
                    algorithm: v.algorithm(),
                    spki_der_base64: v.to_base64(),
                    public_pem: v.to_pem(),
                }
            })
            .collect(),
    };
    let [(_, a), (_, b), (_, e)] = &keys;
    let cases = manifest_cases(&Signers { a, b, e })?;
    Ok((keys_file, ManifestsFile { cases }))
}

fn manifest_cases(s: &Signers<'_>) -> Result<Vec<ManifestCase>, VectorError> {
    let mut names = std::collections::BTreeSet::new();
    let mut cases = Vec::new();
    for spec in manifest_specs(s)? {
        if !names.insert(spec.name) {
            return fail(format!("manifest case {} appears twice", spec.name));
        }
        let trust = TrustSet::new(
            spec.trusted.iter().map(|k| k.verifying_key()).collect(),
            spec.threshold,
        )?;
        let result = trust.verify(spec.envelope.as_bytes(), spec.app, spec.last.as_ref());
        let derived = match &result {
            Ok(v) => Intended::Accept {
                expired: v.expired(NOW),
            },
            Err(e) => Intended::Reject(RejectReason::of(e)),
        };
        if derived != spec.intended {
            return fail(format!(
                "manifest case {}: written to be {:?}, pinwarden says {derived:?} ({:?})",
                spec.name,
                spec.intended,
                result.as_ref().err()
            ));
        }
        let mut case = ManifestCase {
            name: spec.name.into(),
            description: spec.description,
            envelope: spec.envelope,
            app: spec.app.into(),
            trusted_key_ids: spec.trusted.iter().map(|k| k.id().to_string()).collect(),
            threshold: spec.threshold,
            last: spec.last,
            now: rfc3339(NOW),
            expect: Verdict::Reject,
            reject_reason: None,
            version: None,
            payload_sha256: None,
            expired: None,
            signed_by: None,
        };
        match result {
            Ok(v) => {
                case.expect = Verdict::Accept;
                case.version = Some(v.manifest().version);
                case.payload_sha256 = Some(v.accepted().payload_sha256.clone());
                case.expired = Some(v.expired(NOW));
                case.signed_by = Some(v.signed_by().to_vec());
            }
            Err(e) => case.reject_reason = Some(RejectReason::of(&e)),
        }
        cases.push(case);
    }
    Ok(cases)
}

// -------------------------------------------------------------- cohort cases

/// The cohort cases: fixed pairs, the same on every run.
pub fn cohort_cases() -> Vec<CohortCase> {
    let mut pairs: Vec<(String, String)> = [
        ("", ""),
        ("", APP),
        ("install-1", ""),
        ("install-1", "mobile"),
        ("4b7e2c1a-0f3d-4c55-9a61-2f0e8d9c7b10", "northwind-mobile"),
        ("4B7E2C1A-0F3D-4C55-9A61-2F0E8D9C7B10", "northwind-mobile"),
        // Concatenated without a separator: these three hash the same bytes.
        ("ab", "c"),
        ("a", "bc"),
        ("abc", ""),
        (" install-1", APP),
        ("install-1 ", APP),
        ("install-1", APP),
        ("install-1", "Vectors-App"),
        // Unicode: hashed as UTF-8, never normalised (NFC and NFD differ).
        ("\u{e9}", APP),
        ("e\u{301}", APP),
        ("ünïcødé-install", APP),
        ("日本語のインストール", APP),
        ("🔐🔑", APP),
        ("𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "приложение"),
        ("install-1", "приложение"),
        ("Ωmega", "アプリ"),
        ("tab\there", APP),
        ("line\nbreak", APP),
        ("nul\u{0}byte", APP),
        ("quote\"back\\slash", APP),
        ("install-1", "my app"),
    ]
    .iter()
    .map(|(i, a)| ((*i).to_owned(), (*a).to_owned()))
    .collect();
    // Long ids.
    pairs.push(("x".repeat(256), APP.into()));
    pairs.push(("0123456789".repeat(100), APP.into()));
    pairs.push(("é".repeat(500), APP.into()));
    pairs.push(("a".repeat(4096), "northwind-mobile".into()));
    // UUID-shaped ids, derived from a counter so they are the same each run.
    for n in 0u32..30 {
        let h = hex(digest(&SHA256, format!("vectors-install-{n}").as_bytes()).as_ref());
        let id = format!(
            "{}-{}-4{}-a{}-{}",
            &h[..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        );
        let app = if n % 3 == 0 { "northwind-mobile" } else { APP };
        pairs.push((id, app.into()));
    }
    pairs
        .into_iter()
        .map(|(install_id, app)| CohortCase {
            cohort: cohort(&install_id, &app),
            install_id,
            app,
        })
        .collect()
}

// ---------------------------------------------------------------- host cases

/// The host cases with OkHttp's expectations, written by hand; the same on
/// every run.
pub fn host_cases() -> Vec<HostCase> {
    const TRAILING_DOT: &str = "A trailing dot names the same host (an absolute DNS name): \
        hosts and patterns compare without it. OkHttp's CertificatePinner compares the text \
        as it is (square/okhttp#9724), so a client must strip the dot itself.";
    const CASE: &str = "Host names compare case-insensitively (OkHttp lower-cases both).";
    const IPV6: &str = "IPv6 addresses compare as addresses: any notation, with or without \
        brackets (OkHttp's HttpUrl gives the canonical form without brackets).";
    const LABEL: &str = "The pattern's domain must end at a label boundary: a suffix that \
        isn't a whole label doesn't match.";
    let table: &[(&str, &str, bool, Option<&str>)] = &[
        // Exact names.
        ("api.example.com", "api.example.com", true, None),
        ("api.example.com", "API.EXAMPLE.COM", true, Some(CASE)),
        ("API.Example.Com", "api.example.com", true, Some(CASE)),
        (
            "api.example.com",
            "x.api.example.com",
            false,
            Some("An exact pattern matches that name only, nothing below it."),
        ),
        ("api.example.com", "example.com", false, None),
        ("api.example.com", "api.example.com.evil.net", false, None),
        ("api.example.com", "apiexample.com", false, None),
        ("api.example.com", "api-example.com", false, None),
        ("example.com", "www.example.com", false, None),
        (
            "api.example.com",
            "api.example.com.",
            true,
            Some(TRAILING_DOT),
        ),
        (
            "api.example.com.",
            "api.example.com",
            true,
            Some(TRAILING_DOT),
        ),
        // One label: `*.`
        (
            "*.example.com",
            "www.example.com",
            true,
            Some("`*.` matches exactly one label below the domain."),
        ),
        (
            "*.example.com",
            "example.com",
            false,
            Some("`*.` does not match the domain itself."),
        ),
        (
            "*.example.com",
            "a.b.example.com",
            false,
            Some("`*.` matches one label only, not two."),
        ),
        ("*.example.com", "a.b.c.example.com", false, None),
        ("*.example.com", "WWW.EXAMPLE.COM", true, Some(CASE)),
        ("*.Example.COM", "www.example.com", true, Some(CASE)),
        ("*.example.com", "wwwexample.com", false, Some(LABEL)),
        ("*.example.com", "notexample.com", false, Some(LABEL)),
        ("*.example.com", "www.notexample.com", false, Some(LABEL)),
        (
            "*.example.com",
            "www.example.com.",
            true,
            Some(TRAILING_DOT),
        ),
        (
            "*.example.com.",
            "www.example.com",
            true,
            Some(TRAILING_DOT),
        ),
        ("*.example.com", "www.example.org", false, None),
        ("*.example.com", "www.example.com.evil.net", false, None),
        ("*.example.com", "www.example.co", false, None),
        ("*.example.com", "_acme.example.com", true, None),
        ("*.b.example.com", "a.b.example.com", true, None),
        ("*.b.example.com", "b.example.com", false, None),
        ("*.b.example.com", "x.a.b.example.com", false, None),
        ("*.b.example.com", "a.example.com", false, None),
        // Any depth: `**.`
        (
            "**.example.com",
            "example.com",
            true,
            Some("`**.` matches the domain itself (the apex)."),
        ),
        ("**.example.com", "www.example.com", true, None),
        (
            "**.example.com",
            "a.b.example.com",
            true,
            Some("`**.` matches any depth."),
        ),
        ("**.example.com", "a.b.c.d.example.com", true, None),
        ("**.example.com", "notexample.com", false, Some(LABEL)),
        ("**.example.com", "a.notexample.com", false, Some(LABEL)),
        ("**.example.com", "example.com.evil.net", false, None),
        ("**.example.com", "example.co", false, None),
        ("**.example.com", "com", false, None),
        ("**.example.com", "example.org", false, None),
        (
            "**.example.com",
            "",
            false,
            Some("An empty host matches nothing."),
        ),
        ("**.example.com", "EXAMPLE.COM.", true, Some(TRAILING_DOT)),
        ("**.example.com", "A.B.Example.Com", true, Some(CASE)),
        (
            "**.api.example.com",
            "example.com",
            false,
            Some("Above the pattern's apex."),
        ),
        ("**.api.example.com", "api.example.com", true, None),
        ("**.api.example.com", "v1.api.example.com", true, None),
        ("**.api.example.com", "v1.www.example.com", false, None),
        // Punycode (IDNs are written and matched in their A-label form).
        (
            "xn--bcher-kva.example",
            "xn--bcher-kva.example",
            true,
            Some("bücher.example as an A-label."),
        ),
        (
            "xn--bcher-kva.example",
            "XN--BCHER-KVA.EXAMPLE",
            true,
            Some(CASE),
        ),
        ("xn--bcher-kva.example", "bcher-kva.example", false, None),
        (
            "xn--bcher-kva.example",
            "xn--bcher-kvb.example",
            false,
            None,
        ),
        (
            "*.xn--bcher-kva.example",
            "www.xn--bcher-kva.example",
            true,
            None,
        ),
        (
            "*.xn--bcher-kva.example",
            "xn--bcher-kva.example",
            false,
            None,
        ),
        (
            "**.xn--bcher-kva.example",
            "xn--bcher-kva.example",
            true,
            None,
        ),
        (
            "**.xn--bcher-kva.example",
            "a.b.xn--bcher-kva.example",
            true,
            None,
        ),
        (
            "*.example.com",
            "xn--bcher-kva.example.com",
            true,
            Some("A punycode label is one label."),
        ),
        // IP addresses.
        ("::1", "::1", true, Some(IPV6)),
        ("::1", "[::1]", true, Some(IPV6)),
        ("[::1]", "::1", true, Some(IPV6)),
        ("[::1]", "[::1]", true, Some(IPV6)),
        ("::1", "0:0:0:0:0:0:0:1", true, Some(IPV6)),
        ("0:0:0:0:0:0:0:1", "::1", true, Some(IPV6)),
        ("::1", "::2", false, None),
        ("::1", "localhost", false, None),
        ("2001:db8::1", "2001:DB8:0:0:0:0:0:1", true, Some(IPV6)),
        ("2001:db8::1", "[2001:db8::1]", true, Some(IPV6)),
        ("2001:DB8::1", "2001:db8::1", true, Some(IPV6)),
        ("2001:db8::1", "2001:db8::2", false, None),
        (
            "**.example.com",
            "::1",
            false,
            Some("A wildcard never matches an IP address."),
        ),
        ("127.0.0.1", "127.0.0.1", true, None),
        ("127.0.0.1", "127.0.0.2", false, None),
    ];
    table
        .iter()
        .map(|&(pattern, host, matches, note)| HostCase {
            pattern: pattern.into(),
            host: host.into(),
            matches,
            note: note.map(str::to_owned),
        })
        .collect()
}

// ----------------------------------------------------------------- set cases

fn set(id: &str, patterns: &[&str], enforce: bool, n: u8) -> PinSet {
    let mut s = PinSet::enforced(id, patterns.iter().map(|p| pattern(p)).collect(), [pin(n)]);
    s.enforce = enforce;
    s
}

/// A set case: name, description, sets, host, the set that applies.
type SetSpec<'a> = (String, String, Vec<PinSet>, &'a str, Option<&'a str>);

/// The pin-set cases; the same on every run.
pub fn set_cases() -> Result<Vec<SetCase>, VectorError> {
    let wide = set("wide", &["**.example.com"], false, 10);
    let one = set("one", &["*.example.com"], true, 11);
    let exact = set("exact", &["api.example.com"], true, 12);
    let mut cases: Vec<SetSpec<'_>> = Vec::new();
    for (order, sets) in [
        ("", vec![wide.clone(), one.clone(), exact.clone()]),
        ("reversed-", vec![exact.clone(), one.clone(), wide.clone()]),
    ] {
        for (host, expect, why) in [
            (
                "api.example.com",
                Some("exact"),
                "all three patterns cover it; same domain (2 labels), and exact beats `*.` beats `**.`",
            ),
            (
                "www.example.com",
                Some("one"),
                "`*.example.com` and `**.example.com` cover it; `*.` beats `**.`",
            ),
            (
                "a.b.example.com",
                Some("wide"),
                "only `**.example.com` covers two labels below",
            ),
            (
                "example.com",
                Some("wide"),
                "only `**.example.com` covers the apex",
            ),
            ("example.org", None, "no pattern covers it"),
        ] {
            cases.push((
                format!("{order}kinds-{host}"),
                format!(
                    "Sets listed {}: {why}.",
                    if order.is_empty() {
                        "widest first"
                    } else {
                        "narrowest first (the order doesn't matter)"
                    }
                ),
                sets.clone(),
                host,
                expect,
            ));
        }
    }
    let deep_wide = set("deep-wide", &["**.api.example.com"], true, 13);
    let shallow_one = set("shallow-one", &["*.example.com"], true, 14);
    cases.push((
        "more-labels-beat-kind".into(),
        "`**.api.example.com` (3 labels) and `*.example.com` (2 labels) both cover \
         api.example.com: more labels in the domain wins before the kind, so deep-wide."
            .into(),
        vec![shallow_one.clone(), deep_wide.clone()],
        "api.example.com",
        Some("deep-wide"),
    ));
    cases.push((
        "more-labels-beat-kind-below".into(),
        "Only `**.api.example.com` covers v1.api.example.com (`*.example.com` is one label \
         deep): deep-wide."
            .into(),
        vec![shallow_one, deep_wide],
        "v1.api.example.com",
        Some("deep-wide"),
    ));
    let report = set("report", &["api.example.com"], false, 15);
    let enforced = set("enforced", &["api.example.com"], true, 16);
    for (name, sets) in [
        (
            "enforced-over-report-only",
            vec![report.clone(), enforced.clone()],
        ),
        (
            "enforced-over-report-only-reversed",
            vec![enforced, report.clone()],
        ),
    ] {
        cases.push((
            name.into(),
            "Two sets with the same pattern, one report-only: at equal specificity the \
             enforced set wins whatever the order (report-only never weakens enforcement)."
                .into(),
            sets,
            "api.example.com",
            Some("enforced"),
        ));
    }
    let broad_enforced = set("broad-enforced", &["**.example.com"], true, 17);
    cases.push((
        "narrow-report-only-over-broad-enforced".into(),
        "A report-only exact set and an enforced `**.example.com`: specificity comes first, \
         so the narrower report-only set applies to api.example.com (enforcement only breaks \
         ties)."
            .into(),
        vec![broad_enforced.clone(), report.clone()],
        "api.example.com",
        Some("report"),
    ));
    cases.push((
        "narrow-report-only-leaves-others-enforced".into(),
        "The same sets: www.example.com is covered by the enforced `**.example.com` only.".into(),
        vec![broad_enforced, report],
        "www.example.com",
        Some("broad-enforced"),
    ));
    let first = set("first", &["*.example.com"], true, 18);
    let second = set("second", &["*.example.com"], true, 19);
    cases.push((
        "first-listed-breaks-ties".into(),
        "Two enforced sets with the same pattern: the first listed.".into(),
        vec![first.clone(), second.clone()],
        "www.example.com",
        Some("first"),
    ));
    cases.push((
        "first-listed-breaks-ties-reversed".into(),
        "The same two sets the other way round: the first listed.".into(),
        vec![second, first],
        "www.example.com",
        Some("second"),
    ));
    let mut subdomains = set("subdomains", &["example.com"], true, 20);
    subdomains.include_subdomains = true;
    let one_label = set("one-label", &["*.example.com"], true, 21);
    for (host, expect, why) in [
        (
            "www.example.com",
            "one-label",
            "include_subdomains makes `example.com` reach every depth (as `**.example.com`), \
             which `*.example.com` beats",
        ),
        (
            "a.b.example.com",
            "subdomains",
            "only the include_subdomains set reaches two labels below",
        ),
        (
            "example.com",
            "subdomains",
            "only the include_subdomains set covers the apex",
        ),
    ] {
        cases.push((
            format!("include-subdomains-{host}"),
            format!("{why}."),
            vec![subdomains.clone(), one_label.clone()],
            host,
            Some(expect),
        ));
    }
    let mixed = set("mixed", &["**.example.com", "api.example.com"], true, 22);
    let star = set("star", &["*.example.com"], true, 23);
    cases.push((
        "best-pattern-within-a-set".into(),
        "A set is as specific as its most specific pattern covering the host: mixed's exact \
         `api.example.com` beats star's `*.example.com`."
            .into(),
        vec![star.clone(), mixed.clone()],
        "api.example.com",
        Some("mixed"),
    ));
    cases.push((
        "best-pattern-within-a-set-other-host".into(),
        "For www.example.com mixed only has `**.example.com`, which star's `*.example.com` \
         beats."
            .into(),
        vec![mixed, star],
        "www.example.com",
        Some("star"),
    ));
    let exact2 = set("exact", &["api.example.com"], true, 24);
    cases.push((
        "host-case-and-trailing-dot".into(),
        "API.Example.COM. is api.example.com: compared case-insensitively without the \
         trailing dot."
            .into(),
        vec![wide.clone(), exact2],
        "API.Example.COM.",
        Some("exact"),
    ));
    let loopback = set("loopback", &["::1"], true, 25);
    cases.push((
        "ipv6-any-notation".into(),
        "A set for `::1` covers 0:0:0:0:0:0:0:1 (IPv6 compares as addresses); \
         `**.example.com` doesn't."
            .into(),
        vec![wide.clone(), loopback.clone()],
        "0:0:0:0:0:0:0:1",
        Some("loopback"),
    ));
    cases.push((
        "ipv6-brackets".into(),
        "[::1] is ::1.".into(),
        vec![loopback],
        "[::1]",
        Some("loopback"),
    ));
    cases.push((
        "no-set-covers-it".into(),
        "notexample.com ends in example.com but not at a label boundary: no set covers it.".into(),
        vec![wide, one, exact],
        "notexample.com",
        None,
    ));

    let mut out = Vec::new();
    for (name, description, sets, host, expect) in cases {
        let got = set_for_host(&sets, host).map(|(s, _)| s.id.clone());
        if got.as_deref() != expect {
            return fail(format!(
                "set case {name}: written to be {expect:?}, pinwarden says {got:?}"
            ));
        }
        out.push(SetCase {
            name,
            description,
            sets,
            host: host.into(),
            expect_set: got,
        });
    }
    Ok(out)
}

// --------------------------------------------------------------- chain cases

/// A chain case: name, description, validated path, served certificates,
/// pins, the decision.
type ChainSpec<'a> = (
    &'a str,
    &'a str,
    Vec<&'a Vec<u8>>,
    Vec<&'a Vec<u8>>,
    Vec<SpkiPin>,
    ChainVerdict,
);

/// The chain cases over `pki`'s certificates.
#[expect(clippy::too_many_lines, reason = "one list of cases")]
pub fn chain_cases(pki: &ChainPki) -> Result<Vec<ChainCase>, VectorError> {
    use ChainVerdict::{Match, Mismatch};
    let path_a = || vec![&pki.leaf, &pki.inter_a, &pki.root_a];
    let served_a = || vec![&pki.leaf, &pki.inter_a];
    let specs: Vec<ChainSpec<'_>> = vec![
        (
            "leaf-pinned",
            "The leaf's key is pinned; it is on the validated path: match.",
            path_a(),
            served_a(),
            vec![cert_pin(&pki.leaf)?],
            Match,
        ),
        (
            "intermediate-pinned",
            "Intermediate A's key is pinned; it is on the validated path: match.",
            path_a(),
            served_a(),
            vec![cert_pin(&pki.inter_a)?],
            Match,
        ),
        (
            "root-pinned-not-served",
            "Root A's key is pinned; the server doesn't send the root, but the anchor is on \
             the validated path: match.",
            path_a(),
            served_a(),
            vec![cert_pin(&pki.root_a)?],
            Match,
        ),
        (
            "root-pinned-and-served",
            "Root A's key is pinned and the server sends the root too: match.",
            path_a(),
            vec![&pki.leaf, &pki.inter_a, &pki.root_a],
            vec![cert_pin(&pki.root_a)?],
            Match,
        ),
        (
            "backup-pin-matches",
            "Two pins: an unrelated key first, intermediate A's key second. Any pin on the \
             path is enough: match.",
            path_a(),
            served_a(),
            vec![pin(99), cert_pin(&pki.inter_a)?],
            Match,
        ),
        (
            "no-pin-matches",
            "Pins for hierarchy B (root B, intermediate B) and an unrelated key; the path is \
             hierarchy A's: mismatch.",
            path_a(),
            served_a(),
            vec![cert_pin(&pki.root_b)?, cert_pin(&pki.inter_b)?, pin(99)],
            Mismatch,
        ),
        (
            "pinned-intermediate-served-not-on-path",
            "The server also sends intermediate B, whose key is pinned, but the path \
             validates through intermediate A: a pinned certificate the server merely sent \
             never counts, mismatch.",
            path_a(),
            vec![&pki.leaf, &pki.inter_a, &pki.inter_b],
            vec![cert_pin(&pki.inter_b)?],
            Mismatch,
        ),
        (
            "pinned-root-served-not-on-path",
            "The server also sends root B, whose key is pinned; the path ends at root A: \
             mismatch.",
            path_a(),
            vec![&pki.leaf, &pki.inter_a, &pki.root_b],
            vec![cert_pin(&pki.root_b)?],
            Mismatch,
        ),
        (
            "pinned-leaf-of-other-host-served",
            "The server also sends another host's leaf (hierarchy B), whose key is pinned: \
             not on the path, mismatch.",
            path_a(),
            vec![&pki.leaf, &pki.inter_a, &pki.leaf_b],
            vec![cert_pin(&pki.leaf_b)?],
            Mismatch,
        ),
        (
            "served-out-of-order",
            "The server sends intermediate B before intermediate A; the validated path is \
             still leaf, intermediate A, root A, and intermediate A's key is pinned: match.",
            path_a(),
            vec![&pki.leaf, &pki.inter_b, &pki.inter_a],
            vec![cert_pin(&pki.inter_a)?],
            Match,
        ),
        (
            "reissued-intermediate-same-key",
            "The path goes through a reissued intermediate A (another certificate, same \
             subject and key); the pin was taken from the original intermediate A. Pins are \
             keys, not certificates: match.",
            vec![&pki.leaf, &pki.inter_a_reissued, &pki.root_a],
            vec![&pki.leaf, &pki.inter_a_reissued],
            vec![cert_pin(&pki.inter_a)?],
            Match,
        ),
        (
            "leaf-under-root-pinned-root",
            "A leaf issued by root A directly: the path is leaf, root A; root A is pinned: \
             match.",
            vec![&pki.leaf_direct, &pki.root_a],
            vec![&pki.leaf_direct],
            vec![cert_pin(&pki.root_a)?],
            Match,
        ),
        (
            "unused-intermediate-of-same-ca-pinned",
            "A leaf issued by root A directly, and the server also sends intermediate A \
             (same CA), whose key is pinned: intermediate A is not on the validated path \
             (leaf, root A), mismatch.",
            vec![&pki.leaf_direct, &pki.root_a],
            vec![&pki.leaf_direct, &pki.inter_a],
            vec![cert_pin(&pki.inter_a)?],
            Mismatch,
        ),
    ];
    let b64 =
        |certs: &[&Vec<u8>]| -> Vec<String> { certs.iter().map(|c| STANDARD.encode(c)).collect() };
    let mut out = Vec::new();
    for (name, description, path, served, pins, intended) in specs {
        let path_der: Vec<Vec<u8>> = path.iter().map(|c| (*c).clone()).collect();
        let derived = if path_matches(&path_der, &pins)? {
            Match
        } else {
            Mismatch
        };
        if derived != intended {
            return fail(format!(
                "chain case {name}: written to be {intended:?}, the decision is {derived:?}"
            ));
        }
        out.push(ChainCase {
            name: name.into(),
            description: description.into(),
            host: CHAIN_HOST.into(),
            validated_path_der_base64: b64(&path),
            served_der_base64: b64(&served),
            pins: pins.iter().map(ToString::to_string).collect(),
            expect: derived,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_signatures_become_raw_r_and_s() {
        // r = 0x00ff.. (leading zero dropped), s short (left-padded).
        let mut der = vec![0x30, 0x26, 0x02, 0x21, 0x00];
        der.extend([0xff; 32]);
        der.extend([0x02, 0x01, 0x07]);
        let raw = ecdsa_der_to_raw(&der).unwrap();
        assert_eq!(raw.len(), 64);
        assert_eq!(&raw[..32], &[0xff; 32]);
        assert_eq!(&raw[32..63], &[0; 31]);
        assert_eq!(raw[63], 7);
        assert!(ecdsa_der_to_raw(&[0x30, 0x00, 0x01]).is_err());
    }

    #[test]
    fn the_fixed_cases_agree_with_pinwarden() {
        assert!(cohort_cases().len() >= 50);
        let hosts = host_cases();
        assert!(hosts.len() >= 60);
        for c in &hosts {
            let p: HostPattern = c.pattern.parse().unwrap();
            assert_eq!(p.matches(&c.host), c.matches, "{c:?}");
        }
        set_cases().unwrap();
    }

    #[test]
    fn every_manifest_case_comes_out_as_written() {
        let (keys, manifests) = manifest_vectors().unwrap();
        assert_eq!(keys.keys.len(), 3);
        assert!(manifests.cases.len() > 30, "{}", manifests.cases.len());
    }

    #[test]
    fn reject_reasons_name_each_refusal() {
        let reason = |e: Error| RejectReason::of(&e);
        let sigs = |valid| Error::Signatures {
            valid,
            threshold: 2,
            details: vec![],
        };
        assert_eq!(reason(sigs(0)), RejectReason::Signature);
        assert_eq!(reason(sigs(1)), RejectReason::Threshold);
        assert_eq!(reason(Error::Envelope("x".into())), RejectReason::Malformed);
        assert_eq!(
            serde_json::to_string(&RejectReason::PayloadType).unwrap(),
            "\"payload-type\""
        );
    }
}
