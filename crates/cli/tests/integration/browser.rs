//! The UI in Debian's Chromium, driven by playwright-core (tests/browser):
//! radar.mjs moves the radar's sliders with the keyboard and checks that the
//! score and the verdicts follow without a reload; dashboard.mjs opens every
//! page at 1366 and 375 px against a server seeded with telemetry reports,
//! manifests and a halted rollout, runs axe-core, checks the telemetry
//! tables for overlaps, measures slider input to redraw, shares a what-if by
//! URL and saves screenshots to target/screenshots/.

use std::path::{Path, PathBuf};
use std::process::Command;

use pinwarden_test_support::{Ca, KeyKind};
use serde_json::json;

use crate::serve_cmd::{EXAMPLE, Server, curl, start, start_serving};
use crate::support::{pinwarden, require, stdout_of, write};

const TOKEN: &str = "browser-token-0123456789abcdef";

fn browser_tests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

fn shots() -> PathBuf {
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    shots
}

/// Node, playwright-core, axe-core and Chromium, or a panic saying how to get them.
fn chromium() -> String {
    require("node");
    for package in ["playwright-core", "axe-core"] {
        assert!(
            browser_tests().join("node_modules").join(package).is_dir(),
            "{package} is not installed in tests/browser: run ./scripts/test, which installs it"
        );
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: run ./scripts/test, which installs Debian's chromium"
    );
    chromium
}

/// Runs `tests/browser/SCRIPT URL SHOTS`; its stdout, or a panic with its output.
fn run(script: &str, server: &Server) -> String {
    let chromium = chromium();
    let out = Command::new("node")
        .arg(browser_tests().join(script))
        .arg(&server.url)
        .arg(shots())
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    stdout
}

#[test]
fn the_radar_page_updates_live_in_chromium() {
    chromium();
    let server = start();
    let stdout = run("radar.mjs", &server);
    assert!(stdout.contains("not ready to pin"), "{stdout}");
    let shot = std::fs::metadata(shots().join("radar-what-if.png")).unwrap();
    assert!(shot.len() > 10_000, "a real screenshot, not an empty file");
}

/// A pinwarden-rustls report of a failure on `host` from `app` `version`,
/// manifest 1, in `cohort`, with a chain from `ca`.
fn report(host: &str, ca: &Ca, version: &str, cohort: u8) -> serde_json::Value {
    let leaf = ca.leaf(&[host], KeyKind::EcdsaP256);
    json!({
        "app-bundle-id": "northwind-mobile",
        "app-version": version,
        "app-platform": "rust",
        "date-time": time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339).unwrap(),
        "hostname": host,
        "port": 443,
        "noted-hostname": host,
        "include-subdomains": false,
        "enforce-pinning": true,
        "validated-certificate-chain": [leaf.pem, ca.pem],
        "known-pins": ["pin-sha256=\"C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M=\""],
        "validation-result": 1,
        "pinwarden-manifest-version": 1,
        "pinwarden-cohort": cohort,
    })
}

/// The example policy served with manifests of two apps (one expiring in
/// three days, one with a halted rollout) and reports of several hosts,
/// versions, cohorts and classes.
fn seeded_server(dir: &Path) -> Server {
    let key = dir.join("signer").display().to_string();
    stdout_of(pinwarden().args(["manifest", "keygen", "--out", &key]));
    let token = write(dir, "token", format!("{TOKEN}\n"));
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let database = format!("sqlite://{}/pw.db", dir.display());
    let server = start_serving(
        &database,
        &[
            "--manifest-trust",
            &format!("{key}.pub"),
            "--admin-token-file",
            token.to_str().unwrap(),
            "--report-rate",
            "100000",
            "--report-source-rate",
            "100000",
            "--report-source-new-failures",
            "10000000",
            "--report-new-failures",
            "10000000",
        ],
    );
    let sign = |app: &str, version: &str, extra: &[&str]| {
        let out = dir.join(format!("{app}-{version}.json"));
        stdout_of(
            pinwarden()
                .args(["manifest", "sign", "--key", &format!("{key}.key")])
                .args([
                    "--policy",
                    EXAMPLE,
                    "--app",
                    app,
                    "--version",
                    version,
                    "-o",
                ])
                .arg(&out)
                .args(extra),
        );
        let (code, body) = curl(&format!(
            "-X PUT -H 'authorization: Bearer {TOKEN}' --data-binary @'{}' {}/v1/admin/manifests/{app}",
            out.display(),
            server.url
        ));
        assert_eq!(code, "201", "{body}");
    };
    sign("atm-fleet", "1", &["--expires-in", "3"]);
    sign("northwind-mobile", "1", &["--expires-in", "40"]);
    sign(
        "northwind-mobile",
        "2",
        &[
            "--expires-in",
            "40",
            "--candidate-pinset",
            "branch",
            "--percentage",
            "20",
        ],
    );
    for body in [
        r#"{"action": "start", "percentage": 10}"#,
        r#"{"action": "halt", "reason": "pin failures in cohort 7 <b>after the switch</b>"}"#,
    ] {
        let file = write(dir, "rollout.json", body);
        let (code, answer) = curl(&format!(
            "-X POST -H 'authorization: Bearer {TOKEN}' -H 'content-type: application/json' \
             --data-binary @'{}' {}/v1/admin/rollouts/northwind-mobile",
            file.display(),
            server.url
        ));
        assert_eq!(code, "200", "{answer}");
    }

    let rogue = Ca::root("Totally Legit Proxy CA", KeyKind::EcdsaP256);
    let digicert = Ca::root("DigiCert Test Issuing CA", KeyKind::EcdsaP256);
    let mut n = 0;
    for (host, ca, version, cohort, times) in [
        ("api.northwind.example", &rogue, "5.2.0", 7, 3),
        ("api.northwind.example", &digicert, "5.2.0", 45, 2),
        ("auth.northwind.example", &digicert, "5.1.9", 3, 4),
        ("auth.northwind.example", &rogue, "5.10.0", 60, 1),
        ("branch.northwind.example", &digicert, "5.2.0", 12, 2),
    ] {
        for _ in 0..times {
            n += 1;
            let file = write(
                dir,
                &format!("report-{n}.json"),
                report(host, ca, version, cohort).to_string(),
            );
            let (code, body) = curl(&format!(
                "-X POST -H 'content-type: application/json' --data-binary @'{}' {}/v1/reports",
                file.display(),
                server.url
            ));
            assert!(code.starts_with('2'), "{code} {body}");
        }
    }
    server
}

#[test]
fn every_page_passes_axe_at_desktop_and_phone_width() {
    chromium();
    let dir = tempfile::tempdir().unwrap();
    let server = seeded_server(dir.path());
    // The halt reason is the operator's text: shown, escaped.
    let (code, page) = curl(&format!("{}/manifests", server.url));
    assert_eq!(code, "200");
    assert!(
        page.contains("&#60;b&#62;after the switch") && !page.contains("<b>after"),
        "{page}"
    );
    let stdout = run("dashboard.mjs", &server);
    println!("{stdout}");
    assert!(stdout.contains("input to redraw"), "{stdout}");
    for width in [1366, 375] {
        let shot = shots().join(format!("overview-{width}.png"));
        let size = std::fs::metadata(&shot).unwrap().len();
        assert!(size > 10_000, "{} is a real screenshot", shot.display());
    }
}
