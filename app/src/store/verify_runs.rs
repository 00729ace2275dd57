//! Recorded `verify` runs: each tenant's result, by `vigil verify` or the server's
//! schedule, kept append-only (migrations' 0006_witness.sql) so the console can say
//! when the chain was last proven whole, and an auditor can read the history.

use super::chain::VerifyReport;
use super::{from_ms, to_ms, with_read, with_write, Store, StoreError, StoreResult};
use crate::model::{VerifyBy, VerifyRun};
use chrono::{DateTime, Utc};

type Row = (
    i64,
    i64,
    Option<i64>,
    String,
    bool,
    Option<i64>,
    Option<String>,
    String,
);

impl Store {
    /// Verifies `tenant_id`'s chain and tree (see [`Store::verify`]) and records the
    /// result as of when the walk started.
    pub async fn verify_and_record(
        &self,
        tenant_id: &str,
        by: VerifyBy,
    ) -> StoreResult<(VerifyReport, VerifyRun)> {
        self.verify_and_record_with(tenant_id, by, &|_| {}).await
    }

    /// [`Store::verify_and_record`], telling `progress` how many records it has walked
    /// (see [`Store::verify_with`]).
    pub async fn verify_and_record_with(
        &self,
        tenant_id: &str,
        by: VerifyBy,
        progress: &(dyn Fn(u64) + Sync),
    ) -> StoreResult<(VerifyReport, VerifyRun)> {
        let ran_at = Utc::now();
        let report = self.verify_with(tenant_id, progress).await?;
        let run = self.record_verify(&report, by, ran_at).await?;
        Ok((report, run))
    }

    /// Records `report`, a run of `verify` started at `ran_at`.
    pub async fn record_verify(
        &self,
        report: &VerifyReport,
        by: VerifyBy,
        ran_at: DateTime<Utc>,
    ) -> StoreResult<VerifyRun> {
        // As stored: to the millisecond.
        let run = VerifyRun {
            ran_at: from_ms(to_ms(ran_at)),
            records: report.records,
            retained_from: report.retained_from.map(|r| r.max(0) as u64),
            tree_root: report.tree_root.clone(),
            ok: report.failure.is_none(),
            failure_seq: report.failure.as_ref().map(|f| f.seq),
            failure_reason: report.failure.as_ref().map(|f| f.reason.clone()),
            by,
        };
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO verify_runs (tenant_id, ran_at, records, retained_from, tree_root, \
                 ok, failure_seq, failure_reason, ran_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&report.tenant_id)
            .bind(to_ms(run.ran_at))
            .bind(i64::try_from(run.records).unwrap_or(i64::MAX))
            .bind(run.retained_from.map(|r| r as i64))
            .bind(&run.tree_root)
            .bind(run.ok)
            .bind(run.failure_seq)
            .bind(&run.failure_reason)
            .bind(by.as_str())
            .execute(pool)
            .await?;
        });
        Ok(run)
    }

    /// `tenant_id`'s newest recorded run, if any.
    pub async fn last_verify(&self, tenant_id: &str) -> StoreResult<Option<VerifyRun>> {
        let row: Option<Row> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT ran_at, records, retained_from, tree_root, ok, failure_seq, \
                 failure_reason, ran_by FROM verify_runs WHERE tenant_id = $1 \
                 ORDER BY ran_at DESC LIMIT 1",
            )
            .bind(tenant_id)
            .fetch_optional(pool)
            .await?
        });
        row.map(run_of).transpose()
    }
}

fn run_of(row: Row) -> StoreResult<VerifyRun> {
    let (ran_at, records, retained_from, tree_root, ok, failure_seq, failure_reason, by) = row;
    let by = by.parse().map_err(|e| StoreError::Corrupt {
        id: "verify_runs.ran_by".into(),
        reason: format!("{by:?}: {e}"),
    })?;
    Ok(VerifyRun {
        ran_at: from_ms(ran_at),
        records: records.max(0) as u64,
        retained_from: retained_from.map(|r| r.max(0) as u64),
        tree_root,
        ok,
        failure_seq,
        failure_reason,
        by,
    })
}
