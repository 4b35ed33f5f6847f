//! What `export` refuses (issue 16): a single enforced pin without
//! `--danger-single-pin`, an expiry already past, and keys in a list of the
//! wrong level, for each platform, on the command line and from a policy.

use crate::support::{pinwarden, write};

const PIN_A: &str = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
const PIN_B: &str = "sha256/ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=";
/// ISRG Root X1 (public; its SPKI hash as in crates/core/data/cas.toml).
const ISRG_ROOT_X1: &str = "sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=";

const ALL: [&str; 8] = [
    "android-nsc",
    "ios-plist",
    "trustkit",
    "okhttp",
    "curl",
    "envoy",
    "hpkp",
    "json",
];

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn export(format: &str, args: &[&str]) -> Run {
    let out = pinwarden()
        .args(["export", "--to", format, "--today", "2026-12-01"])
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn refused(run: &Run, format: &str, needles: &[&str]) {
    assert_eq!(run.code, Some(2), "{format}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{format}: {}", run.stdout);
    for needle in needles {
        assert!(run.stderr.contains(needle), "{format}: {}", run.stderr);
    }
}

/// Issue 16: android-nsc, ios-plist, okhttp, curl and envoy took a single
/// enforced pin without a word.
#[test]
fn export_refuses_a_single_enforced_pin_on_every_platform() {
    for format in ALL {
        let run = export(
            format,
            &[
                "--host",
                "api.example.com",
                "--id",
                "lone",
                "--pin-level",
                "leaf",
                "--enforce",
                "--pin",
                PIN_A,
            ],
        );
        refused(
            &run,
            format,
            &[
                "pin set \"lone\" for api.example.com",
                "single pin and no backup",
                "locks every client out",
                "add a backup pin",
                "--danger-single-pin",
            ],
        );
    }
}

#[test]
fn export_danger_single_pin_overrides_where_the_platform_allows() {
    for format in ALL {
        let run = export(
            format,
            &[
                "--host",
                "api.example.com",
                "--pin-level",
                "leaf",
                "--enforce",
                "--danger-single-pin",
                "--pin",
                PIN_A,
            ],
        );
        match format {
            // TrustKit and RFC 7469 refuse a lone pin themselves.
            "trustkit" => refused(&run, format, &["fewer than two pins"]),
            "hpkp" => refused(&run, format, &["backup pin"]),
            _ => {
                assert_eq!(run.code, Some(0), "{format}: {}", run.stderr);
                assert!(
                    run.stdout.contains("47DEQpj8HBSa"),
                    "{format}: {}",
                    run.stdout
                );
                assert!(
                    run.stderr
                        .contains("warning: --danger-single-pin: pin set \"adhoc\""),
                    "{format}: {}",
                    run.stderr
                );
            }
        }
    }
    // And in --json, as a warning.
    let run = export(
        "android-nsc",
        &[
            "--host",
            "api.example.com",
            "--danger-single-pin",
            "--json",
            "--pin",
            PIN_A,
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        doc["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("single pin and no backup")),
        "{doc}"
    );
}

#[test]
fn export_takes_a_single_report_only_pin() {
    for format in ["trustkit", "hpkp", "json"] {
        let run = export(
            format,
            &[
                "--host",
                "api.example.com",
                "--report-only",
                "--report-uri",
                "https://r.example.com/",
                "--pin",
                PIN_A,
                "--backup-pin",
                PIN_B,
            ],
        );
        assert_eq!(run.code, Some(0), "{format}: {}", run.stderr);
        let run = export(
            format,
            &["--host", "api.example.com", "--report-only", "--pin", PIN_A],
        );
        if format == "hpkp" {
            // RFC 7469 wants a backup even when only reporting.
            refused(&run, format, &["backup pin"]);
        } else {
            assert_eq!(run.code, Some(0), "{format}: {}", run.stderr);
            assert!(!run.stderr.contains("danger"), "{format}: {}", run.stderr);
        }
    }
}

/// Issue 16: an expiry already past went out, so the platform never enforced.
#[test]
fn export_refuses_an_expiry_in_the_past_on_every_platform() {
    for format in ALL {
        let args = [
            "--host",
            "api.example.com",
            "--pin-level",
            "leaf",
            "--enforce",
            "--pin",
            PIN_A,
            "--backup-pin",
            PIN_B,
        ];
        let run = export(format, &[&args[..], &["--expires", "2026-11-30"]].concat());
        refused(
            &run,
            format,
            &[
                "pin set \"adhoc\" for api.example.com",
                "expired on 2026-11-30, before today (2026-12-01)",
                "give an expiry in the future",
            ],
        );
        // Today is the last day the set is enforced: still fine.
        let run = export(format, &[&args[..], &["--expires", "2026-12-01"]].concat());
        assert_eq!(run.code, Some(0), "{format}: {}", run.stderr);
    }
}

#[test]
fn export_refuses_an_expired_policy_pin_set() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/pinwarden.toml");
    for format in ALL {
        // public-api expires on 2027-06-30.
        let out = pinwarden()
            .args(["export", "--to", format, "--pinset", "public-api"])
            .args(["--policy", example, "--today", "2027-07-01"])
            .output()
            .unwrap();
        let run = Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        refused(
            &run,
            format,
            &[
                "pin set \"public-api\" for api.northwind.example, auth.northwind.example",
                "expired on 2027-06-30",
                "`expires` in the policy",
            ],
        );
    }
    let bad = pinwarden()
        .args(["export", "--to", "json", "--today", "soon", "--pin", PIN_A])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--today \"soon\""));
}

#[test]
fn export_refuses_a_single_pin_from_a_policy() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "pinwarden.toml",
        format!(
            "[[pinset]]\nid = \"lone\"\nhosts = [\"api.example.com\"]\n\n\
             [[pinset.pins]]\npin = \"{PIN_A}\"\nlevel = \"leaf\"\n"
        ),
    );
    let policy = policy.to_str().unwrap();
    for format in ALL {
        let base = ["--pinset", "lone", "--policy", policy];
        let run = export(format, &base);
        if format == "hpkp" {
            // HPKP is report-only by default: refused for want of a backup.
            refused(&run, format, &["backup pin"]);
            continue;
        }
        refused(
            &run,
            format,
            &["pin set \"lone\" for api.example.com", "single pin"],
        );
        let run = export(format, &[&base[..], &["--danger-single-pin"]].concat());
        if format == "trustkit" {
            refused(&run, format, &["fewer than two pins"]);
        } else {
            assert_eq!(run.code, Some(0), "{format}: {}", run.stderr);
        }
    }
}

/// Issue 16: leaf keys went into `NSPinnedCAIdentities`, where they never match.
#[test]
fn export_ios_puts_leaf_keys_in_the_leaf_list() {
    let run = export(
        "ios-plist",
        &[
            "--host",
            "api.example.com",
            "--pin-level",
            "leaf",
            "--pin",
            PIN_A,
            "--backup-pin",
            PIN_B,
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("NSPinnedLeafIdentities"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("NSPinnedCAIdentities"),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains("unknown"), "{}", run.stderr);

    // A bare key the CA dataset knows goes to the CA list without a warning.
    let run = export(
        "ios-plist",
        &[
            "--host",
            "api.example.com",
            "--pin",
            ISRG_ROOT_X1,
            "--backup-pin",
            PIN_B,
            "--json",
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let warnings: Vec<&str> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    // Only PIN_B's level is unknown: it is listed as a CA key, and said so.
    let unknown: Vec<&&str> = warnings.iter().filter(|w| w.contains("unknown")).collect();
    assert_eq!(unknown.len(), 1, "{warnings:?}");
    assert!(unknown[0].contains(PIN_B), "{warnings:?}");
    assert!(!unknown[0].contains(ISRG_ROOT_X1), "{warnings:?}");
    assert!(unknown[0].contains("NSPinnedCAIdentities"), "{warnings:?}");
}

#[test]
fn export_refuses_a_ca_key_marked_leaf() {
    for format in ["ios-plist", "curl", "envoy"] {
        let run = export(
            format,
            &[
                "--host",
                "api.example.com",
                "--pin-level",
                "leaf",
                "--pin",
                ISRG_ROOT_X1,
                "--backup-pin",
                PIN_B,
            ],
        );
        refused(
            &run,
            format,
            &[
                ISRG_ROOT_X1,
                "marked as a leaf key, but it is the key of Let's Encrypt's root \"ISRG Root X1\"",
            ],
        );
    }
}

#[test]
fn export_leaf_only_platforms_refuse_ca_keys() {
    for format in ["curl", "envoy"] {
        for level in ["intermediate", "root"] {
            let run = export(
                format,
                &[
                    "--host",
                    "api.example.com",
                    "--pin-level",
                    level,
                    "--pin",
                    PIN_A,
                    "--backup-pin",
                    PIN_B,
                ],
            );
            refused(
                &run,
                format,
                &[
                    "checks only the leaf certificate's key",
                    &format!("{PIN_A} ({level})"),
                    "--pin-level leaf",
                ],
            );
        }
        // Levels unknown: exported as before, with a warning.
        let run = export(
            format,
            &[
                "--host",
                "api.example.com",
                "--pin",
                PIN_A,
                "--backup-pin",
                PIN_B,
            ],
        );
        assert_eq!(run.code, Some(0), "{format}: {}", run.stderr);
        assert!(
            run.stderr.contains("only the leaf"),
            "{format}: {}",
            run.stderr
        );
    }
}
