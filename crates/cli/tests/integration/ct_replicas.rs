//! CT on replicas (issue 15): three `pinwarden serve` processes on one
//! PostgreSQL database share two local RFC 6962 logs through leases. Each
//! log is monitored by one replica at a time; when the leader is killed
//! with SIGKILL another takes its logs within one lease period and carries
//! on from the saved state; the alerts in the database, and those the
//! webhook receives, are exactly the logged matches.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pinwarden_test_support::{CtIssuers, CtLog, PostgresDb};

use crate::serve_cmd::{EXAMPLE, curl};
use crate::support::{require, write};

/// `--ct-interval 1` makes the lease period its minimum, 5 s.
const LEASE: Duration = Duration::from_secs(5);

/// A match: (log id, base64; entry index).
type Hit = (String, u64);

struct Replica {
    child: Child,
    url: String,
    pid: u32,
    stderr: PathBuf,
    _stdout: BufReader<ChildStdout>,
}

impl Replica {
    fn start(db: &str, dir: &Path, n: usize, logs: &Path, watch: &Path, hook: &str) -> Self {
        let stderr = dir.join(format!("replica{n}.stderr"));
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("pinwarden"))
            .args(["serve", "--listen", "127.0.0.1:0", "--policy", EXAMPLE])
            .args(["--database", db])
            .arg("--ct-logs")
            .arg(logs)
            .arg("--ct-watchlist")
            .arg(watch)
            .arg("--ct-state-dir")
            .arg(dir.join(format!("unused-ct-{n}")))
            .args(["--ct-no-caa", "--ct-interval", "1", "--ct-rps", "0"])
            .args(["--ct-webhook", hook])
            .env_remove("PINWARDEN_ADMIN_TOKEN")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let url = line
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{line}");
        Self {
            pid: child.id(),
            child,
            url,
            stderr,
            _stdout: stdout,
        }
    }

    /// Whether a lease owner id (`host:pid:random`) is this process.
    fn owns(&self, owner: &str) -> bool {
        owner.split(':').nth(1) == Some(self.pid.to_string().as_str())
    }

    fn kill_9(&mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Answers every POST on 127.0.0.1 with 200 and records the alert's
/// (log id, entry index), one per delivery.
fn webhook() -> (String, Arc<Mutex<Vec<Hit>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
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
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
                let alert = &v["alert"];
                seen.lock().unwrap().push((
                    alert["log_id"].as_str().unwrap_or_default().to_owned(),
                    alert["entry_index"].as_u64().unwrap_or(u64::MAX),
                ));
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, got)
}

/// Rows of a query, fields split on `|`.
fn sql(db: &str, query: &str) -> Vec<Vec<String>> {
    let out = Command::new("psql")
        .args([db, "--no-psqlrc", "-At", "-F", "|", "-c", query])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{query}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('|').map(str::to_owned).collect())
        .collect()
}

/// (log id, owner, epoch, ms left) of every lease.
fn leases(db: &str) -> Vec<(String, String, i64, i64)> {
    sql(
        db,
        "SELECT log_id, owner, epoch, \
         (EXTRACT(EPOCH FROM (expires_at - clock_timestamp())) * 1000)::bigint \
         FROM ct_leases ORDER BY log_id",
    )
    .into_iter()
    .map(|r| {
        (
            r[0].clone(),
            r[1].clone(),
            r[2].parse().unwrap(),
            r[3].parse().unwrap(),
        )
    })
    .collect()
}

fn stored_alerts(db: &str) -> Vec<Hit> {
    sql(
        db,
        "SELECT log_id, entry_index FROM ct_alerts ORDER BY 1, 2",
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].parse().unwrap()))
    .collect()
}

fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn counts(hits: &[Hit]) -> BTreeMap<Hit, usize> {
    let mut out = BTreeMap::new();
    for h in hits {
        *out.entry(h.clone()).or_insert(0) += 1;
    }
    out
}

struct Logs {
    a: CtLog,
    b: CtLog,
    a_id: String,
    b_id: String,
    cas: CtIssuers,
}

impl Logs {
    /// `n` matches in each log between noise, published; what they are.
    fn log_matches(&self, phase: &str, n: usize, noise: usize) -> BTreeSet<Hit> {
        let mut out = BTreeSet::new();
        for (log, id) in [(&self.a, &self.a_id), (&self.b, &self.b_id)] {
            for i in 0..n {
                self.cas.log_noise(log, noise);
                let name = format!("{phase}-{i}.example.com");
                out.insert((id.clone(), self.cas.log_cert(log, &[&name], i % 2 == 0)));
            }
            self.cas.log_noise(log, noise);
            log.publish();
        }
        out
    }

    /// One log list naming both logs.
    fn list(&self) -> String {
        let mut list: serde_json::Value = serde_json::from_str(&self.a.log_list_json()).unwrap();
        let b: serde_json::Value = serde_json::from_str(&self.b.log_list_json()).unwrap();
        let logs = list["operators"][0]["logs"].as_array_mut().unwrap();
        logs[0]["description"] = "log A".into();
        let mut second = b["operators"][0]["logs"][0].clone();
        second["description"] = "log B".into();
        logs.push(second);
        list.to_string()
    }
}

fn log_id(log: &CtLog) -> String {
    let list: serde_json::Value = serde_json::from_str(&log.log_list_json()).unwrap();
    list["operators"][0]["logs"][0]["log_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The verified size per log id that a replica's coverage API reports.
fn coverage(replica: &Replica) -> BTreeMap<String, u64> {
    let (code, body) = curl(&format!("{}/api/v1/ct/coverage", replica.url));
    assert_eq!(code, "200", "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["monitoring"], true);
    json["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["log_id"].as_str().unwrap().to_owned(),
                c["verified_size"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn replicas_share_ct_logs_by_lease_and_take_over_after_kill_9_without_losing_or_repeating_alerts() {
    require("psql");
    require("curl");
    let pg = PostgresDb::create();
    let db = pg.url.as_str();
    let (a, b) = (CtLog::start(), CtLog::start());
    let logs = Logs {
        a_id: log_id(&a),
        b_id: log_id(&b),
        a,
        b,
        cas: CtIssuers::new(),
    };
    let sizes = || {
        BTreeMap::from([
            (logs.a_id.clone(), logs.a.size()),
            (logs.b_id.clone(), logs.b.size()),
        ])
    };
    let dir = tempfile::tempdir().unwrap();
    let list = write(dir.path(), "logs.json", logs.list());
    let watch = write(dir.path(), "watchlist", ".example.com\n");
    let (hook, delivered) = webhook();
    let mut expected = logs.log_matches("first", 3, 20);

    // The first replica takes both logs; two more join.
    let start = |n: usize| Replica::start(db, dir.path(), n, &list, &watch, &hook);
    let mut replicas = vec![start(1)];
    wait_until(
        Duration::from_secs(20),
        "replica 1 to lease both logs",
        || {
            let l = leases(db);
            l.len() == 2
                && l.iter()
                    .all(|(_, owner, _, left)| replicas[0].owns(owner) && *left > 0)
        },
    );
    replicas.push(start(2));
    replicas.push(start(3));
    let stderr = |replicas: &[Replica]| {
        replicas
            .iter()
            .map(|r| format!("--- replica pid {}\n{}", r.pid, r.log()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let have_all = |expected: &BTreeSet<Hit>| {
        let stored: BTreeSet<Hit> = stored_alerts(db).into_iter().collect();
        let hooked: BTreeSet<Hit> = delivered.lock().unwrap().iter().cloned().collect();
        stored == *expected && hooked == *expected
    };
    wait_until(Duration::from_secs(30), "the first alerts", || {
        have_all(&expected)
    });

    // While the leader lives, it alone holds and saves both logs, though
    // two more replicas ask for them every lease period.
    let leader = leases(db)[0].1.clone();
    assert!(replicas[0].owns(&leader));
    for _ in 0..15 {
        let l = leases(db);
        assert_eq!(l.len(), 2);
        for (log, owner, epoch, left) in &l {
            assert_eq!(owner, &leader, "{log}: {l:?}");
            assert_eq!(
                *epoch, 1,
                "{log} changed hands while its replica lived: {l:?}"
            );
            assert!(*left > 0, "{l:?}");
        }
        let savers = sql(db, "SELECT DISTINCT saved_by FROM ct_state");
        assert_eq!(savers, vec![vec![leader.clone()]]);
        std::thread::sleep(Duration::from_millis(200));
    }

    // Every replica serves the coverage (read from the database) and the alerts.
    for r in &replicas[1..] {
        wait_until(Duration::from_secs(10), "coverage on a follower", || {
            coverage(r) == sizes()
        });
        let (code, body) = curl(&format!("{}/api/v1/ct/alerts?limit=1000", r.url));
        assert_eq!(code, "200");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["alerts"].as_array().unwrap().len(), expected.len());
    }

    // kill -9 the leader, then log more: another replica takes both logs
    // over within one lease period and reports only the new matches.
    replicas[0].kill_9();
    let killed = Instant::now();
    expected.extend(logs.log_matches("second", 2, 20));
    let mut took_over = None;
    wait_until(LEASE + Duration::from_secs(2), "a take-over", || {
        let l = leases(db);
        let done = l
            .iter()
            .all(|(_, owner, _, left)| !replicas[0].owns(owner) && *left > 0);
        if done {
            took_over = Some((killed.elapsed(), l));
        }
        done
    });
    let (after, l) = took_over.unwrap();
    // One lease period from the last renewal, which came before the kill;
    // the slack is this test's own polling (a psql process per look).
    assert!(
        after <= LEASE + Duration::from_secs(1),
        "taken over {after:?} after the kill; lease period {LEASE:?}"
    );
    for (log, owner, epoch, _) in &l {
        assert!(
            replicas[1..].iter().any(|r| r.owns(owner)),
            "{log}: {owner}"
        );
        assert_eq!(*epoch, 2, "{log} was taken once, by one replica: {l:?}");
    }
    eprintln!("leases taken over {after:?} after kill -9 (lease period {LEASE:?})");
    wait_until(Duration::from_secs(30), "the second alerts", || {
        have_all(&expected)
    });
    // Rounds run every second: give a wrong replica time to repeat itself.
    std::thread::sleep(Duration::from_secs(3));
    let repeated: Vec<_> = counts(&delivered.lock().unwrap())
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(
        repeated.is_empty(),
        "delivered twice: {repeated:?}\n{}",
        stderr(&replicas)
    );
    assert_eq!(
        stored_alerts(db).into_iter().collect::<BTreeSet<_>>(),
        expected
    );

    // Now kill the holder of log A in the middle of its work (a large
    // batch to catch up on): whoever is left finishes it from the last
    // saved state, and the database holds every match once.
    let holder = |log: &str| {
        leases(db)
            .into_iter()
            .find(|(id, ..)| id == log)
            .map(|(_, owner, ..)| owner)
            .unwrap()
    };
    let owner_a = holder(&logs.a_id);
    let victim = replicas.iter().position(|r| r.owns(&owner_a)).unwrap();
    let (_, downloads, _) = logs.a.counters();
    let third = logs.log_matches("third", 10, 2000);
    expected.extend(third.iter().cloned());
    wait_until(Duration::from_secs(10), "log A's catch-up to start", || {
        logs.a.counters().1 >= downloads + 2
    });
    replicas[victim].kill_9();
    let survivor = replicas
        .iter()
        .enumerate()
        .find(|(i, _)| *i != 0 && *i != victim)
        .map(|(_, r)| r)
        .unwrap();
    wait_until(
        LEASE + Duration::from_secs(2),
        "the second take-over",
        || {
            leases(db)
                .iter()
                .all(|(_, owner, _, left)| survivor.owns(owner) && *left > 0)
        },
    );
    wait_until(Duration::from_secs(60), "the third alerts", || {
        stored_alerts(db).into_iter().collect::<BTreeSet<_>>() == expected
    });
    let stored = stored_alerts(db);
    assert_eq!(stored.len(), expected.len(), "{stored:?}");
    wait_until(Duration::from_secs(10), "the webhook", || {
        delivered
            .lock()
            .unwrap()
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            == expected
    });
    // A kill between a webhook's delivery and the save after it may repeat
    // that one delivery (at least once for hooks and webhooks); nothing
    // delivered before the kill's round is repeated.
    let hooked = delivered.lock().unwrap().clone();
    let repeated: Vec<_> = counts(&hooked)
        .into_iter()
        .filter(|(hit, n)| *n > 1 && !third.contains(hit))
        .collect();
    assert!(
        repeated.is_empty(),
        "delivered twice: {repeated:?}\n{}",
        stderr(&replicas)
    );
    assert!(hooked.len() <= expected.len() + 2, "{hooked:?}");
    wait_until(
        Duration::from_secs(10),
        "coverage after the take-overs",
        || coverage(survivor) == sizes(),
    );
}
