//! Several `pinwarden serve` replicas on one PostgreSQL database behave as
//! one service (issue 15): a change made on one is served by the others
//! within a second; concurrent halts and advances end as the last committed
//! one says; the rollout guard counts across replicas, halts a step once
//! (one event, one webhook), and one network source can neither trigger nor
//! block a halt.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pinwarden_core::SpkiPin;
use pinwarden_test_support::{Ca, KeyKind, PostgresDb};
use serde_json::json;

use crate::serve_cmd::{Server, start_serving};
use crate::support::{pinwarden, stdout_of, write};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/pinwarden.toml");
const TOKEN: &str = "replica-token-0123456789abcdef";
const APP: &str = "northwind-mobile";

/// One HTTP/1.1 exchange over a fresh connection: status, lower-cased
/// head, body.
fn http(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    s.write_all(request.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(out.len());
    let head = String::from_utf8_lossy(&out[..split]).to_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.get(split + 4..).unwrap_or_default().to_vec();
    (status, head, body)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::trim)
}

/// Waits until `done` holds (checked every 10 ms), at most `limit`; how long it took.
fn within(limit: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

struct Cluster {
    dir: tempfile::TempDir,
    key: String,
    replicas: Vec<Server>,
    _db: PostgresDb,
}

impl Cluster {
    /// `n` replicas on one fresh database, loopback trusted as the load
    /// balancer (so X-Forwarded-For names the client), `extra` flags each.
    fn start(n: usize, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("signer").display().to_string();
        stdout_of(pinwarden().args(["manifest", "keygen", "--out", &key]));
        let token = write(dir.path(), "token", format!("{TOKEN}\n"));
        std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let db = PostgresDb::create();
        let pubkey = format!("{key}.pub");
        let mut flags = vec![
            "--manifest-trust",
            pubkey.as_str(),
            "--admin-token-file",
            token.to_str().unwrap(),
            "--trusted-proxy",
            "127.0.0.1",
            // The fallback reload is slow here: propagation must come from
            // the notifications.
            "--reconcile-interval",
            "30",
        ];
        flags.extend_from_slice(extra);
        let replicas = (0..n).map(|_| start_serving(&db.url, &flags)).collect();
        Self {
            dir,
            key,
            replicas,
            _db: db,
        }
    }

    fn sign(&self, version: u64, candidate: bool) -> PathBuf {
        let out = self.dir.path().join(format!("v{version}.json"));
        let mut cmd = pinwarden();
        cmd.args(["manifest", "sign", "--key", &format!("{}.key", self.key)])
            .args(["--policy", EXAMPLE, "--app", APP])
            .args(["--version", &version.to_string(), "-o"])
            .arg(&out);
        if candidate {
            cmd.args(["--candidate-pinset", "branch", "--percentage", "100"]);
        }
        stdout_of(&mut cmd);
        out
    }

    fn upload(&self, replica: usize, file: &Path) -> u16 {
        let body = std::fs::read(file).unwrap();
        let auth = format!("Bearer {TOKEN}");
        http(
            &self.replicas[replica].url,
            "PUT",
            &format!("/v1/admin/manifests/{APP}"),
            &[("authorization", &auth)],
            &body,
        )
        .0
    }

    fn rollout(&self, replica: usize, body: &str) -> u16 {
        let auth = format!("Bearer {TOKEN}");
        http(
            &self.replicas[replica].url,
            "POST",
            &format!("/v1/admin/rollouts/{APP}"),
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body.as_bytes(),
        )
        .0
    }

    fn status(&self, replica: usize) -> serde_json::Value {
        let auth = format!("Bearer {TOKEN}");
        let (code, _, body) = http(
            &self.replicas[replica].url,
            "GET",
            &format!("/v1/admin/rollouts/{APP}"),
            &[("authorization", &auth)],
            b"",
        );
        assert_eq!(code, 200);
        serde_json::from_slice(&body).unwrap()
    }

    /// What replica `replica` serves: the body and the rollout header.
    fn served(&self, replica: usize) -> (u16, Vec<u8>, Option<String>) {
        let (code, head, body) = http(
            &self.replicas[replica].url,
            "GET",
            &format!("/v1/manifests/{APP}"),
            &[],
            b"",
        );
        (
            code,
            body,
            header(&head, "pinwarden-rollout-percentage").map(str::to_owned),
        )
    }
}

#[test]
fn a_change_on_one_replica_is_served_by_the_others_within_a_second() {
    let c = Cluster::start(3, &[]);
    let limit = Duration::from_secs(1);
    let v1 = c.sign(1, true);
    assert_eq!(c.upload(0, &v1), 201);
    let body = std::fs::read(&v1).unwrap();
    for r in [1, 2] {
        let took = within(limit, || c.served(r).1 == body);
        assert!(took.is_some(), "replica {r} serves v1 within 1 s");
    }
    let v2 = c.sign(2, true);
    assert_eq!(c.upload(1, &v2), 201);
    let body = std::fs::read(&v2).unwrap();
    for r in [0, 2] {
        assert!(
            within(limit, || c.served(r).1 == body).is_some(),
            "replica {r} serves v2 within 1 s"
        );
    }
    // Rollout changes move the header everywhere.
    assert_eq!(
        c.rollout(2, r#"{"action": "start", "percentage": 30}"#),
        200
    );
    for r in [0, 1] {
        assert!(
            within(limit, || c.served(r).2.as_deref() == Some("30")).is_some(),
            "replica {r}: 30%"
        );
    }
    assert_eq!(c.rollout(0, r#"{"action": "halt", "reason": "test"}"#), 200);
    for r in [1, 2] {
        assert!(
            within(limit, || c.served(r).2.as_deref() == Some("0")).is_some(),
            "replica {r}: halted"
        );
    }
}

#[test]
fn concurrent_halts_and_advances_end_as_the_last_committed_says() {
    let c = Cluster::start(2, &[]);
    assert_eq!(c.upload(0, &c.sign(1, true)), 201);
    assert_eq!(c.rollout(0, r#"{"action": "start", "percentage": 1}"#), 200);
    let c = Arc::new(c);
    let halts_ok = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..40)
        .flat_map(|i| {
            let (a, b) = (Arc::clone(&c), Arc::clone(&c));
            let halts_ok = Arc::clone(&halts_ok);
            [
                std::thread::spawn(move || {
                    if a.rollout(0, r#"{"action": "halt", "reason": "race"}"#) == 200 {
                        halts_ok.fetch_add(1, Ordering::SeqCst);
                    }
                }),
                std::thread::spawn(move || {
                    b.rollout(
                        1,
                        &format!(r#"{{"action": "advance", "percentage": {}}}"#, i + 2),
                    );
                }),
            ]
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let status = c.status(1);
    let events = status["events"].as_array().unwrap();
    let last = &events[0];
    // The state is what the last committed event made it.
    let expected = if last["action"] == "halt" {
        "halted"
    } else {
        "active"
    };
    assert_eq!(status["rollout"]["state"], expected, "{status:#}");
    assert_eq!(
        status["rollout"]["percentage"], last["percentage"],
        "{status:#}"
    );
    // A halt answered 200 is never undone by an advance: nothing advances a
    // halted rollout, so the final state is halted.
    if halts_ok.load(Ordering::SeqCst) > 0 {
        assert_eq!(status["rollout"]["state"], "halted", "{status:#}");
    }
    // Every replica serves that state.
    let header = if expected == "halted" {
        "0".to_owned()
    } else {
        last["percentage"].to_string()
    };
    for r in 0..2 {
        assert!(
            within(Duration::from_secs(1), || c.served(r).2.as_deref()
                == Some(header.as_str()))
            .is_some()
        );
    }
}

/// A local webhook receiver: every JSON body posted to it.
fn webhook() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let sink = Arc::clone(&got);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Head, then the body its content-length announces.
            while let Ok(n) = stream.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + length {
                        if let Ok(v) = serde_json::from_slice(&buf[end + 4..end + 4 + length]) {
                            sink.lock().unwrap().push(v);
                        }
                        break;
                    }
                }
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    (url, got)
}

/// A pinwarden-rustls failure report for the candidate's pins.
fn failure(ca: &Ca, cohort: u8) -> Vec<u8> {
    let leaf = ca.leaf(&["api.northwind.example"], KeyKind::EcdsaP256);
    json!({
        "app-platform": "rust",
        "app-version": "1.0",
        "date-time": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap(),
        "hostname": "api.northwind.example",
        "port": 443,
        "served-certificate-chain": [leaf.pem, ca.pem],
        "known-pins": [format!("pin-sha256=\"{}\"", SpkiPin::from_digest([9; 32]).to_base64())],
        "pinwarden-manifest-version": 1,
        "pinwarden-cohort": cohort,
        "enforce-pinning": true
    })
    .to_string()
    .into_bytes()
}

/// A client fetching the manifest (as pinwarden-rustls does) from `source`.
fn fetch_as(c: &Cluster, replica: usize, client: &str, cohort: u8, source: &str) {
    let cohort = cohort.to_string();
    let (code, _, _) = http(
        &c.replicas[replica].url,
        "GET",
        &format!("/v1/manifests/{APP}"),
        &[
            ("pinwarden-client", client),
            ("pinwarden-cohort", &cohort),
            ("x-forwarded-for", source),
        ],
        b"",
    );
    assert_eq!(code, 200);
}

fn report_as(c: &Cluster, replica: usize, body: &[u8], source: &str) {
    let (code, _, answer) = http(
        &c.replicas[replica].url,
        "POST",
        &format!("/v1/reports/{APP}"),
        &[
            ("content-type", "application/json"),
            ("x-forwarded-for", source),
        ],
        body,
    );
    assert_eq!(code, 202, "{}", String::from_utf8_lossy(&answer));
}

fn guard_cluster(hook: &str) -> Cluster {
    let c = Cluster::start(
        2,
        &[
            "--guard-interval",
            "1",
            "--guard-min-clients",
            "4",
            "--guard-min-sources",
            "3",
            "--guard-per-source",
            "5",
            "--guard-absolute-failures",
            "10",
            "--guard-webhook",
            hook,
            "--report-rate",
            "1000",
        ],
    );
    assert_eq!(c.upload(0, &c.sign(1, true)), 201);
    assert_eq!(
        c.rollout(0, r#"{"action": "start", "percentage": 50}"#),
        200
    );
    c
}

fn guard_halts(c: &Cluster) -> usize {
    c.status(0)["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["reason"]
                .as_str()
                .unwrap_or_default()
                .starts_with("rollout guard")
        })
        .count()
}

#[test]
fn the_guard_counts_across_replicas_and_halts_once() {
    let (hook, posted) = webhook();
    let c = guard_cluster(&hook);
    let rogue = Ca::root("Interceptor", KeyKind::EcdsaP256);
    // Six failing candidate clients, from six networks, split over the two
    // replicas: three each, fewer than the four either would need alone.
    for i in 0..6 {
        let source = format!("198.51.{}.7", 10 + i);
        fetch_as(&c, i % 2, &format!("client-{i}"), 10, &source);
        report_as(&c, i % 2, &failure(&rogue, 10), &source);
    }
    let halted = within(Duration::from_secs(8), || {
        c.status(1)["rollout"]["state"] == "halted"
    });
    assert!(halted.is_some(), "{:#}", c.status(1));
    // Both replicas' guards saw the breach; one halted it, once.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(guard_halts(&c), 1, "{:#}", c.status(0));
    assert_eq!(
        posted.lock().unwrap().len(),
        1,
        "{:?}",
        posted.lock().unwrap()
    );
}

#[test]
fn one_source_can_neither_trigger_nor_block_a_halt() {
    let (hook, posted) = webhook();
    let c = guard_cluster(&hook);
    let rogue = Ca::root("Interceptor", KeyKind::EcdsaP256);
    // One network invents twenty failing candidate clients: no halt.
    for i in 0..20 {
        fetch_as(&c, i % 2, &format!("invented-{i}"), 10, "203.0.113.66");
        report_as(&c, i % 2, &failure(&rogue, 10), "203.0.113.66");
    }
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        c.status(0)["rollout"]["state"],
        "active",
        "{:#}",
        c.status(0)
    );
    assert!(posted.lock().unwrap().is_empty());

    // One network invents 1,000 healthy candidate clients; twelve real
    // ones, on twelve networks, all fail: the guard halts anyway.
    for i in 0..1_000 {
        fetch_as(&c, i % 2, &format!("healthy-{i}"), 20, "192.0.2.99");
    }
    for i in 0..12 {
        let source = format!("198.18.{i}.5");
        fetch_as(&c, i % 2, &format!("real-{i}"), 30, &source);
        report_as(&c, i % 2, &failure(&rogue, 30), &source);
    }
    let halted = within(Duration::from_secs(8), || {
        c.status(0)["rollout"]["state"] == "halted"
    });
    assert!(halted.is_some(), "{:#}", c.status(0));
    assert_eq!(guard_halts(&c), 1);
}
