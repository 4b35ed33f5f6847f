//! pinwarden-ct: Certificate Transparency.
//!
//! The Merkle tree of RFC 6962 / RFC 9162 (leaf and node hashes, a compact
//! range that rebuilds a log's root entry by entry, inclusion and
//! consistency proofs), signed tree heads, Chrome's log list, an RFC 6962
//! client, log entries, and the pin-aware [`monitor`].

mod cert;
mod client;
mod entry;
mod loglist;
mod merkle;
pub mod monitor;
mod sth;
mod tbs;
mod watch;

pub use cert::{CertInfo, entry_names};
pub use client::{ClientError, LogClient, RawEntry, fetch, http_client};
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
pub use watch::{Watchlist, WatchlistError};
