//! `pinwarden.toml`: the example organisation, and every kind of mistake
//! pointing at its line and column.

use pinwarden_core::PinRole;
use pinwarden_core::policy::{AppType, Diagnostic, Policy};

const EXAMPLE: &str = include_str!("../../../../examples/pinwarden.toml");

fn problems(text: &str) -> Vec<Diagnostic> {
    Policy::parse(text).expect_err("the policy should be refused")
}

#[test]
fn the_example_organisation_reads_whole() {
    let policy = Policy::parse(EXAMPLE).unwrap_or_else(|d| panic!("{d:?}"));
    let mut types: Vec<AppType> = Vec::new();
    for a in &policy.applications {
        if !types.contains(&a.app_type) {
            types.push(a.app_type);
        }
    }
    assert_eq!(types.len(), 6, "all six application types: {types:?}");
    let set = policy.pinset("public-api").unwrap().to_pinset();
    assert_eq!(set.pins.len(), 3);
    assert_eq!(set.backups().count(), 1);
    assert_eq!(set.pins[2].role, PinRole::Backup);
    assert_eq!(set.expires.unwrap().to_string(), "2027-06-30");
    assert!(set.enforce, "enforce defaults to true");
    assert_eq!(policy.organisation.runbooks.len(), 3);
    assert_eq!(
        policy
            .endpoints
            .iter()
            .find(|e| e.host.starts_with("ledger"))
            .unwrap()
            .port,
        8443
    );
}

#[test]
fn an_unknown_key_is_located_and_hinted() {
    let text = "[organisation]\nname = \"x\"\nownr = \"me\"\n";
    let d = &problems(text)[0];
    assert_eq!((d.line, d.column), (3, 1), "{d}");
    assert!(d.message.contains("ownr"), "{d}");
    assert!(
        d.hint.as_deref().unwrap().contains("pinwarden schema"),
        "{d}"
    );
}

#[test]
fn a_bad_pin_is_located_with_its_reason() {
    let text =
        "[[pinset]]\nid = \"a\"\nhosts = [\"a.example\"]\n[[pinset.pins]]\npin = \"AB:CD:EF:01\"\n";
    let d = &problems(text)[0];
    assert_eq!(d.line, 5, "{d}");
    assert!(d.message.contains("fingerprint"), "{d}");
}

#[test]
fn duplicate_ids_and_dangling_references_are_reported() {
    let text = r#"
[[application]]
id = "app"
type = "mobile"
update_mechanism = "app-store"
pinsets = ["api", "missing"]

[[application]]
id = "app"
type = "web"
update_mechanism = "none"

[[pinset]]
id = "api"
hosts = ["api.example.com"]

[[pinset]]
id = "api"
hosts = ["api2.example.com"]
"#;
    let found = problems(text);
    let lines: Vec<(usize, &str)> = found.iter().map(|d| (d.line, d.message.as_str())).collect();
    assert!(
        found
            .iter()
            .any(|d| d.line == 6 && d.message.contains("\"missing\"")),
        "{lines:?}"
    );
    assert!(
        found
            .iter()
            .any(|d| d.line == 9 && d.message.contains("application id")),
        "{lines:?}"
    );
    assert!(
        found
            .iter()
            .any(|d| d.line == 18 && d.message.contains("pin set id")),
        "{lines:?}"
    );
    assert_eq!(found.len(), 3, "{lines:?}");
}

#[test]
fn impossible_and_non_calendar_dates_are_refused() {
    for (value, needle) in [
        ("2027-02-30", ""),
        ("2027-06-30T10:00:00", "not a calendar date"),
    ] {
        let text = format!("[[pinset]]\nid = \"a\"\nhosts = [\"a.example\"]\nexpires = {value}\n");
        let d = &problems(&text)[0];
        assert_eq!(d.line, 4, "{value}: {d}");
        assert!(d.message.contains(needle), "{value}: {d}");
    }
}

#[test]
fn a_repeated_pin_names_its_first_line() {
    let pin = "sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=";
    let text = format!(
        "[[pinset]]\nid = \"a\"\nhosts = [\"a.example\"]\n[[pinset.pins]]\npin = \"{pin}\"\n[[pinset.pins]]\npin = \"C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\"\n"
    );
    let d = &problems(&text)[0];
    assert_eq!(d.line, 7, "{d}");
    assert!(d.message.contains("first on line 5"), "{d}");
}

#[test]
fn wrong_values_name_the_choices() {
    let text = "[[application]]\nid = \"a\"\ntype = \"browser\"\nupdate_mechanism = \"none\"\n";
    let d = &problems(text)[0];
    assert_eq!(d.line, 3, "{d}");
    assert!(
        d.message.contains("browser") && d.message.contains("web"),
        "{d}"
    );
}
