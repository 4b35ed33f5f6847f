//! What the monitor reports about a certificate that matched the watchlist.

/// The monitor's judgement of a matched certificate, most severe last
/// (an alert carries its most severe finding as its verdict).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A certificate for a watched name; nothing else to say about it.
    Discovered,
    /// Issued by a CA the policy doesn't list among the organisation's CAs.
    UnexpectedIssuer,
    /// A pinned app would reject it: no key in its chain is in a pin set
    /// that covers the name. Rotate the pins before it is deployed.
    WouldBreakPinset,
    /// The name's CAA records don't permit the issuing CA.
    CaaViolation,
}

impl Verdict {
    /// The kebab-case name used in JSON, hooks and the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Discovered => "discovered",
            Self::UnexpectedIssuer => "unexpected-issuer",
            Self::WouldBreakPinset => "would-break-pinset",
            Self::CaaViolation => "caa-violation",
        }
    }
}

/// One reason behind a verdict.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// What kind of finding.
    pub verdict: Verdict,
    /// The pin set concerned, for `would-break-pinset`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinset: Option<String>,
    /// Applications using that pin set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<String>,
    /// A sentence for people.
    pub detail: String,
}

/// A matched log entry and what it means for the organisation's pins.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Alert {
    /// Stable id: `<log id, base64url>:<entry index>`. Sinks deduplicate by it.
    pub id: String,
    /// certspotter's event name: always `discovered_cert`.
    pub event: String,
    /// The most severe finding.
    pub verdict: Verdict,
    /// Every finding.
    pub findings: Vec<Finding>,
    /// The watchlist item that matched.
    pub watch_item: String,
    /// The log's URL.
    pub log_uri: String,
    /// The log id, base64.
    pub log_id: String,
    /// Index of the entry in the log.
    pub entry_index: u64,
    /// `x509` or `precert`.
    pub entry_type: crate::entry::EntryKind,
    /// The entry's timestamp, milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// Hex SHA-256 of the certificate (the precertificate, for a precert).
    pub cert_sha256: String,
    /// Hex SHA-256 of the TBSCertificate without poison or SCTs (RFC 6962
    /// §3.2): the same for a certificate and its precertificate.
    pub tbs_sha256: String,
    /// Hex SHA-256 of the SubjectPublicKeyInfo.
    pub pubkey_sha256: String,
    /// The leaf's SPKI pin, `sha256/BASE64`.
    pub pin: String,
    /// The issuing chain's SPKI pins, issuer first.
    pub chain_pins: Vec<String>,
    /// DNS names in the certificate.
    pub names: Vec<String>,
    /// Subject DN.
    pub subject_dn: String,
    /// Issuer DN.
    pub issuer_dn: String,
    /// Issuing CA, when the CA dataset knows its key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_ca: Option<String>,
    /// Serial number, hex.
    pub serial: String,
    /// Validity start, Unix seconds.
    pub not_before: i64,
    /// Validity end, Unix seconds.
    pub not_after: i64,
    /// The tree size whose signed root covers this entry (0 until verified).
    pub verified_tree_size: u64,
}

impl Alert {
    /// One line for people.
    pub fn summary(&self) -> String {
        let name = self.names.first().map_or("?", String::as_str);
        match self.verdict {
            Verdict::Discovered => format!("certificate discovered for {name}"),
            Verdict::UnexpectedIssuer => {
                format!("certificate for {name} from an unexpected issuer")
            }
            Verdict::WouldBreakPinset => {
                let sets: Vec<&str> = self
                    .findings
                    .iter()
                    .filter_map(|f| f.pinset.as_deref())
                    .collect();
                format!(
                    "certificate for {name} would break pin set {}: rotate pins before it is deployed",
                    sets.join(", ")
                )
            }
            Verdict::CaaViolation => format!("certificate for {name} not permitted by CAA"),
        }
    }

    /// The environment for a hook script: certspotter's variables for a
    /// `discovered_cert` event, plus pinwarden's PINSET, VERDICT, FINDINGS
    /// and ALERT_JSON.
    pub fn hook_env(&self) -> Vec<(&'static str, String)> {
        // certspotter's human-readable form (Go's time.String() in UTC).
        let human = |secs: i64| {
            time::OffsetDateTime::from_unix_timestamp(secs)
                .ok()
                .and_then(|t| {
                    t.format(time::macros::format_description!(
                        "[year]-[month]-[day] [hour]:[minute]:[second] +0000 UTC"
                    ))
                    .ok()
                })
                .unwrap_or_default()
        };
        let time = |secs: i64| {
            time::OffsetDateTime::from_unix_timestamp(secs)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default()
        };
        let pinsets: Vec<&str> = self
            .findings
            .iter()
            .filter_map(|f| f.pinset.as_deref())
            .collect();
        vec![
            ("EVENT", self.event.clone()),
            ("SUMMARY", self.summary()),
            ("WATCH_ITEM", self.watch_item.clone()),
            ("LOG_URI", self.log_uri.clone()),
            ("ENTRY_INDEX", self.entry_index.to_string()),
            ("TBS_SHA256", self.tbs_sha256.clone()),
            ("CERT_SHA256", self.cert_sha256.clone()),
            ("PUBKEY_SHA256", self.pubkey_sha256.clone()),
            ("NOT_BEFORE", human(self.not_before)),
            ("NOT_BEFORE_UNIXTIME", self.not_before.to_string()),
            ("NOT_BEFORE_RFC3339", time(self.not_before)),
            ("NOT_AFTER", human(self.not_after)),
            ("NOT_AFTER_UNIXTIME", self.not_after.to_string()),
            ("NOT_AFTER_RFC3339", time(self.not_after)),
            ("SUBJECT_DN", self.subject_dn.clone()),
            ("ISSUER_DN", self.issuer_dn.clone()),
            ("SERIAL", self.serial.clone()),
            ("DNS_NAMES", self.names.join(",")),
            ("PINSET", pinsets.join(",")),
            ("VERDICT", self.verdict.as_str().to_owned()),
            (
                "FINDINGS",
                self.findings
                    .iter()
                    .map(|f| f.detail.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            (
                "ALERT_JSON",
                serde_json::to_string(self).unwrap_or_default(),
            ),
        ]
    }
}
