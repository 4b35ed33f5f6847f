//! `pinwarden assess` on the example organisation.

use crate::support::pinwarden;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/pinwarden.toml");

#[test]
fn the_example_gets_the_frameworks_verdicts() {
    let out = pinwarden()
        .args(["assess", EXAMPLE, "--json", "--today", "2026-11-29"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdicts: Vec<(String, String)> = doc["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["application"].as_str().unwrap().to_owned(),
                d["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let v = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        verdicts,
        [
            v("northwind-mobile", "pin"),
            v("northwind-web", "dont-pin"),
            v("payments-core", "pin"),
            v("atm-fleet", "pin"),
            v("card-processing", "pin"),
            v("teller-desktop", "pin-with-conditions"),
            v("lobby-kiosk", "dont-pin"),
            v("fx-rates", "dont-pin"),
        ]
    );
    // The organisation's verdict heads the output; every decision carries
    // its rule trace, and the rules that decided it.
    assert_eq!(doc["organisation"]["readiness"], "ready");
    assert_eq!(
        doc["organisation"]["pin_with_conditions"][0],
        "teller-desktop"
    );
    for d in doc["decisions"].as_array().unwrap() {
        assert_eq!(
            d["trace"].as_array().unwrap().len(),
            pinwarden_assess::RULES.len()
        );
    }
    let desktop = &doc["decisions"][5];
    let decided: Vec<&str> = desktop["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        decided,
        ["B3", "C-hours"],
        "one CA pinned, updates take days"
    );
    assert_eq!(doc["radar"]["scores"].as_array().unwrap().len(), 9);
    assert_eq!(doc["questions"].as_array().unwrap().len(), 5);
    assert!(
        doc["decisions"][1]["instead"][0]
            .as_str()
            .unwrap()
            .contains("CAA")
    );
}

#[test]
fn markdown_report_of_the_example() {
    let out = pinwarden()
        .args(["assess", EXAMPLE, "--format", "md", "--today", "2026-11-29"])
        .output()
        .unwrap();
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

#[test]
fn html_report_is_self_contained_with_a_valid_svg_radar() {
    crate::support::require("xmllint");
    let out = pinwarden()
        .args([
            "assess",
            EXAMPLE,
            "--format",
            "html",
            "--today",
            "2026-11-29",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for external in ["src=", "href=\"http", "url(", "@import"] {
        assert!(
            !html.contains(external),
            "the report must not load {external}"
        );
    }
    let start = html.find("<svg").unwrap();
    let end = html.find("</svg>").unwrap() + "</svg>".len();
    let dir = tempfile::tempdir().unwrap();
    let svg = crate::support::write(dir.path(), "radar.svg", &html[start..end]);
    // The SVG is well-formed XML with one axis label per dimension and a
    // score polygon of nine points.
    let labels = crate::support::sh_ok(&format!(
        "xmllint --xpath 'count(//*[local-name()=\"text\"])' '{}'",
        svg.display()
    ));
    assert_eq!(labels.trim(), "9");
    let points = crate::support::sh_ok(&format!(
        "xmllint --xpath 'string(//*[local-name()=\"polygon\"][@class=\"scores\"]/@points)' '{}'",
        svg.display()
    ));
    assert_eq!(points.split_whitespace().count(), 9, "{points}");
    assert!(html.contains("northwind-web") && html.contains("don't pin"));
}

#[test]
fn runbooks_of_the_example() {
    let out = pinwarden()
        .args(["runbook", EXAMPLE, "--today", "2026-11-29"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // Lead time = the fastest path (the mobile app's remote pin
    // configuration: hours) + overlap; the app without a backup is told so;
    // applications the assessment says not to pin get no runbook.
    assert!(
        text.contains(
            "Lead time for a pin change: 8 days (remote pin configuration, no slower refresh stated"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "Lead time for a pin change: 8 days (remote pin configuration, 95% in 24 hours"
        ),
        "the ATMs' signed pin manifests, not their 30-day firmware: {text}"
    );
    assert!(
        text.contains(
            "Lead time for a pin change: 10 days (mandatory-auto-update updates reach 95% in 3 days"
        ),
        "{text}"
    );
    assert!(
        !text.contains("northwind-web") && !text.contains("fx-rates"),
        "{text}"
    );
    assert!(
        text.contains("The partner announces a key rotation"),
        "{text}"
    );
    assert!(text.contains("reviews the pin set"), "{text}");
    assert!(text.contains("## teller-desktop — pin set `branch`"));
    assert!(text.contains("Backup pins: NONE"));
    insta::assert_snapshot!(text);
    let one = pinwarden()
        .args(["runbook", EXAMPLE, "--app", "atm-fleet"])
        .output()
        .unwrap();
    let one = String::from_utf8(one.stdout).unwrap();
    assert_eq!(one.matches("\n## ").count(), 1, "{one}");
    let missing = pinwarden()
        .args(["runbook", EXAMPLE, "--app", "nope"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

/// Runs `pinwarden assess --interactive` on a pseudo-terminal, typing
/// `answers` one line at a time, and returns what the terminal showed.
fn interactive(answers: &[&str]) -> String {
    crate::support::require("python3");
    let bin = assert_cmd::cargo::cargo_bin("pinwarden");
    // The parent keeps its own copy of the terminal's far end open, so the
    // program's last lines are never lost to the EIO a pseudo-terminal gives
    // once every holder of that end has closed it.
    let script = r#"
import os, select, subprocess, sys, time
master, slave = os.openpty()
child = subprocess.Popen(
    [sys.argv[1], "assess", "--interactive", "--today", "2026-11-29"],
    stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
out = b""
def read_for(seconds, until_prompt):
    # Reads until the next prompt (a line ending in ": ") or, without one,
    # until the program has exited and said everything; bounded in time.
    global out
    seen = len(out)
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            out += os.read(master, 4096)
            if until_prompt and out[seen:].rstrip().endswith(b":"):
                return
        elif not until_prompt and child.poll() is not None:
            return
for answer in sys.argv[2:]:
    read_for(5, True)
    os.write(master, answer.encode() + b"\n")
read_for(10, False)
child.wait(timeout=5)
sys.stdout.write(out.decode(errors="replace"))
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&bin)
        .args(answers)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn interactive_interview_on_a_terminal() {
    // Mobile, financial data, store updates in 21 days, remote pins, a
    // backup CA switched in 48 h, reports, runbooks, an owner.
    let screen = interactive(&[
        "mobile",
        "financial, auth-tokens",
        "app-store",
        "90",
        "21",
        "y",
        "y",
        "48",
        "reports",
        "y",
        "pki@example.com",
    ]);
    assert!(
        screen.contains("Application type [mobile/web/service/iot/third-party/desktop]"),
        "{screen}"
    );
    assert!(screen.contains("Verdict: pin"), "{screen}");
    assert!(screen.contains("Level: ca"), "{screen}");

    // A wrong answer is asked again; a browser app is not pinned.
    let screen = interactive(&[
        "browser", "web", "public", "none", "", "", "n", "n", "none", "n", "",
    ]);
    assert!(screen.contains("please answer one of"), "{screen}");
    assert!(screen.contains("Verdict: don't pin"), "{screen}");
}

#[test]
fn explain_prints_every_rule_of_one_application() {
    let out = pinwarden()
        .args([
            "assess",
            EXAMPLE,
            "--today",
            "2026-11-29",
            "--explain",
            "teller-desktop",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("teller-desktop (desktop): pin, with conditions"),
        "{text}"
    );
    assert!(text.contains("decided by: B3, C-hours"), "{text}");
    for rule in pinwarden_assess::RULES {
        assert!(
            text.contains(&format!(" {} ", rule.id)),
            "{} missing:\n{text}",
            rule.id
        );
    }
    // The facts each rule read are shown, not only the conclusion.
    assert!(text.contains("pin set branch: keys of DigiCert"), "{text}");
    assert!(
        text.contains("mandatory-auto-update updates reach 95% in 3 days"),
        "{text}"
    );

    let json = pinwarden()
        .args(["assess", EXAMPLE, "--explain", "atm-fleet", "--json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["application"], "atm-fleet");
    let tested = doc["trace"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rule"] == "C-iot-tested")
        .unwrap();
    assert_eq!(tested["status"], "met");

    let missing = pinwarden()
        .args(["assess", EXAMPLE, "--explain", "nope"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("no application \"nope\"") && err.contains("northwind-mobile"),
        "{err}"
    );
}
