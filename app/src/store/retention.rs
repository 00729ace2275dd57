//! Retention: each tenant's policy, and the purge that takes its oldest records' bodies
//! and index entries while their leaves stay in the Merkle tree, so proofs of later
//! records and consistency with checkpoints signed before still verify (migrations'
//! 0005_retention.sql; the server's retention.rs runs it on a schedule and audits it).
//!
//! A purge takes a prefix of the chain, a batch per transaction. Each batch first
//! records its cut (`retention_cuts`), which the database checks and which is the only
//! thing that lets it delete those records; every other UPDATE and DELETE of `events`
//! stays refused.

use super::search_file::unindex;
use super::tx::{on_tx, WriteTx};
use super::{from_ms, to_ms, with_read, with_write, Store, StoreError, StoreResult};
use crate::model::{RetentionDays, RetentionStatus};
use chrono::{DateTime, Utc};

/// Records deleted per transaction: a purge of millions never holds the writer (on
/// SQLite, its one connection) for long.
const PURGE_BATCH: i64 = 10_000;

/// The latest cut of tenant `$1`: the records it keeps start after it.
pub(super) const LATEST_CUT: &str = "SELECT upto_seq, last_hash FROM retention_cuts \
    WHERE tenant_id = $1 ORDER BY upto_seq DESC LIMIT 1";

/// The records a purge takes: `first..=last` of a tenant's chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PurgeRange {
    pub first: i64,
    pub last: i64,
}

impl Store {
    /// The tenant's policy; `None`: forever.
    pub async fn retention_days(&self, tenant_id: &str) -> StoreResult<Option<RetentionDays>> {
        let days: Option<Option<i32>> = with_read!(self, |pool| {
            sqlx::query_scalar("SELECT retention_days FROM tenant_settings WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_optional(pool)
                .await?
        });
        days.flatten()
            .map(|d| stored_days(tenant_id, d))
            .transpose()
    }

    /// Sets the tenant's policy (`None`: forever) and returns the one it replaces. Audit
    /// it: `set_retention` in the console, `vigil retention` on the command line.
    pub async fn set_retention_days(
        &self,
        tenant_id: &str,
        days: Option<RetentionDays>,
    ) -> StoreResult<Option<RetentionDays>> {
        let before = self.retention_days(tenant_id).await?;
        let days = days.map(|d| d.days() as i32);
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO tenant_settings (tenant_id, retention_days) VALUES ($1, $2) \
                 ON CONFLICT (tenant_id) DO UPDATE SET retention_days = excluded.retention_days",
            )
            .bind(tenant_id)
            .bind(days)
            .execute(pool)
            .await?;
        });
        Ok(before)
    }

    /// The tenant's policy, where its kept records start, and when it last purged.
    pub async fn retention(&self, tenant_id: &str) -> StoreResult<RetentionStatus> {
        let days = self.retention_days(tenant_id).await?;
        let (cut, at): (Option<i64>, Option<i64>) = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT MAX(upto_seq), MAX(purged_at) FROM retention_cuts WHERE tenant_id = $1",
            )
            .bind(tenant_id)
            .fetch_one(pool)
            .await?
        });
        Ok(RetentionStatus {
            days,
            retained_from: cut.map(|c| c + 1),
            last_purge: at.map(from_ms),
        })
    }

    /// The first record the tenant keeps after a purge; `None`: nothing was purged.
    pub async fn retained_from(&self, tenant_id: &str) -> StoreResult<Option<i64>> {
        let cut: Option<i64> = with_read!(self, |pool| {
            sqlx::query_scalar("SELECT MAX(upto_seq) FROM retention_cuts WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_one(pool)
                .await?
        });
        Ok(cut.map(|c| c + 1))
    }

    /// Every tenant with a policy, and its policy: what a scheduled purge goes through.
    pub async fn retention_policies(&self) -> StoreResult<Vec<(String, RetentionDays)>> {
        let rows: Vec<(String, i32)> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT tenant_id, retention_days FROM tenant_settings \
                 WHERE retention_days IS NOT NULL ORDER BY tenant_id",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(t, d)| stored_days(&t, d).map(|d| (t, d)))
            .collect()
    }

    /// What a purge at `now` under `days` would take: the records after the latest cut
    /// up to the last one such that it and every one before it were received (server
    /// time) before `now - days`. Never the chain's newest record: it anchors the head
    /// (and, on SQLite, keeps the rowids the search index counts on growing).
    pub async fn purge_range(
        &self,
        tenant_id: &str,
        days: RetentionDays,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<PurgeRange>> {
        let cutoff = to_ms(now).saturating_sub(days.millis());
        let head: Option<(i64, Option<i64>)> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT seq, (SELECT MAX(upto_seq) FROM retention_cuts c \
                 WHERE c.tenant_id = h.tenant_id) FROM chain_heads h WHERE tenant_id = $1",
            )
            .bind(tenant_id)
            .fetch_optional(pool)
            .await?
        });
        let Some((head, cut)) = head else {
            return Ok(None);
        };
        let cut = cut.unwrap_or(0);
        // Walks the chain's own index from the cut: the first record young enough to keep.
        let young: Option<i64> = with_read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT seq FROM events WHERE tenant_id = $1 AND seq > $2 AND received_at >= $3 \
                 ORDER BY seq LIMIT 1",
            )
            .bind(tenant_id)
            .bind(cut)
            .bind(cutoff)
            .fetch_optional(pool)
            .await?
        });
        let last = young.map_or(head, |s| s - 1).min(head - 1);
        Ok((last > cut).then_some(PurgeRange {
            first: cut + 1,
            last,
        }))
    }

    /// Purges `range` (from `purge_range`) of the tenant's chain under policy `days` at
    /// `now`, batch by batch; `checkpoint_size`: a stored checkpoint covering the range,
    /// signed first. Returns how many records went. Each batch records its cut, removes
    /// the search index's entries (SQLite's file; PostgreSQL's go with the rows) and the
    /// Jobs tab's heads of those records, then the records. Usage roll-ups are sums, not
    /// records: they stay. A batch that fails leaves the earlier ones done and itself
    /// undone: running the purge again continues.
    pub async fn purge(
        &self,
        tenant_id: &str,
        range: PurgeRange,
        days: RetentionDays,
        checkpoint_size: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut purged = 0;
        let mut from = range.first;
        while from <= range.last {
            let upto = from.saturating_add(PURGE_BATCH - 1).min(range.last);
            let mut tx = self.begin_write().await?;
            purged +=
                purge_batch(&mut tx, tenant_id, from, upto, days, checkpoint_size, now).await?;
            tx.commit().await?;
            from = upto + 1;
        }
        Ok(purged)
    }
}

/// One batch of a purge: records `from..=upto`, in the caller's transaction.
async fn purge_batch(
    tx: &mut WriteTx,
    tenant_id: &str,
    from: i64,
    upto: i64,
    days: RetentionDays,
    checkpoint_size: u64,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let last_hash: Option<String> = on_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT hash FROM events WHERE tenant_id = $1 AND seq = $2")
            .bind(tenant_id)
            .bind(upto)
            .fetch_optional(&mut *conn)
            .await?
    });
    let last_hash = last_hash.ok_or_else(|| StoreError::Corrupt {
        id: format!("record {upto} of {tenant_id}"),
        reason: "missing: the chain cannot be cut there".into(),
    })?;
    // First the cut: the database deletes nothing above it (and checks it, see 0005).
    on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO retention_cuts \
             (tenant_id, upto_seq, last_hash, checkpoint_size, policy_days, purged_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant_id)
        .bind(upto)
        .bind(&last_hash)
        .bind(checkpoint_size as i64)
        .bind(days.days() as i32)
        .bind(to_ms(now))
        .execute(&mut *conn)
        .await?;
    });
    unindex(tx, tenant_id, from, upto).await?;
    let deleted = on_tx!(tx, |conn| {
        // A job whose newest record goes leaves the Jobs tab with it. Looked up by the
        // batch's job records (the heads' key), not by scanning every head for its seq.
        sqlx::query(
            "DELETE FROM job_heads WHERE tenant_id = $1 AND seq >= $2 AND seq <= $3 \
             AND (account_id, subject) IN (SELECT COALESCE(account_id, ''), subject \
             FROM events WHERE tenant_id = $1 AND seq >= $2 AND seq <= $3 AND kind = 'job')",
        )
        .bind(tenant_id)
        .bind(from)
        .bind(upto)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM events WHERE tenant_id = $1 AND seq >= $2 AND seq <= $3")
            .bind(tenant_id)
            .bind(from)
            .bind(upto)
            .execute(&mut *conn)
            .await?
            .rows_affected()
    });
    Ok(deleted)
}

/// A stored policy, within the bounds the database's CHECK also holds it to.
fn stored_days(tenant_id: &str, days: i32) -> StoreResult<RetentionDays> {
    u32::try_from(days)
        .map_err(|e| e.to_string())
        .and_then(RetentionDays::parse)
        .map_err(|reason| StoreError::Corrupt {
            id: format!("retention policy of {tenant_id}"),
            reason,
        })
}
