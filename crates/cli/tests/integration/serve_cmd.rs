//! `pinwarden serve` on 127.0.0.1, queried with curl.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use predicates::prelude::PredicateBooleanExt as _;

use crate::support::{pinwarden, require, sh, write};

pub(crate) const EXAMPLE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/pinwarden.toml");

/// A running server, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
    _data: Option<tempfile::TempDir>,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Server {
    /// Kills the server with SIGKILL: no shutdown, no flush.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves the example policy on a free port with a fresh SQLite database.
pub(crate) fn start() -> Server {
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/pw.db", data.path().display());
    let mut server = start_with(&url);
    server._data = Some(data);
    server
}

/// Serves the example policy on a free port with the database at `database`.
pub(crate) fn start_with(database: &str) -> Server {
    start_serving(database, &[])
}

/// Serves the example policy with the database at `database` and more flags.
pub(crate) fn start_serving(database: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("pinwarden"))
        .args(["serve", "--listen", "127.0.0.1:0", "--policy", EXAMPLE])
        .args(["--database", database])
        .args(extra)
        .env_remove("PINWARDEN_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    Server {
        child,
        url,
        _data: None,
        _stdout: stdout,
    }
}

/// Runs curl with `args`; returns the status code and the body.
pub(crate) fn curl(args: &str) -> (String, String) {
    let out = sh(&format!(
        "curl --silent --show-error --max-time 10 -w '\\n%{{http_code}}' {args}"
    ));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.to_owned(), body.to_owned())
}

#[test]
fn the_assessment_api_answers_and_refuses_with_reasons() {
    require("curl");
    let server = start();
    let (code, body) = curl(&format!("{}/api/v1/assess", server.url));
    assert_eq!(code, "200", "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["decisions"].as_array().unwrap().len(), 8);
    assert_eq!(report["organisation"]["readiness"], "ready");

    // Overriding ownership below 50 closes the gate: nothing is ready to pin.
    let dir = tempfile::tempdir().unwrap();
    let req = write(
        dir.path(),
        "req.json",
        r#"{"radar": {"ownership-runbooks": 10}}"#,
    );
    let (code, body) = curl(&format!(
        "-X POST -H 'content-type: application/json' --data-binary @'{}' {}/api/v1/assess",
        req.display(),
        server.url
    ));
    assert_eq!(code, "200", "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    let verdicts: Vec<&str> = report["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["verdict"].as_str().unwrap())
        .collect();
    assert!(
        verdicts.contains(&"not-ready") && !verdicts.contains(&"pin"),
        "{verdicts:?}"
    );
    // The same slider moves the answer, the gate and the organisation's
    // verdict: they read the same rule (B6).
    assert_eq!(report["questions"][4]["status"], "at-risk");
    let owner_gate = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["rule"] == "B6")
        .unwrap();
    assert_eq!(owner_gate["state"], "closed");
    assert_eq!(report["organisation"]["readiness"], "not-ready");

    for (payload, status, needle) in [
        ("{not json", "400", "not a valid request"),
        (
            r#"{"radar": {"nonsense": 1}}"#,
            "422",
            "unknown radar dimension",
        ),
        (r#"{"radar": {"telemetry": 101}}"#, "422", "0 to 100"),
        (r#"{"policy": "[organisation]\nownr = 1\n"}"#, "422", "ownr"),
    ] {
        let req = write(dir.path(), "bad.json", payload);
        let (code, body) = curl(&format!(
            "-X POST -H 'content-type: application/json' --data-binary @'{}' {}/api/v1/assess",
            req.display(),
            server.url
        ));
        assert_eq!(code, status, "{payload}: {body}");
        assert!(body.contains(needle), "{payload}: {body}");
    }

    // The server still answers after bad requests.
    let (code, _) = curl(&format!("{}/api/v1/assess", server.url));
    assert_eq!(code, "200");
}

#[test]
fn the_openapi_document_and_the_page() {
    require("curl");
    let server = start();
    let (code, body) = curl(&format!("{}/api/openapi.json", server.url));
    assert_eq!(code, "200");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, method) in [
        ("/api/v1/assess", "get"),
        ("/api/v1/assess", "post"),
        ("/api/v1/scenarios", "get"),
        ("/api/v1/scenarios/{name}", "get"),
        ("/api/v1/scenarios/{name}", "put"),
        ("/api/v1/scenarios/{name}", "delete"),
        ("/v1/manifests/{app}", "get"),
        ("/v1/admin/manifests/{app}", "put"),
        ("/v1/admin/manifests/{app}", "get"),
        ("/v1/admin/rollouts/{app}", "post"),
        ("/v1/reports", "post"),
        ("/v1/reports/{app}", "post"),
        ("/api/v1/reports/summary", "get"),
        ("/api/v1/reports", "get"),
        ("/metrics", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    let (code, page) = curl(&format!("{}/", server.url));
    assert_eq!(code, "200");
    assert!(page.contains("<title>Overview"), "{page}");
    let (code, page) = curl(&format!("{}/radar", server.url));
    assert_eq!(code, "200");
    assert!(
        page.contains("<svg") && page.contains("northwind-web"),
        "{page}"
    );

    // The assessment the API serves matches the document's Report schema,
    // checked by Python's jsonschema (JSON Schema 2020-12, as OpenAPI 3.1).
    require("python3");
    let dir = tempfile::tempdir().unwrap();
    let (code, report) = curl(&format!("{}/api/v1/assess", server.url));
    assert_eq!(code, "200");
    let openapi = write(dir.path(), "openapi.json", &body);
    let report = write(dir.path(), "report.json", &report);
    let out = crate::support::sh_ok(&format!(
        "python3 -c 'import json,sys,jsonschema; d=json.load(open(sys.argv[1])); \
         s={{\"$ref\": \"#/components/schemas/Report\", \"components\": d[\"components\"]}}; \
         jsonschema.Draft202012Validator(s).validate(json.load(open(sys.argv[2]))); print(\"valid\")' '{}' '{}'",
        openapi.display(),
        report.display()
    ));
    assert_eq!(out.trim(), "valid");
}

/// PUTs `body` to the scenarios API; returns the status and body.
fn put_scenario(
    server: &Server,
    dir: &std::path::Path,
    name: &str,
    body: &str,
) -> (String, String) {
    let req = write(dir, "scenario.json", body);
    curl(&format!(
        "-X PUT -H 'content-type: application/json' --data-binary @'{}' '{}/api/v1/scenarios/{name}'",
        req.display(),
        server.url
    ))
}

/// Scenarios saved through one server are there for the next one on the
/// same database: SQLite file and PostgreSQL.
fn scenarios_survive_a_restart(database: &str) {
    let dir = tempfile::tempdir().unwrap();
    {
        let server = start_with(database);
        let (code, body) = put_scenario(
            &server,
            dir.path(),
            "what%20if",
            r#"{"radar": {"telemetry": 80}}"#,
        );
        assert_eq!(code, "200", "{body}");
        for (payload, status, needle) in [
            (r#"{"radar": {"telemetry": 101}}"#, "422", "0 to 100"),
            (
                r#"{"radar": {"bogus": 1}}"#,
                "422",
                "unknown radar dimension",
            ),
            (r#"{"scores": {}}"#, "400", "unknown field"),
            ("[", "400", "not a valid request"),
        ] {
            let (code, body) = put_scenario(&server, dir.path(), "bad", payload);
            assert_eq!(code, status, "{payload}: {body}");
            assert!(body.contains(needle), "{payload}: {body}");
        }
        let (code, body) = curl(&format!("{}/api/v1/scenarios/bad", server.url));
        assert_eq!(code, "404", "refused scenarios are not stored: {body}");
    }
    let server = start_with(database);
    let (code, body) = curl(&format!("{}/api/v1/scenarios", server.url));
    assert_eq!(code, "200");
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list[0]["name"], "what if", "{body}");
    assert_eq!(list[0]["radar"]["telemetry"], 80, "{body}");
    let (code, _) = curl(&format!(
        "-X DELETE '{}/api/v1/scenarios/what%20if'",
        server.url
    ));
    assert_eq!(code, "204");
    let (code, _) = curl(&format!(
        "-X DELETE '{}/api/v1/scenarios/what%20if'",
        server.url
    ));
    assert_eq!(code, "404");
}

#[test]
fn scenarios_survive_a_restart_on_sqlite() {
    require("curl");
    let data = tempfile::tempdir().unwrap();
    scenarios_survive_a_restart(&format!("sqlite://{}/pw.db", data.path().display()));
}

#[test]
fn scenarios_survive_a_restart_on_postgres() {
    require("curl");
    let db = pinwarden_test_support::PostgresDb::create();
    scenarios_survive_a_restart(&db.url);
}

#[test]
fn every_page_and_asset_is_served_from_the_binary() {
    require("curl");
    let server = start();
    for (path, needle) in [
        ("/", "Organisation: <span class=\"readiness\">ready to pin"),
        ("/radar", "type=\"range\""),
        ("/applications", "decided by B3, C-hours"),
        (
            "/questions",
            "Organisation: <span class=\"readiness\">ready to pin",
        ),
        (
            "/questions",
            "How fast can updated pins reach 95% of clients?",
        ),
        ("/report", "<svg"),
        ("/static/radar.js", "/api/v1/assess"),
        ("/static/style.css", "@media"),
    ] {
        let (code, body) = curl(&format!("{}{path}", server.url));
        assert_eq!(code, "200", "{path}");
        assert!(body.contains(needle), "{path}: {body}");
    }
    let (code, body) = curl(&format!("{}/static/../Cargo.toml", server.url));
    assert_eq!(code, "404", "{body}");
    let (code, body) = curl(&format!("{}/nowhere", server.url));
    assert_eq!(code, "404", "{body}");
}

#[test]
fn a_database_it_cannot_open_is_an_input_error() {
    pinwarden()
        .args(["serve", "--listen", "127.0.0.1:0", "--policy", EXAMPLE])
        .args(["--database", "postgres://app:hunter2@127.0.0.1:1/pw"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "postgres://app:***@127.0.0.1:1/pw",
        ))
        .stderr(predicates::str::contains("hunter2").not());
}

/// `/metrics` passes `promtool check metrics` (HELP on every family, valid
/// names and types), and every family the README lists is there from
/// start-up, at zero, before any report arrives (issue 14).
#[test]
fn metrics_pass_promtool_and_exist_from_start_up() {
    require("curl");
    require("promtool");
    let server = start();
    let (code, body) = curl(&format!("{}/metrics", server.url));
    assert_eq!(code, "200", "{body}");
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "metrics.txt", &body);
    let out = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    for family in [
        "pinwarden_reports_accepted_total",
        "pinwarden_reports_rejected_total",
        "pinwarden_reports_deduplicated_total",
        "pinwarden_report_queue_depth",
        "pinwarden_report_store_seconds",
        "pinwarden_reports_dedup_remembered",
        "pinwarden_reports_dedup_untracked_total",
    ] {
        assert!(
            body.contains(&format!("# HELP {family} ")),
            "{family} has no HELP:\n{body}"
        );
        let short = family
            .trim_start_matches("pinwarden_reports")
            .trim_start_matches("pinwarden_");
        assert!(
            readme.contains(family) || readme.contains(short),
            "README doesn't list {family}"
        );
    }
    assert!(
        body.contains("pinwarden_reports_rejected_total{reason=\"rate\"} 0"),
        "{body}"
    );
}

/// Every error is `application/problem+json`: a query string outside the
/// schema, a method an endpoint doesn't take (with its Allow header), an
/// unknown path (issue 14).
#[test]
fn errors_are_problem_documents() {
    require("curl");
    let server = start();
    for (args, status, needle) in [
        ("/api/v1/reports?limit=abc", "400", "query string: limit"),
        (
            "/api/v1/reports?limit=-9",
            "400",
            "limit = -9: from 1 to 500",
        ),
        (
            "/api/v1/reports/summary?days=0",
            "400",
            "days = 0: from 1 to 365",
        ),
        (
            "/api/v1/reports/summary?limit=5",
            "400",
            "only /api/v1/reports takes it",
        ),
        (
            "/api/v1/reports?class=nonsense",
            "400",
            "query string: class",
        ),
        ("/api/v1/ct/alerts?bogus=1", "400", "unknown field"),
        ("/nowhere", "404", "no such page"),
    ] {
        let out = crate::support::sh_ok(&format!("curl -s -i '{}{args}'", server.url));
        assert!(
            out.starts_with(&format!("HTTP/1.1 {status}")),
            "{args}: {out}"
        );
        assert!(
            out.contains("content-type: application/problem+json"),
            "{args}: {out}"
        );
        assert!(out.contains(needle), "{args}: {out}");
    }
    let out = crate::support::sh_ok(&format!(
        "curl -s -i -X PATCH '{}/api/v1/assess'",
        server.url
    ));
    assert!(out.starts_with("HTTP/1.1 405"), "{out}");
    assert!(
        out.contains("content-type: application/problem+json"),
        "{out}"
    );
    assert!(
        out.to_ascii_lowercase().contains("allow: get,head,post"),
        "{out}"
    );
}
