//! `/api/v1/admin/tenants`: create, list, read, and change a tenant (its name, and
//! whether ingest creates the accounts it names on first sight).

use super::input::{field, page_json, tenant_in_path, Ids, Input, ListPage, ListQuery, TenantPath};
use super::{now_ms, time, OperatorCaller};
use crate::api::ApiError;
use crate::AppState;
use app::model::{DisplayName, TenantId};
use app::store::audit::Change;
use app::store::{TenantChange, TenantRow};
use axum::{extract::State, http::StatusCode, Json};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn tenant_json(t: &TenantRow) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "created_at": time(t.created_at),
        "auto_create_accounts": t.auto_create_accounts,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    id: String,
    name: String,
    #[serde(default)]
    auto_create_accounts: bool,
}

#[utoipa::path(
    post, path = "/api/v1/admin/tenants", tag = "operator",
    request_body = NewTenant,
    responses(
        (status = 201, description = "The tenant created", body = Object),
        (status = 400, description = "A field or parameter is invalid (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or revoked operator token", body = crate::api::openapi::ErrorBody),
        (status = 409, description = "Already taken (the field is named)", body = crate::api::openapi::ErrorBody),
    ),
    security(("operator_token" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    op: OperatorCaller,
    Input(body): Input<NewTenant>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = field("id", TenantId::parse(&body.id))?;
    let name = field("name", DisplayName::parse(&body.name))?;
    let tenant = state
        .store
        .add_tenant(&id, &name, body.auto_create_accounts, now_ms())
        .await?;
    state
        .store
        .audit(&tenant.id, None, &op.who(), Change::tenant_created(&tenant))
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(tenant = %tenant.id, operator = %op.name, "tenant created");
    Ok((StatusCode::CREATED, Json(tenant_json(&tenant))))
}

#[utoipa::path(
    get, path = "/api/v1/admin/tenants", tag = "operator",
    params(ListQuery),
    responses(
        (status = 200, description = "The page: `tenants` and `next_after`", body = Object),
        (status = 400, description = "A field or parameter is invalid (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or revoked operator token", body = crate::api::openapi::ErrorBody),
    ),
    security(("operator_token" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    _op: OperatorCaller,
    ListPage(page): ListPage,
) -> Result<Json<Value>, ApiError> {
    let listed = state
        .store
        .tenants(&page)
        .await
        .map_err(ApiError::read_failed)?;
    Ok(Json(page_json("tenants", &listed, tenant_json)))
}

#[utoipa::path(
    get, path = "/api/v1/admin/tenants/{tenant}", tag = "operator",
    params(TenantPath),
    responses(
        (status = 200, description = "The tenant", body = Object),
        (status = 400, description = "A field or parameter is invalid (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or revoked operator token", body = crate::api::openapi::ErrorBody),
        (status = 404, description = "No such tenant (or user, key) (named)", body = crate::api::openapi::ErrorBody),
    ),
    security(("operator_token" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    _op: OperatorCaller,
    Ids(tenant): Ids<String>,
) -> Result<Json<Value>, ApiError> {
    let id = tenant_in_path(&tenant)?;
    let found = state
        .store
        .tenant(id.as_str())
        .await
        .map_err(ApiError::read_failed)?
        .ok_or(ApiError::NoSuch("tenant"))?;
    Ok(Json(tenant_json(&found)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = TenantChanges)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    auto_create_accounts: Option<bool>,
}

#[utoipa::path(
    patch, path = "/api/v1/admin/tenants/{tenant}", tag = "operator",
    params(TenantPath),
    request_body = Changes,
    responses(
        (status = 200, description = "The tenant as changed", body = Object),
        (status = 400, description = "A field or parameter is invalid (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or revoked operator token", body = crate::api::openapi::ErrorBody),
        (status = 404, description = "No such tenant (or user, key) (named)", body = crate::api::openapi::ErrorBody),
    ),
    security(("operator_token" = []))
)]
pub async fn change(
    State(state): State<AppState>,
    op: OperatorCaller,
    Ids(tenant): Ids<String>,
    Input(body): Input<Changes>,
) -> Result<Json<Value>, ApiError> {
    let id = tenant_in_path(&tenant)?;
    let change = TenantChange {
        name: body
            .name
            .map(|n| field("name", DisplayName::parse(&n)))
            .transpose()?,
        auto_create_accounts: body.auto_create_accounts,
    };
    if change.name.is_none() && change.auto_create_accounts.is_none() {
        return Err(crate::api::record::FieldError::new(
            "body",
            "nothing to change: give name or auto_create_accounts",
        )
        .into());
    }
    let (before, after) = state.store.change_tenant(id.as_str(), &change).await?;
    if before != after {
        state
            .store
            .audit(
                &after.id,
                None,
                &op.who(),
                Change::tenant_changed(&before, &after),
            )
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(Json(tenant_json(&after)))
}
