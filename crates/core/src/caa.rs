//! CAA evaluation (RFC 8659), given the relevant RRset: which CAs may issue
//! for a name and for its wildcard. Finding the relevant RRset (climbing the
//! tree, following aliases) is DNS work and lives in the probe crate; this
//! is the pure part.
//!
//! RFC 8657 parameters (`accounturi`, `validationmethods`) are recorded but
//! can't be checked from a certificate, and are reported as such.

use std::fmt;

/// One CAA resource record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaaRecord {
    /// The issuer-critical flag (bit 128 of the flags octet).
    pub critical: bool,
    /// The property tag (`issue`, `issuewild`, `iodef`, …), any case.
    pub tag: String,
    /// The property value.
    pub value: String,
}

/// Which CAs a relevant RRset permits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Permitted {
    /// No restriction: no applicable issue properties.
    Any,
    /// These issuer domain names (lowercase), with their parameters.
    Only(Vec<Issuer>),
    /// No CA at all (`issue ";"`, or a critical property pinwarden doesn't know).
    Nobody(String),
}

/// One permitted CA and the parameters its property carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issuer {
    /// The issuer domain name, lowercase (`letsencrypt.org`).
    pub domain: String,
    /// `key=value` parameters, as written.
    pub parameters: Vec<(String, String)>,
}

impl fmt::Display for Permitted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any CA"),
            Self::Only(list) => {
                let names: Vec<&str> = list.iter().map(|i| i.domain.as_str()).collect();
                write!(f, "only {}", names.join(", "))
            }
            Self::Nobody(why) => write!(f, "no CA ({why})"),
        }
    }
}

/// An `issue`/`issuewild` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueValue {
    /// The issuer domain name, lowercase; none means "no CA".
    pub domain: Option<String>,
    /// `key=value` parameters, as written.
    pub parameters: Vec<(String, String)>,
}

/// Parses an `issue`/`issuewild` value: an optional issuer domain name, then
/// `;`-separated `key=value` parameters (RFC 8659 §4.2).
pub fn parse_issue_value(value: &str) -> Result<IssueValue, String> {
    let mut parts = value.split(';');
    let name = parts.next().unwrap_or_default().trim();
    let domain = if name.is_empty() {
        None
    } else {
        let valid = name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if !valid {
            return Err(format!("{name:?} is not an issuer domain name"));
        }
        Some(name.to_ascii_lowercase())
    };
    let mut parameters = Vec::new();
    for p in parts {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        let Some((k, v)) = p.split_once('=') else {
            return Err(format!("parameter {p:?} is not key=value"));
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(format!("parameter name {k:?} is not alphanumeric"));
        }
        parameters.push((k.to_owned(), v.to_owned()));
    }
    Ok(IssueValue { domain, parameters })
}

/// What the relevant RRset `records` permits for a name (`wildcard`: for
/// `*.name`). A malformed issue value permits nobody, as RFC 8659 says an
/// issuer must treat it.
pub fn permitted(records: &[CaaRecord], wildcard: bool) -> Permitted {
    let known = |t: &str| {
        matches!(
            t,
            "issue" | "issuewild" | "iodef" | "contactemail" | "contactphone"
        )
    };
    if let Some(r) = records
        .iter()
        .find(|r| r.critical && !known(&r.tag.to_ascii_lowercase()))
    {
        return Permitted::Nobody(format!("critical property {:?} is not understood", r.tag));
    }
    let with = |tag: &str| -> Vec<&CaaRecord> {
        records
            .iter()
            .filter(|r| r.tag.eq_ignore_ascii_case(tag))
            .collect()
    };
    let wild = with("issuewild");
    let applicable = if wildcard && !wild.is_empty() {
        wild
    } else {
        with("issue")
    };
    if applicable.is_empty() {
        return Permitted::Any;
    }
    let mut issuers: Vec<Issuer> = Vec::new();
    for r in applicable {
        match parse_issue_value(&r.value) {
            Ok(IssueValue {
                domain: Some(domain),
                parameters,
            }) => {
                if !issuers
                    .iter()
                    .any(|i| i.domain == domain && i.parameters == parameters)
                {
                    issuers.push(Issuer { domain, parameters });
                }
            }
            Ok(IssueValue { domain: None, .. }) => {}
            Err(e) => return Permitted::Nobody(format!("{} {:?}: {e}", r.tag, r.value)),
        }
    }
    if issuers.is_empty() {
        Permitted::Nobody("the issue properties name no CA".into())
    } else {
        Permitted::Only(issuers)
    }
}

impl Permitted {
    /// Whether the CA with CAA identifier `ca` (`letsencrypt.org`) may issue.
    pub fn allows(&self, ca: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Only(list) => list.iter().any(|i| i.domain.eq_ignore_ascii_case(ca)),
            Self::Nobody(_) => false,
        }
    }
}

/// The `iodef` URLs of the RRset, where CAs report refused requests.
pub fn iodef(records: &[CaaRecord]) -> Vec<&str> {
    records
        .iter()
        .filter(|r| r.tag.eq_ignore_ascii_case("iodef"))
        .map(|r| r.value.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rr(critical: bool, tag: &str, value: &str) -> CaaRecord {
        CaaRecord {
            critical,
            tag: tag.into(),
            value: value.into(),
        }
    }

    #[test]
    fn the_rfc_8659_examples() {
        // §4: "ca1.example.net" may issue; "ca2" may issue wildcards only.
        let set = [
            rr(false, "issue", "ca1.example.net"),
            rr(false, "issuewild", "ca2.example.org"),
            rr(false, "iodef", "mailto:security@example.com"),
        ];
        assert!(permitted(&set, false).allows("ca1.example.net"));
        assert!(!permitted(&set, false).allows("ca2.example.org"));
        assert!(permitted(&set, true).allows("CA2.example.org"));
        assert!(!permitted(&set, true).allows("ca1.example.net"));
        assert_eq!(iodef(&set), ["mailto:security@example.com"]);

        // `issue ";"`: nobody.
        assert!(matches!(
            permitted(&[rr(false, "issue", ";")], false),
            Permitted::Nobody(_)
        ));
        // Only iodef: anybody.
        assert_eq!(permitted(&set[2..], false), Permitted::Any);
        // A critical property nobody knows: nobody; the same without the flag: ignored.
        let tbs = [
            rr(true, "tbs", "Unknown"),
            rr(false, "issue", "ca1.example.net"),
        ];
        assert!(matches!(permitted(&tbs, false), Permitted::Nobody(ref w) if w.contains("tbs")));
        assert!(
            permitted(
                &[rr(false, "tbs", "x"), rr(false, "issue", "ca1.example.net")],
                false
            )
            .allows("ca1.example.net")
        );
    }

    #[test]
    fn parameters_are_kept_and_bad_values_permit_nobody() {
        let p = permitted(
            &[rr(
                false,
                "ISSUE",
                "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1; validationmethods=dns-01",
            )],
            false,
        );
        let Permitted::Only(list) = &p else {
            panic!("{p}")
        };
        assert_eq!(list[0].domain, "letsencrypt.org");
        assert_eq!(list[0].parameters.len(), 2);
        assert_eq!(
            list[0].parameters[1],
            ("validationmethods".into(), "dns-01".into())
        );
        assert!(matches!(
            permitted(&[rr(false, "issue", "bad domain!")], false),
            Permitted::Nobody(_)
        ));
        assert!(parse_issue_value("ca.example; novalue").is_err());
    }
}
