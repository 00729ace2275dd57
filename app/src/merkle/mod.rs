//! Tamper-evident proofs over a tenant's records: the RFC 6962 Merkle tree, its
//! inclusion and consistency proofs (RFC 9162 §2.1), its storage as C2SP tlog-tiles
//! ([`tiles`]) and signed checkpoints in the C2SP signed-note format ([`note`]).
//!
//! Pure and storage-agnostic: the tree is read through [`NodeSource`], which answers
//! only for *complete* subtrees (2^level leaves, aligned). Those never change once
//! written, so storage can cache and serve them forever; every root, proof and
//! partial-tree hash is derived from them here, in O(log n) reads.

pub mod note;
pub mod range;
pub mod tiles;

#[cfg(test)]
mod testing;

use sha2::{Digest, Sha256};

/// A SHA-256 tree hash: a leaf hash, an interior node or a root.
pub type Hash = [u8; 32];

/// RFC 6962 §2.1: a leaf is hashed with a 0x00 prefix, an interior node with 0x01, so
/// no leaf can be passed off as a node (second-preimage resistance).
pub fn leaf_hash(data: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([0x00])
        .chain_update(data)
        .finalize()
        .into()
}

/// RFC 6962 §2.1: the hash of an interior node over its two children.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([0x01])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// RFC 6962 §2.1: the root of the empty tree, SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The stored tree, as seen by the proof code.
///
/// `node(level, index)` is the root of the complete subtree of the 2^level leaves
/// starting at leaf `index * 2^level` (level 0: the leaf hashes). The tree code asks
/// only for nodes that are complete in the tree size it works on.
pub trait NodeSource {
    type Error;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// Why a proof, or a request for one, was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is not inside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the range [{first}, {end}) is empty or not inside a tree of size {size}")]
    RangeOutOfTree { first: u64, end: u64, size: u64 },
    #[error("old tree size {old} is larger than new tree size {new}")]
    SizesOutOfOrder { old: u64, new: u64 },
    #[error("the proof has {got} hashes, a proof for these sizes has {want}")]
    WrongLength { got: usize, want: usize },
    #[error("the proof does not lead to the old root")]
    OldRootMismatch,
    #[error("the proof does not lead to the root")]
    RootMismatch,
}

/// Why a root or proof could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ProveError<E> {
    #[error(transparent)]
    Invalid(ProofError),
    #[error("reading the tree")]
    Source(#[source] E),
}

/// RFC 6962 MTH of the first `size` leaves. The tree is split into its complete
/// subtrees (one per bit of `size`), which are folded from the right: popcount(size)
/// node reads.
pub fn root<S: NodeSource>(size: u64, src: &mut S) -> Result<Hash, S::Error> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_root(src, 0, size)
}

/// MTH of the `len` leaves from `start`, where `start` is a multiple of the largest
/// power of two not above `len` (every range the RFC's recursion visits is).
fn range_root<S: NodeSource>(src: &mut S, start: u64, len: u64) -> Result<Hash, S::Error> {
    // Largest subtree first, so each one is aligned on its own size.
    let mut parts = Vec::with_capacity(len.count_ones() as usize);
    let mut at = start;
    for level in (0..64u32).rev() {
        let width = 1u64 << level;
        if len & width != 0 {
            parts.push(src.node(level, at >> level)?);
            at += width;
        }
    }
    // MTH(D[n]) = H(MTH(D[0:k]), MTH(D[k:n])): the right-hand parts nest inside.
    let mut acc = parts.pop().unwrap_or_else(empty_root);
    while let Some(left) = parts.pop() {
        acc = node_hash(&left, &acc);
    }
    Ok(acc)
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

/// RFC 9162 §2.1.3.1 PATH(index, D[size]): the sibling hashes from the leaf up.
pub fn inclusion_proof<S: NodeSource>(
    index: u64,
    size: u64,
    src: &mut S,
) -> Result<Vec<Hash>, ProveError<S::Error>> {
    if index >= size {
        return Err(ProveError::Invalid(ProofError::IndexOutOfRange {
            index,
            size,
        }));
    }
    // Walk down from the root; the RFC's recursion emits the deepest sibling first.
    let mut proof = Vec::new();
    let (mut start, mut len) = (0u64, size);
    while len > 1 {
        let k = split_point(len);
        if index - start < k {
            proof.push(range_root(src, start + k, len - k).map_err(ProveError::Source)?);
            len = k;
        } else {
            proof.push(range_root(src, start, k).map_err(ProveError::Source)?);
            start += k;
            len -= k;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// RFC 9162 §2.1.4.1 PROOF(old, D[new]). Empty when `old` is 0 or equals `new`: those
/// need no proof (see [`verify_consistency`]).
pub fn consistency_proof<S: NodeSource>(
    old: u64,
    new: u64,
    src: &mut S,
) -> Result<Vec<Hash>, ProveError<S::Error>> {
    if old > new {
        return Err(ProveError::Invalid(ProofError::SizesOutOfOrder {
            old,
            new,
        }));
    }
    let mut proof = Vec::new();
    if old == 0 || old == new {
        return Ok(proof);
    }
    // SUBPROOF(m, D[start..start+len], whole), walked down from the root.
    let (mut start, mut len, mut m, mut whole) = (0u64, new, old, true);
    while m < len {
        let k = split_point(len);
        if m <= k {
            proof.push(range_root(src, start + k, len - k).map_err(ProveError::Source)?);
            len = k;
        } else {
            proof.push(range_root(src, start, k).map_err(ProveError::Source)?);
            start += k;
            m -= k;
            len -= k;
            whole = false;
        }
    }
    // SUBPROOF(m, D[m], false) = {MTH(D[m])}: the old tree is not a subtree of the
    // new one on its own, so the verifier needs its root to start from.
    if !whole {
        proof.push(range_root(src, start, len).map_err(ProveError::Source)?);
    }
    proof.reverse();
    Ok(proof)
}

/// The length of PATH(index, D[size]): one hash per level below the point where the
/// leaf's path leaves the right edge, plus one per left subtree along that edge.
fn inclusion_len(index: u64, size: u64) -> (u32, u32) {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = (index.checked_shr(inner).unwrap_or(0)).count_ones();
    (inner, border)
}

/// The length of PROOF(old, D[new]) for 0 < old < new: the inclusion path of leaf
/// old − 1, less the `shift` levels inside the old tree's last complete subtree,
/// whose root comes first in the proof (unless the old tree is that subtree: then
/// the verifier already holds it as the old root).
fn consistency_len(old: u64, new: u64) -> usize {
    let (inner, border) = inclusion_len(old - 1, new);
    let shift = old.trailing_zeros();
    let seeded = usize::from(!old.is_power_of_two());
    seeded + inner.saturating_sub(shift) as usize + border as usize
}

/// RFC 9162 §2.1.3.2: checks that `leaf` is leaf `index` of the tree of `size`
/// leaves whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (inner, border) = inclusion_len(index, size);
    let want = (inner + border) as usize;
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want,
            });
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: checks that the tree of `old` leaves with root `old_root` is a
/// prefix of the tree of `new` leaves with root `new_root`.
///
/// The RFC leaves the trivial cases out; here a tree is consistent with itself when
/// the roots are equal and the proof empty, and the empty tree (whose root must be
/// [`empty_root`]) with every tree, by an empty proof.
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::SizesOutOfOrder { old, new });
    }
    if old == 0 || old == new {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            });
        }
        if old == 0 && *old_root != empty_root() {
            return Err(ProofError::OldRootMismatch);
        }
        if old == new && old_root != new_root {
            return Err(ProofError::RootMismatch);
        }
        return Ok(());
    }
    let want = consistency_len(old, new);
    let wrong_length = ProofError::WrongLength {
        got: proof.len(),
        want,
    };
    if proof.len() != want {
        return Err(wrong_length);
    }
    // Step 2: when the old tree is a complete subtree its root starts the path.
    let seed = old.is_power_of_two().then_some(old_root);
    let mut path = seed.into_iter().chain(proof);
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let Some(first) = path.next() else {
        return Err(wrong_length);
    };
    let (mut fr, mut sr) = (*first, *first);
    for c in path {
        if s == 0 {
            return Err(wrong_length);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(wrong_length);
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
