//! The lock-out scenario suite: policies written from real incidents and
//! rules (tests/scenarios/lint/*.toml, sources in their `[scenario]` table
//! and in tests/scenarios/README.md), with real public CA keys. Each case
//! names the rules that must report and those that must stay quiet.

use std::path::Path;

use pinwarden_core::lint::{Context, lint};
use pinwarden_core::policy::Policy;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    title: String,
    /// The incident, rule or document the case comes from.
    source: String,
    today: toml::value::Datetime,
    #[serde(default)]
    expect: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
}

#[test]
fn every_lint_scenario_reports_what_its_incident_calls_for() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/lint");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let mut table: toml::Table =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let scenario: Scenario = table
            .remove("scenario")
            .unwrap_or_else(|| panic!("{name}: no [scenario]"))
            .try_into()
            .unwrap_or_else(|e| panic!("{name}: [scenario]: {e}"));
        assert!(
            !scenario.source.trim().is_empty() && !scenario.title.trim().is_empty(),
            "{name}"
        );
        assert!(
            !scenario.expect.is_empty() || !scenario.absent.is_empty(),
            "{name}: expects nothing"
        );
        let policy_text = toml::to_string(&table).unwrap();
        let policy = Policy::parse(&policy_text).unwrap_or_else(|d| panic!("{name}: {d:?}"));
        let today = pinwarden_core::policy::calendar_date(&scenario.today)
            .unwrap_or_else(|| panic!("{name}: today is not a date"));
        let found = lint(&policy, &Context::on(today));
        let fired: Vec<&str> = found.iter().map(|f| f.rule).collect();
        let missing: Vec<&String> = scenario
            .expect
            .iter()
            .filter(|r| !fired.contains(&r.as_str()))
            .collect();
        let unwanted: Vec<&String> = scenario
            .absent
            .iter()
            .filter(|r| fired.contains(&r.as_str()))
            .collect();
        if !missing.is_empty() || !unwanted.is_empty() {
            let messages: Vec<String> = found
                .iter()
                .map(|f| format!("    {} {}", f.rule, f.message))
                .collect();
            failures.push(format!(
                "{name} ({}): missing {missing:?}, unwanted {unwanted:?}\n{}",
                scenario.title,
                messages.join("\n")
            ));
        }
    }
    assert!(files.len() >= 50, "only {} lint scenarios", files.len());
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
