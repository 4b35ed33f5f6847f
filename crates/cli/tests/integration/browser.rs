//! The PKI Health Radar page in Debian's Chromium, driven by playwright-core
//! (tests/browser/radar.mjs): a slider moved with the keyboard redraws the
//! score and the verdicts without a reload; phone width fits.

use std::path::Path;
use std::process::Command;

use crate::serve_cmd::start;
use crate::support::require;

#[test]
fn the_radar_page_updates_live_in_chromium() {
    require("node");
    let browser_tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    assert!(
        browser_tests.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed in tests/browser: run ./scripts/test, which installs it"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: run ./scripts/test, which installs Debian's chromium"
    );
    let server = start();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(browser_tests.join("radar.mjs"))
        .arg(&server.url)
        .arg(&shots)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("not ready to pin"), "{stdout}");
    let shot = std::fs::metadata(shots.join("radar-what-if.png")).unwrap();
    assert!(shot.len() > 10_000, "a real screenshot, not an empty file");
}
