//! Ingest keys within the viewer's reach: tenant admins all of the tenant's, account
//! admins their accounts'.

#[cfg(feature = "ssr")]
use super::error::ConsoleError;
use super::error::ConsoleResult;
use crate::model::{ApiKeyInfo, NewKeyShown};
use leptos::prelude::*;

#[server]
pub async fn list_api_keys() -> ConsoleResult<Vec<ApiKeyInfo>> {
    crate::ssr::answer(async {
        let (viewer, store) = crate::ssr::signed_in().await?;
        Ok(store.api_keys_in(&viewer.scope).await?)
    })
    .await
}

/// Creates an ingest key; `account` empty means tenant-wide (tenant admins only).
#[server]
pub async fn create_api_key(name: String, account: String) -> ConsoleResult<NewKeyShown> {
    use crate::model::Role;
    use crate::store::audit::{Change, Who};
    use crate::store::KeyError;
    crate::ssr::answer(async {
        let (viewer, store) = crate::ssr::signed_in().await?;
        let account = Some(account).filter(|a| !a.is_empty());
        let name = name.trim().to_owned();
        if name.is_empty() || name.len() > 100 {
            return Err(ConsoleError::invalid(
                "name",
                "give the key a name of at most 100 characters",
            ));
        }
        match (&account, viewer.role) {
            (None, Role::AccountAdmin) => {
                return Err(ConsoleError::invalid(
                    "account",
                    "account admins create keys for one of their accounts",
                ))
            }
            (Some(a), _) if !viewer.scope.allows_account(Some(a)) => {
                return Err(ConsoleError::NotFound)
            }
            _ => {}
        }
        let key = store
            .create_api_key(&viewer.scope.tenant_id, account.as_deref(), &name)
            .await
            .map_err(|e| match e {
                KeyError::NoTenant | KeyError::NoAccount => ConsoleError::NotFound,
                KeyError::Store(e) => e.into(),
            })?;
        let change = Change::api_key_created(&key, &name, account.as_deref());
        let who = Who::viewer_in(&viewer, crate::ssr::origin().await, account.as_deref());
        store
            .audit(&viewer.scope.tenant_id, account, &who, change)
            .await?;
        Ok(NewKeyShown {
            id: key.id,
            prefix: key.prefix,
            plaintext: key.plaintext,
        })
    })
    .await
}

#[server]
pub async fn deactivate_api_key(id: String) -> ConsoleResult<()> {
    use crate::store::audit::{Change, Who};
    use serde_json::json;
    crate::ssr::answer(async {
        let (viewer, store) = crate::ssr::signed_in().await?;
        let key = store
            .api_keys_in(&viewer.scope)
            .await?
            .into_iter()
            .find(|k| k.id == id)
            .ok_or(ConsoleError::NotFound)?;
        if !store
            .revoke_api_key(&key.id, chrono::Utc::now().timestamp_millis())
            .await?
        {
            return Ok(()); // already deactivated: nothing changed, nothing to audit
        }
        let change = Change {
            action: "deactivate",
            resource_type: "api_key",
            resource_id: Some(key.id.clone()),
            event_name: "API key deactivated",
            old_value: Some(json!({"active": true})),
            new_value: Some(json!({"active": false, "prefix": key.prefix})),
        };
        let who = Who::viewer_in(
            &viewer,
            crate::ssr::origin().await,
            key.account_id.as_deref(),
        );
        store
            .audit(&viewer.scope.tenant_id, key.account_id, &who, change)
            .await?;
        Ok(())
    })
    .await
}
