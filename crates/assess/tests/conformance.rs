//! The conformance suite: organisations written from the framework's own
//! sentences (FRAMEWORK.md and the source text), each with the verdicts,
//! levels, rule statuses and question answers the text calls for. See
//! `tests/conformance/README.md`; the expectations were written from the
//! text, never from pinwarden's output.

use std::path::{Path, PathBuf};

use pinwarden_assess::{Report, assess, name};
use pinwarden_core::policy::Policy;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("policy.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn str_of<'a>(v: &'a toml::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(toml::Value::as_str)
}

/// Every way `report` differs from the case's expectations.
fn differences(report: &Report, expect: &toml::Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(want) = str_of(expect, "organisation") {
        let got = name(report.organisation.readiness);
        if got != want {
            out.push(format!("organisation: expected {want}, got {got}"));
        }
    }
    if let Some(questions) = expect.get("questions").and_then(toml::Value::as_table) {
        for (key, want) in questions {
            let n: usize = key.trim_start_matches('q').parse().unwrap_or(0);
            let Some(answer) = n.checked_sub(1).and_then(|i| report.questions.get(i)) else {
                out.push(format!("no question {key}"));
                continue;
            };
            let got = name(answer.status);
            if Some(got.as_str()) != want.as_str() {
                out.push(format!(
                    "{key}: expected {want}, got {got} ({})",
                    answer.answer
                ));
            }
        }
    }
    for app in expect
        .get("app")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = str_of(app, "id").unwrap_or_default();
        let Some(d) = report.decisions.iter().find(|d| d.application == id) else {
            out.push(format!("no decision for {id}"));
            continue;
        };
        if let Some(want) = str_of(app, "verdict") {
            let got = name(d.verdict);
            if got != want {
                out.push(format!(
                    "{id}: expected {want}, got {got} because {:?}",
                    d.reasons
                ));
            }
        }
        if let Some(want) = str_of(app, "level") {
            let got = d.level.map(name).unwrap_or_default();
            if got != want {
                out.push(format!("{id}: expected level {want}, got {got:?}"));
            }
        }
        for (rule, want) in app
            .get("rules")
            .and_then(toml::Value::as_table)
            .into_iter()
            .flatten()
        {
            let Some(step) = d.trace.iter().find(|s| s.rule == rule) else {
                out.push(format!("{id}: no rule {rule} in the trace"));
                continue;
            };
            let got = name(step.status);
            if Some(got.as_str()) != want.as_str() {
                out.push(format!(
                    "{id}: rule {rule}: expected {want}, got {got} ({})",
                    step.facts
                ));
            }
        }
    }
    out
}

#[test]
fn every_case_gets_the_frameworks_verdicts() {
    let cases = cases();
    assert!(
        cases.len() >= 40,
        "the suite has {} cases, fewer than 40",
        cases.len()
    );
    let today = time::macros::date!(2026 - 12 - 01);
    let mut failures = Vec::new();
    for dir in &cases {
        let text = std::fs::read_to_string(dir.join("policy.toml")).unwrap();
        let policy = Policy::parse(&text).unwrap_or_else(|d| panic!("{}: {d:?}", dir.display()));
        let expect: toml::Value =
            toml::from_str(&std::fs::read_to_string(dir.join("expect.toml")).unwrap())
                .unwrap_or_else(|e| panic!("{}/expect.toml: {e}", dir.display()));
        let report = assess(&policy, today);
        for d in differences(&report, &expect) {
            failures.push(format!(
                "{}: {d}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every rule of the table is exercised, met and not met, for every
/// application type it concerns, somewhere in the suite.
#[test]
fn every_rule_is_exercised_met_and_not_met_for_every_type() {
    let today = time::macros::date!(2026 - 12 - 01);
    let mut seen = std::collections::BTreeSet::new();
    for dir in cases() {
        let policy =
            Policy::parse(&std::fs::read_to_string(dir.join("policy.toml")).unwrap()).unwrap();
        for d in assess(&policy, today).decisions {
            for s in d.trace {
                seen.insert((s.rule, name(d.app_type), name(s.status)));
            }
        }
    }
    let mut missing = Vec::new();
    for rule in pinwarden_assess::RULES {
        for t in rule.applies {
            for status in ["met", "not-met"] {
                // A rule that can never be met (browsers can't pin) is only not met.
                if matches!(rule.check, pinwarden_assess::Check::Never(_)) && status == "met" {
                    continue;
                }
                // Where an absent fact means the thing is missing (no owner:
                // the same cap either way), "not stated" is how a policy file
                // says "not met".
                let absent_is_missing = status == "not-met"
                    && rule.not_stated.cap == rule.not_met.cap
                    && seen.contains(&(rule.id, name(*t), "not-stated".to_owned()));
                if !absent_is_missing && !seen.contains(&(rule.id, name(*t), status.to_owned())) {
                    missing.push(format!("{} {} {status}", rule.id, name(*t)));
                }
            }
        }
    }
    assert!(missing.is_empty(), "not exercised: {missing:?}");
}
