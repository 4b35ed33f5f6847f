//! Playing out a certificate or CA change before it happens: the chain
//! clients will see afterwards, whether a pin set still matches it, and the
//! safe order of steps.
//!
//! A change is modelled as the path clients validate after it: which keys
//! stay, which are new and unknown, and which the organisation chooses (a
//! pre-generated backup key it already pins becomes the new leaf; a CA
//! migration goes to a root the set pins). A pin set survives when one of
//! its keys is on that path.

use std::fmt;

use crate::cadata::{KeyFacts, KeyModel, Stated};
use crate::cert::Level;
use crate::check::ChainKey;
use crate::pin::SpkiPin;
use crate::pinset::PinRole;
use crate::policy::{Application, PolicyPinSet, UpdateMechanism};

/// The change to play out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new leaf key under the same CA chain (routine renewal with a new key).
    LeafRotation,
    /// A new leaf and a new intermediate under the same root (CAs rotate
    /// issuing intermediates; Let's Encrypt does it on purpose).
    IntermediateChange,
    /// Everything new, from another CA.
    CaMigration {
        /// The new CA, for messages.
        to: String,
        /// Keys the new chain may go through above the leaf: the new
        /// chain's own when it is known (a chain file), else the new CA's
        /// roots (the organisation picks the product under the one it pins).
        keys: Vec<SpkiPin>,
    },
    /// Clients stop trusting these roots: chains through them must be
    /// replaced by certificates from another CA.
    RootDistrust {
        /// The distrusted roots' keys.
        roots: Vec<SpkiPin>,
        /// Their name, for messages.
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

/// How long a pin change takes to reach the clients, by their fastest path.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Lead {
    /// Days until 95% of clients hold the change, overlap included.
    Days {
        /// The days.
        days: u32,
        /// The path: "remote pin configuration" or "app updates".
        via: &'static str,
    },
    /// The policy doesn't say how fast updates reach clients.
    Unknown,
    /// Nothing reaches the clients: no updates and no remote pins.
    NoPath,
}

impl Lead {
    /// The fastest way `app`'s clients get new pins, plus `overlap_days`:
    /// a remote pin configuration at its refresh interval, or an update at
    /// the time it takes to reach 95% of clients.
    pub fn of(app: &Application, overlap_days: u32) -> Self {
        let remote = (app.remote_pin_config == Some(true))
            .then(|| app.remote_pin_refresh_hours.unwrap_or(24).div_ceil(24));
        let update = if app.update_mechanism == Some(UpdateMechanism::None) {
            None
        } else {
            app.update_hours_to_95
                .map(|h| h.div_ceil(24))
                .or(app.update_days_to_95)
        };
        let fastest = match (remote, update) {
            (Some(r), Some(u)) if u < r => Some((u, "app updates")),
            (Some(r), _) => Some((r, "remote pin configuration")),
            (None, Some(u)) => Some((u, "app updates")),
            (None, None) => None,
        };
        match fastest {
            Some((days, via)) => Self::Days {
                days: days.saturating_add(overlap_days),
                via,
            },
            None if app.update_mechanism == Some(UpdateMechanism::None) => Self::NoPath,
            None => Self::Unknown,
        }
    }

    /// The days, when known.
    pub fn days(&self) -> Option<u32> {
        match self {
            Self::Days { days, .. } => Some(*days),
            _ => None,
        }
    }
}

/// What the change does to one pin set.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
    /// Whether the change touches the set's chain at all (a root's distrust
    /// leaves chains through other roots alone).
    pub affected: bool,
    /// Whether clients enforcing the set reject the chain after the change.
    pub breaks: bool,
    /// Why it breaks or holds, in a sentence.
    pub reason: String,
    /// The safe order of steps, with the lead time where it matters.
    pub plan: Vec<String>,
}

/// One pin of the set, with what it is.
struct Pin<'a> {
    role: PinRole,
    facts: KeyFacts<'a>,
}

/// Plays `change` out for `set`, whose hosts serve `today` (leaf first,
/// completed with its root; empty when unknown, as for a CA migration).
pub fn simulate(
    set: &PolicyPinSet,
    today: &[ChainKey],
    change: &Change,
    lead: &Lead,
    keys: &KeyModel<'_>,
) -> Outcome {
    let pins: Vec<Pin<'_>> = set
        .pins
        .iter()
        .map(|p| Pin {
            role: p.role,
            facts: keys.identify(
                p.pin.get_ref(),
                Stated {
                    level: p.level,
                    label: p.label.as_deref(),
                    source: p.source.as_deref(),
                },
            ),
        })
        .collect();
    let in_today = |pin: &SpkiPin| today.iter().any(|k| k.pin == *pin);
    // A backup leaf key generated in advance, that no chain carries yet: the
    // next leaf when the change calls for a new one (RFC 7469 §4.3's backup
    // pin). The policy says it is a leaf; an unknown key of unknown level
    // may be any CA's, so it isn't taken for one.
    let spare_leaf = pins
        .iter()
        .find(|p| {
            p.role == PinRole::Backup
                && !p.facts.private
                && !in_today(&p.facts.pin)
                && p.facts.level == Some(Level::Leaf)
        })
        .map(|p| p.facts.pin);
    let above_leaf: Vec<SpkiPin> = today.iter().skip(1).map(|k| k.pin).collect();
    let pinned = |key: &SpkiPin| pins.iter().any(|p| p.facts.pin == *key);

    // The path after the change; `None` is a key nobody has seen (a fresh
    // leaf, the new intermediate a CA picks).
    let after: Vec<Option<SpkiPin>> = match change {
        Change::LeafRotation | Change::EmergencyReissue => std::iter::once(spare_leaf)
            .chain(above_leaf.iter().copied().map(Some))
            .collect(),
        Change::IntermediateChange => std::iter::once(spare_leaf)
            .chain(
                today
                    .iter()
                    .filter(|k| k.level == Level::Intermediate)
                    .map(|_| None),
            )
            .chain(
                today
                    .iter()
                    .filter(|k| k.level == Level::Root)
                    .map(|k| Some(k.pin)),
            )
            .collect(),
        Change::CaMigration { keys: new, .. } => {
            // The organisation picks the new CA's product under a key it
            // pins, when it pins one.
            let chosen = new.iter().copied().find(|k| pinned(k));
            let path = match chosen {
                Some(k) => vec![Some(k)],
                None => new.iter().copied().map(Some).collect(),
            };
            std::iter::once(spare_leaf).chain(path).collect()
        }
        Change::RootDistrust { roots, name } => {
            if !today.iter().any(|k| roots.contains(&k.pin)) {
                return Outcome {
                    affected: false,
                    breaks: false,
                    reason: format!(
                        "today's chain doesn't go through {name}: its distrust leaves it alone"
                    ),
                    plan: vec![format!(
                        "nothing to do for the {change}; keep the backup pins current"
                    )],
                };
            }
            // Clients stop at a root of its own below the distrusted one,
            // when today's chain has one (R3 -> ISRG Root X1, once DST Root
            // CA X3 expired): that path still validates, leaf and all.
            let own_root = |key: &SpkiPin| {
                !roots.contains(key)
                    && keys.distrust.key(key).is_none()
                    && keys
                        .cas
                        .key(key)
                        .is_some_and(|(_, k)| k.level == Level::Root)
            };
            let shorter: Vec<SpkiPin> = today
                .iter()
                .position(|k| own_root(&k.pin))
                .map(|end| today[..=end].iter().map(|k| k.pin).collect())
                .unwrap_or_default();
            // Else another CA's chain: a spare leaf key goes with it; so does
            // a CA key the distrust doesn't cover, under none of those roots
            // (a root of its own stays one, whoever cross-signed it).
            let distrusted = roots.first().and_then(|r| keys.distrust_of(r));
            let escape = pins
                .iter()
                .filter(|p| !in_today(&p.facts.pin) && !p.facts.private)
                // A CA's key, or one nobody says anything about (it may be
                // another CA's root); a leaf key is `spare_leaf`'s.
                .filter(|p| p.facts.level != Some(Level::Leaf))
                .find(|p| {
                    let key = &p.facts.pin;
                    (own_root(key) || !roots.iter().any(|r| keys.under(key, r)))
                        && (distrusted.is_none()
                            || keys.distrust_of(key).map(|e| &e.name)
                                != distrusted.map(|e| &e.name))
                        && !same_operator_as(&p.facts, roots, &pins, keys)
                })
                .map(|p| p.facts.pin);
            shorter
                .into_iter()
                .map(Some)
                .chain([spare_leaf, escape])
                .collect()
        }
    };
    let kept = after.iter().flatten().find(|k| pinned(k)).copied();
    let name = |key: &SpkiPin| {
        pins.iter()
            .find(|p| p.facts.pin == *key)
            .map_or_else(|| key.to_string(), |p| p.facts.name())
    };
    let lead_text = match lead {
        Lead::Days { days, via } => format!("{days} days ({via})"),
        Lead::Unknown => "the time an update takes to reach 95% of clients (the policy doesn't \
                          say: set update_days_to_95)"
            .to_owned(),
        Lead::NoPath => String::new(),
    };
    let Some(key) = kept else {
        return Outcome {
            affected: true,
            breaks: true,
            reason: format!(
                "after the {change}, no key of the new chain is pinned: enforcing clients reject it"
            ),
            plan: broken_plan(change, lead, &lead_text),
        };
    };
    let plan = if Some(key) == spare_leaf {
        vec![
            format!(
                "1. carry out the {change} with the pinned pre-generated key {} as the new leaf key",
                name(&key)
            ),
            "2. generate the next backup key, pin it, and ship the pin update".to_owned(),
        ]
    } else {
        vec![format!(
            "no pin change needed for the {change}; keep the backup pins current"
        )]
    };
    let via = match change {
        Change::CaMigration { to, .. } if Some(key) != spare_leaf && *to != name(&key) => {
            format!(" (take the certificate from {to} under it)")
        }
        _ => String::new(),
    };
    Outcome {
        affected: true,
        breaks: false,
        reason: format!(
            "after the {change}, the chain still holds a pinned key: {}{via}",
            name(&key)
        ),
        plan,
    }
}

/// Whether `facts` is a key of the operator that runs one of `roots` (as
/// the set's own pins say, else the dataset): root programs distrust an
/// operator's roots together (Symantec, TrustCor, Entrust).
fn same_operator_as(
    facts: &KeyFacts<'_>,
    roots: &[SpkiPin],
    pins: &[Pin<'_>],
    keys: &KeyModel<'_>,
) -> bool {
    let Some(operator) = facts.operator.as_deref() else {
        return false;
    };
    roots.iter().any(|r| {
        let of_root = pins
            .iter()
            .find(|p| p.facts.pin == *r)
            .map_or_else(|| keys.identify(r, Stated::default()), |p| p.facts.clone());
        of_root
            .operator
            .as_deref()
            .is_some_and(|o| crate::cadata::same_name(o, operator))
    })
}

/// The steps when the set breaks.
fn broken_plan(change: &Change, lead: &Lead, lead_text: &str) -> Vec<String> {
    if *lead == Lead::NoPath {
        return vec![
            "no update path reaches these clients (no updates, no remote pin configuration): \
             once the change happens they can't be fixed and stay locked out until replaced"
                .to_owned(),
            format!(
                "don't carry out the {change} while these clients enforce the pin set; give \
                 them an update path first"
            ),
        ];
    }
    if *change == Change::EmergencyReissue {
        return vec![
            "an emergency leaves no time to stage pins: clients lock out until a pin update \
             reaches them"
                .to_owned(),
            format!(
                "fix it before it is needed: add a CA-level pin or a pre-generated backup key \
                 now, and ship it {lead_text} ahead"
            ),
        ];
    }
    let new = match change {
        Change::CaMigration { to, .. } => format!("a root of the new CA ({to})"),
        Change::RootDistrust { .. } => {
            "a root of another CA, or a pre-generated backup key".to_owned()
        }
        Change::IntermediateChange => {
            "the root (pinning the CA level survives intermediate changes)".to_owned()
        }
        _ => "the CA's intermediate or root, or the next leaf key generated in advance".to_owned(),
    };
    vec![
        format!("1. add {new} to the pin set, keeping today's pins"),
        format!("2. ship the pin update and wait {lead_text} for it to reach 95% of clients"),
        format!("3. carry out the {change}"),
        "4. watch pin-failure reports; then remove the pins of the old chain".to_owned(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn key(seed: &[u8], level: Level) -> ChainKey {
        ChainKey {
            pin: SpkiPin::from_spki_der(seed),
            level,
            name: String::from_utf8_lossy(seed).into_owned(),
        }
    }

    /// A policy pin set holding keys made from `seeds`.
    fn set(pins: &[(&[u8], PinRole)]) -> PolicyPinSet {
        let mut text = "[[pinset]]\nid = \"s\"\nhosts = [\"a.example\"]\n".to_owned();
        for (seed, role) in pins {
            let role = if *role == PinRole::Backup {
                "backup"
            } else {
                "primary"
            };
            // Each key its own CA's: the tests are about levels.
            text += &format!(
                "[[pinset.pins]]\npin = \"{}\"\nrole = \"{role}\"\nsource = \"ca:{}\"\n",
                SpkiPin::from_spki_der(seed),
                String::from_utf8_lossy(seed)
            );
        }
        Policy::parse(&text).unwrap().pinsets.remove(0)
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
            keys: vec![other],
        };
        let distrust = Change::RootDistrust {
            roots: vec![SpkiPin::from_spki_der(b"root")],
            name: "Root".into(),
        };
        let lead = Lead::Days {
            days: 21,
            via: "app updates",
        };
        let keys = KeyModel::builtin();
        let cases: [(&PolicyPinSet, &Change, bool); 10] = [
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
            let outcome = simulate(set, &today(), change, &lead, &keys);
            assert_eq!(
                outcome.breaks, breaks,
                "{change} with {:?}: {}",
                set.pins, outcome.reason
            );
            if breaks && *change != Change::EmergencyReissue {
                assert!(
                    outcome
                        .plan
                        .iter()
                        .any(|s| s.contains("wait 21 days (app updates)")),
                    "{:?}",
                    outcome.plan
                );
            }
        }
    }
}
