//! The radar's three gates: scores below which pinning is held back, whatever
//! the decision table says.

use crate::radar::{Dimension, Radar};

/// What a closed gate does to a "pin" verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// No leaf pins: pin at the CA level at most.
    NoLeafPins,
    /// Report-only at most, until failure reports flow.
    ReportOnly,
    /// Not ready to pin at all.
    NotReady,
}

/// One gate, evaluated against a radar.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Gate {
    /// The dimension it watches.
    pub dimension: Dimension,
    /// The score it needs.
    pub minimum: u8,
    /// The radar's score for the dimension.
    pub score: u8,
    /// Whether the gate is closed (the score is below the minimum).
    pub closed: bool,
    /// What a closed gate does.
    pub effect: Effect,
    /// The rule in words.
    pub rule: &'static str,
}

const RULES: [(Dimension, u8, Effect, &str); 3] = [
    (
        Dimension::PinUpdateSpeed,
        50,
        Effect::NoLeafPins,
        "pin update speed below 50: no leaf pins",
    ),
    (
        Dimension::Telemetry,
        50,
        Effect::ReportOnly,
        "pin-failure telemetry below 50: report-only at most until reports flow",
    ),
    (
        Dimension::OwnershipRunbooks,
        50,
        Effect::NotReady,
        "nobody owns the pin lifecycle (ownership below 50): not ready to pin",
    ),
];

/// The gates, in the framework's order, against `radar`.
pub fn gates(radar: &Radar) -> Vec<Gate> {
    RULES
        .iter()
        .map(|&(dimension, minimum, effect, rule)| {
            let score = radar.get(dimension);
            Gate {
                dimension,
                minimum,
                score,
                closed: score < minimum,
                effect,
                rule,
            }
        })
        .collect()
}
