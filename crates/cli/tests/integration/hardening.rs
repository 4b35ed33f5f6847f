//! Secrets, files and headers (issue 15): passwords hidden in every URL
//! printed, the data directory and database made private, a symlinked
//! database followed, open token files refused, `manifest keygen` never
//! overwriting or following a link, versions bounded, and the security
//! headers and problem documents on every answer of `pinwarden serve`.

use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pinwarden_test_support::PostgresDb;

use crate::serve_cmd::{EXAMPLE, curl, start, start_serving};
use crate::support::{pinwarden, require, sh_ok, stdout_of, write};

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `pinwarden serve` with its stderr in a file: its first `lines` lines of
/// stdout, and the child (killed by the caller).
struct Serving {
    child: Child,
    stdout: Vec<String>,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Serving {
    fn start(database: &str, extra: &[&str], lines: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let stderr = dir.path().join("stderr");
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("pinwarden"))
            .args(["serve", "--listen", "127.0.0.1:0", "--policy", EXAMPLE])
            .args(["--database", database])
            .args(extra)
            .env_remove("PINWARDEN_ADMIN_TOKEN")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut stdout = Vec::new();
        for _ in 0..lines {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            stdout.push(line);
        }
        let serving = Self {
            child,
            stdout,
            stderr,
            _dir: dir,
        };
        assert!(
            serving.stdout[0].contains("http://127.0.0.1:"),
            "{:?}\n{}",
            serving.stdout,
            serving.stderr()
        );
        serving
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap()
    }

    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr()
    }
}

/// A `?password=` in the database URL was printed (issue 15): neither the
/// userinfo's password nor a query one reaches the output or an error.
#[test]
fn database_passwords_are_hidden_in_every_part_of_the_url() {
    let out = pinwarden()
        .args(["serve", "--listen", "127.0.0.1:0", "--policy", EXAMPLE])
        .args([
            "--database",
            "postgres://app:hunter2@127.0.0.1:1/pw?sslmode=disable&password=hunter3",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("postgres://app:***@127.0.0.1:1/pw?sslmode=disable&password=***"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter"), "{stderr}");

    // A server that starts prints where its state is, passwords hidden. The
    // test cluster trusts local connections, so the passwords go unused.
    let db = PostgresDb::create();
    let url = db
        .url
        .replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1);
    assert_ne!(url, db.url, "{}", db.url);
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}password=hunter3");
    let server = Serving::start(&url, &[], 2);
    let printed = server.stdout.join("");
    let stderr = server.stop();
    assert!(
        printed.contains("state in postgres://postgres:***@"),
        "{printed}"
    );
    assert!(printed.contains("password=***"), "{printed}");
    assert!(
        !printed.contains("hunter") && !stderr.contains("hunter"),
        "{printed}{stderr}"
    );
}

/// An existing data directory (0755) and database (0644) were left readable
/// (issue 15): they are made 0700 and 0600, WAL and shared memory too, each
/// with a line saying so.
#[test]
fn an_open_data_directory_and_database_are_made_private() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let db = data.join("pw.db");
    let url = format!("sqlite://{}", db.display());
    // A first run makes the files; SIGKILL leaves the WAL and shared memory.
    let first = Serving::start(&url, &[], 1);
    first.stop();
    assert_eq!(mode(&data), 0o700, "a new data directory is private");
    assert_eq!(mode(&db), 0o600, "a new database is private");
    let files = ["pw.db", "pw.db-wal", "pw.db-shm"];
    chmod(&data, 0o755);
    for f in files {
        assert!(data.join(f).exists(), "{f}");
        chmod(&data.join(f), 0o644);
    }

    let again = Serving::start(&url, &[], 1);
    let stderr = again.stop();
    assert_eq!(mode(&data), 0o700, "{stderr}");
    for f in files {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{} was open to group or others (mode 0644); made it 0600",
                data.join(f).display()
            )),
            "{f}: {stderr}"
        );
    }
    assert!(stderr.contains("(mode 0755); made it 0700"), "{stderr}");

    // A directory shared by design (sticky, as /tmp) is refused, unchanged.
    let shared = root.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    chmod(&shared, 0o1777);
    pinwarden()
        .args(["serve", "--listen", "127.0.0.1:0", "--policy", EXAMPLE])
        .args([
            "--database",
            &format!("sqlite://{}/pw.db", shared.display()),
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "is shared with other users (mode 1777)",
        ));
    assert_eq!(mode(&shared), 0o1777);
}

/// A symlinked database path refused to start (issue 15): SQLite keeps the
/// WAL beside the link's target, where the report writer now looks too.
#[test]
fn a_symlinked_database_path_serves() {
    require("curl");
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("real")).unwrap();
    let link = root.path().join("pw.db");
    std::os::unix::fs::symlink("real/pinwarden.db", &link).unwrap();
    // The target exists once a server has made it; a dangling link is refused.
    pinwarden()
        .args(["serve", "--listen", "127.0.0.1:0", "--policy", EXAMPLE])
        .args(["--database", &format!("sqlite://{}", link.display())])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "real/pinwarden.db, which doesn't exist",
        ));
    std::fs::write(root.path().join("real/pinwarden.db"), "").unwrap();
    chmod(&root.path().join("real/pinwarden.db"), 0o600);

    let server = start_serving(&format!("sqlite://{}", link.display()), &[]);
    let (code, body) = curl(&format!(
        "-X PUT -H 'content-type: application/json' --data '{{\"radar\":{{}}}}' {}/api/v1/scenarios/linked",
        server.url
    ));
    assert_eq!(code, "200", "{body}");
    assert!(root.path().join("real/pinwarden.db-wal").exists());
    assert!(
        !root.path().join("pw.db-wal").exists(),
        "no WAL beside the link"
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// A 0644 token file was accepted silently (issue 15).
#[test]
fn a_token_file_others_can_read_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let token = write(dir.path(), "token", "a-long-enough-admin-token-0123\n");
    let database = format!("sqlite://{}/pw.db", dir.path().display());
    for open in [0o644, 0o640, 0o604, 0o620] {
        chmod(&token, open);
        pinwarden()
            .args(["serve", "--listen", "127.0.0.1:0", "--policy", EXAMPLE])
            .args(["--database", &database])
            .args(["--admin-token-file", token.to_str().unwrap()])
            .assert()
            .code(2)
            .stderr(predicates::str::contains(format!(
                "the admin token file {} is open to group or others (mode {open:04o}): run chmod 600 {}",
                token.display(),
                token.display()
            )));
    }
    chmod(&token, 0o600);
    let server = Serving::start(
        &database,
        &["--admin-token-file", token.to_str().unwrap()],
        3,
    );
    assert_eq!(server.stdout[2].trim(), "admin API on (bearer token)");
    server.stop();
}

/// `manifest keygen` overwrote an existing `.pub`, and `--force` followed a
/// symbolic link at the key path (issue 15).
#[test]
fn keygen_never_overwrites_without_force_nor_follows_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("signer").display().to_string();
    let keygen = |force: bool| {
        let mut cmd = pinwarden();
        cmd.args(["manifest", "keygen", "--out", &prefix]);
        if force {
            cmd.arg("--force");
        }
        cmd.output().unwrap()
    };
    let key = PathBuf::from(format!("{prefix}.key"));
    let public = PathBuf::from(format!("{prefix}.pub"));

    // Only a .pub there: refused, kept, and no .key made.
    std::fs::write(&public, "someone's public key").unwrap();
    let out = keygen(false);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "{} exists; pass --force to replace it",
            public.display()
        )),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&public).unwrap(),
        "someone's public key"
    );
    assert!(!key.exists());

    // --force replaces regular files; the key is 0600 whatever was there.
    std::fs::write(&key, "old").unwrap();
    chmod(&key, 0o644);
    assert!(keygen(true).status.success());
    assert_eq!(mode(&key), 0o600);
    assert!(
        std::fs::read_to_string(&key)
            .unwrap()
            .contains("PRIVATE KEY")
    );
    assert!(
        std::fs::read_to_string(&public)
            .unwrap()
            .contains("PUBLIC KEY")
    );
    let out = keygen(false);
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("{} exists", key.display())));

    // A link at either path is refused even with --force; its target is
    // untouched, a dangling one not created.
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    for (link, target) in [
        (&key, &victim),
        (&public, &victim),
        (&key, &dir.path().join("nowhere")),
    ] {
        let _ = std::fs::remove_file(&key);
        let _ = std::fs::remove_file(&public);
        std::os::unix::fs::symlink(target, link).unwrap();
        for force in [false, true] {
            let out = keygen(force);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{stderr}");
            assert!(
                stderr.contains(&format!("{} is a symbolic link", link.display())),
                "{stderr}"
            );
            assert!(
                std::fs::symlink_metadata(link)
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
        }
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!dir.path().join("nowhere").exists());
    }
}

/// A manifest version of i64::MAX blocked every later one (issue 15):
/// versions above 2^53 - 1 are refused when signing, verifying and
/// uploading, the last even when another tool signed it.
#[test]
fn manifest_versions_above_two_to_the_53_are_refused() {
    require("openssl");
    require("curl");
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("signer").display().to_string();
    stdout_of(pinwarden().args(["manifest", "keygen", "--out", &prefix]));
    let sign = |version: &str, out: &Path| {
        pinwarden()
            .args(["manifest", "sign", "--key", &format!("{prefix}.key")])
            .args(["--policy", EXAMPLE, "--app", "northwind-mobile"])
            .args(["--version", version, "-o"])
            .arg(out)
            .output()
            .unwrap()
    };
    let top = dir.path().join("top.json");
    assert!(sign("9007199254740991", &top).status.success());
    let out = sign("9007199254740992", &dir.path().join("over.json"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("manifest version 9007199254740992 is above 9007199254740991"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The same manifest at i64::MAX, signed by openssl.
    let envelope: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&top).unwrap()).unwrap();
    let payload = String::from_utf8(
        STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let payload = payload.replace(
        "\"version\":9007199254740991",
        "\"version\":9223372036854775807",
    );
    let payload_type = envelope["payloadType"].as_str().unwrap();
    let pae = format!(
        "DSSEv1 {} {payload_type} {} {payload}",
        payload_type.len(),
        payload.len()
    );
    let pae_file = write(dir.path(), "pae.bin", pae);
    let sig = sh_ok(&format!(
        "openssl pkeyutl -sign -rawin -inkey '{prefix}.key' -in '{}' | base64 -w0",
        pae_file.display()
    ));
    let forged = write(
        dir.path(),
        "max.json",
        serde_json::json!({
            "payload": STANDARD.encode(&payload),
            "payloadType": payload_type,
            "signatures": [{ "sig": sig.trim() }],
        })
        .to_string(),
    );
    let out = pinwarden()
        .args(["manifest", "verify"])
        .arg(&forged)
        .args(["--trust", &format!("{prefix}.pub")])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("is above 9007199254740991"), "{said}");

    let token = write(dir.path(), "token", "a-long-enough-admin-token-0123\n");
    chmod(&token, 0o600);
    let server = start_serving(
        &format!("sqlite://{}/pw.db", dir.path().display()),
        &[
            "--manifest-trust",
            &format!("{prefix}.pub"),
            "--admin-token-file",
            token.to_str().unwrap(),
        ],
    );
    let out = sh_ok(&format!(
        "curl -s -i -X PUT -H 'authorization: Bearer a-long-enough-admin-token-0123' \
         --data-binary @'{}' {}/v1/admin/manifests/northwind-mobile",
        forged.display(),
        server.url
    ));
    assert!(out.starts_with("HTTP/1.1 422"), "{out}");
    assert!(out.contains("application/problem+json"), "{out}");
    assert!(out.contains("is above 9007199254740991"), "{out}");
}

/// The four headers, as `curl -i` prints them (lower case).
const SECURITY_HEADERS: [&str; 4] = [
    "content-security-policy: default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options: nosniff",
    "referrer-policy: no-referrer",
    "x-frame-options: DENY",
];

/// No answer carried a Content-Security-Policy, X-Content-Type-Options,
/// frame-ancestors or Referrer-Policy (issue 15): every kind does now, and
/// the pages have nothing inline for the policy to block.
#[test]
fn every_answer_carries_the_security_headers() {
    require("curl");
    let server = start();
    for (curl_args, path, status) in [
        ("", "/", "200"),
        ("", "/applications", "200"),
        ("", "/questions", "200"),
        ("", "/manifests", "200"),
        ("", "/telemetry", "200"),
        ("", "/ct", "200"),
        ("", "/report", "200"),
        ("", "/api/v1/assess", "200"),
        ("", "/api/openapi.json", "200"),
        ("", "/static/style.css", "200"),
        ("", "/static/radar.js", "200"),
        ("", "/static/report.css", "200"),
        ("", "/favicon.ico", "308"),
        ("", "/metrics", "200"),
        ("", "/nowhere", "404"),
        ("", "/static/nothing.css", "404"),
        ("-X PATCH", "/api/v1/assess", "405"),
        ("", "/api/v1/reports?limit=abc", "400"),
        ("", "/v1/manifests/northwind-mobile", "404"),
        ("-X PUT", "/v1/admin/manifests/northwind-mobile", "403"),
        ("-I", "/", "200"),
    ] {
        let out = sh_ok(&format!("curl -s -i {curl_args} '{}{path}'", server.url));
        let head = out.split("\r\n\r\n").next().unwrap().to_ascii_lowercase() + "\r\n";
        assert!(
            head.starts_with(&format!("http/1.1 {status}")),
            "{curl_args} {path}: {head}"
        );
        for header in SECURITY_HEADERS {
            assert!(
                head.contains(&format!("\r\n{}\r\n", header.to_ascii_lowercase())),
                "{curl_args} {path} lacks {header}:\n{head}"
            );
        }
    }

    // What the policy would block: inline scripts and styles, style
    // attributes (HTML and SVG), event handler attributes, javascript: URLs.
    for path in [
        "/",
        "/applications",
        "/questions",
        "/manifests",
        "/telemetry",
        "/ct",
        "/report",
    ] {
        let (code, page) = curl(&format!("{}{path}", server.url));
        assert_eq!(code, "200", "{path}");
        let lower = page.to_ascii_lowercase();
        assert!(!lower.contains("<style"), "{path} has a <style> block");
        assert!(!lower.contains(" style="), "{path} has a style attribute");
        assert!(
            !lower.contains("javascript:"),
            "{path} has a javascript: URL"
        );
        for script in lower.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap();
            assert!(tag.contains(" src="), "{path} has an inline script: {tag}");
            let body = script.split_once('>').unwrap().1;
            assert!(body.starts_with("</script"), "{path}: script with a body");
        }
        let handler = event_handler(&lower);
        assert!(
            handler.is_none(),
            "{path} has an event handler: {handler:?}"
        );
    }
}

/// The first ` on…=` attribute in `html`, if any (onclick, onload…).
fn event_handler(html: &str) -> Option<String> {
    html.match_indices(" on").find_map(|(i, _)| {
        let rest = &html[i + 3..];
        let name: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
        (!name.is_empty() && rest[name.len()..].starts_with('=')).then(|| format!("on{name}"))
    })
}

/// Some errors were plain text (issue 15): axum's own rejections (a path
/// that isn't UTF-8, a body over the limit) are problem documents now.
#[test]
fn axums_own_rejections_are_problem_documents() {
    require("curl");
    let dir = tempfile::tempdir().unwrap();
    let token = write(dir.path(), "token", "a-long-enough-admin-token-0123\n");
    chmod(&token, 0o600);
    let server = start_serving(
        &format!("sqlite://{}/pw.db", dir.path().display()),
        &["--admin-token-file", token.to_str().unwrap()],
    );
    let big = write(dir.path(), "big", vec![b' '; 3 << 20]);
    let upload = format!(
        "-X PUT -H 'authorization: Bearer a-long-enough-admin-token-0123' --data-binary @'{}'",
        big.display()
    );
    for (args, path, status, needle) in [
        ("", "/api/v1/scenarios/%FF", "400", "Invalid UTF-8"),
        ("", "/v1/manifests/%FF", "400", "Invalid UTF-8"),
        (
            upload.as_str(),
            "/v1/admin/manifests/northwind-mobile",
            "413",
            "length limit exceeded",
        ),
    ] {
        let out = sh_ok(&format!("curl -s -i {args} '{}{path}'", server.url));
        let out = out.trim_start_matches("HTTP/1.1 100 Continue\r\n\r\n");
        assert!(
            out.starts_with(&format!("HTTP/1.1 {status}")),
            "{path}: {out}"
        );
        assert!(
            out.contains("content-type: application/problem+json"),
            "{path}: {out}"
        );
        let body = out.split("\r\n\r\n").last().unwrap();
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["status"].to_string(), status, "{body}");
        assert!(
            problem["detail"].as_str().unwrap().contains(needle),
            "{body}"
        );
    }
}
