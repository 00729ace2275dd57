//! Walking a tenant's hash chain to prove nothing was altered, removed or inserted.

use super::row::{EventRow, COLUMNS, GENESIS};
use super::{with_read, Store, StoreResult};
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
    pub records: u64,
    /// The hash of the last record: publish it elsewhere to anchor the chain.
    pub head_hash: String,
    pub failure: Option<VerifyFailure>,
}

impl Store {
    pub async fn tenant_ids(&self) -> StoreResult<Vec<String>> {
        Ok(with_read!(self, |pool| {
            sqlx::query_scalar("SELECT id FROM tenants ORDER BY id")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Streams the chain in order (flat memory) and stops at the first mismatch.
    #[tracing::instrument(skip(self))]
    pub async fn verify(&self, tenant_id: &str) -> StoreResult<VerifyReport> {
        let sql = format!("SELECT {COLUMNS} FROM events WHERE tenant_id = $1 ORDER BY seq");
        let (mut expected_seq, mut prev) = (1_i64, GENESIS.to_owned());
        let mut records = 0_u64;
        // The head and the records from one snapshot, so that appends committed while
        // the walk runs cannot look like a chain that ends before its head.
        let snapshot = self.dialect.snapshot();
        let (head, failure) = with_read!(self, |pool| {
            let mut tx = pool.begin().await?;
            if let Some(sql) = snapshot {
                sqlx::query(sql).execute(&mut *tx).await?;
            }
            let head: Option<(i64, String)> =
                sqlx::query_as("SELECT seq, hash FROM chain_heads WHERE tenant_id = $1")
                    .bind(tenant_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let mut failure = None;
            {
                let mut rows = sqlx::query_as::<_, EventRow>(&sql)
                    .bind(tenant_id)
                    .fetch(&mut *tx);
                while let Some(row) = rows.try_next().await? {
                    if let Some(reason) = check(&row, expected_seq, &prev) {
                        failure = Some(VerifyFailure {
                            seq: expected_seq,
                            id: Some(row.id.clone()),
                            reason,
                        });
                        break;
                    }
                    records += 1;
                    expected_seq += 1;
                    prev = row.hash;
                }
            }
            tx.rollback().await?;
            (head, failure)
        });
        let failure = failure.or_else(|| match head {
            Some((seq, hash)) if seq != expected_seq - 1 || hash != prev => Some(VerifyFailure {
                seq: expected_seq,
                id: None,
                reason: format!(
                    "the chain ends at record {} but its head names record {seq}: \
                     records were removed or the head was altered",
                    expected_seq - 1
                ),
            }),
            None if records > 0 => Some(VerifyFailure {
                seq: expected_seq,
                id: None,
                reason: "records exist but the chain head is missing".into(),
            }),
            _ => None,
        });
        Ok(VerifyReport {
            tenant_id: tenant_id.to_owned(),
            records,
            head_hash: prev,
            failure,
        })
    }
}

/// Why `row` does not belong at `expected_seq` after `prev`, if it does not.
fn check(row: &EventRow, expected_seq: i64, prev: &str) -> Option<String> {
    if row.seq != expected_seq {
        return Some(format!(
            "expected record {expected_seq} but found {}: records were removed",
            row.seq
        ));
    }
    if row.prev_hash != prev {
        return Some("its link to the previous record does not match".into());
    }
    if row.compute_hash() != row.hash {
        return Some("its content does not match its hash: the record was altered".into());
    }
    if let Err(e) = row.clone().into_event() {
        return Some(format!("it cannot be read: {e}"));
    }
    None
}
