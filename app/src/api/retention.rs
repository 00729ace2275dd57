//! The tenant's retention policy (README, "Retention"): anyone signed in reads it;
//! only tenant admins set it, and setting it is audited. Nothing here purges: the purge
//! runs on the server's schedule (or `vigil purge`), never at a caller's request.

#[cfg(feature = "ssr")]
use super::error::ConsoleError;
use super::error::ConsoleResult;
use crate::model::RetentionStatus;
use leptos::prelude::*;

/// The policy, where the kept records start, and when the last purge ran.
#[server]
pub async fn retention() -> ConsoleResult<RetentionStatus> {
    crate::ssr::answer(async {
        let (viewer, store) = crate::ssr::signed_in().await?;
        Ok(store.retention(&viewer.scope.tenant_id).await?)
    })
    .await
}

/// Sets how many days the tenant keeps its records (`days` absent or blank: forever;
/// text, as a form's field sends it). Answers nothing: the console reads the policy
/// back with the rest of the Integrity report (one decoder fewer in the WASM). Tenant admins only: an account admin is refused
/// (403), since the policy is the whole tenant's. The change is an admin action of the
/// tenant.
#[server]
pub async fn set_retention(days: Option<String>) -> ConsoleResult<()> {
    use crate::model::{RetentionDays, Role};
    use crate::store::audit::{Change, Who};
    crate::ssr::answer(async {
        let (viewer, store) = crate::ssr::signed_in().await?;
        if viewer.role != Role::TenantAdmin {
            return Err(ConsoleError::Forbidden);
        }
        let days = RetentionDays::parse_text(days.as_deref().unwrap_or_default())
            .map_err(|message| ConsoleError::invalid("days", message))?;
        let tenant_id = &viewer.scope.tenant_id;
        let before = store.set_retention_days(tenant_id, days).await?;
        if before != days {
            let who = Who::viewer_in(&viewer, crate::ssr::origin().await, None);
            store
                .audit(tenant_id, None, &who, Change::retention_set(before, days))
                .await?;
        }
        Ok(())
    })
    .await
}
