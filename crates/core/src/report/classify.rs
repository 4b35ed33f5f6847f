//! What a pin failure most likely is, from the report and the policy.
//!
//! In order: the client's clock is off (by more than a time in an unknown
//! zone can explain); the pin set it held has expired; the
//! failure isn't about pins (the chain has a key the client itself pinned);
//! a routine rotation the pins didn't follow (a key the policy knows, or an
//! issuer among the organisation's CAs); a host no pin set covers
//! (misconfiguration); and otherwise an unknown CA: possible interception.

use time::{Duration, OffsetDateTime};

use super::PinReport;
use crate::policy::{Policy, calendar_date};

/// The classes of pin failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureClass {
    /// The served chain comes from an expected CA or a key the policy knows,
    /// just not one the client pinned: update the pins.
    RotationDrift,
    /// A CA nobody expects: possible interception.
    PossibleInterception,
    /// The client's clock is wrong.
    ClockSkew,
    /// The pin set the client held has expired.
    ExpiredPinSet,
    /// Not a pin problem, or a host no pin set covers.
    Misconfiguration,
}

impl FailureClass {
    /// Every class, for tables.
    pub const ALL: [Self; 5] = [
        Self::RotationDrift,
        Self::PossibleInterception,
        Self::ClockSkew,
        Self::ExpiredPinSet,
        Self::Misconfiguration,
    ];

    /// The class's name in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RotationDrift => "rotation-drift",
            Self::PossibleInterception => "possible-interception",
            Self::ClockSkew => "clock-skew",
            Self::ExpiredPinSet => "expired-pin-set",
            Self::Misconfiguration => "misconfiguration",
        }
    }
}

/// A class and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Classification {
    /// The class.
    pub class: FailureClass,
    /// Why, for a person.
    pub reason: String,
}

fn class(class: FailureClass, reason: String) -> Classification {
    Classification { class, reason }
}

/// Classifies `report`, received at `now`, against `policy`.
pub fn classify(report: &PinReport, policy: &Policy, now: OffsetDateTime) -> Classification {
    if let Some(t) = report.client_time {
        // A time in an unknown zone (TrustKit-Android) stands for a span
        // of instants: the clock is off only by as much as no instant of
        // the span explains.
        let (earliest, latest) = t.bounds();
        let (at_least, zone) = match t.instant() {
            Some(_) => ("", ""),
            None => ("at least ", ", whatever its zone"),
        };
        let (skew, direction) = if earliest > now {
            (earliest - now, "ahead of")
        } else {
            (now - latest, "behind")
        };
        if skew > Duration::days(1) {
            return class(
                FailureClass::ClockSkew,
                format!(
                    "the client's clock is {at_least}{} hours {direction} the server's{zone}",
                    skew.whole_hours()
                ),
            );
        }
        if let Some(leaf) = report.chain.first()
            && (latest < leaf.not_before || earliest > leaf.not_after)
            && now >= leaf.not_before
            && now <= leaf.not_after
        {
            return class(
                FailureClass::ClockSkew,
                format!("the leaf is valid now but not at the client's time{zone}"),
            );
        }
    }

    let covering: Vec<_> = policy
        .pinsets
        .iter()
        .filter(|s| s.to_pinset().covers(&report.host))
        .collect();
    for set in &covering {
        if let Some(expires) = set
            .expires
            .as_ref()
            .and_then(|e| calendar_date(e.get_ref()))
            && expires < now.date()
        {
            return class(
                FailureClass::ExpiredPinSet,
                format!("pin set {} expired on {expires}", set.id.get_ref()),
            );
        }
    }

    if let Some(c) = report
        .chain
        .iter()
        .find(|c| report.known_pins.contains(&c.pin))
    {
        return class(
            FailureClass::Misconfiguration,
            format!(
                "the chain holds a pinned key ({}, {}): the failure is not the pins' (an untrusted or incomplete chain?)",
                c.pin,
                crate::short_name(&c.subject)
            ),
        );
    }

    for c in &report.chain {
        if let Some(set) = policy
            .pinsets
            .iter()
            .find(|s| s.pins.iter().any(|p| *p.pin.get_ref() == c.pin))
        {
            return class(
                FailureClass::RotationDrift,
                format!(
                    "the chain holds {} ({}), a key of pin set {}: the client's pins are behind",
                    c.pin,
                    crate::short_name(&c.subject),
                    set.id.get_ref()
                ),
            );
        }
    }
    let expected = |dn: &str| {
        policy
            .organisation
            .cas
            .iter()
            .chain(policy.organisation.backup_ca.iter())
            .find(|ca| !ca.is_empty() && dn.to_lowercase().contains(&ca.to_lowercase()))
    };
    for c in &report.chain {
        if let Some(ca) = expected(&c.issuer).or_else(|| expected(&c.subject)) {
            return class(
                FailureClass::RotationDrift,
                format!(
                    "issued under {ca}, one of the organisation's CAs, with a key no pin covers: rotate the pins"
                ),
            );
        }
    }

    if covering.is_empty() {
        return class(
            FailureClass::Misconfiguration,
            format!("no pin set in the policy covers {}", report.host),
        );
    }
    let issuer = report
        .chain
        .last()
        .map(|c| crate::short_name(&c.issuer).to_owned())
        .unwrap_or_default();
    class(
        FailureClass::PossibleInterception,
        format!("issued under {issuer}, a CA neither the pins nor the organisation expect"),
    )
}
