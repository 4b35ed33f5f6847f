//! The monitor against the local RFC 6962 log of test-support: real HTTP,
//! a real Merkle tree, signed heads, and the log misbehaving on purpose.

use std::sync::Arc;
use std::time::Duration;

use pinwarden_core::{HostPattern, SpkiPin};
use pinwarden_ct::monitor::alert::{Alert, Verdict};
use pinwarden_ct::monitor::evaluate::{Expectations, KnownIssuer, PinRule};
use pinwarden_ct::monitor::notify::JsonLines;
use pinwarden_ct::monitor::{LogSource, Monitor, MonitorConfig, MonitorError, Retry};
use pinwarden_ct::{LogClient, Watchlist, parse_log_list};
use pinwarden_test_support::{CtIssuers, CtLog, KeyKind, Misbehaviour};

struct World {
    log: CtLog,
    cas: CtIssuers,
}

impl World {
    fn new() -> Self {
        Self {
            log: CtLog::start(),
            cas: CtIssuers::new(),
        }
    }

    /// A certificate entry for `names` from the expected or the other CA.
    fn cert(&self, names: &[&str], expected: bool) -> u64 {
        self.cas.log_cert(&self.log, names, expected)
    }

    fn precert(&self, names: &[&str]) -> u64 {
        self.cas.log_precert(&self.log, names)
    }

    fn source(&self) -> LogSource {
        let logs = parse_log_list(self.log.log_list_json().as_bytes()).unwrap();
        let log = logs.into_iter().next().unwrap();
        LogSource {
            client: LogClient::new(&self.log.url).unwrap().into(),
            log,
        }
    }

    fn expectations(&self) -> Expectations {
        let pin = |spki: &[u8]| SpkiPin::from_spki_der(spki);
        let mut e = Expectations {
            pinsets: vec![PinRule {
                id: "api".to_owned(),
                hosts: vec!["api.example.com".parse::<HostPattern>().unwrap()],
                pins: vec![pin(&self.cas.root.spki)],
                apps: vec!["mobile".to_owned()],
            }],
            expected_issuers: vec![pin(&self.cas.root.spki), pin(&self.cas.issuing.spki)],
            expected_ca_names: vec!["Expected CA".to_owned()],
            ..Expectations::default()
        };
        e.known_issuers.insert(
            pin(&self.cas.other_issuing.spki),
            KnownIssuer {
                ca: "Other CA".to_owned(),
                caa: vec!["other.example".to_owned()],
            },
        );
        e
    }
}

fn config(dir: &std::path::Path) -> MonitorConfig {
    let mut c = MonitorConfig::new(dir.join("state"));
    c.batch_size = 16;
    c.requests_per_second = None;
    c.save_every = Duration::ZERO;
    c.retry = Retry {
        attempts: 6,
        base: Duration::from_millis(5),
        max: Duration::from_secs(2),
    };
    c
}

fn watchlist() -> Watchlist {
    Watchlist::parse(".example.com\nsolo.example.org\n").unwrap()
}

fn indices(alerts: &[Alert]) -> Vec<u64> {
    let mut v: Vec<u64> = alerts.iter().map(|a| a.entry_index).collect();
    v.sort_unstable();
    v
}

/// The coverage the monitor reports now, from its saved state.
fn coverage_now(monitor: &Monitor, source: &LogSource) -> pinwarden_ct::monitor::Coverage {
    rt().block_on(monitor.coverage(source)).unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Fills the log: noise, matches of every kind, more noise.
fn fill(w: &World) -> Vec<u64> {
    let mut expected = Vec::new();
    for i in 0..40 {
        w.cert(&[&format!("host{i}.unrelated.test")], true);
    }
    expected.push(w.cert(&["www.example.com"], true));
    expected.push(w.cert(&["api.example.com"], true));
    expected.push(w.cert(&["api.example.com"], false));
    expected.push(w.precert(&["deep.shop.example.com"]));
    expected.push(w.cert(&["*.example.org", "irrelevant.test"], true)); // covers solo.example.org
    w.cert(&["example.org"], true);
    w.cert(&["x.solo.example.org"], true);
    for i in 0..30 {
        w.cert(&[&format!("tail{i}.unrelated.test")], true);
    }
    w.log.publish();
    expected
}

#[test]
fn catches_up_verifies_and_reports_exactly_the_matches() {
    let w = World::new();
    let expected = fill(&w);
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("alerts.jsonl");
    let monitor = Monitor::new(config(dir.path()), watchlist(), w.expectations())
        .with_sink(Arc::new(JsonLines::open(jsonl.clone()).unwrap()));
    let rt = rt();
    let out = rt.block_on(monitor.round(&w.source())).unwrap();
    assert_eq!(out.entries, w.log.size());
    assert_eq!(indices(&out.alerts), expected);
    for a in &out.alerts {
        assert_eq!(a.verified_tree_size, w.log.size(), "{}", a.id);
    }

    let by_index = |i: u64| out.alerts.iter().find(|a| a.entry_index == i).unwrap();
    assert_eq!(by_index(expected[0]).verdict, Verdict::Discovered);
    assert_eq!(
        by_index(expected[1]).verdict,
        Verdict::Discovered,
        "pinned root in chain"
    );
    let breaking = by_index(expected[2]);
    assert_eq!(breaking.verdict, Verdict::WouldBreakPinset);
    assert!(
        breaking
            .findings
            .iter()
            .any(|f| f.pinset.as_deref() == Some("api") && f.apps == ["mobile"])
    );
    assert!(
        breaking
            .findings
            .iter()
            .any(|f| f.verdict == Verdict::UnexpectedIssuer && f.detail.contains("Other CA"))
    );
    assert_eq!(breaking.issuer_ca.as_deref(), Some("Other CA"));
    let pre = by_index(expected[3]);
    assert_eq!(pre.entry_type, pinwarden_ct::EntryKind::Precert);
    assert_eq!(pre.names, ["deep.shop.example.com"]);
    assert_eq!(pre.tbs_sha256.len(), 64);
    assert_eq!(by_index(expected[4]).watch_item, "solo.example.org");

    // The JSON lines file has each alert once.
    let lines = std::fs::read_to_string(&jsonl).unwrap();
    assert_eq!(lines.lines().count(), expected.len());

    // Nothing new: nothing reported. New entries: only they are.
    let again = rt.block_on(monitor.round(&w.source())).unwrap();
    assert!(again.alerts.is_empty());
    let new = w.cert(&["late.example.com"], true);
    w.cert(&["late.unrelated.test"], true);
    w.log.publish();
    let later = rt.block_on(monitor.round(&w.source())).unwrap();
    assert_eq!(indices(&later.alerts), vec![new]);
    assert_eq!(later.entries, 2);
    let coverage = coverage_now(&monitor, &w.source());
    assert_eq!(coverage.verified_size, w.log.size());
    assert!(coverage.gaps.is_empty());
    assert_eq!(coverage.last_error, None);
}

#[test]
fn a_precertificate_and_its_certificate_share_the_tbs_hash() {
    let w = World::new();
    let pre = w
        .cas
        .issuing
        .precert(&["twin.example.com"], KeyKind::EcdsaP256);
    w.log.add_precert(
        &pre.der,
        &w.cas.issuing.spki,
        std::slice::from_ref(&w.cas.issuing.der),
        1,
    );
    w.log
        .add_x509(&[pre.final_der, w.cas.issuing.der.clone()], 2);
    w.log.publish();
    let dir = tempfile::tempdir().unwrap();
    let monitor = Monitor::new(config(dir.path()), watchlist(), Expectations::default());
    let out = rt().block_on(monitor.round(&w.source())).unwrap();
    assert_eq!(out.alerts.len(), 2);
    assert_eq!(out.alerts[0].tbs_sha256, out.alerts[1].tbs_sha256);
    assert_ne!(out.alerts[0].cert_sha256, out.alerts[1].cert_sha256);
}

#[test]
fn short_answers_and_429s_cost_time_not_entries() {
    let w = World::new();
    let expected = fill(&w);
    w.log.misbehave(Misbehaviour {
        max_entries: Some(5),
        rate_limit_every: Some(4),
        ..Misbehaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let monitor = Monitor::new(config(dir.path()), watchlist(), Expectations::default());
    let out = rt().block_on(monitor.round(&w.source())).unwrap();
    assert_eq!(indices(&out.alerts), expected);
    let (_, get_entries, limited) = w.log.counters();
    assert!(limited > 0, "the log sent 429s");
    assert!(
        get_entries >= w.log.size() / 5,
        "short answers were completed"
    );
}

#[test]
fn a_bad_tree_head_signature_stops_the_round() {
    let w = World::new();
    fill(&w);
    w.log.misbehave(Misbehaviour {
        bad_signature: true,
        ..Misbehaviour::default()
    });
    w.log.publish();
    let dir = tempfile::tempdir().unwrap();
    let monitor = Monitor::new(config(dir.path()), watchlist(), Expectations::default());
    let err = rt().block_on(monitor.round(&w.source())).unwrap_err();
    assert!(matches!(err, MonitorError::BadTreeHead { .. }), "{err}");
    let coverage = coverage_now(&monitor, &w.source());
    assert_eq!(coverage.position, 0);
    assert!(coverage.last_error.unwrap().contains("signature"));
}

#[test]
fn entries_that_dont_make_the_signed_root_raise_no_alerts() {
    let w = World::new();
    let expected = fill(&w);
    w.log.misbehave(Misbehaviour {
        corrupt_entry: Some(expected[1]),
        ..Misbehaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("alerts.jsonl");
    let monitor = Monitor::new(config(dir.path()), watchlist(), Expectations::default())
        .with_sink(Arc::new(JsonLines::open(jsonl.clone()).unwrap()));
    let rt = rt();
    let err = rt.block_on(monitor.round(&w.source())).unwrap_err();
    assert!(matches!(err, MonitorError::Inconsistent { .. }), "{err}");
    assert!(!jsonl.exists(), "no unverified alert was delivered");
    let coverage = coverage_now(&monitor, &w.source());
    assert_eq!((coverage.verified_size, coverage.position), (0, 0));
    assert_eq!(coverage.gaps, vec![(0, w.log.size())]);

    // The log recovers: everything is found, once.
    w.log.misbehave(Misbehaviour::default());
    let out = rt.block_on(monitor.round(&w.source())).unwrap();
    assert_eq!(indices(&out.alerts), expected);
}

#[test]
fn a_rewritten_history_is_caught_by_the_consistency_proof() {
    let w = World::new();
    fill(&w);
    let dir = tempfile::tempdir().unwrap();
    let monitor = Monitor::new(config(dir.path()), watchlist(), Expectations::default());
    let rt = rt();
    rt.block_on(monitor.round(&w.source())).unwrap();
    let verified = w.log.size();
    // The log swaps an old entry for another certificate and grows.
    let leaf = w
        .cas
        .other_issuing
        .leaf(&["evil.example.com"], KeyKind::EcdsaP256);
    w.log
        .rewrite(3, pinwarden_ct::encode_x509_leaf(1, &leaf.der));
    w.cert(&["new.example.com"], true);
    w.log.publish();
    let err = rt.block_on(monitor.round(&w.source())).unwrap_err();
    assert!(matches!(err, MonitorError::Inconsistent { .. }), "{err}");
    assert!(err.to_string().contains("not consistent"), "{err}");
    assert_eq!(coverage_now(&monitor, &w.source()).verified_size, verified);
}

#[test]
fn the_client_speaks_every_rfc6962_read_endpoint() {
    use pinwarden_ct::{LogKey, leaf_hash, verify_consistency, verify_inclusion};
    let w = World::new();
    for i in 0..13 {
        w.cert(&[&format!("h{i}.example.com")], true);
    }
    w.log.publish();
    let client = LogClient::new(&w.log.url).unwrap();
    let key = LogKey::from_base64(&w.log.key_base64).unwrap();
    let rt = rt();
    let first = rt.block_on(client.get_sth()).unwrap();
    first.verify(&key).unwrap();
    for i in 0..22 {
        w.cert(&[&format!("later{i}.example.com")], true);
    }
    w.log.publish();
    let second = rt.block_on(client.get_sth()).unwrap();
    second.verify(&key).unwrap();
    assert_eq!((first.tree_size, second.tree_size), (13, 35));

    let proof = rt
        .block_on(client.get_sth_consistency(first.tree_size, second.tree_size))
        .unwrap();
    verify_consistency(
        13,
        35,
        &first.root().unwrap(),
        &second.root().unwrap(),
        &proof,
    )
    .unwrap();
    let wrong = verify_consistency(13, 35, &[0; 32], &second.root().unwrap(), &proof);
    assert!(wrong.is_err());

    let entries = rt.block_on(client.get_entries(20, 24)).unwrap();
    assert_eq!(entries.len(), 5);
    let hash = leaf_hash(&entries[2].leaf_input);
    let (index, path) = rt.block_on(client.get_proof_by_hash(&hash, 35)).unwrap();
    assert_eq!(index, 22);
    verify_inclusion(22, 35, &hash, &path, &second.root().unwrap()).unwrap();
    assert!(verify_inclusion(21, 35, &hash, &path, &second.root().unwrap()).is_err());

    // A request past the tree is the log's 400, reported with the URL.
    let err = rt.block_on(client.get_entries(35, 40)).unwrap_err();
    assert!(err.to_string().contains("get-entries?start=35"), "{err}");
    assert!(!err.is_transient());
}

#[test]
fn the_request_budget_spaces_requests() {
    let budget = pinwarden_ct::monitor::Budget::new(Some(50.0));
    let rt = rt();
    let started = std::time::Instant::now();
    rt.block_on(async {
        for _ in 0..6 {
            budget.acquire().await;
        }
    });
    // Six requests at 50 a second: the sixth waits five spacings (100 ms).
    assert!(
        started.elapsed() >= Duration::from_millis(95),
        "{:?}",
        started.elapsed()
    );
    // Absurd rates don't panic.
    for rate in [1e-300, f64::MIN_POSITIVE, f64::INFINITY, f64::NAN, -1.0] {
        let _ = pinwarden_ct::monitor::Budget::new(Some(rate));
    }
    let unlimited = pinwarden_ct::monitor::Budget::new(None);
    let started = std::time::Instant::now();
    rt.block_on(async {
        for _ in 0..1000 {
            unlimited.acquire().await;
        }
    });
    assert!(started.elapsed() < Duration::from_millis(90));
}

#[test]
fn an_endless_answer_is_refused_not_held() {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut request = [0u8; 2048];
        let _ = stream.read(&mut request);
        // Claims 1 GiB; the client must stop long before.
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1073741824\r\n\r\n");
        let zeros = vec![b'0'; 1 << 20];
        for _ in 0..1024 {
            if stream.write_all(&zeros).is_err() {
                return;
            }
        }
    });
    let client = LogClient::new(&url).unwrap();
    let err = rt().block_on(client.get_sth()).unwrap_err();
    assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
}
