//! Reading the tree back from tiles: a [`NodeSource`] for the proof code.

use super::{subtree_root, TileId, TILE_HEIGHT, TILE_WIDTH};
use crate::merkle::{Hash, NodeSource};
use std::collections::HashMap;

/// Where tiles come from (the database, a file tree, a test's map).
pub trait TileReader {
    type Error;
    /// The hashes of tile `id`. A longer row may come back (a later version of a
    /// partial tile, or the full tile): its first `id.width()` hashes are this tile.
    fn read_tile(&mut self, id: TileId) -> Result<Vec<Hash>, Self::Error>;
}

impl<F, E> TileReader for F
where
    F: FnMut(TileId) -> Result<Vec<Hash>, E>,
{
    type Error = E;
    fn read_tile(&mut self, id: TileId) -> Result<Vec<Hash>, E> {
        self(id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TileReadError<E> {
    #[error("node {level}/{index} is not a complete subtree of a tree of size {size}")]
    NotInTree { level: u32, index: u64, size: u64 },
    #[error("tile {path} came back with {got} hashes, fewer than its width")]
    ShortTile { path: String, got: usize },
    #[error("reading tile {path}")]
    Read {
        path: String,
        #[source]
        source: E,
    },
}

/// The tree of `size` leaves, read from its tiles. Node (level h, index i) comes from
/// the tile at level ⌊h/8⌋, hashed up h mod 8 levels. Tiles read are kept, so make
/// one per request: a proof touches a few tiles per level.
pub struct TileNodes<R> {
    size: u64,
    reader: R,
    cache: HashMap<TileId, Vec<Hash>>,
}

impl<R: TileReader> TileNodes<R> {
    pub fn new(size: u64, reader: R) -> Self {
        TileNodes {
            size,
            reader,
            cache: HashMap::new(),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The tile's hashes, exactly `id.width()` of them.
    fn tile(&mut self, id: TileId) -> Result<&[Hash], TileReadError<R::Error>> {
        if !self.cache.contains_key(&id) {
            let mut hashes = self
                .reader
                .read_tile(id)
                .map_err(|source| TileReadError::Read {
                    path: id.path(),
                    source,
                })?;
            if hashes.len() < id.width() as usize {
                return Err(TileReadError::ShortTile {
                    path: id.path(),
                    got: hashes.len(),
                });
            }
            hashes.truncate(id.width() as usize);
            self.cache.insert(id, hashes);
        }
        Ok(self.cache.get(&id).map(Vec::as_slice).unwrap_or_default())
    }
}

impl<R: TileReader> NodeSource for TileNodes<R> {
    type Error = TileReadError<R::Error>;

    fn node(&mut self, level: u32, index: u64) -> Result<Hash, Self::Error> {
        let size = self.size;
        let not_in_tree = TileReadError::NotInTree { level, index, size };
        // Complete nodes at `level`: ⌊size / 2^level⌋ (none past level 63).
        if index >= size.checked_shr(level).unwrap_or(0) {
            return Err(not_in_tree);
        }
        let (tile_level, up) = (level / TILE_HEIGHT, level % TILE_HEIGHT);
        // The node spans 2^up entries of tree level 8·tile_level, from `first`;
        // `first` + 2^up ≤ entries_at(tile_level), by the check above.
        let first = index << up;
        let count = 1usize << up;
        let Some(id) = TileId::in_tree(tile_level, first >> TILE_HEIGHT, size) else {
            return Err(not_in_tree);
        };
        let offset = (first % u64::from(TILE_WIDTH)) as usize;
        let hashes = self.tile(id)?;
        match hashes.get(offset..offset + count) {
            Some(row) => Ok(subtree_root(row)),
            None => Err(not_in_tree),
        }
    }
}
