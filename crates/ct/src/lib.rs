//! pinwarden-ct: Certificate Transparency.
//!
//! So far the Merkle tree of RFC 6962 / RFC 9162: leaf and node hashes, a
//! compact range that rebuilds a log's root from its entries one at a time,
//! and inclusion and consistency proof verification. Log clients (RFC 6962
//! and static-ct-api), STH and checkpoint signatures, and the pin-aware
//! monitor build on it.

mod loglist;
mod merkle;
mod sth;

pub use loglist::{Api, Interval, Log, LogListError, parse_log_list};
pub use merkle::{
    CompactRange, Hash, ProofError, leaf_hash, node_hash, verify_consistency, verify_inclusion,
};
pub use sth::{LogKey, SignedTreeHead, SthError, tree_head_tbs};
