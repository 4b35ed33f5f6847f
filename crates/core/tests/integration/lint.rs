//! Every lint rule fires on a policy with its risk and stays quiet on one
//! without it. The clean policy passes every rule; each case changes one
//! thing and expects exactly its rule.

use pinwarden_core::lint::{Context, lint, rules};
use pinwarden_core::policy::Policy;

const CLEAN: &str = r#"
[organisation]
owner = "pki@example.com"
certificate_lifetime_days = 90
telemetry = "reports"

[[organisation.runbook]]
kind = "rotation"
path = "rb/rotation.md"
last_rehearsed = 2026-06-01

[[organisation.runbook]]
kind = "ca-migration"
path = "rb/ca.md"
last_rehearsed = 2026-06-01

[[organisation.runbook]]
kind = "emergency-reissue"
path = "rb/emergency.md"
last_rehearsed = 2026-06-01

[[application]]
id = "app"
type = "mobile"
update_mechanism = "app-store"
update_days_to_95 = 21
remote_pin_config = true
hosts = ["api.example.com"]
pinsets = ["api"]
owner = "mobile@example.com"

[[pinset]]
id = "api"
hosts = ["api.example.com"]
expires = 2027-06-30
report_uri = "https://r.example.com/"

[[pinset.pins]]
pin = "sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M="
level = "root"
source = "ca:Let's Encrypt"

[[pinset.pins]]
pin = "sha256/i7WTqTvh0OioIruIfFR4kMPnBqrS2rdiVPl/s2uC/CY="
role = "backup"
level = "root"
source = "ca:DigiCert"
"#;

fn ids(text: &str) -> Vec<&'static str> {
    let policy = Policy::parse(text).unwrap_or_else(|d| panic!("{d:?}\n{text}"));
    let today = time::macros::date!(2026 - 11 - 29);
    lint(&policy, &Context { today })
        .iter()
        .map(|f| f.rule)
        .collect()
}

fn with(replacements: &[(&str, &str)]) -> String {
    let mut text = CLEAN.to_owned();
    for (from, to) in replacements {
        assert!(text.contains(from), "{from:?} not in the clean policy");
        text = text.replacen(from, to, 1);
    }
    text
}

#[test]
fn the_clean_policy_passes_every_rule() {
    assert_eq!(ids(CLEAN), Vec::<&str>::new());
}

#[test]
fn each_rule_fires_on_its_risk() {
    let backup = "role = \"backup\"\n";
    let cases: Vec<(&str, String)> = vec![
        ("PW001", with(&[(backup, "")])),
        (
            "PW002",
            with(&[("source = \"ca:DigiCert\"", "source = \"ca:Let's Encrypt\"")]),
        ),
        (
            "PW003",
            with(&[(
                "level = \"root\"\nsource = \"ca:Let's Encrypt\"",
                "level = \"leaf\"\nsource = \"ca:Let's Encrypt\"",
            )]),
        ),
        (
            "PW004",
            with(&[(
                "level = \"root\"\nsource = \"ca:Let's Encrypt\"",
                "level = \"intermediate\"\nsource = \"ca:Let's Encrypt\"",
            )]),
        ),
        ("PW005", with(&[("type = \"mobile\"", "type = \"web\"")])),
        (
            "PW006",
            with(&[("type = \"mobile\"", "type = \"third-party\"")]),
        ),
        (
            "PW007",
            with(&[(
                "type = \"mobile\"\nupdate_mechanism = \"app-store\"",
                "type = \"iot\"\nupdate_mechanism = \"ota-unsigned\"",
            )]),
        ),
        ("PW008", with(&[("remote_pin_config = true\n", "")])),
        ("PW009", with(&[("expires = 2027-06-30\n", "")])),
        (
            "PW010",
            with(&[("report_uri = \"https://r.example.com/\"\n", "")]),
        ),
        ("PW011", with(&[("owner = \"mobile@example.com\"\n", "")])),
        (
            "PW012",
            with(&[(
                "last_rehearsed = 2026-06-01\n",
                "last_rehearsed = 2025-06-01\n",
            )]),
        ),
        (
            "PW013",
            with(&[(
                "hosts = [\"api.example.com\"]\npinsets",
                "hosts = [\"api.example.com\", \"example.com\"]\npinsets",
            )]),
        ),
        ("PW014", with(&[("pinsets = [\"api\"]\n", "")])),
        (
            "PW015",
            with(&[("expires = 2027-06-30", "expires = 2026-01-31")]),
        ),
        (
            "PW016",
            with(&[("expires = 2027-06-30", "expires = 2026-12-10")]),
        ),
        (
            "PW017",
            with(&[("source = \"ca:DigiCert\"", "source = \"ca:Entrust\"")]),
        ),
    ];
    for (rule, text) in &cases {
        let found = ids(text);
        // Some risks imply others (an unused pin set is also no app's host
        // gap); the rule under test must be there, and nothing unrelated.
        assert!(found.contains(rule), "{rule} did not fire: {found:?}");
        let unrelated: Vec<_> = found.iter().filter(|id| *id != rule).collect();
        assert!(unrelated.is_empty(), "{rule}: also fired {unrelated:?}");
    }
    // Every rule has a case.
    let covered: Vec<&str> = cases.iter().map(|(id, _)| *id).collect();
    let all: Vec<&str> = rules().map(|r| r.id).collect();
    assert_eq!(covered, all);
}

#[test]
fn rules_are_documented_with_sources() {
    for rule in rules() {
        assert!(
            rule.id.starts_with("PW") && rule.id.len() == 5,
            "{}",
            rule.id
        );
        assert!(
            !rule.title.is_empty() && !rule.fix.is_empty(),
            "{}",
            rule.id
        );
        let cites = [
            "framework",
            "RFC",
            "platform",
            "Let's Encrypt",
            "CA/B Forum",
            "OkHttp",
            "Android",
        ];
        assert!(
            cites.iter().any(|c| rule.explanation.contains(c)),
            "{} names no source",
            rule.id
        );
    }
}

#[test]
fn findings_point_at_their_line() {
    let text = with(&[("role = \"backup\"\n", "")]);
    let policy = Policy::parse(&text).unwrap();
    let today = time::macros::date!(2026 - 11 - 29);
    let finding = lint(&policy, &Context { today })
        .into_iter()
        .find(|f| f.rule == "PW001")
        .unwrap();
    let (line, _) = pinwarden_core::policy::line_column(&text, finding.span.unwrap().start);
    assert_eq!(text.lines().nth(line - 1).unwrap(), "id = \"api\"");
}
