//! The framework's five questions, answered from the same facts and rules
//! as the verdicts: each answer names the rules it rests on.

use crate::facts::{Facts, Speed};
use crate::rules::{RuleStatus, rule};

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
    /// The rules it follows.
    pub rules: &'static [&'static str],
}

fn of(status: Option<RuleStatus>) -> Status {
    match status {
        Some(RuleStatus::Met | RuleStatus::NotApplicable) => Status::Ok,
        Some(RuleStatus::NotMet) => Status::AtRisk,
        Some(RuleStatus::NotStated) | None => Status::Unknown,
    }
}

/// The worst of several: at risk before unknown before ok.
fn worst(statuses: impl IntoIterator<Item = Status>) -> Option<Status> {
    statuses.into_iter().max_by_key(|s| match s {
        Status::Ok => 0,
        Status::Unknown => 1,
        Status::AtRisk => 2,
    })
}

/// Answers the five questions.
pub fn questions(facts: &Facts) -> Vec<Answer> {
    vec![
        update_speed(facts),
        ca_change(facts),
        org_question(
            facts,
            &["B4"],
            "Is there pin-failure telemetry?",
            [
                "yes: clients report pin failures, so a staged rollout catches a mistake before it reaches everyone",
                "no: the first sign of a pin mistake would be users reporting an outage",
                "not stated: without telemetry the first sign of a pin mistake is users reporting an outage",
            ],
        ),
        org_question(
            facts,
            &["B5"],
            "Are rotation, CA migration and emergency re-issuance in the runbooks, each with \"update the pins\" as a step?",
            [
                "yes: all three runbooks have the pin-update step",
                "not all: a pin update that isn't in the runbook won't happen smoothly",
                "the runbooks exist, but whether each has the pin-update step is not stated",
            ],
        ),
        org_question(
            facts,
            &["B6"],
            "Who owns the pin configuration lifecycle?",
            [
                "an owner is named, to review the pins at every certificate or CA change",
                "nobody: pinning set up by one team and forgotten will cause an incident",
                "nobody is named",
            ],
        ),
    ]
}

/// Question 1: the speed class of every application pinning is on the
/// table for. Hours are ok; days are viable but at risk; weeks or
/// user-dependent updates need a remote pin configuration.
fn update_speed(facts: &Facts) -> Answer {
    let candidates: Vec<_> = facts.apps.iter().filter(|a| a.candidate()).collect();
    let evidence: Vec<String> = candidates
        .iter()
        .map(|a| match a.speed.value {
            Some(s) => format!("{}: {} ({})", a.id, s.words(), a.speed.says),
            None => format!("{}: {}", a.id, a.speed.says),
        })
        .collect();
    let status = worst(candidates.iter().map(|a| match a.speed.value {
        Some(Speed::Hours) => Status::Ok,
        Some(_) => Status::AtRisk,
        None => Status::Unknown,
    }))
    .unwrap_or(Status::Unknown);
    let slowest = candidates
        .iter()
        .filter_map(|a| Some((a.speed.value?, a)))
        .max_by_key(|(s, _)| *s);
    let answer = match (status, slowest) {
        (_, None) if candidates.is_empty() => {
            "no application pins or is a candidate for pinning".to_owned()
        }
        (Status::Ok, _) => "within hours, for every application that pins or may pin".to_owned(),
        (_, Some((Speed::Weeks | Speed::Never, a))) => format!(
            "{}: {} — that needs a remote pin configuration, or no pinning",
            a.id,
            a.speed.value.map_or("", Speed::words)
        ),
        (_, Some((Speed::Days, a))) => format!(
            "{}: days — viable, but slower than the hours a lock-out allows",
            a.id
        ),
        _ => "not stated for some applications".to_owned(),
    };
    Answer {
        question: "How fast can updated pins reach 95% of clients?",
        answer,
        evidence,
        status,
        rules: &["B1", "C-hours"],
    }
}

/// Question 2: a switch within 24 hours, and pin sets that already hold
/// the backup CA's key (the applications that pin at the CA level today;
/// one with no pin set yet can't be locked in).
fn ca_change(facts: &Facts) -> Answer {
    let org = &facts.org;
    let b3 = rule("B3");
    let apps: Vec<_> = facts
        .apps
        .iter()
        .filter(|a| a.pins_today && b3.is_some_and(|r| r.applies.contains(&a.app_type)))
        .collect();
    let of = |v: Option<bool>| match v {
        Some(true) => Status::Ok,
        Some(false) => Status::AtRisk,
        None => Status::Unknown,
    };
    let switch = of(org.switch_in_a_day.value);
    let single = if org.single_ca.value == Some(true) {
        Status::AtRisk
    } else {
        Status::Ok
    };
    // A backup CA must exist, and every pin set must hold its key and a
    // second CA's (rule B3).
    let backup = match (&org.backup_ca.value, org.single_ca.value) {
        (Some(_), _) => Status::Ok,
        (None, Some(true)) => Status::AtRisk,
        (None, _) => Status::Unknown,
    };
    let keys = apps
        .iter()
        .flat_map(|a| [of(a.backup_ca_key.value), of(a.second_ca_key.value)]);
    let status = worst([switch, single, backup].into_iter().chain(keys)).unwrap_or(Status::Unknown);
    let mut evidence = vec![org.switch_in_a_day.says.clone(), org.backup_ca.says.clone()];
    evidence.extend(
        apps.iter()
            .map(|a| format!("{}: {}", a.id, a.backup_ca_key.says)),
    );
    let locked: Vec<&str> = apps
        .iter()
        .filter(|a| a.second_ca_key.value == Some(false))
        .map(|a| a.id.as_str())
        .collect();
    let without_backup: Vec<&str> = apps
        .iter()
        .filter(|a| a.backup_ca_key.value == Some(false))
        .map(|a| a.id.as_str())
        .collect();
    let answer = if org.single_ca.value == Some(true) {
        "one CA and no backup: a distrust would be a lock-in with no escape (Symantec's took about 18 months; others were faster)".to_owned()
    } else if !locked.is_empty() {
        format!(
            "{} pin only one CA: a CA change would lock their users out until new pins ship",
            locked.join(", ")
        )
    } else if !without_backup.is_empty() {
        format!(
            "the pin sets of {} don't hold the backup CA's key: switching to it would break them",
            without_backup.join(", ")
        )
    } else if switch == Status::AtRisk {
        "the backup CA's keys are pinned, but moving issuance takes longer than a day".to_owned()
    } else if status == Status::Ok {
        "issuance moves within a day, and the pin sets already hold the backup CA's key".to_owned()
    } else {
        "not known: state hours_to_switch_ca, backup_ca and the CA behind each pin".to_owned()
    };
    Answer {
        question: "What if we must change CA with 24 hours' notice?",
        answer,
        evidence,
        status,
        rules: &["B3"],
    }
}

/// A question one organisation-level rule answers.
fn org_question(
    facts: &Facts,
    rules: &'static [&'static str],
    question: &'static str,
    [ok, at_risk, unknown]: [&str; 3],
) -> Answer {
    let found = rules
        .first()
        .and_then(|id| rule(id))
        .and_then(|r| r.check_org(&facts.org));
    let status = of(found.as_ref().map(|(s, _)| *s));
    let answer = match status {
        Status::Ok => ok,
        Status::AtRisk => at_risk,
        Status::Unknown => unknown,
    };
    Answer {
        question,
        answer: answer.to_owned(),
        evidence: found.map(|(_, says)| vec![says]).unwrap_or_default(),
        status,
        rules,
    }
}
