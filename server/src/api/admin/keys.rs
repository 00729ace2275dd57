//! `/api/v1/admin/tenants/{tenant}/keys`: ingest keys, tenant-wide or bound to one
//! account: create (the plaintext shown once), list, revoke.

use super::input::{
    field, id_in_path, known_tenant, page_json, tenant_in_path, Ids, Input, ListPage, ListQuery,
    TenantPath,
};
use super::{now_ms, time, OperatorCaller};
use crate::api::ApiError;
use crate::AppState;
use app::model::{AccountId, DisplayName};
use app::store::audit::Change;
use app::store::{ApiKeyRow, KeyError};
use axum::{extract::State, http::StatusCode, Json};
use serde::Deserialize;
use serde_json::{json, Value};

fn key_json(k: &ApiKeyRow) -> Value {
    json!({
        "id": k.id,
        "prefix": k.prefix,
        "name": k.name,
        "tenant_id": k.tenant_id,
        "account_id": k.account_id,
        "created_at": time(k.created_at),
        "revoked_at": k.revoked_at.map(time),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// Default: "ingest".
    #[serde(default)]
    name: Option<String>,
    /// Bind the key to this account; absent: the whole tenant.
    #[serde(default)]
    account_id: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/admin/tenants/{tenant}/keys", tag = "operator",
    params(TenantPath),
    request_body = NewKey,
    responses(
        (status = 201, description = "The key, with its plaintext (shown once) created", body = Object),
        (status = 400, description = "A field or parameter is invalid (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or revoked operator token", body = crate::api::openapi::ErrorBody),
        (status = 404, description = "No such tenant (or user, key) (named)", body = crate::api::openapi::ErrorBody),
    ),
    security(("operator_token" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    op: OperatorCaller,
    Ids(tenant): Ids<String>,
    Input(body): Input<NewKey>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let tenant = tenant_in_path(&tenant)?;
    let name = field(
        "name",
        DisplayName::parse(body.name.as_deref().unwrap_or("ingest")),
    )?;
    let account = body
        .account_id
        .as_deref()
        .map(|a| field("account_id", AccountId::parse(a)))
        .transpose()?
        .map(|a| a.to_string());
    let key = state
        .store
        .create_api_key(tenant.as_str(), account.as_deref(), name.as_str())
        .await
        .map_err(|e| match e {
            KeyError::NoTenant => ApiError::NoSuch("tenant"),
            KeyError::NoAccount => crate::api::record::FieldError::new(
                "account_id",
                format!(
                    "no account {} in this tenant",
                    account.as_deref().unwrap_or("")
                ),
            )
            .into(),
            KeyError::Store(e) => ApiError::internal(e),
        })?;
    let change = Change::api_key_created(&key, name.as_str(), account.as_deref());
    state
        .store
        .audit(
            tenant.as_str(),
            account.clone(),
            &op.who_in(account.as_deref()),
            change,
        )
        .await
        .map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": key.id,
            "prefix": key.prefix,
            "key": key.plaintext,
            "name": name.as_str(),
            "tenant_id": tenant.as_str(),
            "account_id": account,
        })),
    ))
}

#[utoipa::path(
    get, path = "/api/v1/admin/tenants/{tenant}/keys", tag = "operator",
    params(TenantPath, ListQuery),
    responses(
        (status = 200, description = "The page: `keys` and `next_after`", body = Object),
        (status = 400, description = "A field or parameter is invalid (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or revoked operator token", body = crate::api::openapi::ErrorBody),
        (status = 404, description = "No such tenant (or user, key) (named)", body = crate::api::openapi::ErrorBody),
    ),
    security(("operator_token" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    _op: OperatorCaller,
    Ids(tenant): Ids<String>,
    ListPage(page): ListPage,
) -> Result<Json<Value>, ApiError> {
    let tenant = known_tenant(&state, &tenant).await?;
    let listed = state
        .store
        .api_keys_page(tenant.as_str(), &page)
        .await
        .map_err(ApiError::read_failed)?;
    Ok(Json(page_json("keys", &listed, key_json)))
}

/// Revokes the key (at once: its next request is refused); revoking it again changes
/// nothing and records nothing.
#[utoipa::path(
    delete, path = "/api/v1/admin/tenants/{tenant}/keys/{key}", tag = "operator",
    params(TenantPath, ("key" = String, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The key as revoked", body = Object),
        (status = 400, description = "A field or parameter is invalid (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or revoked operator token", body = crate::api::openapi::ErrorBody),
        (status = 404, description = "No such tenant (or user, key) (named)", body = crate::api::openapi::ErrorBody),
    ),
    security(("operator_token" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    op: OperatorCaller,
    Ids((tenant, key)): Ids<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let tenant = tenant_in_path(&tenant)?;
    id_in_path(&key, "key")?;
    let store = &state.store;
    let found = store
        .api_key_in(tenant.as_str(), &key)
        .await
        .map_err(ApiError::read_failed)?
        .ok_or(ApiError::NoSuch("key"))?;
    if store
        .revoke_api_key(&found.id, now_ms())
        .await
        .map_err(ApiError::internal)?
    {
        let change = Change {
            action: "deactivate",
            resource_type: "api_key",
            resource_id: Some(found.id.clone()),
            event_name: "API key deactivated",
            old_value: Some(json!({"active": true})),
            new_value: Some(json!({"active": false, "prefix": found.prefix})),
        };
        let account = found.account_id.clone();
        store
            .audit(
                tenant.as_str(),
                account.clone(),
                &op.who_in(account.as_deref()),
                change,
            )
            .await
            .map_err(ApiError::internal)?;
    }
    let after = store
        .api_key_in(tenant.as_str(), &key)
        .await
        .map_err(ApiError::read_failed)?
        .ok_or(ApiError::NoSuch("key"))?;
    Ok(Json(key_json(&after)))
}
