//! static-ct-api: checkpoints (a real log's and malformed ones), tile
//! paths, the tiled client, and the monitor end to end against the local
//! tiled log of test-support.

use std::sync::Arc;
use std::time::Duration;

use pinwarden_ct::monitor::alert::Alert;
use pinwarden_ct::monitor::evaluate::Expectations;
use pinwarden_ct::monitor::notify::JsonLines;
use pinwarden_ct::monitor::{LogApi, LogSource, Monitor, MonitorConfig, MonitorError, Retry};
use pinwarden_ct::{
    Api, Checkpoint, CheckpointError, CompactRange, EntryKind, LogKey, TiledClient, Watchlist,
    data_tile_path, leaf_hash, origin_of, parse_leaf, parse_log_list, rfc6962_key_id,
    signature_line, tile_index_path, tile_path,
};
use pinwarden_test_support::{Ca, CtIssuers, CtTiledLog, KeyKind, TiledMisbehaviour};

// A checkpoint of Filippo Valsorda's Rome 2024h1 log (a Sunlight
// static-ct-api log) and the log's key, as used in the test vectors of
// transparency-dev/formats, note/note_rfc6962_test.go (Apache-2.0):
// https://github.com/transparency-dev/formats/blob/main/note/note_rfc6962_test.go
const ROME_CHECKPOINT: &str = "rome.ct.filippo.io/2024h1\n115474666\n2q1K6aiIJR+F7TyhiWOghoWOjY0/3dVBLsBbAvB4xCw=\n\n\u{2014} rome.ct.filippo.io/2024h1 ePSrrgAAAY5+gVlSBAMARzBFAiEAv8bOMzo3Ed/GbU9fzzJvaStX6i8xTsmEF+NqvpGhIO0CIEn1X+zzVEerdix64GEn97XCXObA2G5JQ8UDDqCKdG5m\n";
const ROME_SUBMISSION_URL: &str = "https://rome.ct.filippo.io/2024h1/";
const ROME_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEAXM8Ld9qn64g1zVFDh5FtgxS3zj5sqQDwYMs3wrBV3MCBiFhK/iRLxdKF4YsAcJaEglMlu4Lewvzxs0xO2uwEw==";

#[test]
fn a_real_logs_checkpoint_verifies() {
    let key = LogKey::from_base64(ROME_KEY).unwrap();
    let origin = origin_of(ROME_SUBMISSION_URL);
    assert_eq!(origin, "rome.ct.filippo.io/2024h1");
    // The key ID transparency-dev/formats derives for this log: 78f4abae.
    assert_eq!(rfc6962_key_id(&origin, &key.log_id()), 0x78f4_abae);
    let cp = Checkpoint::parse(ROME_CHECKPOINT.as_bytes()).unwrap();
    let sth = cp.verify(&origin, &key).unwrap();
    assert_eq!(sth.tree_size, 115_474_666);
    assert_eq!(
        sth.sha256_root_hash,
        "2q1K6aiIJR+F7TyhiWOghoWOjY0/3dVBLsBbAvB4xCw="
    );
    // The RFC6962NoteSignature's timestamp: 2024-03-27T06:03:10.034Z.
    assert_eq!(sth.timestamp, 1_711_519_390_034);
    // The same head converted back verifies as a get-sth answer would.
    sth.verify(&key).unwrap();

    // One entry more, same signature: refused.
    let forged = ROME_CHECKPOINT.replace("115474666", "115474667");
    let err = Checkpoint::parse(forged.as_bytes())
        .unwrap()
        .verify(&origin, &key)
        .unwrap_err();
    assert!(matches!(err, CheckpointError::Signature(_)), "{err}");
    // Another origin (the log's name is not what the list says): refused.
    let err = Checkpoint::parse(format!("B0rked{ROME_CHECKPOINT}").as_bytes())
        .unwrap()
        .verify(&origin, &key)
        .unwrap_err();
    assert!(matches!(err, CheckpointError::WrongOrigin { .. }), "{err}");
}

/// The local log's checkpoint, its origin and key.
fn local_checkpoint() -> (CtTiledLog, String, LogKey) {
    let log = CtTiledLog::start();
    let root = Ca::root("Root", KeyKind::EcdsaP256);
    let leaf = root.leaf(&["a.example.com"], KeyKind::EcdsaP256);
    log.add_x509(&[leaf.der, root.der], 1);
    log.publish();
    let key = LogKey::from_base64(&log.key_base64).unwrap();
    let text = log.checkpoint();
    (log, text, key)
}

#[test]
fn the_log_signature_is_found_among_witness_cosignatures() {
    let (log, text, key) = local_checkpoint();
    let cp = Checkpoint::parse(text.as_bytes()).unwrap();
    assert_eq!(cp.signatures.len(), 2, "the local log adds a witness line");
    assert_eq!(cp.signatures[0].name, "witness.pinwarden.invalid/w1");
    let sth = cp.verify(&log.origin, &key).unwrap();
    assert_eq!(sth.tree_size, 1);
    assert_eq!(
        sth.sha256_root_hash,
        base64_of(&log.root(1)),
        "the root line is the tree's"
    );

    // Only the witness's signature: refused, naming what was there.
    let lines: Vec<&str> = text.lines().collect();
    let witness_only = format!("{}\n{}\n{}\n\n{}\n", lines[0], lines[1], lines[2], lines[4]);
    let err = Checkpoint::parse(witness_only.as_bytes())
        .unwrap()
        .verify(&log.origin, &key)
        .unwrap_err();
    assert!(matches!(err, CheckpointError::Unsigned { .. }), "{err}");
    assert!(
        err.to_string().contains("witness.pinwarden.invalid/w1"),
        "{err}"
    );

    // The log's name with another key ID is another key: ignored, so
    // still unsigned. The log's name and key ID with a bad signature is
    // the log's signature failing: refused as such.
    let sig = b64(lines[5].rsplit(' ').next().unwrap());
    // The note body with only the log's signature line, `flip` applied to
    // its key-ID-and-signature bytes.
    let resigned = |flip: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = sig.clone();
        flip(&mut bytes);
        let id = u32::from_be_bytes(bytes[..4].try_into().unwrap());
        let line = signature_line(&log.origin, id, &bytes[4..]);
        let note = format!("{}\n{}\n{}\n\n{line}", lines[0], lines[1], lines[2]);
        Checkpoint::parse(note.as_bytes())
            .unwrap()
            .verify(&log.origin, &key)
            .unwrap_err()
    };
    let err = resigned(&|b| b[0] ^= 1);
    assert!(matches!(err, CheckpointError::Unsigned { .. }), "{err}");
    let err = resigned(&|b| {
        let last = b.len() - 1;
        b[last] ^= 1;
    });
    assert!(matches!(err, CheckpointError::Signature(_)), "{err}");
}

#[test]
fn another_logs_key_or_origin_is_refused() {
    let (log, text, _) = local_checkpoint();
    let other = CtTiledLog::start();
    let other_key = LogKey::from_base64(&other.key_base64).unwrap();
    let cp = Checkpoint::parse(text.as_bytes()).unwrap();
    let err = cp.verify(&log.origin, &other_key).unwrap_err();
    assert!(matches!(err, CheckpointError::Unsigned { .. }), "{err}");
    let own = LogKey::from_base64(&log.key_base64).unwrap();
    let err = cp.verify(&other.origin, &own).unwrap_err();
    assert!(matches!(err, CheckpointError::WrongOrigin { .. }), "{err}");
}

#[test]
fn every_malformation_is_refused_with_a_reason() {
    let (log, text, key) = local_checkpoint();
    let lines: Vec<&str> = text.lines().collect();
    let (origin, size, root, witness, sig) = (lines[0], lines[1], lines[2], lines[4], lines[5]);
    let note = |o: &str, s: &str, r: &str, sigs: &str| format!("{o}\n{s}\n{r}\n\n{sigs}\n");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "does not end with a newline"),
        (
            "no final newline",
            text.trim_end().as_bytes().to_vec(),
            "does not end with a newline",
        ),
        (
            "unsigned",
            format!("{origin}\n{size}\n{root}\n").into_bytes(),
            "no blank line",
        ),
        (
            "blank line, no signatures",
            format!("{origin}\n{size}\n{root}\n\n").into_bytes(),
            "no signature lines",
        ),
        (
            "two lines",
            format!("{origin}\n{size}\n\n{sig}\n").into_bytes(),
            "2 line(s)",
        ),
        (
            "empty origin",
            note("", size, root, sig).into_bytes(),
            "origin line: empty",
        ),
        (
            "leading zero",
            note(origin, &format!("0{size}"), root, sig).into_bytes(),
            "leading zero",
        ),
        (
            "negative size",
            note(origin, "-1", root, sig).into_bytes(),
            "not a decimal number",
        ),
        (
            "size with a space",
            note(origin, "1 ", root, sig).into_bytes(),
            "not a decimal number",
        ),
        (
            "size overflows",
            note(origin, "18446744073709551616", root, sig).into_bytes(),
            "tree size line",
        ),
        (
            "root not base64",
            note(origin, size, "@@@@", sig).into_bytes(),
            "not base64",
        ),
        (
            "short root",
            note(origin, size, "AAAA", sig).into_bytes(),
            "3 bytes, not a 32-byte",
        ),
        (
            "hyphen, not em dash",
            note(origin, size, root, &sig.replacen('\u{2014}', "-", 1)).into_bytes(),
            "em dash",
        ),
        (
            "no signature after the name",
            note(origin, size, root, &format!("\u{2014} {origin}")).into_bytes(),
            "no space between key name and signature",
        ),
        (
            "empty key name",
            note(origin, size, root, "\u{2014}  AAAAAAA=").into_bytes(),
            "empty key name",
        ),
        (
            "plus in the key name",
            note(origin, size, root, &sig.replacen(origin, "a+b", 1)).into_bytes(),
            "plus sign",
        ),
        (
            "signature not base64",
            note(origin, size, root, &format!("\u{2014} {origin} !!!")).into_bytes(),
            "signature is not base64",
        ),
        (
            "signature shorter than a key ID",
            note(origin, size, root, &format!("\u{2014} {origin} AAA=")).into_bytes(),
            "too short for a key ID",
        ),
        (
            "a key ID, no signature",
            note(origin, size, root, &format!("\u{2014} {origin} AAAAAA==")).into_bytes(),
            "no signature",
        ),
        (
            "carriage returns",
            text.replace('\n', "\r\n").into_bytes(),
            "control character 0x0d",
        ),
        (
            "a tab",
            note(&format!("{origin}\t"), size, root, sig).into_bytes(),
            "control character 0x09",
        ),
        (
            "not UTF-8",
            [&[0xff, b'\n'][..], text.as_bytes()].concat(),
            "not UTF-8",
        ),
        (
            "an empty extension line",
            format!("{origin}\n{size}\n{root}\next\n\nmore\n\n{sig}\n").into_bytes(),
            "extension line 2: empty",
        ),
        (
            "a blank line among signatures",
            format!("{origin}\n{size}\n{root}\n\n{witness}\n\n{sig}\n").into_bytes(),
            "extension line",
        ),
    ];
    for (what, bytes, reason) in cases {
        let err = match Checkpoint::parse(&bytes) {
            Ok(cp) => panic!("{what}: accepted as {cp:?}"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(reason),
            "{what}: {err:?} should say {reason:?}"
        );
    }

    // Extension lines parse, but the log's RFC 6962 signature can't cover
    // them (static-ct-api: "MUST NOT include any extension lines").
    let with_ext = format!("{origin}\n{size}\n{root}\nextension\n\n{sig}\n");
    let cp = Checkpoint::parse(with_ext.as_bytes()).unwrap();
    assert_eq!(cp.extensions, ["extension"]);
    let err = cp.verify(&log.origin, &key).unwrap_err();
    assert!(err.to_string().contains("extension lines"), "{err}");

    // A signature body too short for the timestamp.
    let short = note(
        origin,
        size,
        root,
        signature_line(origin, rfc6962_key_id(origin, &key.log_id()), &[1, 2, 3]).trim_end(),
    );
    let err = Checkpoint::parse(short.as_bytes())
        .unwrap()
        .verify(&log.origin, &key)
        .unwrap_err();
    assert!(
        err.to_string().contains("too short for a timestamp"),
        "{err}"
    );
}

#[test]
fn tile_paths_as_the_spec_writes_them() {
    // c2sp.org/tlog-tiles: "index 1234067 will be encoded as x001/x234/067".
    assert_eq!(tile_index_path(1_234_067), "x001/x234/067");
    assert_eq!(tile_index_path(0), "000");
    assert_eq!(tile_index_path(67), "067");
    assert_eq!(tile_index_path(1_000_000), "x001/x000/000");
    assert_eq!(tile_path(0, 1_234_067, 256), "tile/0/x001/x234/067");
    // static-ct-api: a tree of 70,000 has a partial level-0 tile of width
    // 112 (index 273), a partial level-1 tile of 17, a level-2 tile of 1.
    assert_eq!(tile_path(0, 273, 112), "tile/0/273.p/112");
    assert_eq!(tile_path(1, 1, 17), "tile/1/001.p/17");
    assert_eq!(tile_path(2, 0, 1), "tile/2/000.p/1");
    assert_eq!(data_tile_path(273, 112), "tile/data/273.p/112");
    assert_eq!(data_tile_path(1_234_067, 256), "tile/data/x001/x234/067");
}

fn b64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
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

/// A log and the CAs its entries come from.
struct World {
    log: CtTiledLog,
    cas: CtIssuers,
}

impl World {
    fn new() -> Self {
        Self {
            log: CtTiledLog::start(),
            cas: CtIssuers::new(),
        }
    }

    fn noise(&self, n: usize) {
        self.cas.log_noise(&self.log, n);
    }

    fn cert(&self, names: &[&str]) -> u64 {
        self.cas.log_cert(&self.log, names, true)
    }

    fn precert(&self, names: &[&str]) -> u64 {
        self.cas.log_precert(&self.log, names)
    }

    fn source(&self) -> LogSource {
        let logs = parse_log_list(self.log.log_list_json().as_bytes()).unwrap();
        let log = logs.into_iter().next().unwrap();
        assert!(matches!(log.api, Api::Tiled { .. }));
        LogSource::new(log).unwrap()
    }

    fn client(&self) -> TiledClient {
        TiledClient::new(&self.log.monitoring_url, &self.log.submission_url).unwrap()
    }
}

/// Noise across a tile boundary with matches of both kinds in it.
fn fill(w: &World) -> Vec<u64> {
    let mut expected = Vec::new();
    w.noise(200);
    expected.push(w.cert(&["www.example.com"]));
    w.noise(70);
    expected.push(w.precert(&["pre.shop.example.com"])); // in tile 1
    w.cert(&["example.com.unrelated.test"]);
    expected.push(w.cert(&["solo.example.org", "other.test"]));
    w.noise(30);
    w.log.publish();
    expected
}

fn config(dir: &std::path::Path) -> MonitorConfig {
    let mut c = MonitorConfig::new(dir.join("state"));
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

#[test]
fn the_client_reads_tiles_that_make_the_checkpoint() {
    let w = World::new();
    fill(&w);
    let size = w.log.size();
    assert_eq!(size, 304);
    let client = w.client();
    let rt = rt();
    rt.block_on(async {
        let key = LogKey::from_base64(&w.log.key_base64).unwrap();
        let sth = client
            .checkpoint()
            .await
            .unwrap()
            .verify(client.origin(), &key)
            .unwrap();
        assert_eq!(sth.tree_size, size);

        // Level 0: a full tile and a partial one of 48; level 1: a partial
        // tile of 1, the root of the first full level-0 tile.
        let full = client.hash_tile(0, 0, 256).await.unwrap();
        let partial = client.hash_tile(0, 1, 48).await.unwrap();
        let level1 = client.hash_tile(1, 0, 1).await.unwrap();
        let mut first = CompactRange::new();
        full.iter().for_each(|h| first.append(*h));
        assert_eq!(level1, [first.root()]);
        let mut all = CompactRange::new();
        full.iter().chain(&partial).for_each(|h| all.append(*h));
        assert_eq!(base64_of(&all.root()), sth.sha256_root_hash);

        // Data tiles hash to the level-0 tiles; entries carry their index.
        let leaves = client.data_tile(1, 48).await.unwrap();
        assert_eq!(leaves.len(), 48);
        for (i, leaf) in leaves.iter().enumerate() {
            assert_eq!(leaf_hash(&leaf.merkle_tree_leaf), partial[i]);
            assert_eq!(leaf.leaf_index, Some(256 + i as u64));
        }
        // Entries as get-entries would serve them, issuers fetched once.
        let entries = client.entries(270, 303).await.unwrap();
        assert_eq!(entries.len(), 34);
        let pre = parse_leaf(&entries[1].leaf_input).unwrap();
        assert_eq!(pre.kind, EntryKind::Precert);
        let extra =
            pinwarden_ct::parse_extra_data(EntryKind::Precert, &entries[1].extra_data).unwrap();
        assert_eq!(extra.chain, [&w.cas.issuing.der[..], &w.cas.root.der[..]]);
        assert!(extra.precertificate.is_some());
        let (_, _, issuer_fetches, _) = w.log.counters();
        assert_eq!(issuer_fetches, 2, "two issuers, each fetched once");

        // The log grows and drops the partial tiles it no longer needs:
        // the client falls back to the full tile and takes what it asked.
        w.noise(300);
        w.log.publish();
        w.log.misbehave(TiledMisbehaviour {
            drop_partial_tiles: true,
            ..TiledMisbehaviour::default()
        });
        assert_eq!(client.hash_tile(0, 1, 48).await.unwrap(), partial);
        assert_eq!(client.data_tile(1, 48).await.unwrap(), leaves);

        // Asking across tiles, or for a tile wider than 256, is refused.
        assert!(client.entries(250, 260).await.is_err());
        assert!(client.hash_tile(0, 0, 257).await.is_err());
        // Beyond the checkpoint: the log has no such tile.
        assert!(client.data_tile(3, 1).await.is_err());
    });
}

#[test]
fn the_monitor_finds_exactly_the_matches_in_a_tiled_log() {
    let w = World::new();
    let expected = fill(&w);
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("alerts.jsonl");
    let monitor = Monitor::new(config(dir.path()), watchlist(), Expectations::default())
        .with_sink(Arc::new(JsonLines::open(jsonl.clone()).unwrap()));
    let source = w.source();
    assert!(matches!(source.client, LogApi::Tiled(_)));
    let rt = rt();
    let out = rt.block_on(monitor.round(&source)).unwrap();
    assert_eq!(out.entries, w.log.size());
    assert_eq!(indices(&out.alerts), expected);
    let kinds: Vec<EntryKind> = out.alerts.iter().map(|a| a.entry_type).collect();
    assert!(kinds.contains(&EntryKind::Precert) && kinds.contains(&EntryKind::X509));
    for a in &out.alerts {
        assert_eq!(a.verified_tree_size, w.log.size());
        assert_eq!(a.log_uri, w.log.monitoring_url);
        assert_eq!(a.chain_pins.len(), 2, "issuers from the issuer endpoint");
    }
    let pre = out
        .alerts
        .iter()
        .find(|a| a.entry_type == EntryKind::Precert)
        .unwrap();
    assert_eq!(pre.names, ["pre.shop.example.com"]);
    assert_eq!(pre.tbs_sha256.len(), 64);
    assert_eq!(pre.cert_sha256.len(), 64, "from the precertificate");
    let coverage = coverage_now(&monitor, &source);
    assert_eq!(coverage.verified_size, w.log.size());
    assert_eq!(coverage.position, w.log.size());
    assert!(coverage.gaps.is_empty());
    assert_eq!(
        std::fs::read_to_string(&jsonl).unwrap().lines().count(),
        expected.len()
    );

    // The partial tile fills up and a new one starts: the monitor resumes
    // mid-tile, and only the new match is reported.
    w.noise(250);
    let new = w.cert(&["late.example.com"]);
    w.noise(3);
    w.log.publish();
    let later = rt.block_on(monitor.round(&source)).unwrap();
    assert_eq!(indices(&later.alerts), vec![new]);
    assert_eq!(later.entries, 254);
    let coverage = coverage_now(&monitor, &source);
    assert_eq!(coverage.verified_size, w.log.size());
    assert_eq!(coverage.last_error, None);
}

#[test]
fn a_bad_checkpoint_signature_stops_the_round_without_alerts() {
    let w = World::new();
    w.log.misbehave(TiledMisbehaviour {
        bad_signature: true,
        ..TiledMisbehaviour::default()
    });
    fill(&w);
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("alerts.jsonl");
    let monitor = Monitor::new(config(dir.path()), watchlist(), Expectations::default())
        .with_sink(Arc::new(JsonLines::open(jsonl.clone()).unwrap()));
    let err = rt().block_on(monitor.round(&w.source())).unwrap_err();
    assert!(matches!(err, MonitorError::BadTreeHead { .. }), "{err}");
    assert!(err.to_string().contains("signature"), "{err}");
    assert_eq!(std::fs::read_to_string(&jsonl).unwrap_or_default(), "");
    let coverage = coverage_now(&monitor, &w.source());
    assert_eq!(coverage.verified_size, 0);
    assert!(coverage.last_error.is_some());
    let (_, data_tiles, _, _) = w.log.counters();
    assert_eq!(data_tiles, 0, "no entry is read under an unverified head");
}

#[test]
fn a_data_tile_that_doesnt_make_the_tree_raises_no_alerts() {
    let w = World::new();
    let expected = fill(&w);
    w.log.misbehave(TiledMisbehaviour {
        corrupt_entry: Some(expected[0] + 1),
        ..TiledMisbehaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("alerts.jsonl");
    let monitor = Monitor::new(config(dir.path()), watchlist(), Expectations::default())
        .with_sink(Arc::new(JsonLines::open(jsonl.clone()).unwrap()));
    let rt = rt();
    let err = rt.block_on(monitor.round(&w.source())).unwrap_err();
    assert!(matches!(err, MonitorError::Inconsistent { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&jsonl).unwrap_or_default(), "");
    let coverage = coverage_now(&monitor, &w.source());
    assert_eq!(coverage.verified_size, 0);
    assert_eq!(coverage.pending_alerts, 0, "unverified matches are dropped");

    // The log mends its ways: everything is found, once.
    w.log.misbehave(TiledMisbehaviour::default());
    let out = rt.block_on(monitor.round(&w.source())).unwrap();
    assert_eq!(indices(&out.alerts), expected);
}

#[test]
fn a_rewritten_history_is_caught_without_a_consistency_proof() {
    // Tiled logs serve no consistency proofs: the monitor relies on
    // rebuilding the new root on top of the verified entries.
    let w = World::new();
    let expected = fill(&w);
    let dir = tempfile::tempdir().unwrap();
    let monitor = Monitor::new(config(dir.path()), watchlist(), Expectations::default());
    let rt = rt();
    let out = rt.block_on(monitor.round(&w.source())).unwrap();
    assert_eq!(indices(&out.alerts), expected);
    let verified = w.log.size();

    w.log.rewrite(10);
    w.cert(&["after.example.com"]);
    w.log.publish();
    let err = rt.block_on(monitor.round(&w.source())).unwrap_err();
    assert!(matches!(err, MonitorError::Inconsistent { .. }), "{err}");
    let coverage = coverage_now(&monitor, &w.source());
    assert_eq!(coverage.verified_size, verified, "the fork is not accepted");
    assert_eq!(
        coverage.position, verified,
        "entries after it are discarded"
    );
    assert_eq!(coverage.pending_alerts, 0);
}

#[test]
fn rate_limits_cost_time_not_entries() {
    let w = World::new();
    let expected = fill(&w);
    w.log.misbehave(TiledMisbehaviour {
        rate_limit_every: Some(3),
        ..TiledMisbehaviour::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let monitor = Monitor::new(config(dir.path()), watchlist(), Expectations::default());
    let out = rt().block_on(monitor.round(&w.source())).unwrap();
    assert_eq!(indices(&out.alerts), expected);
    let (_, _, _, limited) = w.log.counters();
    assert!(limited > 0, "the log did rate-limit");
}

#[test]
fn every_truncation_or_flipped_byte_of_a_data_tile_is_handled() {
    let w = World::new();
    w.precert(&["a.example.com"]);
    w.cert(&["b.example.com"]);
    w.log.publish();
    let client = w.client();
    let rt = rt();
    let leaves = rt.block_on(client.data_tile(0, 2)).unwrap();
    // Re-encode the tile as the log serves it: TimestampedEntry, then the
    // precertificate, then the fingerprints.
    let mut tile = Vec::new();
    let mut boundaries = Vec::new();
    for leaf in &leaves {
        tile.extend_from_slice(&leaf.merkle_tree_leaf[2..]);
        if let Some(pre) = &leaf.pre_certificate {
            tile.extend_from_slice(&(pre.len() as u32).to_be_bytes()[1..]);
            tile.extend_from_slice(pre);
        }
        tile.extend_from_slice(&((leaf.chain.len() * 32) as u16).to_be_bytes());
        leaf.chain.iter().for_each(|h| tile.extend_from_slice(h));
        boundaries.push(tile.len());
    }
    assert_eq!(pinwarden_ct::parse_data_tile(&tile, 0).unwrap(), leaves);
    let first_len = boundaries[0];
    for cut in 1..tile.len() {
        // Cutting exactly between the two entries leaves one whole entry.
        match pinwarden_ct::parse_data_tile(&tile[..cut], 0) {
            Ok(got) => assert_eq!((cut, got.len()), (first_len, 1)),
            Err(e) => assert!(e.starts_with("entry "), "{e}"),
        }
    }
    for i in 0..tile.len() {
        let mut bad = tile.clone();
        bad[i] ^= 0xff;
        let _ = pinwarden_ct::parse_data_tile(&bad, 0);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
        let _ = pinwarden_ct::parse_data_tile(&bytes, 0);
        let _ = Checkpoint::parse(&bytes);
    }

    #[test]
    fn arbitrary_notes_never_panic(text in "[a-z0-9/+=\n \u{2014}]{0,200}") {
        let _ = Checkpoint::parse(text.as_bytes());
    }
}
