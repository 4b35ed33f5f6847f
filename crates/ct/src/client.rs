//! An RFC 6962 §4 log client: `get-sth`, `get-entries` (logs may answer
//! with fewer entries than asked: callers ask again for the rest),
//! `get-sth-consistency` and `get-proof-by-hash`. Every answer is decoded
//! strictly; a 429 comes back as [`ClientError::RateLimited`] with the
//! log's Retry-After so the caller can wait exactly that long.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::merkle::Hash;
use crate::sth::SignedTreeHead;

/// Why a request to a log failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ClientError {
    /// No answer: connection, TLS or timeout.
    #[error("{url}: {reason}")]
    Transport {
        /// What was requested.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The log answered 429 Too Many Requests.
    #[error("{url}: rate limited by the log (429){}", retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// What was requested.
        url: String,
        /// The log's Retry-After, when it gave one in seconds.
        retry_after: Option<Duration>,
    },
    /// Any other non-200 status.
    #[error("{url}: HTTP {status}: {body}")]
    Status {
        /// What was requested.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// A 200 whose body isn't what RFC 6962 says.
    #[error("{url}: {reason}")]
    Decode {
        /// What was requested.
        url: String,
        /// What is wrong.
        reason: String,
    },
}

impl ClientError {
    /// Worth retrying: transport failures, 429 and 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } | Self::RateLimited { .. } => true,
            Self::Status { status, .. } => *status >= 500,
            Self::Decode { .. } => false,
        }
    }
}

/// One raw entry from `get-entries`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawEntry {
    /// The `MerkleTreeLeaf`, hashed into the tree.
    pub leaf_input: Vec<u8>,
    /// The chain beside it.
    pub extra_data: Vec<u8>,
}

/// A client for one RFC 6962 log.
#[derive(Clone, Debug)]
pub struct LogClient {
    http: reqwest::Client,
    /// The log's base URL, ending in `/`.
    base: Arc<str>,
}

#[derive(serde::Deserialize)]
struct EntriesJson<'a> {
    #[serde(borrow)]
    entries: Vec<EntryJson<'a>>,
}

/// Base64 never needs JSON escapes, so the fields borrow from the body
/// (a log that escapes `/` still parses, into owned strings).
#[derive(serde::Deserialize)]
struct EntryJson<'a> {
    #[serde(borrow)]
    leaf_input: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    extra_data: std::borrow::Cow<'a, str>,
}

#[derive(serde::Deserialize)]
struct ConsistencyJson {
    consistency: Vec<String>,
}

#[derive(serde::Deserialize)]
struct ProofJson {
    leaf_index: u64,
    audit_path: Vec<String>,
}

impl LogClient {
    /// A client for the log at `url` (e.g. `https://ct.example/2026h1/`),
    /// validating HTTPS with the Mozilla roots (webpki-roots).
    pub fn new(url: &str) -> Result<Self, ClientError> {
        let http = http_client().map_err(|e| transport(url, e))?;
        Ok(Self::with_http(http, url))
    }

    /// A client sharing an existing reqwest client.
    pub fn with_http(http: reqwest::Client, url: &str) -> Self {
        let base = if url.ends_with('/') {
            url.to_owned()
        } else {
            format!("{url}/")
        };
        Self {
            http,
            base: base.into(),
        }
    }

    /// The log's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    async fn get(&self, path: &str) -> Result<(String, Vec<u8>), ClientError> {
        let url = format!("{}ct/v1/{path}", self.base);
        let body = get_body(&self.http, &url).await?;
        Ok((url, body))
    }

    /// `get-sth`: the log's latest signed tree head (not yet verified).
    pub async fn get_sth(&self) -> Result<SignedTreeHead, ClientError> {
        let (url, body) = self.get("get-sth").await?;
        SignedTreeHead::from_json(&body).map_err(|e| decode(&url, e))
    }

    /// `get-entries` for `start..=end`. The log may return fewer (never
    /// none); an empty or oversized answer is an error.
    pub async fn get_entries(&self, start: u64, end: u64) -> Result<Vec<RawEntry>, ClientError> {
        let (url, body) = self
            .get(&format!("get-entries?start={start}&end={end}"))
            .await?;
        let parsed: EntriesJson = serde_json::from_slice(&body).map_err(|e| decode(&url, e))?;
        let wanted = end - start + 1;
        if parsed.entries.is_empty() {
            return Err(decode(&url, "the log returned no entries"));
        }
        if parsed.entries.len() as u64 > wanted {
            return Err(decode(
                &url,
                format!("asked for {wanted} entries, got {}", parsed.entries.len()),
            ));
        }
        parsed
            .entries
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let field = |name: &str, text: &str| {
                    STANDARD.decode(text).map_err(|err| {
                        decode(&url, format!("entry {}: {name}: {err}", start + i as u64))
                    })
                };
                Ok(RawEntry {
                    leaf_input: field("leaf_input", &e.leaf_input)?,
                    extra_data: field("extra_data", &e.extra_data)?,
                })
            })
            .collect()
    }

    /// `get-sth-consistency` between two tree sizes.
    pub async fn get_sth_consistency(
        &self,
        first: u64,
        second: u64,
    ) -> Result<Vec<Hash>, ClientError> {
        let (url, body) = self
            .get(&format!(
                "get-sth-consistency?first={first}&second={second}"
            ))
            .await?;
        let parsed: ConsistencyJson = serde_json::from_slice(&body).map_err(|e| decode(&url, e))?;
        hashes(&url, &parsed.consistency)
    }

    /// `get-proof-by-hash`: the index of the leaf with `leaf_hash` and its
    /// audit path in the tree of `tree_size`.
    pub async fn get_proof_by_hash(
        &self,
        leaf_hash: &Hash,
        tree_size: u64,
    ) -> Result<(u64, Vec<Hash>), ClientError> {
        let hash = STANDARD.encode(leaf_hash);
        let hash: String = form_urlencode(&hash);
        let (url, body) = self
            .get(&format!(
                "get-proof-by-hash?hash={hash}&tree_size={tree_size}"
            ))
            .await?;
        let parsed: ProofJson = serde_json::from_slice(&body).map_err(|e| decode(&url, e))?;
        Ok((parsed.leaf_index, hashes(&url, &parsed.audit_path)?))
    }
}

/// The HTTP client for logs, log lists and webhooks: rustls with ring and
/// the Mozilla roots (webpki-roots), pinwarden's user agent.
pub fn http_client() -> Result<reqwest::Client, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .user_agent(concat!("pinwarden/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(16)
        .build()
        .map_err(|e| e.to_string())
}

/// The most a log (or a log list) may send in one answer, after
/// decompression: more is refused rather than held in memory.
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// GETs `url` (a log list, say) and returns the body of a 200.
pub async fn fetch(url: &str) -> Result<Vec<u8>, ClientError> {
    let http = http_client().map_err(|e| transport(url, e))?;
    get_body(&http, url).await
}

/// GETs `url` and returns the body of a 200 (at most [`MAX_BODY_BYTES`]);
/// a 429 is [`ClientError::RateLimited`] with the log's Retry-After in
/// seconds.
pub(crate) async fn get_body(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, ClientError> {
    let mut response = http.get(url).send().await.map_err(|e| transport(url, e))?;
    let status = response.status().as_u16();
    if status == 429 {
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        return Err(ClientError::RateLimited {
            url: url.to_owned(),
            retry_after,
        });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(url, e))? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(decode(
                url,
                format!(
                    "the answer is larger than {} MiB; refused",
                    MAX_BODY_BYTES >> 20
                ),
            ));
        }
        body.extend_from_slice(&chunk);
        if status != 200 && body.len() >= 200 {
            break;
        }
    }
    if status != 200 {
        let body = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        return Err(ClientError::Status {
            url: url.to_owned(),
            status,
            body,
        });
    }
    Ok(body)
}

fn hashes(url: &str, list: &[String]) -> Result<Vec<Hash>, ClientError> {
    list.iter()
        .map(|h| {
            STANDARD
                .decode(h)
                .ok()
                .and_then(|b| Hash::try_from(b.as_slice()).ok())
                .ok_or_else(|| decode(url, format!("{h:?} is not a base64 SHA-256 hash")))
        })
        .collect()
}

fn form_urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'+' => "%2B".to_owned(),
            b'/' => "%2F".to_owned(),
            b'=' => "%3D".to_owned(),
            _ => (b as char).to_string(),
        })
        .collect()
}

pub(crate) fn transport(url: &str, e: impl std::fmt::Display) -> ClientError {
    ClientError::Transport {
        url: url.to_owned(),
        reason: e.to_string(),
    }
}

pub(crate) fn decode(url: &str, e: impl std::fmt::Display) -> ClientError {
    ClientError::Decode {
        url: url.to_owned(),
        reason: e.to_string(),
    }
}
