//! Pin sets: which hosts, which pins, and how they are enforced.

use std::fmt;

use time::Date;

use crate::cert::Level;
use crate::host::{HostPattern, PatternKind};
use crate::pin::SpkiPin;

/// Whether a pin is expected in today's chains or held in reserve.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum PinRole {
    /// Matches a key in today's chains.
    #[default]
    Primary,
    /// A key held in reserve (another CA, a pre-generated key) for when the
    /// primary must go: the escape hatch that prevents a lock-out.
    Backup,
}

impl fmt::Display for PinRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Primary => "primary",
            Self::Backup => "backup",
        })
    }
}

/// One pin of a pin set.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PinEntry {
    /// The pin.
    pub pin: SpkiPin,
    /// Primary or backup.
    #[serde(default)]
    pub role: PinRole,
    /// The level of the pinned key, when known. Platforms that check only the
    /// leaf (curl, Envoy) and iOS (separate CA and leaf lists) need it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// A label for people (`ISRG Root X1`, `backup key 2027`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl PinEntry {
    /// A pin with a role, no level and no label.
    pub fn new(pin: SpkiPin, role: PinRole) -> Self {
        Self {
            pin,
            role,
            level: None,
            label: None,
        }
    }

    /// Whether the pinned key is a leaf key.
    pub fn is_leaf(&self) -> bool {
        self.level == Some(Level::Leaf)
    }
}

/// A set of pins for some hosts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PinSet {
    /// Identifier of the set.
    pub id: String,
    /// Host patterns the set applies to.
    pub hosts: Vec<HostPattern>,
    /// The pins: a chain matches when any of its keys is among them.
    pub pins: Vec<PinEntry>,
    /// Enforce (reject on mismatch) or report only.
    pub enforce: bool,
    /// Whether an exact host pattern also covers every name below it.
    #[serde(default)]
    pub include_subdomains: bool,
    /// After this date the set should no longer be enforced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Date>,
    /// Where clients send pin-failure reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_uri: Option<String>,
}

/// The set that applies to `host` among overlapping ones, and the pattern
/// that matched: the most specific pattern wins; between equally specific
/// ones an enforced set wins over a report-only one (a report-only set never
/// weakens an enforced one); then the first listed.
pub fn set_for_host<'a>(sets: &'a [PinSet], host: &str) -> Option<(&'a PinSet, &'a HostPattern)> {
    let mut best: Option<(&PinSet, &HostPattern, (usize, u8), bool)> = None;
    for set in sets {
        let Some((pattern, specificity)) = set.best_match(host) else {
            continue;
        };
        let better =
            best.is_none_or(|(_, _, s, enforce)| (specificity, set.enforce) > (s, enforce));
        if better {
            best = Some((set, pattern, specificity, set.enforce));
        }
    }
    best.map(|(set, pattern, _, _)| (set, pattern))
}

impl PinSet {
    /// An enforced set for `hosts`: the first pin primary, the others
    /// backups; no expiry, no report URI, subdomains not included.
    pub fn enforced(
        id: impl Into<String>,
        hosts: Vec<HostPattern>,
        pins: impl IntoIterator<Item = SpkiPin>,
    ) -> Self {
        Self {
            id: id.into(),
            hosts,
            pins: pins
                .into_iter()
                .enumerate()
                .map(|(i, pin)| {
                    let role = if i == 0 {
                        PinRole::Primary
                    } else {
                        PinRole::Backup
                    };
                    PinEntry::new(pin, role)
                })
                .collect(),
            enforce: true,
            include_subdomains: false,
            expires: None,
            report_uri: None,
        }
    }

    /// The kind `pattern` has as clients apply it: with `include_subdomains`,
    /// an exact name reaches every depth below it (`**.`).
    fn effective_kind(&self, pattern: &HostPattern) -> PatternKind {
        match pattern.kind() {
            PatternKind::Exact if self.include_subdomains => PatternKind::AnyDepth,
            kind => kind,
        }
    }

    /// The patterns as clients must apply them (see `effective_kind`).
    pub fn effective_hosts(&self) -> Vec<HostPattern> {
        self.hosts
            .iter()
            .map(|h| h.with_kind(self.effective_kind(h)))
            .collect()
    }

    /// Whether `host` is covered by the set.
    pub fn covers(&self, host: &str) -> bool {
        self.best_match(host).is_some()
    }

    /// The most specific of the set's patterns that covers `host`, as
    /// written (its reach widened by `include_subdomains`), with how
    /// specific it is (see [`HostPattern::specificity`]). It runs in every
    /// pinned handshake, so it copies no pattern.
    pub fn best_match(&self, host: &str) -> Option<(&HostPattern, (usize, u8))> {
        self.hosts
            .iter()
            .filter(|h| h.matches_as(self.effective_kind(h), host))
            .map(|h| (h, h.specificity_as(self.effective_kind(h))))
            .max_by_key(|(_, specificity)| *specificity)
    }

    /// Whether the set has expired on `today` (its last day is `expires`).
    pub fn expired_on(&self, today: Date) -> bool {
        self.expires.is_some_and(|e| e < today)
    }

    /// The backup pins.
    pub fn backups(&self) -> impl Iterator<Item = &PinEntry> {
        self.pins.iter().filter(|p| p.role == PinRole::Backup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_pattern_then_enforcement_decides() {
        let set = |id: &str, pattern: &str, enforce: bool| {
            let mut s = PinSet::enforced(id, vec![pattern.parse().unwrap()], []);
            s.enforce = enforce;
            s
        };
        let wide = set("wide", "**.example.com", false);
        let one = set("one", "*.example.com", true);
        let exact = set("exact", "api.example.com", true);
        for order in [
            vec![wide.clone(), one.clone(), exact.clone()],
            vec![exact.clone(), one, wide.clone()],
        ] {
            let id = |host| set_for_host(&order, host).map(|(s, _)| s.id.as_str());
            assert_eq!(id("api.example.com"), Some("exact"));
            assert_eq!(id("www.example.com"), Some("one"));
            assert_eq!(id("a.b.example.com"), Some("wide"));
            assert_eq!(id("example.com"), Some("wide"));
            assert_eq!(id("example.org"), None);
        }
        // One pattern, two sets: the enforced one, whatever the order.
        let report = set("report", "api.example.com", false);
        for order in [vec![report.clone(), exact.clone()], vec![exact, report]] {
            assert_eq!(
                set_for_host(&order, "api.example.com").unwrap().0.id,
                "exact"
            );
        }
        // The pattern that matched is the one written.
        let (_, pattern) = set_for_host(std::slice::from_ref(&wide), "x.example.com").unwrap();
        assert_eq!(pattern.to_string(), "**.example.com");
    }

    #[test]
    fn include_subdomains_widens_exact_patterns_only() {
        let set = PinSet {
            id: "api".into(),
            hosts: vec![
                "example.com".parse().unwrap(),
                "*.cdn.example.net".parse().unwrap(),
            ],
            pins: vec![],
            enforce: true,
            include_subdomains: true,
            expires: None,
            report_uri: None,
        };
        assert!(set.covers("example.com"));
        assert!(set.covers("a.b.example.com"));
        assert!(set.covers("x.cdn.example.net"));
        assert!(!set.covers("a.x.cdn.example.net"));
        assert!(!set.covers("cdn.example.net"));
    }
}
