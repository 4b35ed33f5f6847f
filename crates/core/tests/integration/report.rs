//! Pin-failure reports: the three shapes parsed, bad ones refused with the
//! field and the cause, and each failure class recognised.

use pinwarden_core::SpkiPin;
use pinwarden_core::policy::Policy;
use pinwarden_core::report::{FailureClass, ReportFormat, classify, parse_report};
use pinwarden_test_support::{Ca, KeyKind};
use serde_json::json;
use time::OffsetDateTime;

fn policy(pinned: &Ca, known_backup: &[u8]) -> Policy {
    Policy::parse(&format!(
        r#"
[organisation]
cas = ["Acme Trust"]

[[pinset]]
id = "api"
hosts = ["api.example.com"]
enforce = true
expires = 2099-01-01

[[pinset.pins]]
pin = "{}"

[[pinset.pins]]
pin = "{}"
role = "backup"

[[pinset]]
id = "old"
hosts = ["old.example.com"]
enforce = true
expires = 2020-01-01

[[pinset.pins]]
pin = "{}"
"#,
        SpkiPin::from_spki_der(&pinned.spki),
        SpkiPin::from_spki_der(known_backup),
        SpkiPin::from_spki_der(&pinned.spki),
    ))
    .unwrap()
}

fn trustkit(host: &str, chain: &[&str], known: &[&[u8]]) -> serde_json::Value {
    json!({
        "app-bundle-id": "com.example.bank",
        "app-version": "5.2",
        "app-platform": "IOS",
        "app-platform-version": "17.4",
        "app-vendor-id": "A1",
        "trustkit-version": "3.0.3",
        "date-time": OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap(),
        "hostname": host,
        "port": 443,
        "noted-hostname": host,
        "include-subdomains": false,
        "enforce-pinning": true,
        "validated-certificate-chain": chain,
        "known-pins": known.iter().map(|k| format!("pin-sha256=\"{}\"", SpkiPin::from_spki_der(k).to_base64())).collect::<Vec<_>>(),
        "validation-result": 1,
        "known-pins-expiration-date": "2099-01-01"
    })
}

#[test]
fn the_three_shapes_are_read() {
    let ca = Ca::root("Acme Trust Root", KeyKind::EcdsaP256);
    let leaf = ca.leaf(&["api.example.com"], KeyKind::EcdsaP256);

    let ios = parse_report(
        trustkit("API.example.com.", &[&leaf.pem], &[&ca.spki])
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(ios.format, ReportFormat::TrustkitIos);
    assert_eq!(ios.host, "api.example.com");
    assert_eq!(ios.app.as_deref(), Some("com.example.bank"));
    assert_eq!(ios.chain[0].pin, SpkiPin::from_spki_der(&leaf.spki));
    assert!(ios.chain[0].issuer.contains("Acme Trust Root"));
    assert_eq!(ios.known_pins, [SpkiPin::from_spki_der(&ca.spki)]);

    let mut android = trustkit("api.example.com", &[&leaf.pem], &[&ca.spki]);
    android["app-platform"] = "ANDROID".into();
    android["port"] = "8443".into(); // Android's TrustKit has sent strings
    android["served-certificate-chain"] = json!([leaf.pem]);
    let android = parse_report(android.to_string().as_bytes()).unwrap();
    assert_eq!(android.format, ReportFormat::TrustkitAndroid);
    assert_eq!(android.port, 8443);

    let mut ours = trustkit("api.example.com", &[&leaf.pem], &[&ca.spki]);
    ours["app-platform"] = "rust".into();
    ours["pinwarden-manifest-version"] = 7.into();
    ours["pinwarden-cohort"] = 42.into();
    let ours = parse_report(ours.to_string().as_bytes()).unwrap();
    assert_eq!(ours.format, ReportFormat::Pinwarden);
    assert_eq!((ours.manifest_version, ours.cohort), (Some(7), Some(42)));

    // RFC 7469 §3's example fields.
    let hpkp = json!({
        "date-time": "2026-11-29T06:00:00Z",
        "hostname": "api.example.com",
        "port": 443,
        "effective-expiration-date": "2027-01-01T00:00:00Z",
        "include-subdomains": false,
        "noted-hostname": "example.com",
        "served-certificate-chain": [leaf.pem, ca.pem],
        "validated-certificate-chain": [leaf.pem, ca.pem],
        "known-pins": [
            format!("pin-sha256=\"{}\"", SpkiPin::from_spki_der(&ca.spki).to_base64()),
            "pin-sha256=\"E9CZ9INDbd+2eRQozYqqbQ2yXLVKB9+xcprMF+44U1g=\""
        ]
    });
    let hpkp = parse_report(hpkp.to_string().as_bytes()).unwrap();
    assert_eq!(hpkp.format, ReportFormat::Rfc7469);
    assert_eq!(hpkp.chain.len(), 2);
    assert_eq!(hpkp.known_pins.len(), 2);
}

#[test]
fn bad_reports_are_refused_with_the_field_and_the_cause() {
    let ca = Ca::root("Acme Trust Root", KeyKind::EcdsaP256);
    let leaf = ca.leaf(&["api.example.com"], KeyKind::EcdsaP256);
    let good = trustkit("api.example.com", &[&leaf.pem], &[&ca.spki]);
    let with = |key: &str, value: serde_json::Value| {
        let mut v = good.clone();
        v[key] = value;
        v.to_string().into_bytes()
    };
    let without = |key: &str| {
        let mut v = good.clone();
        v.as_object_mut().unwrap().remove(key);
        v.to_string().into_bytes()
    };
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200)).into_bytes();
    let huge_chain = with("validated-certificate-chain", json!(vec![leaf.pem; 11]));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{not json".to_vec(), "not JSON"),
        (vec![0xff, 0xfe, b'{', b'}'], "not UTF-8"),
        (b"[1, 2]".to_vec(), "a JSON object, not an array"),
        (deep, "not JSON"),
        (vec![b' '; 70_000], "more than 65536"),
        (without("hostname"), "hostname: missing"),
        (with("hostname", "bad host!".into()), "not a host name"),
        (
            with("hostname", 12.into()),
            "hostname: a string, not a number",
        ),
        (with("port", 70_000.into()), "not a TCP port"),
        (with("port", json!([443])), "port: a number, not an array"),
        (without("port"), "port: missing"),
        (with("date-time", "yesterday".into()), "date-time"),
        (
            with(
                "validated-certificate-chain",
                json!(["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]),
            ),
            "validated-certificate-chain[0]",
        ),
        (
            with("validated-certificate-chain", json!([])),
            "no certificate chain",
        ),
        (huge_chain, "11 entries, at most 10"),
        (with("known-pins", json!(["sha1/AAAA"])), "known-pins"),
        (with("pinwarden-cohort", 100.into()), "0 to 99"),
        (with("enforce-pinning", "yes".into()), "a boolean"),
    ];
    for (body, needle) in cases {
        let e = parse_report(&body).unwrap_err().to_string();
        assert!(e.contains(needle), "{needle}: {e}");
    }
}

#[test]
fn failures_are_classified_with_reasons() {
    let pinned = Ca::root("Acme Trust Root", KeyKind::EcdsaP256);
    let backup = Ca::root("Backup CA Root", KeyKind::EcdsaP256);
    let rogue = Ca::root("Totally Legit Proxy CA", KeyKind::EcdsaP256);
    let policy = policy(&pinned, &backup.spki);
    let now = OffsetDateTime::now_utc();
    let report = |host: &str, ca: &Ca, known: &[&[u8]]| {
        let leaf = ca.leaf(&[host], KeyKind::EcdsaP256);
        parse_report(
            trustkit(host, &[&leaf.pem, &ca.pem], known)
                .to_string()
                .as_bytes(),
        )
        .unwrap()
    };

    // Served from the backup CA, which the policy knows but the app didn't pin.
    let c = classify(
        &report("api.example.com", &backup, &[&pinned.spki]),
        &policy,
        now,
    );
    assert_eq!(c.class, FailureClass::RotationDrift, "{}", c.reason);
    assert!(c.reason.contains("pin set api"), "{}", c.reason);

    // A CA nobody expects.
    let c = classify(
        &report("api.example.com", &rogue, &[&pinned.spki]),
        &policy,
        now,
    );
    assert_eq!(c.class, FailureClass::PossibleInterception, "{}", c.reason);
    assert!(c.reason.contains("Totally Legit Proxy CA"), "{}", c.reason);

    // An unpinned key issued under one of the organisation's CAs (by name).
    let acme_sub = Ca::root("Acme Trust Issuing CA 2", KeyKind::EcdsaP256);
    let c = classify(
        &report("api.example.com", &acme_sub, &[&pinned.spki]),
        &policy,
        now,
    );
    assert_eq!(c.class, FailureClass::RotationDrift, "{}", c.reason);
    assert!(c.reason.contains("Acme Trust"), "{}", c.reason);

    // The pin set expired.
    let c = classify(
        &report("old.example.com", &rogue, &[&pinned.spki]),
        &policy,
        now,
    );
    assert_eq!(c.class, FailureClass::ExpiredPinSet, "{}", c.reason);

    // The client's clock is two days ahead.
    let mut skewed = report("api.example.com", &rogue, &[&pinned.spki]);
    skewed.client_time = Some(now + time::Duration::days(2));
    let c = classify(&skewed, &policy, now);
    assert_eq!(c.class, FailureClass::ClockSkew, "{}", c.reason);
    assert!(c.reason.contains("48 hours ahead"), "{}", c.reason);

    // The chain holds the client's own pin: not a pin failure.
    let c = classify(
        &report("api.example.com", &pinned, &[&pinned.spki]),
        &policy,
        now,
    );
    assert_eq!(c.class, FailureClass::Misconfiguration, "{}", c.reason);

    // No pin set covers the host.
    let c = classify(&report("elsewhere.example.net", &rogue, &[]), &policy, now);
    assert_eq!(c.class, FailureClass::Misconfiguration, "{}", c.reason);
    assert!(c.reason.contains("no pin set"), "{}", c.reason);
}
