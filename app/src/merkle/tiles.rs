//! The tree stored as C2SP tlog-tiles (c2sp.org/tlog-tiles), height 8.
//!
//! Tile (level L, index N) holds up to 256 consecutive hashes of tree level 8·L:
//! leaf hashes at L = 0, above that the roots of the *full* tiles of level L−1. A
//! tree of size s has, at each level, full tiles and at most one partial tile of
//! width ⌊s / 256^L⌋ mod 256. Tiles only grow by appending, so a partial tile is a
//! prefix of every later version of it: storage may keep one row per (L, N), and
//! serve an older width by truncating it.

use super::{empty_root, node_hash, Hash};

pub const TILE_HEIGHT: u32 = 8;
pub const TILE_WIDTH: u32 = 1 << TILE_HEIGHT;
/// The spec's bound on `<L>`; a tree of u64 size reaches level 7.
const MAX_LEVEL: u32 = 63;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("tile level {0} is above 63")]
    Level(u32),
    #[error("tile width {0} is not between 1 and 256")]
    Width(u32),
    #[error("a tile of width {width} holds {width} hashes, not {got}")]
    Length { width: u32, got: usize },
    #[error("not a tile path: {0}")]
    Path(&'static str),
    #[error("the stored partial tiles do not fit a tree of size {size}: {what}")]
    Edge { size: u64, what: String },
    #[error("the tree would pass 2^64 leaves")]
    Overflow,
}

/// A tile's address: level, index within the level, and width (256 when full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    level: u32,
    index: u64,
    width: u32,
}

/// How many hashes tree level 8·`level` has in a tree of `size` leaves.
fn entries_at(level: u32, size: u64) -> u64 {
    size.checked_shr(level.saturating_mul(TILE_HEIGHT))
        .unwrap_or(0)
}

impl TileId {
    pub fn new(level: u32, index: u64, width: u32) -> Result<Self, TileError> {
        if level > MAX_LEVEL {
            return Err(TileError::Level(level));
        }
        if width == 0 || width > TILE_WIDTH {
            return Err(TileError::Width(width));
        }
        Ok(TileId {
            level,
            index,
            width,
        })
    }

    /// Tile (`level`, `index`) as a tree of `size` has it, or None if it has no entry.
    pub fn in_tree(level: u32, index: u64, size: u64) -> Option<Self> {
        let start = index.checked_mul(u64::from(TILE_WIDTH))?;
        let entries = entries_at(level, size);
        let width = entries.checked_sub(start).filter(|w| *w > 0)?;
        TileId::new(level, index, width.min(u64::from(TILE_WIDTH)) as u32).ok()
    }

    pub fn level(self) -> u32 {
        self.level
    }
    pub fn index(self) -> u64 {
        self.index
    }
    pub fn width(self) -> u32 {
        self.width
    }
    pub fn is_partial(self) -> bool {
        self.width < TILE_WIDTH
    }

    /// `tile/<L>/<N>[.p/<W>]`, the tile's path under the log's prefix.
    pub fn path(self) -> String {
        format!("tile/{}/{}", self.level, self.index_and_width())
    }

    /// `tile/entries/<N>[.p/<W>]`, the entry bundle beside a level-0 tile.
    pub fn entries_path(self) -> Option<String> {
        (self.level == 0).then(|| format!("tile/entries/{}", self.index_and_width()))
    }

    /// `<N>` in zero-padded 3-digit elements, all but the last prefixed with `x`
    /// (1234067 is `x001/x234/067`), then `.p/<W>` for a partial tile.
    fn index_and_width(self) -> String {
        let mut groups = Vec::new();
        let mut n = self.index;
        loop {
            groups.push(n % 1000);
            n /= 1000;
            if n == 0 {
                break;
            }
        }
        let mut out = String::new();
        while let Some(g) = groups.pop() {
            let prefix = if groups.is_empty() { "" } else { "x" };
            let slash = if groups.is_empty() { "" } else { "/" };
            out.push_str(&format!("{prefix}{g:03}{slash}"));
        }
        if self.is_partial() {
            out.push_str(&format!(".p/{}", self.width));
        }
        out
    }

    /// Parses a tile path, accepting only the canonical form `path` writes.
    pub fn parse_path(path: &str) -> Result<Self, TileError> {
        let rest = path
            .strip_prefix("tile/")
            .ok_or(TileError::Path("no tile/ prefix"))?;
        let (level, rest) = rest.split_once('/').ok_or(TileError::Path("no index"))?;
        let level = decimal(level).ok_or(TileError::Path("level is not a decimal"))?;
        let level = u32::try_from(level).map_err(|_| TileError::Path("level too large"))?;
        let (index, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                let w = decimal(width).ok_or(TileError::Path("width is not a decimal"))?;
                let w = u32::try_from(w).map_err(|_| TileError::Path("width too large"))?;
                if w >= TILE_WIDTH {
                    return Err(TileError::Path("a partial tile is at most 255 wide"));
                }
                (index, w)
            }
            None => (rest, TILE_WIDTH),
        };
        let mut n: u64 = 0;
        let mut groups = index.split('/').peekable();
        let mut first = true;
        while let Some(group) = groups.next() {
            let digits = if groups.peek().is_some() {
                group
                    .strip_prefix('x')
                    .ok_or(TileError::Path("inner index element without x"))?
            } else {
                group
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(TileError::Path("index element is not 3 digits"));
            }
            let g = u64::from(
                digits
                    .bytes()
                    .fold(0u16, |a, b| a * 10 + u16::from(b - b'0')),
            );
            if first && g == 0 && groups.peek().is_some() {
                return Err(TileError::Path("index has a leading zero element"));
            }
            first = false;
            n = n
                .checked_mul(1000)
                .and_then(|n| n.checked_add(g))
                .ok_or(TileError::Path("index too large"))?;
        }
        TileId::new(level, n, width)
    }
}

/// A decimal with no sign and no leading zero (but "0").
fn decimal(s: &str) -> Option<u64> {
    let canonical = s == "0" || (!s.starts_with('0') && !s.is_empty());
    if !canonical || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A tile and its hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    id: TileId,
    hashes: Vec<Hash>,
}

impl Tile {
    pub fn new(id: TileId, hashes: Vec<Hash>) -> Result<Self, TileError> {
        if hashes.len() != id.width as usize {
            return Err(TileError::Length {
                width: id.width,
                got: hashes.len(),
            });
        }
        Ok(Tile { id, hashes })
    }

    /// Reads the served form, the hashes concatenated.
    pub fn from_bytes(id: TileId, bytes: &[u8]) -> Result<Self, TileError> {
        let (chunks, rest) = bytes.as_chunks::<32>();
        if !rest.is_empty() {
            return Err(TileError::Length {
                width: id.width,
                got: chunks.len() + 1,
            });
        }
        Tile::new(id, chunks.to_vec())
    }

    pub fn id(&self) -> TileId {
        self.id
    }
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }
    pub fn into_hashes(self) -> Vec<Hash> {
        self.hashes
    }
    /// The served form (`application/octet-stream`): the hashes concatenated.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.hashes.concat()
    }
}

/// The root of a complete subtree given its bottom row (a power of two long).
fn subtree_root(row: &[Hash]) -> Hash {
    let mut row = row.to_vec();
    while row.len() > 1 {
        row = row
            .chunks_exact(2)
            .map(|p| node_hash(&p[0], &p[1]))
            .collect();
    }
    row.first().copied().unwrap_or_else(empty_root)
}

mod edge;
mod read;

pub use edge::{Appended, RightEdge};
pub use read::{TileNodes, TileReadError, TileReader};

#[cfg(test)]
mod tests;
