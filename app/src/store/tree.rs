//! Each tenant's Merkle tree, kept as tiles (migrations' 0004_proofs.sql): grown by the
//! writer in the records' own transaction, read back for proofs.

use super::row::{EventRow, COLUMNS};
use super::tx::{on_tx, WriteTx};
use super::{with_read, Store, StoreError, StoreResult};
use crate::merkle::range::range_proof;
use crate::merkle::tiles::{RightEdge, Tile, TileId, TileNodes, TileReadError, TileReader};
use crate::merkle::{self, Hash, ProveError};
use std::collections::{HashMap, HashSet};

/// A stored tile row: level, index, width, hashes.
type TileRow = (i32, i64, i32, Vec<u8>);

/// One stored tile, by tenant, level and index.
const TILE: &str = "SELECT level, idx, width, hashes FROM merkle_tiles \
    WHERE tenant_id = $1 AND level = $2 AND idx = $3";

fn corrupt(tenant_id: &str, what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        id: format!("tree of {tenant_id}"),
        reason: what.to_string(),
    }
}

fn to_tile(tenant_id: &str, (level, idx, width, hashes): TileRow) -> Result<Tile, StoreError> {
    let id = TileId::new(
        u32::try_from(level).map_err(|e| corrupt(tenant_id, e))?,
        u64::try_from(idx).map_err(|e| corrupt(tenant_id, e))?,
        u32::try_from(width).map_err(|e| corrupt(tenant_id, e))?,
    )
    .map_err(|e| corrupt(tenant_id, e))?;
    Tile::from_bytes(id, &hashes).map_err(|e| corrupt(tenant_id, e))
}

/// Appends `leaves` to `tenant_id`'s tree of `size` leaves: reads its partial tiles,
/// writes the tiles that grew or appeared.
pub(super) async fn grow(
    tx: &mut WriteTx,
    tenant_id: &str,
    size: u64,
    leaves: &[Hash],
) -> Result<(), StoreError> {
    if leaves.is_empty() {
        return Ok(());
    }
    let wanted = RightEdge::partial_ids(size);
    let mut partials = Vec::with_capacity(wanted.len());
    for id in &wanted {
        let row: Option<TileRow> = on_tx!(tx, |conn| {
            sqlx::query_as(TILE)
                .bind(tenant_id)
                .bind(id.level() as i32)
                .bind(id.index() as i64)
                .fetch_optional(&mut *conn)
                .await?
        });
        let row = row.ok_or_else(|| corrupt(tenant_id, format!("tile {} missing", id.path())))?;
        // A stored partial tile may be longer than the size says only if the tree ran
        // ahead of the chain, which one transaction for both rules out.
        partials.push(to_tile(tenant_id, row)?);
    }
    let edge = RightEdge::from_tiles(size, partials).map_err(|e| corrupt(tenant_id, e))?;
    let appended = edge.append(leaves).map_err(|e| corrupt(tenant_id, e))?;
    let stored: HashSet<(u32, u64)> = wanted.iter().map(|id| (id.level(), id.index())).collect();
    for tile in &appended.tiles {
        let id = tile.id();
        let (level, idx, width) = (id.level() as i32, id.index() as i64, id.width() as i32);
        let bytes = tile.to_bytes();
        // A partial tile grows in place (the triggers allow only that); others are new.
        let sql = if stored.contains(&(id.level(), id.index())) {
            "UPDATE merkle_tiles SET width = $4, hashes = $5 \
             WHERE tenant_id = $1 AND level = $2 AND idx = $3"
        } else {
            "INSERT INTO merkle_tiles (tenant_id, level, idx, width, hashes) \
             VALUES ($1, $2, $3, $4, $5)"
        };
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(tenant_id)
                .bind(level)
                .bind(idx)
                .bind(width)
                .bind(&bytes)
                .execute(&mut *conn)
                .await?;
        });
    }
    Ok(())
}

/// Why a proof could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// The sizes or index asked for do not fit the tree.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for TreeError {
    fn from(e: sqlx::Error) -> Self {
        TreeError::Store(StoreError::Db(e))
    }
}

/// A tile the proof code asked for and the cache did not have yet.
#[derive(Debug)]
pub(super) struct Missing(TileId);

/// Tiles read for proofs in one tree size, by id (at a given size a tile never changes).
type TileCache = HashMap<TileId, Vec<Hash>>;

/// Tiles a [`Prover`] keeps at most, about 8 KiB each: a bundle's proofs walk the tree
/// left to right, so once the cache is full the tiles behind are not needed again.
const MAX_CACHED_TILES: usize = 4096;

/// The tiles read so far.
pub(super) struct Cached<'a>(&'a TileCache);

impl TileReader for Cached<'_> {
    type Error = Missing;
    fn read_tile(&mut self, id: TileId) -> Result<Vec<Hash>, Missing> {
        self.0.get(&id).cloned().ok_or(Missing(id))
    }
}

type Nodes<'a> = TileNodes<Cached<'a>>;
type Made<T> = Result<T, ProveError<TileReadError<Missing>>>;

/// Records per transaction when building a tree after the fact.
const BUILD_BATCH: i64 = 10_000;

impl Store {
    /// Builds the trees of chains that outgrew them: a database made before the trees,
    /// or a build a stop cut short. Batch by batch, each in its own write transaction
    /// under the writer's lock (the writer grows only trees that hold their chain).
    pub async fn build_trees(&self) -> StoreResult<u64> {
        let lagging: Vec<(String, i64)> = with_read!(self, |pool| {
            sqlx::query_as("SELECT tenant_id, seq FROM chain_heads WHERE tree_size < seq")
                .fetch_all(pool)
                .await?
        });
        let mut built = 0;
        for (tenant_id, seq) in lagging {
            tracing::info!(tenant = %tenant_id, records = seq, "building the Merkle tree");
            loop {
                let _writer = self.commits.exclusive().await;
                let size = self.tree_size(&tenant_id).await? as i64;
                if size >= seq {
                    break;
                }
                let sql = format!(
                    "SELECT {COLUMNS} FROM events WHERE tenant_id = $1 AND seq > $2 \
                     ORDER BY seq LIMIT $3"
                );
                let rows: Vec<EventRow> = with_read!(self, |pool| {
                    sqlx::query_as(&sql)
                        .bind(&tenant_id)
                        .bind(size)
                        .bind(BUILD_BATCH)
                        .fetch_all(pool)
                        .await?
                });
                // The tree's leaves are the chain's records in order, with no gap.
                if rows.first().map(|r| r.seq) != Some(size + 1)
                    || rows.windows(2).any(|w| w[1].seq != w[0].seq + 1)
                {
                    return Err(corrupt(
                        &tenant_id,
                        format!("the chain has a gap after {size}"),
                    ));
                }
                let leaves: Vec<Hash> = rows
                    .iter()
                    .map(|r| merkle::leaf_hash(&r.canonical()))
                    .collect();
                let mut tx = self.begin_write().await?;
                grow(&mut tx, &tenant_id, size as u64, &leaves).await?;
                let new_size = size + leaves.len() as i64;
                on_tx!(&mut tx, |conn| {
                    sqlx::query("UPDATE chain_heads SET tree_size = $1 WHERE tenant_id = $2")
                        .bind(new_size)
                        .bind(&tenant_id)
                        .execute(&mut *conn)
                        .await?;
                });
                tx.commit().await?;
                built += leaves.len() as u64;
            }
        }
        Ok(built)
    }

    /// The leaf of record `seq` of `tenant_id`'s chain (leaf index `seq - 1`), recomputed
    /// from the record; `None` for a record retention purged (its leaf is only in the
    /// tiles now), even if a row was later slipped in at its place.
    pub async fn leaf(&self, tenant_id: &str, seq: i64) -> StoreResult<Option<Hash>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM events WHERE tenant_id = $1 AND seq = $2 AND seq > \
             COALESCE((SELECT MAX(upto_seq) FROM retention_cuts WHERE tenant_id = $1), 0)"
        );
        let row: Option<EventRow> = with_read!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(tenant_id)
                .bind(seq)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|r| merkle::leaf_hash(&r.canonical())))
    }

    /// Tile `id` of `tenant_id`'s tree as stored (it may have grown past `id`'s width).
    pub(super) async fn stored_tile(
        &self,
        tenant_id: &str,
        id: TileId,
    ) -> StoreResult<Option<Vec<u8>>> {
        Ok(with_read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT hashes FROM merkle_tiles WHERE tenant_id = $1 AND level = $2 AND idx = $3",
            )
            .bind(tenant_id)
            .bind(id.level() as i32)
            .bind(id.index() as i64)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// How many records `tenant_id`'s tree holds.
    pub async fn tree_size(&self, tenant_id: &str) -> StoreResult<u64> {
        let size: Option<i64> = with_read!(self, |pool| {
            sqlx::query_scalar("SELECT tree_size FROM chain_heads WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(size.map_or(0, |s| s.max(0) as u64))
    }

    /// Runs `make` over the tree of `size` leaves, reading the tiles it asks for from
    /// the database into `cache`: the proof code is synchronous, so a tile it lacks ends
    /// the run, is read, and the run starts over (a proof reads a few tiles per 8 levels).
    async fn with_tiles<T>(
        &self,
        tenant_id: &str,
        size: u64,
        cache: &mut TileCache,
        make: impl Fn(&mut Nodes<'_>) -> Made<T>,
    ) -> Result<T, TreeError> {
        loop {
            let mut nodes = TileNodes::new(size, Cached(cache));
            let missing = match make(&mut nodes) {
                Ok(t) => return Ok(t),
                Err(ProveError::Invalid(e)) => return Err(TreeError::Invalid(e.to_string())),
                Err(ProveError::Source(TileReadError::Read {
                    source: Missing(id),
                    ..
                })) => id,
                Err(ProveError::Source(e)) => return Err(corrupt(tenant_id, e).into()),
            };
            let row: Option<TileRow> = with_read!(self, |pool| {
                sqlx::query_as(TILE)
                    .bind(tenant_id)
                    .bind(missing.level() as i32)
                    .bind(missing.index() as i64)
                    .fetch_optional(pool)
                    .await?
            });
            let row =
                row.ok_or_else(|| corrupt(tenant_id, format!("tile {} missing", missing.path())))?;
            if cache.len() >= MAX_CACHED_TILES {
                cache.clear();
            }
            cache.insert(missing, to_tile(tenant_id, row)?.into_hashes());
        }
    }

    /// The root of `tenant_id`'s tree at `size` leaves (at most its current size).
    pub async fn tree_root(&self, tenant_id: &str, size: u64) -> Result<Hash, TreeError> {
        self.check_size(tenant_id, size).await?;
        self.with_tiles(tenant_id, size, &mut TileCache::new(), |nodes| {
            merkle::root(size, nodes).map_err(ProveError::Source)
        })
        .await
    }

    /// The proof that leaf `index` is in the tree of `size` leaves (RFC 9162 §2.1.3).
    pub async fn inclusion_proof(
        &self,
        tenant_id: &str,
        index: u64,
        size: u64,
    ) -> Result<Vec<Hash>, TreeError> {
        self.prover(tenant_id, size).await?.inclusion(index).await
    }

    /// The proof that the tree of `old` leaves is a prefix of the tree of `new` (RFC
    /// 9162 §2.1.4).
    pub async fn consistency_proof(
        &self,
        tenant_id: &str,
        old: u64,
        new: u64,
    ) -> Result<Vec<Hash>, TreeError> {
        self.check_size(tenant_id, new).await?;
        self.with_tiles(tenant_id, new, &mut TileCache::new(), |nodes| {
            merkle::consistency_proof(old, new, nodes)
        })
        .await
    }

    async fn check_size(&self, tenant_id: &str, size: u64) -> Result<(), TreeError> {
        let current = self.tree_size(tenant_id).await?;
        if size > current {
            return Err(TreeError::Invalid(format!(
                "the tree holds {current} records, fewer than {size}"
            )));
        }
        Ok(())
    }
}

/// Many proofs in the tree of one size (a bundle's): the tiles read stay cached between
/// them, so each is read once rather than once per proof.
pub struct Prover {
    store: Store,
    tenant_id: String,
    size: u64,
    cache: TileCache,
}

impl Store {
    /// A prover in `tenant_id`'s tree of `size` leaves (at most its current size).
    pub async fn prover(&self, tenant_id: &str, size: u64) -> Result<Prover, TreeError> {
        self.check_size(tenant_id, size).await?;
        Ok(Prover {
            store: self.clone(),
            tenant_id: tenant_id.to_owned(),
            size,
            cache: TileCache::new(),
        })
    }
}

impl Prover {
    /// The root of the tree.
    pub async fn root(&mut self) -> Result<Hash, TreeError> {
        let size = self.size;
        self.run(|nodes| merkle::root(size, nodes).map_err(ProveError::Source))
            .await
    }

    /// The proof that leaf `index` is in the tree (RFC 9162 §2.1.3).
    pub async fn inclusion(&mut self, index: u64) -> Result<Vec<Hash>, TreeError> {
        let size = self.size;
        self.run(|nodes| merkle::inclusion_proof(index, size, nodes))
            .await
    }

    /// The proof that leaves [first, end) are all the tree holds between those indexes
    /// (see `merkle::range`).
    pub async fn range(&mut self, first: u64, end: u64) -> Result<Vec<Hash>, TreeError> {
        let size = self.size;
        self.run(|nodes| range_proof(first, end, size, nodes)).await
    }

    async fn run<T>(&mut self, make: impl Fn(&mut Nodes<'_>) -> Made<T>) -> Result<T, TreeError> {
        self.store
            .with_tiles(&self.tenant_id, self.size, &mut self.cache, make)
            .await
    }
}
