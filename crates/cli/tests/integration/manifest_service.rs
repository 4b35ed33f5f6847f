//! Manifests through `pinwarden serve`: uploads checked like a client would,
//! ETag and 304, staged rollouts, the admin token; on SQLite and PostgreSQL.

use std::path::{Path, PathBuf};

use crate::serve_cmd::{Server, curl, start_serving};
use crate::support::{pinwarden, require, stdout_of, write};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/pinwarden.toml");
const TOKEN: &str = "test-token-0123456789abcdef";

struct Fixture {
    dir: tempfile::TempDir,
    key: String,
    token_file: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("signer").display().to_string();
        stdout_of(pinwarden().args(["manifest", "keygen", "--out", &key]));
        let token_file = write(dir.path(), "token", format!("{TOKEN}\n"));
        // The server refuses a token file others can read (issue 15).
        std::fs::set_permissions(
            &token_file,
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        Self {
            dir,
            key,
            token_file,
        }
    }

    fn serve(&self, database: &str) -> Server {
        start_serving(
            database,
            &[
                "--manifest-trust",
                &format!("{}.pub", self.key),
                "--admin-token-file",
                self.token_file.to_str().unwrap(),
            ],
        )
    }

    /// Signs the example's mobile manifest; `extra` adds sign flags.
    fn sign(&self, name: &str, version: &str, extra: &[&str]) -> PathBuf {
        let out = self.dir.path().join(name);
        let mut cmd = pinwarden();
        cmd.args(["manifest", "sign", "--key", &format!("{}.key", self.key)])
            .args(["--policy", EXAMPLE, "--app", "northwind-mobile"])
            .args(["--version", version, "-o"])
            .arg(&out)
            .args(extra);
        stdout_of(&mut cmd);
        out
    }
}

fn put(server: &Server, app: &str, file: &Path, token: &str) -> (String, String) {
    curl(&format!(
        "-X PUT -H 'authorization: Bearer {token}' --data-binary @'{}' {}/v1/admin/manifests/{app}",
        file.display(),
        server.url
    ))
}

fn rollout(server: &Server, dir: &Path, body: &str) -> (String, String) {
    let file = write(dir, "rollout.json", body);
    curl(&format!(
        "-X POST -H 'authorization: Bearer {TOKEN}' -H 'content-type: application/json' \
         --data-binary @'{}' {}/v1/admin/rollouts/northwind-mobile",
        file.display(),
        server.url
    ))
}

/// Status, headers (lower-cased) and body of a GET with extra curl flags.
fn get(server: &Server, path: &str, extra: &str) -> (String, String, String) {
    let out = crate::support::sh_ok(&format!(
        "curl --silent --show-error --max-time 10 -D - -o /dev/stdout {extra} {}{path}",
        server.url
    ));
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (status, head.to_lowercase(), body.to_owned())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::trim)
}

fn the_manifest_lifecycle(database: &str) {
    require("curl");
    let f = Fixture::new();
    let dir = f.dir.path();
    let server = f.serve(database);
    let v1 = f.sign("v1.json", "1", &[]);

    // The admin API wants the token.
    let (code, body) = put(&server, "northwind-mobile", &v1, "wrong-token-0123456789");
    assert_eq!(code, "401", "{body}");
    let (code, _) = curl(&format!(
        "-X PUT --data-binary @'{}' {}/v1/admin/manifests/northwind-mobile",
        v1.display(),
        server.url
    ));
    assert_eq!(code, "401");
    let (code, _, _) = get(&server, "/v1/manifests/northwind-mobile", "");
    assert_eq!(code, "404", "nothing stored by refused uploads");

    let (code, body) = put(&server, "northwind-mobile", &v1, TOKEN);
    assert_eq!(code, "201", "{body}");
    let (code, head, body) = get(&server, "/v1/manifests/northwind-mobile", "");
    assert_eq!(code, "200");
    assert_eq!(
        body.as_bytes(),
        std::fs::read(&v1).unwrap(),
        "served unchanged"
    );
    let etag = header(&head, "etag").unwrap().to_owned();
    assert!(header(&head, "cache-control").unwrap().contains("max-age"));
    assert_eq!(header(&head, "pinwarden-rollout-percentage"), None);
    let (code, _, body) = get(
        &server,
        "/v1/manifests/northwind-mobile",
        &format!("-H 'if-none-match: {etag}'"),
    );
    assert_eq!((code.as_str(), body.as_str()), ("304", ""));

    // Refusals, each with its reason; none changes what is served.
    let (code, body) = put(&server, "northwind-mobile", &v1, TOKEN);
    assert_eq!(code, "200", "the same manifest again: {body}");
    let mut tampered: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&v1).unwrap()).unwrap();
    tampered["signatures"][0]["sig"] = "AAAA".into();
    let tampered = write(dir, "tampered.json", tampered.to_string());
    let unsigned = write(
        dir,
        "unsigned.json",
        r#"{"app": "northwind-mobile", "version": 9}"#,
    );
    let payload = write(
        dir,
        "old.json",
        r#"{"app":"northwind-mobile","version":5,"issued_at":"2020-01-01T00:00:00Z",
            "expires_at":"2021-01-01T00:00:00Z","pin_sets":[{"id":"a","hosts":["api.northwind.example"],
            "pins":[{"pin":"sha256/C5+lpZ7tcVwmwQIMcRtPbsQtWLABXhQzejna0wHFr8M="}],"enforce":true}]}"#,
    );
    let expired = dir.join("expired.json");
    stdout_of(
        pinwarden()
            .args(["manifest", "sign", "--key", &format!("{}.key", f.key)])
            .args(["--payload", payload.to_str().unwrap(), "-o"])
            .arg(&expired),
    );
    let forked = f.sign("v1b.json", "1", &["--expires-in", "10"]);
    for (file, app, status, needle) in [
        (&tampered, "northwind-mobile", "422", "does not verify"),
        (&unsigned, "northwind-mobile", "422", "not a DSSE envelope"),
        (&expired, "northwind-mobile", "422", "expired"),
        (&forked, "northwind-mobile", "409", "equivocation"),
        (&v1, "teller-desktop", "422", "not \\\"teller-desktop\\\""),
        (&v1, "..%2Fetc", "400", "letters, digits"),
    ] {
        let (code, body) = put(&server, app, file, TOKEN);
        assert_eq!(code, status, "{}: {body}", file.display());
        assert!(body.contains(needle), "{needle}: {body}");
    }
    let (_, _, body) = get(&server, "/v1/manifests/northwind-mobile", "");
    assert_eq!(body.as_bytes(), std::fs::read(&v1).unwrap());

    // A candidate signed for up to 20%: served at 0% until a rollout starts.
    let v2 = f.sign(
        "v2.json",
        "2",
        &["--candidate-pinset", "branch", "--percentage", "20"],
    );
    let (code, body) = put(&server, "northwind-mobile", &v2, TOKEN);
    assert_eq!(code, "201", "{body}");
    let percentage = || {
        let (_, head, _) = get(&server, "/v1/manifests/northwind-mobile", "");
        header(&head, "pinwarden-rollout-percentage").map(str::to_owned)
    };
    assert_eq!(percentage().as_deref(), Some("0"));
    for (body, status, needle) in [
        (
            r#"{"action": "advance", "percentage": 5}"#,
            "409",
            "start one",
        ),
        (
            r#"{"action": "start", "percentage": 30}"#,
            "422",
            "above the 20%",
        ),
        (r#"{"action": "start", "percentage": 10}"#, "200", "active"),
        (
            r#"{"action": "start", "percentage": 10}"#,
            "409",
            "already active",
        ),
        (
            r#"{"action": "advance", "percentage": 5}"#,
            "422",
            "only grows",
        ),
        (
            r#"{"action": "advance", "percentage": 20}"#,
            "200",
            "\"percentage\":20",
        ),
        (r#"{"action": "jump"}"#, "422", "start, advance or halt"),
    ] {
        let (code, answer) = rollout(&server, dir, body);
        assert_eq!(code, status, "{body}: {answer}");
        assert!(answer.contains(needle), "{body}: {answer}");
    }
    assert_eq!(percentage().as_deref(), Some("20"));
    let (code, answer) = rollout(
        &server,
        dir,
        r#"{"action": "halt", "reason": "pin failures in the candidate cohort"}"#,
    );
    assert_eq!(code, "200", "{answer}");
    assert_eq!(percentage().as_deref(), Some("0"));
    let (code, status) = curl(&format!(
        "-H 'authorization: Bearer {TOKEN}' {}/v1/admin/rollouts/northwind-mobile",
        server.url
    ));
    assert_eq!(code, "200");
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["rollout"]["state"], "halted");
    let actions: Vec<&str> = status["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), 3, "{actions:?}");
    assert!(
        status["events"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("pin failures"),
        "{status}"
    );

    let (code, body) = put(&server, "northwind-mobile", &v1, TOKEN);
    assert_eq!(code, "409", "rollback: {body}");
    assert!(body.contains("rollback"), "{body}");
    let (code, versions) = curl(&format!(
        "-H 'authorization: Bearer {TOKEN}' {}/v1/admin/manifests/northwind-mobile",
        server.url
    ));
    assert_eq!(code, "200");
    let versions: serde_json::Value = serde_json::from_str(&versions).unwrap();
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[1]["version"], 1);

    // After a restart the same manifest and rollout state are served.
    drop(server);
    let server = f.serve(database);
    let (code, head, body) = get(&server, "/v1/manifests/northwind-mobile", "");
    assert_eq!(code, "200");
    assert_eq!(body.as_bytes(), std::fs::read(&v2).unwrap());
    assert_eq!(header(&head, "pinwarden-rollout-percentage"), Some("0"));
    let (code, page) = curl(&format!("{}/manifests", server.url));
    assert_eq!(code, "200");
    assert!(
        page.contains("northwind-mobile")
            && page.contains("halted at 0%")
            && page.contains("up to 20%"),
        "{page}"
    );
}

#[test]
fn manifests_on_sqlite() {
    let data = tempfile::tempdir().unwrap();
    the_manifest_lifecycle(&format!("sqlite://{}/pw.db", data.path().display()));
}

#[test]
fn manifests_on_postgres() {
    let db = pinwarden_test_support::PostgresDb::create();
    the_manifest_lifecycle(&db.url);
}

#[test]
fn without_a_token_the_admin_api_is_off() {
    require("curl");
    let f = Fixture::new();
    let data = tempfile::tempdir().unwrap();
    let server = start_serving(
        &format!("sqlite://{}/pw.db", data.path().display()),
        &["--manifest-trust", &format!("{}.pub", f.key)],
    );
    let v1 = f.sign("v1.json", "1", &[]);
    let (code, body) = put(&server, "northwind-mobile", &v1, TOKEN);
    assert_eq!(code, "403", "{body}");
    assert!(body.contains("admin API is off"), "{body}");

    // A short token is refused at start, and the token is never printed.
    let short = write(f.dir.path(), "short", "abc");
    std::fs::set_permissions(&short, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    pinwarden()
        .args(["serve", "--listen", "127.0.0.1:0", "--policy", EXAMPLE])
        .args(["--admin-token-file", short.to_str().unwrap()])
        .args([
            "--database",
            &format!("sqlite://{}/x.db", data.path().display()),
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("shorter than 16"));
}
