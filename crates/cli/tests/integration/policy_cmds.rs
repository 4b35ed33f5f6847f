//! The policy file from the command line: `schema` validates the example
//! (checked by Python's jsonschema), and `export --pinset` exports a pin set
//! of it.

use crate::support::{pinwarden, require, sh_ok, stdout_of, write};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/pinwarden.toml");

#[test]
fn the_schema_accepts_the_example_and_refuses_a_typo() {
    require("python3");
    let dir = tempfile::tempdir().unwrap();
    let schema = write(
        dir.path(),
        "schema.json",
        stdout_of(pinwarden().arg("schema")),
    );
    let bad = write(dir.path(), "bad.toml", "[organisation]\nownr = \"me\"\n");
    let check = |toml: &std::path::Path| {
        sh_ok(&format!(
            "python3 -c '
import json, sys, tomllib, jsonschema
doc = json.loads(json.dumps(tomllib.load(open(sys.argv[2], \"rb\")), default=str))
try:
    jsonschema.validate(doc, json.load(open(sys.argv[1])))
    print(\"valid\")
except jsonschema.ValidationError as e:
    print(\"invalid:\", e.message)
' '{}' '{}'",
            schema.display(),
            toml.display()
        ))
    };
    assert_eq!(check(std::path::Path::new(EXAMPLE)).trim(), "valid");
    let verdict = check(&bad);
    assert!(
        verdict.starts_with("invalid") && verdict.contains("ownr"),
        "{verdict}"
    );
}

#[test]
fn export_reads_a_pin_set_from_the_policy() {
    require("xmllint");
    let dir = tempfile::tempdir().unwrap();
    let xml = stdout_of(pinwarden().args([
        "export",
        "--to",
        "android-nsc",
        "--pinset",
        "public-api",
        "--policy",
        EXAMPLE,
        "--today",
        "2026-12-01",
    ]));
    let file = write(dir.path(), "nsc.xml", xml);
    let pins = sh_ok(&format!(
        "xmllint --xpath '//pin/text()' '{}'",
        file.display()
    ));
    assert_eq!(
        pins.split_whitespace().collect::<Vec<_>>(),
        [
            "C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=",
            "diGVwiVYbubAI3RW4hB9xU8e/CH2GnkuvVFZE8zmgzI=",
            "i7WTqTvh0OioIruIfFR4kMPnBqrS2rdiVPl/s2uC/CY="
        ]
    );
    let expiration = sh_ok(&format!(
        "xmllint --xpath 'string(//pin-set/@expiration)' '{}'",
        file.display()
    ));
    assert_eq!(expiration.trim(), "2027-06-30");

    // JSON carries the same date as a date, not as time's (year, ordinal) pair.
    let json: serde_json::Value = serde_json::from_str(&stdout_of(pinwarden().args([
        "export",
        "--to",
        "json",
        "--pinset",
        "public-api",
        "--policy",
        EXAMPLE,
        "--today",
        "2026-12-01",
    ])))
    .unwrap();
    assert_eq!(json["expires"], "2027-06-30", "{json}");

    let missing = pinwarden()
        .args([
            "export", "--to", "json", "--pinset", "nope", "--policy", EXAMPLE,
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("public-api"),
        "lists the known ids"
    );
}

#[test]
fn policy_problems_print_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "pinwarden.toml",
        "[[application]]\nid = \"a\"\ntype = \"mobile\"\nupdate_mechanism = \"app-store\"\npinsets = [\"ghost\"]\n",
    );
    let out = pinwarden()
        .args(["export", "--to", "json", "--pinset", "a", "--policy"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "{}:5:12: application \"a\" uses pin set \"ghost\"",
        bad.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn lint_flags_the_examples_deliberate_risks_and_nothing_else() {
    let text = std::fs::read_to_string(EXAMPLE).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let out = pinwarden()
        .args(["lint", EXAMPLE, "--json", "--today", "2026-11-29"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "errors were found");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found: Vec<(String, Option<u64>)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_owned(), f["line"].as_u64()))
        .collect();
    found.sort();
    let branch = Some(line_of("id = \"branch\"") as u64);
    let mut expected = vec![
        ("PW001".to_owned(), branch),
        ("PW002".to_owned(), branch),
        ("PW010".to_owned(), branch),
        // The emergency re-issue runbook was never rehearsed (no line to point at),
        // the CA migration one over a year ago.
        ("PW012".to_owned(), None),
        (
            "PW012".to_owned(),
            Some(line_of("last_rehearsed = 2025-06-02") as u64),
        ),
        // The set never expires; DigiCert Global Root CA does, on 2031-11-10.
        (
            "PW019".to_owned(),
            Some(line_of("id = \"branch\"") as u64 + 4),
        ),
    ];
    expected.sort();
    assert_eq!(found, expected);

    // The text form groups errors before warnings and counts them.
    let text_out = stdout_of_any(pinwarden().args(["lint", EXAMPLE, "--today", "2026-11-29"]));
    let first_warning = text_out.find("warning[").unwrap();
    assert!(
        text_out.rfind("error[").unwrap() < first_warning,
        "{text_out}"
    );
    assert!(
        text_out
            .trim_end()
            .ends_with("2 errors, 4 warnings, 0 info"),
        "{text_out}"
    );
}

#[test]
fn lint_exit_code_follows_the_severity_threshold() {
    let dir = tempfile::tempdir().unwrap();
    // One warning (no report_uri), nothing worse.
    let policy = write(
        dir.path(),
        "p.toml",
        "[organisation]\nowner = \"me\"\n[[pinset]]\nid = \"a\"\nhosts = [\"a.example\"]\n\
         [[pinset.pins]]\npin = \"sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\"\n\
         [[pinset.pins]]\npin = \"sha256/i7WTqTvh0OioIruIfFR4kMPnBqrS2rdiVPl/s2uC/CY=\"\nrole = \"backup\"\n\
         [[organisation.runbook]]\nkind = \"rotation\"\npath = \"r\"\nlast_rehearsed = 2026-10-01\n\
         [[organisation.runbook]]\nkind = \"ca-migration\"\npath = \"r\"\nlast_rehearsed = 2026-10-01\n\
         [[organisation.runbook]]\nkind = \"emergency-reissue\"\npath = \"r\"\nlast_rehearsed = 2026-10-01\n\
         [[application]]\nid = \"svc\"\ntype = \"service\"\nupdate_mechanism = \"mandatory-auto-update\"\n\
         hosts = [\"a.example\"]\npinsets = [\"a\"]\nowner = \"me\"\n",
    );
    let code = |severity: &str| {
        pinwarden()
            .args(["lint", "--today", "2026-11-29", "--severity", severity])
            .arg(&policy)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code("warning"), Some(1));
    assert_eq!(code("error"), Some(0));
    assert_eq!(code("nonsense"), Some(2));
}

fn stdout_of_any(cmd: &mut assert_cmd::Command) -> String {
    String::from_utf8(cmd.output().unwrap().stdout).unwrap()
}

#[test]
fn lint_sarif_validates_against_the_sarif_schema() {
    require("python3");
    let schema = crate::support::sarif_schema();
    let dir = tempfile::tempdir().unwrap();
    let out = pinwarden()
        .args([
            "lint",
            EXAMPLE,
            "--format",
            "sarif",
            "--today",
            "2026-11-29",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let log = write(dir.path(), "lint.sarif", &out.stdout);
    let verdict = sh_ok(&format!(
        "python3 -c '
import json, sys, jsonschema
schema, doc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
jsonschema.validate(doc, schema)
doc[\"runs\"][0][\"results\"][0][\"level\"] = \"fatal\"
try:
    jsonschema.validate(doc, schema)
    print(\"the schema accepted a bad level\")
except jsonschema.ValidationError:
    print(\"valid\")
' '{}' '{}'",
        schema.display(),
        log.display()
    ));
    assert_eq!(verdict.trim(), "valid");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    let located = results
        .iter()
        .find(|r| r["ruleId"] == "PW001")
        .map(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64())
        .unwrap();
    let text = std::fs::read_to_string(EXAMPLE).unwrap();
    let branch = text
        .lines()
        .position(|l| l.contains("id = \"branch\""))
        .unwrap()
        + 1;
    assert_eq!(located, Some(branch as u64));
}

/// The SARIF log is valid for Microsoft's own validator, with the policy
/// named by an absolute path (a `file:` URI) or a relative one with spaces
/// and `#` (a percent-encoded reference against `%SRCROOT%`); issue 14.
#[test]
fn sarif_multitool_finds_no_errors_or_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("policy dir");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::copy(EXAMPLE, nested.join("pin warden#1.toml")).unwrap();
    for (name, cwd, policy) in [
        (
            "absolute",
            dir.path().to_path_buf(),
            nested.join("pin warden#1.toml"),
        ),
        (
            "relative",
            dir.path().to_path_buf(),
            "policy dir/pin warden#1.toml".into(),
        ),
    ] {
        let out = pinwarden()
            .current_dir(&cwd)
            .arg("lint")
            .arg(&policy)
            .args(["--format", "sarif", "--today", "2026-11-29"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        let log = write(dir.path(), &format!("{name}.sarif"), &out.stdout);
        let problems = crate::support::sarif_multitool(&log);
        assert!(problems.is_empty(), "{name}: {problems:#?}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let location =
            &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
        match name {
            "absolute" => assert!(
                location["uri"].as_str().unwrap().starts_with("file:///")
                    && location["uri"]
                        .as_str()
                        .unwrap()
                        .ends_with("/policy%20dir/pin%20warden%231.toml"),
                "{location}"
            ),
            _ => {
                assert_eq!(location["uri"], "policy%20dir/pin%20warden%231.toml");
                assert_eq!(location["uriBaseId"], "%SRCROOT%");
                let root = doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
                    .as_str()
                    .unwrap();
                assert!(
                    root.starts_with("file:///") && root.ends_with('/'),
                    "{root}"
                );
            }
        }
    }
}
