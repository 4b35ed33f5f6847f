//! A local RFC 6962 log: a real Merkle tree over real entries, ECDSA P-256
//! signed tree heads, the `ct/v1` read API over HTTP on 127.0.0.1, and
//! switchable misbehaviour (bad signatures, corrupt entries, a rewritten
//! history, 429s, short answers), for pinwarden's monitor and certspotter
//! alike.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pinwarden_ct::{
    Hash, encode_extra_data, encode_precert_leaf, encode_x509_leaf, leaf_hash, node_hash,
};
use sha2::{Digest as _, Sha256};

use crate::ct_common::{LogKey, RateLimit, Served, bind};

/// Misbehaviour to switch on.
#[derive(Clone, Debug, Default)]
pub struct Misbehaviour {
    /// Sign tree heads with a corrupted signature.
    pub bad_signature: bool,
    /// Serve this entry with a flipped byte (its hash in the tree is right).
    pub corrupt_entry: Option<u64>,
    /// Answer every n-th request with 429 and `Retry-After: 1`.
    pub rate_limit_every: Option<u64>,
    /// Most entries per `get-entries` answer.
    pub max_entries: Option<u64>,
}

#[derive(Debug)]
struct Entry {
    leaf_input: Vec<u8>,
    extra_data: Arc<[u8]>,
    /// `extra_data` in base64, shared by every entry sharing the bytes.
    extra_base64: Arc<str>,
}

#[derive(Debug, Default)]
struct Tree {
    entries: Vec<Entry>,
    /// levels[h][i]: root of the perfect subtree of 2^h leaves at i·2^h.
    levels: Vec<Vec<Hash>>,
    by_hash: HashMap<Hash, u64>,
    /// Base64 of each distinct `extra_data` allocation, by address.
    extra_base64: HashMap<usize, Arc<str>>,
}

impl Tree {
    fn push(&mut self, leaf_input: Vec<u8>, extra_data: Arc<[u8]>) {
        let extra_base64 = self
            .extra_base64
            .entry(extra_data.as_ptr() as usize)
            .or_insert_with(|| STANDARD.encode(&extra_data).into())
            .clone();
        let entry = Entry {
            leaf_input,
            extra_data,
            extra_base64,
        };
        let hash = leaf_hash(&entry.leaf_input);
        self.by_hash
            .entry(hash)
            .or_insert(self.entries.len() as u64);
        self.entries.push(entry);
        let mut h = 0;
        let mut node = hash;
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

    fn rebuild(&mut self) {
        let entries = std::mem::take(&mut self.entries);
        *self = Self::default();
        for e in entries {
            self.push(e.leaf_input, e.extra_data);
        }
    }

    /// MTH of `size` leaves from `start` (start aligned as RFC 6962's
    /// recursion always leaves it).
    fn mth(&self, start: u64, size: u64) -> Hash {
        if size == 0 {
            return Sha256::digest([]).into();
        }
        if size.is_power_of_two() && start.is_multiple_of(size) {
            let h = size.trailing_zeros() as usize;
            return self.levels[h][(start / size) as usize];
        }
        let k = split(size);
        node_hash(&self.mth(start, k), &self.mth(start + k, size - k))
    }

    /// RFC 6962 §2.1.1 PATH(m, D[start..start+size]).
    fn path(&self, m: u64, start: u64, size: u64, out: &mut Vec<Hash>) {
        if size <= 1 {
            return;
        }
        let k = split(size);
        if m < k {
            self.path(m, start, k, out);
            out.push(self.mth(start + k, size - k));
        } else {
            self.path(m - k, start + k, size - k, out);
            out.push(self.mth(start, k));
        }
    }

    /// RFC 6962 §2.1.2 SUBPROOF(m, D[start..start+size], b).
    fn subproof(&self, m: u64, start: u64, size: u64, whole: bool, out: &mut Vec<Hash>) {
        if m == size {
            if !whole {
                out.push(self.mth(start, size));
            }
            return;
        }
        let k = split(size);
        if m <= k {
            self.subproof(m, start, k, whole, out);
            out.push(self.mth(start + k, size - k));
        } else {
            self.subproof(m - k, start + k, size - k, false, out);
            out.push(self.mth(start, k));
        }
    }
}

/// The largest power of two smaller than `n` (n > 1).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

#[derive(Clone, Debug, serde::Serialize)]
struct Sth {
    tree_size: u64,
    timestamp: u64,
    sha256_root_hash: String,
    tree_head_signature: String,
}

struct Inner {
    key: LogKey,
    tree: RwLock<Tree>,
    published: RwLock<Sth>,
    misbehaviour: RwLock<Misbehaviour>,
    rate: RateLimit,
    get_entries: AtomicU64,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CtLog").finish_non_exhaustive()
    }
}

/// A running local log. Dropping it stops the server.
#[derive(Debug)]
pub struct CtLog {
    /// Base URL, `http://127.0.0.1:PORT/`.
    pub url: String,
    /// The log's public key: base64 of its DER SubjectPublicKeyInfo.
    pub key_base64: String,
    /// The log id: SHA-256 of that SPKI.
    pub log_id: [u8; 32],
    inner: Arc<Inner>,
    _server: Served,
}

impl CtLog {
    /// Starts an empty log on 127.0.0.1 in its own thread.
    pub fn start() -> Self {
        let key = LogKey::generate();
        let spki = key.spki.clone();
        let log_id = key.log_id;
        let inner = Arc::new(Inner {
            key,
            tree: RwLock::new(Tree::default()),
            published: RwLock::new(Sth {
                tree_size: 0,
                timestamp: 0,
                sha256_root_hash: String::new(),
                tree_head_signature: String::new(),
            }),
            misbehaviour: RwLock::new(Misbehaviour::default()),
            rate: RateLimit::default(),
            get_entries: AtomicU64::new(0),
        });
        let (listener, addr) = bind();
        let app = Router::new()
            .route("/ct/v1/get-sth", get(get_sth))
            .route("/ct/v1/get-entries", get(get_entries))
            .route("/ct/v1/get-sth-consistency", get(get_consistency))
            .route("/ct/v1/get-proof-by-hash", get(get_proof))
            .route("/ct/v1/get-roots", get(get_roots))
            .with_state(inner.clone());
        let server = Served::start(listener, app);
        let log = Self {
            url: format!("http://{addr}/"),
            key_base64: STANDARD.encode(&spki),
            log_id,
            inner,
            _server: server,
        };
        log.publish();
        log
    }

    /// Appends a certificate entry: `chain[0]` the certificate, then its
    /// issuers. Not visible until [`Self::publish`]. Returns its index.
    pub fn add_x509(&self, chain: &[Vec<u8>], timestamp: u64) -> u64 {
        let issuers: Vec<&[u8]> = chain[1..].iter().map(Vec::as_slice).collect();
        let extra: Arc<[u8]> = encode_extra_data(None, &issuers).into();
        self.add_raw(encode_x509_leaf(timestamp, &chain[0]), extra)
    }

    /// Appends a precertificate entry for `precert` (DER, with the poison
    /// extension) issued by the key `issuer_spki`; the leaf holds its
    /// TBSCertificate without the poison, `extra_data` the precertificate
    /// and `issuers` (issuer first).
    pub fn add_precert(
        &self,
        precert: &[u8],
        issuer_spki: &[u8],
        issuers: &[Vec<u8>],
        timestamp: u64,
    ) -> u64 {
        let tbs = pinwarden_ct::reduced_tbs(precert, false).expect("a DER precertificate");
        let issuer_key_hash: Hash = Sha256::digest(issuer_spki).into();
        let chain: Vec<&[u8]> = issuers.iter().map(Vec::as_slice).collect();
        let extra: Arc<[u8]> = encode_extra_data(Some(precert), &chain).into();
        self.add_raw(
            encode_precert_leaf(timestamp, &issuer_key_hash, &tbs),
            extra,
        )
    }

    /// Appends raw bytes as an entry (`extra_data` shared between entries
    /// to keep large logs small).
    pub fn add_raw(&self, leaf_input: Vec<u8>, extra_data: Arc<[u8]>) -> u64 {
        let mut tree = self.inner.tree.write().expect("tree lock");
        tree.push(leaf_input, extra_data);
        tree.entries.len() as u64 - 1
    }

    /// Signs and publishes a tree head for every entry added so far.
    pub fn publish(&self) {
        let tree = self.inner.tree.read().expect("tree lock");
        let size = tree.entries.len() as u64;
        let root = tree.mth(0, size);
        drop(tree);
        let corrupt = self.inner.misbehaviour.read().expect("lock").bad_signature;
        let (timestamp, sig) = self.inner.key.sign_tree_head(size, &root, corrupt);
        let mut ds = vec![4u8, 3u8];
        ds.extend_from_slice(&(sig.len() as u16).to_be_bytes());
        ds.extend_from_slice(&sig);
        *self.inner.published.write().expect("lock") = Sth {
            tree_size: size,
            timestamp,
            sha256_root_hash: STANDARD.encode(root),
            tree_head_signature: STANDARD.encode(ds),
        };
    }

    /// Rewrites history: replaces entry `index` with `leaf_input` and
    /// republishes. Monitors that verified a head covering it must notice.
    pub fn rewrite(&self, index: u64, leaf_input: Vec<u8>) {
        let mut tree = self.inner.tree.write().expect("tree lock");
        tree.entries[index as usize].leaf_input = leaf_input;
        tree.rebuild();
        drop(tree);
        self.publish();
    }

    /// Switches misbehaviour (takes effect now; signatures at the next
    /// [`Self::publish`]).
    pub fn misbehave(&self, m: Misbehaviour) {
        *self.inner.misbehaviour.write().expect("lock") = m;
    }

    /// Published tree size.
    pub fn size(&self) -> u64 {
        self.inner.published.read().expect("lock").tree_size
    }

    /// Requests served, `get-entries` requests among them, and 429s sent.
    pub fn counters(&self) -> (u64, u64, u64) {
        (
            self.inner.rate.requests.load(Ordering::Relaxed),
            self.inner.get_entries.load(Ordering::Relaxed),
            self.inner.rate.refused.load(Ordering::Relaxed),
        )
    }

    /// A Chrome v3 log list naming only this log (usable, MMD 1 day).
    pub fn log_list_json(&self) -> String {
        serde_json::json!({
            "version": "1.0",
            "log_list_timestamp": "2026-11-01T00:00:00Z",
            "operators": [{
                "name": "pinwarden tests",
                "email": ["tests@pinwarden.invalid"],
                "logs": [{
                    "description": "pinwarden local test log",
                    "log_id": STANDARD.encode(self.log_id),
                    "key": self.key_base64,
                    "url": self.url,
                    "mmd": 86400,
                    "state": {"usable": {"timestamp": "2026-01-01T00:00:00Z"}},
                }],
                "tiled_logs": [],
            }],
        })
        .to_string()
    }
}

type Shared = State<Arc<Inner>>;

fn limited(inner: &Inner) -> Option<Response> {
    let every = inner.misbehaviour.read().expect("lock").rate_limit_every;
    inner.rate.check(every)
}

fn bad_request(why: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, why.into()).into_response()
}

async fn get_sth(State(inner): Shared) -> Response {
    if let Some(r) = limited(&inner) {
        return r;
    }
    axum::Json(inner.published.read().expect("lock").clone()).into_response()
}

#[derive(serde::Deserialize)]
struct EntriesQuery {
    start: u64,
    end: u64,
}

async fn get_entries(State(inner): Shared, Query(q): Query<EntriesQuery>) -> Response {
    if let Some(r) = limited(&inner) {
        return r;
    }
    inner.get_entries.fetch_add(1, Ordering::Relaxed);
    let size = inner.published.read().expect("lock").tree_size;
    if q.start > q.end || q.start >= size {
        return bad_request(format!(
            "start {} end {} outside tree of {size}",
            q.start, q.end
        ));
    }
    let m = inner.misbehaviour.read().expect("lock").clone();
    let mut end = q.end.min(size - 1);
    if let Some(max) = m.max_entries {
        end = end.min(q.start + max.max(1) - 1);
    }
    let tree = inner.tree.read().expect("tree lock");
    let mut body = String::with_capacity(((end - q.start + 1) * 1400) as usize);
    body.push_str("{\"entries\":[");
    for i in q.start..=end {
        let e = &tree.entries[i as usize];
        if i > q.start {
            body.push(',');
        }
        body.push_str("{\"leaf_input\":\"");
        if m.corrupt_entry == Some(i) {
            let mut leaf = e.leaf_input.clone();
            let last = leaf.len() - 3;
            leaf[last] ^= 0x55;
            STANDARD.encode_string(&leaf, &mut body);
        } else {
            STANDARD.encode_string(&e.leaf_input, &mut body);
        }
        body.push_str("\",\"extra_data\":\"");
        body.push_str(&e.extra_base64);
        body.push_str("\"}");
    }
    body.push_str("]}");
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[derive(serde::Deserialize)]
struct ConsistencyQuery {
    first: u64,
    second: u64,
}

async fn get_consistency(State(inner): Shared, Query(q): Query<ConsistencyQuery>) -> Response {
    if let Some(r) = limited(&inner) {
        return r;
    }
    let size = inner.published.read().expect("lock").tree_size;
    if q.first == 0 || q.first > q.second || q.second > size {
        return bad_request("bad tree sizes");
    }
    let tree = inner.tree.read().expect("tree lock");
    let mut proof = Vec::new();
    tree.subproof(q.first, 0, q.second, true, &mut proof);
    let proof: Vec<String> = proof.iter().map(|h| STANDARD.encode(h)).collect();
    axum::Json(serde_json::json!({ "consistency": proof })).into_response()
}

#[derive(serde::Deserialize)]
struct ProofQuery {
    hash: String,
    tree_size: u64,
}

async fn get_proof(State(inner): Shared, Query(q): Query<ProofQuery>) -> Response {
    if let Some(r) = limited(&inner) {
        return r;
    }
    let Some(hash) = STANDARD
        .decode(&q.hash)
        .ok()
        .and_then(|b| Hash::try_from(b.as_slice()).ok())
    else {
        return bad_request("hash is not base64 SHA-256");
    };
    let size = inner.published.read().expect("lock").tree_size;
    let tree = inner.tree.read().expect("tree lock");
    let Some(&index) = tree.by_hash.get(&hash) else {
        return (StatusCode::NOT_FOUND, "no such leaf").into_response();
    };
    if q.tree_size > size || index >= q.tree_size {
        return bad_request("leaf not in a tree of that size");
    }
    let mut path = Vec::new();
    tree.path(index, 0, q.tree_size, &mut path);
    let path: Vec<String> = path.iter().map(|h| STANDARD.encode(h)).collect();
    axum::Json(serde_json::json!({ "leaf_index": index, "audit_path": path })).into_response()
}

async fn get_roots(State(inner): Shared) -> Response {
    if let Some(r) = limited(&inner) {
        return r;
    }
    axum::Json(serde_json::json!({ "certificates": [] })).into_response()
}
