//! The first run (issue 18): the demo says what it does while it builds; the
//! `pin` table of the bundled chain fits 120 columns and marks what has
//! expired; `export` warns about an expired certificate behind a pin and
//! about an enforcing set without a backup pin. Written from the issue's
//! requirements before the output was looked at.

use unicode_width::UnicodeWidthStr as _;

use crate::support::pinwarden;

/// A real chain whose leaf expired on 2020-03-06 and whose intermediate
/// expired on 2025-05-11 (examples/chains/README.md).
const CHAIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/chains/testssl.kamusm.gov.tr.pem"
);
const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/demo");
/// DigiCert Global Root G2, valid until 2038: another CA, as a backup.
const OTHER_CA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../crates/core/data/certs/digicert/digicert-global-root-g2.pem"
);

const INTERMEDIATE: &str = "TUBITAK Kamu SM SSL Sertifika Hizmet Saglayicisi - Surum 1";
const INTERMEDIATE_PIN: &str = "sha256/FUrqo5K2woGDo0xUxDmAoLHpCJRt3+d67a7xGdVm1s8=";
const ROOT_PIN: &str = "sha256/VeAL4nfOsFRSmfJP2fh34qzzKFLbQ//NKbynSzm0yfo=";
const LEAF_PIN: &str = "sha256/S+S85wi2v7HlBzl+3PqizWabngQFeQZbtvXyxwnw+9I=";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = pinwarden().args(args).output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// The widest line, in terminal columns.
fn widest(text: &str) -> usize {
    text.lines().map(|l| l.width()).max().unwrap_or(0)
}

#[test]
fn the_pin_table_of_the_bundled_chain_fits_120_columns() {
    let narrow = run(&["pin", CHAIN]);
    assert_eq!(narrow.code, Some(0), "{}", narrow.stderr);
    let width = widest(&narrow.stdout);
    assert!(width <= 120, "{width} columns:\n{}", narrow.stdout);
    // Every pin whole, and the subject shortened rather than dropped.
    for pin in [LEAF_PIN, INTERMEDIATE_PIN, ROOT_PIN] {
        assert!(narrow.stdout.contains(pin), "{pin}:\n{}", narrow.stdout);
    }
    assert!(narrow.stdout.contains("TUBITAK Kamu"), "{}", narrow.stdout);
    assert!(narrow.stdout.contains('…'), "{}", narrow.stdout);
    assert!(!narrow.stdout.contains(INTERMEDIATE), "{}", narrow.stdout);

    let wide = run(&["pin", CHAIN, "--wide"]);
    assert_eq!(wide.code, Some(0), "{}", wide.stderr);
    assert!(
        widest(&wide.stdout) > width,
        "--wide is no wider:\n{}",
        wide.stdout
    );
    assert!(wide.stdout.contains(INTERMEDIATE), "{}", wide.stdout);
    // The issuer and the key are back.
    assert!(wide.stdout.contains("issuer"), "{}", wide.stdout);
    assert!(wide.stdout.contains("RSA 2048"), "{}", wide.stdout);
}

#[test]
fn the_expired_certificates_are_marked() {
    for extra in [&[][..], &["--wide"][..]] {
        let out = run(&[&["pin", CHAIN][..], extra].concat());
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        let line = |pin: &str| {
            out.stdout
                .lines()
                .find(|l| l.contains(pin))
                .unwrap_or_else(|| panic!("no row for {pin}:\n{}", out.stdout))
                .to_owned()
        };
        assert!(
            line(LEAF_PIN).contains("EXPIRED 2020-03-06"),
            "{}",
            out.stdout
        );
        assert!(
            line(INTERMEDIATE_PIN).contains("EXPIRED 2025-05-11"),
            "{}",
            out.stdout
        );
        // The root from the trust store has no certificate to expire.
        assert!(!line(ROOT_PIN).contains("EXPIRED"), "{}", out.stdout);
        // One line under the table says it.
        let warnings: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| l.starts_with("warning:"))
            .collect();
        assert_eq!(warnings.len(), 1, "{}", out.stdout);
        assert!(
            warnings[0].contains("2 certificates above have expired"),
            "{}",
            warnings[0]
        );
    }
}

#[test]
fn wide_changes_neither_json_nor_the_line_formats() {
    for format in ["json", "plain", "hpkp", "okhttp", "curl"] {
        let plain = run(&["pin", CHAIN, "--format", format]);
        let wide = run(&["pin", CHAIN, "--format", format, "--wide"]);
        assert_eq!(plain.code, Some(0), "{format}: {}", plain.stderr);
        assert_eq!(plain.stdout, wide.stdout, "{format}");
        assert!(!plain.stdout.contains("EXPIRED"), "{format}");
    }
}

fn export(args: &[&str]) -> Run {
    run(&[
        &[
            "export",
            "--to",
            "android-nsc",
            "--host",
            "testssl.kamusm.gov.tr",
            "--today",
            "2026-12-01",
            "--expires",
            "2027-05-30",
        ][..],
        args,
    ]
    .concat())
}

#[test]
fn export_of_pins_from_the_expired_chain_warns_naming_the_certificate() {
    let out = export(&["--pins-from", CHAIN, "--from-level", "ca"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    // The intermediate and the root are pinned, the leaf is not.
    assert!(
        out.stdout.contains(&INTERMEDIATE_PIN["sha256/".len()..]),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&ROOT_PIN["sha256/".len()..]),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains(&LEAF_PIN["sha256/".len()..]),
        "{}",
        out.stdout
    );
    let expired: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning:") && l.contains("expired on"))
        .collect();
    assert_eq!(expired.len(), 1, "{}", out.stderr);
    assert!(expired[0].contains(INTERMEDIATE), "{}", expired[0]);
    assert!(expired[0].contains("2025-05-11"), "{}", expired[0]);
    assert!(expired[0].contains(INTERMEDIATE_PIN), "{}", expired[0]);

    // The same in --json's warnings.
    let json = export(&["--pins-from", CHAIN, "--from-level", "ca", "--json"]);
    assert_eq!(json.code, Some(0), "{}", json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let warnings: Vec<&str> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(INTERMEDIATE) && w.contains("expired on 2025-05-11")),
        "{warnings:?}"
    );

    // Every level: the leaf's expiry is named too.
    let all = export(&["--pins-from", CHAIN]);
    assert_eq!(all.code, Some(0), "{}", all.stderr);
    assert!(
        all.stderr.lines().any(|l| l.contains("\"testssl.kamusm.gov.tr\"")
            && l.contains("expired on 2020-03-06")),
        "{}",
        all.stderr
    );

    // Judged as of a day both were valid: no expiry warning.
    let then = run(&[
        "export",
        "--to",
        "android-nsc",
        "--host",
        "testssl.kamusm.gov.tr",
        "--today",
        "2019-06-01",
        "--pins-from",
        CHAIN,
        "--from-level",
        "ca",
    ]);
    assert_eq!(then.code, Some(0), "{}", then.stderr);
    assert!(!then.stderr.contains("expired"), "{}", then.stderr);
}

#[test]
fn export_of_an_enforcing_set_without_a_backup_warns() {
    // Intermediate and root of one chain: two pins, no backup.
    let out = export(&["--pins-from", CHAIN, "--from-level", "ca"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.lines().any(|l| l.starts_with("warning:")
            && l.contains("enforces 2 pins and none of them is a backup")),
        "{}",
        out.stderr
    );
    // The same two pins given by hand.
    let by_hand = export(&["--pin", INTERMEDIATE_PIN, "--pin", ROOT_PIN]);
    assert_eq!(by_hand.code, Some(0), "{}", by_hand.stderr);
    assert!(
        by_hand.stderr.contains("none of them is a backup"),
        "{}",
        by_hand.stderr
    );
    // With another CA's key as the backup: no such warning.
    for backup in [
        &["--backup-pins-from", OTHER_CA][..],
        &[
            "--backup-pin",
            "sha256/i7WTqTvh0OioIruIfFR4kMPnBqrS2rdiVPl/s2uC/CY=",
        ][..],
    ] {
        let with = export(&[&["--pins-from", CHAIN, "--from-level", "ca"][..], backup].concat());
        assert_eq!(with.code, Some(0), "{}", with.stderr);
        assert!(!with.stderr.contains("backup"), "{}", with.stderr);
        assert!(
            with.stdout
                .contains("i7WTqTvh0OioIruIfFR4kMPnBqrS2rdiVPl/s2uC/CY="),
            "{}",
            with.stdout
        );
    }
    // Report-only locks nobody out: no warning.
    let report_only = run(&[
        "export",
        "--to",
        "trustkit",
        "--report-only",
        "--host",
        "testssl.kamusm.gov.tr",
        "--pins-from",
        CHAIN,
        "--from-level",
        "ca",
    ]);
    assert_eq!(report_only.code, Some(0), "{}", report_only.stderr);
    assert!(
        !report_only.stderr.contains("none of them is a backup"),
        "{}",
        report_only.stderr
    );
}

#[test]
fn export_still_refuses_a_single_enforced_pin() {
    // By design (issue 16): one pin and no backup is refused, not warned about.
    let out = export(&["--pins-from", CHAIN, "--from-level", "intermediate"]);
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains("single pin and no backup"),
        "{}",
        out.stderr
    );
}

#[test]
fn export_says_how_to_pin_a_file() {
    let out = export(&["--pin", CHAIN, "--pin", ROOT_PIN]);
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("--pins-from"), "{}", out.stderr);
    // A level with nothing in the file is an error naming the file.
    let none = export(&["--pins-from", OTHER_CA, "--from-level", "leaf"]);
    assert_eq!(none.code, Some(2));
    assert!(
        none.stderr.contains("no key at --from-level leaf"),
        "{}",
        none.stderr
    );
}

#[test]
fn the_demo_says_what_it_does_before_it_builds() {
    let syntax = std::process::Command::new("bash")
        .args(["-n", DEMO])
        .output()
        .unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    let script = std::fs::read_to_string(DEMO).unwrap();
    // Lines that run something, not comments.
    let code: Vec<&str> = script
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    let building = code
        .iter()
        .position(|l| l.contains("building pinwarden (release, first time takes a few minutes"))
        .expect("a building message");
    assert!(code[building].contains("Ctrl-C"), "{}", code[building]);
    let build = code
        .iter()
        .position(|l| l.starts_with("cargo build"))
        .expect("a cargo build");
    assert!(building < build, "the message comes after cargo build");
    // Cargo's progress is shown.
    assert!(
        !code.iter().any(|l| l.contains("--quiet")),
        "cargo still runs --quiet"
    );
    // The server: when it is up and how to stop it.
    assert!(script.contains("the demo is up"), "{script}");
    assert!(script.contains("Ctrl-C stops the server"), "{script}");
    // The pins demo exports from the chain, so export can see the expiry.
    assert!(script.contains("--pins-from \"$chain\""), "{script}");
}
