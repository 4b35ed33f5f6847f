//! Pin-failure reports from clients, in the three shapes pinwarden takes:
//! RFC 7469 §3 violation reports, TrustKit's (iOS and Android field sets),
//! and pinwarden-rustls' (TrustKit's plus manifest version and cohort). Each
//! is checked strictly and normalised into one [`PinReport`]; what the
//! parser did with a real client's quirk (`quirk.rs`) is noted in it.
//!
//! `bytes ==> size and UTF-8 checks ==> JSON (depth-limited by serde_json) ==> shape ==> fields checked (quirks noted) ==> chain parsed ==> PinReport`

use std::fmt;

mod classify;
mod quirk;

pub use classify::{Classification, FailureClass, classify};
pub use quirk::{ClientTime, Note, Platform, Quirk};

use time::OffsetDateTime;

use x509_parser::certificate::Validity;
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::X509Name;

use crate::frame::Frame;
use crate::pin::SpkiPin;

/// The largest report body taken.
pub const MAX_REPORT_BYTES: usize = 64 * 1024;
/// The most certificates a reported chain may hold.
pub const MAX_CHAIN: usize = 10;
/// The largest integer a report field may hold (2^53 - 1, JSON's safe integers).
pub const MAX_SAFE_INTEGER: i64 = 9_007_199_254_740_991;
/// The most known pins a report may list.
pub const MAX_PINS: usize = 32;

/// The shape a report came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportFormat {
    /// RFC 7469 §3 (HPKP) violation report.
    Rfc7469,
    /// TrustKit on iOS, macOS or tvOS.
    TrustkitIos,
    /// TrustKit for Android.
    TrustkitAndroid,
    /// pinwarden-rustls.
    Pinwarden,
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Rfc7469 => "rfc7469",
            Self::TrustkitIos => "trustkit-ios",
            Self::TrustkitAndroid => "trustkit-android",
            Self::Pinwarden => "pinwarden",
        })
    }
}

/// One certificate of a reported chain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportedCert {
    /// Its SPKI pin.
    pub pin: SpkiPin,
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
}

/// A report, normalised.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PinReport {
    /// The shape it came in.
    pub format: ReportFormat,
    /// The host the client connected to (lowercase).
    pub host: String,
    /// The port, when the client knew it (TrustKit sends 0 when it
    /// doesn't: see [`Quirk::PortUnknown`]).
    pub port: Option<u16>,
    /// The pin-set entry that applied (`noted-hostname`).
    pub noted_hostname: Option<String>,
    /// The app (`app-bundle-id`), when the client says.
    pub app: Option<String>,
    /// Its version.
    pub app_version: Option<String>,
    /// Its platform, normalised from `app-platform`.
    pub platform: Platform,
    /// The manifest version in force (pinwarden clients).
    pub manifest_version: Option<u64>,
    /// The client's rollout cohort (pinwarden clients).
    pub cohort: Option<u8>,
    /// TrustKit's validation result code.
    pub validation_result: Option<i64>,
    /// Whether the client enforced the pins.
    pub enforced: Option<bool>,
    /// The chain the client saw, leaf first (validated chain if given,
    /// else the served one).
    pub chain: Vec<ReportedCert>,
    /// The pins the client held.
    pub known_pins: Vec<SpkiPin>,
    /// When the failure happened, by the client's clock.
    pub client_time: Option<ClientTime>,
    /// What was done with each quirk of the client's report, in field order.
    pub notes: Vec<Note>,
}

/// Why a report is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReportError(pub String);

fn bad<T>(what: impl Into<String>) -> Result<T, ReportError> {
    Err(ReportError(what.into()))
}

type Object = serde_json::Map<String, serde_json::Value>;

fn string<'a>(o: &'a Object, key: &str, max: usize) -> Result<Option<&'a str>, ReportError> {
    match o.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        // Characters, as JSON Schema's maxLength counts them.
        Some(serde_json::Value::String(s)) if s.chars().count() <= max => Ok(Some(s)),
        Some(serde_json::Value::String(_)) => bad(format!("{key}: longer than {max} characters")),
        Some(other) => bad(format!("{key}: a string, not {}", kind(other))),
    }
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn integer(o: &Object, key: &str) -> Result<Option<i64>, ReportError> {
    match o.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        // JSON Schema's integers include 7.0; beyond 2^53 JSON numbers stop
        // being exact in most clients' parsers, so they are refused.
        Some(serde_json::Value::Number(n)) => match n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64)
                .map(|f| f as i64)
        }) {
            Some(i) if i.unsigned_abs() <= MAX_SAFE_INTEGER as u64 => Ok(Some(i)),
            _ => bad(format!(
                "{key}: {n} is not an integer from -(2^53-1) to 2^53-1"
            )),
        },
        // TrustKit for Android has sent numbers as strings.
        Some(serde_json::Value::String(s)) => match s.trim().parse::<i64>() {
            Ok(i) => Ok(Some(i)),
            Err(_) => bad(format!("{key}: {s:?} is not an integer")),
        },
        Some(other) => bad(format!("{key}: a number, not {}", kind(other))),
    }
}

fn boolean(o: &Object, key: &str) -> Result<Option<bool>, ReportError> {
    match o.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => bad(format!("{key}: a boolean, not {}", kind(other))),
    }
}

fn strings<'a>(o: &'a Object, key: &str, max_items: usize) -> Result<Vec<&'a str>, ReportError> {
    match o.get(key) {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::Array(items)) => {
            if items.len() > max_items {
                return bad(format!(
                    "{key}: {} entries, at most {max_items}",
                    items.len()
                ));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    serde_json::Value::String(s) => Ok(s.as_str()),
                    other => bad(format!("{key}[{i}]: a string, not {}", kind(other))),
                })
                .collect()
        }
        Some(other) => bad(format!("{key}: an array, not {}", kind(other))),
    }
}

/// A DNS name or IP literal a client could have connected to.
fn valid_host(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn parse_chain(key: &str, pems: &[&str]) -> Result<Vec<ReportedCert>, ReportError> {
    let mut chain = Vec::with_capacity(pems.len());
    for (i, pem) in pems.iter().enumerate() {
        use rustls_pki_types::pem::PemObject as _;
        // Exactly one CERTIFICATE block, nothing else.
        let mut blocks = rustls_pki_types::CertificateDer::pem_slice_iter(pem.as_bytes());
        let der = match (blocks.next(), blocks.next()) {
            (Some(Ok(der)), None) => der,
            (Some(Err(e)), _) => return bad(format!("{key}[{i}]: {e}")),
            _ => return bad(format!("{key}[{i}]: not exactly one PEM certificate")),
        };
        let cert = reported_cert(der.as_ref())
            .map_err(|e| ReportError(format!("{key}[{i}]: not a valid X.509 certificate: {e}")))?;
        chain.push(cert);
    }
    Ok(chain)
}

/// What a report keeps of a certificate (pin, names, validity), read from
/// its located parts: every element's DER framing is checked, and the names
/// and validity are decoded strictly, but the extensions and the key are not
/// decoded. A full parse was half of a report's cost (bench/BENCHMARKS.md).
fn reported_cert(der: &[u8]) -> Result<ReportedCert, String> {
    let frame = Frame::parse(der)?;
    let name = |raw: &[u8], what: &str| {
        X509Name::from_der(raw)
            .map(|(_, name)| name.to_string())
            .map_err(|e| format!("{what}: {e}"))
    };
    let (_, validity) = Validity::from_der(frame.validity).map_err(|e| format!("validity: {e}"))?;
    Ok(ReportedCert {
        pin: SpkiPin::from_spki_der(frame.spki),
        subject: name(frame.subject, "subject")?,
        issuer: name(frame.issuer, "issuer")?,
        not_before: validity.not_before.to_datetime(),
        not_after: validity.not_after.to_datetime(),
    })
}

fn parse_pin(text: &str) -> Result<SpkiPin, ReportError> {
    text.parse::<SpkiPin>()
        .map_err(|e| ReportError(format!("known-pins: {text:?}: {e}")))
}

/// Parses one report body.
///
/// # Errors
/// A [`ReportError`] naming the field and the cause: oversized, not UTF-8,
/// not a JSON object, a missing or mistyped field, a bad chain or pin.
pub fn parse_report(bytes: &[u8]) -> Result<PinReport, ReportError> {
    if bytes.len() > MAX_REPORT_BYTES {
        return bad(format!(
            "{} bytes, more than {MAX_REPORT_BYTES}",
            bytes.len()
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ReportError(format!("not UTF-8: {e}")))?;
    // serde_json refuses nesting deeper than 128.
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ReportError(format!("not JSON: {e}")))?;
    let serde_json::Value::Object(o) = value else {
        return bad(format!("a JSON object, not {}", kind(&value)));
    };

    let mut notes = Vec::new();
    let raw_platform = string(&o, "app-platform", 64)?;
    let is_pinwarden = o.contains_key("pinwarden-manifest-version")
        || o.contains_key("pinwarden-cohort")
        || raw_platform == Some("rust");
    let format = if is_pinwarden {
        ReportFormat::Pinwarden
    } else if o.contains_key("app-bundle-id") {
        match raw_platform.map(str::to_ascii_uppercase).as_deref() {
            Some("ANDROID") => ReportFormat::TrustkitAndroid,
            _ => ReportFormat::TrustkitIos,
        }
    } else {
        ReportFormat::Rfc7469
    };
    let platform = quirk::platform(raw_platform, format, &mut notes);

    let Some(host) = string(&o, "hostname", 253)? else {
        return bad("hostname: missing");
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if !valid_host(&host) {
        return bad(format!("hostname: {host:?} is not a host name"));
    }
    let port = match integer(&o, "port")? {
        Some(0) => quirk::port_zero(format, &mut notes),
        Some(p) => Some(
            u16::try_from(p)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| ReportError(format!("port: {p} is not a TCP port")))?,
        ),
        None => quirk::port_missing(format, &mut notes),
    };
    let noted_hostname = string(&o, "noted-hostname", 253)?.map(str::to_ascii_lowercase);
    let app = string(&o, "app-bundle-id", 256)?.map(str::to_owned);
    let app_version = string(&o, "app-version", 64)?.map(str::to_owned);
    let manifest_version = integer(&o, "pinwarden-manifest-version")?
        .map(|v| {
            u64::try_from(v)
                .map_err(|_| ReportError(format!("pinwarden-manifest-version: {v} is negative")))
        })
        .transpose()?;
    let cohort = integer(&o, "pinwarden-cohort")?
        .map(|c| {
            u8::try_from(c)
                .ok()
                .filter(|c| *c < 100)
                .ok_or_else(|| ReportError(format!("pinwarden-cohort: {c} is not 0 to 99")))
        })
        .transpose()?;
    let validation_result = integer(&o, "validation-result")?;
    let enforced = boolean(&o, "enforce-pinning")?;
    boolean(&o, "include-subdomains")?;
    let client_time = match string(&o, "date-time", 64)? {
        Some(t) => Some(quirk::client_time(t, format, &mut notes)?),
        None => None,
    };

    let validated = strings(&o, "validated-certificate-chain", MAX_CHAIN)?;
    let served = strings(&o, "served-certificate-chain", MAX_CHAIN)?;
    // Both chains must be certificates, though the validated one (when
    // sent) is the one the failure is judged on.
    let served = parse_chain("served-certificate-chain", &served)?;
    let chain = if validated.is_empty() {
        served
    } else {
        parse_chain("validated-certificate-chain", &validated)?
    };
    if chain.is_empty() {
        return bad(
            "no certificate chain (validated-certificate-chain or served-certificate-chain)",
        );
    }
    let known_pins = strings(&o, "known-pins", MAX_PINS)?
        .into_iter()
        .map(parse_pin)
        .collect::<Result<Vec<_>, _>>()?;

    Ok(PinReport {
        format,
        host,
        port,
        noted_hostname,
        app,
        app_version,
        platform,
        manifest_version,
        cohort,
        validation_result,
        enforced,
        chain,
        known_pins,
        client_time,
        notes,
    })
}
