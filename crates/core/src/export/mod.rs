//! Turning a pin set into the configuration each client platform expects.
//!
//! Every exporter says where its platform can't express the pin set
//! faithfully (no expiry, no reporting, other subdomain rules, leaf-only
//! checks) as a warning, and refuses outright where the result would behave
//! more dangerously than asked: an enforcing config for a report-only set, an
//! enforcing set with a single pin (no backup: the first rotation locks users
//! out) unless [`Options::danger_single_pin`] says so, an expiry already past,
//! and keys in a list of the wrong level (a CA key where the platform checks
//! the leaf, a leaf key among CA keys), where they never match.
//!
//! What is risky but may be meant is exported with a warning: an enforcing
//! set none of whose pins is a backup, and a pin whose certificates (when the
//! caller knows them, [`Options::certificates`]) have all expired.

use std::fmt;
use std::str::FromStr;

use crate::cert::Level;
use crate::error::Error;
use crate::pin::SpkiPin;
use crate::pinset::{PinRole, PinSet};

mod android;
mod curl;
mod envoy;
mod hpkp;
mod ios;
mod level;
mod okhttp;
mod trustkit;

/// The export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Android Network Security Config XML.
    AndroidNsc,
    /// iOS Info.plist `NSAppTransportSecurity` / `NSPinnedDomains`.
    IosPlist,
    /// TrustKit's `TSKConfiguration` plist.
    Trustkit,
    /// Kotlin for OkHttp's `CertificatePinner`.
    Okhttp,
    /// curl's `--pinnedpubkey` argument.
    Curl,
    /// Envoy `validation_context` YAML.
    Envoy,
    /// An HPKP (`Public-Key-Pins[-Report-Only]`) header.
    Hpkp,
    /// pinwarden's JSON pin set.
    Json,
}

impl Format {
    /// Every format, in documentation order.
    pub const ALL: [Self; 8] = [
        Self::AndroidNsc,
        Self::IosPlist,
        Self::Trustkit,
        Self::Okhttp,
        Self::Curl,
        Self::Envoy,
        Self::Hpkp,
        Self::Json,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::AndroidNsc => "android-nsc",
            Self::IosPlist => "ios-plist",
            Self::Trustkit => "trustkit",
            Self::Okhttp => "okhttp",
            Self::Curl => "curl",
            Self::Envoy => "envoy",
            Self::Hpkp => "hpkp",
            Self::Json => "json",
        }
    }

    /// Whether the platform has a report-only mode. Platforms without one
    /// always enforce what they are given.
    fn has_report_only(self) -> bool {
        matches!(self, Self::Trustkit | Self::Hpkp | Self::Json)
    }

    /// Whether the platform's config carries the pin set's expiry date.
    fn has_expiry(self) -> bool {
        matches!(self, Self::AndroidNsc | Self::Trustkit | Self::Json)
    }

    /// Whether the platform matches keys by level: iOS lists CA and leaf keys
    /// apart, curl and Envoy check the leaf key only.
    fn checks_levels(self) -> bool {
        matches!(self, Self::IosPlist | Self::Curl | Self::Envoy)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|f| f.name()).collect();
                format!("unknown export format {s:?}; one of: {}", names.join(", "))
            })
    }
}

/// What the export is judged against, and knobs that only some formats use.
#[derive(Clone, Debug)]
pub struct Options {
    /// HPKP `max-age` in seconds.
    pub hpkp_max_age: u64,
    /// The day of the export: a pin set that expires before it is refused.
    pub today: time::Date,
    /// Export an enforcing set with a single pin. With no backup, the first
    /// key rotation or CA change locks every client out until it is updated.
    pub danger_single_pin: bool,
    /// The certificates the pins were taken from, when the caller has them
    /// (a chain file): a pin whose every certificate here has expired by
    /// `today` is warned about.
    pub certificates: Vec<PinnedCertificate>,
}

/// A certificate whose key is (or may be) pinned: where the pin came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinnedCertificate {
    /// The pin of the certificate's key.
    pub pin: SpkiPin,
    /// The certificate's level.
    pub level: Option<Level>,
    /// A name for people: the subject's common name, or the whole subject.
    pub name: String,
    /// The last day the certificate is valid (UTC).
    pub not_after: time::Date,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            // 60 days, the value RFC 7469 §4.1 suggests as reasonable.
            hpkp_max_age: 60 * 24 * 3600,
            today: time::OffsetDateTime::now_utc().date(),
            danger_single_pin: false,
            certificates: Vec::new(),
        }
    }
}

/// An exported configuration and what it could not express.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Export {
    /// The format.
    pub format: Format,
    /// The configuration text.
    pub content: String,
    /// Where the platform departs from the pin set, one sentence each.
    pub warnings: Vec<String>,
}

/// Exports `set` to `format`.
pub fn export(set: &PinSet, format: Format, options: &Options) -> Result<Export, Error> {
    let refuse = |reason: String| Error::Export {
        format: format.name(),
        reason,
    };
    if set.pins.is_empty() {
        return Err(refuse("the pin set has no pins".to_owned()));
    }
    if set.hosts.is_empty() && !matches!(format, Format::Curl | Format::Json) {
        return Err(refuse("the pin set names no hosts".to_owned()));
    }
    if !set.enforce && !format.has_report_only() {
        return Err(refuse(format!(
            "{format} has no report-only mode, so the exported config would enforce the pins; \
             pass --enforce when you mean it, or use trustkit or hpkp for report-only"
        )));
    }
    if let Some(date) = set.expires
        && date < options.today
    {
        let consequence = if format.has_expiry() {
            format!("{format} stops enforcing after that date, so it would never enforce the pins")
        } else {
            format!("{format} has no expiry, so it would enforce pins the set says are retired")
        };
        return Err(refuse(format!(
            "{} expired on {date}, before today ({}): {consequence}; \
             give an expiry in the future (--expires, or `expires` in the policy) or none",
            describe(set),
            options.today
        )));
    }
    let mut warnings = Vec::new();
    if set.enforce && distinct_pins(set) < 2 {
        if !options.danger_single_pin {
            return Err(refuse(format!(
                "{} enforces a single pin and no backup: the first key rotation or CA change \
                 locks every client out until it is updated; add a backup pin (--backup-pin, \
                 or a second pin in the policy: a key of another CA or a pre-generated key), \
                 or pass --danger-single-pin to export it anyway",
                describe(set)
            )));
        }
        warnings.push(format!(
            "--danger-single-pin: {} enforces a single pin and no backup; the first key \
             rotation or CA change locks every client out until it is updated",
            describe(set)
        ));
    } else if set.enforce && set.pins.iter().all(|p| p.role != PinRole::Backup) {
        warnings.push(format!(
            "{} enforces {} pins and none of them is a backup: if they are all keys of today's \
             chain, a change of CA (or of the pinned key) locks every client out until it is \
             updated; add a backup pin (--backup-pin, or role = \"backup\" in the policy): a key \
             of another CA or a pre-generated key",
            describe(set),
            distinct_pins(set)
        ));
    }
    warn_expired_certificates(set, options, &mut warnings);
    let placed = if format.checks_levels() {
        level::resolve(set).map_err(refuse)?
    } else {
        Vec::new()
    };
    let content = match format {
        Format::AndroidNsc => android::render(set, &mut warnings),
        Format::IosPlist => ios::render(set, &placed, &mut warnings),
        Format::Trustkit => trustkit::render(set, &mut warnings).map_err(refuse)?,
        Format::Okhttp => okhttp::render(set, &mut warnings),
        Format::Curl => {
            refuse_ca_keys(&placed, "curl").map_err(refuse)?;
            curl::render(set, &placed, &mut warnings)
        }
        Format::Envoy => {
            refuse_ca_keys(&placed, "Envoy").map_err(refuse)?;
            envoy::render(set, &placed, &mut warnings)
        }
        Format::Hpkp => hpkp::render(set, options, &mut warnings).map_err(refuse)?,
        Format::Json => {
            let mut json = serde_json::to_string_pretty(set)
                .map_err(|e| refuse(format!("serialising: {e}")))?;
            json.push('\n');
            json
        }
    };
    Ok(Export {
        format,
        content,
        warnings,
    })
}

/// Warns about each platform gap shared by several exporters.
fn warn_no_expiry(set: &PinSet, platform: &str, warnings: &mut Vec<String>) {
    if let Some(date) = set.expires {
        warnings.push(format!(
            "{platform} has no pin expiry: the pins stay enforced after {date} until the app is updated"
        ));
    }
}

fn warn_no_reporting(set: &PinSet, platform: &str, warnings: &mut Vec<String>) {
    if let Some(uri) = &set.report_uri {
        warnings.push(format!(
            "{platform} sends no pin-failure reports: {uri} will hear nothing; add a reporting library"
        ));
    }
}

/// Warns about each pin whose known certificates have all expired: clients
/// refuse an expired certificate, so such a pin matches only a chain carrying
/// a renewed certificate for the same key, which nobody has shown exists.
fn warn_expired_certificates(set: &PinSet, options: &Options, warnings: &mut Vec<String>) {
    let mut seen: Vec<&SpkiPin> = Vec::new();
    for entry in &set.pins {
        if seen.contains(&&entry.pin) {
            continue;
        }
        seen.push(&entry.pin);
        // The certificate of this key that stays valid the longest.
        let Some(latest) = options
            .certificates
            .iter()
            .filter(|c| c.pin == entry.pin)
            .max_by_key(|c| c.not_after)
        else {
            continue;
        };
        if latest.not_after > options.today {
            continue;
        }
        let when = if latest.not_after == options.today {
            format!("expires today ({})", latest.not_after)
        } else {
            format!("expired on {}", latest.not_after)
        };
        let what = match latest.level {
            Some(level) => format!("the {level} certificate"),
            None => "the certificate".to_owned(),
        };
        warnings.push(format!(
            "{what} {:?} behind pin {} {when}: clients refuse an expired certificate, so this \
             pin matches only if the server now sends a renewed certificate for the same key; \
             pin the chain the hosts serve today (pinwarden pin HOST)",
            latest.name, entry.pin
        ));
    }
}

/// Refuses CA keys for a platform that checks the leaf key only: there they
/// never match, and a backup among them is no backup.
fn refuse_ca_keys(placed: &[level::Placed<'_>], platform: &str) -> Result<(), String> {
    let ca: Vec<String> = placed
        .iter()
        .filter_map(|p| match p.level {
            Some(level @ (Level::Intermediate | Level::Root)) => {
                Some(format!("{} ({level})", p.entry.pin))
            }
            _ => None,
        })
        .collect();
    if ca.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{platform} checks only the leaf certificate's key, so CA-level pins never match there: {}; \
         export leaf keys only (--pin-level leaf, or --from-level leaf with --pins-from), \
         or use a platform that checks the chain",
        ca.join(", ")
    ))
}

/// Warns about pins whose level nobody knows on a leaf-only platform.
fn warn_leaf_only(placed: &[level::Placed<'_>], platform: &str, warnings: &mut Vec<String>) {
    let unknown = placed.iter().filter(|p| p.level.is_none()).count();
    if unknown > 0 {
        warnings.push(format!(
            "{platform} checks only the leaf certificate's key: {unknown} of {} pins are not marked \
             as leaf pins and can never match there if they are CA keys (give --pin-level leaf, \
             or `level` in the policy)",
            placed.len()
        ));
    }
}

/// `pin set "id" for host, host`, for errors that must name what they refuse.
fn describe(set: &PinSet) -> String {
    let hosts: Vec<String> = set.hosts.iter().map(ToString::to_string).collect();
    if hosts.is_empty() {
        format!("pin set {:?}", set.id)
    } else {
        format!("pin set {:?} for {}", set.id, hosts.join(", "))
    }
}

/// The number of different keys pinned: a key listed twice is no backup.
fn distinct_pins(set: &PinSet) -> usize {
    let mut pins: Vec<_> = set.pins.iter().map(|p| p.pin.as_bytes()).collect();
    pins.sort_unstable();
    pins.dedup();
    pins.len()
}

/// Escapes text for XML and HTML element content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Quotes a string for YAML or Kotlin: JSON string syntax is valid in both.
fn quote(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

#[cfg(test)]
mod tests;
