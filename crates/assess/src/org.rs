//! The organisation's verdict (decision rules, section D): is it ready to
//! pin at all, which applications to pin, and what to run for everything
//! else. Readiness is the organisation-level rules B2 (lifecycle
//! automation) and B6 (an owner); pinning decisions sit downstream of
//! certificate lifecycle maturity, so a not-ready organisation is told to
//! start with an infrastructure assessment and automation.

use crate::decision::{Decision, Verdict};
use crate::facts::Facts;
use crate::rules::{RuleStatus, rule};

/// Whether the organisation is ready to pin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Readiness {
    /// Lifecycle automation and ownership are in place.
    Ready,
    /// One of them is missing: pin nothing yet.
    NotReady,
    /// The policy doesn't state enough to tell.
    Undetermined,
}

/// The verdict that heads every report.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OrgVerdict {
    /// Ready or not.
    pub readiness: Readiness,
    /// The verdict in a sentence.
    pub summary: String,
    /// Why, with rule ids.
    pub why: Vec<String>,
    /// Applications to pin as they are.
    pub pin: Vec<String>,
    /// Applications to pin once their conditions hold.
    pub pin_with_conditions: Vec<String>,
    /// Applications that would fit pinning once the organisation is ready.
    pub not_ready: Vec<String>,
    /// Applications not to pin.
    pub dont_pin: Vec<String>,
    /// What to do first.
    pub first_steps: Vec<String>,
    /// The alternatives for everything not pinned (and alongside pinning).
    pub alternatives: Vec<String>,
}

impl OrgVerdict {
    /// The applications by verdict, with the verdict's words, in the order a
    /// report lists them; groups without applications are left out.
    pub fn groups(&self) -> Vec<(Verdict, &[String])> {
        [
            (Verdict::Pin, &self.pin),
            (Verdict::PinWithConditions, &self.pin_with_conditions),
            (Verdict::NotReady, &self.not_ready),
            (Verdict::DontPin, &self.dont_pin),
        ]
        .into_iter()
        .filter(|(_, apps)| !apps.is_empty())
        .map(|(v, apps)| (v, apps.as_slice()))
        .collect()
    }
}

fn ids(decisions: &[Decision], verdict: Verdict) -> Vec<String> {
    decisions
        .iter()
        .filter(|d| d.verdict == verdict)
        .map(|d| d.application.clone())
        .collect()
}

/// The organisation's verdict from its facts and the applications' decisions.
pub fn org_verdict(facts: &Facts, decisions: &[Decision], overall: u8) -> OrgVerdict {
    let mut why = Vec::new();
    let mut first_steps = Vec::new();
    let mut failing = Vec::new();
    let mut unstated = false;
    for id in ["B2", "B6"] {
        let Some(r) = rule(id) else { continue };
        let Some((status, says)) = r.check_org(&facts.org) else {
            continue;
        };
        let outcome = r.outcome(status);
        match (status, outcome) {
            (RuleStatus::Met, _) => why.push(format!("{} ({says}) [{id}]", r.asks)),
            (_, Some(o)) => {
                if o.cap == Verdict::NotReady {
                    failing.push(if id == "B2" {
                        "automate the certificate lifecycle"
                    } else {
                        "name an owner of the pin configuration"
                    });
                } else {
                    unstated = true;
                }
                why.push(format!("{} ({says}) [{id}]", o.then));
                first_steps.extend(o.instead.iter().map(|s| (*s).to_owned()));
            }
            _ => {}
        }
    }
    why.push(format!("PKI Health Radar: {overall}/100"));
    let readiness = if !failing.is_empty() {
        Readiness::NotReady
    } else if unstated {
        Readiness::Undetermined
    } else {
        Readiness::Ready
    };
    if readiness != Readiness::Ready {
        first_steps.insert(
            0,
            "start with an infrastructure assessment of the certificate lifecycle: pinning decisions sit downstream of it".to_owned(),
        );
    }
    let pin = ids(decisions, Verdict::Pin);
    let conditional = ids(decisions, Verdict::PinWithConditions);
    let summary = match readiness {
        Readiness::NotReady => format!(
            "Not ready to pin: {} first; run the alternatives meanwhile",
            failing.join(" and ")
        ),
        Readiness::Undetermined => {
            "Readiness can't be told from the policy: state the missing facts below".to_owned()
        }
        Readiness::Ready if pin.is_empty() && conditional.is_empty() => {
            "Ready to pin, but no application should: run the alternatives".to_owned()
        }
        Readiness::Ready => format!(
            "Ready to pin: {} to pin, {} with conditions; the alternatives for the rest",
            pin.len(),
            conditional.len()
        ),
    };
    OrgVerdict {
        readiness,
        summary,
        why,
        pin,
        pin_with_conditions: conditional,
        not_ready: ids(decisions, Verdict::NotReady),
        dont_pin: ids(decisions, Verdict::DontPin),
        first_steps,
        alternatives: alternatives(facts),
    }
}

/// CT monitoring, CAA and lifecycle automation: kept where the policy says
/// they exist, started where it doesn't.
fn alternatives(facts: &Facts) -> Vec<String> {
    let org = &facts.org;
    let line = |present: Option<bool>, keep: &str, start: &str| {
        if present == Some(true) {
            format!("keep {keep}")
        } else {
            start.to_owned()
        }
    };
    vec![
        line(
            org.ct_monitoring.value,
            "Certificate Transparency monitoring of the domains (`pinwarden ct watch`)",
            "monitor Certificate Transparency logs for the domains, to see an unexpected certificate within the hour (`pinwarden ct watch`)",
        ),
        line(
            org.caa.value,
            "CAA records limiting issuance to the CAs in use",
            "publish CAA records limiting issuance to the CAs in use (`pinwarden caa`)",
        ),
        line(
            org.automated.value,
            "automating certificate renewal and deployment, toward zero-touch",
            "automate certificate renewal and deployment: the same effort pinning costs buys more here",
        ),
    ]
}
