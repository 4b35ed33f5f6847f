//! The cost equation: implementation per application type, the remote pin
//! configuration service as a line of its own, yearly operations, incident
//! response, outage risk, and beside them what the same engineering effort
//! buys when spent on certificate lifecycle automation instead.

use pinwarden_core::Level as KeyLevel;
use pinwarden_core::policy::{AppType, CostInputs, Policy};

use crate::decision::{Decision, Verdict};
use crate::facts::{Facts, Speed};

/// One line of the cost equation.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CostLine {
    /// What it costs.
    pub item: String,
    /// The amount.
    pub amount: f64,
    /// Its unit (`engineer-weeks`, `USD a year`).
    pub unit: String,
    /// The assumption behind it, with the inputs that override it.
    pub assumption: String,
}

/// The cost of pinning what the decisions say to pin.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Cost {
    /// Currency of every amount.
    pub currency: String,
    /// Applications counted (verdict pin, or pin with conditions).
    pub pinned_applications: usize,
    /// One-off engineer-weeks, remote pin configuration included.
    pub implementation_weeks: f64,
    /// Pin changes a year across the pinned applications.
    pub pin_changes_per_year: f64,
    /// Yearly operations cost (pin changes, running the remote configuration).
    pub yearly_operations: f64,
    /// Yearly cost of coordinating pin updates in certificate incidents.
    pub yearly_incident_response: f64,
    /// Expected yearly cost of pin outages.
    pub yearly_outage_risk: f64,
    /// Every line, with its unit and assumption.
    pub lines: Vec<CostLine>,
    /// What the same effort spent on lifecycle automation is.
    pub instead: String,
}

fn weeks_for(inputs: &CostInputs, t: AppType) -> (f64, &'static str) {
    match t {
        AppType::Mobile => (inputs.implementation_weeks, "implementation_weeks"),
        AppType::Desktop => (
            inputs.implementation_weeks_desktop,
            "implementation_weeks_desktop",
        ),
        AppType::Service => (
            inputs.implementation_weeks_service,
            "implementation_weeks_service",
        ),
        AppType::Iot => (inputs.implementation_weeks_iot, "implementation_weeks_iot"),
        AppType::ThirdParty => (
            inputs.implementation_weeks_third_party,
            "implementation_weeks_third_party",
        ),
        AppType::Web => (0.0, "—"),
    }
}

/// Leaf pins change with every key rotation (about 8 a year at 47 days);
/// CA-level pins on CA events (about one per 1–3 years: 0.5 a year).
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

/// Hours until a fix reaches 95% of clients through the fastest path, when
/// only its class is known (the class's upper bound; 90 days for "never").
fn hours_to_fix(speed: Option<Speed>) -> f64 {
    match speed {
        Some(Speed::Hours) => 24.0,
        Some(Speed::Days) => 7.0 * 24.0,
        Some(Speed::Weeks) => 30.0 * 24.0,
        Some(Speed::Never) | None => 90.0 * 24.0,
    }
}

/// Costs the decisions with the policy's `[cost]` inputs.
pub fn cost(policy: &Policy, facts: &Facts, decisions: &[Decision]) -> Cost {
    let inputs = &policy.cost;
    let money = format!("{} a year", inputs.currency);
    let hour = inputs.cost_per_engineer_hour;
    let mut lines = Vec::new();
    let (mut weeks, mut changes, mut operations, mut incidents, mut risk) =
        (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut pinned = 0;
    let mut remote = false;
    for decision in decisions
        .iter()
        .filter(|d| matches!(d.verdict, Verdict::Pin | Verdict::PinWithConditions))
    {
        let Some(app) = policy.application(&decision.application) else {
            continue;
        };
        pinned += 1;
        let (w, key) = weeks_for(inputs, app.app_type);
        weeks += w;
        lines.push(CostLine {
            item: format!("{}: implementation", decision.application),
            amount: w,
            unit: "engineer-weeks".into(),
            assumption: format!(
                "{} application: pins, their configuration and telemetry ([cost] {key})",
                crate::html::type_words(app.app_type)
            ),
        });
        remote |= app.remote_pin_config == Some(true)
            || decision
                .instead
                .iter()
                .any(|i| i.contains("remote pin configuration"));
        let sets: Vec<String> = app.pinsets.iter().map(|s| s.get_ref().clone()).collect();
        let c = changes_per_year(policy, &sets);
        changes += c;
        operations += c * inputs.hours_per_pin_change * hour;
        incidents += inputs.incidents_per_year * inputs.incident_hours_per_app * hour;
        let app_facts = facts.app(&decision.application);
        let fix = app_facts.and_then(|a| a.speed_hours).map_or_else(
            || hours_to_fix(app_facts.and_then(|a| a.speed.value)),
            f64::from,
        );
        risk += inputs.outage_probability_per_year
            * inputs.users_affected_share
            * fix
            * inputs.outage_cost_per_hour;
    }
    if remote {
        weeks += inputs.remote_config_weeks;
        operations += inputs.remote_config_hours_per_year * hour;
        lines.push(CostLine {
            item: "remote pin configuration service".into(),
            amount: inputs.remote_config_weeks,
            unit: "engineer-weeks".into(),
            assumption: format!(
                "a service of its own that must stay {}% available, plus {} engineer-hours a year to run it ([cost] remote_config_weeks, remote_config_availability_percent, remote_config_hours_per_year)",
                inputs.remote_config_availability_percent, inputs.remote_config_hours_per_year
            ),
        });
    }
    lines.push(CostLine {
        item: "operations: pin changes".into(),
        amount: operations,
        unit: money.clone(),
        assumption: format!(
            "{changes:.1} pin changes a year (CA-level pins about one every 2 years, leaf pins at every renewal) × {} engineer-hours × {hour} {} an hour",
            inputs.hours_per_pin_change, inputs.currency
        ),
    });
    lines.push(CostLine {
        item: "incident response".into(),
        amount: incidents,
        unit: money.clone(),
        assumption: format!(
            "{} certificate incidents a year × {} extra engineer-hours per pinned application to coordinate pin updates ([cost] incidents_per_year, incident_hours_per_app)",
            inputs.incidents_per_year, inputs.incident_hours_per_app
        ),
    });
    lines.push(CostLine {
        item: "outage risk".into(),
        amount: risk,
        unit: money,
        assumption: format!(
            "{} chance a year × {} of users × hours until a fix reaches 95% of clients by the fastest path × {} {} an hour ([cost] outage_probability_per_year, users_affected_share, outage_cost_per_hour)",
            inputs.outage_probability_per_year,
            inputs.users_affected_share,
            inputs.outage_cost_per_hour,
            inputs.currency
        ),
    });
    let instead = format!(
        "the same {weeks:.1} engineer-weeks ({} {}) spent on automated certificate lifecycle management: renewal and deployment without hands, CT monitoring and CAA, with no lock-out risk",
        grouped(weeks * 40.0 * hour),
        inputs.currency
    );
    Cost {
        currency: inputs.currency.clone(),
        pinned_applications: pinned,
        implementation_weeks: weeks,
        pin_changes_per_year: changes,
        yearly_operations: operations,
        yearly_incident_response: incidents,
        yearly_outage_risk: risk,
        lines,
        instead,
    }
}

/// An amount for people: whole with thousands separators ("16,800"), else
/// one decimal ("2.5").
pub fn amount(value: f64) -> String {
    if (value - value.round()).abs() < 0.05 {
        grouped(value)
    } else {
        format!("{value:.1}")
    }
}

/// A whole amount with thousands separators: 72000.4 → "72,000".
pub fn grouped(amount: f64) -> String {
    let rounded = amount.round();
    let digits = format!("{:.0}", rounded.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if rounded < 0.0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod grouped_tests {
    #[test]
    fn thousands_are_separated() {
        assert_eq!(super::grouped(72000.0), "72,000");
        assert_eq!(super::grouped(999.4), "999");
        assert_eq!(super::grouped(1_234_567.0), "1,234,567");
        assert_eq!(super::grouped(0.0), "0");
    }
}
