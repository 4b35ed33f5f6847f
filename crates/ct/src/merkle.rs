//! RFC 9162 §2.1: the Merkle tree hash, and the verification algorithms of
//! §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), as the RFC states them.

use sha2::{Digest as _, Sha256};

/// A SHA-256 tree hash.
pub type Hash = [u8; 32];

/// Why a proof does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// Index or sizes out of range, or a proof where none is allowed.
    #[error("{0}")]
    Shape(String),
    /// The proof is well-formed but does not lead to the root.
    #[error("the proof does not lead to the expected root")]
    Mismatch,
}

/// `HASH(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// `HASH(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Verifies that `leaf` is entry `index` of the tree of `size` entries whose
/// root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &[u8],
    proof: &[Hash],
    root: &[u8],
) -> Result<(), ProofError> {
    let Ok(leaf) = <&Hash>::try_from(leaf) else {
        return Err(ProofError::Shape(format!(
            "a leaf hash of {} bytes, not 32",
            leaf.len()
        )));
    };
    if index >= size {
        return Err(ProofError::Shape(format!(
            "leaf index {index} is outside a tree of {size}"
        )));
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::Shape(
                "the proof is longer than the tree is tall".into(),
            ));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::Shape(
            "the proof is shorter than the tree is tall".into(),
        ));
    }
    if r.as_slice() == root {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

/// Verifies that the tree of `size2` entries with root `root2` extends the
/// tree of `size1` entries with root `root1` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: &[u8],
    root2: &[u8],
    proof: &[Hash],
) -> Result<(), ProofError> {
    if size1 > size2 {
        return Err(ProofError::Shape(format!(
            "the older tree ({size1}) is larger than the newer ({size2})"
        )));
    }
    if size1 == 0 {
        return Err(ProofError::Shape(
            "consistency with an empty tree proves nothing".into(),
        ));
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::Shape("equal sizes need an empty proof".into()));
        }
        return if root1 == root2 {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::Shape("the proof is empty".into()));
    }
    let Ok(first_root) = <&Hash>::try_from(root1) else {
        return Err(ProofError::Shape(format!(
            "a root of {} bytes, not 32",
            root1.len()
        )));
    };
    // Step 2: when size1 is a power of two, its root is the first node.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if size1.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let (mut fn_, mut sn) = (size1 - 1, size2 - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return Err(ProofError::Shape("the proof is too long".into()));
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::Shape("the proof is too short".into()));
    }
    if fr.as_slice() == root1 && sr.as_slice() == root2 {
        Ok(())
    } else {
        Err(ProofError::Mismatch)
    }
}

/// The right edge of a growing tree: the roots of its perfect subtrees,
/// largest first. Appending a leaf merges equal-sized subtrees; the root of
/// everything so far folds them right to left. Memory is O(log size).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    /// (subtree root, height), height strictly decreasing.
    nodes: Vec<(Hash, u32)>,
}

impl CompactRange {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Entries so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash.
    pub fn append(&mut self, leaf: Hash) {
        let mut node = (leaf, 0u32);
        while let Some(&(left, height)) = self.nodes.last() {
            if height != node.1 {
                break;
            }
            self.nodes.pop();
            node = (node_hash(&left, &node.0), height + 1);
        }
        self.nodes.push(node);
        self.size += 1;
    }

    /// The perfect subtrees' roots and heights, largest first.
    pub fn nodes(&self) -> &[(Hash, u32)] {
        &self.nodes
    }

    /// Rebuilds a range saved with [`Self::size`] and [`Self::nodes`];
    /// refuses nodes that can't be the right edge of a tree of `size`.
    pub fn from_parts(size: u64, nodes: Vec<(Hash, u32)>) -> Result<Self, String> {
        let mut total: u64 = 0;
        for (i, &(_, height)) in nodes.iter().enumerate() {
            if height >= 64 || (i > 0 && height >= nodes[i - 1].1) {
                return Err(format!(
                    "compact range heights must strictly decrease: {height} at {i}"
                ));
            }
            total += 1u64 << height;
        }
        if total != size {
            return Err(format!("compact range covers {total} entries, not {size}"));
        }
        Ok(Self { size, nodes })
    }

    /// The tree's root; the empty tree's is SHA-256 of nothing.
    pub fn root(&self) -> Hash {
        let mut nodes = self.nodes.iter().rev();
        let Some(&(last, _)) = nodes.next() else {
            return Sha256::digest([]).into();
        };
        nodes.fold(last, |right, (left, _)| node_hash(left, &right))
    }
}
