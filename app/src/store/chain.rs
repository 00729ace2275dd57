//! Walking a tenant's hash chain to prove nothing was altered, removed or inserted.

use super::retention::LATEST_CUT;
use super::row::{EventRow, COLUMNS, GENESIS};
use super::{with_bulk, with_read, Store, StoreError, StoreResult};
use crate::merkle::tiles::{RightEdge, Tile, TileId, TILE_WIDTH};
use crate::merkle::{self, Hash};
use futures_util::TryStreamExt;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyFailure {
    /// The chain position where the record differs from what the chain expects.
    pub seq: i64,
    pub id: Option<String>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub tenant_id: String,
    /// The chain's length: its kept records, and those retention purged before them.
    pub records: u64,
    /// The first record that still has its body, when retention purged those before
    /// it (their leaves were taken from the stored tree, and this record's link from
    /// the cut); `None`: nothing was purged, the walk started at record 1.
    pub retained_from: Option<i64>,
    /// The hash of the last record: publish it elsewhere to anchor the chain.
    pub head_hash: String,
    /// The root of the tenant's Merkle tree over those records (hex), recomputed from
    /// them and found equal to the stored tree's.
    pub tree_root: String,
    pub failure: Option<VerifyFailure>,
}

/// Leaves gathered before they are added to the recomputed tree.
const LEAF_BATCH: usize = 4096;

/// Tenant `$1`'s level-0 tiles up to index `$2`, in order: the leaves of records
/// retention purged are read back from these.
const LEAF_TILES: &str = "SELECT idx, hashes FROM merkle_tiles \
    WHERE tenant_id = $1 AND level = 0 AND idx <= $2 ORDER BY idx";

/// Records between two calls of `verify_with`'s progress.
const PROGRESS_EVERY: u64 = 8192;

impl Store {
    pub async fn tenant_ids(&self) -> StoreResult<Vec<String>> {
        Ok(with_read!(self, |pool| {
            sqlx::query_scalar("SELECT id FROM tenants ORDER BY id")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Streams the chain in order (flat memory) and stops at the first mismatch. After
    /// a retention cut the walk starts at the first kept record; the purged records'
    /// leaves come from the stored tiles.
    pub async fn verify(&self, tenant_id: &str) -> StoreResult<VerifyReport> {
        self.verify_with(tenant_id, &|_| {}).await
    }

    /// [`Store::verify`], telling `progress` how many records it has walked every few
    /// thousand (`vigil verify`'s progress bar).
    #[tracing::instrument(skip(self, progress))]
    pub async fn verify_with(
        &self,
        tenant_id: &str,
        progress: &(dyn Fn(u64) + Sync),
    ) -> StoreResult<VerifyReport> {
        let sql = format!("SELECT {COLUMNS} FROM events WHERE tenant_id = $1 ORDER BY seq");
        let (mut expected_seq, mut prev) = (1_i64, GENESIS.to_owned());
        let mut records = 0_u64;
        // The head and the records from one snapshot, so that appends committed while
        // the walk runs cannot look like a chain that ends before its head.
        let snapshot = self.dialect.snapshot();
        let mut tree = Tree::default();
        // The first stored tile that differs from the records' own.
        let mut tile_failure: Option<String> = None;
        // On the bulk pool: a long walk must not hold one of the console's connections.
        let (head, cut, failure) = with_bulk!(self, |pool| {
            let mut tx = pool.begin().await?;
            if let Some(sql) = snapshot {
                sqlx::query(sql).execute(&mut *tx).await?;
            }
            let head: Option<(i64, String, i64)> =
                sqlx::query_as("SELECT seq, hash, tree_size FROM chain_heads WHERE tenant_id = $1")
                    .bind(tenant_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let cut: Option<(i64, String)> = sqlx::query_as(LATEST_CUT)
                .bind(tenant_id)
                .fetch_optional(&mut *tx)
                .await?;
            let mut lacking = None;
            // Records retention purged: their leaves from the stored tiles, and the
            // link into the first kept record from the cut, which recorded the hash of
            // the last record it purged.
            if let Some((upto, last_hash)) = &cut {
                let mut purged = PurgedLeaves::new(*upto);
                {
                    let mut tiles = sqlx::query_as::<_, (i64, Vec<u8>)>(LEAF_TILES)
                        .bind(tenant_id)
                        .bind(purged.last_tile())
                        .fetch(&mut *tx);
                    while let Some((idx, hashes)) = tiles.try_next().await? {
                        match purged.take(idx, &hashes, &mut tree)? {
                            Ok(done) => {
                                for tile in done {
                                    if tile_failure.is_none() {
                                        tile_failure = self.check_tile(tenant_id, &tile).await?;
                                    }
                                }
                            }
                            Err(reason) => {
                                lacking = Some(reason);
                                break;
                            }
                        }
                    }
                }
                lacking = lacking.or_else(|| purged.missing());
                records = purged.taken;
                expected_seq = *upto + 1;
                prev.clone_from(last_hash);
            }
            let mut failure = lacking.map(|reason| VerifyFailure {
                seq: records as i64 + 1,
                id: None,
                reason,
            });
            let purged_upto = expected_seq - 1;
            if failure.is_none() {
                let mut rows = sqlx::query_as::<_, EventRow>(&sql)
                    .bind(tenant_id)
                    .fetch(&mut *tx);
                while let Some(row) = rows.try_next().await? {
                    let canonical = row.canonical();
                    if row.seq > purged_upto {
                        for tile in tree.add(merkle::leaf_hash(&canonical))? {
                            if tile_failure.is_none() {
                                tile_failure = self.check_tile(tenant_id, &tile).await?;
                            }
                        }
                    }
                    if let Some(reason) = check(&row, &canonical, expected_seq, &prev, purged_upto)
                    {
                        failure = Some(VerifyFailure {
                            seq: row.seq.min(expected_seq),
                            id: Some(row.id.clone()),
                            reason,
                        });
                        break;
                    }
                    records += 1;
                    expected_seq += 1;
                    prev = row.hash;
                    if records.is_multiple_of(PROGRESS_EVERY) {
                        progress(records);
                    }
                }
            }
            tx.rollback().await?;
            (head, cut, failure)
        });
        let failure = failure.or_else(|| match &head {
            Some((seq, hash, _)) if *seq != expected_seq - 1 || *hash != prev => {
                Some(VerifyFailure {
                    seq: expected_seq,
                    id: None,
                    reason: format!(
                        "the chain ends at record {} but its head names record {seq}: \
                     records were removed or the head was altered",
                        expected_seq - 1
                    ),
                })
            }
            None if records > 0 => Some(VerifyFailure {
                seq: expected_seq,
                id: None,
                reason: "records exist but the chain head is missing".into(),
            }),
            _ => None,
        });
        // The stored tree must be the records' own, tile by tile: tiles only grow, so
        // reading them after the snapshot still gives the tree at the snapshot's size.
        let (root, last) = tree.finish()?;
        for tile in last {
            if tile_failure.is_none() {
                tile_failure = self.check_tile(tenant_id, &tile).await?;
            }
        }
        let failure = match (failure, head, tile_failure) {
            (Some(f), _, _) => Some(f),
            (None, Some((_, _, size)), _) if size != records as i64 => Some(VerifyFailure {
                seq: size + 1,
                id: None,
                reason: format!("the Merkle tree holds {size} records, the chain {records}"),
            }),
            (None, _, Some(reason)) => Some(VerifyFailure {
                seq: records as i64,
                id: None,
                reason,
            }),
            (None, _, None) => None,
        };
        Ok(VerifyReport {
            tenant_id: tenant_id.to_owned(),
            records,
            retained_from: cut.map(|(upto, _)| upto + 1),
            head_hash: prev,
            tree_root: hex::encode(root),
            failure,
        })
    }
}

impl Store {
    /// The root of the tree of `tenant_id`'s first `size` records, recomputed from the
    /// records themselves (not the stored tiles): what a checkpoint saved elsewhere is
    /// held against. Records retention purged give their leaves from the stored tiles
    /// instead (there is nothing else left of them). `None` if the chain is shorter.
    pub async fn records_root(&self, tenant_id: &str, size: u64) -> StoreResult<Option<Hash>> {
        let roots = self.records_roots(tenant_id, size, &[]).await?;
        Ok(roots.map(|(root, _)| root))
    }

    /// `records_root`, and the roots at the sizes `also` (ascending, below `size`) the
    /// walk passes on the way, found in the same walk: where a rewrite starts is the
    /// first of them that no longer matches what was signed there. Sizes inside a
    /// retention cut are skipped (their leaves come from the tiles, not the records).
    pub async fn records_roots(
        &self,
        tenant_id: &str,
        size: u64,
        also: &[u64],
    ) -> StoreResult<Option<(Hash, Vec<(u64, Hash)>)>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM events WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 \
             ORDER BY seq"
        );
        let snapshot = self.dialect.snapshot();
        let mut tree = Tree::default();
        let mut count = 0_u64;
        let mut passed = Vec::new();
        with_read!(self, |pool| {
            // One snapshot: a purge between reading the cut and the records would look
            // like records removed.
            let mut tx = pool.begin().await?;
            if let Some(sql) = snapshot {
                sqlx::query(sql).execute(&mut *tx).await?;
            }
            let cut: Option<(i64, String)> = sqlx::query_as(LATEST_CUT)
                .bind(tenant_id)
                .fetch_optional(&mut *tx)
                .await?;
            let purged = cut.map_or(0, |(upto, _)| upto.max(0) as u64).min(size);
            if purged > 0 {
                let mut leaves = PurgedLeaves::new(purged as i64);
                {
                    let mut tiles = sqlx::query_as::<_, (i64, Vec<u8>)>(LEAF_TILES)
                        .bind(tenant_id)
                        .bind(leaves.last_tile())
                        .fetch(&mut *tx);
                    while let Some((idx, hashes)) = tiles.try_next().await? {
                        leaves
                            .take(idx, &hashes, &mut tree)?
                            .map_err(|reason| corrupt_tree(tenant_id, reason))?;
                    }
                }
                if let Some(reason) = leaves.missing() {
                    return Err(corrupt_tree(tenant_id, reason));
                }
                count = purged;
            }
            let mut wanted = also
                .iter()
                .copied()
                .filter(|&n| n > purged && n < size)
                .peekable();
            {
                let mut rows = sqlx::query_as::<_, EventRow>(&sql)
                    .bind(tenant_id)
                    .bind(purged as i64)
                    .bind(size as i64)
                    .fetch(&mut *tx);
                while let Some(row) = rows.try_next().await? {
                    count += 1;
                    if row.seq != count as i64 {
                        return Ok(None);
                    }
                    tree.add(merkle::leaf_hash(&row.canonical()))?;
                    if wanted.next_if_eq(&count).is_some() {
                        tree.flush()?;
                        passed.push((count, tree.edge.root().map_err(tree_error)?));
                    }
                }
            }
            tx.rollback().await?;
        });
        if count != size {
            return Ok(None);
        }
        Ok(Some((tree.finish()?.0, passed)))
    }
}

/// The leaves of the records up to a retention cut, read back in order from the stored
/// level-0 tiles (the records are gone) into the recomputed tree.
struct PurgedLeaves {
    upto: u64,
    taken: u64,
}

impl PurgedLeaves {
    fn new(upto: i64) -> Self {
        PurgedLeaves {
            upto: upto.max(0) as u64,
            taken: 0,
        }
    }

    /// The last level-0 tile holding a purged record's leaf.
    fn last_tile(&self) -> i64 {
        (self.upto.saturating_sub(1) / u64::from(TILE_WIDTH)) as i64
    }

    /// Adds the purged records' leaves of level-0 tile `idx` (stored as `hashes`) to
    /// `tree`: the tiles that completes, or inside, why the stored tiles cannot give
    /// the leaves.
    fn take(
        &mut self,
        idx: i64,
        hashes: &[u8],
        tree: &mut Tree,
    ) -> StoreResult<Result<Vec<Tile>, String>> {
        let width = u64::from(TILE_WIDTH);
        if u64::try_from(idx).ok().and_then(|i| i.checked_mul(width)) != Some(self.taken) {
            return Ok(Err(self.lacking()));
        }
        let want = (self.upto - self.taken).min(width) as usize;
        let Some(leaves) = hashes.get(..want * 32) else {
            return Ok(Err(self.lacking()));
        };
        let mut done = Vec::new();
        for leaf in leaves.chunks_exact(32) {
            let leaf: Hash = leaf.try_into().map_err(tree_error)?;
            done.extend(tree.add(leaf)?);
        }
        self.taken += want as u64;
        Ok(Ok(done))
    }

    /// Why the leaves are incomplete, if they are.
    fn missing(&self) -> Option<String> {
        (self.taken < self.upto).then(|| self.lacking())
    }

    fn lacking(&self) -> String {
        let tile = TileId::new(0, self.taken / u64::from(TILE_WIDTH), TILE_WIDTH)
            .map(|id| id.path())
            .unwrap_or_default();
        format!(
            "the stored Merkle tree lacks tile {tile}, which holds the leaves of records \
             retention purged (up to {}): they cannot be recomputed",
            self.upto
        )
    }
}

fn corrupt_tree(tenant_id: &str, reason: String) -> StoreError {
    StoreError::Corrupt {
        id: format!("tree of {tenant_id}"),
        reason,
    }
}

/// The records' tree, recomputed as the walk reads them.
struct Tree {
    edge: RightEdge,
    pending: Vec<Hash>,
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            edge: RightEdge::empty(),
            pending: Vec::with_capacity(LEAF_BATCH),
        }
    }
}

impl Tree {
    /// Adds a leaf; returns the tiles it completed (full: final), to check.
    fn add(&mut self, leaf: Hash) -> Result<Vec<Tile>, StoreError> {
        self.pending.push(leaf);
        if self.pending.len() < LEAF_BATCH {
            return Ok(Vec::new());
        }
        self.flush()
    }

    fn flush(&mut self) -> Result<Vec<Tile>, StoreError> {
        let appended = self.edge.append(&self.pending).map_err(tree_error)?;
        self.edge = appended.edge;
        self.pending.clear();
        Ok(appended
            .tiles
            .into_iter()
            .filter(|t| !t.id().is_partial())
            .collect())
    }

    /// The root, and the tiles still to check: the last full ones and the partials.
    fn finish(&mut self) -> Result<(Hash, Vec<Tile>), StoreError> {
        let mut tiles = self.flush()?;
        tiles.extend(self.edge.tiles());
        Ok((self.edge.root().map_err(tree_error)?, tiles))
    }
}

impl Store {
    /// Why the stored tile differs from `tile`, recomputed from the records, if it does.
    async fn check_tile(&self, tenant_id: &str, tile: &Tile) -> StoreResult<Option<String>> {
        let want = tile.to_bytes();
        let stored = self.stored_tile(tenant_id, tile.id()).await?;
        Ok(match stored {
            Some(bytes) if bytes.get(..want.len()) == Some(&want[..]) => None,
            Some(_) => Some(format!(
                "the stored Merkle tree's tile {} does not match the records: its tiles were altered",
                tile.id().path()
            )),
            None => Some(format!(
                "the stored Merkle tree lacks tile {}",
                tile.id().path()
            )),
        })
    }
}

fn tree_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        id: "recomputed tree".into(),
        reason: e.to_string(),
    }
}

/// Why `row` (of encoding `canonical`) does not belong at `expected_seq` after `prev`,
/// if it does not; records up to `purged_upto` were purged by retention.
fn check(
    row: &EventRow,
    canonical: &[u8],
    expected_seq: i64,
    prev: &str,
    purged_upto: i64,
) -> Option<String> {
    if row.seq <= purged_upto {
        return Some(format!(
            "record {} is in the range retention purged (up to {purged_upto}), yet stored: \
             it was put back or never purged",
            row.seq
        ));
    }
    if row.seq != expected_seq {
        return Some(format!(
            "expected record {expected_seq} but found {}: records were removed",
            row.seq
        ));
    }
    if row.prev_hash != prev {
        return Some("its link to the previous record does not match".into());
    }
    if row.chain_hash(canonical) != row.hash {
        return Some("its content does not match its hash: the record was altered".into());
    }
    if let Err(e) = row.clone().into_event() {
        return Some(format!("it cannot be read: {e}"));
    }
    None
}
