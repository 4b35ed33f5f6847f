//! `pinwarden serve` on 127.0.0.1, queried with curl.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::{require, sh, write};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/pinwarden.toml");

/// A running server, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("pinwarden"))
        .args(["serve", "--listen", "127.0.0.1:0", "--policy", EXAMPLE])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .last()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    Server { child, url }
}

fn curl(args: &str) -> (String, String) {
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
    assert_eq!(report["decisions"].as_array().unwrap().len(), 6);

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
    assert!(doc["paths"]["/api/v1/assess"]["post"].is_object());
    let (code, page) = curl(&format!("{}/", server.url));
    assert_eq!(code, "200");
    assert!(
        page.contains("<svg") && page.contains("northwind-web"),
        "{page}"
    );
}
