//! Signed checkpoints: each tenant's tree size and root in a C2SP signed note, kept for
//! witnesses and auditors (migrations' 0004_proofs.sql).

use super::tree::TreeError;
use super::{from_ms, with_read, with_write, Store, StoreError, StoreResult};
use crate::merkle::note::{Checkpoint, NoteSigner, SignedNote, VerifierKey};
use crate::merkle::Hash;
use crate::model::SignedCheckpoint;
use chrono::Utc;

/// The checkpoint origin of `tenant_id`'s tree: the deployment, then the tenant.
pub fn origin(deployment: &str, tenant_id: &str) -> String {
    format!("{deployment}/{tenant_id}")
}

fn unsignable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        id: "(checkpoint)".into(),
        reason: e.to_string(),
    }
}

impl Store {
    /// Signs a checkpoint of every tree that grew since its last one, as `deployment`
    /// with `signer`; returns how many were signed.
    pub async fn sign_checkpoints(
        &self,
        signer: &NoteSigner,
        deployment: &str,
    ) -> StoreResult<usize> {
        let grown: Vec<(String, i64)> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT h.tenant_id, h.tree_size FROM chain_heads h WHERE h.tree_size > \
                 COALESCE((SELECT MAX(c.size) FROM checkpoints c WHERE c.tenant_id = h.tenant_id), 0)",
            )
            .fetch_all(pool)
            .await?
        });
        for (tenant_id, size) in &grown {
            self.sign_checkpoint(signer, deployment, tenant_id, *size as u64)
                .await?;
        }
        Ok(grown.len())
    }

    /// `tenant_id`'s latest checkpoint, signed first if its tree grew since the last
    /// one (on demand, between the server's scheduled signings).
    pub async fn sign_checkpoint_of(
        &self,
        signer: &NoteSigner,
        deployment: &str,
        tenant_id: &str,
    ) -> StoreResult<Option<SignedCheckpoint>> {
        let size = self.tree_size(tenant_id).await?;
        let latest = self.checkpoints(tenant_id, 1).await?.into_iter().next();
        if size > latest.as_ref().map_or(0, |c| c.size) {
            return self
                .sign_checkpoint(signer, deployment, tenant_id, size)
                .await
                .map(Some);
        }
        Ok(latest)
    }

    /// Signs and stores the checkpoint of `tenant_id`'s tree at `size`. Signing is
    /// deterministic, so a concurrent signer of the same size stored the same note.
    async fn sign_checkpoint(
        &self,
        signer: &NoteSigner,
        deployment: &str,
        tenant_id: &str,
        size: u64,
    ) -> StoreResult<SignedCheckpoint> {
        let root = self.tree_root(tenant_id, size).await.map_err(|e| match e {
            TreeError::Store(e) => e,
            other => unsignable(other),
        })?;
        let body = Checkpoint::new(&origin(deployment, tenant_id), size, root)
            .map_err(unsignable)?
            .body();
        let mut note = SignedNote::new(body.clone()).map_err(unsignable)?;
        note.add(signer.sign(&body).map_err(unsignable)?);
        // As stored: to the millisecond.
        let now = from_ms(Utc::now().timestamp_millis());
        let note = note.to_string();
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO checkpoints (tenant_id, size, note, signed_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tenant_id, size) DO NOTHING",
            )
            .bind(tenant_id)
            .bind(size as i64)
            .bind(&note)
            .bind(now.timestamp_millis())
            .execute(pool)
            .await?;
        });
        Ok(SignedCheckpoint {
            size,
            note,
            signed_at: now,
        })
    }

    /// `tenant_id`'s newest checkpoints, newest first, at most `limit`.
    pub async fn checkpoints(
        &self,
        tenant_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<SignedCheckpoint>> {
        let rows: Vec<(i64, String, i64)> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT size, note, signed_at FROM checkpoints WHERE tenant_id = $1 \
                 ORDER BY size DESC LIMIT $2",
            )
            .bind(tenant_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(size, note, signed_at)| SignedCheckpoint {
                size: size.max(0) as u64,
                note,
                signed_at: from_ms(signed_at),
            })
            .collect())
    }

    /// `tenant_id`'s checkpoint at `size`, if one was signed there.
    pub async fn checkpoint_at(
        &self,
        tenant_id: &str,
        size: u64,
    ) -> StoreResult<Option<SignedCheckpoint>> {
        let row: Option<(String, i64)> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT note, signed_at FROM checkpoints WHERE tenant_id = $1 AND size = $2",
            )
            .bind(tenant_id)
            .bind(size as i64)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(note, signed_at)| SignedCheckpoint {
            size,
            note,
            signed_at: from_ms(signed_at),
        }))
    }
}

/// What a checkpoint saved elsewhere (by a witness, a SIEM, an email) says of the
/// database: the records it signed are still there, unchanged, or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointVerdict {
    pub tenant_id: String,
    pub size: u64,
    /// `None`: the database's first `size` records are the ones the checkpoint signed.
    pub failure: Option<String>,
}

impl Store {
    /// Checks `note`, a signed checkpoint of `deployment`, against the records: its
    /// signature with `key`, then the root of the first `size` records, recomputed from
    /// them. A history rewritten after the checkpoint, however consistently (every hash,
    /// head and tile recomputed), fails here. `Err`: the note itself is not usable.
    pub async fn check_checkpoint(
        &self,
        note: &str,
        key: &VerifierKey,
        deployment: &str,
    ) -> Result<CheckpointVerdict, String> {
        // A note kept in a file or an email may have gained blank lines around it.
        let note = format!("{}\n", note.trim());
        let note =
            SignedNote::parse(note.as_bytes()).map_err(|e| format!("not a signed note: {e}"))?;
        note.verify(key)
            .map_err(|e| format!("not signed by {}: {e}", key.name()))?;
        let body = Checkpoint::parse(note.text()).map_err(|e| format!("not a checkpoint: {e}"))?;
        let tenant_id = body
            .origin()
            .strip_prefix(deployment)
            .and_then(|rest| rest.strip_prefix('/'))
            .ok_or_else(|| {
                format!(
                    "the checkpoint's origin {:?} is not {deployment}/<tenant>",
                    body.origin()
                )
            })?
            .to_owned();
        let size = body.size();
        // Vigil's own checkpoints before it, signature checked: a rewrite cannot have
        // re-signed them, so the first whose root no longer matches says where it began.
        let earlier = self
            .signed_below(&tenant_id, size, key, body.origin())
            .await
            .map_err(|e| format!("reading the checkpoints: {e}"))?;
        let sizes: Vec<u64> = earlier.iter().map(|(n, _)| *n).collect();
        let recomputed = self
            .records_roots(&tenant_id, size, &sizes)
            .await
            .map_err(|e| format!("reading the records: {e}"))?;
        let failure = match recomputed {
            None => Some(format!(
                "the chain no longer holds the {size} records the checkpoint signed: records were removed"
            )),
            Some((root, passed)) if root != *body.root() => {
                let signed: std::collections::HashMap<u64, Hash> = earlier.into_iter().collect();
                let agreed = passed
                    .iter()
                    .take_while(|(n, r)| signed.get(n) == Some(r))
                    .last()
                    .map_or(0, |(n, _)| *n);
                let first_bad = passed
                    .iter()
                    .find(|(n, r)| signed.get(n) != Some(r))
                    .map_or(size, |(n, _)| *n);
                Some(format!(
                    "the tree of the first {size} records differs from the one the checkpoint signed: \
                     history was rewritten after it was signed. The trees first disagree at size \
                     {first_bad} (they agree at {agreed}, by Vigil's own signed checkpoints): a record \
                     between {} and {first_bad} was changed, removed or inserted",
                    agreed + 1
                ))
            }
            Some(_) => None,
        };
        Ok(CheckpointVerdict {
            tenant_id,
            size,
            failure,
        })
    }
}

/// Stored checkpoints a disagreement is looked for among, at most (the newest).
const MAX_EARLIER: i64 = 100_000;

impl Store {
    /// `tenant_id`'s stored checkpoints below `size` of `origin` whose signature by `key`
    /// verifies, as (size, root), ascending; the newest `MAX_EARLIER`.
    async fn signed_below(
        &self,
        tenant_id: &str,
        size: u64,
        key: &VerifierKey,
        origin: &str,
    ) -> StoreResult<Vec<(u64, Hash)>> {
        let rows: Vec<(i64, String)> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT size, note FROM checkpoints WHERE tenant_id = $1 AND size < $2 \
                 ORDER BY size DESC LIMIT $3",
            )
            .bind(tenant_id)
            .bind(size as i64)
            .bind(MAX_EARLIER)
            .fetch_all(pool)
            .await?
        });
        let mut out: Vec<(u64, Hash)> = rows
            .into_iter()
            .filter_map(|(_, note)| {
                let note = SignedNote::parse(note.as_bytes()).ok()?;
                note.verify(key).ok()?;
                let body = Checkpoint::parse(note.text()).ok()?;
                (body.origin() == origin).then(|| (body.size(), *body.root()))
            })
            .collect();
        out.sort_unstable_by_key(|(n, _)| *n);
        Ok(out)
    }
}
