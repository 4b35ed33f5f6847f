//! The Merkle tree against public test vectors (crates/ct/testdata/merkle,
//! copied from transparency-dev/merkle with its licence): every happy path
//! verifies, every mutation fails; the compact range reproduces the vectors'
//! roots.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pinwarden_ct::{
    CompactRange, Hash, leaf_hash, node_hash, verify_consistency, verify_inclusion,
};
use proptest::prelude::*;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/merkle")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Bytes from base64.
fn bytes(v: &serde_json::Value) -> Option<Vec<u8>> {
    STANDARD.decode(v.as_str().unwrap_or_default()).ok()
}

/// A 32-byte hash from base64; anything else is a malformed input.
fn hash(v: &serde_json::Value) -> Option<Hash> {
    bytes(v)?.try_into().ok()
}

fn proof(v: &serde_json::Value) -> Option<Vec<Hash>> {
    match v {
        serde_json::Value::Null => Some(Vec::new()),
        serde_json::Value::Array(items) => items.iter().map(hash).collect(),
        _ => None,
    }
}

/// Verifies one vector file; Ok(()) means it verified.
fn check(v: &serde_json::Value) -> Result<(), String> {
    if v.get("leafIdx").is_some() {
        let (Some(leaf), Some(root), Some(path)) =
            (bytes(&v["leafHash"]), bytes(&v["root"]), proof(&v["proof"]))
        else {
            return Err("malformed hash".into());
        };
        verify_inclusion(
            v["leafIdx"].as_u64().unwrap(),
            v["treeSize"].as_u64().unwrap(),
            &leaf,
            &path,
            &root,
        )
        .map_err(|e| e.to_string())
    } else {
        let (Some(root1), Some(root2), Some(path)) =
            (bytes(&v["root1"]), bytes(&v["root2"]), proof(&v["proof"]))
        else {
            return Err("malformed hash".into());
        };
        verify_consistency(
            v["size1"].as_u64().unwrap(),
            v["size2"].as_u64().unwrap(),
            &root1,
            &root2,
            &path,
        )
        .map_err(|e| e.to_string())
    }
}

#[test]
fn every_happy_path_verifies_and_every_mutation_fails() {
    let all = files(&vectors());
    assert!(all.len() > 150, "the vectors are there: {}", all.len());
    let (mut happy, mut mutations) = (0, 0);
    for file in &all {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let want_err = v["wantErr"].as_bool().unwrap();
        let got = check(&v);
        assert_eq!(
            got.is_err(),
            want_err,
            "{}: {} gave {got:?}",
            file.display(),
            v["desc"]
        );
        if want_err {
            mutations += 1;
        } else {
            happy += 1;
        }
    }
    assert!(
        happy >= 10 && mutations >= 100,
        "{happy} happy, {mutations} mutations"
    );
}

/// RFC 9162 §2.1.1's definition, written as recursion: the reference.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => sha2_empty(),
        1 => leaves[0],
        n => {
            let k = largest_power_of_two_below(n);
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

fn sha2_empty() -> Hash {
    // SHA-256 of the empty string, from FIPS 180-2's examples.
    let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

/// RFC 9162 §2.1.3.1's PATH, as recursion.
fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = largest_power_of_two_below(n);
    if m < k {
        let mut p = path(m, &leaves[..k]);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = path(m - k, &leaves[k..]);
        p.push(mth(&leaves[..k]));
        p
    }
}

fn largest_power_of_two_below(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The tree the vectors use: RFC 6962's eight test leaves.
fn test_leaves() -> Vec<Hash> {
    let entries: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    entries.iter().map(|e| leaf_hash(e)).collect()
}

#[test]
fn the_compact_range_rebuilds_the_vectors_roots() {
    // Every (size, root) pair the consistency happy paths state.
    let mut known = std::collections::BTreeMap::new();
    for file in files(&vectors().join("consistency")) {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        if v["wantErr"] == false {
            // The "don't care" roots of equal-size cases are not tree roots.
            for (size, root) in [("size1", "root1"), ("size2", "root2")] {
                if let Some(r) = hash(&v[root]) {
                    known.insert(v[size].as_u64().unwrap(), r);
                }
            }
        }
    }
    assert!(known.len() >= 4, "{known:?}");
    let mut range = CompactRange::new();
    assert_eq!(range.root(), sha2_empty());
    for (i, leaf) in test_leaves().into_iter().enumerate() {
        range.append(leaf);
        if let Some(root) = known.get(&(i as u64 + 1)) {
            assert_eq!(&range.root(), root, "size {}", i + 1);
        }
    }
    assert_eq!(range.size(), 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For random trees: the compact range agrees with the recursive
    /// definition, and the definition's inclusion paths verify for every leaf
    /// (and fail for the neighbour's index).
    #[test]
    fn compact_range_and_inclusion_agree_with_the_definition(
        entries in prop::collection::vec(any::<u16>(), 1..70),
    ) {
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(&e.to_be_bytes())).collect();
        let mut range = CompactRange::new();
        for l in &leaves {
            range.append(*l);
        }
        let root = mth(&leaves);
        prop_assert_eq!(range.root(), root);
        for (m, leaf) in leaves.iter().enumerate() {
            let p = path(m, &leaves);
            prop_assert!(verify_inclusion(m as u64, leaves.len() as u64, leaf, &p, &root).is_ok());
            if leaves.len() > 1 && leaves[(m + 1) % leaves.len()] != *leaf {
                let other = (m + 1) % leaves.len();
                prop_assert!(verify_inclusion(other as u64, leaves.len() as u64, leaf, &p, &root).is_err());
            }
        }
    }
}
