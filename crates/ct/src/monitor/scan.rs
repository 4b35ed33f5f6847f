//! The CPU part of monitoring, run off the async threads: hash every entry
//! into the tree, decode it, match its names against the watchlist, and
//! for a match collect what an alert needs.

use pinwarden_core::SpkiPin;
use sha2::{Digest as _, Sha256};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer as _;

use crate::cert::{CertInfo, entry_names, hex};
use crate::client::RawEntry;
use crate::entry::{EntryKind, parse_extra_data, parse_leaf};
use crate::merkle::{Hash, leaf_hash};
use crate::watch::Watchlist;

/// A matched entry, decoded.
#[derive(Clone, Debug)]
pub struct Matched {
    /// Entry index.
    pub index: u64,
    /// Entry timestamp (ms).
    pub timestamp: u64,
    /// Certificate or precertificate.
    pub kind: EntryKind,
    /// The watchlist item.
    pub watch_item: String,
    /// The certificate's facts.
    pub info: CertInfo,
    /// SHA-256 of the certificate (or precertificate), hex.
    pub cert_sha256: String,
    /// RFC 6962 TBS hash, hex (empty if the TBS couldn't be reduced).
    pub tbs_sha256: String,
    /// The issuing chain's pins, issuer first.
    pub chain: Vec<SpkiPin>,
}

/// What a run of entries yielded.
#[derive(Debug, Default)]
pub struct Scanned {
    /// Leaf hashes, in order.
    pub leaf_hashes: Vec<Hash>,
    /// Watchlist matches.
    pub matches: Vec<Matched>,
    /// Entries that couldn't be decoded: index and reason.
    pub malformed: Vec<(u64, String)>,
}

/// Scans entries `start..start + entries.len()`.
pub fn scan(start: u64, entries: &[RawEntry], watchlist: &Watchlist) -> Scanned {
    let mut out = Scanned {
        leaf_hashes: Vec::with_capacity(entries.len()),
        ..Scanned::default()
    };
    for (i, entry) in entries.iter().enumerate() {
        let index = start + i as u64;
        out.leaf_hashes.push(leaf_hash(&entry.leaf_input));
        match scan_one(index, entry, watchlist) {
            Ok(Some(m)) => out.matches.push(m),
            Ok(None) => {}
            Err(reason) => out.malformed.push((index, reason)),
        }
    }
    out
}

fn scan_one(
    index: u64,
    entry: &RawEntry,
    watchlist: &Watchlist,
) -> Result<Option<Matched>, String> {
    let leaf = parse_leaf(&entry.leaf_input).map_err(|e| e.to_string())?;
    let names = entry_names(leaf.kind, leaf.cert).map_err(|e| e.to_string())?;
    let Some(item) = watchlist.matches_any(&names) else {
        return Ok(None);
    };
    let info = CertInfo::parse(leaf.kind, leaf.cert).map_err(|e| e.to_string())?;
    let extra = parse_extra_data(leaf.kind, &entry.extra_data).map_err(|e| e.to_string())?;
    let chain = extra
        .chain
        .iter()
        .enumerate()
        .map(|(n, der)| {
            X509Certificate::from_der(der)
                .map(|(_, c)| SpkiPin::from_spki_der(c.tbs_certificate.subject_pki.raw))
                .map_err(|e| format!("extra_data chain certificate {n}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (cert_sha256, tbs_sha256) = match leaf.kind {
        EntryKind::X509 => (
            hex(&Sha256::digest(leaf.cert)),
            crate::tbs::tbs_sha256(leaf.cert, false),
        ),
        EntryKind::Precert => (
            extra
                .precertificate
                .map(|p| hex(&Sha256::digest(p)))
                .unwrap_or_default(),
            crate::tbs::tbs_sha256(leaf.cert, true),
        ),
    };
    Ok(Some(Matched {
        index,
        timestamp: leaf.timestamp,
        kind: leaf.kind,
        watch_item: item.to_owned(),
        info,
        cert_sha256,
        tbs_sha256: tbs_sha256.unwrap_or_default(),
        chain,
    }))
}
