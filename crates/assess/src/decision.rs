//! Verdicts from the rule table: an application's verdict is the most
//! restrictive cap among its rules; the rules that set it are its reasons.
//! What a pinned application pins (the level, the backup) comes from its
//! type's row of the framework's table.

use pinwarden_core::policy::AppType;

use crate::facts::{AppFacts, Facts};
use crate::rules::{Check, RuleStatus, Step, evaluate, rule};

/// What to do about pinning an application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Pin.
    Pin,
    /// Pin, once the stated conditions hold (report-only first, say).
    PinWithConditions,
    /// Don't pin; do the alternatives.
    DontPin,
    /// Pinning would fit, but the organisation isn't ready to run it.
    NotReady,
}

impl Verdict {
    /// How restrictive it is: a verdict is the most restrictive cap. "Don't
    /// pin" outranks "not ready": readiness doesn't matter where pinning
    /// is the wrong tool.
    pub fn rank(self) -> u8 {
        match self {
            Self::Pin => 0,
            Self::PinWithConditions => 1,
            Self::NotReady => 2,
            Self::DontPin => 3,
        }
    }
}

/// The level to pin at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// An intermediate or root key of the CA.
    Ca,
    /// The organisation's own private root, with an offline backup root.
    PrivateRoot,
    /// Exactly the keys the partner publishes.
    PartnerPublished,
}

/// What the framework's table says an application of a type pins, and what
/// else it does.
struct TypeRow {
    app_type: AppType,
    level: Option<Level>,
    backup: &'static str,
    also: &'static [&'static str],
}

static TYPES: &[TypeRow] = &[
    TypeRow {
        app_type: AppType::Mobile,
        level: Some(Level::Ca),
        backup: "a root or intermediate key of a second CA",
        also: &[
            "serve the pins through a signed remote pin configuration, with built-in pins as the floor",
        ],
    },
    TypeRow {
        app_type: AppType::Desktop,
        level: Some(Level::Ca),
        backup: "a root or intermediate key of a second CA",
        also: &[],
    },
    TypeRow {
        app_type: AppType::Service,
        level: Some(Level::Ca),
        backup: "a root key of a second public CA",
        also: &[
            "the better investment: a private CA with automated short-lived certificates (public CAs stop issuing clientAuth certificates in 2026)",
        ],
    },
    TypeRow {
        app_type: AppType::Iot,
        level: Some(Level::PrivateRoot),
        backup: "an offline backup root",
        also: &[],
    },
    TypeRow {
        app_type: AppType::ThirdParty,
        level: Some(Level::PartnerPublished),
        backup: "the backup key the partner publishes",
        also: &["follow the partner's announced key and CA changes"],
    },
    TypeRow {
        app_type: AppType::Web,
        level: None,
        backup: "",
        also: &[],
    },
];

/// The verdict for one application.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Decision {
    /// The application.
    pub application: String,
    /// Its type.
    pub app_type: AppType,
    /// The verdict.
    pub verdict: Verdict,
    /// The level, when pinning.
    pub level: Option<Level>,
    /// The backup it needs, when pinning.
    pub backup: Option<String>,
    /// What else must change before it is a plain "pin", beyond the rules
    /// that decided (those are the reasons), with rule ids.
    pub conditions: Vec<String>,
    /// What to do instead of, or besides, pinning.
    pub instead: Vec<String>,
    /// Why, one sentence each, each ending with the rule ids behind it.
    pub reasons: Vec<String>,
    /// The ids of the rules that decided the verdict.
    pub rules: Vec<&'static str>,
    /// Every rule, its status and the facts it read.
    pub trace: Vec<Step>,
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|i| i == item) {
        list.push(item.to_owned());
    }
}

/// Decides for one application from the (possibly what-if) facts.
pub fn decide(facts: &Facts, app: &AppFacts) -> Decision {
    let mut trace = evaluate(facts, app);
    let verdict = trace
        .iter()
        .filter_map(|s| s.cap)
        .max_by_key(|v| v.rank())
        .unwrap_or(Verdict::Pin);
    let row = TYPES.iter().find(|r| r.app_type == app.app_type);
    let mut d = Decision {
        application: app.id.clone(),
        app_type: app.app_type,
        verdict,
        level: None,
        backup: None,
        conditions: Vec::new(),
        instead: Vec::new(),
        reasons: Vec::new(),
        rules: Vec::new(),
        trace: Vec::new(),
    };
    for step in &mut trace {
        if step.cap.is_some() && step.cap == Some(verdict) {
            step.decided = true;
            d.rules.push(step.rule);
            let then = step.then.unwrap_or_default();
            d.reasons.push(if step.facts.is_empty() {
                format!("{then} [{}]", step.rule)
            } else {
                format!("{then} ({}) [{}]", step.facts, step.rule)
            });
            if let Some(outcome) = rule(step.rule).and_then(|r| r.outcome(step.status)) {
                for i in outcome.instead {
                    push_unique(&mut d.instead, i);
                }
            }
        }
    }
    if verdict != Verdict::DontPin {
        // What else holds it back, beyond the rules that decided.
        for step in trace.iter().filter(|s| s.cap.is_some() && !s.decided) {
            let then = step.then.unwrap_or_default();
            d.conditions.push(format!("{then} [{}]", step.rule));
        }
        if let Some(row) = row {
            d.level = row.level;
            d.backup = Some(row.backup.to_owned()).filter(|b| !b.is_empty());
            for also in row.also {
                push_unique(&mut d.instead, also);
            }
        }
    }
    if verdict == Verdict::Pin {
        let met: Vec<&str> = trace
            .iter()
            .filter(|s| s.status == RuleStatus::Met)
            .map(|s| s.rule)
            .collect();
        d.reasons.push(format!(
            "every rule for this {} application is met ({})",
            crate::html::type_words(app.app_type),
            met.join(", ")
        ));
        // The application's own facts that make pinning fit (the
        // organisation's are in its verdict, above every report).
        for step in trace.iter().filter(|s| {
            s.status == RuleStatus::Met
                && rule(s.rule).is_some_and(|r| !matches!(r.check, Check::Org(_)))
        }) {
            // C-hours reads the same facts as B1: say them once.
            if !d.reasons.iter().any(|r| r.starts_with(&step.facts)) {
                d.reasons.push(format!("{} [{}]", step.facts, step.rule));
            }
        }
    }
    d.trace = trace;
    d
}
