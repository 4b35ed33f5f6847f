//! Lock-out and lifecycle risks in a policy, found before they ship.
//!
//! Each rule has a stable id (`PW001`…), a severity, a one-line title, an
//! explanation that names where it comes from (the decision framework, an
//! RFC, a platform's documented behaviour) and a fix. [`lint`] runs every
//! rule; findings point at the application or pin set they are about.

use std::fmt;
use std::ops::Range;

use crate::cadata::KeyModel;
use crate::cert::Certificate;
use crate::policy::Policy;

mod rules;
mod sarif;

pub use sarif::sarif;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// A risk to plan for.
    Warning,
    /// A lock-out waiting to happen, or pinning where it can't work.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        })
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Self::Info),
            "warning" => Ok(Self::Warning),
            "error" => Ok(Self::Error),
            _ => Err(format!(
                "unknown severity {s:?}; one of info, warning, error"
            )),
        }
    }
}

/// A lint rule.
#[derive(Debug, serde::Serialize)]
pub struct Rule {
    /// Stable id, `PW` and three digits.
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// One line.
    pub title: &'static str,
    /// Why it matters, naming its source.
    pub explanation: &'static str,
    /// What to do.
    pub fix: &'static str,
}

/// One risk found.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: &'static str,
    /// The rule's severity.
    pub severity: Severity,
    /// What was found, about which application or pin set.
    pub message: String,
    /// Where in the policy text (bytes), when known.
    #[serde(skip)]
    pub span: Option<Range<usize>>,
}

/// What the rules may need besides the policy.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// Today, for rehearsal ages and expiries.
    pub today: time::Date,
    /// Certificates known to pinwarden (a trust store's roots, chain files):
    /// lets rules see when a pinned CA certificate expires, or spot a
    /// certificate hash pasted where a pin belongs.
    pub certificates: &'a [Certificate],
    /// Chains the hosts serve today, when known.
    pub served: &'a [Served],
    /// What keys are: the CA and distrust datasets.
    pub keys: KeyModel<'a>,
}

/// A chain a host serves.
#[derive(Clone, Debug)]
pub struct Served {
    /// The host.
    pub host: String,
    /// Its certificates as served, leaf first.
    pub chain: Vec<Certificate>,
}

impl<'a> Context<'a> {
    /// A context with no certificates: the rules that need them stay quiet.
    pub fn on(today: time::Date) -> Self {
        Self {
            today,
            certificates: &[],
            served: &[],
            keys: KeyModel::builtin(),
        }
    }
}

/// Runs every rule over `policy`; findings sorted by position, then rule.
pub fn lint(policy: &Policy, context: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (rule, check) in rules::CHECKS {
        let mut found = Vec::new();
        check(policy, context, &mut found);
        out.extend(found.into_iter().map(|(message, span)| Finding {
            rule: rule.id,
            severity: rule.severity,
            message,
            span,
        }));
    }
    out.sort_by_key(|f| (f.span.as_ref().map_or(0, |s| s.start), f.rule));
    out
}

/// Every rule, in id order.
pub fn rules() -> impl Iterator<Item = &'static Rule> {
    rules::CHECKS.iter().map(|(rule, _)| *rule)
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    rules().find(|r| r.id == id)
}
