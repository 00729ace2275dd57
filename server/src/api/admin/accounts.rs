//! `/api/v1/admin/tenants/{tenant}/accounts`: create and list a tenant's accounts.

use super::input::{
    field, known_tenant, page_json, tenant_in_path, Ids, Input, ListPage, ListQuery, TenantPath,
};
use super::{now_ms, time, OperatorCaller};
use crate::api::ApiError;
use crate::AppState;
use app::model::{AccountId, DisplayName};
use app::store::audit::Change;
use app::store::AccountRow;
use axum::{extract::State, http::StatusCode, Json};
use serde::Deserialize;
use serde_json::{json, Value};

fn account_json(a: &AccountRow) -> Value {
    json!({
        "id": a.id,
        "tenant_id": a.tenant_id,
        "name": a.name,
        "created_at": time(a.created_at),
        "auto_created_by_key": a.auto_created_by,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    id: String,
    /// Default: the id.
    #[serde(default)]
    name: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/admin/tenants/{tenant}/accounts", tag = "operator",
    params(TenantPath),
    request_body = NewAccount,
    responses(
        (status = 201, description = "The account created", body = Object),
        (status = 400, description = "A field or parameter is invalid (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or revoked operator token", body = crate::api::openapi::ErrorBody),
        (status = 404, description = "No such tenant (or user, key) (named)", body = crate::api::openapi::ErrorBody),
        (status = 409, description = "Already taken (the field is named)", body = crate::api::openapi::ErrorBody),
    ),
    security(("operator_token" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    op: OperatorCaller,
    Ids(tenant): Ids<String>,
    Input(body): Input<NewAccount>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let tenant = tenant_in_path(&tenant)?;
    let id = field("id", AccountId::parse(&body.id))?;
    let name = field(
        "name",
        DisplayName::parse(body.name.as_deref().unwrap_or(id.as_str())),
    )?;
    let account = state
        .store
        .add_account(tenant.as_str(), &id, &name, now_ms())
        .await?;
    let change = Change::account_created(&account.id, &account.name, None);
    state
        .store
        .audit(tenant.as_str(), None, &op.who(), change)
        .await
        .map_err(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(account_json(&account))))
}

#[utoipa::path(
    get, path = "/api/v1/admin/tenants/{tenant}/accounts", tag = "operator",
    params(TenantPath, ListQuery),
    responses(
        (status = 200, description = "The page: `accounts` and `next_after`", body = Object),
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
        .accounts_page(tenant.as_str(), &page)
        .await
        .map_err(ApiError::read_failed)?;
    Ok(Json(page_json("accounts", &listed, account_json)))
}
