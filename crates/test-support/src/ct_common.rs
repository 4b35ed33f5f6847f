//! What the two local CT logs share: a P-256 log key, an axum server on
//! 127.0.0.1 in its own thread, and the "429 every n-th request" switch.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use sha2::{Digest as _, Sha256};

/// DER SubjectPublicKeyInfo prefix for an uncompressed P-256 point.
const P256_SPKI_PREFIX: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// A fresh ECDSA P-256 log key.
pub(crate) struct LogKey {
    pub(crate) pair: EcdsaKeyPair,
    /// DER SubjectPublicKeyInfo.
    pub(crate) spki: Vec<u8>,
    /// SHA-256 of the SPKI.
    pub(crate) log_id: [u8; 32],
}

impl LogKey {
    pub(crate) fn generate() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .expect("ring generates a P-256 key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .expect("ring reads its own key");
        let mut spki = P256_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(pair.public_key().as_ref());
        let log_id = Sha256::digest(&spki).into();
        Self { pair, spki, log_id }
    }

    /// Signs a tree head of `size` entries with `root` at the current time
    /// (RFC 6962 §3.5): the timestamp in milliseconds and the ASN.1 ECDSA
    /// signature, with its last byte flipped when `corrupt`.
    pub(crate) fn sign_tree_head(
        &self,
        size: u64,
        root: &[u8; 32],
        corrupt: bool,
    ) -> (u64, Vec<u8>) {
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let tbs = pinwarden_ct::tree_head_tbs(timestamp, size, root);
        let mut sig = self
            .pair
            .sign(&SystemRandom::new(), &tbs)
            .expect("ring signs")
            .as_ref()
            .to_vec();
        if corrupt {
            let last = sig.len() - 1;
            sig[last] ^= 1;
        }
        (timestamp, sig)
    }
}

/// A listener on a free loopback port, bound before the router exists (a
/// log's URLs name its address).
pub(crate) fn bind() -> (std::net::TcpListener, SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener
        .set_nonblocking(true)
        .expect("nonblocking listener");
    let addr = listener.local_addr().expect("local address");
    (listener, addr)
}

/// An axum app served from its own thread and runtime; stopped on drop.
#[derive(Debug)]
pub(crate) struct Served {
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Served {
    pub(crate) fn start(listener: std::net::TcpListener, app: Router) -> Self {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime starts");
            rt.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("tokio takes the listener");
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        });
        Self {
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Counts requests and, when switched on, refuses every n-th with 429.
#[derive(Debug, Default)]
pub(crate) struct RateLimit {
    pub(crate) requests: AtomicU64,
    pub(crate) refused: AtomicU64,
}

impl RateLimit {
    /// Counts a request; a 429 with `Retry-After: 1` for every `every`-th.
    pub(crate) fn check(&self, every: Option<u64>) -> Option<Response> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let every = every.filter(|e| *e > 0)?;
        if !n.is_multiple_of(every) {
            return None;
        }
        self.refused.fetch_add(1, Ordering::Relaxed);
        let mut r = (StatusCode::TOO_MANY_REQUESTS, "slow down\n").into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        Some(r)
    }
}
