//! Turning a pin set into the configuration each client platform expects.
//!
//! Every exporter says where its platform can't express the pin set
//! faithfully (no expiry, no reporting, other subdomain rules, leaf-only
//! checks) as a warning, and refuses outright where the result would behave
//! more dangerously than asked (an enforcing config for a report-only set).

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::pinset::PinSet;

mod android;
mod curl;
mod envoy;
mod hpkp;
mod ios;
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

/// Knobs that only some formats use.
#[derive(Clone, Debug)]
pub struct Options {
    /// HPKP `max-age` in seconds.
    pub hpkp_max_age: u64,
}

impl Default for Options {
    fn default() -> Self {
        // 60 days, the value RFC 7469 §4.1 suggests as reasonable.
        Self {
            hpkp_max_age: 60 * 24 * 3600,
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
    let mut warnings = Vec::new();
    let content = match format {
        Format::AndroidNsc => android::render(set, &mut warnings),
        Format::IosPlist => ios::render(set, &mut warnings),
        Format::Trustkit => trustkit::render(set, &mut warnings).map_err(refuse)?,
        Format::Okhttp => okhttp::render(set, &mut warnings),
        Format::Curl => curl::render(set, &mut warnings),
        Format::Envoy => envoy::render(set, &mut warnings),
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

fn warn_leaf_only(set: &PinSet, platform: &str, warnings: &mut Vec<String>) {
    let not_leaf = set.pins.iter().filter(|p| !p.is_leaf()).count();
    if not_leaf > 0 {
        warnings.push(format!(
            "{platform} checks only the leaf certificate's key: {not_leaf} of {} pins are not marked \
             as leaf pins and can never match there (CA-level pins need a client that checks the chain)",
            set.pins.len()
        ));
    }
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
