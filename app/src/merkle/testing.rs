//! Test helpers: the RFC 6962 definitions written as literally as the RFC states
//! them (recursion over leaf slices), and an in-memory tree to check the fast code
//! against.

use super::{empty_root, leaf_hash, node_hash, Hash, NodeSource};
use std::convert::Infallible;

/// Leaf `i`'s data: distinct, deterministic, of varying length.
pub fn leaf_data(i: u64) -> Vec<u8> {
    format!("record {i} {}", "x".repeat((i % 7) as usize)).into_bytes()
}

pub fn leaf_hashes(n: u64) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&leaf_data(i))).collect()
}

fn k_of(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 6962 §2.1 MTH over leaf hashes.
pub fn naive_mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = k_of(n);
            node_hash(&naive_mth(&leaves[..k]), &naive_mth(&leaves[k..]))
        }
    }
}

/// RFC 6962 §2.1.1 PATH(m, D[n]).
pub fn naive_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = k_of(n);
    if m < k {
        let mut p = naive_path(m, &leaves[..k]);
        p.push(naive_mth(&leaves[k..]));
        p
    } else {
        let mut p = naive_path(m - k, &leaves[k..]);
        p.push(naive_mth(&leaves[..k]));
        p
    }
}

/// RFC 6962 §2.1.2 PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
pub fn naive_proof(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    naive_subproof(m, leaves, true)
}

fn naive_subproof(m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if b {
            Vec::new()
        } else {
            vec![naive_mth(leaves)]
        };
    }
    let k = k_of(n);
    if m <= k {
        let mut p = naive_subproof(m, &leaves[..k], b);
        p.push(naive_mth(&leaves[k..]));
        p
    } else {
        let mut p = naive_subproof(m - k, &leaves[k..], false);
        p.push(naive_mth(&leaves[..k]));
        p
    }
}

/// Every complete node of a tree, level by level; refuses (panics, in a test) a node
/// that is not complete, so the code under test is held to asking only for those.
pub struct MemoryTree {
    pub levels: Vec<Vec<Hash>>,
    pub reads: usize,
}

impl MemoryTree {
    pub fn new(leaves: &[Hash]) -> Self {
        let mut levels = vec![leaves.to_vec()];
        while let Some(below) = levels.last().filter(|l| l.len() > 1) {
            let up = below
                .chunks_exact(2)
                .map(|p| node_hash(&p[0], &p[1]))
                .collect();
            levels.push(up);
        }
        MemoryTree { levels, reads: 0 }
    }
}

impl NodeSource for MemoryTree {
    type Error = Infallible;
    fn node(&mut self, level: u32, index: u64) -> Result<Hash, Infallible> {
        self.reads += 1;
        Ok(self.levels[level as usize][index as usize])
    }
}
