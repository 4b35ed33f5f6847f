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

fn run(set: &PinSet, format: Format) -> Result<Export, Error> {
    export(set, format, &Options::default())
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

#[test]
fn trustkit_refuses_a_single_enforced_pin() {
    let mut s = set(&["api.example.com"], true);
    s.pins.truncate(1);
    let err = run(&s, Format::Trustkit).unwrap_err().to_string();
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
fn leaf_only_platforms_warn_about_ca_pins() {
    let s = set(&["api.example.com"], true);
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
