//! Pin-failure reports: the three shapes parsed, real clients' reports
//! (testdata/reports, built as TrustKit, TrustKit-Android and RFC 7469 build
//! them) accepted with their quirks noted, bad ones refused with the field
//! and the cause, and each failure class recognised.

use pinwarden_core::SpkiPin;
use pinwarden_core::policy::Policy;
use pinwarden_core::report::{
    ClientTime, FailureClass, Platform, Quirk, ReportFormat, classify, parse_report,
};
use pinwarden_test_support::{Ca, KeyKind};
use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;

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
    assert_eq!(android.port, Some(8443));
    assert_eq!(android.platform, Platform::Android);

    let mut ours = trustkit("api.example.com", &[&leaf.pem], &[&ca.spki]);
    ours["app-platform"] = "rust".into();
    ours["pinwarden-manifest-version"] = 7.into();
    ours["pinwarden-cohort"] = 42.into();
    let ours = parse_report(ours.to_string().as_bytes()).unwrap();
    assert_eq!(ours.format, ReportFormat::Pinwarden);
    assert_eq!(ours.platform, Platform::Rust);
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
        (with("port", (-1).into()), "port: -1 is not a TCP port"),
        (with("port", json!([443])), "port: a number, not an array"),
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
    // A TrustKit report without a port (or with null) is about an unknown
    // port, as with TrustKit's 0: kept, with a note.
    for body in [without("port"), with("port", serde_json::Value::Null)] {
        let report = parse_report(&body).unwrap();
        assert_eq!(report.port, None);
        assert!(
            report.notes.iter().any(|n| n.field == "port"),
            "{:?}",
            report.notes
        );
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
    skewed.client_time = Some(ClientTime::At(now + time::Duration::days(2)));
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

/// A fixture of testdata/reports (see its README for how each was built).
fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/testdata/reports/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn pin(base64: &str) -> SpkiPin {
    format!("sha256/{base64}").parse().unwrap()
}

// The fixtures' keys, hashed with openssl (README.md).
const LEAF: &str = "RytxtjcMoAHOfW6nqaRY51VmAHHWp0m7BOLQBMz3ZZM=";
const ISSUING: &str = "L0sxW3Rh8PjjXMpIPzUe7UKrIT98GktOV1ByX2/X2Dg=";
const ROOT: &str = "7dzy69QYthK5t0aIE1jN8CGDjFyJixKT9eP8aulQT6A=";
const PINNED: &str = "5t4xSvx4arnSZXRrWBxktjhhFTNa12U/md9BETGSdMA=";
const BACKUP: &str = "Qfo6Fi4n7tBNSYDiuAXXe4V9wfv4kkperU8jlyrnua0=";
/// Google Internet Authority G2, the certificate of RFC 7469's example.
const GIAG2: &str = "7HIpactkIAq2Y49orFOOQKurWxmmSFZhBCoQYcRhJ3Y=";

/// The pin set the fixtures' app holds: neither key is in the served chain.
fn northwind() -> Policy {
    Policy::parse(&format!(
        r#"
[[pinset]]
id = "api"
hosts = ["api.northwind.example"]
enforce = true
expires = 2099-01-01

[[pinset.pins]]
pin = "sha256/{PINNED}"

[[pinset.pins]]
pin = "sha256/{BACKUP}"
role = "backup"
"#
    ))
    .unwrap()
}

fn quirks(report: &pinwarden_core::report::PinReport) -> Vec<(&str, Quirk)> {
    report
        .notes
        .iter()
        .map(|n| (n.field.as_ref(), n.quirk))
        .collect()
}

/// Issue 14: every real client's report, as the client builds it, is taken.
#[test]
fn real_clients_reports_are_accepted_with_their_quirks_noted() {
    // TrustKit 3 on iOS: port 0, CRLF-wrapped PEM, escaped slashes, the
    // anchor in the validated chain.
    let ios = parse_report(&fixture("trustkit-ios.json")).unwrap();
    assert_eq!(ios.format, ReportFormat::TrustkitIos);
    assert_eq!(ios.platform, Platform::Ios);
    assert_eq!(ios.host, "api.northwind.example");
    assert_eq!(ios.noted_hostname.as_deref(), Some("northwind.example"));
    assert_eq!(ios.app.as_deref(), Some("com.northwind.mobile"));
    assert_eq!(ios.port, None);
    assert_eq!(quirks(&ios), [("port", Quirk::PortUnknown)]);
    let pins: Vec<_> = ios.chain.iter().map(|c| c.pin).collect();
    assert_eq!(pins, [pin(LEAF), pin(ISSUING), pin(ROOT)]);
    assert_eq!(ios.known_pins, [pin(PINNED), pin(BACKUP)]);
    assert_eq!(
        ios.client_time,
        Some(ClientTime::At(datetime!(2026-03-01 12:00 UTC)))
    );
    assert_eq!((ios.validation_result, ios.enforced), (Some(1), Some(true)));

    // TrustKit-Android at UTC-8: port 0, local time with a literal Z,
    // LF-wrapped PEM at 76 columns.
    let android = parse_report(&fixture("trustkit-android.json")).unwrap();
    assert_eq!(android.format, ReportFormat::TrustkitAndroid);
    assert_eq!(android.platform, Platform::Android);
    assert_eq!(android.port, None);
    assert_eq!(
        quirks(&android),
        [
            ("port", Quirk::PortUnknown),
            ("date-time", Quirk::ZoneUnknown)
        ]
    );
    assert_eq!(
        android.client_time,
        Some(ClientTime::Local(datetime!(2026-03-01 04:00)))
    );
    let pins: Vec<_> = android.chain.iter().map(|c| c.pin).collect();
    assert_eq!(pins, [pin(LEAF), pin(ISSUING)]);
    assert_eq!(android.known_pins, [pin(PINNED), pin(BACKUP)]);

    // The same with a Persian locale: the date in Extended Arabic-Indic
    // digits, 15:30 in Tehran.
    let fa = parse_report(&fixture("trustkit-android-fa.json")).unwrap();
    assert_eq!(
        quirks(&fa),
        [
            ("port", Quirk::PortUnknown),
            ("date-time", Quirk::LocaleDigits),
            ("date-time", Quirk::ZoneUnknown)
        ]
    );
    assert_eq!(
        fa.client_time,
        Some(ClientTime::Local(datetime!(2026-03-01 15:30)))
    );
    assert!(
        fa.notes[1].detail.contains("2026-03-01T15:30:00Z"),
        "{:?}",
        fa.notes
    );

    // RFC 7469 §3's example, completed.
    let hpkp = parse_report(&fixture("rfc7469.json")).unwrap();
    assert_eq!(hpkp.format, ReportFormat::Rfc7469);
    assert_eq!(hpkp.platform, Platform::Unknown);
    assert_eq!(
        (hpkp.host.as_str(), hpkp.port),
        ("www.example.com", Some(443))
    );
    assert!(hpkp.notes.is_empty(), "{:?}", hpkp.notes);
    assert_eq!(hpkp.chain.len(), 1);
    assert_eq!(hpkp.chain[0].pin, pin(GIAG2));
    assert!(
        hpkp.chain[0]
            .subject
            .contains("Google Internet Authority G2")
    );
    assert_eq!(
        hpkp.known_pins,
        [
            pin("d6qzRu9zOECb90Uez27xWltNsj0e1Md7GkYYkVoZWmM="),
            pin("E9CZ9INDbd+2eRQozYqqbQ2yXLVKB9+xcprMF+44U1g=")
        ]
    );
    assert_eq!(
        hpkp.client_time,
        Some(ClientTime::At(datetime!(2014-04-06 13:00:50 UTC)))
    );
}

#[test]
fn port_zero_and_platforms_are_normalised() {
    let report = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value =
            serde_json::from_slice(&fixture("trustkit-ios.json")).unwrap();
        edit(&mut v);
        parse_report(v.to_string().as_bytes()).unwrap()
    };
    let r = report(&|v| v["port"] = 8443.into());
    assert_eq!((r.port, r.notes.len()), (Some(8443), 0));
    let r = report(&|v| v["app-platform"] = "tvOS".into());
    assert_eq!(r.platform, Platform::Tvos);
    let r = report(&|v| v["app-platform"] = "WINDOWS".into());
    assert_eq!(r.platform, Platform::Unknown);
    assert_eq!(
        quirks(&r),
        [
            ("app-platform", Quirk::PlatformUnknown),
            ("port", Quirk::PortUnknown)
        ]
    );
    assert!(r.notes[0].detail.contains("WINDOWS"));

    // RFC 7469 is about HTTPS: no port, or 0, is 443.
    let hpkp = |edit: &dyn Fn(&mut serde_json::Map<String, serde_json::Value>)| {
        let mut v: serde_json::Value = serde_json::from_slice(&fixture("rfc7469.json")).unwrap();
        edit(v.as_object_mut().unwrap());
        parse_report(v.to_string().as_bytes()).unwrap()
    };
    for r in [
        hpkp(&|o| drop(o.remove("port"))),
        hpkp(&|o| drop(o.insert("port".into(), 0.into()))),
    ] {
        assert_eq!(r.port, Some(443));
        assert_eq!(quirks(&r), [("port", Quirk::PortHttps)]);
    }
}

/// Issue 14: a TrustKit-Android device at UTC-8 reporting three hours after
/// the leaf was issued wrote 04:00 "Z", five hours before the leaf's
/// notBefore; read as UTC that was clock skew.
#[test]
fn trustkit_android_local_time_on_a_fresh_leaf_is_not_clock_skew() {
    let policy = northwind();
    let now = datetime!(2026-03-01 12:00:05 UTC);
    let android = parse_report(&fixture("trustkit-android.json")).unwrap();
    let c = classify(&android, &policy, now);
    assert_ne!(c.class, FailureClass::ClockSkew, "{}", c.reason);
    assert_eq!(c.class, FailureClass::PossibleInterception, "{}", c.reason);
    let fa = parse_report(&fixture("trustkit-android-fa.json")).unwrap();
    assert_ne!(classify(&fa, &policy, now).class, FailureClass::ClockSkew);

    // The same wall-clock time from a client that says it is UTC is skew.
    let mut ios: serde_json::Value = serde_json::from_slice(&fixture("trustkit-ios.json")).unwrap();
    ios["date-time"] = "2026-03-01T04:00:00Z".into();
    let ios = parse_report(ios.to_string().as_bytes()).unwrap();
    let c = classify(&ios, &policy, now);
    assert_eq!(c.class, FailureClass::ClockSkew, "{}", c.reason);
}

#[test]
fn a_genuinely_skewed_clock_is_still_clock_skew() {
    let policy = northwind();
    let now = datetime!(2026-03-01 12:00:05 UTC);
    let android_at = |local: &str| {
        let mut v: serde_json::Value =
            serde_json::from_slice(&fixture("trustkit-android.json")).unwrap();
        v["date-time"] = local.into();
        classify(
            &parse_report(v.to_string().as_bytes()).unwrap(),
            &policy,
            now,
        )
    };
    // Three days behind: no zone explains it.
    let c = android_at("2026-02-26T04:00:00Z");
    assert_eq!(c.class, FailureClass::ClockSkew, "{}", c.reason);
    assert!(
        c.reason.contains("at least 68 hours behind") && c.reason.contains("whatever its zone"),
        "{}",
        c.reason
    );
    // More than a day ahead of every zone.
    let c = android_at("2026-03-03T08:00:00Z");
    assert_eq!(c.class, FailureClass::ClockSkew, "{}", c.reason);
    assert!(c.reason.contains("ahead of"), "{}", c.reason);
    // Within a day, but before the leaf's notBefore in every zone.
    let c = android_at("2026-02-28T16:00:00Z");
    assert_eq!(c.class, FailureClass::ClockSkew, "{}", c.reason);
    assert!(
        c.reason.contains("not at the client's time"),
        "{}",
        c.reason
    );
    // Late in the day at UTC+14 is still the same failure, not skew.
    let c = android_at("2026-03-02T01:59:00Z");
    assert_ne!(c.class, FailureClass::ClockSkew, "{}", c.reason);

    // An exact time a day and a half off.
    let mut ios: serde_json::Value = serde_json::from_slice(&fixture("trustkit-ios.json")).unwrap();
    ios["date-time"] = "2026-02-28T00:00:00Z".into();
    let c = classify(
        &parse_report(ios.to_string().as_bytes()).unwrap(),
        &policy,
        now,
    );
    assert_eq!(c.class, FailureClass::ClockSkew, "{}", c.reason);
    assert!(c.reason.contains("36 hours behind"), "{}", c.reason);
}

#[test]
fn quirky_fields_that_are_still_wrong_are_refused() {
    let android: serde_json::Value =
        serde_json::from_slice(&fixture("trustkit-android.json")).unwrap();
    for (date, needle) in [
        ("yesterdayZ", "date-time: \"yesterdayZ\""),
        ("2026-02-30T04:00:00Z", "date-time"),
        ("2026-03-01T25:00:00Z", "date-time"),
        ("٢٠٢٦-٠٣-٠١T٠٤:٠٠Z", "date-time"),
        ("", "date-time"),
    ] {
        let mut v = android.clone();
        v["date-time"] = date.into();
        let e = parse_report(v.to_string().as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{date}: {e}");
    }
}

/// Attacker-reachable input: every prefix of each real report, and each
/// with a byte flipped, is an answer (mostly an error), never a panic.
#[test]
fn damaged_real_reports_are_refused_not_panicked_on() {
    for name in [
        "trustkit-ios.json",
        "trustkit-android.json",
        "trustkit-android-fa.json",
        "rfc7469.json",
    ] {
        let body = fixture(name);
        for cut in (0..body.len()).step_by(11) {
            let _ = parse_report(&body[..cut]);
            let mut flipped = body.clone();
            flipped[cut] ^= 0x20;
            let _ = parse_report(&flipped);
        }
    }
}
