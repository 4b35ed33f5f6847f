//! The XML, plist and YAML exports, read back by xmllint, Python's plistlib
//! and PyYAML: the values they find are the pins that went in.

use crate::support::{pinwarden, require, sh_ok, stdout_of, write};

const PIN_A: &str = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
const PIN_B: &str = "sha256/ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=";
const B64_A: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
const B64_B: &str = "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=";

fn export(format: &str, extra: &[&str]) -> String {
    stdout_of(
        pinwarden()
            .args([
                "export",
                "--to",
                format,
                "--pin",
                PIN_A,
                "--backup-pin",
                PIN_B,
            ])
            .args(extra),
    )
}

#[test]
fn android_nsc_reads_back_with_xmllint() {
    require("xmllint");
    let dir = tempfile::tempdir().unwrap();
    let xml = export(
        "android-nsc",
        &[
            "--host",
            "api.example.com",
            "--host",
            "**.example.net",
            "--expires",
            "2027-06-30",
        ],
    );
    let file = write(dir.path(), "nsc.xml", xml);
    let f = file.display();
    sh_ok(&format!("xmllint --noout '{f}'"));
    let pins = sh_ok(&format!(
        "xmllint --xpath '//domain-config/pin-set/pin[@digest=\"SHA-256\"]/text()' '{f}'"
    ));
    assert_eq!(pins.split_whitespace().collect::<Vec<_>>(), [B64_A, B64_B]);
    let expiration = sh_ok(&format!(
        "xmllint --xpath 'string(//pin-set/@expiration)' '{f}'"
    ));
    assert_eq!(expiration.trim(), "2027-06-30");
    let domains = sh_ok(&format!("xmllint --xpath '//domain/text()' '{f}'"));
    assert_eq!(
        domains.split_whitespace().collect::<Vec<_>>(),
        ["api.example.com", "example.net"]
    );
    let subs = sh_ok(&format!(
        "xmllint --xpath 'string(//domain[text()=\"example.net\"]/@includeSubdomains)' '{f}'"
    ));
    assert_eq!(subs.trim(), "true");
}

fn plist_json(file: &std::path::Path) -> serde_json::Value {
    require("python3");
    let json = sh_ok(&format!(
        "python3 -c 'import plistlib, json, sys; print(json.dumps(plistlib.load(open(sys.argv[1], \"rb\"))))' '{}'",
        file.display()
    ));
    serde_json::from_str(&json).unwrap()
}

#[test]
fn ios_plist_reads_back_with_plistlib() {
    let dir = tempfile::tempdir().unwrap();
    let out = pinwarden()
        .args([
            "export",
            "--to",
            "ios-plist",
            "--pin",
            PIN_A,
            "--backup-pin",
            PIN_B,
        ])
        .args([
            "--host",
            "api.example.com",
            "--host",
            "*.example.org",
            "--expires",
            "2027-06-30",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no pin expiry"),
        "iOS expiry gap not reported: {stderr}"
    );
    let file = write(dir.path(), "Info.plist", &out.stdout);
    let doc = plist_json(&file);
    let domains = &doc["NSAppTransportSecurity"]["NSPinnedDomains"];
    for (domain, subs) in [("api.example.com", false), ("example.org", true)] {
        let d = &domains[domain];
        assert_eq!(d["NSIncludesSubdomains"], subs, "{domain}");
        let pins: Vec<&str> = d["NSPinnedCAIdentities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["SPKI-SHA256-BASE64"].as_str().unwrap())
            .collect();
        assert_eq!(pins, [B64_A, B64_B], "{domain}");
        assert!(d.get("NSPinnedLeafIdentities").is_none());
    }
}

#[test]
fn trustkit_reads_back_with_plistlib() {
    let dir = tempfile::tempdir().unwrap();
    let plist = export(
        "trustkit",
        &[
            "--host",
            "**.example.com",
            "--expires",
            "2027-06-30",
            "--report-uri",
            "https://r.example.com/pins?x=1&y=2",
        ],
    );
    let file = write(dir.path(), "trustkit.plist", plist);
    let doc = plist_json(&file);
    let d = &doc["TSKConfiguration"]["TSKPinnedDomains"]["example.com"];
    assert_eq!(d["TSKPublicKeyHashes"], serde_json::json!([B64_A, B64_B]));
    assert_eq!(d["TSKEnforcePinning"], true);
    assert_eq!(d["TSKIncludeSubdomains"], true);
    assert_eq!(d["TSKExpirationDate"], "2027-06-30");
    assert_eq!(
        d["TSKReportUris"],
        serde_json::json!(["https://r.example.com/pins?x=1&y=2"])
    );
}

/// TrustKit itself refuses a lone enforced pin, so even
/// `--danger-single-pin` can't export one.
#[test]
fn trustkit_refuses_a_lone_enforced_pin() {
    let out = pinwarden()
        .args([
            "export",
            "--to",
            "trustkit",
            "--host",
            "api.example.com",
            "--danger-single-pin",
            "--pin",
            PIN_A,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("fewer than two pins"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn envoy_reads_back_with_pyyaml() {
    require("python3");
    let dir = tempfile::tempdir().unwrap();
    let yaml = export(
        "envoy",
        &["--host", "api.example.com", "--pin-level", "leaf"],
    );
    let file = write(dir.path(), "envoy.yaml", yaml);
    let json = sh_ok(&format!(
        "python3 -c 'import yaml, json, sys; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' '{}'",
        file.display()
    ));
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let tls = &doc["transport_socket"]["typed_config"];
    assert_eq!(tls["sni"], "api.example.com");
    assert_eq!(
        tls["common_tls_context"]["validation_context"]["verify_certificate_spki"],
        serde_json::json!([B64_A, B64_B])
    );
}

#[test]
fn okhttp_hpkp_and_json_carry_the_pins() {
    let kotlin = export("okhttp", &["--host", "*.example.com"]);
    assert!(
        kotlin.contains(&format!(
            ".add(\"*.example.com\", \"{PIN_A}\", \"{PIN_B}\")"
        )),
        "{kotlin}"
    );

    let header = export(
        "hpkp",
        &[
            "--host",
            "example.com",
            "--report-uri",
            "https://r.example.com/",
        ],
    );
    assert_eq!(
        header.trim(),
        format!(
            "Public-Key-Pins-Report-Only: pin-sha256=\"{B64_A}\"; pin-sha256=\"{B64_B}\"; max-age=5184000; report-uri=\"https://r.example.com/\""
        )
    );

    let json = export("json", &["--host", "example.com"]);
    let set: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(set["pins"][0]["pin"], PIN_A);
    assert_eq!(set["pins"][1]["role"], "backup");
}

#[test]
fn report_only_on_an_enforcing_platform_is_refused() {
    let out = pinwarden()
        .args([
            "export",
            "--to",
            "android-nsc",
            "--host",
            "example.com",
            "--report-only",
        ])
        .args(["--pin", PIN_A, "--backup-pin", PIN_B])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no report-only mode"));
}

#[test]
fn export_json_mode_lists_warnings() {
    let out = export("ios-plist", &["--host", "**.example.com", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["format"], "ios-plist");
    assert!(doc["content"].as_str().unwrap().contains("NSPinnedDomains"));
    let warnings = doc["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("one label")),
        "{warnings:?}"
    );
}
