//! Retention's purge, the one path by which a record's body goes (README, "Retention"):
//! for each tenant with a policy, on the server's schedule or `vigil purge`, sign a
//! checkpoint covering the cut, archive the range as bundles if a folder is set, purge it
//! (app/src/store/retention.rs), and append the purge as an admin action.

use crate::bundle::write::{self, Bounds};
use app::merkle::note::NoteSigner;
use app::model::Scope;
use app::model::SignedCheckpoint;
use app::store::audit::{Change, Who};
use app::store::{EventQuery, PurgeRange, Store};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// One tenant's purge, as its admin action records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purged {
    pub tenant_id: String,
    pub policy_days: u32,
    pub range: PurgeRange,
    /// Records deleted: the range's length, unless some were already gone.
    pub count: u64,
    /// Signed just before the purge; it covers every purged record.
    pub checkpoint: SignedCheckpoint,
}

/// Records per archive bundle: each file stays a size a verifier reads in seconds.
const ARCHIVE_RECORDS: i64 = 1_000_000;

/// Writes the records `range` of `tenant_id`'s chain as range bundles to the folder
/// `archive` (none: nothing written), before the purge deletes them: each file
/// `<tenant>-<first>-<last>.bundle.jsonl`, written under a temporary name and renamed
/// once synced. An error stops the purge, so nothing goes unarchived.
pub async fn archive_range(
    store: &Store,
    (signer, origin): (&NoteSigner, &str),
    tenant_id: &str,
    range: PurgeRange,
    archive: Option<&Path>,
) -> anyhow::Result<()> {
    let Some(dir) = archive else {
        return Ok(());
    };
    tokio::fs::create_dir_all(dir).await?;
    // Tenant ids are the operator's, but a file name must not leave the folder.
    let name: String = tenant_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut first = range.first;
    while first <= range.last {
        let last = range.last.min(first + ARCHIVE_RECORDS - 1);
        let bounds = Bounds {
            seq_from: Some(first as u64),
            seq_to: Some(last as u64),
            consistent_with: None,
        };
        let selection =
            serde_json::json!({ "retention_archive": { "first": first, "last": last } });
        let plan = write::plan(
            store,
            signer,
            origin,
            Scope::tenant(tenant_id),
            EventQuery::default(),
            bounds,
            selection,
        )
        .await
        .map_err(|e| anyhow::anyhow!("archiving records {first}–{last}: {e}"))?;
        let file = dir.join(format!("{name}-{first:012}-{last:012}.bundle.jsonl"));
        let partial = file.with_extension("jsonl.partial");
        // Left by an archive an earlier run did not finish.
        let _ = tokio::fs::remove_file(&partial).await;
        write::to_file(store, plan, &partial).await?;
        tokio::fs::rename(&partial, &file).await?;
        tracing::info!(tenant = %tenant_id, first, last, file = %file.display(), "archived before the purge");
        first = last + 1;
    }
    Ok(())
}

/// Purges `tenant_id`'s records older than its policy at `now` (a test's clock may run
/// ahead), as `origin` with `signer`. `None`: no policy, or nothing old enough.
pub async fn purge_tenant(
    store: &Store,
    signer: &NoteSigner,
    origin: &str,
    tenant_id: &str,
    now: DateTime<Utc>,
    archive: Option<&Path>,
) -> anyhow::Result<Option<Purged>> {
    let Some(days) = store.retention_days(tenant_id).await? else {
        return Ok(None);
    };
    let Some(range) = store.purge_range(tenant_id, days, now).await? else {
        return Ok(None);
    };
    // The checkpoint at the cut: what an auditor holds the purged range to, and the
    // database refuses a cut no stored checkpoint covers.
    let checkpoint = store
        .sign_checkpoint_of(signer, origin, tenant_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{tenant_id} has records but no checkpoint"))?;
    // A tree still being built (a database older than the trees) covers less.
    let last = range
        .last
        .min(i64::try_from(checkpoint.size).unwrap_or(i64::MAX));
    if last < range.first {
        return Ok(None);
    }
    let range = PurgeRange { last, ..range };
    archive_range(store, (signer, origin), tenant_id, range, archive).await?;
    let count = store
        .purge(tenant_id, range, days, checkpoint.size, now)
        .await?;
    let purged = Purged {
        tenant_id: tenant_id.to_owned(),
        policy_days: days.days(),
        range,
        count,
        checkpoint,
    };
    let change = Change {
        action: "retention.purge",
        resource_type: "retention",
        resource_id: None,
        event_name: "Retention purge",
        old_value: Some(serde_json::json!({"retained_from": range.first})),
        new_value: Some(serde_json::json!({
            "policy_days": purged.policy_days,
            "first_seq": range.first,
            "last_seq": range.last,
            "count": count,
            "retained_from": range.last + 1,
            "checkpoint_size": purged.checkpoint.size,
            "checkpoint": purged.checkpoint.note,
        })),
    };
    // After the purge, so its own record is never in the range. Should it fail, the
    // cut in `retention_cuts` still says what went (and `verify` where the chain starts).
    store.audit(tenant_id, None, &Who::vigil(), change).await?;
    tracing::info!(tenant = %tenant_id, first = range.first, last = range.last, count,
        "retention purged records");
    Ok(Some(purged))
}

/// `purge_tenant` for every tenant with a policy; one tenant's failure is logged and
/// the others still run. Returns the purges done and how many tenants failed.
pub async fn purge_all(
    store: &Store,
    signer: &NoteSigner,
    origin: &str,
    now: DateTime<Utc>,
    archive: Option<&Path>,
) -> anyhow::Result<(Vec<Purged>, usize)> {
    let mut done = Vec::new();
    let mut failed = 0;
    for (tenant_id, _) in store.retention_policies().await? {
        match purge_tenant(store, signer, origin, &tenant_id, now, archive).await {
            Ok(Some(p)) => done.push(p),
            Ok(None) => {}
            Err(e) => {
                failed += 1;
                tracing::error!(tenant = %tenant_id, error = %format!("{e:#}"), "retention purge failed");
            }
        }
    }
    Ok((done, failed))
}

/// Purges now, then every `every`, for as long as the server runs (now too: a server
/// restarted more often than `every` still purges).
pub fn spawn(
    store: Store,
    signer: Arc<NoteSigner>,
    origin: String,
    every: Duration,
    archive: Option<PathBuf>,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        // A purge that ran long is not followed by a burst of catch-up runs.
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let archive = archive.as_deref();
            if let Err(e) = purge_all(&store, &signer, &origin, Utc::now(), archive).await {
                tracing::error!(error = %format!("{e:#}"), "retention purge failed");
            }
        }
    });
}
