//! `pinwarden ct once|coverage` against test-support's local RFC 6962 log,
//! with Debian's certspotter reading the same log as an independent peer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pinwarden_test_support::{CtIssuers, CtLog, CtTiledLog};

use crate::support::{pinwarden, require, write};

struct Fixture {
    log: CtLog,
    cas: CtIssuers,
}

impl Fixture {
    fn new() -> Self {
        Self {
            log: CtLog::start(),
            cas: CtIssuers::new(),
        }
    }

    fn cert(&self, names: &[&str], expected: bool) -> u64 {
        self.cas.log_cert(&self.log, names, expected)
    }

    fn precert(&self, names: &[&str]) -> u64 {
        self.cas.log_precert(&self.log, names)
    }

    fn noise(&self, n: usize) {
        self.cas.log_noise(&self.log, n);
    }

    fn log_list(&self, dir: &Path) -> PathBuf {
        write(dir, "logs.json", self.log.log_list_json())
    }
}

/// A hook that appends certspotter's variables (and pinwarden's) to a file.
fn hook(dir: &Path, out: &Path) -> PathBuf {
    let path = write(
        dir,
        "hook.sh",
        format!(
            "#!/bin/sh\n[ \"$EVENT\" = discovered_cert ] || exit 0\n\
             echo \"$ENTRY_INDEX $TBS_SHA256 $PUBKEY_SHA256 $CERT_SHA256 $WATCH_ITEM $SERIAL \
             $NOT_BEFORE_UNIXTIME $NOT_AFTER_UNIXTIME $NOT_BEFORE_RFC3339 $NOT_AFTER_RFC3339 \
             $NOT_BEFORE / $NOT_AFTER / $SUBJECT_DN / $ISSUER_DN|$PINSET|$VERDICT\" >> '{}'\n",
            out.display()
        ),
    );
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn pinwarden_and_certspotter_find_the_same_certificates() {
    require("certspotter");
    let f = Fixture::new();
    f.noise(50);
    let mut expected = vec![
        f.cert(&["www.example.com"], true),
        f.precert(&["shop.example.com"]),
        f.cert(&["*.example.com"], false),
        f.cert(&["exact.example.org"], true),
    ];
    f.noise(30);
    f.cert(&["other.example.org"], true); // not watched
    f.cert(&["example.net"], true); // not watched
    expected.push(f.cert(&["a.b.deep.example.com", "unrelated.test"], true));
    f.noise(20);
    f.log.publish();
    expected.sort_unstable();

    let dir = tempfile::tempdir().unwrap();
    let logs = f.log_list(dir.path());
    let watch = write(dir.path(), "watchlist", ".example.com\nexact.example.org\n");

    // pinwarden
    let ours = dir.path().join("pinwarden.hook");
    let hook_ours = hook(dir.path(), &ours);
    let out = pinwarden()
        .args([
            "ct",
            "once",
            "--no-caa",
            "--quiet",
            "--rps",
            "0",
            "--batch-size",
            "16",
        ])
        .arg("--logs")
        .arg(&logs)
        .arg("--watchlist")
        .arg(&watch)
        .arg("--state-dir")
        .arg(dir.path().join("pw-state"))
        .arg("--hook")
        .arg(&hook_ours)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // certspotter, the same log list, watchlist and hook.
    let theirs = dir.path().join("certspotter.hook");
    let hook_theirs = hook(dir.path(), &theirs);
    let mut child = Command::new("certspotter")
        .arg("-logs")
        .arg(&logs)
        .arg("-watchlist")
        .arg(&watch)
        .arg("-state_dir")
        .arg(dir.path().join("cs-state"))
        .arg("-script")
        .arg(&hook_theirs)
        .arg("-no_save")
        .arg("-verbose")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while lines(&theirs).len() < expected.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    // Give it a moment to (wrongly) report more, then stop it.
    std::thread::sleep(Duration::from_millis(1500));
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);

    let key = |l: &String| l.split('|').next().unwrap().to_owned();
    let ours: BTreeSet<String> = lines(&ours).iter().map(key).collect();
    let theirs_lines = lines(&theirs);
    let theirs: BTreeSet<String> = theirs_lines.iter().map(key).collect();
    assert_eq!(theirs_lines.len(), expected.len(), "certspotter:\n{stderr}");
    assert_eq!(ours, theirs, "certspotter:\n{stderr}");
    let found: Vec<u64> = ours
        .iter()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn policy_pins_turn_a_match_into_would_break_pinset() {
    let f = Fixture::new();
    f.noise(10);
    let good = f.cert(&["api.example.com"], true);
    let bad = f.cert(&["api.example.com"], false);
    f.log.publish();
    let dir = tempfile::tempdir().unwrap();
    let logs = f.log_list(dir.path());
    let pin = |spki: &[u8]| pinwarden_core::SpkiPin::from_spki_der(spki).to_base64();
    let policy = write(
        dir.path(),
        "pinwarden.toml",
        format!(
            r#"
[organisation]
name = "Test"

[[application]]
id = "mobile"
type = "mobile"
data = ["financial"]
update_mechanism = "app-store"
hosts = ["api.example.com"]
pinsets = ["api"]

[[pinset]]
id = "api"
hosts = ["api.example.com"]
pins = [
  {{ pin = "sha256/{}", role = "primary", label = "Expected Root" }},
  {{ pin = "sha256/{}", role = "backup", label = "Expected Issuing CA" }},
]
"#,
            pin(&f.cas.root.spki),
            pin(&f.cas.issuing.spki)
        ),
    );
    let calls = dir.path().join("hook.out");
    let hook = hook(dir.path(), &calls);
    let out = pinwarden()
        .args(["ct", "once", "--no-caa", "--json", "--rps", "0"])
        .arg("--logs")
        .arg(&logs)
        .arg("--policy")
        .arg(&policy)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("--hook")
        .arg(&hook)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let alerts = json["logs"][0]["outcome"]["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 2, "the policy's hosts are the watchlist");
    let verdict = |i: u64| {
        alerts
            .iter()
            .find(|a| a["entry_index"] == i)
            .map(|a| a["verdict"].as_str().unwrap().to_owned())
    };
    assert_eq!(verdict(good).as_deref(), Some("discovered"));
    assert_eq!(verdict(bad).as_deref(), Some("would-break-pinset"));
    let hooked = lines(&calls);
    assert!(
        hooked
            .iter()
            .any(|l| l.starts_with(&format!("{bad} ")) && l.ends_with("|api|would-break-pinset")),
        "{hooked:?}"
    );
    assert_eq!(json["logs"][0]["coverage"]["verified_size"], f.log.size());

    // Without --json the alerts are printed for people.
    let out = pinwarden()
        .args(["ct", "once", "--no-caa", "--rps", "0"])
        .arg("--logs")
        .arg(&logs)
        .arg("--policy")
        .arg(&policy)
        .arg("--state-dir")
        .arg(dir.path().join("state2"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "would-break-pinset: certificate for api.example.com would break pin set api"
        ) && text.contains("mobile would reject it"),
        "{text}"
    );
}

#[test]
fn kill_9_at_any_moment_loses_and_repeats_no_alert() {
    let f = Fixture::new();
    let mut expected = Vec::new();
    for i in 0..30 {
        f.noise(60);
        expected.push(f.cert(&[&format!("h{i}.example.com")], i % 3 != 0));
    }
    f.noise(60);
    f.log.publish();
    let dir = tempfile::tempdir().unwrap();
    let logs = f.log_list(dir.path());
    let watch = write(dir.path(), "watchlist", ".example.com\n");
    let jsonl = dir.path().join("alerts.jsonl");
    let run = || {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("pinwarden"));
        cmd.args([
            "ct",
            "once",
            "--no-caa",
            "--quiet",
            "--batch-size",
            "10",
            "--parallel",
            "2",
            "--rps",
            "300",
        ])
        .arg("--logs")
        .arg(&logs)
        .arg("--watchlist")
        .arg(&watch)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("--jsonl")
        .arg(&jsonl)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        cmd
    };
    // Kill it at staggered moments, more than a dozen times.
    let mut kills = 0;
    for round in 0..40u64 {
        let mut child = run().spawn().unwrap();
        std::thread::sleep(Duration::from_millis(40 + (round * 37) % 250));
        if child.try_wait().unwrap().is_some() {
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }
    assert!(kills >= 5, "only {kills} kills landed mid-run");
    let status = run().status().unwrap();
    assert!(status.success());
    let ids: Vec<u64> = lines(&jsonl)
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["entry_index"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let unique: BTreeSet<u64> = ids.iter().copied().collect();
    assert_eq!(
        ids.len(),
        unique.len(),
        "an alert was written twice: {ids:?}"
    );
    assert_eq!(
        unique.into_iter().collect::<Vec<_>>(),
        expected,
        "after {kills} kills"
    );

    let cov = pinwarden()
        .args(["ct", "coverage", "--json"])
        .arg("--logs")
        .arg(&logs)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .output()
        .unwrap();
    let cov: serde_json::Value = serde_json::from_slice(&cov.stdout).unwrap();
    assert_eq!(cov[0]["verified_size"], f.log.size());
    assert_eq!(cov[0]["gaps"].as_array().unwrap().len(), 0);
}

#[test]
fn a_tiled_log_in_the_list_is_monitored() {
    let cas = CtIssuers::new();
    let log = CtTiledLog::start();
    cas.log_noise(&log, 300);
    let expected = vec![
        cas.log_cert(&log, &["www.example.com"], true),
        cas.log_precert(&log, &["pre.example.com"]),
    ];
    log.publish();

    let dir = tempfile::tempdir().unwrap();
    let logs = write(dir.path(), "logs.json", log.log_list_json());
    let alerts = dir.path().join("alerts.jsonl");
    let out = pinwarden()
        .args(["ct", "once", "--no-caa", "--quiet", "--rps", "0"])
        .arg("--logs")
        .arg(&logs)
        .arg("--watchlist")
        .arg(write(dir.path(), "w", ".example.com\n"))
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("--jsonl")
        .arg(&alerts)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut found: Vec<u64> = lines(&alerts)
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["entry_index"]
                .as_u64()
                .unwrap()
        })
        .collect();
    found.sort_unstable();
    assert_eq!(found, expected);

    let cov = pinwarden()
        .args(["ct", "coverage", "--json"])
        .arg("--logs")
        .arg(&logs)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .output()
        .unwrap();
    let cov: serde_json::Value = serde_json::from_slice(&cov.stdout).unwrap();
    assert_eq!(cov[0]["verified_size"], log.size());
    assert_eq!(cov[0]["url"], log.monitoring_url.as_str());
}

#[test]
fn bad_inputs_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "logs.json", "{\"operators\": 3}");
    let out = pinwarden()
        .args(["ct", "once", "--no-caa"])
        .arg("--logs")
        .arg(&bad)
        .arg("--watchlist")
        .arg(write(dir.path(), "w", "ok.example\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("logs.json"));
    let f = Fixture::new();
    let out = pinwarden()
        .args(["ct", "once", "--no-caa"])
        .arg("--logs")
        .arg(f.log_list(dir.path()))
        .arg("--watchlist")
        .arg(write(dir.path(), "w2", "fine.example\nnot a name\n"))
        .arg("--state-dir")
        .arg(dir.path().join("s"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("w2") && err.contains("line 2"), "{err}");
}

#[test]
fn serve_runs_the_monitor_and_shows_its_alerts() {
    use crate::serve_cmd::{curl, start_serving};
    require("curl");
    let f = Fixture::new();
    f.noise(20);
    let hit = f.cert(&["api.northwind.example"], false);
    f.noise(5);
    f.log.publish();
    let dir = tempfile::tempdir().unwrap();
    let logs = f.log_list(dir.path());
    let db = format!("sqlite://{}/pw.db", dir.path().display());
    let state = dir.path().join("ct");
    let server = start_serving(
        &db,
        &[
            "--ct-logs",
            logs.to_str().unwrap(),
            "--ct-state-dir",
            state.to_str().unwrap(),
            "--ct-no-caa",
            "--ct-interval",
            "1",
            "--ct-rps",
            "0",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let alerts = loop {
        let (code, body) = curl(&format!("{}/api/v1/ct/alerts", server.url));
        assert_eq!(code, "200", "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["monitoring"], true);
        let alerts = json["alerts"].as_array().unwrap().clone();
        if !alerts.is_empty() || Instant::now() > deadline {
            break alerts;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert["entry_index"], hit);
    assert_eq!(alert["verdict"], "would-break-pinset");
    let findings = alert["findings"].to_string();
    assert!(
        findings.contains("public-api") && findings.contains("northwind-mobile"),
        "{findings}"
    );
    assert!(findings.contains("unexpected-issuer"), "{findings}");

    let (code, page) = curl(&format!("{}/ct", server.url));
    assert_eq!(code, "200");
    assert!(page.contains("api.northwind.example") && page.contains("would-break-pinset"));
    let (_, coverage) = curl(&format!("{}/api/v1/ct/coverage", server.url));
    let coverage: serde_json::Value = serde_json::from_str(&coverage).unwrap();
    assert_eq!(coverage["logs"][0]["verified_size"], f.log.size());
}

/// Accepts HTTP POSTs on 127.0.0.1, answers 200, hands the bodies over.
fn webhook_receiver() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/hook/secret-token",
        listener.local_addr().unwrap()
    );
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
        }
    });
    (url, rx)
}

#[test]
fn caa_over_real_dns_turns_a_forbidden_issuer_into_a_caa_violation() {
    use pinwarden_test_support::{DnsServer, Zone};
    let dns = DnsServer::start(&[
        Zone::new(".", ""),
        Zone::new("example.com", "@ CAA 0 issue \"letsencrypt.org\""),
        Zone::new("example.net", "www A 192.0.2.1"),
        Zone::unloadable("broken.example"),
    ]);
    let f = Fixture::new();
    f.noise(10);
    let forbidden = f.cert(&["shop.example.com"], true);
    let free = f.cert(&["www.example.net"], true);
    let unknown = f.cert(&["x.broken.example"], true);
    f.log.publish();
    let dir = tempfile::tempdir().unwrap();
    let (hook_url, bodies) = webhook_receiver();
    let out = pinwarden()
        .args(["ct", "once", "--json", "--rps", "0"])
        .arg("--logs")
        .arg(f.log_list(dir.path()))
        .arg("--watchlist")
        .arg(write(
            dir.path(),
            "w",
            ".example.com\n.example.net\n.broken.example\n",
        ))
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .args([
            "--dns-server",
            &dns.addr.to_string(),
            "--webhook",
            &hook_url,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        !stderr.contains("secret-token"),
        "the webhook URL's path stays out of messages"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let alerts = json["logs"][0]["outcome"]["alerts"].as_array().unwrap();
    let find = |i: u64| {
        alerts
            .iter()
            .find(|a| a["entry_index"] == i)
            .unwrap()
            .clone()
    };
    let a = find(forbidden);
    assert_eq!(a["verdict"], "caa-violation");
    assert!(
        a["findings"]
            .to_string()
            .contains("permits only letsencrypt.org"),
        "{a}"
    );
    assert_eq!(find(free)["verdict"], "discovered");
    let b = find(unknown);
    assert_eq!(
        b["verdict"], "caa-violation",
        "a failed lookup is not 'permitted'"
    );
    assert!(
        b["findings"].to_string().contains("could not be checked"),
        "{b}"
    );

    // The webhook got one Slack-style message per alert.
    let mut texts = Vec::new();
    while let Ok(body) = bodies.recv_timeout(Duration::from_secs(5)) {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        texts.push(v["text"].as_str().unwrap().to_owned());
        if texts.len() == 3 {
            break;
        }
    }
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(
        texts
            .iter()
            .any(|t| t.contains("shop.example.com") && t.contains("not permitted by CAA"))
    );
}

#[test]
fn watch_reports_new_certificates_as_they_are_logged_and_stops_on_sigint() {
    let f = Fixture::new();
    f.noise(5);
    let first = f.cert(&["one.example.com"], true);
    f.log.publish();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("alerts.jsonl");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("pinwarden"))
        .args([
            "ct",
            "watch",
            "--no-caa",
            "--quiet",
            "--rps",
            "0",
            "--interval",
            "1",
        ])
        .arg("--logs")
        .arg(f.log_list(dir.path()))
        .arg("--watchlist")
        .arg(write(dir.path(), "w", ".example.com\n"))
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("--jsonl")
        .arg(&jsonl)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let wait_for = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while lines(&jsonl).len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        lines(&jsonl)
    };
    assert_eq!(wait_for(1).len(), 1);
    let second = f.cert(&["two.example.com"], true);
    f.log.publish();
    let seen = wait_for(2);
    let indices: Vec<u64> = seen
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["entry_index"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(indices, vec![first, second]);
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "ct watch did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn an_alert_a_sink_refused_is_kept_and_delivered_once_later() {
    let f = Fixture::new();
    f.noise(5);
    let hit = f.cert(&["late.example.com"], true);
    f.log.publish();
    let dir = tempfile::tempdir().unwrap();
    let logs = f.log_list(dir.path());
    let watch = write(dir.path(), "w", ".example.com\n");
    let jsonl = dir.path().join("alerts.jsonl");
    let calls = dir.path().join("hook.out");
    let hook = write(
        dir.path(),
        "hook.sh",
        format!(
            "#!/bin/sh\n[ -e '{0}.ok' ] || exit 7\necho \"$ENTRY_INDEX\" >> '{0}'\n",
            calls.display()
        ),
    );
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let run = || {
        pinwarden()
            .args(["ct", "once", "--no-caa", "--quiet", "--rps", "0"])
            .arg("--logs")
            .arg(&logs)
            .arg("--watchlist")
            .arg(&watch)
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .arg("--jsonl")
            .arg(&jsonl)
            .arg("--hook")
            .arg(&hook)
            .output()
            .unwrap()
    };
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the hook failed: not all delivered"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not delivered yet") && err.contains("exit status: 7"),
        "{err}"
    );
    assert_eq!(lines(&jsonl).len(), 1, "the JSON lines sink got it");
    assert!(lines(&calls).is_empty());

    // The hook works again: the alert reaches it, and only it.
    std::fs::write(format!("{}.ok", calls.display()), "").unwrap();
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&calls), vec![hit.to_string()]);
    assert_eq!(lines(&jsonl).len(), 1, "not written twice");
    let out = run();
    assert!(out.status.success());
    assert_eq!(lines(&calls).len(), 1, "delivered once");
}

#[test]
fn a_wildcard_application_host_watches_its_subtree() {
    let f = Fixture::new();
    f.noise(3);
    let deep = f.cert(&["a.b.shop.example"], true);
    f.cert(&["shop.example.org"], true);
    f.log.publish();
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "pinwarden.toml",
        r#"
[organisation]
name = "Test"

[[application]]
id = "storefront"
type = "web"
data = ["personal"]
update_mechanism = "none"
hosts = ["*.shop.example"]
"#,
    );
    let out = pinwarden()
        .args(["ct", "once", "--no-caa", "--json", "--rps", "0"])
        .arg("--logs")
        .arg(f.log_list(dir.path()))
        .arg("--policy")
        .arg(&policy)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let alerts = json["logs"][0]["outcome"]["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["entry_index"], deep);
    assert_eq!(alerts[0]["watch_item"], ".shop.example");
}
