//! The framework's five questions, answered from the policy's facts.

use pinwarden_core::policy::{Policy, RunbookKind};

use crate::radar::{Dimension, Radar};

/// How an answer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The facts support pinning.
    Ok,
    /// The facts show a gap.
    AtRisk,
    /// The policy doesn't say.
    Unknown,
}

/// One question with its answer.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Answer {
    /// The question.
    pub question: &'static str,
    /// The answer, in a sentence.
    pub answer: String,
    /// The facts it rests on.
    pub evidence: Vec<String>,
    /// How it stands.
    pub status: Status,
}

/// Answers the five questions.
pub fn questions(policy: &Policy, radar: &Radar, _today: time::Date) -> Vec<Answer> {
    let org = &policy.organisation;
    let facts = |d: Dimension| {
        radar
            .scores
            .iter()
            .find(|s| s.dimension == d)
            .map(|s| s.facts.clone())
            .unwrap_or_default()
    };
    let speed = radar.get(Dimension::PinUpdateSpeed);
    let q1 = Answer {
        question: "How fast can updated pins reach 95% of clients?",
        answer: match speed {
            75.. => "within days, through a remote pin configuration".into(),
            50..=74 => "within a month, through forced updates or remote configuration".into(),
            1..=49 => "only as fast as app releases spread: weeks or more".into(),
            0 => "unknown, or slower than 90 days".into(),
        },
        evidence: facts(Dimension::PinUpdateSpeed),
        status: match speed {
            50.. => Status::Ok,
            0 if policy
                .applications
                .iter()
                .all(|a| a.update_days_to_95.is_none()) =>
            {
                Status::Unknown
            }
            _ => Status::AtRisk,
        },
    };
    let agility = radar.get(Dimension::CaAgility);
    let q2 = Answer {
        question: "What if we must change CA with 24 hours' notice?",
        answer: match (&org.backup_ca, agility) {
            (None, _) => {
                "there is no backup CA: a single pinned CA is a lock-in with no escape".into()
            }
            (Some(ca), 75..) => format!("switch to {ca}, rehearsed and fast enough"),
            (Some(ca), _) => format!("{ca} is contracted, but the switch is slow or not drilled"),
        },
        evidence: facts(Dimension::CaAgility),
        status: if agility >= 75 {
            Status::Ok
        } else if org.backup_ca.is_none() && org.hours_to_switch_ca.is_none() {
            Status::Unknown
        } else {
            Status::AtRisk
        },
    };
    let telemetry = radar.get(Dimension::Telemetry);
    let q3 = Answer {
        question: "Is there pin-failure telemetry?",
        answer: if telemetry >= 50 {
            "yes: failures are reported, so staged rollouts can catch mistakes".into()
        } else {
            "no: the first sign of a pin mistake would be users reporting outages".into()
        },
        evidence: facts(Dimension::Telemetry),
        status: match (telemetry, org.telemetry) {
            (50.., _) => Status::Ok,
            (_, None) => Status::Unknown,
            _ => Status::AtRisk,
        },
    };
    let kinds = [
        RunbookKind::Rotation,
        RunbookKind::CaMigration,
        RunbookKind::EmergencyReissue,
    ];
    let missing: Vec<&str> = kinds
        .iter()
        .filter(|k| !org.runbooks.iter().any(|r| r.kind == **k))
        .map(|k| match k {
            RunbookKind::Rotation => "rotation",
            RunbookKind::CaMigration => "CA migration",
            RunbookKind::EmergencyReissue => "emergency re-issuance",
        })
        .collect();
    let q4 = Answer {
        question: "Are rotation, CA migration and emergency re-issuance in the runbooks, with \"update the pins\" as a step?",
        answer: if missing.is_empty() {
            "all three have runbooks".into()
        } else {
            format!("missing: {}", missing.join(", "))
        },
        evidence: org
            .runbooks
            .iter()
            .map(|r| format!("{:?}: {}", r.kind, r.path))
            .collect(),
        status: if missing.is_empty() {
            Status::Ok
        } else {
            Status::AtRisk
        },
    };
    let q5 = Answer {
        question: "Who owns the pin configuration lifecycle?",
        answer: org
            .owner
            .clone()
            .unwrap_or_else(|| "nobody is named".into()),
        evidence: facts(Dimension::OwnershipRunbooks),
        status: if org.owner.is_some() {
            Status::Ok
        } else {
            Status::AtRisk
        },
    };
    vec![q1, q2, q3, q4, q5]
}
