//! `/api/v1/admin/tenants/{tenant}/users`: create a console user with a role, list
//! them, read one, change their role, deactivate or reactivate them.

use super::input::{
    field, id_in_path, known_tenant, page_json, tenant_in_path, Ids, Input, ListPage, ListQuery,
    TenantPath,
};
use super::{now_ms, time, OperatorCaller};
use crate::api::record::FieldError;
use crate::api::ApiError;
use crate::auth::password;
use crate::AppState;
use app::model::{AccountId, Email, Role};
use app::store::audit::Change;
use app::store::{Grant, NewMember, UserRow};
use axum::{extract::State, http::StatusCode, Json};
use serde::Deserialize;
use serde_json::{json, Value};

fn user_json(u: &UserRow) -> Value {
    let roles: Vec<Value> = u.grants.iter().map(Grant::to_json).collect();
    json!({
        "id": u.id,
        "tenant_id": u.tenant_id,
        "email": u.email,
        "created_at": time(u.created_at),
        "disabled": u.disabled_at.is_some(),
        "roles": roles,
    })
}

/// A role from the body: `role`, and `account_id` for an account admin.
pub fn grant(role: Role, account_id: Option<&str>) -> Result<Grant, ApiError> {
    let account = account_id
        .map(|a| field("account_id", AccountId::parse(a)))
        .transpose()?;
    Ok(Grant::new(role, account)?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    email: String,
    role: Role,
    #[serde(default)]
    account_id: Option<String>,
    password: String,
}

#[utoipa::path(
    post, path = "/api/v1/admin/tenants/{tenant}/users", tag = "operator",
    params(TenantPath),
    request_body = NewUser,
    responses(
        (status = 201, description = "The user created", body = Object),
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
    Input(body): Input<NewUser>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let tenant = tenant_in_path(&tenant)?;
    let email = field("email", Email::parse(&body.email))?;
    let grant = grant(body.role, body.account_id.as_deref())?;
    field("password", password::check_new(&body.password))?;
    let given = body.password;
    // Argon2 takes tens of milliseconds of CPU: off the async workers.
    let hash = tokio::task::spawn_blocking(move || password::hash(&given))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let user = state
        .store
        .add_user(
            NewMember {
                tenant_id: &tenant,
                email: &email,
                password_hash: &hash,
                grant: &grant,
            },
            now_ms(),
        )
        .await?;
    let account = grant.audit_account();
    let who = op.who_in(account.as_deref());
    let change = Change::user_created(&user.id, &user.email, &grant);
    state
        .store
        .audit(tenant.as_str(), account, &who, change)
        .await
        .map_err(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(user_json(&user))))
}

#[utoipa::path(
    get, path = "/api/v1/admin/tenants/{tenant}/users", tag = "operator",
    params(TenantPath, ListQuery),
    responses(
        (status = 200, description = "The page: `users` and `next_after`", body = Object),
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
    let listed = state.store.users_page(tenant.as_str(), &page).await?;
    Ok(Json(page_json("users", &listed, user_json)))
}

#[utoipa::path(
    get, path = "/api/v1/admin/tenants/{tenant}/users/{user}", tag = "operator",
    params(TenantPath, ("user" = String, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = Object),
        (status = 400, description = "A field or parameter is invalid (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or revoked operator token", body = crate::api::openapi::ErrorBody),
        (status = 404, description = "No such tenant (or user, key) (named)", body = crate::api::openapi::ErrorBody),
    ),
    security(("operator_token" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    _op: OperatorCaller,
    Ids((tenant, user)): Ids<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let tenant = tenant_in_path(&tenant)?;
    id_in_path(&user, "user")?;
    let found = state
        .store
        .user_in(tenant.as_str(), &user)
        .await?
        .ok_or(ApiError::NoSuch("user"))?;
    Ok(Json(user_json(&found)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = UserChanges)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    disabled: Option<bool>,
}

#[utoipa::path(
    patch, path = "/api/v1/admin/tenants/{tenant}/users/{user}", tag = "operator",
    params(TenantPath, ("user" = String, Path, description = "The user's id")),
    request_body = Changes,
    responses(
        (status = 200, description = "The user as changed", body = Object),
        (status = 400, description = "A field or parameter is invalid (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or revoked operator token", body = crate::api::openapi::ErrorBody),
        (status = 404, description = "No such tenant (or user, key) (named)", body = crate::api::openapi::ErrorBody),
    ),
    security(("operator_token" = []))
)]
pub async fn change(
    State(state): State<AppState>,
    op: OperatorCaller,
    Ids((tenant, user)): Ids<(String, String)>,
    Input(body): Input<Changes>,
) -> Result<Json<Value>, ApiError> {
    let tenant = tenant_in_path(&tenant)?;
    id_in_path(&user, "user")?;
    let grant = match (body.role, &body.account_id) {
        (Some(role), account) => Some(grant(role, account.as_deref())?),
        (None, Some(_)) => {
            return Err(
                FieldError::new("account_id", "give the role with it (account_admin)").into(),
            )
        }
        (None, None) => None,
    };
    if grant.is_none() && body.disabled.is_none() {
        return Err(FieldError::new("body", "nothing to change: give role or disabled").into());
    }
    let store = &state.store;
    let tenant = tenant.as_str();
    if let Some(grant) = &grant {
        let (before, after) = store.set_user_grant(tenant, &user, grant).await?;
        if before.grants != after.grants {
            let roles = |u: &UserRow| json!({"roles": u.grants.iter().map(Grant::to_json).collect::<Vec<_>>()});
            // Tenant-level: a change of who holds which part of the tenant.
            let change = Change {
                action: "update",
                resource_type: "user",
                resource_id: Some(after.id.clone()),
                event_name: "User role changed",
                old_value: Some(roles(&before)),
                new_value: Some(roles(&after)),
            };
            store
                .audit(tenant, None, &op.who(), change)
                .await
                .map_err(ApiError::internal)?;
        }
    }
    if let Some(disabled) = body.disabled {
        let (before, changed) = store
            .set_user_disabled(tenant, &user, disabled, now_ms())
            .await?;
        if changed {
            let account = before.audit_account();
            let change = Change {
                action: if disabled { "deactivate" } else { "reactivate" },
                resource_type: "user",
                resource_id: Some(before.id.clone()),
                event_name: if disabled {
                    "User deactivated"
                } else {
                    "User reactivated"
                },
                old_value: Some(json!({"email": before.email, "disabled": !disabled})),
                new_value: Some(json!({"email": before.email, "disabled": disabled})),
            };
            store
                .audit(
                    tenant,
                    account.clone(),
                    &op.who_in(account.as_deref()),
                    change,
                )
                .await
                .map_err(ApiError::internal)?;
        }
    }
    let after = store
        .user_in(tenant, &user)
        .await?
        .ok_or(ApiError::NoSuch("user"))?;
    Ok(Json(user_json(&after)))
}
