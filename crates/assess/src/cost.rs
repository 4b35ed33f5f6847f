//! The cost equation: implementation, yearly operations, outage risk.

use pinwarden_core::Level as KeyLevel;
use pinwarden_core::policy::Policy;

use crate::decision::{Decision, Verdict};

/// The cost of pinning what the decisions say to pin.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Cost {
    /// Applications counted (verdict pin, or pin with conditions).
    pub pinned_applications: usize,
    /// One-off engineer-weeks.
    pub implementation_weeks: f64,
    /// Pin changes a year across the pinned applications.
    pub pin_changes_per_year: f64,
    /// Yearly operations cost.
    pub yearly_operations: f64,
    /// Expected yearly cost of pin outages.
    pub yearly_outage_risk: f64,
}

/// Leaf pins change with every key rotation (about 8 a year at 47 days);
/// CA-level pins on CA events (about one per 1–3 years).
fn changes_per_year(policy: &Policy, app_pinsets: &[String]) -> f64 {
    let leaf = app_pinsets
        .iter()
        .filter_map(|id| policy.pinset(id))
        .any(|s| s.pins.iter().any(|p| p.level == Some(KeyLevel::Leaf)));
    if leaf {
        let days = policy
            .organisation
            .certificate_lifetime_days
            .unwrap_or(90)
            .max(1);
        365.0 / f64::from(days)
    } else {
        0.5
    }
}

/// Costs the decisions with the policy's `[cost]` inputs.
pub fn cost(policy: &Policy, decisions: &[Decision]) -> Cost {
    let inputs = &policy.cost;
    let mut out = Cost {
        pinned_applications: 0,
        implementation_weeks: 0.0,
        pin_changes_per_year: 0.0,
        yearly_operations: 0.0,
        yearly_outage_risk: 0.0,
    };
    let mut needs_remote_service = false;
    for decision in decisions
        .iter()
        .filter(|d| matches!(d.verdict, Verdict::Pin | Verdict::PinWithConditions))
    {
        let Some(app) = policy
            .applications
            .iter()
            .find(|a| *a.id.get_ref() == decision.application)
        else {
            continue;
        };
        out.pinned_applications += 1;
        out.implementation_weeks += inputs.implementation_weeks;
        needs_remote_service |= app.remote_pin_config;
        let sets: Vec<String> = app.pinsets.iter().map(|s| s.get_ref().clone()).collect();
        let changes = changes_per_year(policy, &sets);
        out.pin_changes_per_year += changes;
        out.yearly_operations +=
            changes * inputs.hours_per_pin_change * inputs.cost_per_engineer_hour;
        let hours_to_fix = f64::from(app.update_days_to_95.unwrap_or(30)) * 24.0;
        out.yearly_outage_risk += inputs.outage_probability_per_year
            * inputs.users_affected_share
            * hours_to_fix
            * inputs.outage_cost_per_hour;
    }
    if needs_remote_service {
        out.implementation_weeks += inputs.remote_config_weeks;
    }
    out
}
