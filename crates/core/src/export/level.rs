//! What level each pinned key is, for the platforms that care: iOS keeps CA
//! and leaf keys in separate lists, and curl and Envoy check the leaf key
//! only. A key in the wrong place never matches, so a pin set that looks like
//! it has a backup may have none.
//!
//! The level comes from the pin set, or from the CA dataset when the pin set
//! doesn't say: a key the dataset lists is a root or intermediate whatever
//! its label. A pin marked `leaf` whose key the dataset lists as a CA key is
//! refused: one of the two is wrong, and either way the key lands where it
//! can't match.

use crate::cadata::CaDataset;
use crate::cert::Level;
use crate::pinset::{PinEntry, PinSet};

/// A pin and the level it is exported at (`None`: nobody knows).
pub(super) struct Placed<'a> {
    pub(super) entry: &'a PinEntry,
    pub(super) level: Option<Level>,
}

impl Placed<'_> {
    pub(super) fn is_leaf(&self) -> bool {
        self.level == Some(Level::Leaf)
    }
}

/// Each pin of `set` with its level, or why the levels contradict the dataset.
pub(super) fn resolve(set: &PinSet) -> Result<Vec<Placed<'_>>, String> {
    let dataset = CaDataset::builtin();
    let mut placed = Vec::with_capacity(set.pins.len());
    for entry in &set.pins {
        let known = dataset.by_pin(&entry.pin).and_then(|ca| {
            ca.key(&entry.pin)
                .map(|(key, level)| (ca.name.clone(), key.label.clone(), level))
        });
        let level = match (entry.level, known) {
            (Some(Level::Leaf), Some((ca, label, level))) => {
                return Err(format!(
                    "pin {} is marked as a leaf key, but it is the key of {ca}'s {level} \
                     {label:?}: as a leaf pin it would never match; fix its level \
                     (--pin-level, or `level` in the policy)",
                    entry.pin
                ));
            }
            (Some(level), _) => Some(level),
            (None, Some((_, _, level))) => Some(level),
            (None, None) => None,
        };
        placed.push(Placed { entry, level });
    }
    Ok(placed)
}

/// The pins whose level nobody knows, as a sentence's list.
pub(super) fn unknown(placed: &[Placed<'_>]) -> Option<String> {
    let pins: Vec<String> = placed
        .iter()
        .filter(|p| p.level.is_none())
        .map(|p| p.entry.pin.to_string())
        .collect();
    (!pins.is_empty()).then(|| pins.join(", "))
}
