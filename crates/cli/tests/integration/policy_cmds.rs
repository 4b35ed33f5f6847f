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
