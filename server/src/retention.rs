//! Retention's purge, the one path by which a record's body goes (README, "Retention"):
//! for each tenant with a policy, on the server's schedule or `vigil purge`, sign a
//! checkpoint covering the cut, archive the range (see `archive_range`), purge it
//! (app/src/store/retention.rs), and append the purge as an admin action.

use app::merkle::note::NoteSigner;
use app::model::SignedCheckpoint;
use app::store::audit::{Change, Who};
use app::store::{PurgeRange, Store};
use chrono::{DateTime, Utc};
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

/// Writes the records `range` of `tenant_id`'s chain as bundles to the archive folder,
/// before the purge deletes them; an error stops the purge, so nothing goes unarchived.
///
/// It does nothing yet: the bundle writer will fill it (with the folder from the
/// server's configuration, optional: none configured, nothing written).
pub async fn archive_range(
    _store: &Store,
    _tenant_id: &str,
    _range: PurgeRange,
    _checkpoint: &SignedCheckpoint,
) -> anyhow::Result<()> {
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
    archive_range(store, tenant_id, range, &checkpoint).await?;
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
) -> anyhow::Result<(Vec<Purged>, usize)> {
    let mut done = Vec::new();
    let mut failed = 0;
    for (tenant_id, _) in store.retention_policies().await? {
        match purge_tenant(store, signer, origin, &tenant_id, now).await {
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
pub fn spawn(store: Store, signer: Arc<NoteSigner>, origin: String, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        // A purge that ran long is not followed by a burst of catch-up runs.
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = purge_all(&store, &signer, &origin, Utc::now()).await {
                tracing::error!(error = %format!("{e:#}"), "retention purge failed");
            }
        }
    });
}
