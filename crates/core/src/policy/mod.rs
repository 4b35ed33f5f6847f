//! The organisation's description, `pinwarden.toml`: maturity facts,
//! applications, pin sets, partners and endpoints. Every command reads it.
//!
//! [`Policy::parse`] reads and checks a file's text; every problem is a
//! [`Diagnostic`] with a line, a column and a hint.

mod load;
mod model;
mod schema;

pub use load::{Diagnostic, line_column};
pub use model::{
    AppType, Application, CostInputs, DataClass, Endpoint, Organisation, Partner, Policy,
    PolicyPin, PolicyPinSet, Runbook, RunbookKind, Telemetry, UpdateMechanism, calendar_date,
};
