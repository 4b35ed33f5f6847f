//! The framework's decision matrix, case by case (FRAMEWORK.md, "Decision by
//! application type"), with an organisation mature enough that no gate fires.

use pinwarden_assess::{Level, Verdict, assess};
use pinwarden_core::policy::Policy;

const MATURE_ORG: &str = r#"
[organisation]
owner = "pki@example.com"
automated_renewal_percent = 95
certificate_lifetime_days = 20
backup_ca = "Second CA"
backup_ca_contracted = true
ca_failover_exercised = true
hours_to_switch_ca = 24
backup_keys_pregenerated = true
pin_check_in_ci = true
telemetry = "alerting"
ct_monitoring = true
caa = true

[[organisation.runbook]]
kind = "rotation"
path = "r"
last_rehearsed = 2026-10-01
pin_step = true

[[organisation.runbook]]
kind = "ca-migration"
path = "r"
last_rehearsed = 2026-10-01
pin_step = true

[[organisation.runbook]]
kind = "emergency-reissue"
path = "r"
last_rehearsed = 2026-10-01
pin_step = true

[[endpoint]]
host = "own.example.com"

[[partner]]
id = "p"
hosts = ["partner.example.net"]
publishes_pins = true
notice_days = 30

[[partner]]
id = "q"
hosts = ["api.other.example"]
publishes_pins = false

[[pinset]]
id = "s"
hosts = ["own.example.com"]
[[pinset.pins]]
pin = "sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M="
[[pinset.pins]]
pin = "sha256/i7WTqTvh0OioIruIfFR4kMPnBqrS2rdiVPl/s2uC/CY="
role = "backup"

[[pinset]]
id = "p"
hosts = ["partner.example.net"]
[[pinset.pins]]
pin = "sha256/9J9wJmVBqfsC34PtGlxAfd3QAGmWbGI7mg7pyq2xiFw="
[[pinset.pins]]
pin = "sha256/IB4ry2PhUqw94mTJgfWj9pLKJqpeWerhYPdjgdnD10I="
role = "backup"
"#;

fn verdict(app: &str) -> (Verdict, Option<Level>, Vec<String>) {
    let set = if app.contains("third-party") {
        "p"
    } else {
        "s"
    };
    let text = format!("{MATURE_ORG}\n[[application]]\n{app}\npinsets = [\"{set}\"]\n");
    let policy = Policy::parse(&text).unwrap_or_else(|d| panic!("{d:?}"));
    let report = assess(&policy, time::macros::date!(2026 - 11 - 29));
    let d = &report.decisions[0];
    (d.verdict, d.level, d.instead.clone())
}

#[test]
fn the_framework_matrix() {
    use Verdict::{DontPin, Pin};
    let cases: &[(&str, &str, Verdict, Option<Level>, &str)] = &[
        (
            "mobile app, sensitive data, remote pin configuration",
            "id = \"a\"\ntype = \"mobile\"\ndata = [\"financial\"]\nupdate_mechanism = \"app-store\"\nupdate_days_to_95 = 21\nremote_pin_config = true",
            Pin,
            Some(Level::Ca),
            "",
        ),
        (
            "mobile app, sensitive data, no remote configuration",
            "id = \"a\"\ntype = \"mobile\"\ndata = [\"health\"]\nupdate_mechanism = \"app-store\"\nupdate_days_to_95 = 21",
            DontPin,
            None,
            "remote pin configuration",
        ),
        (
            "browser web app",
            "id = \"a\"\ntype = \"web\"\nupdate_mechanism = \"none\"",
            DontPin,
            None,
            "CAA",
        ),
        (
            "internal service, private CA, short-lived certificates",
            "id = \"a\"\ntype = \"service\"\ndata = [\"financial\"]\nupdate_mechanism = \"mandatory-auto-update\"\nupdate_days_to_95 = 1\nprivate_ca = true\ncertificate_lifetime_days = 2",
            DontPin,
            None,
            "mTLS",
        ),
        (
            "internal service on long-lived public certificates",
            "id = \"a\"\ntype = \"service\"\ndata = [\"financial\"]\nupdate_mechanism = \"mandatory-auto-update\"\nupdate_days_to_95 = 1\nprivate_ca = false\ncertificate_lifetime_days = 397",
            Pin,
            Some(Level::Ca),
            "private CA",
        ),
        (
            "IoT without OTA",
            "id = \"a\"\ntype = \"iot\"\ndata = [\"health\"]\nupdate_mechanism = \"none\"",
            DontPin,
            None,
            "mTLS",
        ),
        (
            "IoT with signed OTA",
            "id = \"a\"\ntype = \"iot\"\ndata = [\"health\"]\nupdate_mechanism = \"ota-signed\"\nupdate_days_to_95 = 5\nota_last_exercised = 2026-09-01",
            Pin,
            Some(Level::PrivateRoot),
            "",
        ),
        (
            "third-party API without a partner pin set",
            "id = \"a\"\ntype = \"third-party\"\ndata = [\"financial\"]\nupdate_mechanism = \"mandatory-auto-update\"\nupdate_days_to_95 = 1\nhosts = [\"api.other.example\"]",
            DontPin,
            None,
            "CT monitoring and standard",
        ),
        (
            "third-party API with a partner pin set",
            "id = \"a\"\ntype = \"third-party\"\ndata = [\"financial\"]\nupdate_mechanism = \"mandatory-auto-update\"\nupdate_days_to_95 = 1\nhosts = [\"partner.example.net\"]",
            Pin,
            Some(Level::PartnerPublished),
            "",
        ),
        (
            "desktop, own infrastructure, mandatory auto-update",
            "id = \"a\"\ntype = \"desktop\"\ndata = [\"financial\"]\nupdate_mechanism = \"mandatory-auto-update\"\nupdate_hours_to_95 = 12\nhosts = [\"own.example.com\"]",
            Pin,
            Some(Level::Ca),
            "",
        ),
        (
            "desktop with optional updates",
            "id = \"a\"\ntype = \"desktop\"\ndata = [\"financial\"]\nupdate_mechanism = \"app-store\"\nhosts = [\"own.example.com\"]",
            DontPin,
            None,
            "CT",
        ),
    ];
    for (name, app, want, level, instead) in cases {
        let (got, got_level, got_instead) = verdict(app);
        assert_eq!((got, got_level), (*want, *level), "{name}");
        if !instead.is_empty() {
            assert!(
                got_instead.iter().any(|i| i.contains(instead)),
                "{name}: {got_instead:?}"
            );
        }
    }
}

#[test]
fn gates_hold_back_an_immature_organisation() {
    let immature = MATURE_ORG
        .replace("owner = \"pki@example.com\"\n", "")
        .replace("telemetry = \"alerting\"", "telemetry = \"none\"");
    let app = "id = \"a\"\ntype = \"mobile\"\ndata = [\"financial\"]\nupdate_mechanism = \"app-store\"\nupdate_days_to_95 = 21\nremote_pin_config = true";
    let policy = Policy::parse(&format!(
        "{immature}\n[[application]]\n{app}\npinsets = [\"s\"]\n"
    ))
    .unwrap();
    let report = assess(&policy, time::macros::date!(2026 - 11 - 29));
    assert_eq!(
        report.decisions[0].verdict,
        Verdict::NotReady,
        "{:?}",
        report.decisions[0].reasons
    );

    let no_telemetry = MATURE_ORG.replace("telemetry = \"alerting\"", "telemetry = \"none\"");
    let policy = Policy::parse(&format!(
        "{no_telemetry}\n[[application]]\n{app}\npinsets = [\"s\"]\n"
    ))
    .unwrap();
    let report = assess(&policy, time::macros::date!(2026 - 11 - 29));
    assert_eq!(report.decisions[0].verdict, Verdict::PinWithConditions);
    assert!(
        report.decisions[0]
            .reasons
            .iter()
            .any(|r| r.contains("report-only"))
    );
}

#[test]
fn the_radar_scores_from_facts_with_weights_and_multipliers() {
    let policy = Policy::parse(MATURE_ORG).unwrap();
    let today = time::macros::date!(2026 - 11 - 29);
    let facts = pinwarden_assess::Facts::from_policy(&policy, today);
    let radar = pinwarden_assess::radar(&policy, &facts, today);
    use pinwarden_assess::Dimension as D;
    assert_eq!(radar.get(D::LifecycleAutomation), 75, "95% automated");
    assert_eq!(
        radar.get(D::CaAgility),
        100,
        "24 h, drilled, failover exercised"
    );
    assert_eq!(radar.get(D::Telemetry), 75);
    assert_eq!(
        radar.get(D::OwnershipRunbooks),
        100,
        "all rehearsed within 6 months"
    );
    assert_eq!(
        radar.get(D::LifetimeHygiene),
        75,
        "20-day certificates, backup keys pre-generated"
    );
    assert!(
        radar.scores.iter().all(|s| !s.facts.is_empty()),
        "every score names its facts"
    );
    // No internal services, devices or desktops: those dimensions are n/a,
    // left out of the overall score rather than scored 0.
    assert!(!radar.applies(D::PrivatePki) && !radar.applies(D::OtaUpdates));
    let mut with_zeros = radar.clone();
    for s in &mut with_zeros.scores {
        s.applies = true;
    }
    assert!(radar.overall(None) > with_zeros.overall(None));
    // Private PKI counts triple for services: a radar with only that
    // dimension at 100 scores higher for a service than by default.
    let mut only_private = with_zeros;
    for d in D::ALL {
        only_private.set(d, 0);
    }
    only_private.set(D::PrivatePki, 100);
    assert!(
        only_private.overall(Some(pinwarden_core::policy::AppType::Service))
            > only_private.overall(None)
    );
}

#[test]
fn cost_counts_pinned_applications_only() {
    let web = "id = \"w\"\ntype = \"web\"\nupdate_mechanism = \"none\"";
    let policy = Policy::parse(&format!("{MATURE_ORG}\n[[application]]\n{web}\n")).unwrap();
    let report = assess(&policy, time::macros::date!(2026 - 11 - 29));
    assert_eq!(report.cost.pinned_applications, 0);
    assert_eq!(report.cost.implementation_weeks, 0.0);
    let mobile = "id = \"m\"\ntype = \"mobile\"\ndata = [\"financial\"]\nupdate_mechanism = \"app-store\"\nupdate_days_to_95 = 10\nremote_pin_config = true\npinsets = [\"s\"]";
    let text = format!(
        "{MATURE_ORG}\n[cost]\nimplementation_weeks = 2.0\nremote_config_weeks = 1.0\n[[application]]\n{mobile}\n"
    );
    let policy = Policy::parse(&text).unwrap_or_else(|d| panic!("{d:?}"));
    let report = assess(&policy, time::macros::date!(2026 - 11 - 29));
    assert_eq!(report.cost.pinned_applications, 1);
    assert_eq!(
        report.cost.implementation_weeks, 3.0,
        "2 weeks + 1 for the remote configuration service, from [cost]"
    );
    assert_eq!(
        report.cost.pin_changes_per_year, 0.5,
        "CA-level pins change on CA events"
    );
}
