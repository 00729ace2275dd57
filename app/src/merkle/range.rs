//! Proving a contiguous range of leaves complete: given every leaf of [first, end) and
//! the roots of the subtrees wholly outside it, the tree's root can be recomputed; so a
//! range that lost, gained or reordered a leaf cannot reach a signed root. The hashes
//! are those RFC 6962's recursion over [0, size) meets outside the range, left to right
//! (the README's "Export bundles" gives the verifier's side in pseudo-code).

use super::{node_hash, range_root, split_point, Hash, NodeSource, ProofError, ProveError};

/// Why a range, or a proof of one, was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError<E> {
    #[error(transparent)]
    OutOfTree(ProofError),
    #[error("the range proof has too few hashes")]
    TooShort,
    #[error("the range proof has {0} hashes too many")]
    TooLong(usize),
    #[error("the range's leaves and proof do not lead to the root")]
    RootMismatch,
    /// The leaves could not be read.
    #[error(transparent)]
    Leaf(E),
}

fn check(first: u64, end: u64, size: u64) -> Result<(), ProofError> {
    if first >= end || end > size {
        return Err(ProofError::RangeOutOfTree { first, end, size });
    }
    Ok(())
}

/// The proof that leaves [first, end) are all of the tree of `size` leaves between
/// those indexes: at most two hashes per level.
pub fn range_proof<S: NodeSource>(
    first: u64,
    end: u64,
    size: u64,
    src: &mut S,
) -> Result<Vec<Hash>, ProveError<S::Error>> {
    check(first, end, size).map_err(ProveError::Invalid)?;
    let mut out = Vec::new();
    outside(0, size, first, end, src, &mut out).map_err(ProveError::Source)?;
    Ok(out)
}

/// Pushes the roots of the subtrees of [lo, hi) that the recursion meets outside the
/// range; a subtree wholly inside it needs none.
fn outside<S: NodeSource>(
    lo: u64,
    hi: u64,
    first: u64,
    end: u64,
    src: &mut S,
    out: &mut Vec<Hash>,
) -> Result<(), S::Error> {
    if hi <= first || lo >= end {
        out.push(range_root(src, lo, hi - lo)?);
    } else if !(first <= lo && hi <= end) {
        let k = split_point(hi - lo);
        outside(lo, lo + k, first, end, src, out)?;
        outside(lo + k, hi, first, end, src, out)?;
    }
    Ok(())
}

/// Recomputes the root of the tree of `size` leaves from the leaves of [first, end),
/// which `next_leaf` yields in order, and `proof`; checks it is `root` and that the
/// proof held exactly the hashes needed. Memory: the recursion's depth, at most 64.
pub fn verify_range<E>(
    first: u64,
    end: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
    next_leaf: &mut impl FnMut() -> Result<Hash, E>,
) -> Result<(), RangeError<E>> {
    check(first, end, size).map_err(RangeError::OutOfTree)?;
    let mut hashes = proof.iter();
    let got = rebuild(0, size, first, end, &mut hashes, next_leaf)?;
    if hashes.len() > 0 {
        return Err(RangeError::TooLong(hashes.len()));
    }
    if got != *root {
        return Err(RangeError::RootMismatch);
    }
    Ok(())
}

fn rebuild<'a, E>(
    lo: u64,
    hi: u64,
    first: u64,
    end: u64,
    proof: &mut impl Iterator<Item = &'a Hash>,
    next_leaf: &mut impl FnMut() -> Result<Hash, E>,
) -> Result<Hash, RangeError<E>> {
    if hi <= first || lo >= end {
        return proof.next().copied().ok_or(RangeError::TooShort);
    }
    if hi - lo == 1 {
        return next_leaf().map_err(RangeError::Leaf);
    }
    let k = split_point(hi - lo);
    let left = rebuild(lo, lo + k, first, end, proof, next_leaf)?;
    let right = rebuild(lo + k, hi, first, end, proof, next_leaf)?;
    Ok(node_hash(&left, &right))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::leaf_hash;
    use crate::merkle::testing::{leaf_hashes as leaves, naive_mth, MemoryTree};

    #[test]
    fn every_range_of_small_trees_verifies_and_nothing_else_does() {
        for size in 1..=33_u64 {
            let all = leaves(size);
            let mut tree = MemoryTree::new(&all);
            let root = naive_mth(&all);
            for first in 0..size {
                for end in first + 1..=size {
                    let proof = range_proof(first, end, size, &mut tree).expect("proof");
                    assert!(proof.len() <= 2 * 64);
                    let run = |leaves: Vec<Hash>, proof: &[Hash]| {
                        let mut it = leaves.into_iter();
                        verify_range(first, end, size, proof, &root, &mut || {
                            it.next().ok_or("no more leaves")
                        })
                    };
                    let range = all[first as usize..end as usize].to_vec();
                    assert_eq!(run(range.clone(), &proof), Ok(()), "{size} {first} {end}");
                    // One leaf changed, or one of the range left out.
                    let mut edited = range.clone();
                    edited[0] = leaf_hash(b"edited");
                    assert!(run(edited, &proof).is_err());
                    if range.len() > 1 {
                        let dropped = range[1..].to_vec();
                        assert!(run(dropped, &proof).is_err());
                        let mut swapped = range.clone();
                        swapped.swap(0, 1);
                        assert!(run(swapped, &proof).is_err());
                    }
                    if let Some((_, short)) = proof.split_last() {
                        assert!(run(range.clone(), short).is_err());
                    }
                    let mut long = proof.clone();
                    long.push(root);
                    assert_eq!(run(range, &long), Err(RangeError::TooLong(1)));
                }
            }
        }
    }

    #[test]
    fn ranges_outside_the_tree_are_refused() {
        let mut tree = MemoryTree::new(&leaves(4));
        for (first, end) in [(2, 2), (3, 2), (0, 5)] {
            assert!(matches!(
                range_proof(first, end, 4, &mut tree),
                Err(ProveError::Invalid(ProofError::RangeOutOfTree { .. }))
            ));
        }
    }
}
