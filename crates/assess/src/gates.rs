//! The radar's gates: the organisation-wide view of the rules of section B
//! that can hold every "pin" back. A gate's state is read from the same
//! facts as the rule, so a slider that closes a gate also changes the
//! verdicts it governs.

use crate::decision::Verdict;
use crate::facts::Facts;
use crate::radar::{Dimension, Radar};
use crate::rules::{RuleStatus, rule};

/// A gate's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GateState {
    /// The facts clear it.
    Passed,
    /// The facts show the gap: it holds pins back.
    Closed,
    /// The policy doesn't state the facts: it holds pins back until it does.
    Unknown,
}

/// One gate.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Gate {
    /// The rule it follows.
    pub rule: &'static str,
    /// The dimension it watches.
    pub dimension: Dimension,
    /// The score it needs.
    pub minimum: u8,
    /// The radar's score for the dimension.
    pub score: u8,
    /// Its state.
    pub state: GateState,
    /// Whether it holds pins back (closed, or unknown).
    pub closed: bool,
    /// The most a "pin" can be while it holds.
    pub effect: Verdict,
    /// What it finds, in a sentence that reads right in its state.
    pub finding: String,
}

struct GateRow {
    rule: &'static str,
    dimension: Dimension,
    minimum: u8,
    /// The most a "pin" can be while the gate holds.
    holds: Verdict,
    passed: &'static str,
    closed: &'static str,
    unknown: &'static str,
}

static GATES: &[GateRow] = &[
    GateRow {
        rule: "B1",
        holds: Verdict::PinWithConditions,
        dimension: Dimension::PinUpdateSpeed,
        minimum: 75,
        passed: "new pins reach clients fast enough wherever pinning is on the table (hours for mobile and desktop)",
        closed: "new pins can't reach clients fast enough: a remote pin configuration comes first",
        unknown: "how fast new pins reach clients is not stated: state it before pinning",
    },
    GateRow {
        rule: "B2",
        holds: Verdict::NotReady,
        dimension: Dimension::LifecycleAutomation,
        minimum: 50,
        passed: "most certificate renewals are automated: pinning has a lifecycle to sit on",
        closed: "most certificate renewals are manual: not ready to pin until they are automated",
        unknown: "how much of certificate renewal is automated is not stated",
    },
    GateRow {
        rule: "B4",
        holds: Verdict::PinWithConditions,
        dimension: Dimension::Telemetry,
        minimum: 50,
        passed: "clients report pin failures, so a staged rollout can catch a mistake",
        closed: "no pin-failure telemetry: report-only at most until reports flow",
        unknown: "pin-failure telemetry is not stated: report-only at most until it is",
    },
    GateRow {
        rule: "B6",
        holds: Verdict::NotReady,
        dimension: Dimension::OwnershipRunbooks,
        minimum: 50,
        passed: "an owner reviews the pin configuration at every certificate or CA change",
        closed: "nobody owns the pin configuration lifecycle: not ready to pin",
        unknown: "nobody is named as owner of the pin configuration lifecycle: not ready to pin",
    },
];

/// The gates, in the framework's order.
pub fn gates(facts: &Facts, radar: &Radar) -> Vec<Gate> {
    GATES
        .iter()
        .map(|g| {
            let Some(r) = rule(g.rule) else {
                unreachable!("every gate names a rule of the table (tested)")
            };
            let (state, detail) = match r.check_org(&facts.org) {
                Some((status, says)) => (state_of(status), says),
                None => speed_state(facts),
            };
            let base = match state {
                GateState::Passed => g.passed,
                GateState::Closed => g.closed,
                GateState::Unknown => g.unknown,
            };
            let effect = match state {
                GateState::Passed => Verdict::Pin,
                GateState::Closed => g.holds,
                // Unstated facts hold back no further than the rule says.
                GateState::Unknown => std::cmp::min_by_key(g.holds, r.not_stated.cap, |v| v.rank()),
            };
            Gate {
                rule: g.rule,
                dimension: g.dimension,
                minimum: g.minimum,
                score: radar.get(g.dimension),
                state,
                closed: state != GateState::Passed,
                effect,
                finding: if detail.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base} ({detail})")
                },
            }
        })
        .collect()
}

fn state_of(status: RuleStatus) -> GateState {
    match status {
        RuleStatus::Met | RuleStatus::NotApplicable => GateState::Passed,
        RuleStatus::NotMet => GateState::Closed,
        RuleStatus::NotStated => GateState::Unknown,
    }
}

/// The speed gate: the update-speed rules (B1, and C-hours for mobile and
/// desktop) over every application pinning is on the table for.
fn speed_state(facts: &Facts) -> (GateState, String) {
    let mut slow = Vec::new();
    let mut unstated = Vec::new();
    for app in facts.apps.iter().filter(|a| a.candidate()) {
        let steps: Vec<_> = ["B1", "C-hours"]
            .iter()
            .filter_map(|id| rule(id))
            .map(|r| r.evaluate(facts, app))
            .collect();
        if steps.iter().any(|s| s.status == RuleStatus::NotMet) {
            slow.push(format!("{}: {}", app.id, app.speed.says));
        } else if steps.iter().any(|s| s.status == RuleStatus::NotStated) {
            unstated.push(app.id.clone());
        }
    }
    if !slow.is_empty() {
        (GateState::Closed, slow.join("; "))
    } else if !unstated.is_empty() {
        (
            GateState::Unknown,
            format!("not stated for {}", unstated.join(", ")),
        )
    } else {
        (GateState::Passed, String::new())
    }
}
