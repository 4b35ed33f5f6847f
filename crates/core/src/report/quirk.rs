//! What real clients put in their reports that a strict reading would
//! refuse or misread, and what the parser does instead. Each quirk is a row
//! of [`Quirk`] with the field it concerns and the client code it comes
//! from; every time one applies, the report carries a [`Note`] saying so.

use std::borrow::Cow;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

use super::{ReportError, ReportFormat};

/// A quirk of a real client's report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Quirk {
    /// `port` 0: the client didn't know the port. Kept as unknown.
    PortUnknown,
    /// An RFC 7469 report with no port (or 0): 443, the report being about
    /// HTTPS.
    PortHttps,
    /// TrustKit-Android's `date-time`: the device's local time followed by
    /// a literal `Z`. Read as a time in an unknown zone.
    ZoneUnknown,
    /// TrustKit-Android's `date-time` written in the digits of the device's
    /// locale. Read as 0–9.
    LocaleDigits,
    /// An `app-platform` pinwarden doesn't know: `unknown`.
    PlatformUnknown,
}

impl Quirk {
    /// Every quirk, for tables.
    pub const ALL: [Self; 5] = [
        Self::PortUnknown,
        Self::PortHttps,
        Self::ZoneUnknown,
        Self::LocaleDigits,
        Self::PlatformUnknown,
    ];

    /// The report field it concerns.
    pub fn field(self) -> &'static str {
        match self {
            Self::PortUnknown | Self::PortHttps => "port",
            Self::ZoneUnknown | Self::LocaleDigits => "date-time",
            Self::PlatformUnknown => "app-platform",
        }
    }

    /// Where the behaviour comes from.
    pub fn source(self) -> &'static str {
        match self {
            Self::PortUnknown => {
                "TrustKit-Android: PinningTrustManager.checkServerTrusted reports port 0; \
                 TrustKit (iOS): TrustKit.m passes port nil, which TSKBackgroundReporter sends as 0"
            }
            Self::PortHttps => {
                "RFC 7469 §2.2.2: pins are noted only over secure transport, so a report is \
                 about an HTTPS connection, whose default port is 443"
            }
            Self::ZoneUnknown => {
                "TrustKit-Android: PinningFailureReport.toJson formats date-time with \
                 android.text.format.DateFormat.format(\"yyyy-MM-dd'T'HH:mm:ssZ\"), which uses \
                 the device's zone and has no letter Z, so Z is copied as is"
            }
            Self::LocaleDigits => {
                "android.text.format.DateFormat writes numbers with \
                 String.format(Locale.getDefault(), \"%0Nd\"), in the locale's digits"
            }
            Self::PlatformUnknown => {
                "TrustKit sends IOS, MACOS, TVOS or WATCHOS, TrustKit-Android ANDROID, \
                 pinwarden-rustls rust"
            }
        }
    }
}

/// What the parser did with one quirk of a report.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Note {
    /// The report field (`port`, `date-time`, `app-platform`).
    pub field: Cow<'static, str>,
    /// Which quirk.
    pub quirk: Quirk,
    /// What the client sent and what was made of it, for a person.
    pub detail: String,
}

impl Note {
    fn new(quirk: Quirk, detail: String) -> Self {
        Self {
            field: Cow::Borrowed(quirk.field()),
            quirk,
            detail,
        }
    }
}

/// The client's platform, from `app-platform`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// TrustKit on iOS (and iPadOS, visionOS).
    Ios,
    /// TrustKit on macOS.
    Macos,
    /// TrustKit on tvOS.
    Tvos,
    /// TrustKit on watchOS.
    Watchos,
    /// TrustKit-Android.
    Android,
    /// pinwarden-rustls.
    Rust,
    /// Not said (RFC 7469 reports), or not a platform pinwarden knows.
    Unknown,
}

impl Platform {
    /// Its name in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ios => "ios",
            Self::Macos => "macos",
            Self::Tvos => "tvos",
            Self::Watchos => "watchos",
            Self::Android => "android",
            Self::Rust => "rust",
            Self::Unknown => "unknown",
        }
    }

    /// The platform a client's `app-platform` names, in any case.
    fn from_report(name: &str) -> Option<Self> {
        [
            Self::Ios,
            Self::Macos,
            Self::Tvos,
            Self::Watchos,
            Self::Android,
            Self::Rust,
        ]
        .into_iter()
        .find(|p| p.as_str().eq_ignore_ascii_case(name))
    }
}

/// When the client says the failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientTime {
    /// An instant: the report gave the zone.
    At(#[serde(with = "time::serde::rfc3339")] OffsetDateTime),
    /// A wall-clock time in a zone the report doesn't give
    /// ([`Quirk::ZoneUnknown`]).
    Local(PrimitiveDateTime),
}

impl ClientTime {
    /// The offsets from UTC of the zones in use run from −12:00 (Baker
    /// Island, IANA's `Etc/GMT+12`) to +14:00 (`Pacific/Kiritimati`).
    const WEST: Duration = Duration::hours(12);
    const EAST: Duration = Duration::hours(14);

    /// The instant, when the zone is known.
    pub fn instant(self) -> Option<OffsetDateTime> {
        match self {
            Self::At(t) => Some(t),
            Self::Local(_) => None,
        }
    }

    /// The earliest and the latest instant it can stand for: a local time
    /// is UTC plus the zone's offset, so UTC is within [local − 14 h,
    /// local + 12 h].
    pub fn bounds(self) -> (OffsetDateTime, OffsetDateTime) {
        match self {
            Self::At(t) => (t, t),
            Self::Local(t) => {
                let t = t.assume_utc();
                (t.saturating_sub(Self::EAST), t.saturating_add(Self::WEST))
            }
        }
    }
}

/// The normalised platform; a name pinwarden doesn't know is noted.
pub(super) fn platform(raw: Option<&str>, format: ReportFormat, notes: &mut Vec<Note>) -> Platform {
    match raw {
        Some(name) => Platform::from_report(name).unwrap_or_else(|| {
            notes.push(Note::new(
                Quirk::PlatformUnknown,
                format!("{name:?} is no platform pinwarden knows: unknown"),
            ));
            Platform::Unknown
        }),
        // pinwarden-rustls always says "rust"; a report in its shape that
        // doesn't is still its.
        None if format == ReportFormat::Pinwarden => Platform::Rust,
        None => Platform::Unknown,
    }
}

/// `port` 0: the scheme's port for an RFC 7469 report, unknown otherwise.
pub(super) fn port_zero(format: ReportFormat, notes: &mut Vec<Note>) -> Option<u16> {
    if format == ReportFormat::Rfc7469 {
        notes.push(Note::new(
            Quirk::PortHttps,
            "0 is no port; an RFC 7469 report is about HTTPS: 443".into(),
        ));
        return Some(443);
    }
    notes.push(Note::new(
        Quirk::PortUnknown,
        "0: TrustKit doesn't know the port and sends 0; kept as unknown".into(),
    ));
    None
}

/// No `port` (or `null`): HTTPS's in an RFC 7469 report, else unknown.
pub(super) fn port_missing(format: ReportFormat, notes: &mut Vec<Note>) -> Option<u16> {
    if format == ReportFormat::Rfc7469 {
        notes.push(Note::new(
            Quirk::PortHttps,
            "missing; an RFC 7469 report is about HTTPS: 443".into(),
        ));
        return Some(443);
    }
    notes.push(Note::new(
        Quirk::PortUnknown,
        "missing: kept as unknown".into(),
    ));
    None
}

/// Reads `date-time`: RFC 3339, except TrustKit-Android's local time with
/// a literal `Z` (and its locale's digits).
pub(super) fn client_time(
    raw: &str,
    format: ReportFormat,
    notes: &mut Vec<Note>,
) -> Result<ClientTime, ReportError> {
    let refused = |e: time::error::Parse| ReportError(format!("date-time: {raw:?}: {e}"));
    if format != ReportFormat::TrustkitAndroid {
        return OffsetDateTime::parse(raw, &Rfc3339)
            .map(ClientTime::At)
            .map_err(refused);
    }
    let ascii = ascii_digits(raw);
    let text = ascii.as_deref().unwrap_or(raw);
    let wall = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let time = match text.strip_suffix('Z') {
        Some(local) if local.len() == 19 => {
            ClientTime::Local(PrimitiveDateTime::parse(local, wall).map_err(refused)?)
        }
        // Not the shape TrustKit-Android writes: a later version that
        // gives the zone is read as RFC 3339.
        _ => ClientTime::At(OffsetDateTime::parse(text, &Rfc3339).map_err(refused)?),
    };
    if ascii.is_some() {
        notes.push(Note::new(
            Quirk::LocaleDigits,
            format!("{raw:?}: the device's locale's digits read as {text:?}"),
        ));
    }
    if matches!(time, ClientTime::Local(_)) {
        notes.push(Note::new(
            Quirk::ZoneUnknown,
            format!(
                "{text:?} is TrustKit-Android's local time with a literal Z: read in an \
                 unknown zone (UTC-12 to UTC+14), which the clock-skew check allows for"
            ),
        ));
    }
    Ok(time)
}

/// The zeros of the decimal digits of the numbering systems CLDR makes the
/// default for some of Android's locales (arab: ar; arabext: fa, ps, ur-IN;
/// deva: mr, ne; beng: bn, as; tibt: dz; mymr: my; olck: sat). Each runs
/// zero to nine in consecutive code points.
const LOCALE_ZEROS: [char; 7] = [
    '\u{0660}', '\u{06F0}', '\u{0966}', '\u{09E6}', '\u{0F20}', '\u{1040}', '\u{1C50}',
];

/// `text` with every digit of [`LOCALE_ZEROS`]' systems made ASCII, or
/// `None` when it has none.
fn ascii_digits(text: &str) -> Option<String> {
    let digit = |c: char| {
        LOCALE_ZEROS.iter().find_map(|&zero| {
            let d = u32::from(c).checked_sub(u32::from(zero))?;
            // d < 10, so the digit is ASCII.
            (d < 10).then(|| char::from_digit(d, 10)).flatten()
        })
    };
    if !text.chars().any(|c| digit(c).is_some()) {
        return None;
    }
    Some(text.chars().map(|c| digit(c).unwrap_or(c)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_quirk_names_its_field_and_source() {
        for q in Quirk::ALL {
            assert!(!q.field().is_empty() && q.source().len() > 20, "{q:?}");
        }
    }

    #[test]
    fn locale_digits_become_ascii() {
        assert_eq!(ascii_digits("2026-03-01T04:00:00Z"), None);
        assert_eq!(
            ascii_digits("٢٠٢٦-٠٣-٠١T٠٤:٠٠:٠٩Z").as_deref(),
            Some("2026-03-01T04:00:09Z")
        );
        assert_eq!(ascii_digits("۲۰۲۶").as_deref(), Some("2026"));
        assert_eq!(ascii_digits("२०२६").as_deref(), Some("2026"));
        // Letters next to a digit block are left alone.
        assert_eq!(ascii_digits("\u{066A}"), None);
    }

    #[test]
    fn a_local_time_spans_every_zone() {
        let mut notes = Vec::new();
        let t = client_time(
            "2026-03-01T04:00:00Z",
            ReportFormat::TrustkitAndroid,
            &mut notes,
        )
        .unwrap();
        let (early, late) = t.bounds();
        assert_eq!(early, time::macros::datetime!(2026-02-28 14:00 UTC));
        assert_eq!(late, time::macros::datetime!(2026-03-01 16:00 UTC));
        assert_eq!(t.instant(), None);
        assert_eq!(notes[0].quirk, Quirk::ZoneUnknown);
        // Far ends of the calendar don't overflow.
        let t = client_time(
            "9999-12-31T23:59:59Z",
            ReportFormat::TrustkitAndroid,
            &mut notes,
        )
        .unwrap();
        assert!(t.bounds().0 < t.bounds().1);
    }
}
