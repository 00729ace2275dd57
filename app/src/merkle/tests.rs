use super::testing::{leaf_hashes, naive_mth, naive_path, naive_proof, MemoryTree};
use super::*;

const MAX: u64 = 70;

fn h(s: &str) -> Hash {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).expect("test vector is 32 bytes of hex");
    out
}

fn tree(leaves: &[Hash]) -> MemoryTree {
    MemoryTree::new(leaves)
}

#[test]
fn hashes_follow_rfc_6962() {
    // SHA-256("") and the domain-separated leaf and node hashes.
    assert_eq!(
        empty_root(),
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    // RFC 6962 leaf hash of the empty leaf, as in transparency-dev/merkle's
    // rfc6962_test.go (SHA-256 of the single byte 0x00).
    assert_eq!(
        leaf_hash(b""),
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    );
    let (l, r) = (leaf_hash(b"N123"), leaf_hash(b"N456"));
    let mut manual = vec![1u8];
    manual.extend_from_slice(&l);
    manual.extend_from_slice(&r);
    assert_eq!(node_hash(&l, &r), <[u8; 32]>::from(Sha256::digest(&manual)));
    assert_ne!(node_hash(&l, &r), node_hash(&r, &l));
}

/// Known answers from transparency-dev/merkle proof/verify_test.go: the eight leaves,
/// the roots of their prefixes, and proofs between them (its leaf numbers are 1-based).
mod known_answers {
    use super::*;

    fn leaves() -> Vec<Hash> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|d| leaf_hash(&hex::decode(d).expect("hex")))
        .collect()
    }

    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn roots() {
        let leaves = leaves();
        for size in 1..=8u64 {
            let mut src = tree(&leaves[..size as usize]);
            assert_eq!(root(size, &mut src).ok(), Some(h(ROOTS[size as usize - 1])));
        }
    }

    #[test]
    fn inclusion_proofs() {
        let cases: [(u64, u64, &[&str]); 4] = [
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                3,
                &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
            ),
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        let leaves = leaves();
        for (index, size, want) in cases {
            let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
            let mut src = tree(&leaves[..size as usize]);
            let got = inclusion_proof(index, size, &mut src).expect("proof");
            assert_eq!(got, want, "PATH({index}, D[{size}])");
            let root = h(ROOTS[size as usize - 1]);
            assert_eq!(
                verify_inclusion(index, size, &leaves[index as usize], &want, &root),
                Ok(())
            );
        }
    }

    #[test]
    fn consistency_proofs() {
        let cases: [(u64, u64, &[&str]); 4] = [
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
            (
                6,
                7,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        let leaves = leaves();
        for (old, new, want) in cases {
            let want: Vec<Hash> = want.iter().map(|s| h(s)).collect();
            let mut src = tree(&leaves[..new as usize]);
            let got = consistency_proof(old, new, &mut src).expect("proof");
            assert_eq!(got, want, "PROOF({old}, D[{new}])");
            let (r1, r2) = (h(ROOTS[old as usize - 1]), h(ROOTS[new as usize - 1]));
            assert_eq!(verify_consistency(old, new, &r1, &r2, &want), Ok(()));
        }
    }
}

#[test]
fn root_matches_naive_mth_for_every_size() {
    let leaves = leaf_hashes(MAX);
    for size in 0..=MAX {
        let mut src = tree(&leaves[..size as usize]);
        let got = root(size, &mut src).ok();
        assert_eq!(
            got,
            Some(naive_mth(&leaves[..size as usize])),
            "size {size}"
        );
        // One read per complete subtree: O(log n).
        assert_eq!(src.reads, size.count_ones() as usize, "size {size}");
    }
}

#[test]
fn inclusion_proofs_match_naive_path_and_verify() {
    let leaves = leaf_hashes(MAX);
    for size in 1..=MAX {
        let part = &leaves[..size as usize];
        let mut src = tree(part);
        let root = naive_mth(part);
        for index in 0..size {
            src.reads = 0;
            let proof = inclusion_proof(index, size, &mut src).expect("proof");
            assert_eq!(proof, naive_path(index as usize, part), "{index}/{size}");
            assert!(src.reads <= 2 * 64, "{} reads", src.reads);
            let leaf = &part[index as usize];
            assert_eq!(verify_inclusion(index, size, leaf, &proof, &root), Ok(()));
        }
    }
}

#[test]
fn consistency_proofs_match_naive_proof_and_verify() {
    let leaves = leaf_hashes(MAX);
    for new in 1..=MAX {
        let part = &leaves[..new as usize];
        let mut src = tree(part);
        let new_root = naive_mth(part);
        for old in 1..=new {
            let proof = consistency_proof(old, new, &mut src).expect("proof");
            assert_eq!(proof, naive_proof(old as usize, part), "{old}->{new}");
            let old_root = naive_mth(&leaves[..old as usize]);
            assert_eq!(
                verify_consistency(old, new, &old_root, &new_root, &proof),
                Ok(()),
                "{old}->{new}"
            );
        }
        // From the empty tree, by an empty proof.
        assert_eq!(consistency_proof(0, new, &mut src).ok(), Some(vec![]));
        let empty = empty_root();
        assert_eq!(verify_consistency(0, new, &empty, &new_root, &[]), Ok(()));
    }
}

#[test]
fn requests_outside_the_tree_are_refused() {
    let leaves = leaf_hashes(8);
    let mut src = tree(&leaves);
    assert!(matches!(
        inclusion_proof(8, 8, &mut src),
        Err(ProveError::Invalid(ProofError::IndexOutOfRange {
            index: 8,
            size: 8
        }))
    ));
    assert!(matches!(
        inclusion_proof(0, 0, &mut src),
        Err(ProveError::Invalid(ProofError::IndexOutOfRange { .. }))
    ));
    assert!(matches!(
        consistency_proof(9, 8, &mut src),
        Err(ProveError::Invalid(ProofError::SizesOutOfOrder {
            old: 9,
            new: 8
        }))
    ));
    // Huge sizes do not overflow in the verifiers.
    let any = leaves[0];
    for (i, s) in [
        (u64::MAX, u64::MAX),
        (u64::MAX - 1, u64::MAX),
        (0, u64::MAX),
    ] {
        assert!(verify_inclusion(i, s, &any, &[], &any).is_err());
    }
    assert!(verify_consistency(u64::MAX - 1, u64::MAX, &any, &any, &[]).is_err());
}

fn flip(proof: &[Hash], at: usize, bit: u8) -> Vec<Hash> {
    let mut p = proof.to_vec();
    p[at][(bit / 8) as usize % 32] ^= 1 << (bit % 8);
    p
}

/// The verifier's side: every way a lying server could bend a good proof.
#[test]
fn tampered_inclusion_proofs_are_rejected() {
    let leaves = leaf_hashes(MAX);
    let other = leaf_hash(b"not a record");
    for size in [1u64, 2, 3, 5, 8, 13, 31, 32, 33, 64, 70] {
        let part = &leaves[..size as usize];
        let root = naive_mth(part);
        let mut src = tree(part);
        for index in [0, size / 2, size - 1] {
            let leaf = &part[index as usize];
            let proof = inclusion_proof(index, size, &mut src).expect("proof");
            let check = |i: u64, s: u64, leaf: &Hash, p: &[Hash], r: &Hash| {
                verify_inclusion(i, s, leaf, p, r).is_err()
            };
            for at in 0..proof.len() {
                for bit in [0u8, 7, 100, 255] {
                    assert!(check(index, size, leaf, &flip(&proof, at, bit), &root));
                }
            }
            if !proof.is_empty() {
                assert!(check(index, size, leaf, &proof[..proof.len() - 1], &root));
                assert!(check(index, size, leaf, &proof[1..], &root));
            }
            let mut longer = proof.clone();
            longer.push(root);
            assert!(check(index, size, leaf, &longer, &root));
            let mut front = vec![root];
            front.extend_from_slice(&proof);
            assert!(check(index, size, leaf, &front, &root));
            assert!(check(index, size, &other, &proof, &root));
            assert!(check(index, size, leaf, &proof, &other));
            assert!(check(index, size, leaf, &proof, &empty_root()));
            for wrong in [index + 1, index ^ 1, index ^ 2, index.wrapping_sub(1)] {
                if wrong != index {
                    assert!(check(wrong, size, leaf, &proof, &root), "{wrong}/{size}");
                }
            }
            // A proof presented under another checkpoint: the other size, with its
            // own root or with this one.
            for wrong in [size + 1, size * 2, size / 2, size - 1] {
                if wrong != size && wrong <= MAX {
                    let wrong_root = naive_mth(&leaves[..wrong as usize]);
                    assert!(
                        check(index, wrong, leaf, &proof, &wrong_root),
                        "{index}/{wrong}"
                    );
                }
            }
            for wrong in [size * 2, size / 2] {
                if wrong != size {
                    assert!(check(index, wrong, leaf, &proof, &root), "{index}/{wrong}");
                }
            }
        }
    }
}

#[test]
fn tampered_consistency_proofs_are_rejected() {
    let leaves = leaf_hashes(MAX);
    let roots: Vec<Hash> = (0..=MAX)
        .map(|n| naive_mth(&leaves[..n as usize]))
        .collect();
    for (old, new) in [
        (1u64, 2u64),
        (1, 8),
        (2, 5),
        (3, 7),
        (4, 8),
        (6, 8),
        (7, 70),
        (32, 70),
    ] {
        let mut src = tree(&leaves[..new as usize]);
        let proof = consistency_proof(old, new, &mut src).expect("proof");
        let (r1, r2) = (roots[old as usize], roots[new as usize]);
        let check =
            |o: u64, n: u64, a: &Hash, b: &Hash, p: &[Hash]| verify_consistency(o, n, a, b, p);
        assert_eq!(check(old, new, &r1, &r2, &proof), Ok(()));
        for at in 0..proof.len() {
            for bit in [0u8, 4, 200] {
                assert!(check(old, new, &r1, &r2, &flip(&proof, at, bit)).is_err());
            }
        }
        assert!(check(old, new, &r1, &r2, &proof[..proof.len() - 1]).is_err());
        assert!(check(old, new, &r1, &r2, &[]).is_err());
        let mut longer = proof.clone();
        longer.push(r2);
        assert!(check(old, new, &r1, &r2, &longer).is_err());
        let mut front = vec![r1];
        front.extend_from_slice(&proof);
        assert!(check(old, new, &r1, &r2, &front).is_err());
        assert!(check(old, new, &r2, &r1, &proof).is_err());
        assert!(check(old, new, &r1, &roots[new as usize - 1], &proof).is_err());
        assert!(check(old, new, &roots[old as usize - 1], &r2, &proof).is_err());
        // The proof presented for other sizes, with those trees' roots. (With this
        // pair's roots it can pass for sizes of the same shape, 1->7 for 1->8: the
        // roots a verifier holds come with their sizes, from signed checkpoints.)
        for (o, n) in [
            (old + 1, new),
            (old - 1, new),
            (old, new + 1),
            (old, new - 1),
        ] {
            if o <= n && n <= MAX {
                let (a, b) = (roots[o as usize], roots[n as usize]);
                assert!(check(o, n, &a, &b, &proof).is_err(), "{o}->{n}");
            }
        }
    }
}

#[test]
fn trivial_consistency_cases() {
    let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
    let empty = empty_root();
    assert_eq!(verify_consistency(5, 5, &a, &a, &[]), Ok(()));
    assert_eq!(
        verify_consistency(5, 5, &a, &b, &[]),
        Err(ProofError::RootMismatch)
    );
    assert!(verify_consistency(5, 5, &a, &a, &[a]).is_err());
    assert_eq!(verify_consistency(0, 0, &empty, &empty, &[]), Ok(()));
    assert_eq!(verify_consistency(0, 3, &empty, &b, &[]), Ok(()));
    assert_eq!(
        verify_consistency(0, 3, &a, &b, &[]),
        Err(ProofError::OldRootMismatch)
    );
    assert!(verify_consistency(0, 3, &empty, &b, &[a]).is_err());
    assert_eq!(
        verify_consistency(4, 3, &a, &b, &[]),
        Err(ProofError::SizesOutOfOrder { old: 4, new: 3 })
    );
}

/// The whole path a client takes offline, holding only the log's and a witness's
/// verifier keys: signed, cosigned checkpoints; an inclusion proof and a consistency
/// proof read from tiles. Then a database owner who rewrote an old record.
#[test]
fn offline_verification_end_to_end() {
    use super::note::{Checkpoint, Cosigner, NoteSigner, SignedNote, VerifierKey};
    use super::tiles::{RightEdge, TileId, TileNodes};
    use std::collections::HashMap;

    let leaves = leaf_hashes(1000);
    let log = NoteSigner::generate("vigil.example/t/acme").expect("log key");
    let witness = Cosigner::generate("witness.example/w1").expect("witness key");
    // Storage: tile rows, upserted; the served checkpoints.
    let mut rows: HashMap<(u32, u64), Vec<Hash>> = HashMap::new();
    let mut edge = RightEdge::empty();
    let mut served = Vec::new();
    for batch in leaves.chunks(200) {
        let appended = edge.append(batch).expect("append");
        for tile in appended.tiles {
            rows.insert((tile.id().level(), tile.id().index()), tile.into_hashes());
        }
        edge = appended.edge;
        let cp = Checkpoint::new(
            "vigil.example/t/acme",
            edge.size(),
            edge.root().expect("root"),
        )
        .expect("checkpoint");
        let mut note = SignedNote::new(cp.body()).expect("note");
        note.add(log.sign(note.text()).expect("sign"));
        note.add(witness.cosign(note.text(), 1_700_000_000).expect("cosign"));
        served.push(note.to_string());
    }

    // The client: keys as strings, checkpoints as served.
    let log_key = VerifierKey::parse(&log.verifier_key().to_string()).expect("vkey");
    let witness_key = VerifierKey::parse(&witness.verifier_key().to_string()).expect("vkey");
    let open = |msg: &str| {
        let note = SignedNote::parse(msg.as_bytes()).expect("note");
        note.verify(&log_key).expect("log signature");
        let seen = note.verify(&witness_key).expect("cosignature");
        assert_eq!(seen.timestamp, Some(1_700_000_000));
        Checkpoint::parse(note.text()).expect("checkpoint")
    };
    let (old, new) = (open(&served[2]), open(&served[4]));
    assert_eq!((old.size(), new.size()), (600, 1000));

    let read = |rows: &HashMap<(u32, u64), Vec<Hash>>| {
        let rows = rows.clone();
        move |id: TileId| {
            rows.get(&(id.level(), id.index()))
                .cloned()
                .ok_or("missing tile")
        }
    };
    let mut server = TileNodes::new(1000, read(&rows));
    let proof = inclusion_proof(123, 1000, &mut server).expect("proof");
    assert_eq!(
        verify_inclusion(123, 1000, &leaves[123], &proof, new.root()),
        Ok(())
    );
    let proof = consistency_proof(600, 1000, &mut server).expect("proof");
    assert_eq!(
        verify_consistency(600, 1000, old.root(), new.root(), &proof),
        Ok(())
    );

    // A database owner rewrites record 100 and rebuilds every tile and checkpoint
    // consistently, re-signing with the log's own key. The witness's cosignature and
    // the client's old checkpoint still hold the old tree: the rewrite shows.
    let mut forged = leaves.clone();
    forged[100] = leaf_hash(b"rewritten");
    let appended = RightEdge::empty().append(&forged).expect("append");
    let mut forged_rows = HashMap::new();
    for tile in appended.tiles {
        forged_rows.insert((tile.id().level(), tile.id().index()), tile.into_hashes());
    }
    let forged_root = appended.edge.root().expect("root");
    let mut liar = TileNodes::new(1000, read(&forged_rows));
    let proof = consistency_proof(600, 1000, &mut liar).expect("proof");
    assert!(verify_consistency(600, 1000, old.root(), &forged_root, &proof).is_err());
    let proof = inclusion_proof(100, 1000, &mut liar).expect("proof");
    assert!(verify_inclusion(100, 1000, &forged[100], &proof, new.root()).is_err());
    // Re-signed by the log, the forged checkpoint lacks a witness's cosignature.
    let cp = Checkpoint::new("vigil.example/t/acme", 1000, forged_root).expect("checkpoint");
    let mut note = SignedNote::new(cp.body()).expect("note");
    note.add(log.sign(note.text()).expect("sign"));
    let reparsed = SignedNote::parse(note.to_string().as_bytes()).expect("note");
    assert!(reparsed.verify(&log_key).is_ok());
    assert!(reparsed.verify(&witness_key).is_err());
}
