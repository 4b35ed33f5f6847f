//! A local static-ct-api log (c2sp.org/static-ct-api): a real Merkle tree
//! over real entries, an ECDSA P-256 signed checkpoint (with a witness
//! co-signature beside the log's, which clients must ignore), full and
//! partial hash and data tiles (data tiles gzipped without negotiation, as
//! the spec allows), issuers by fingerprint, all over HTTP on 127.0.0.1;
//! and switchable misbehaviour: a bad checkpoint signature, a data tile
//! whose entry doesn't hash to the tree, 429s, partial tiles gone.
//!
//! The submission prefix is `http://127.0.0.1:PORT/log/` (so the checkpoint
//! origin is `127.0.0.1:PORT/log`) and the monitoring prefix
//! `http://127.0.0.1:PORT/mon/`: different, as they often are in practice.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pinwarden_ct::{Hash, leaf_hash, node_hash, rfc6962_key_id, signature_line};
use ring::rand::{SecureRandom as _, SystemRandom};
use sha2::{Digest as _, Sha256};

use crate::ct_common::{LogKey, RateLimit, Served, bind};

/// Misbehaviour to switch on.
#[derive(Clone, Debug, Default)]
pub struct TiledMisbehaviour {
    /// Sign checkpoints with a corrupted signature (at the next publish).
    pub bad_signature: bool,
    /// Serve this entry in its data tile with a flipped byte inside the
    /// certificate, so it no longer hashes to the tree.
    pub corrupt_entry: Option<u64>,
    /// Answer every n-th request with 429 and `Retry-After: 1`.
    pub rate_limit_every: Option<u64>,
    /// Answer 404 for a partial tile whose full tile exists (logs may
    /// delete those); clients must fall back to the full tile.
    pub drop_partial_tiles: bool,
}

const WIDTH: u64 = 256;

#[derive(Debug, Default)]
struct Tree {
    /// Each entry's `TileLeaf` bytes.
    leaves: Vec<Vec<u8>>,
    /// Each entry's RFC 6962 `MerkleTreeLeaf`, as hashed.
    merkle_leaves: Vec<Vec<u8>>,
    /// levels[h][i]: root of the perfect subtree of 2^h leaves at i·2^h.
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    fn push(&mut self, tile_leaf: Vec<u8>, merkle_tree_leaf: Vec<u8>) {
        self.leaves.push(tile_leaf);
        let mut node = leaf_hash(&merkle_tree_leaf);
        self.merkle_leaves.push(merkle_tree_leaf);
        let mut h = 0;
        loop {
            if self.levels.len() == h {
                self.levels.push(Vec::new());
            }
            self.levels[h].push(node);
            let n = self.levels[h].len();
            if !n.is_multiple_of(2) {
                break;
            }
            node = node_hash(&self.levels[h][n - 2], &self.levels[h][n - 1]);
            h += 1;
        }
    }

    /// RFC 6962 MTH of the first `size` leaves.
    fn root(&self, size: u64) -> Hash {
        if size == 0 {
            return Sha256::digest([]).into();
        }
        // Perfect subtrees left to right, folded right to left.
        let mut nodes = Vec::new();
        let mut start = 0u64;
        for h in (0..64).rev() {
            if size & (1 << h) != 0 {
                nodes.push(self.levels[h][(start >> h) as usize]);
                start += 1 << h;
            }
        }
        let mut iter = nodes.into_iter().rev();
        let last = iter.next().unwrap_or_default();
        iter.fold(last, |right, left| node_hash(&left, &right))
    }
}

struct Published {
    size: u64,
    checkpoint: String,
}

struct Inner {
    key: LogKey,
    origin: String,
    log_id: Hash,
    tree: RwLock<Tree>,
    issuers: RwLock<HashMap<String, Vec<u8>>>,
    published: RwLock<Published>,
    misbehaviour: RwLock<TiledMisbehaviour>,
    rate: RateLimit,
    data_tiles: AtomicU64,
    issuer_fetches: AtomicU64,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CtTiledLog")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// A running local static-ct-api log. Dropping it stops the server.
#[derive(Debug)]
pub struct CtTiledLog {
    /// The monitoring prefix, `http://127.0.0.1:PORT/mon/`.
    pub monitoring_url: String,
    /// The submission prefix, `http://127.0.0.1:PORT/log/` (nothing is
    /// served there: entries are added directly).
    pub submission_url: String,
    /// The checkpoint origin and key name, `127.0.0.1:PORT/log`.
    pub origin: String,
    /// The log's public key: base64 of its DER SubjectPublicKeyInfo.
    pub key_base64: String,
    /// The log id: SHA-256 of that SPKI.
    pub log_id: [u8; 32],
    inner: Arc<Inner>,
    _server: Served,
}

fn push_uint(out: &mut Vec<u8>, value: u64, n: usize) {
    out.extend_from_slice(&value.to_be_bytes()[8 - n..]);
}

fn push_vector(out: &mut Vec<u8>, bytes: &[u8], n: usize) {
    push_uint(out, bytes.len() as u64, n);
    out.extend_from_slice(bytes);
}

impl CtTiledLog {
    /// Starts an empty log on 127.0.0.1 in its own thread, with an empty
    /// checkpoint published.
    pub fn start() -> Self {
        let key = LogKey::generate();
        let spki = key.spki.clone();
        let log_id = key.log_id;
        let (listener, addr) = bind();
        let origin = format!("{addr}/log");
        let inner = Arc::new(Inner {
            key,
            origin: origin.clone(),
            log_id,
            tree: RwLock::new(Tree::default()),
            issuers: RwLock::new(HashMap::new()),
            published: RwLock::new(Published {
                size: 0,
                checkpoint: String::new(),
            }),
            misbehaviour: RwLock::new(TiledMisbehaviour::default()),
            rate: RateLimit::default(),
            data_tiles: AtomicU64::new(0),
            issuer_fetches: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/mon/checkpoint", get(checkpoint))
            .route("/mon/tile/{*path}", get(tile))
            .route("/mon/issuer/{fingerprint}", get(issuer))
            .with_state(inner.clone());
        let server = Served::start(listener, app);
        let log = Self {
            monitoring_url: format!("http://{addr}/mon/"),
            submission_url: format!("http://{addr}/log/"),
            origin,
            key_base64: STANDARD.encode(&spki),
            log_id,
            inner,
            _server: server,
        };
        log.publish();
        log
    }

    fn add_issuers(&self, issuers: &[Vec<u8>]) -> Vec<u8> {
        let mut fingerprints = Vec::with_capacity(issuers.len() * 32);
        let mut map = self.inner.issuers.write().expect("issuers lock");
        for der in issuers {
            let fp: Hash = Sha256::digest(der).into();
            fingerprints.extend_from_slice(&fp);
            map.insert(hex(&fp), der.clone());
        }
        fingerprints
    }

    /// Appends an entry: the `TimestampedEntry` (timestamp, `signed_entry`
    /// with its type, a `leaf_index` extension), then for a precert the
    /// precertificate, then the issuers' fingerprints.
    fn append(&self, timestamp: u64, signed_entry: &[u8], pre: Option<&[u8]>, chain: &[u8]) -> u64 {
        let mut tree = self.inner.tree.write().expect("tree lock");
        let index = tree.leaves.len() as u64;
        let mut entry = Vec::with_capacity(signed_entry.len() + 32);
        push_uint(&mut entry, timestamp, 8);
        entry.extend_from_slice(signed_entry);
        // CtExtensions: leaf_index (type 0), a 40-bit index.
        let mut ext = vec![0u8];
        push_vector(&mut ext, &index.to_be_bytes()[3..], 2);
        push_vector(&mut entry, &ext, 2);
        let mut merkle_tree_leaf = vec![0u8, 0];
        merkle_tree_leaf.extend_from_slice(&entry);
        let mut tile_leaf = entry;
        if let Some(pre) = pre {
            push_vector(&mut tile_leaf, pre, 3);
        }
        push_vector(&mut tile_leaf, chain, 2);
        tree.push(tile_leaf, merkle_tree_leaf);
        index
    }

    /// Appends a certificate entry: `chain[0]` the certificate, then its
    /// issuers (served under `issuer/`). Not visible until
    /// [`Self::publish`]. Returns its index.
    pub fn add_x509(&self, chain: &[Vec<u8>], timestamp: u64) -> u64 {
        let fingerprints = self.add_issuers(&chain[1..]);
        let mut signed = Vec::new();
        push_uint(&mut signed, 0, 2);
        push_vector(&mut signed, &chain[0], 3);
        self.append(timestamp, &signed, None, &fingerprints)
    }

    /// Appends a precertificate entry for `precert` (DER, with the poison)
    /// issued by the key `issuer_spki`, with `issuers` (issuer first).
    pub fn add_precert(
        &self,
        precert: &[u8],
        issuer_spki: &[u8],
        issuers: &[Vec<u8>],
        timestamp: u64,
    ) -> u64 {
        let tbs = pinwarden_ct::reduced_tbs(precert, false).expect("a DER precertificate");
        let fingerprints = self.add_issuers(issuers);
        let mut signed = Vec::new();
        push_uint(&mut signed, 1, 2);
        signed.extend_from_slice(&Sha256::digest(issuer_spki));
        push_vector(&mut signed, &tbs, 3);
        self.append(timestamp, &signed, Some(precert), &fingerprints)
    }

    /// Signs and publishes a checkpoint for every entry added so far.
    pub fn publish(&self) {
        let tree = self.inner.tree.read().expect("tree lock");
        let size = tree.leaves.len() as u64;
        let root = tree.root(size);
        drop(tree);
        let corrupt = self.inner.misbehaviour.read().expect("lock").bad_signature;
        let (timestamp, sig) = self.inner.key.sign_tree_head(size, &root, corrupt);
        // RFC6962NoteSignature: timestamp, then the DigitallySigned
        // (SHA-256, ECDSA, length, signature).
        let mut body = timestamp.to_be_bytes().to_vec();
        body.extend_from_slice(&[4, 3]);
        body.extend_from_slice(&(sig.len() as u16).to_be_bytes());
        body.extend_from_slice(&sig);
        let mut witness = [0u8; 72];
        let _ = SystemRandom::new().fill(&mut witness);
        let origin = &self.inner.origin;
        let checkpoint = format!(
            "{origin}\n{size}\n{}\n\n{}{}",
            STANDARD.encode(root),
            // A witness co-signature first: clients must skip it.
            signature_line("witness.pinwarden.invalid/w1", 0x0102_0304, &witness),
            signature_line(origin, rfc6962_key_id(origin, &self.inner.log_id), &body),
        );
        *self.inner.published.write().expect("lock") = Published { size, checkpoint };
    }

    /// Rewrites history: flips a byte inside entry `index`'s certificate
    /// in the tree itself (tiles and hashes alike) and republishes. A
    /// monitor that verified a checkpoint covering it must notice.
    pub fn rewrite(&self, index: u64) {
        let mut tree = self.inner.tree.write().expect("tree lock");
        let old = std::mem::take(&mut *tree);
        for (i, (mut tile_leaf, mut merkle_leaf)) in
            old.leaves.into_iter().zip(old.merkle_leaves).enumerate()
        {
            if i as u64 == index {
                // The MerkleTreeLeaf is the TileLeaf's TimestampedEntry
                // behind two bytes (version, leaf type).
                tile_leaf[20] ^= 0x55;
                merkle_leaf[22] ^= 0x55;
            }
            tree.push(tile_leaf, merkle_leaf);
        }
        drop(tree);
        self.publish();
    }

    /// The published checkpoint's text.
    pub fn checkpoint(&self) -> String {
        self.inner
            .published
            .read()
            .expect("lock")
            .checkpoint
            .clone()
    }

    /// Switches misbehaviour (takes effect now; signatures at the next
    /// [`Self::publish`]).
    pub fn misbehave(&self, m: TiledMisbehaviour) {
        *self.inner.misbehaviour.write().expect("lock") = m;
    }

    /// Published tree size.
    pub fn size(&self) -> u64 {
        self.inner.published.read().expect("lock").size
    }

    /// The root of the first `size` entries.
    pub fn root(&self, size: u64) -> Hash {
        self.inner.tree.read().expect("tree lock").root(size)
    }

    /// Requests served, data tiles among them, issuer fetches, 429s sent.
    pub fn counters(&self) -> (u64, u64, u64, u64) {
        (
            self.inner.rate.requests.load(Ordering::Relaxed),
            self.inner.data_tiles.load(Ordering::Relaxed),
            self.inner.issuer_fetches.load(Ordering::Relaxed),
            self.inner.rate.refused.load(Ordering::Relaxed),
        )
    }

    /// A Chrome v3 log list naming only this log, under `tiled_logs`.
    pub fn log_list_json(&self) -> String {
        serde_json::json!({
            "version": "1.0",
            "log_list_timestamp": "2026-11-01T00:00:00Z",
            "operators": [{
                "name": "pinwarden tests",
                "email": ["tests@pinwarden.invalid"],
                "logs": [],
                "tiled_logs": [{
                    "description": "pinwarden local tiled test log",
                    "log_id": STANDARD.encode(self.log_id),
                    "key": self.key_base64,
                    "monitoring_url": self.monitoring_url,
                    "submission_url": self.submission_url,
                    "mmd": 60,
                    "state": {"usable": {"timestamp": "2026-01-01T00:00:00Z"}},
                }],
            }],
        })
        .to_string()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

type Shared = State<Arc<Inner>>;

fn limited(inner: &Inner) -> Option<Response> {
    let every = inner.misbehaviour.read().expect("lock").rate_limit_every;
    inner.rate.check(every)
}

fn not_found(why: impl Into<String>) -> Response {
    (StatusCode::NOT_FOUND, why.into()).into_response()
}

async fn checkpoint(State(inner): Shared) -> Response {
    if let Some(r) = limited(&inner) {
        return r;
    }
    let text = inner.published.read().expect("lock").checkpoint.clone();
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// `<L>/<N>[.p/<W>]` or `data/<N>[.p/<W>]`: (level or None for data, N, W).
fn parse_tile_path(path: &str) -> Option<(Option<u32>, u64, u64)> {
    let (head, rest) = path.split_once('/')?;
    let level = if head == "data" {
        None
    } else {
        if head.len() > 1 && head.starts_with('0') {
            return None;
        }
        Some(head.parse::<u32>().ok().filter(|l| *l <= 5)?)
    };
    let (index, width) = match rest.split_once(".p/") {
        Some((index, w)) => {
            if w.starts_with('0') {
                return None;
            }
            let w: u64 = w.parse().ok()?;
            if !(1..WIDTH).contains(&w) {
                return None;
            }
            (index, w)
        }
        None => (rest, WIDTH),
    };
    let parts: Vec<&str> = index.split('/').collect();
    let mut n = 0u64;
    for (i, part) in parts.iter().enumerate() {
        let digits = if i + 1 < parts.len() {
            part.strip_prefix('x')?
        } else {
            part
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    Some((level, n, width))
}

async fn tile(State(inner): Shared, Path(path): Path<String>) -> Response {
    if let Some(r) = limited(&inner) {
        return r;
    }
    let Some((level, index, width)) = parse_tile_path(&path) else {
        return not_found(format!("no tile {path}"));
    };
    let size = inner.published.read().expect("lock").size;
    let m = inner.misbehaviour.read().expect("lock").clone();
    // Hashes at this tile level in the published tree.
    let available = size >> (8 * level.unwrap_or(0));
    let start = index.saturating_mul(WIDTH);
    if start.saturating_add(width) > available {
        return not_found(format!("tile {path} is beyond the checkpoint"));
    }
    if width < WIDTH && m.drop_partial_tiles && start + WIDTH <= available {
        return not_found(format!("partial tile {path} was replaced by the full tile"));
    }
    let tree = inner.tree.read().expect("tree lock");
    let range = start as usize..(start + width) as usize;
    let Some(level) = level else {
        inner.data_tiles.fetch_add(1, Ordering::Relaxed);
        let mut body = Vec::new();
        for (i, leaf) in tree.leaves[range].iter().enumerate() {
            if m.corrupt_entry == Some(start + i as u64) {
                let mut leaf = leaf.clone();
                // Inside the certificate (or the issuer key hash): the
                // structure still parses, the hash no longer matches.
                leaf[20] ^= 0x55;
                body.extend_from_slice(&leaf);
            } else {
                body.extend_from_slice(leaf);
            }
        }
        drop(tree);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let gzipped = gz.write_all(&body).and_then(|()| gz.finish());
        return match gzipped {
            Ok(bytes) => (
                [
                    (header::CONTENT_TYPE, "application/octet-stream"),
                    (header::CONTENT_ENCODING, "gzip"),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        };
    };
    let hashes = &tree.levels[8 * level as usize][range];
    let body: Vec<u8> = hashes.iter().flatten().copied().collect();
    ([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response()
}

async fn issuer(State(inner): Shared, Path(fingerprint): Path<String>) -> Response {
    if let Some(r) = limited(&inner) {
        return r;
    }
    inner.issuer_fetches.fetch_add(1, Ordering::Relaxed);
    match inner.issuers.read().expect("lock").get(&fingerprint) {
        Some(der) => (
            [(header::CONTENT_TYPE, "application/pkix-cert")],
            der.clone(),
        )
            .into_response(),
        None => not_found("no such issuer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_paths_parse() {
        assert_eq!(parse_tile_path("0/000"), Some((Some(0), 0, 256)));
        assert_eq!(
            parse_tile_path("2/x001/x234/067.p/5"),
            Some((Some(2), 1_234_067, 5))
        );
        assert_eq!(parse_tile_path("data/x001/000"), Some((None, 1000, 256)));
        assert_eq!(parse_tile_path("data/1"), None);
        assert_eq!(parse_tile_path("0/001/002"), None);
        assert_eq!(parse_tile_path("0/000.p/0"), None);
        assert_eq!(parse_tile_path("0/000.p/256"), None);
    }
}
