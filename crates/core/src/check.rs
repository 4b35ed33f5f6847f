//! Does a served chain satisfy a pin set? Which pin matched, how deep, and
//! is there still a way out if the CA or the key changes.

use crate::cert::{Certificate, Level};
use crate::pin::SpkiPin;
use crate::pinset::{PinRole, PinSet};

/// One key of a chain as clients see it: the served certificates, leaf
/// first, then the root their trust store completes the chain with.
#[derive(Clone, Debug)]
pub struct ChainKey {
    /// The key's pin.
    pub pin: SpkiPin,
    /// Its level.
    pub level: Level,
    /// Who it belongs to (a subject name), for people.
    pub name: String,
}

impl ChainKey {
    /// The key of a served certificate at `depth` (0 = the leaf).
    pub fn of(cert: &Certificate, depth: usize) -> Self {
        Self {
            pin: cert.pin,
            level: if depth == 0 {
                Level::Leaf
            } else {
                cert.level()
            },
            name: cert.display_name(),
        }
    }
}

/// The verdict for one host.
#[derive(Clone, Debug, serde::Serialize)]
pub struct HostCheck {
    /// The first pin of the set found in the chain, and where.
    pub matched: Option<Match>,
    /// Backup pins that are not in today's chain: keys held in reserve.
    pub backups_outside_chain: usize,
    /// Pins marked backup that are in today's chain (so not a reserve at all).
    pub backups_in_chain: Vec<SpkiPin>,
    /// Whether a certificate from another CA could still satisfy the set:
    /// some pin of the set lies outside today's chain.
    pub survives_ca_change: bool,
}

/// A pin found in the chain.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Match {
    /// The pin.
    pub pin: SpkiPin,
    /// Its depth in the chain (0 = leaf).
    pub depth: usize,
    /// The level of the matching certificate.
    pub level: Level,
    /// The matching certificate's name.
    pub name: String,
}

/// Checks `chain` (leaf first, completed with its root) against `set`.
pub fn check(set: &PinSet, chain: &[ChainKey]) -> HostCheck {
    let in_chain = |pin: &SpkiPin| chain.iter().any(|k| k.pin == *pin);
    let matched = chain.iter().enumerate().find_map(|(depth, key)| {
        set.pins.iter().any(|p| p.pin == key.pin).then(|| Match {
            pin: key.pin,
            depth,
            level: key.level,
            name: key.name.clone(),
        })
    });
    let backups = set.pins.iter().filter(|p| p.role == PinRole::Backup);
    HostCheck {
        matched,
        backups_outside_chain: backups.clone().filter(|p| !in_chain(&p.pin)).count(),
        backups_in_chain: backups
            .filter(|p| in_chain(&p.pin))
            .map(|p| p.pin)
            .collect(),
        survives_ca_change: set.pins.iter().any(|p| !in_chain(&p.pin)),
    }
}
