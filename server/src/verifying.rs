//! The schedule that verifies every tenant's chain and tree (`--verify-every`) and
//! records each result, so a rewrite behind the triggers' back is noticed without
//! anyone running `vigil verify`, and the console shows when the chain was last whole.

use app::model::VerifyBy;
use app::store::Store;
use std::time::Duration;

/// The first run waits this long after start: start-up (building trees, signing
/// checkpoints) first, and no walk of every chain on a restart loop.
pub const FIRST_AFTER: Duration = Duration::from_secs(5 * 60);

/// Verifies every tenant `FIRST_AFTER` start, then every `every` (zero: never).
pub fn spawn(store: Store, every: Duration) {
    if every.is_zero() {
        tracing::info!("scheduled verify is off (--verify-every 0)");
        return;
    }
    tokio::spawn(async move {
        let start = tokio::time::Instant::now() + FIRST_AFTER;
        let mut tick = tokio::time::interval_at(start, every);
        // A run longer than `every` delays the next rather than starting two at once.
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            verify_all(&store).await;
        }
    });
}

/// One tenant at a time, so the walk holds one bulk connection, not several.
pub async fn verify_all(store: &Store) {
    let tenants = match store.tenant_ids().await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "scheduled verify: listing tenants failed");
            return;
        }
    };
    for tenant in tenants {
        match store.verify_and_record(&tenant, VerifyBy::Schedule).await {
            Ok((report, _)) => match &report.failure {
                None => tracing::info!(
                    tenant,
                    records = report.records,
                    tree_root = %report.tree_root,
                    "scheduled verify: OK"
                ),
                Some(f) => tracing::error!(
                    tenant,
                    seq = f.seq,
                    id = f.id.as_deref().unwrap_or("missing"),
                    reason = %f.reason,
                    "scheduled verify: the chain does not verify"
                ),
            },
            Err(e) => tracing::error!(tenant, error = %e, "scheduled verify failed to run"),
        }
    }
}
