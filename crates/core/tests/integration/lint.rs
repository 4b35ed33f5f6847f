//! Every lint rule fires on a policy with its risk and stays quiet on one
//! without it. The clean policy passes every rule; each case changes one
//! thing and expects exactly its rule.

use pinwarden_core::lint::{Context, Served, lint, rules};
use pinwarden_core::policy::Policy;
use pinwarden_core::{Certificate, SpkiPin, decode};
use pinwarden_test_support::Pki;

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

const X1: &str = "sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=";
const G2: &str = "sha256/i7WTqTvh0OioIruIfFR4kMPnBqrS2rdiVPl/s2uC/CY=";

fn ids(text: &str) -> Vec<&'static str> {
    let policy = Policy::parse(text).unwrap_or_else(|d| panic!("{d:?}\n{text}"));
    let today = time::macros::date!(2026 - 11 - 29);
    lint(&policy, &Context::on(today))
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
        // Rules on keys: the pins change, not their labels (the keys'
        // facts are the certificates' under crates/core/data/certs).
        // DigiCert Global Root G3 primary + DigiCert Global Root G2 backup
        // (two roots of one operator, neither signed the other).
        (
            "PW002",
            with(&[(X1, "sha256/uUwZgwDOxcBXrQcntwu+kYFpkiVkOaezL0WYEZ3anJc=")]),
        ),
        // A key the dataset doesn't know, stated to be a leaf: 90-day
        // certificates.
        (
            "PW003",
            with(&[(
                "pin = \"sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\"\nlevel = \"root\"",
                "pin = \"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"\nlevel = \"leaf\"",
            )]),
        ),
        // Let's Encrypt R10, still said to be a root, until before R10 expires.
        (
            "PW004",
            with(&[
                (X1, "sha256/K7rZOrXHknnsEhUH8nLL4MZkejquUuIvOIr6tCa0rbo="),
                ("expires = 2027-06-30", "expires = 2027-02-28"),
            ]),
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
        // Entrust Root Certification Authority - G2, still said to be DigiCert's.
        (
            "PW017",
            with(&[(G2, "sha256/du6FkDdMcVQ3u8prumAo6t3i3G27uMP2EOhR8R0at/U=")]),
        ),
        // The failover CA is Sectigo; the set holds Let's Encrypt and DigiCert.
        (
            "PW021",
            with(&[(
                "telemetry = \"reports\"\n",
                "telemetry = \"reports\"\nbackup_ca = \"Sectigo\"\n",
            )]),
        ),
        // A broad set over the narrow one's host.
        (
            "PW023",
            with(&[
                ("pinsets = [\"api\"]", "pinsets = [\"api\", \"wide\"]"),
                (
                    "[[pinset]]\nid = \"api\"",
                    "[[pinset]]\nid = \"wide\"\nhosts = [\"**.example.com\"]\nexpires = 2027-06-30\n\
                     report_uri = \"https://r.example.com/\"\n[[pinset.pins]]\n\
                     pin = \"sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\"\n[[pinset.pins]]\n\
                     pin = \"sha256/i7WTqTvh0OioIruIfFR4kMPnBqrS2rdiVPl/s2uC/CY=\"\nrole = \"backup\"\n\n\
                     [[pinset]]\nid = \"api\"",
                ),
            ]),
        ),
        (
            "PW022",
            with(&[(
                "level = \"root\"\nsource = \"ca:Let's Encrypt\"",
                "level = \"root\"\nsource = \"ca:Let's Encrypt\"\nrole = \"backup\"",
            )]),
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
    // Every rule has a case, here or in the certificate rules' test.
    let mut covered: Vec<&str> = cases.iter().map(|(id, _)| *id).collect();
    covered.extend(CERTIFICATE_RULES);
    covered.sort_unstable();
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
    let finding = lint(&policy, &Context::on(today))
        .into_iter()
        .find(|f| f.rule == "PW001")
        .unwrap();
    let (line, _) = pinwarden_core::policy::line_column(&text, finding.span.unwrap().start);
    assert_eq!(text.lines().nth(line - 1).unwrap(), "id = \"api\"");
}

/// Rules that need certificates (served chains, a trust store's roots).
const CERTIFICATE_RULES: [&str; 3] = ["PW018", "PW019", "PW020"];

fn certs(pem: &str) -> Vec<Certificate> {
    decode(pem.as_bytes()).unwrap().certificates
}

#[test]
fn certificate_rules_fire_on_their_risks_and_stay_quiet_otherwise() {
    let pki = Pki::new(&["api.example.com"]);
    let today = time::OffsetDateTime::now_utc().date();
    let known = certs(&format!("{}{}", pki.root.pem, pki.intermediate.pem));
    let served = vec![Served {
        host: "api.example.com".to_owned(),
        chain: certs(&format!("{}{}", pki.leaf.pem, pki.intermediate.pem)),
    }];
    let root_pin = known[0].pin;
    let inter_pin = known[1].pin;
    // The test root's validity is 90 days; a year-long pin set outlives it.
    let fingerprint = SpkiPin::from_digest(known[0].facts().unwrap().fingerprint_sha256);
    let outside = "sha256/i7WTqTvh0OioIruIfFR4kMPnBqrS2rdiVPl/s2uC/CY=";
    let policy = |expires_days: i64, primary: &str, backup: &str| {
        format!(
            "[[pinset]]\nid = \"api\"\nhosts = [\"api.example.com\"]\nexpires = {}\nreport_uri = \"https://r.example/\"\n\
             [[pinset.pins]]\npin = \"{primary}\"\n[[pinset.pins]]\npin = \"{backup}\"\nrole = \"backup\"\n",
            today + time::Duration::days(expires_days)
        )
    };
    let run = |text: &str| -> Vec<&'static str> {
        let policy = Policy::parse(text).unwrap_or_else(|d| panic!("{d:?}"));
        let context = Context {
            today,
            certificates: &known,
            served: &served,
            keys: pinwarden_core::cadata::KeyModel::builtin(),
        };
        lint(&policy, &context)
            .into_iter()
            .map(|f| f.rule)
            .filter(|id| CERTIFICATE_RULES.contains(id))
            .collect()
    };
    let inter = inter_pin.to_string();
    let root = root_pin.to_string();
    assert_eq!(
        run(&policy(30, &inter, outside)),
        Vec::<&str>::new(),
        "clean"
    );
    assert_eq!(
        run(&policy(30, outside, &inter)),
        ["PW018"],
        "backup in the served chain"
    );
    assert_eq!(
        run(&policy(365, &root, outside)),
        ["PW019"],
        "root expires before the set"
    );
    assert_eq!(
        run(&policy(30, &fingerprint.to_string(), outside)),
        ["PW020"],
        "fingerprint as pin"
    );
}
