//! pinwarden-assess: the decision framework, from an organisation's facts.
//!
//! The PKI Health Radar scores nine dimensions of certificate lifecycle
//! maturity, each score carrying the facts that moved it; the decision table
//! turns the radar and each application's facts into a verdict with reasons;
//! the five questions and the cost model complete the report. Pure: policy in,
//! values out.
//!
//! # Getting started
//! ```
//! use pinwarden_assess::assess;
//! use pinwarden_core::policy::Policy;
//!
//! let policy = Policy::parse(r#"
//! [[application]]
//! id = "web"
//! type = "web"
//! update_mechanism = "none"
//! "#).unwrap();
//! let report = assess(&policy, time::macros::date!(2026 - 11 - 29));
//! assert_eq!(report.decisions[0].verdict, pinwarden_assess::Verdict::DontPin);
//! ```

mod cost;
mod decision;
mod facts;
mod gates;
mod html;
mod org;
mod questions;
mod radar;
mod rules;
mod runbook;
mod svg;

pub use cost::{Cost, CostLine, amount, cost, grouped};
pub use decision::{Decision, Level, Verdict, decide};
pub use facts::{AppFacts, Fact, Facts, OrgFacts, Speed};
pub use gates::{Gate, GateState, gates};
pub use html::{
    REPORT_CSS, gate_words, name, readiness_words, report_html, report_html_linked,
    rule_status_words, status_words, type_words, verdict_words,
};
pub use org::{OrgVerdict, Readiness, org_verdict};
pub use questions::{Answer, Status, questions};
pub use radar::{Dimension, Radar, Score, radar};
pub use rules::{Check, Outcome, RULES, Rule, RuleStatus, Step, rule};
pub use runbook::runbooks;
pub use svg::radar_svg;

use pinwarden_core::policy::Policy;

/// Everything the framework says about an organisation.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    /// The organisation's verdict: ready or not, what to pin, the alternatives.
    pub organisation: OrgVerdict,
    /// The radar's weighted overall score, 0–100, over the dimensions that apply.
    pub overall: u8,
    /// The organisation-wide radar.
    pub radar: Radar,
    /// The gates, passed, closed or unknown.
    pub gates: Vec<Gate>,
    /// One decision per application, each with its rule trace.
    pub decisions: Vec<Decision>,
    /// The five questions, answered from the facts.
    pub questions: Vec<Answer>,
    /// The cost of pinning what the decisions say to pin.
    pub cost: Cost,
}

/// Assesses `policy` as of `today`.
pub fn assess(policy: &Policy, today: time::Date) -> Report {
    assess_what_if(policy, today, &[])
}

/// Assesses `policy` with some radar scores set by hand ("what if CA
/// agility were 75?"): each score overrides the facts it stands for, so
/// verdicts, answers and gates all follow it.
pub fn assess_what_if(policy: &Policy, today: time::Date, overrides: &[(Dimension, u8)]) -> Report {
    let mut facts = Facts::from_policy(policy, today);
    let mut radar = radar(policy, &facts, today);
    for &(dimension, value) in overrides {
        facts.what_if(dimension, value);
        radar.set(dimension, value);
    }
    let decisions: Vec<Decision> = facts.apps.iter().map(|app| decide(&facts, app)).collect();
    let overall = radar.overall(None);
    Report {
        organisation: org_verdict(&facts, &decisions, overall),
        overall,
        gates: gates(&facts, &radar),
        questions: questions(&facts),
        cost: cost(policy, &facts, &decisions),
        radar,
        decisions,
    }
}
