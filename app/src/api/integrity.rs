//! The tenant's integrity at a glance: its latest signed checkpoint, the key that
//! verifies it, what each witness cosigned, the last `verify` and the retention in
//! force. Tenant-wide and free of records, so account admins read it too.

use super::error::ConsoleResult;
use crate::model::IntegrityReport;
use leptos::prelude::*;

#[server]
pub async fn integrity() -> ConsoleResult<IntegrityReport> {
    crate::ssr::answer(report()).await
}

/// `integrity()` as the console shows it, rendered on the server (see
/// `pages/integrity.rs`).
#[server]
pub async fn integrity_html() -> ConsoleResult<String> {
    crate::ssr::answer(async { Ok(crate::ssr::integrity_html(report().await?)) }).await
}

#[cfg(feature = "ssr")]
async fn report() -> ConsoleResult<IntegrityReport> {
    let (viewer, store) = crate::ssr::signed_in().await?;
    let keys = crate::ssr::TrustKeys::get()?;
    let tenant_id = &viewer.scope.tenant_id;
    Ok(IntegrityReport {
        checkpoint: store.checkpoints(tenant_id, 1).await?.into_iter().next(),
        public_key: keys.log.to_string(),
        witnesses: store.witness_status(tenant_id, &keys.witnesses).await?,
        last_verify: store.last_verify(tenant_id).await?,
        retention: store.retention(tenant_id).await?,
    })
}
