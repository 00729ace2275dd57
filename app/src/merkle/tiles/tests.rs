use super::*;
use crate::merkle::testing::{leaf_hashes, naive_mth, MemoryTree};
use crate::merkle::{consistency_proof, inclusion_proof, root, NodeSource};
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;

fn id(level: u32, index: u64, width: u32) -> TileId {
    TileId::new(level, index, width).expect("valid tile id")
}

/// Paths from the spec (index 1234067 is `x001/x234/067`) and from Go's
/// golang.org/x/mod/sumdb/tlog tlog_test.go `tilePaths`, whose paths also carry the
/// tile height (`tile/H/L/N`); C2SP fixed H = 8 and dropped it.
#[test]
fn paths_follow_the_spec() {
    let cases = [
        (id(0, 1234067, 256), "tile/0/x001/x234/067"),
        (id(0, 1, 256), "tile/0/001"),
        (id(0, 1, 5), "tile/0/001.p/5"),
        (id(5, 123456078, 256), "tile/5/x123/x456/078"),
        (id(5, 123456078, 2), "tile/5/x123/x456/078.p/2"),
        (id(0, 3057500, 256), "tile/0/x003/x057/500"),
        (id(0, 0, 256), "tile/0/000"),
        (id(2, 0, 1), "tile/2/000.p/1"),
        (id(1, 1000, 255), "tile/1/x001/000.p/255"),
        (
            id(63, u64::MAX, 256),
            "tile/63/x018/x446/x744/x073/x709/x551/615",
        ),
    ];
    for (tile, path) in cases {
        assert_eq!(tile.path(), path);
        assert_eq!(TileId::parse_path(path), Ok(tile), "{path}");
    }
    assert_eq!(
        id(0, 7, 3).entries_path().as_deref(),
        Some("tile/entries/007.p/3")
    );
    assert_eq!(id(1, 7, 3).entries_path(), None);
}

#[test]
fn only_canonical_paths_parse() {
    for bad in [
        "",
        "tile/",
        "tile/0",
        "tile/0/",
        "tile/3/5/123/456/078",
        "tile/3/-1/123/456/078",
        "tile/1/data/x003/x057/500",
        "tile/entries/000",
        "tile/00/000",
        "tile/01/000",
        "tile/+1/000",
        "tile/64/000",
        "tile/99999999999/000",
        "tile/0/00",
        "tile/0/0000",
        "tile/0/x000/001",
        "tile/0/x1/001",
        "tile/0/x001/x002",
        "tile/0/001/",
        "tile/0/X001/000",
        "tile/0/00a",
        "tile/0/001.p/",
        "tile/0/001.p/0",
        "tile/0/001.p/05",
        "tile/0/001.p/256",
        "tile/0/001.p/-1",
        "tile/0/001.p/1/",
        "tile/0/001.p/5.p/5",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "/tile/0/000",
        "tile/0/000 ",
        "tile/0/٠٠١",
    ] {
        assert!(TileId::parse_path(bad).is_err(), "{bad:?} parsed");
    }
    assert_eq!(TileId::new(64, 0, 1), Err(TileError::Level(64)));
    assert_eq!(TileId::new(0, 0, 0), Err(TileError::Width(0)));
    assert_eq!(TileId::new(0, 0, 257), Err(TileError::Width(257)));
}

#[test]
fn path_round_trips() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..2000 {
        let digits = rng.gen_range(0..20);
        let index = rng.gen::<u64>() >> (64 - digits * 3).min(63);
        let tile = id(rng.gen_range(0..=63), index, rng.gen_range(1..=256));
        assert_eq!(TileId::parse_path(&tile.path()), Ok(tile));
    }
}

/// c2sp.org/tlog-tiles: "a tree of size 70,000 will be represented by 273 full level 0
/// tiles, one partial level 0 tile of width 112, one full level 1 tile, one partial
/// level 1 tile of width 17, and one partial level 2 tile of width 1. [...] a tree of
/// size 256 will be represented by a full level 0 tile and a partial level 1 tile of
/// width 1."
#[test]
fn partial_tiles_follow_the_spec() {
    assert_eq!(
        RightEdge::partial_ids(70_000),
        vec![id(0, 273, 112), id(1, 1, 17), id(2, 0, 1)]
    );
    assert_eq!(RightEdge::partial_ids(256), vec![id(1, 0, 1)]);
    assert_eq!(RightEdge::partial_ids(0), vec![]);
    assert_eq!(RightEdge::partial_ids(255), vec![id(0, 0, 255)]);
    assert_eq!(RightEdge::partial_ids(65_536), vec![id(2, 0, 1)]);
    assert_eq!(TileId::in_tree(0, 273, 70_000), Some(id(0, 273, 112)));
    assert_eq!(TileId::in_tree(0, 272, 70_000), Some(id(0, 272, 256)));
    assert_eq!(TileId::in_tree(0, 274, 70_000), None);
    assert_eq!(TileId::in_tree(3, 0, 70_000), None);
    assert_eq!(TileId::in_tree(0, u64::MAX, u64::MAX), None);
}

/// What the partial tiles of a tree of `size` are, by the spec's formula.
fn expected_partials(size: u64) -> Vec<TileId> {
    (0..8u32)
        .filter_map(|l| {
            let entries = (u128::from(size) / 256u128.pow(l)) as u64;
            let width = (entries % 256) as u32;
            (width > 0).then(|| id(l, entries / 256, width))
        })
        .collect()
}

/// Tile storage as a database would keep it: one row per (level, index), upserted.
#[derive(Default)]
struct Store {
    rows: HashMap<(u32, u64), Vec<Hash>>,
}

impl Store {
    fn reader(&self) -> impl FnMut(TileId) -> Result<Vec<Hash>, String> + '_ {
        |id: TileId| {
            self.rows
                .get(&(id.level(), id.index()))
                .cloned()
                .ok_or_else(|| format!("no tile {}", id.path()))
        }
    }
}

/// Tile (L, N, W) must hold nodes (8L, 256N + i) for i < W.
fn expected_tile(tree: &mut MemoryTree, tile: TileId) -> Vec<Hash> {
    (0..u64::from(tile.width()))
        .map(|i| {
            let Ok(h) = tree.node(tile.level() * 8, tile.index() * 256 + i);
            h
        })
        .collect()
}

fn check_against_tree(store: &Store, tree: &mut MemoryTree, leaves: &[Hash], size: u64) {
    let mut tiles = TileNodes::new(size, store.reader());
    let got = root(size, &mut tiles).expect("root from tiles");
    assert_eq!(got, root(size, tree).expect("root"), "root at {size}");
    for index in [0, size / 3, size / 2 + 1, size - 1] {
        let from_tiles = inclusion_proof(index, size, &mut tiles).expect("proof from tiles");
        assert_eq!(
            from_tiles,
            inclusion_proof(index, size, tree).expect("proof")
        );
    }
    for old in [1, size / 2, size - 1, size] {
        let old = old.max(1);
        let from_tiles = consistency_proof(old, size, &mut tiles).expect("proof from tiles");
        assert_eq!(
            from_tiles,
            consistency_proof(old, size, tree).expect("proof")
        );
    }
    if size <= 4096 {
        assert_eq!(got, naive_mth(&leaves[..size as usize]));
    }
}

/// Appends in random batches up to the spec's 70,000 and checks, batch by batch, that
/// the tiles written are the tree's, that the edge is what storage gives back, and at
/// sampled sizes (and again at the end, from the grown tiles) that roots and proofs
/// read from tiles are the tree's.
#[test]
fn appending_in_batches_builds_the_tree() {
    const TOTAL: u64 = 70_000;
    let leaves = leaf_hashes(TOTAL);
    let mut tree = MemoryTree::new(&leaves);
    let mut rng = rand::rngs::StdRng::seed_from_u64(6962);
    let mut store = Store::default();
    let mut edge = RightEdge::empty();
    let mut sampled = Vec::new();
    let mut batch = 0;
    while edge.size() < TOTAL {
        let from = edge.size();
        let to = (from + rng.gen_range(1..=600)).min(TOTAL);
        let appended = edge
            .append(&leaves[from as usize..to as usize])
            .expect("append");
        for tile in &appended.tiles {
            assert_eq!(
                tile.hashes(),
                expected_tile(&mut tree, tile.id()),
                "{}",
                tile.id().path()
            );
            let row = store
                .rows
                .entry((tile.id().level(), tile.id().index()))
                .or_default();
            assert!(
                tile.hashes().starts_with(row),
                "{} rewrote hashes",
                tile.id().path()
            );
            *row = tile.hashes().to_vec();
        }
        edge = appended.edge;
        assert_eq!(edge.size(), to);
        assert_eq!(
            edge.root(),
            Ok(root(to, &mut tree).expect("root")),
            "root at {to}"
        );
        let ids: Vec<TileId> = edge.tiles().iter().map(Tile::id).collect();
        assert_eq!(ids, expected_partials(to), "partials at {to}");
        // What a writer reloads next time: the stored rows of the partial tiles.
        let stored = RightEdge::partial_ids(to)
            .into_iter()
            .map(|id| Tile::new(id, store.rows[&(id.level(), id.index())].clone()))
            .collect::<Result<Vec<_>, _>>()
            .expect("stored partials have their width");
        assert_eq!(RightEdge::from_tiles(to, stored), Ok(edge.clone()));
        if batch % 16 == 0 || to == TOTAL {
            check_against_tree(&store, &mut tree, &leaves, to);
            sampled.push(to);
        }
        batch += 1;
    }
    let full: BTreeMap<u32, usize> = store.rows.iter().fold(BTreeMap::new(), |mut m, (k, v)| {
        *m.entry(k.0).or_default() += usize::from(v.len() == 256);
        m
    });
    assert_eq!(full, BTreeMap::from([(0, 273), (1, 1), (2, 0)]));
    // Older checkpoints stay provable from the tiles as they are now.
    for size in sampled {
        check_against_tree(&store, &mut tree, &leaves, size);
    }
}

#[test]
fn appending_nothing_changes_nothing() {
    let leaves = leaf_hashes(300);
    let edge = RightEdge::empty().append(&leaves).expect("append").edge;
    let again = edge.append(&[]).expect("append");
    assert_eq!(again.tiles, vec![]);
    assert_eq!(again.edge, edge);
}

#[test]
fn appending_one_leaf_to_a_full_tile_fills_the_levels_above() {
    let leaves = leaf_hashes(256);
    let first = RightEdge::empty().append(&leaves[..255]).expect("append");
    assert_eq!(
        first.tiles.iter().map(Tile::id).collect::<Vec<_>>(),
        vec![id(0, 0, 255)]
    );
    let second = first.edge.append(&leaves[255..]).expect("append");
    let ids: Vec<TileId> = second.tiles.iter().map(Tile::id).collect();
    assert_eq!(ids, vec![id(0, 0, 256), id(1, 0, 1)]);
    assert_eq!(second.tiles[1].hashes(), [naive_mth(&leaves)]);
}

#[test]
fn the_stored_edge_must_fit_the_size() {
    let leaves = leaf_hashes(70_000);
    let edge = RightEdge::empty().append(&leaves).expect("append").edge;
    let tiles = edge.tiles();
    assert_eq!(RightEdge::from_tiles(70_000, tiles.clone()), Ok(edge));
    let mut missing = tiles.clone();
    missing.pop();
    let mut twice = tiles.clone();
    twice.push(tiles[0].clone());
    for (size, given) in [
        (70_000, missing),
        (70_000, twice),
        (70_001, tiles.clone()),
        (69_999, tiles.clone()),
        (0, tiles.clone()),
    ] {
        assert!(matches!(
            RightEdge::from_tiles(size, given),
            Err(TileError::Edge { .. })
        ));
    }
    assert_eq!(RightEdge::from_tiles(0, vec![]), Ok(RightEdge::empty()));
    assert_eq!(RightEdge::empty().root(), Ok(crate::merkle::empty_root()));
}

#[test]
fn a_tree_cannot_pass_u64_leaves() {
    // The edge of a tree of 2^64 - 1 leaves: every level's partial tile 255 wide.
    let filler = leaf_hashes(1)[0];
    let tiles = RightEdge::partial_ids(u64::MAX)
        .into_iter()
        .map(|id| Tile::new(id, vec![filler; id.width() as usize]))
        .collect::<Result<Vec<_>, _>>()
        .expect("tiles");
    assert_eq!(tiles.len(), 8);
    let edge = RightEdge::from_tiles(u64::MAX, tiles).expect("edge");
    assert_eq!(edge.append(&[filler]), Err(TileError::Overflow));
}

#[test]
fn tile_bytes_round_trip_and_lengths_are_checked() {
    let leaves = leaf_hashes(3);
    let tile = Tile::new(id(0, 0, 3), leaves.clone()).expect("tile");
    let bytes = tile.to_bytes();
    assert_eq!(bytes.len(), 96);
    assert_eq!(Tile::from_bytes(id(0, 0, 3), &bytes), Ok(tile));
    assert!(Tile::from_bytes(id(0, 0, 3), &bytes[..95]).is_err());
    assert!(Tile::from_bytes(id(0, 0, 2), &bytes).is_err());
    assert!(Tile::from_bytes(id(0, 0, 256), &bytes).is_err());
    assert!(Tile::new(id(0, 0, 4), leaves).is_err());
}

#[test]
fn tile_nodes_refuse_what_the_tree_does_not_have() {
    let leaves = leaf_hashes(300);
    let mut store = Store::default();
    for tile in RightEdge::empty().append(&leaves).expect("append").tiles {
        store
            .rows
            .insert((tile.id().level(), tile.id().index()), tile.into_hashes());
    }
    let mut nodes = TileNodes::new(300, store.reader());
    // Incomplete: leaves 256..300 make no level-6 node; no level-9 node at all.
    for (level, index) in [
        (0, 300),
        (6, 4),
        (9, 0),
        (64, 0),
        (u32::MAX, 0),
        (0, u64::MAX),
    ] {
        assert!(
            matches!(
                nodes.node(level, index),
                Err(TileReadError::NotInTree { .. })
            ),
            "{level}/{index}"
        );
    }
    assert!(nodes.node(8, 0).is_ok());
    assert!(nodes.node(5, 8).is_ok());

    // A storage that lost hashes, or fails, is an error, not a wrong answer.
    let mut short = TileNodes::new(300, |id: TileId| {
        Ok::<_, Infallible>(vec![leaves[0]; id.width() as usize - 1])
    });
    assert!(matches!(
        short.node(0, 0),
        Err(TileReadError::ShortTile { .. })
    ));
    let mut failing = TileNodes::new(300, |_: TileId| Err("disk on fire"));
    let err = failing.node(0, 0).expect_err("read error");
    assert_eq!(err.to_string(), "reading tile tile/0/000");
    assert!(matches!(
        err,
        TileReadError::Read {
            source: "disk on fire",
            ..
        }
    ));
}
