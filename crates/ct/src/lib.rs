//! pinwarden-ct: Certificate Transparency.
//!
//! The Merkle tree of RFC 6962 / RFC 9162 (leaf and node hashes, a compact
//! range that rebuilds a log's root entry by entry, inclusion and
//! consistency proofs), signed tree heads, Chrome's log list, an RFC 6962
//! client, log entries, and the pin-aware [`monitor`].
//!
//! Static-ct-api ("tiled", c2sp.org/static-ct-api) logs are read with
//! [`TiledClient`]: the [`Checkpoint`] (a signed note whose log signature is
//! an RFC 6962 tree head signature, verified with the same [`LogKey`] and
//! turned into the [`SignedTreeHead`] `get-sth` would have served), hash
//! tiles, data tiles and issuers. Data tile entries become the same
//! `MerkleTreeLeaf` and `extra_data` bytes an RFC 6962 log serves, so the
//! monitor scans, hashes and verifies both kinds of log with one code path;
//! [`monitor::LogSource::new`] picks the client from the log list.

mod cert;
mod checkpoint;
mod client;
mod entry;
mod loglist;
mod merkle;
pub mod monitor;
mod sth;
mod tbs;
mod tiled;
mod watch;

pub use cert::{CertInfo, entry_names};
pub use checkpoint::{
    Checkpoint, CheckpointError, MAX_CHECKPOINT_BYTES, NoteSignature, origin_of, rfc6962_key_id,
    signature_line,
};
pub use client::{ClientError, LogClient, MAX_BODY_BYTES, RawEntry, fetch, http_client};
pub use entry::{
    EntryError, EntryKind, ExtraData, Leaf, encode_extra_data, encode_precert_leaf,
    encode_x509_leaf, parse_extra_data, parse_leaf,
};
pub use loglist::{Api, Interval, Log, LogListError, parse_log_list};
pub use merkle::{
    CompactRange, Hash, ProofError, leaf_hash, node_hash, verify_consistency, verify_inclusion,
};
pub use sth::{LogKey, SignedTreeHead, SthError, tree_head_tbs};
pub use tbs::{reduced_tbs, tbs_sha256};
pub use tiled::{
    TILE_WIDTH, TileLeaf, TiledClient, data_tile_path, parse_data_tile, tile_index_path, tile_path,
};
pub use watch::{Watchlist, WatchlistError};
