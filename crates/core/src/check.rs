//! Does a served chain satisfy a pin set? Which pin matched, how deep, and
//! is there still a way out if the CA or the key changes.
//!
//! "A way out of a CA change" is decided from keys: a pin of the set whose
//! key belongs to another CA operator than today's chain (the CA dataset
//! names the operator of a public root or intermediate key). Another key of
//! the same operator is no way out: a distrust or a CA switch takes all its
//! keys with it.

use crate::cadata::CaDataset;
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
    /// Whether a certificate from another CA operator could still satisfy
    /// the set.
    pub survives_ca_change: Survival,
    /// The operators of today's chain, by key.
    pub chain_operators: Vec<String>,
    /// The operators of the set's backup pins outside today's chain, by key.
    pub backup_operators: Vec<String>,
}

/// Whether a pin set survives a change of CA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Survival {
    /// A backup pin outside today's chain belongs to another operator than
    /// today's (the chain's, and the primary pins').
    Yes,
    /// Every backup belongs to today's operator (or is in today's chain).
    No,
    /// A backup is a key the CA dataset doesn't know (a private CA, a
    /// pre-generated key): its operator can't be told.
    Unknown,
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
    let cas = CaDataset::builtin();
    let operator = |pin: &SpkiPin| cas.by_pin(pin).map(|ca| ca.name.clone());
    let in_chain = |pin: &SpkiPin| chain.iter().any(|k| k.pin == *pin);
    let matched = chain.iter().enumerate().find_map(|(depth, key)| {
        set.pins.iter().any(|p| p.pin == key.pin).then(|| Match {
            pin: key.pin,
            depth,
            level: key.level,
            name: key.name.clone(),
        })
    });
    let mut chain_operators: Vec<String> = Vec::new();
    for op in chain.iter().filter_map(|k| operator(&k.pin)) {
        if !chain_operators.contains(&op) {
            chain_operators.push(op);
        }
    }
    // Today's CA: the chain's operators, and those of the keys the set
    // marks primary (a chain that doesn't validate may not show them).
    let mut current = chain_operators.clone();
    for op in set
        .pins
        .iter()
        .filter(|p| p.role == PinRole::Primary)
        .filter_map(|p| operator(&p.pin))
    {
        if !current.contains(&op) {
            current.push(op);
        }
    }
    let reserve = set
        .pins
        .iter()
        .filter(|p| p.role == PinRole::Backup && !in_chain(&p.pin));
    let mut backup_operators: Vec<String> = Vec::new();
    let mut unknown = false;
    for pin in reserve {
        match operator(&pin.pin) {
            Some(op) if !backup_operators.contains(&op) => backup_operators.push(op),
            Some(_) => {}
            None => unknown = true,
        }
    }
    // A backup of an operator today's chain and primaries don't belong to
    // (a chain through a root the dataset doesn't know is no DigiCert's).
    let survives_ca_change = if backup_operators.iter().any(|op| !current.contains(op)) {
        Survival::Yes
    } else if unknown {
        Survival::Unknown
    } else {
        Survival::No
    };
    let backups = set.pins.iter().filter(|p| p.role == PinRole::Backup);
    HostCheck {
        matched,
        backups_outside_chain: backups.clone().filter(|p| !in_chain(&p.pin)).count(),
        backups_in_chain: backups
            .filter(|p| in_chain(&p.pin))
            .map(|p| p.pin)
            .collect(),
        survives_ca_change,
        chain_operators,
        backup_operators,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pinset::PinEntry;

    const ISRG_X1: &str = "sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=";
    const ISRG_X2: &str = "sha256/diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI=";
    const DIGICERT_G2: &str = "sha256/i7WTqTvh0OioIruIfFR4kMPnBqrS2rdiVPl/s2uC/CY=";

    fn set(pins: &[(&str, PinRole)]) -> PinSet {
        PinSet {
            id: "s".into(),
            hosts: vec!["api.example.com".parse().unwrap()],
            pins: pins
                .iter()
                .map(|(p, role)| PinEntry {
                    pin: p.parse().unwrap(),
                    role: *role,
                    level: None,
                    label: None,
                })
                .collect(),
            enforce: true,
            include_subdomains: false,
            expires: None,
            report_uri: None,
        }
    }

    fn chain_to(root: &str) -> Vec<ChainKey> {
        vec![
            ChainKey {
                pin: SpkiPin::from_digest([1; 32]),
                level: Level::Leaf,
                name: "leaf".into(),
            },
            ChainKey {
                pin: root.parse().unwrap(),
                level: Level::Root,
                name: "root".into(),
            },
        ]
    }

    /// Bare pins, no labels or sources: the keys say who runs them.
    #[test]
    fn a_second_key_of_the_same_operator_is_no_way_out() {
        let same = check(
            &set(&[(ISRG_X1, PinRole::Primary), (ISRG_X2, PinRole::Backup)]),
            &chain_to(ISRG_X1),
        );
        assert_eq!(same.survives_ca_change, Survival::No);
        assert_eq!(same.chain_operators, ["Let's Encrypt"]);
        let other = check(
            &set(&[(ISRG_X1, PinRole::Primary), (DIGICERT_G2, PinRole::Backup)]),
            &chain_to(ISRG_X1),
        );
        assert_eq!(other.survives_ca_change, Survival::Yes);
        assert_eq!(other.backup_operators, ["DigiCert"]);
        let private = SpkiPin::from_digest([7; 32]).to_string();
        let unknown = check(
            &set(&[(ISRG_X1, PinRole::Primary), (&private, PinRole::Backup)]),
            &chain_to(ISRG_X1),
        );
        assert_eq!(unknown.survives_ca_change, Survival::Unknown);
        // R10 primary + R11 backup (Let's Encrypt's intermediates, pins
        // computed with openssl from letsencrypt.org's certificates), where
        // the chain shows nothing the dataset knows: the primary says whose
        // CA it is today.
        let r10 = "sha256/K7rZOrXHknnsEhUH8nLL4MZkejquUuIvOIr6tCa0rbo=";
        let r11 = "sha256/bdrBhpj38ffhxpubzkINl0rG+UyossdhcBYj+Zx2fcc=";
        let unseen = check(
            &set(&[(r10, PinRole::Primary), (r11, PinRole::Backup)]),
            &chain_to(&SpkiPin::from_digest([9; 32]).to_string()),
        );
        assert_eq!(unseen.survives_ca_change, Survival::No);
    }
}
