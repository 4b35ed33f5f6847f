use super::*;
use crate::cert::Level;
use crate::pin::SpkiPin;
use crate::pinset::{PinEntry, PinRole};

fn entry(seed: &[u8], role: PinRole, level: Option<Level>) -> PinEntry {
    PinEntry {
        pin: SpkiPin::from_spki_der(seed),
        role,
        level,
        label: None,
    }
}

fn set(hosts: &[&str], enforce: bool) -> PinSet {
    PinSet {
        id: "test".into(),
        hosts: hosts.iter().map(|h| h.parse().unwrap()).collect(),
        pins: vec![
            entry(b"a", PinRole::Primary, Some(Level::Intermediate)),
            entry(b"b", PinRole::Backup, Some(Level::Root)),
        ],
        enforce,
        include_subdomains: false,
        expires: Some(time::macros::date!(2027 - 06 - 30)),
        report_uri: Some("https://r.example/report?a=1&b=2".into()),
    }
}

/// ISRG Root X1's key, which the built-in CA dataset knows as a root.
const ISRG_ROOT_X1: &str = "sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=";

fn options() -> Options {
    Options {
        today: time::macros::date!(2026 - 12 - 01),
        ..Options::default()
    }
}

fn run(set: &PinSet, format: Format) -> Result<Export, Error> {
    export(set, format, &options())
}

fn single(enforce: bool) -> PinSet {
    let mut s = set(&["api.example.com"], enforce);
    s.pins.truncate(1);
    s.pins[0].level = Some(Level::Leaf);
    s.report_uri = None;
    s
}

#[test]
fn report_only_is_refused_where_the_platform_always_enforces() {
    let s = set(&["api.example.com"], false);
    for format in [
        Format::AndroidNsc,
        Format::IosPlist,
        Format::Okhttp,
        Format::Curl,
        Format::Envoy,
    ] {
        let err = run(&s, format).unwrap_err().to_string();
        assert!(err.contains("report-only"), "{format}: {err}");
    }
    for format in [Format::Trustkit, Format::Hpkp, Format::Json] {
        run(&s, format).unwrap();
    }
}

/// Issue 16: a single enforced pin went out to most platforms without a word.
#[test]
fn a_single_enforced_pin_is_refused_everywhere_unless_dangerous() {
    let s = single(true);
    for format in Format::ALL {
        let err = run(&s, format).unwrap_err().to_string();
        assert!(err.contains("single pin and no backup"), "{format}: {err}");
        assert!(
            err.contains("\"test\" for api.example.com"),
            "{format}: {err}"
        );
        assert!(err.contains("--danger-single-pin"), "{format}: {err}");
    }
    let danger = Options {
        danger_single_pin: true,
        ..options()
    };
    for format in Format::ALL {
        match export(&s, format, &danger) {
            Ok(out) => assert!(
                out.warnings
                    .iter()
                    .any(|w| w.contains("--danger-single-pin")),
                "{format}: {:?}",
                out.warnings
            ),
            // The platforms themselves refuse it: the flag can't help.
            Err(e) => assert!(
                matches!(format, Format::Trustkit | Format::Hpkp),
                "{format}: {e}"
            ),
        }
    }
    // The same key twice is still a single pin.
    let mut twice = s;
    twice.pins.push(twice.pins[0].clone());
    twice.pins[1].role = PinRole::Backup;
    assert!(run(&twice, Format::AndroidNsc).is_err());
}

#[test]
fn a_single_report_only_pin_is_not_refused() {
    let s = single(false);
    for format in [Format::Trustkit, Format::Json] {
        let out = run(&s, format).unwrap();
        assert!(
            !out.warnings.iter().any(|w| w.contains("danger")),
            "{format}: {:?}",
            out.warnings
        );
    }
}

/// Issue 16: an expiry already past was exported, so the platform never enforced.
#[test]
fn an_expiry_in_the_past_is_refused_everywhere() {
    let mut s = set(&["api.example.com"], true);
    s.expires = Some(time::macros::date!(2026 - 11 - 30));
    for format in Format::ALL {
        let err = run(&s, format).unwrap_err().to_string();
        assert!(
            err.contains("expired on 2026-11-30, before today (2026-12-01)"),
            "{format}: {err}"
        );
        assert!(
            err.contains("\"test\" for api.example.com"),
            "{format}: {err}"
        );
    }
    assert!(
        run(&s, Format::AndroidNsc)
            .unwrap_err()
            .to_string()
            .contains("never enforce")
    );
    // The last day of enforcement is today: still fine.
    s.expires = Some(time::macros::date!(2026 - 12 - 01));
    run(&s, Format::AndroidNsc).unwrap();
}

/// Issue 16: leaf keys went into `NSPinnedCAIdentities`, where they never match.
#[test]
fn ios_lists_each_key_by_its_level() {
    let mut s = set(&["api.example.com"], true);
    s.pins[0].level = Some(Level::Leaf);
    s.pins[1].level = None;
    s.pins[1].pin = ISRG_ROOT_X1.parse().unwrap();
    let out = run(&s, Format::IosPlist).unwrap();
    let (ca, leaf) = out.content.split_once("NSPinnedLeafIdentities").unwrap();
    assert!(ca.contains(&s.pins[1].pin.to_base64()), "{}", out.content);
    assert!(!ca.contains(&s.pins[0].pin.to_base64()), "{}", out.content);
    assert!(leaf.contains(&s.pins[0].pin.to_base64()), "{}", out.content);
    // The dataset knows the root's level: no unknown-level warning.
    assert!(
        !out.warnings.iter().any(|w| w.contains("unknown")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn ios_warns_when_a_level_is_unknown() {
    let mut s = set(&["api.example.com"], true);
    s.pins[1].level = None;
    let out = run(&s, Format::IosPlist).unwrap();
    let all = out.warnings.join("\n");
    assert!(
        all.contains(&format!("the level of {} is unknown", s.pins[1].pin)),
        "{all}"
    );
    assert!(all.contains("NSPinnedCAIdentities"), "{all}");
}

#[test]
fn a_known_ca_key_marked_leaf_is_refused() {
    let mut s = set(&["api.example.com"], true);
    s.pins[1].pin = ISRG_ROOT_X1.parse().unwrap();
    s.pins[1].level = Some(Level::Leaf);
    for format in [Format::IosPlist, Format::Curl, Format::Envoy] {
        let err = run(&s, format).unwrap_err().to_string();
        assert!(
            err.contains("marked as a leaf key, but it is the key of Let's Encrypt's root"),
            "{format}: {err}"
        );
    }
    // Platforms that check the whole chain don't care about levels.
    run(&s, Format::AndroidNsc).unwrap();
}

#[test]
fn trustkit_refuses_a_single_enforced_pin() {
    let mut s = set(&["api.example.com"], true);
    s.pins.truncate(1);
    let danger = Options {
        danger_single_pin: true,
        ..options()
    };
    let err = export(&s, Format::Trustkit, &danger)
        .unwrap_err()
        .to_string();
    assert!(err.contains("fewer than two pins"), "{err}");
    s.enforce = false;
    let ok = run(&s, Format::Trustkit).unwrap();
    assert!(ok.warnings.iter().any(|w| w.contains("fewer than two")));
}

#[test]
fn hpkp_needs_a_backup_and_defaults_to_report_only() {
    let mut s = set(&["api.example.com"], false);
    let out = run(&s, Format::Hpkp).unwrap();
    assert!(
        out.content
            .starts_with("Public-Key-Pins-Report-Only: pin-sha256=\""),
        "{}",
        out.content
    );
    assert!(
        out.content
            .contains("report-uri=\"https://r.example/report?a=1&b=2\"")
    );
    s.enforce = true;
    assert!(
        run(&s, Format::Hpkp)
            .unwrap()
            .content
            .starts_with("Public-Key-Pins: ")
    );
    for p in &mut s.pins {
        p.role = PinRole::Primary;
    }
    let err = run(&s, Format::Hpkp).unwrap_err().to_string();
    assert!(err.contains("backup"), "{err}");
}

#[test]
fn leaf_only_platforms_refuse_ca_pins_and_warn_about_unknown_levels() {
    let mut s = set(&["api.example.com"], true);
    for format in [Format::Curl, Format::Envoy] {
        let err = run(&s, format).unwrap_err().to_string();
        assert!(
            err.contains("only the leaf")
                && err.contains("(intermediate)")
                && err.contains("(root)"),
            "{format}: {err}"
        );
    }
    // A bare key the dataset knows as a root is a CA key too.
    s.pins[0].level = Some(Level::Leaf);
    s.pins[1].level = None;
    s.pins[1].pin = ISRG_ROOT_X1.parse().unwrap();
    let err = run(&s, Format::Curl).unwrap_err().to_string();
    assert!(err.contains(&format!("{ISRG_ROOT_X1} (root)")), "{err}");
    // A key nobody knows keeps today's behaviour: a warning.
    s.pins[1].pin = SpkiPin::from_spki_der(b"unknown");
    for format in [Format::Curl, Format::Envoy] {
        let out = run(&s, format).unwrap();
        assert!(
            out.warnings.iter().any(|w| w.contains("only the leaf")),
            "{format}: {:?}",
            out.warnings
        );
    }
    let mut leaf = s;
    for p in &mut leaf.pins {
        p.level = Some(Level::Leaf);
    }
    let out = run(&leaf, Format::Curl).unwrap();
    assert!(
        !out.warnings.iter().any(|w| w.contains("only the leaf")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn ios_names_its_gaps() {
    let s = set(&["**.example.com", "*.example.net"], true);
    let out = run(&s, Format::IosPlist).unwrap();
    let all = out.warnings.join("\n");
    assert!(all.contains("no pin expiry"), "{all}");
    assert!(all.contains("one label"), "{all}");
    assert!(all.contains("also pins example.net"), "{all}");
    assert!(all.contains("sends no pin-failure reports"), "{all}");
}

#[test]
fn okhttp_keeps_patterns_and_widens_include_subdomains() {
    let mut s = set(&["api.example.com", "*.example.net"], true);
    s.include_subdomains = true;
    let out = run(&s, Format::Okhttp).unwrap();
    assert!(
        out.content
            .contains(".add(\"**.api.example.com\", \"sha256/"),
        "{}",
        out.content
    );
    assert!(
        out.content.contains(".add(\"*.example.net\", "),
        "{}",
        out.content
    );
}

#[test]
fn xml_special_characters_are_escaped() {
    let mut s = set(&["api.example.com"], false);
    s.pins[0].label = Some("<evil> & --comment".into());
    let out = run(&s, Format::Trustkit).unwrap();
    assert!(out.content.contains("a=1&amp;b=2"));
    let mut s = set(&["api.example.com"], true);
    s.pins[0].label = Some("<evil> & --comment".into());
    let out = run(&s, Format::AndroidNsc).unwrap();
    assert!(
        out.content.contains("&lt;evil&gt; &amp; - -comment"),
        "{}",
        out.content
    );
}

#[test]
fn empty_sets_are_refused() {
    let mut s = set(&["api.example.com"], true);
    s.pins.clear();
    for format in Format::ALL {
        assert!(run(&s, format).is_err(), "{format}");
    }
}

/// Issue 18: two primaries of one chain and no backup went out without a word.
#[test]
fn an_enforced_set_without_a_backup_is_warned_about() {
    let mut s = set(&["api.example.com"], true);
    s.pins[1].role = PinRole::Primary;
    for format in Format::ALL {
        match run(&s, format) {
            Ok(out) => assert!(
                out.warnings.iter().any(|w| w.contains(
                    "pin set \"test\" for api.example.com enforces 2 pins and none of them is a backup"
                )),
                "{format}: {:?}",
                out.warnings
            ),
            // HPKP refuses it itself (RFC 7469 requires a backup); curl and
            // Envoy refuse the CA keys first.
            Err(e) => assert!(
                matches!(format, Format::Hpkp | Format::Curl | Format::Envoy),
                "{format}: {e}"
            ),
        }
    }
    // Report-only: nothing is locked out.
    s.enforce = false;
    let out = run(&s, Format::Trustkit).unwrap();
    assert!(
        !out.warnings.iter().any(|w| w.contains("backup")),
        "{:?}",
        out.warnings
    );
    // With a backup: no warning.
    let out = run(&set(&["api.example.com"], true), Format::AndroidNsc).unwrap();
    assert!(
        !out.warnings.iter().any(|w| w.contains("backup")),
        "{:?}",
        out.warnings
    );
}

/// Issue 18: an expired intermediate was pinned and exported without a word.
#[test]
fn a_pin_whose_certificates_all_expired_is_warned_about() {
    let s = set(&["api.example.com"], true);
    let cert = |not_after: time::Date| PinnedCertificate {
        pin: s.pins[0].pin,
        level: Some(Level::Intermediate),
        name: "Example CA 1".into(),
        not_after,
    };
    let with = |certificates: Vec<PinnedCertificate>| Options {
        certificates,
        ..options()
    };
    let expired = with(vec![cert(time::macros::date!(2025 - 05 - 11))]);
    for format in [Format::AndroidNsc, Format::Json, Format::Trustkit] {
        let out = export(&s, format, &expired).unwrap();
        let all = out.warnings.join("\n");
        assert!(
            all.contains(&format!(
                "the intermediate certificate \"Example CA 1\" behind pin {} expired on 2025-05-11",
                s.pins[0].pin
            )),
            "{format}: {all}"
        );
    }
    // A renewal of the same key that is still valid: the pin is fine.
    let renewed = with(vec![
        cert(time::macros::date!(2025 - 05 - 11)),
        cert(time::macros::date!(2027 - 05 - 11)),
    ]);
    let out = export(&s, Format::AndroidNsc, &renewed).unwrap();
    assert!(
        !out.warnings.iter().any(|w| w.contains("expired")),
        "{:?}",
        out.warnings
    );
    // The last day is today: said so.
    let today = with(vec![cert(time::macros::date!(2026 - 12 - 01))]);
    let out = export(&s, Format::AndroidNsc, &today).unwrap();
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("expires today (2026-12-01)")),
        "{:?}",
        out.warnings
    );
    // A certificate of a key that isn't pinned says nothing.
    let mut other = cert(time::macros::date!(2020 - 01 - 01));
    other.pin = SpkiPin::from_spki_der(b"other");
    let out = export(&s, Format::AndroidNsc, &with(vec![other])).unwrap();
    assert!(
        !out.warnings.iter().any(|w| w.contains("expired")),
        "{:?}",
        out.warnings
    );
}
