//! Appending to a tiled tree. All a writer needs is the tree's right edge (its
//! partial tile at each level, at most 4 rows below 2^32 leaves): appending fills
//! those, and each tile it fills adds one hash to the level above.

use super::{entries_at, subtree_root, Tile, TileError, TileId, TileNodes, TILE_WIDTH};
use crate::merkle::Hash;

/// The rightmost partial tile of each level of a tree, and its size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RightEdge {
    size: u64,
    /// `partials[l]` holds ⌊size / 256^l⌋ mod 256 hashes, for every level that has
    /// any entry (it may be empty when the level's last tile is full).
    partials: Vec<Vec<Hash>>,
}

/// What an append changed: the tiles to upsert, and the edge to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Every tile that appeared or grew, full or partial, ordered by level and index.
    pub tiles: Vec<Tile>,
    pub edge: RightEdge,
}

/// The levels with at least one entry in a tree of `size`.
fn levels(size: u64) -> u32 {
    (0..8).take_while(|&l| entries_at(l, size) > 0).count() as u32
}

impl RightEdge {
    /// The empty tree.
    pub fn empty() -> Self {
        RightEdge::default()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The partial tiles of a tree of `size`: what storage hands back to
    /// [`RightEdge::from_tiles`].
    pub fn partial_ids(size: u64) -> Vec<TileId> {
        (0..levels(size))
            .filter_map(|l| {
                let entries = entries_at(l, size);
                let width = (entries % u64::from(TILE_WIDTH)) as u32;
                TileId::new(l, entries / u64::from(TILE_WIDTH), width).ok()
            })
            .collect()
    }

    /// Rebuilds the edge from the stored partial tiles of a tree of `size`; they
    /// must be exactly [`RightEdge::partial_ids`], in any order.
    pub fn from_tiles(size: u64, tiles: Vec<Tile>) -> Result<Self, TileError> {
        let mut partials = vec![Vec::new(); levels(size) as usize];
        let wanted = RightEdge::partial_ids(size);
        let bad = |what: String| TileError::Edge { size, what };
        for tile in tiles {
            let id = tile.id();
            if !wanted.contains(&id) {
                return Err(bad(format!(
                    "{} is not one of its partial tiles",
                    id.path()
                )));
            }
            let slot = &mut partials[id.level() as usize];
            if !slot.is_empty() {
                return Err(bad(format!("{} is given twice", id.path())));
            }
            *slot = tile.into_hashes();
        }
        if let Some(missing) = wanted
            .iter()
            .find(|id| partials[id.level() as usize].is_empty())
        {
            return Err(bad(format!("{} is missing", missing.path())));
        }
        Ok(RightEdge { size, partials })
    }

    /// The partial tiles, to store beside the size.
    pub fn tiles(&self) -> Vec<Tile> {
        self.partials
            .iter()
            .enumerate()
            .filter_map(|(l, hashes)| {
                let id = TileId::in_tree(
                    l as u32,
                    entries_at(l as u32, self.size) / u64::from(TILE_WIDTH),
                    self.size,
                )?;
                Tile::new(id, hashes.clone()).ok()
            })
            .collect()
    }

    /// The tree's root, from the edge alone: every complete subtree the root is made
    /// of (one per bit of the size) lies inside a partial tile. So a writer can sign
    /// the new checkpoint without reading any full tile.
    pub fn root(&self) -> Result<Hash, TileError> {
        let partials = &self.partials;
        let read = |id: TileId| {
            let wanted = TileId::in_tree(id.level(), id.index(), self.size);
            let row = partials.get(id.level() as usize);
            match row {
                Some(row) if wanted == Some(id) && id.is_partial() => Ok(row.clone()),
                _ => Err(id.path()),
            }
        };
        crate::merkle::root(self.size, &mut TileNodes::new(self.size, read)).map_err(|e| {
            TileError::Edge {
                size: self.size,
                what: format!("the root needs more than the edge: {e}"),
            }
        })
    }

    /// Appends `leaves` (leaf hashes, in order) and returns the tiles that changed.
    pub fn append(&self, leaves: &[Hash]) -> Result<Appended, TileError> {
        let added = u64::try_from(leaves.len()).map_err(|_| TileError::Overflow)?;
        let new_size = self.size.checked_add(added).ok_or(TileError::Overflow)?;
        let mut partials = self.partials.clone();
        let mut tiles = Vec::new();
        let mut inputs = leaves.to_vec();
        let mut level = 0u32;
        while !inputs.is_empty() {
            if partials.len() <= level as usize {
                partials.push(Vec::new());
            }
            let row = &mut partials[level as usize];
            let mut count = entries_at(level, self.size);
            let mut above = Vec::new();
            for hash in inputs {
                row.push(hash);
                count += 1;
                if row.len() == TILE_WIDTH as usize {
                    let id = TileId::new(level, count / u64::from(TILE_WIDTH) - 1, TILE_WIDTH)?;
                    above.push(subtree_root(row));
                    tiles.push(Tile::new(id, std::mem::take(row))?);
                }
            }
            // The last input landed here unless it completed a tile.
            if !row.is_empty() {
                let id = TileId::new(level, count / u64::from(TILE_WIDTH), row.len() as u32)?;
                tiles.push(Tile::new(id, row.clone())?);
            }
            inputs = above;
            level += 1;
        }
        let edge = RightEdge {
            size: new_size,
            partials,
        };
        Ok(Appended { tiles, edge })
    }
}
