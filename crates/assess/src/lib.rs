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
mod gates;
mod html;
mod questions;
mod radar;
mod runbook;
mod svg;

pub use cost::{Cost, cost};
pub use decision::{Decision, Level, Verdict, decide};
pub use gates::{Effect, Gate, gates};
pub use html::{name, report_html, status_words, verdict_words};
pub use questions::{Answer, Status, questions};
pub use radar::{Dimension, Radar, Score, radar};
pub use runbook::runbooks;
pub use svg::radar_svg;

use pinwarden_core::policy::Policy;

/// Everything the framework says about an organisation.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    /// The radar's weighted overall score, 0–100.
    pub overall: u8,
    /// The organisation-wide radar.
    pub radar: Radar,
    /// The gates, open or closed.
    pub gates: Vec<Gate>,
    /// One decision per application.
    pub decisions: Vec<Decision>,
    /// The five questions, answered from the facts.
    pub questions: Vec<Answer>,
    /// The cost of pinning what the decisions say to pin.
    pub cost: Cost,
}

/// Assesses `policy` as of `today`.
pub fn assess(policy: &Policy, today: time::Date) -> Report {
    assess_with(policy, radar(policy, today), today)
}

/// Assesses `policy` with a given radar: the policy's own, with some scores
/// overridden ("what if CA agility were 75?").
pub fn assess_with(policy: &Policy, radar: Radar, today: time::Date) -> Report {
    let decisions: Vec<Decision> = policy
        .applications
        .iter()
        .map(|app| decide(policy, app, &radar))
        .collect();
    Report {
        overall: radar.overall(None),
        gates: gates(&radar),
        questions: questions(policy, &radar, today),
        cost: cost(policy, &decisions),
        radar,
        decisions,
    }
}
