//! Pin-failure reports into `pinwarden serve`: the three shapes, classes,
//! duplicates, bad input, rate limits, metrics, the page; real clients'
//! reports with their platform and normalisation notes; on SQLite and
//! PostgreSQL; and no acknowledged report lost to a kill -9.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use pinwarden_core::SpkiPin;
use pinwarden_test_support::{Ca, KeyKind};
use serde_json::json;

use crate::serve_cmd::{Server, curl, start_serving};
use crate::support::{require, write};

/// Every report limit lifted: for tests that send thousands of distinct
/// failures from one address.
const UNLIMITED: &[&str] = &[
    "--report-rate",
    "100000",
    "--report-source-rate",
    "100000",
    "--report-source-new-failures",
    "10000000",
    "--report-new-failures",
    "10000000",
];

/// A TrustKit (iOS) report for `host` with a chain from `ca`.
fn report(host: &str, ca: &Ca, version: &str) -> serde_json::Value {
    let leaf = ca.leaf(&[host], KeyKind::EcdsaP256);
    json!({
        "app-bundle-id": "com.northwind.mobile",
        "app-version": version,
        "app-platform": "IOS",
        "app-platform-version": "17.4",
        "app-vendor-id": "V",
        "trustkit-version": "3.0.3",
        "date-time": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap(),
        "hostname": host,
        "port": 443,
        "noted-hostname": host,
        "include-subdomains": false,
        "enforce-pinning": true,
        "validated-certificate-chain": [leaf.pem, ca.pem],
        "known-pins": [format!("pin-sha256=\"{}\"", SpkiPin::from_digest([9; 32]).to_base64())],
        "validation-result": 1
    })
}

/// POSTs `body` over a plain socket; the status code, if one came back.
fn post_raw(url: &str, path: &str, body: &[u8]) -> Option<u16> {
    post_answer(url, path, body).map(|(code, _)| code)
}

/// POSTs `body` over a plain socket; the status code and the whole answer.
fn post_answer(url: &str, path: &str, body: &[u8]) -> Option<(u16, String)> {
    post_forwarded(url, path, body, None)
}

/// POSTs `body` with `X-Forwarded-For: client` when given (the server
/// trusts it from 127.0.0.1 when started with `--trusted-proxy 127.0.0.1`).
fn post_forwarded(
    url: &str,
    path: &str,
    body: &[u8],
    client: Option<&str>,
) -> Option<(u16, String)> {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let forwarded = client.map_or(String::new(), |c| format!("x-forwarded-for: {c}\r\n"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{forwarded}connection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).ok()?;
    let code = answer.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, answer))
}

fn post(server: &Server, dir: &std::path::Path, body: &str) -> (String, String) {
    let file = write(dir, "report.json", body);
    curl(&format!(
        "-X POST -H 'content-type: application/json' --data-binary @'{}' {}/v1/reports",
        file.display(),
        server.url
    ))
}

fn telemetry_lifecycle(database: &str) {
    require("curl");
    let dir = tempfile::tempdir().unwrap();
    let server = start_serving(database, &[]);
    let rogue = Ca::root("Totally Legit Proxy CA", KeyKind::EcdsaP256);
    let digicert = Ca::root("DigiCert Test Issuing CA", KeyKind::EcdsaP256);

    let interception = report("api.northwind.example", &rogue, "5.1").to_string();
    for (body, class) in [
        (interception.as_str(), "possible-interception"),
        (
            &report("api.northwind.example", &digicert, "5.2").to_string(),
            "rotation-drift",
        ),
        (
            &report("elsewhere.example.net", &rogue, "5.2").to_string(),
            "misconfiguration",
        ),
    ] {
        let (code, answer) = post(&server, dir.path(), body);
        assert_eq!(code, "202", "{answer}");
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["class"], class, "{answer}");
        assert_eq!(answer["duplicate"], false);
    }
    let (code, answer) = post(&server, dir.path(), &interception);
    assert_eq!(code, "202");
    assert!(answer.contains("\"duplicate\":true"), "{answer}");

    // Bad input: refused with a reason, and the server goes on.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let mut huge_chain = report("api.northwind.example", &rogue, "5.1");
    huge_chain["validated-certificate-chain"] = json!(vec!["x"; 11]);
    let mut wrong_type = report("api.northwind.example", &rogue, "5.1");
    wrong_type["port"] = json!({"n": 1});
    for (body, status) in [
        (b"{\"hostname\": ".to_vec(), 400),
        (vec![b'{', 0xff, 0xfe, b'}'], 400),
        (deep.into_bytes(), 400),
        (vec![b' '; 70_000], 413),
        (huge_chain.to_string().into_bytes(), 400),
        (wrong_type.to_string().into_bytes(), 400),
        (b"null".to_vec(), 400),
    ] {
        assert_eq!(post_raw(&server.url, "/v1/reports", &body), Some(status));
    }
    assert_eq!(
        post_raw(&server.url, "/v1/reports/..%2fetc", interception.as_bytes()),
        Some(400)
    );
    assert_eq!(
        post_raw(
            &server.url,
            "/v1/reports/northwind-mobile",
            interception.as_bytes()
        ),
        Some(202),
        "still serving"
    );

    let (code, summary) = curl(&format!("{}/api/v1/reports/summary?days=1", server.url));
    assert_eq!(code, "200");
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["total"], 5, "{summary}");
    assert_eq!(
        summary["by_class"][0]["key"], "possible-interception",
        "{summary}"
    );
    assert_eq!(summary["by_class"][0]["failures"], 3, "{summary}");
    let (_, samples) = curl(&format!(
        "'{}/api/v1/reports?class=rotation-drift&limit=5'",
        server.url
    ));
    let samples: serde_json::Value = serde_json::from_str(&samples).unwrap();
    assert_eq!(samples.as_array().unwrap().len(), 1, "{samples}");
    assert!(
        samples[0]["chain"][1]["subject"]
            .as_str()
            .unwrap()
            .contains("DigiCert Test Issuing CA"),
        "{samples}"
    );
    assert!(samples[0]["reason"].as_str().unwrap().contains("DigiCert"));

    let (code, metrics) = curl(&format!("{}/metrics", server.url));
    assert_eq!(code, "200");
    for name in [
        "pinwarden_reports_accepted_total",
        "pinwarden_reports_rejected_total",
        "pinwarden_reports_deduplicated_total",
        "pinwarden_report_queue_depth",
        "pinwarden_report_store_seconds",
    ] {
        assert!(metrics.contains(name), "{name}: {metrics}");
    }
    if database.starts_with("sqlite:") {
        // The SQLite writer's dedup memory: the failures stored above.
        let remembered = metrics
            .lines()
            .find_map(|l| l.strip_prefix("pinwarden_reports_dedup_remembered "))
            .unwrap_or_else(|| panic!("no dedup memory gauge: {metrics}"));
        assert_ne!(remembered.trim(), "0", "{metrics}");
    }
    let (code, page) = curl(&format!("'{}/telemetry?days=7'", server.url));
    assert_eq!(code, "200");
    assert!(
        page.contains("possible-interception")
            && page.contains("<svg")
            && page.contains("Totally Legit Proxy CA"),
        "{page}"
    );
}

#[test]
fn reports_on_sqlite() {
    let data = tempfile::tempdir().unwrap();
    telemetry_lifecycle(&format!("sqlite://{}/pw.db", data.path().display()));
}

#[test]
fn reports_on_postgres() {
    let db = pinwarden_test_support::PostgresDb::create();
    telemetry_lifecycle(&db.url);
}

/// A report as a real client builds it: crates/core/testdata/reports
/// (README.md there says how each was made).
fn real_report(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../core/testdata/reports/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn quirks(answer: &serde_json::Value) -> Vec<&str> {
    answer["notes"]
        .as_array()
        .unwrap_or_else(|| panic!("no notes: {answer}"))
        .iter()
        .map(|n| n["quirk"].as_str().unwrap())
        .collect()
}

/// Issue 14: TrustKit (iOS), TrustKit-Android and RFC 7469 reports are taken
/// as those clients send them (TrustKit-Android streams the body chunked);
/// the answer and the reports API carry the normalised platform and what
/// was done with each quirk; a TrustKit-Android device at UTC-8 reporting on
/// a leaf issued three hours ago is not taken for a skewed clock.
fn real_clients_reports(database: &str) {
    require("curl");
    let dir = tempfile::tempdir().unwrap();
    let server = start_serving(database, &[]);
    let send = |name: &str, body: &[u8]| {
        let file = write(dir.path(), name, body);
        let (code, answer) = curl(&format!(
            "-X POST -H 'content-type: application/json' -H 'transfer-encoding: chunked' \
             --data-binary @'{}' {}/v1/reports",
            file.display(),
            server.url
        ));
        assert_eq!(code, "202", "{name}: {answer}");
        serde_json::from_str::<serde_json::Value>(&answer).unwrap()
    };
    for (name, platform, noted) in [
        ("trustkit-ios.json", "ios", &["port-unknown"][..]),
        (
            "trustkit-android.json",
            "android",
            &["port-unknown", "zone-unknown"][..],
        ),
        (
            "trustkit-android-fa.json",
            "android",
            &["port-unknown", "locale-digits", "zone-unknown"][..],
        ),
        ("rfc7469.json", "unknown", &[][..]),
    ] {
        let answer = send(name, &real_report(name));
        assert_eq!(answer["platform"], platform, "{name}: {answer}");
        assert_eq!(quirks(&answer), noted, "{name}: {answer}");
    }

    // TrustKit-Android at UTC-8, now, on a leaf issued three hours ago.
    let now = time::OffsetDateTime::now_utc();
    let proxy = Ca::root("Totally Legit Proxy CA", KeyKind::EcdsaP256);
    let leaf = proxy.leaf_valid(
        &["auth.northwind.example"],
        KeyKind::EcdsaP256,
        now - time::Duration::hours(3),
        now + time::Duration::days(90),
    );
    let local = (now - time::Duration::hours(8))
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap();
    let mut fresh: serde_json::Value =
        serde_json::from_slice(&real_report("trustkit-android.json")).unwrap();
    fresh["hostname"] = "auth.northwind.example".into();
    fresh["date-time"] = local.into();
    fresh["served-certificate-chain"] = json!([leaf.pem, proxy.pem]);
    fresh["validated-certificate-chain"] = fresh["served-certificate-chain"].clone();
    let answer = send("fresh.json", fresh.to_string().as_bytes());
    assert_eq!(answer["class"], "possible-interception", "{answer}");
    assert_eq!(quirks(&answer), ["port-unknown", "zone-unknown"]);

    let (code, samples) = curl(&format!(
        "'{}/api/v1/reports?host=auth.northwind.example'",
        server.url
    ));
    assert_eq!(code, "200", "{samples}");
    let samples: serde_json::Value = serde_json::from_str(&samples).unwrap();
    let fresh = &samples[0];
    assert_eq!(fresh["platform"], "android", "{samples}");
    assert_eq!(fresh["port"], serde_json::Value::Null, "{samples}");
    assert_eq!(fresh["class"], "possible-interception", "{samples}");
    assert_eq!(quirks(fresh), ["port-unknown", "zone-unknown"]);
    assert_eq!(fresh["notes"][1]["field"], "date-time", "{samples}");

    // Every stored report has its platform; the two TrustKit-Android
    // reports of one failure are one row counted twice.
    let (_, all) = curl(&format!("'{}/api/v1/reports?limit=50'", server.url));
    let all: serde_json::Value = serde_json::from_str(&all).unwrap();
    let mut seen: Vec<(String, String, serde_json::Value, i64)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["host"].as_str().unwrap().to_owned(),
                r["platform"].as_str().unwrap().to_owned(),
                r["port"].clone(),
                r["count"].as_i64().unwrap(),
            )
        })
        .collect();
    seen.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    assert_eq!(
        seen,
        [
            (
                "api.northwind.example".into(),
                "android".into(),
                json!(null),
                2
            ),
            ("api.northwind.example".into(), "ios".into(), json!(null), 1),
            (
                "auth.northwind.example".into(),
                "android".into(),
                json!(null),
                1
            ),
            ("www.example.com".into(), "unknown".into(), json!(443), 1),
        ],
        "{all}"
    );
}

#[test]
fn real_clients_reports_on_sqlite() {
    let data = tempfile::tempdir().unwrap();
    real_clients_reports(&format!("sqlite://{}/pw.db", data.path().display()));
}

#[test]
fn real_clients_reports_on_postgres() {
    let db = pinwarden_test_support::PostgresDb::create();
    real_clients_reports(&db.url);
}

#[test]
fn a_flood_from_one_source_is_slowed_down() {
    require("curl");
    let data = tempfile::tempdir().unwrap();
    let server = start_serving(
        &format!("sqlite://{}/pw.db", data.path().display()),
        &["--report-rate", "1"],
    );
    let rogue = Ca::root("Rogue", KeyKind::EcdsaP256);
    let body = report("api.northwind.example", &rogue, "1").to_string();
    let codes: Vec<Option<u16>> = (0..14)
        .map(|_| post_raw(&server.url, "/v1/reports", body.as_bytes()))
        .collect();
    assert_eq!(&codes[..12], &[Some(202); 12], "a burst of 12 is taken");
    assert_eq!(codes[13], Some(429), "{codes:?}");
}

/// A queue of one report, sixteen senders: some are told 503 with
/// Retry-After; every sender gets an answer; what was answered 202 is
/// stored and what was refused for the queue is not.
#[test]
fn a_full_queue_answers_503_with_retry_after_and_drops_nothing() {
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/pw.db", data.path().display());
    let server = start_serving(&url, &[UNLIMITED, &["--report-queue", "1"]].concat());
    let rogue = Ca::root("Rogue", KeyKind::EcdsaP256);
    let template = report("h.example.com", &rogue, "1");
    let answers = std::sync::Mutex::new(Vec::new());
    let refused = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..16 {
            let (template, answers, refused) = (&template, &answers, &refused);
            let url = server.url.as_str();
            scope.spawn(move || {
                // Bounded: at most 300 reports per sender, fewer once the
                // queue has been seen full a few times.
                for i in 0..300 {
                    if refused.load(std::sync::atomic::Ordering::Relaxed) >= 20 {
                        break;
                    }
                    let host = format!("q{t}-{i}.example.com");
                    let mut body = template.clone();
                    body["hostname"] = host.clone().into();
                    let answer = post_answer(url, "/v1/reports", body.to_string().as_bytes());
                    if matches!(answer, Some((503, _))) {
                        refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    answers.lock().unwrap().push((host, answer));
                }
            });
        }
    });
    let answers = answers.into_inner().unwrap();
    let mut accepted = std::collections::HashSet::new();
    let mut full = std::collections::HashSet::new();
    for (host, answer) in &answers {
        match answer {
            Some((202, _)) => {
                accepted.insert(host.clone());
            }
            Some((503, text)) => {
                let text = text.to_ascii_lowercase();
                assert!(text.contains("\r\nretry-after: "), "{text}");
                assert!(text.contains("queue is full"), "{text}");
                full.insert(host.clone());
            }
            other => panic!("{host}: {other:?}"),
        }
    }
    eprintln!(
        "{} accepted, {} refused: queue full",
        accepted.len(),
        full.len()
    );
    assert!(!full.is_empty(), "the queue of one never filled");
    assert!(!accepted.is_empty());
    drop(server);
    let stored: std::collections::HashSet<String> = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = pinwarden_server::Store::open(&url).await.unwrap();
            store.report_hosts().await.unwrap()
        })
        .into_iter()
        .collect();
    assert_eq!(stored, accepted, "stored = answered 202, nothing else");
}

#[test]
fn no_acknowledged_report_is_lost_to_kill_minus_9() {
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/pw.db", data.path().display());
    let mut server = start_serving(&url, UNLIMITED);
    let rogue = Ca::root("Rogue", KeyKind::EcdsaP256);
    // One chain for all, hosts distinct so nothing is deduplicated.
    let template = report("h.example.com", &rogue, "1");
    let server_url = server.url.clone();
    let acknowledged = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for t in 0..4 {
            let (url, template, acknowledged) = (&server_url, &template, &acknowledged);
            scope.spawn(move || {
                // Bounded: at most 2,000 reports per thread, stops at the kill.
                for i in 0..2000 {
                    let host = format!("h{t}-{i}.example.com");
                    let mut body = template.clone();
                    body["hostname"] = host.clone().into();
                    match post_raw(url, "/v1/reports", body.to_string().as_bytes()) {
                        Some(202) => acknowledged.lock().unwrap().push(host),
                        Some(_) => {}
                        None => break,
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(700));
        server.kill();
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    eprintln!(
        "{} reports acknowledged before the kill",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() > 10,
        "the load ran: {}",
        acknowledged.len()
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stored = runtime.block_on(async {
        let store = pinwarden_server::Store::open(&url).await.unwrap();
        store.report_hosts().await.unwrap()
    });
    let stored: std::collections::HashSet<String> = stored.into_iter().collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|h| !stored.contains(*h))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged reports lost: {:?}",
        lost.len(),
        acknowledged.len(),
        &lost[..lost.len().min(5)]
    );

    // Restarted, the server rebuilds the window's failures from the file:
    // the same reports again are counted on their rows, not stored twice.
    let server = start_serving(&url, UNLIMITED);
    let dir = tempfile::tempdir().unwrap();
    for host in acknowledged.iter().take(3) {
        let mut body = template.clone();
        body["hostname"] = host.clone().into();
        let (code, answer) = post(&server, dir.path(), &body.to_string());
        assert_eq!(code, "202", "{answer}");
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["duplicate"], true, "{host}: {answer}");
    }
    // One server writes reports to an SQLite file; a second is refused.
    let second = std::process::Command::new(assert_cmd::cargo::cargo_bin("pinwarden"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--policy",
            crate::serve_cmd::EXAMPLE,
        ])
        .args(["--database", &url])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "{stderr}");
    assert!(stderr.contains("another pinwarden server"), "{stderr}");
    drop(server);
    let rows = runtime.block_on(async {
        let store = pinwarden_server::Store::open(&url).await.unwrap();
        store.report_hosts().await.unwrap()
    });
    assert_eq!(rows.len(), stored.len(), "no row added by the repeats");
}

/// A metric's value in the server's /metrics.
fn metric(server: &Server, line_start: &str) -> f64 {
    let (_, text) = curl(&format!("{}/metrics", server.url));
    text.lines()
        .find_map(|l| l.strip_prefix(line_start))
        .unwrap_or_else(|| panic!("no {line_start} in {text}"))
        .trim()
        .parse()
        .unwrap()
}

/// Issue 15: keyed on source and app, one source stored 20,000 distinct
/// hosts in 4.7 s. Now a network is limited across all apps and hosts, in
/// reports and in new distinct failures; the server caps new failures per
/// minute for everybody; repeats of known failures are still counted; and
/// every refusal says when to retry and is counted in /metrics.
fn report_limits(database: &str) {
    require("curl");
    let server = start_serving(
        database,
        &[
            // 3 reports at once per source, then one every 4 s.
            "--report-source-rate",
            "0.25",
            "--report-source-new-failures",
            "2",
            "--report-new-failures",
            "4",
            "--trusted-proxy",
            "127.0.0.1",
        ],
    );
    let rogue = Ca::root("Rogue", KeyKind::EcdsaP256);
    let template = report("h.example.com", &rogue, "1");
    let body = |host: &str| {
        let mut b = template.clone();
        b["hostname"] = host.into();
        b.to_string()
    };
    let send = |host: &str, from: Option<&str>| {
        post_forwarded(&server.url, "/v1/reports", body(host).as_bytes(), from)
            .unwrap_or_else(|| panic!("{host}: no answer"))
    };
    let retry_after = |answer: &str| -> u64 {
        answer
            .to_ascii_lowercase()
            .lines()
            .find_map(|l| {
                l.strip_prefix("retry-after: ")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap_or_else(|| panic!("no Retry-After: {answer}"))
    };
    let (a, b, c) = (None, Some("198.51.100.7"), Some("203.0.113.9"));

    // Source a: two new failures, then its new-failure share is spent...
    for host in ["h0.example.com", "h1.example.com"] {
        let (code, answer) = send(host, a);
        assert_eq!(code, 202, "{answer}");
    }
    let (code, answer) = send("h2.example.com", a);
    assert_eq!(code, 429, "{answer}");
    assert!(
        answer.contains("new distinct failures from this network"),
        "{answer}"
    );
    assert!((1..=30).contains(&retry_after(&answer)), "{answer}");
    // ... and its third report used its burst: any host, even a repeat, waits.
    let (code, answer) = send("h0.example.com", a);
    assert_eq!(code, 429, "{answer}");
    assert!(answer.contains("all apps and hosts together"), "{answer}");
    assert!((1..=4).contains(&retry_after(&answer)), "{answer}");

    // Another network: a repeat of a's failure is counted, a new one stored.
    let (code, answer) = send("h0.example.com", b);
    assert_eq!(
        (code, answer.contains("\"duplicate\":true")),
        (202, true),
        "{answer}"
    );
    assert_eq!(send("h3.example.com", b).0, 202);
    // A third: the server's 4 new failures a minute are spent after one more.
    assert_eq!(send("h4.example.com", c).0, 202);
    let (code, answer) = send("h5.example.com", c);
    assert_eq!(code, 503, "{answer}");
    assert!(
        answer.contains("limit of new distinct failures"),
        "{answer}"
    );
    assert!((1..=15).contains(&retry_after(&answer)), "{answer}");
    // Repeats are still counted with the cap spent.
    let (code, answer) = send("h1.example.com", c);
    assert_eq!(
        (code, answer.contains("\"duplicate\":true")),
        (202, true),
        "{answer}"
    );

    let (_, summary) = curl(&format!("{}/api/v1/reports/summary?days=1", server.url));
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["total"], 6, "{summary}");
    let (_, rows) = curl(&format!("'{}/api/v1/reports?limit=50'", server.url));
    let rows: serde_json::Value = serde_json::from_str(&rows).unwrap();
    let mut hosts: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["host"].as_str().unwrap())
        .collect();
    hosts.sort_unstable();
    assert_eq!(
        hosts,
        [
            "h0.example.com",
            "h1.example.com",
            "h3.example.com",
            "h4.example.com"
        ],
        "nothing refused was stored"
    );
    for (line, want) in [
        (
            "pinwarden_reports_rejected_total{reason=\"source-new-failures\"} ",
            1.0,
        ),
        (
            "pinwarden_reports_rejected_total{reason=\"source-rate\"} ",
            1.0,
        ),
        (
            "pinwarden_reports_rejected_total{reason=\"new-failures\"} ",
            1.0,
        ),
        ("pinwarden_reports_new_failures_total ", 4.0),
        ("pinwarden_reports_accepted_total ", 6.0),
        ("pinwarden_reports_deduplicated_total ", 2.0),
    ] {
        assert_eq!(metric(&server, line), want, "{line}");
    }
}

#[test]
fn report_limits_on_sqlite() {
    let data = tempfile::tempdir().unwrap();
    report_limits(&format!("sqlite://{}/pw.db", data.path().display()));
}

#[test]
fn report_limits_on_postgres() {
    let db = pinwarden_test_support::PostgresDb::create();
    report_limits(&db.url);
}

/// Issue 15: the dedup fingerprint ignored `date-time`, on which the class
/// depends, so one future-dated report relabelled three interception
/// reports `clock-skew`. The class is part of the fingerprint now: in
/// either order, each report keeps its class.
fn future_dated_report_does_not_relabel_others(database: &str) {
    require("curl");
    let dir = tempfile::tempdir().unwrap();
    let server = start_serving(database, &[]);
    let rogue = Ca::root("Totally Legit Proxy CA", KeyKind::EcdsaP256);
    let future = (time::OffsetDateTime::now_utc() + time::Duration::days(3))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    for (host, future_first) in [
        ("api.northwind.example", false),
        ("auth.northwind.example", true),
    ] {
        let interception = report(host, &rogue, "5.1");
        let mut skewed = interception.clone();
        skewed["date-time"] = future.clone().into();
        let mut sends = vec![(interception.clone(), "possible-interception"); 3];
        sends.insert(if future_first { 0 } else { 3 }, (skewed, "clock-skew"));
        for (n, (body, class)) in sends.iter().enumerate() {
            let (code, answer) = post(&server, dir.path(), &body.to_string());
            assert_eq!(code, "202", "{answer}");
            let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
            assert_eq!(answer["class"], *class, "{host} #{n}: {answer}");
        }
        let (_, summary) = curl(&format!(
            "'{}/api/v1/reports/summary?days=1&host={host}'",
            server.url
        ));
        let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
        assert_eq!(
            summary["by_class"],
            json!([
                {"key": "possible-interception", "failures": 3},
                {"key": "clock-skew", "failures": 1}
            ]),
            "{host}: {summary}"
        );
    }
}

#[test]
fn future_dated_report_does_not_relabel_others_on_sqlite() {
    let data = tempfile::tempdir().unwrap();
    future_dated_report_does_not_relabel_others(&format!(
        "sqlite://{}/pw.db",
        data.path().display()
    ));
}

#[test]
fn future_dated_report_does_not_relabel_others_on_postgres() {
    let db = pinwarden_test_support::PostgresDb::create();
    future_dated_report_does_not_relabel_others(&db.url);
}
