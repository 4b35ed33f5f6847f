//! `pinwarden caa` against a real DNS server (knotd on loopback) and the
//! example policy (Northwind Bank): permitted CAs named from the dataset,
//! `--ca` checks, and the cross-check with pin sets.

use std::path::PathBuf;

use pinwarden_test_support::{DnsServer, Zone};
use serde_json::Value;

use crate::support::{pinwarden, write};

fn example_policy() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/pinwarden.toml")
}

/// Northwind's DNS: the apex lets Let's Encrypt and DigiCert issue but
/// nobody issue wildcards; api.* lets only Let's Encrypt issue, bound to an
/// ACME account; branch.* has no CAA of its own.
fn northwind() -> DnsServer {
    DnsServer::start(&[
        Zone::new(".", ""),
        Zone::new(
            "northwind.example",
            "@ CAA 0 issue \"letsencrypt.org\"\n\
             @ CAA 0 issue \"digicert.com\"\n\
             @ CAA 0 issuewild \";\"\n\
             @ CAA 0 iodef \"mailto:pki-team@northwind.example\"\n\
             api CAA 0 issue \"letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/42\"\n\
             branch A 192.0.2.10\n\
             www A 192.0.2.11",
        ),
        Zone::unloadable("broken.example"),
    ])
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)))
}

#[test]
fn caa_names_the_permitted_cas_and_ca_checks_set_the_exit_code() {
    let dns = northwind();
    let server = dns.addr.to_string();
    let out = pinwarden()
        .args(["caa", "www.northwind.example", "--dns-server", &server])
        .args(["--ca", "Let's Encrypt", "--ca", "symantec.com"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", dns.log());
    assert!(
        stdout.contains("relevant CAA RRset at northwind.example"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "www.northwind.example: only digicert.com (DigiCert), letsencrypt.org (Let's Encrypt)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("*.www.northwind.example: no CA may issue"),
        "{stdout}"
    );
    assert!(
        stdout.contains("iodef: mailto:pki-team@northwind.example"),
        "{stdout}"
    );
    // symantec.com is a DigiCert identifier: DigiCert may issue, so it passes.
    assert!(stdout.contains("ok: symantec.com may issue for www.northwind.example"));

    let out = pinwarden()
        .args(["caa", "api.northwind.example", "*.northwind.example"])
        .args(["--dns-server", &server, "--ca", "digicert.com"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "digicert.com may not issue for api.northwind.example: CAA permits only letsencrypt.org"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("digicert.com may not issue for *.northwind.example"),
        "{stdout}"
    );
    assert!(
        stdout.contains("letsencrypt.org accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/42 (RFC 8657: not checkable from a certificate)"),
        "{stdout}"
    );
}

#[test]
fn caa_cross_checks_the_policy_pin_sets() {
    let dns = northwind();
    let out = pinwarden()
        .args(["caa", "api.northwind.example", "branch.northwind.example"])
        .arg("www.northwind.example")
        .args(["--dns-server", &dns.addr.to_string(), "--json", "--policy"])
        .arg(example_policy())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out.stdout);
    assert_eq!(v["ok"], false);
    let names = v["names"].as_array().unwrap();
    assert_eq!(names.len(), 3);
    let [api, branch, www] = [&names[0], &names[1], &names[2]];

    // api: found on api itself; only Let's Encrypt, with its account bound.
    assert_eq!(api["name"], "api.northwind.example");
    assert_eq!(api["found_at"], "api.northwind.example");
    assert_eq!(api["error"], Value::Null);
    let check = &api["checks"][0];
    assert_eq!(
        (check["permits"].as_str(), check["wildcard"].as_bool()),
        (Some("only"), Some(false))
    );
    assert_eq!(check["issuers"][0]["identifier"], "letsencrypt.org");
    assert_eq!(check["issuers"][0]["ca"], "Let's Encrypt");
    assert_eq!(check["issuers"][0]["parameters"][0]["key"], "accounturi");
    // The wildcard row: no issuewild at api, so issue applies.
    assert_eq!(api["checks"][1]["name"], "*.api.northwind.example");
    assert_eq!(api["checks"][1]["permits"], "only");
    // public-api pins DigiCert Global Root G2 as its backup, which CAA forbids
    // here; organisation.cas names DigiCert too.
    let kinds: Vec<(&str, &str)> = api["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["ca"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("pinset-ca-forbidden", "DigiCert"),
            ("policy-ca-forbidden", "DigiCert")
        ]
    );
    let f = &api["findings"][0];
    assert_eq!(f["pinset"], "public-api");
    assert_eq!(f["applications"], serde_json::json!(["northwind-mobile"]));
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("DigiCert Global Root G2"),
        "{f}"
    );

    // branch: inherits the apex's Let's Encrypt + DigiCert; its pin set only
    // accepts DigiCert, so a Let's Encrypt certificate breaks teller-desktop.
    assert_eq!(branch["found_at"], "northwind.example");
    let findings = branch["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["kind"], "caa-permits-unpinned-ca");
    assert_eq!(findings[0]["ca"], "Let's Encrypt");
    assert_eq!(findings[0]["pinset"], "branch");
    assert_eq!(
        findings[0]["applications"],
        serde_json::json!(["teller-desktop"])
    );
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .ends_with("a certificate from Let's Encrypt breaks app teller-desktop"),
        "{}",
        findings[0]["message"]
    );
    assert_eq!(branch["checks"][1]["permits"], "nobody");

    // www: no pin set, both policy CAs permitted: nothing to say.
    assert_eq!(www["findings"], serde_json::json!([]));

    // The same as text.
    let out = pinwarden()
        .args([
            "caa",
            "branch.northwind.example",
            "--dns-server",
            &dns.addr.to_string(),
            "--policy",
        ])
        .arg(example_policy())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains("! CAA for branch.northwind.example permits Let's Encrypt that pin set branch does not accept: a certificate from Let's Encrypt breaks app teller-desktop"),
        "{stdout}"
    );
}

#[test]
fn caa_lookup_failures_and_bad_input_exit_2_naming_the_cause() {
    let dns = northwind();
    let server = dns.addr.to_string();
    let out = pinwarden()
        .args([
            "caa",
            "www.broken.example",
            "www.northwind.example",
            "--json",
        ])
        .args(["--dns-server", &server])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v = json(&out.stdout);
    let err = v["names"][0]["error"].as_str().unwrap();
    assert!(
        err.contains("www.broken.example") && err.contains("SERVFAIL"),
        "{err}"
    );
    assert_eq!(v["names"][0]["checks"], serde_json::json!([]));
    // The other name is still answered.
    assert_eq!(v["names"][1]["found_at"], "northwind.example");

    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "cas.toml", "[[ca]]\nname = 3\n");
    let cases: [(&[&str], &str); 4] = [
        (&["--dns-server", "not-an-ip"], "--dns-server \"not-an-ip\""),
        (&["--ca", "Nobody Such CA"], "--ca \"Nobody Such CA\""),
        (&["--cas", bad.to_str().unwrap()], "cas.toml"),
        (
            &["--cas", "/nonexistent/cas.toml"],
            "/nonexistent/cas.toml: can't read it",
        ),
    ];
    for (args, expected) in cases {
        let mut cmd = pinwarden();
        cmd.args(["caa", "example.test"]).args(args);
        if args[0] != "--dns-server" {
            cmd.args(["--dns-server", &server]);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let out = pinwarden()
        .args(["caa", "a..example", "--dns-server", &server])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("empty label"));
}

/// Issue 14: SSLMate's caatestsuite `critical1` and `critical2` (a critical
/// 25-octet tag, which hickory 0.26 can't decode) ended in a lookup error,
/// exit 2; they are verdicts: no CA may issue.
#[test]
fn caa_gives_a_verdict_for_caatestsuites_long_critical_tags() {
    let suite = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../probe/testdata/caatestsuite");
    let zone = std::fs::read_to_string(suite.join("caatestsuite.com.zone")).unwrap();
    let dns = DnsServer::start(&[Zone::new(".", ""), Zone::raw("caatestsuite.com", &zone)]);
    let out = pinwarden()
        .args([
            "caa",
            "critical1.basic.caatestsuite.com",
            "critical2.basic.caatestsuite.com",
            "--dns-server",
            &dns.addr.to_string(),
            "--ca",
            "letsencrypt.org",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for n in ["critical1", "critical2"] {
        let name = format!("{n}.basic.caatestsuite.com");
        for line in [
            format!("relevant CAA RRset at {name}:"),
            format!(
                "  {name}: no CA may issue (critical property \"caatestsuitedummyproperty\" is not understood)"
            ),
            format!("! letsencrypt.org may not issue for {name}: CAA permits no CA"),
        ] {
            assert!(stdout.contains(&line), "{line:?} in:\n{stdout}");
        }
    }
    assert_eq!(
        stdout
            .matches("unknown tag caatestsuitedummyproperty \"test\" (critical: no CA may issue)")
            .count(),
        2,
        "{stdout}"
    );
}
