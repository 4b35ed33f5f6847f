//! Lint decides from keys: what a policy says about a pin the CA dataset
//! knows (its label, level and source) changes no finding.

use pinwarden_core::cadata::{CaDataset, DistrustDataset};
use pinwarden_core::lint::{Context, lint};
use pinwarden_core::policy::Policy;
use proptest::prelude::*;

/// Every key the datasets know.
fn known_pins() -> Vec<String> {
    let cas = CaDataset::builtin()
        .cas()
        .iter()
        .flat_map(|ca| ca.keys.iter().map(|k| k.pin.to_string()));
    let distrusted = DistrustDataset::builtin()
        .events()
        .iter()
        .flat_map(|e| e.keys.iter().map(|k| k.pin.to_string()));
    cas.chain(distrusted).collect()
}

#[derive(Clone, Debug)]
struct Pin {
    /// Index into the known keys, or an unknown key made from the number.
    known: Option<usize>,
    unknown: u8,
    backup: bool,
    label: Option<&'static str>,
    level: Option<&'static str>,
    source: Option<&'static str>,
}

#[derive(Clone, Debug)]
struct Set {
    enforce: bool,
    expires: Option<(i32, u8)>,
    pins: Vec<Pin>,
}

#[derive(Clone, Debug)]
struct Scenario {
    backup_ca: Option<&'static str>,
    lifetime: Option<u32>,
    app_lifetime: Option<u32>,
    app_type: &'static str,
    sets: Vec<Set>,
}

// Labels and sources that mislead on purpose: brand names of other
// operators, distrusted CAs' names, levels that contradict the key.
const LABELS: &[&str] = &[
    "RapidSSL TLS RSA CA G1",
    "Let's Encrypt R3",
    "Symantec Class 3",
    "ISRG Root X1",
    "my backup",
    "Entrust L1K",
];
const SOURCES: &[&str] = &[
    "ca:DigiCert",
    "ca:ISRG",
    "ca:Let's Encrypt",
    "ca:Entrust",
    "private-ca:devices",
    "partner:payco",
    "leaf",
];
const LEVELS: &[&str] = &["leaf", "intermediate", "root"];
const BACKUP_CAS: &[&str] = &["DigiCert", "Sectigo", "ISRG", "GlobalSign", "Nobody CA"];
const TYPES: &[&str] = &["mobile", "service", "desktop", "iot"];

fn pin() -> impl Strategy<Value = Pin> {
    (
        prop::option::weighted(0.8, 0usize..10_000),
        any::<u8>(),
        any::<bool>(),
        prop::option::of(prop::sample::select(LABELS)),
        prop::option::of(prop::sample::select(LEVELS)),
        prop::option::of(prop::sample::select(SOURCES)),
    )
        .prop_map(|(known, unknown, backup, label, level, source)| Pin {
            known,
            unknown,
            backup,
            label,
            level,
            source,
        })
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let set = (
        any::<bool>(),
        prop::option::of((2025i32..2032, 1u8..13)),
        prop::collection::vec(pin(), 1..5),
    )
        .prop_map(|(enforce, expires, pins)| Set {
            enforce,
            expires,
            pins,
        });
    (
        prop::option::of(prop::sample::select(BACKUP_CAS)),
        prop::option::of(prop::sample::select(&[47u32, 90, 200, 398][..])),
        prop::option::of(prop::sample::select(&[47u32, 90, 200, 398][..])),
        prop::sample::select(TYPES),
        prop::collection::vec(set, 1..4),
    )
        .prop_map(
            |(backup_ca, lifetime, app_lifetime, app_type, sets)| Scenario {
                backup_ca,
                lifetime,
                app_lifetime,
                app_type,
                sets,
            },
        )
}

/// The policy's text; `bare` leaves out what it says of known keys.
fn policy(s: &Scenario, known: &[String], bare: bool) -> String {
    let mut t = String::from("[organisation]\nowner = \"pki@example.com\"\n");
    if let Some(ca) = s.backup_ca {
        t += &format!("backup_ca = \"{ca}\"\n");
    }
    if let Some(days) = s.lifetime {
        t += &format!("certificate_lifetime_days = {days}\n");
    }
    let ids: Vec<String> = (0..s.sets.len()).map(|i| format!("\"s{i}\"")).collect();
    t += &format!(
        "\n[[application]]\nid = \"app\"\ntype = \"{}\"\nowner = \"o\"\nhosts = [\"h0.example\"]\npinsets = [{}]\n",
        s.app_type,
        ids.join(", ")
    );
    if let Some(days) = s.app_lifetime {
        t += &format!("certificate_lifetime_days = {days}\n");
    }
    for (i, set) in s.sets.iter().enumerate() {
        t += &format!(
            "\n[[pinset]]\nid = \"s{i}\"\nhosts = [\"h{i}.example\"]\nenforce = {}\n",
            set.enforce
        );
        if let Some((year, month)) = set.expires {
            t += &format!("expires = {year}-{month:02}-01\n");
        }
        let mut used = Vec::new();
        for (j, p) in set.pins.iter().enumerate() {
            let key = match p.known {
                Some(k) => known[k % known.len()].clone(),
                // Distinct per position, so two unknown keys never collide.
                None => pinwarden_core::SpkiPin::from_spki_der(&[p.unknown, i as u8, j as u8])
                    .to_string(),
            };
            // A key listed twice is refused by the loader: skip repeats.
            if used.contains(&key) {
                continue;
            }
            used.push(key.clone());
            t += &format!(
                "[[pinset.pins]]\npin = \"{key}\"\nrole = \"{}\"\n",
                if p.backup { "backup" } else { "primary" }
            );
            if bare && p.known.is_some() {
                continue;
            }
            if let Some(label) = p.label {
                t += &format!("label = \"{label}\"\n");
            }
            if let Some(level) = p.level {
                t += &format!("level = \"{level}\"\n");
            }
            if let Some(source) = p.source {
                t += &format!("source = \"{source}\"\n");
            }
        }
    }
    t
}

fn findings(text: &str) -> Vec<(String, String)> {
    let policy = Policy::parse(text).unwrap_or_else(|d| panic!("{d:?}\n{text}"));
    let today = time::macros::date!(2026 - 12 - 01);
    let mut out: Vec<(String, String)> = lint(&policy, &Context::on(today))
        .into_iter()
        .map(|f| (f.rule.to_owned(), f.message))
        .collect();
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn labels_levels_and_sources_of_known_keys_change_no_finding(s in scenario()) {
        let known = known_pins();
        let full = policy(&s, &known, false);
        let bare = policy(&s, &known, true);
        prop_assert_eq!(findings(&full), findings(&bare), "\n{}\n---\n{}", full, bare);
    }
}
