//! Playing out a certificate or CA change before it happens: which pin sets
//! still match the chain that follows, and the safe order of steps.

use std::fmt;

use crate::cert::Level;
use crate::check::ChainKey;
use crate::pin::SpkiPin;
use crate::pinset::PinSet;

/// The change to play out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new leaf key under the same CA chain (routine renewal with a new key).
    LeafRotation,
    /// A new leaf and a new intermediate under the same root (CAs rotate
    /// issuing intermediates; Let's Encrypt does it on purpose).
    IntermediateChange,
    /// Everything new, from another CA whose root key is `root` (and, when
    /// known from a chain file, its intermediate keys).
    CaMigration {
        /// The new CA, for messages.
        to: String,
        /// Keys of the new chain above the leaf, intermediate first, root last.
        keys: Vec<SpkiPin>,
    },
    /// Clients stop trusting a root: certificates must come from another CA.
    RootDistrust {
        /// The distrusted root's key.
        root: SpkiPin,
        /// Its name, for messages.
        name: String,
    },
    /// A new leaf key at once (key compromise, mis-issuance): no time to stage pins.
    EmergencyReissue,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LeafRotation => f.write_str("leaf rotation"),
            Self::IntermediateChange => f.write_str("intermediate change"),
            Self::CaMigration { to, .. } => write!(f, "CA migration to {to}"),
            Self::RootDistrust { name, .. } => write!(f, "distrust of {name}"),
            Self::EmergencyReissue => f.write_str("emergency re-issuance"),
        }
    }
}

/// What the change does to one pin set.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
    /// Whether clients enforcing the set reject the chain after the change.
    pub breaks: bool,
    /// Why it breaks or holds, in a sentence.
    pub reason: String,
    /// The safe order of steps, with the lead time in days where it matters.
    pub plan: Vec<String>,
}

/// Plays `change` out for `set`, whose hosts serve `today` (leaf first,
/// completed with its root). `lead_days` is the time for a pin update to
/// reach 95% of clients plus the overlap the organisation plans.
pub fn simulate(
    set: &PinSet,
    today: &[ChainKey],
    change: &Change,
    lead_days: Option<u32>,
) -> Outcome {
    let pinned = |pin: &SpkiPin| set.pins.iter().any(|p| p.pin == *pin);
    let at = |level: Level| {
        today
            .iter()
            .filter(move |k| k.level == level)
            .map(|k| k.pin)
    };
    // The keys of the chain after the change; None stands for "a key nobody
    // has seen yet" (a fresh leaf, a new intermediate).
    let after: Vec<Option<SpkiPin>> = match change {
        Change::LeafRotation | Change::EmergencyReissue => std::iter::once(None)
            .chain(today.iter().skip(1).map(|k| Some(k.pin)))
            .collect(),
        Change::IntermediateChange => std::iter::once(None)
            .chain(at(Level::Intermediate).map(|_| None))
            .chain(at(Level::Root).map(Some))
            .collect(),
        Change::CaMigration { keys, .. } => std::iter::once(None)
            .chain(keys.iter().copied().map(Some))
            .collect(),
        Change::RootDistrust { root, .. } => {
            // The distrusted root's chain is gone; what remains is whatever
            // the set holds from elsewhere.
            let other = set
                .pins
                .iter()
                .map(|p| p.pin)
                .find(|p| p != root && !today.iter().any(|k| k.pin == *p));
            match other {
                Some(pin) => vec![None, Some(pin)],
                None => vec![None],
            }
        }
    };
    let holds = after.iter().flatten().any(&pinned);
    let lead = lead_days.map_or(
        "the time an update takes to reach 95% of clients".to_owned(),
        |d| format!("{d} days"),
    );
    let reason = if holds {
        let pin = after.iter().flatten().find(|p| pinned(p)).copied();
        format!(
            "after the {change}, the chain still holds a pinned key ({})",
            pin.map_or_else(String::new, |p| p.to_string())
        )
    } else {
        format!(
            "after the {change}, no key of the new chain is pinned: enforcing clients reject it"
        )
    };
    let plan = if holds {
        vec![format!(
            "no pin change needed for the {change}; keep the backup pins current"
        )]
    } else if *change == Change::EmergencyReissue {
        vec![
            "an emergency leaves no time to stage pins: clients lock out until a pin update reaches them".to_owned(),
            format!("fix it before it is needed: add a CA-level pin or a pre-generated backup key now, and ship it {lead} ahead"),
        ]
    } else {
        let new = match change {
            Change::CaMigration { to, .. } => format!("the new CA's root ({to})"),
            Change::RootDistrust { .. } => "a root of another CA".to_owned(),
            Change::IntermediateChange => {
                "the root (pinning the CA level survives intermediate changes)".to_owned()
            }
            _ => "the CA's intermediate or root, or the next leaf key generated in advance"
                .to_owned(),
        };
        vec![
            format!("1. add {new} to the pin set, keeping today's pins"),
            format!("2. ship the pin update and wait {lead} for it to reach 95% of clients"),
            format!("3. carry out the {change}"),
            "4. watch pin-failure reports; then remove the pins of the old chain".to_owned(),
        ]
    };
    Outcome {
        breaks: !holds,
        reason,
        plan,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pinset::{PinEntry, PinRole};

    fn key(seed: &[u8], level: Level) -> ChainKey {
        ChainKey {
            pin: SpkiPin::from_spki_der(seed),
            level,
            name: String::from_utf8_lossy(seed).into_owned(),
        }
    }

    fn set(pins: &[(&[u8], PinRole)]) -> PinSet {
        PinSet {
            id: "s".into(),
            hosts: vec!["a.example".parse().unwrap()],
            pins: pins
                .iter()
                .map(|(seed, role)| PinEntry::new(SpkiPin::from_spki_der(seed), *role))
                .collect(),
            enforce: true,
            include_subdomains: false,
            expires: None,
            report_uri: None,
        }
    }

    fn today() -> Vec<ChainKey> {
        vec![
            key(b"leaf", Level::Leaf),
            key(b"inter", Level::Intermediate),
            key(b"root", Level::Root),
        ]
    }

    #[test]
    fn what_breaks_depends_on_the_level_pinned() {
        let leaf_only = set(&[(b"leaf", PinRole::Primary)]);
        let inter = set(&[(b"inter", PinRole::Primary)]);
        let root_and_other = set(&[
            (b"root", PinRole::Primary),
            (b"other-root", PinRole::Backup),
        ]);
        let other = SpkiPin::from_spki_der(b"other-root");
        let migrate = Change::CaMigration {
            to: "Other CA".into(),
            keys: vec![SpkiPin::from_spki_der(b"other-inter"), other],
        };
        let distrust = Change::RootDistrust {
            root: SpkiPin::from_spki_der(b"root"),
            name: "Root".into(),
        };
        let cases: [(&PinSet, &Change, bool); 10] = [
            (&leaf_only, &Change::LeafRotation, true),
            (&inter, &Change::LeafRotation, false),
            (&inter, &Change::IntermediateChange, true),
            (&root_and_other, &Change::IntermediateChange, false),
            (&inter, &migrate, true),
            (&root_and_other, &migrate, false),
            (&inter, &distrust, true),
            (&root_and_other, &distrust, false),
            (&leaf_only, &Change::EmergencyReissue, true),
            (&root_and_other, &Change::EmergencyReissue, false),
        ];
        for (set, change, breaks) in cases {
            let outcome = simulate(set, &today(), change, Some(21));
            assert_eq!(
                outcome.breaks, breaks,
                "{change} with {:?}: {}",
                set.pins, outcome.reason
            );
            if breaks && *change != Change::EmergencyReissue {
                assert!(
                    outcome.plan.iter().any(|s| s.contains("wait 21 days")),
                    "{:?}",
                    outcome.plan
                );
            }
        }
    }
}
