//! A static-ct-api client (c2sp.org/static-ct-api, c2sp.org/tlog-tiles):
//! the checkpoint, hash tiles `tile/<L>/<N>[.p/<W>]`, data tiles
//! `tile/data/<N>[.p/<W>]` and issuers `issuer/<hex SHA-256>`, all under
//! the log's monitoring prefix.
//!
//! Data tiles are decoded into [`TileLeaf`]s and turned into the same
//! [`RawEntry`]s an RFC 6962 `get-entries` returns: `leaf_input` is the
//! RFC 6962 `MerkleTreeLeaf` (v1, timestamped_entry, then the tile's
//! `TimestampedEntry` bytes unchanged, so its leaf hash is the log's), and
//! `extra_data` is the `extra_data` RFC 6962 would have served, built from
//! the issuers the tile names by fingerprint (fetched once, checked
//! against their fingerprint, cached). So everything downstream — the
//! scan, the tree rebuild — is the same for both kinds of log.
//!
//! A 429 is [`ClientError::RateLimited`] with the log's Retry-After, as in
//! the RFC 6962 client. Data tiles gzipped by the log are decompressed by
//! the HTTP client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sha2::{Digest as _, Sha256};

use crate::checkpoint::{Checkpoint, MAX_CHECKPOINT_BYTES, origin_of};
use crate::client::{ClientError, RawEntry, decode, get_body, http_client, transport};
use crate::entry::{EntryError, EntryKind, Reader, encode_extra_data, err};
use crate::merkle::Hash;

/// Hashes in a full tile, entries in a full data tile.
pub const TILE_WIDTH: u64 = 256;
/// Issuers kept in memory per client; logs have a few hundred.
const MAX_CACHED_ISSUERS: usize = 4096;

/// The path element(s) of tile index `n`: 3-digit groups, all but the
/// last prefixed with `x` (1234067 → `x001/x234/067`).
pub fn tile_index_path(n: u64) -> String {
    let mut groups = vec![n % 1000];
    let mut rest = n / 1000;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    let last = groups.len() - 1;
    groups
        .iter()
        .rev()
        .enumerate()
        .map(|(i, g)| {
            if i == last {
                format!("{g:03}")
            } else {
                format!("x{g:03}")
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn width_suffix(width: u64) -> String {
    if width >= TILE_WIDTH {
        String::new()
    } else {
        format!(".p/{width}")
    }
}

/// The path of hash tile `index` at `level`, `width` hashes wide (256: a
/// full tile; 1..=255: the partial tile).
pub fn tile_path(level: u8, index: u64, width: u64) -> String {
    format!(
        "tile/{level}/{}{}",
        tile_index_path(index),
        width_suffix(width)
    )
}

/// The path of data tile `index`, `width` entries wide.
pub fn data_tile_path(index: u64, width: u64) -> String {
    format!(
        "tile/data/{}{}",
        tile_index_path(index),
        width_suffix(width)
    )
}

/// One entry of a data tile (static-ct-api `TileLeaf`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileLeaf {
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// Certificate or precertificate.
    pub kind: EntryKind,
    /// The `leaf_index` extension, when present.
    pub leaf_index: Option<u64>,
    /// The RFC 6962 `MerkleTreeLeaf` the log hashed into its tree.
    pub merkle_tree_leaf: Vec<u8>,
    /// Precert only: the precertificate as submitted (with the poison).
    pub pre_certificate: Option<Vec<u8>>,
    /// SHA-256 of each issuer in the submitted chain, issuer first.
    pub chain: Vec<Hash>,
}

/// Decodes a data tile: `TileLeaf`s back to back until the bytes end.
/// `first_index` is the index of the tile's first entry, for messages.
pub fn parse_data_tile(bytes: &[u8], first_index: u64) -> Result<Vec<TileLeaf>, String> {
    let mut r = Reader { rest: bytes };
    let mut leaves = Vec::new();
    while !r.rest.is_empty() {
        let index = first_index + leaves.len() as u64;
        let leaf = parse_tile_leaf(&mut r).map_err(|e| format!("entry {index}: {e}"))?;
        leaves.push(leaf);
        if leaves.len() as u64 > TILE_WIDTH {
            return Err(format!("more than {TILE_WIDTH} entries in one data tile"));
        }
    }
    Ok(leaves)
}

fn parse_tile_leaf(r: &mut Reader<'_>) -> Result<TileLeaf, EntryError> {
    let start = r.rest;
    let timestamp = r.uint(8, "TimestampedEntry.timestamp")?;
    let kind = match r.uint(2, "TimestampedEntry.entry_type")? {
        0 => {
            let cert = r.vector(3, "TimestampedEntry.signed_entry (ASN.1Cert)")?;
            if cert.is_empty() {
                return Err(err("TimestampedEntry.signed_entry", "empty"));
            }
            EntryKind::X509
        }
        1 => {
            r.take(32, "PreCert.issuer_key_hash")?;
            if r.vector(3, "PreCert.tbs_certificate")?.is_empty() {
                return Err(err("PreCert.tbs_certificate", "empty"));
            }
            EntryKind::Precert
        }
        other => {
            return Err(err(
                "TimestampedEntry.entry_type",
                format!("{other} is neither x509_entry (0) nor precert_entry (1)"),
            ));
        }
    };
    let leaf_index = parse_extensions(r.vector(2, "TimestampedEntry.extensions")?)?;
    let entry_len = start.len() - r.rest.len();
    let mut merkle_tree_leaf = Vec::with_capacity(entry_len + 2);
    // MerkleTreeLeaf: version v1 (0), leaf_type timestamped_entry (0).
    merkle_tree_leaf.extend_from_slice(&[0, 0]);
    merkle_tree_leaf.extend_from_slice(&start[..entry_len]);
    let pre_certificate = match kind {
        EntryKind::X509 => None,
        EntryKind::Precert => {
            let pre = r.vector(3, "TileLeaf.pre_certificate")?;
            if pre.is_empty() {
                return Err(err("TileLeaf.pre_certificate", "empty"));
            }
            Some(pre.to_vec())
        }
    };
    let fingerprints = r.vector(2, "TileLeaf.certificate_chain")?;
    if fingerprints.len() % 32 != 0 {
        return Err(err(
            "TileLeaf.certificate_chain",
            format!(
                "{} bytes, not a whole number of fingerprints",
                fingerprints.len()
            ),
        ));
    }
    let chain = fingerprints
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect();
    Ok(TileLeaf {
        timestamp,
        kind,
        leaf_index,
        merkle_tree_leaf,
        pre_certificate,
        chain,
    })
}

/// `CtExtensions` (static-ct-api, "SCT Extension"): one-byte type, two-byte
/// length, data; no type twice. Returns the `leaf_index` (type 0, 40 bits).
fn parse_extensions(bytes: &[u8]) -> Result<Option<u64>, EntryError> {
    let mut r = Reader { rest: bytes };
    let mut seen = [false; 256];
    let mut leaf_index = None;
    while !r.rest.is_empty() {
        let kind = r.uint(1, "CtExtensions extension_type")? as usize;
        let data = r.vector(2, "CtExtensions extension_data")?;
        if std::mem::replace(&mut seen[kind], true) {
            return Err(err(
                "CtExtensions",
                format!("extension type {kind} appears twice"),
            ));
        }
        if kind == 0 {
            if data.len() != 5 {
                return Err(err(
                    "CtExtensions leaf_index",
                    format!("{} bytes, not a 40-bit integer", data.len()),
                ));
            }
            leaf_index = Some(data.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b)));
        }
    }
    Ok(leaf_index)
}

/// A client for one static-ct-api log.
#[derive(Clone, Debug)]
pub struct TiledClient {
    http: reqwest::Client,
    /// The monitoring prefix, ending in `/`.
    base: Arc<str>,
    /// The checkpoint origin, from the submission prefix.
    origin: Arc<str>,
    issuers: Arc<Mutex<HashMap<Hash, Arc<[u8]>>>>,
}

impl TiledClient {
    /// A client for the log with these prefixes (as in the log list),
    /// validating HTTPS with the Mozilla roots (webpki-roots).
    pub fn new(monitoring_url: &str, submission_url: &str) -> Result<Self, ClientError> {
        let http = http_client().map_err(|e| transport(monitoring_url, e))?;
        Ok(Self::with_http(http, monitoring_url, submission_url))
    }

    /// A client sharing an existing reqwest client.
    pub fn with_http(http: reqwest::Client, monitoring_url: &str, submission_url: &str) -> Self {
        let base = if monitoring_url.ends_with('/') {
            monitoring_url.to_owned()
        } else {
            format!("{monitoring_url}/")
        };
        Self {
            http,
            base: base.into(),
            origin: origin_of(submission_url).into(),
            issuers: Arc::default(),
        }
    }

    /// The monitoring prefix.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The origin the log's checkpoints must carry.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    async fn get(&self, path: &str) -> Result<(String, Vec<u8>), ClientError> {
        let url = format!("{}{path}", self.base);
        let body = get_body(&self.http, &url).await?;
        Ok((url, body))
    }

    /// The latest checkpoint, parsed but not verified: verify it with
    /// [`Checkpoint::verify`] and [`Self::origin`] before using it.
    pub async fn checkpoint(&self) -> Result<Checkpoint, ClientError> {
        let (url, body) = self.get("checkpoint").await?;
        if body.len() > MAX_CHECKPOINT_BYTES {
            return Err(decode(&url, "the checkpoint is too large"));
        }
        Checkpoint::parse(&body).map_err(|e| decode(&url, e))
    }

    /// Hash tile `index` at `level`, `width` hashes wide (256 for a full
    /// tile). Only ask for a partial tile a verified checkpoint implies.
    pub async fn hash_tile(
        &self,
        level: u8,
        index: u64,
        width: u64,
    ) -> Result<Vec<Hash>, ClientError> {
        check_width(&self.base, width)?;
        let (url, body) = self
            .get_tile(
                &tile_path(level, index, width),
                &tile_path(level, index, TILE_WIDTH),
                width,
            )
            .await?;
        let want = width as usize * 32;
        // A full tile fetched in place of a vanished partial one is longer.
        if body.len() < want || (width == TILE_WIDTH && body.len() != want) {
            return Err(decode(
                &url,
                format!("{} bytes, expected {want} ({width} hashes)", body.len()),
            ));
        }
        Ok(body[..want]
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                h
            })
            .collect())
    }

    /// Data tile `index`, `width` entries wide, decoded; every entry's
    /// `leaf_index` extension, when present, must be its position.
    pub async fn data_tile(&self, index: u64, width: u64) -> Result<Vec<TileLeaf>, ClientError> {
        check_width(&self.base, width)?;
        let (url, body) = self
            .get_tile(
                &data_tile_path(index, width),
                &data_tile_path(index, TILE_WIDTH),
                width,
            )
            .await?;
        let first = index * TILE_WIDTH;
        let mut leaves = parse_data_tile(&body, first).map_err(|e| decode(&url, e))?;
        let full = leaves.len() as u64 == TILE_WIDTH;
        if (leaves.len() as u64) < width || (width == TILE_WIDTH && !full) {
            return Err(decode(
                &url,
                format!("{} entries, expected {width}", leaves.len()),
            ));
        }
        leaves.truncate(width as usize);
        for (i, leaf) in leaves.iter().enumerate() {
            let at = first + i as u64;
            match leaf.leaf_index {
                Some(n) if n != at => {
                    return Err(decode(&url, format!("entry {at} carries leaf_index {n}")));
                }
                _ => {}
            }
        }
        Ok(leaves)
    }

    /// A partial tile, or the full one when the partial tile is gone (logs
    /// may delete partial tiles once the full tile exists).
    async fn get_tile(
        &self,
        partial: &str,
        full: &str,
        width: u64,
    ) -> Result<(String, Vec<u8>), ClientError> {
        match self.get(partial).await {
            Err(ClientError::Status { status: 404, .. }) if width < TILE_WIDTH => {
                self.get(full).await
            }
            other => other,
        }
    }

    /// The issuer certificate with this fingerprint (DER), checked against
    /// it and cached.
    pub async fn issuer(&self, fingerprint: &Hash) -> Result<Arc<[u8]>, ClientError> {
        if let Some(cert) = self.cached(fingerprint) {
            return Ok(cert);
        }
        let (url, body) = self
            .get(&format!("issuer/{}", crate::cert::hex(fingerprint)))
            .await?;
        if Sha256::digest(&body).as_slice() != fingerprint {
            return Err(decode(&url, "the issuer does not hash to its fingerprint"));
        }
        let cert: Arc<[u8]> = body.into();
        let mut cache = self.issuers.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= MAX_CACHED_ISSUERS {
            cache.clear();
        }
        cache.insert(*fingerprint, cert.clone());
        Ok(cert)
    }

    fn cached(&self, fingerprint: &Hash) -> Option<Arc<[u8]>> {
        self.issuers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(fingerprint)
            .cloned()
    }

    /// Entries `start..=end` as RFC 6962 `get-entries` would return them.
    /// The range must lie in one data tile, and `end + 1` must be the end
    /// of that tile or the size of a verified checkpoint (partial tiles
    /// exist only for checkpointed sizes).
    pub async fn entries(&self, start: u64, end: u64) -> Result<Vec<RawEntry>, ClientError> {
        let tile = start / TILE_WIDTH;
        if end < start || end / TILE_WIDTH != tile {
            return Err(decode(
                &self.base,
                format!("entries {start}..={end} are not within one data tile"),
            ));
        }
        let width = end + 1 - tile * TILE_WIDTH;
        let leaves = self.data_tile(tile, width).await?;
        let skip = (start - tile * TILE_WIDTH) as usize;
        let mut out = Vec::with_capacity(leaves.len() - skip);
        for leaf in leaves.into_iter().skip(skip) {
            let mut chain = Vec::with_capacity(leaf.chain.len());
            for fingerprint in &leaf.chain {
                chain.push(self.issuer(fingerprint).await?);
            }
            let chain: Vec<&[u8]> = chain.iter().map(|c| &c[..]).collect();
            let extra_data = encode_extra_data(leaf.pre_certificate.as_deref(), &chain);
            out.push(RawEntry {
                leaf_input: leaf.merkle_tree_leaf,
                extra_data,
            });
        }
        Ok(out)
    }
}

fn check_width(url: &str, width: u64) -> Result<(), ClientError> {
    if width == 0 || width > TILE_WIDTH {
        return Err(decode(
            url,
            format!("a tile is 1 to {TILE_WIDTH} wide, not {width}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_paths() {
        assert_eq!(tile_index_path(0), "000");
        assert_eq!(tile_index_path(999), "999");
        assert_eq!(tile_index_path(1000), "x001/000");
        assert_eq!(tile_path(1, 1_234_067, 256), "tile/1/x001/x234/067");
        assert_eq!(data_tile_path(5, 17), "tile/data/005.p/17");
    }

    #[test]
    fn extensions_are_strict() {
        assert_eq!(parse_extensions(&[]).unwrap(), None);
        assert_eq!(
            parse_extensions(&[0, 0, 5, 0, 0, 0, 1, 2]).unwrap(),
            Some(258)
        );
        // An unknown extension is skipped.
        assert_eq!(
            parse_extensions(&[9, 0, 1, 7, 0, 0, 5, 0, 0, 0, 0, 3]).unwrap(),
            Some(3)
        );
        assert!(parse_extensions(&[0, 0, 4, 0, 0, 0, 1]).is_err());
        assert!(parse_extensions(&[0, 0, 5, 0, 0, 0, 0, 1, 0, 0, 5, 0, 0, 0, 0, 1]).is_err());
        assert!(parse_extensions(&[0, 0, 5, 0]).is_err());
    }
}
