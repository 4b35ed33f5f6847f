//! What CT logs send, on arbitrary bytes: log entries (`MerkleTreeLeaf`,
//! `extra_data`, the certificate or TBS inside, the TBS hash), checkpoints,
//! data tiles and log lists. An error or a value, never a panic. The first
//! byte picks the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinwarden_ct::{
    CertInfo, Checkpoint, EntryKind, entry_names, parse_data_tile, parse_extra_data, parse_leaf,
    parse_log_list, reduced_tbs,
};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 5 {
        0 => {
            if let Ok(leaf) = parse_leaf(rest) {
                assert!(!leaf.cert.is_empty());
                let _ = entry_names(leaf.kind, leaf.cert);
                let _ = CertInfo::parse(leaf.kind, leaf.cert);
                let _ = reduced_tbs(leaf.cert, leaf.kind == EntryKind::Precert);
            }
        }
        1 => {
            for kind in [EntryKind::X509, EntryKind::Precert] {
                if let Ok(extra) = parse_extra_data(kind, rest) {
                    assert_eq!(extra.precertificate.is_some(), kind == EntryKind::Precert);
                }
            }
        }
        2 => {
            let _ = Checkpoint::parse(rest);
        }
        3 => {
            let _ = parse_data_tile(rest, 0);
        }
        _ => {
            let _ = parse_log_list(rest);
        }
    }
});
