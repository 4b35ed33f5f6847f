//! Property: no application gets "pin" unless every rule of sections A and
//! B that concerns it is met, whatever the policy states or leaves out, and
//! whatever the what-if sliders say (decision rules, A and B).

use pinwarden_assess::{
    Dimension, GateState, Readiness, RuleStatus, Status, Verdict, assess_what_if,
};
use pinwarden_core::policy::Policy;
use proptest::prelude::*;

/// Writes `key = value` when the fact is stated.
fn opt<T: std::fmt::Display>(out: &mut String, key: &str, value: Option<T>) {
    if let Some(v) = value {
        out.push_str(&format!("{key} = {v}\n"));
    }
}

const TYPES: [&str; 6] = ["mobile", "web", "service", "iot", "third-party", "desktop"];
const DATA: [&str; 6] = [
    "financial",
    "health",
    "auth-tokens",
    "regulated",
    "personal",
    "public",
];
const MECHANISMS: [&str; 5] = [
    "app-store",
    "mandatory-auto-update",
    "ota-signed",
    "ota-unsigned",
    "none",
];
const TELEMETRY: [&str; 4] = ["none", "reports", "alerting", "auto-rollback"];
const PINS: [&str; 4] = [
    "sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=",
    "sha256/i7WTqTvh0OioIruIfFR4kMPnBqrS2rdiVPl/s2uC/CY=",
    "sha256/9J9wJmVBqfsC34PtGlxAfd3QAGmWbGI7mg7pyq2xiFw=",
    "sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=",
];

#[derive(Debug, Clone)]
struct App {
    kind: usize,
    data: Vec<usize>,
    mechanism: Option<usize>,
    days: Option<u32>,
    hours: Option<u32>,
    remote: Option<bool>,
    private_ca: Option<bool>,
    ota_tested: Option<bool>,
    reach: Option<u8>,
    host: usize,
    pins: Vec<usize>,
}

fn app() -> impl Strategy<Value = App> {
    (
        (
            0..6usize,
            proptest::collection::vec(0..6usize, 0..3),
            proptest::option::of(0..5usize),
        ),
        (
            proptest::option::of(0..200u32),
            proptest::option::of(0..400u32),
            proptest::option::of(any::<bool>()),
        ),
        (
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
            proptest::option::of(0..=100u8),
        ),
        (0..4usize, proptest::collection::vec(0..4usize, 0..3)),
    )
        .prop_map(
            |(
                (kind, data, mechanism),
                (days, hours, remote),
                (private_ca, ota_tested, reach),
                (host, pins),
            )| App {
                kind,
                data,
                mechanism,
                days,
                hours,
                remote,
                private_ca,
                ota_tested,
                reach,
                host,
                pins,
            },
        )
}

#[derive(Debug, Clone)]
struct Org {
    owner: bool,
    automated: Option<u8>,
    telemetry: Option<usize>,
    switch: Option<u32>,
    backup: bool,
    runbooks: Vec<Option<bool>>,
    publishes: Option<bool>,
    notice: Option<u32>,
}

fn org() -> impl Strategy<Value = Org> {
    (
        any::<bool>(),
        proptest::option::of(0..=100u8),
        proptest::option::of(0..4usize),
        proptest::option::of(0..200u32),
        any::<bool>(),
        proptest::collection::vec(proptest::option::of(any::<bool>()), 0..4),
        proptest::option::of(any::<bool>()),
        proptest::option::of(0..60u32),
    )
        .prop_map(
            |(owner, automated, telemetry, switch, backup, runbooks, publishes, notice)| Org {
                owner,
                automated,
                telemetry,
                switch,
                backup,
                runbooks,
                publishes,
                notice,
            },
        )
}

fn policy(org: &Org, apps: &[App]) -> String {
    let mut t = String::from("[organisation]\n");
    if org.owner {
        t.push_str("owner = \"pki@example.com\"\n");
    }
    opt(&mut t, "automated_renewal_percent", org.automated);
    opt(
        &mut t,
        "telemetry",
        org.telemetry.map(|i| format!("{:?}", TELEMETRY[i])),
    );
    opt(&mut t, "hours_to_switch_ca", org.switch);
    if org.backup {
        t.push_str("backup_ca = \"DigiCert\"\n");
    }
    let kinds = ["rotation", "ca-migration", "emergency-reissue"];
    for (i, step) in org.runbooks.iter().enumerate().take(3) {
        t.push_str(&format!(
            "[[organisation.runbook]]\nkind = {:?}\npath = \"r\"\n",
            kinds[i]
        ));
        opt(&mut t, "pin_step", *step);
    }
    // Hosts 0 and 1 are own endpoints, 2 a partner's, 3 nobody's.
    t.push_str("[[endpoint]]\nhost = \"h0.example\"\n[[endpoint]]\nhost = \"h1.example\"\n");
    t.push_str("[[partner]]\nid = \"p\"\nhosts = [\"h2.example\"]\n");
    opt(&mut t, "publishes_pins", org.publishes);
    opt(&mut t, "notice_days", org.notice);
    for (n, a) in apps.iter().enumerate() {
        if !a.pins.is_empty() {
            t.push_str(&format!(
                "[[pinset]]\nid = \"s{n}\"\nhosts = [\"h{}.example\"]\n",
                a.host
            ));
            let mut seen = Vec::new();
            for p in &a.pins {
                if !seen.contains(p) {
                    seen.push(*p);
                    t.push_str(&format!("[[pinset.pins]]\npin = {:?}\n", PINS[*p]));
                }
            }
        }
    }
    for (n, a) in apps.iter().enumerate() {
        t.push_str(&format!(
            "[[application]]\nid = \"a{n}\"\ntype = {:?}\n",
            TYPES[a.kind]
        ));
        let data: Vec<String> = a.data.iter().map(|d| format!("{:?}", DATA[*d])).collect();
        t.push_str(&format!(
            "data = [{}]\nhosts = [\"h{}.example\"]\n",
            data.join(", "),
            a.host
        ));
        opt(
            &mut t,
            "update_mechanism",
            a.mechanism.map(|m| format!("{:?}", MECHANISMS[m])),
        );
        opt(&mut t, "update_days_to_95", a.days);
        opt(&mut t, "update_hours_to_95", a.hours);
        opt(&mut t, "remote_pin_config", a.remote);
        opt(&mut t, "private_ca", a.private_ca);
        opt(&mut t, "ota_tested", a.ota_tested);
        opt(&mut t, "ota_fleet_reach_percent", a.reach);
        if !a.pins.is_empty() {
            t.push_str(&format!("pinsets = [\"s{n}\"]\n"));
        }
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn pin_only_when_every_rule_of_a_and_b_is_met(
        org in org(),
        apps in proptest::collection::vec(app(), 1..5),
        sliders in proptest::collection::vec((0..9usize, 0..=100u8), 0..3),
    ) {
        let text = policy(&org, &apps);
        let policy = Policy::parse(&text).map_err(|d| TestCaseError::fail(format!("{d:?}\n{text}")))?;
        let overrides: Vec<(Dimension, u8)> =
            sliders.iter().map(|&(d, v)| (Dimension::ALL[d], v)).collect();
        let report = assess_what_if(&policy, time::macros::date!(2026 - 12 - 01), &overrides);
        for d in &report.decisions {
            let unmet: Vec<_> = d
                .trace
                .iter()
                .filter(|s| s.rule.starts_with('A') || s.rule.starts_with('B'))
                .filter(|s| !matches!(s.status, RuleStatus::Met | RuleStatus::NotApplicable))
                .collect();
            if d.verdict == Verdict::Pin {
                prop_assert!(unmet.is_empty(), "{} pinned with {unmet:?}\n{text}", d.application);
            }
            // And the converse for the rules that stop pinning outright.
            if d.trace.iter().any(|s| s.cap == Some(Verdict::DontPin)) {
                prop_assert_eq!(d.verdict, Verdict::DontPin);
            }
            // Every verdict other than "pin" names the rules that decided it.
            if d.verdict != Verdict::Pin {
                prop_assert!(!d.rules.is_empty(), "{} has no deciding rule", d.application);
            }
        }
        // The organisation-wide gates (B2, B4, B6) and the verdicts agree:
        // while one holds, nothing is a plain "pin", and nothing is better
        // than what the gate allows; the question each rule answers agrees.
        for gate in report.gates.iter().filter(|g| g.rule != "B1") {
            if gate.closed {
                for d in &report.decisions {
                    prop_assert!(d.verdict.rank() >= gate.effect.rank(), "{} vs gate {}", d.application, gate.rule);
                }
            }
            let question = match gate.rule {
                "B4" => 2,
                "B6" => 4,
                _ => continue,
            };
            let status = report.questions[question].status;
            prop_assert_eq!(gate.state == GateState::Passed, status == Status::Ok, "gate {} vs question {}", gate.rule, question + 1);
        }
        // Readiness follows B2 and B6.
        let b6 = report.gates.iter().find(|g| g.rule == "B6").unwrap();
        if b6.closed {
            prop_assert_eq!(report.organisation.readiness, Readiness::NotReady);
        }
    }
}
