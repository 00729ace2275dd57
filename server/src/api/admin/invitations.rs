//! `/api/v1/admin/tenants/{tenant}/invitations`: invite an email with a role; the
//! answer carries the one-time token and the accept page's path with it (the link to
//! send the invitee), shown once: only its SHA-256 is stored. The Members page lists
//! (and may withdraw) the same invitations (`app::store::invitations`).

use super::input::{
    field, known_tenant, page_json, tenant_in_path, Ids, Input, ListPage, ListQuery, TenantPath,
};
use super::users::grant;
use super::{now_ms, time, OperatorCaller};
use crate::api::ApiError;
use crate::AppState;
use app::model::{Email, Role};
use app::store::audit::Change;
use app::store::invitations::{Invitation, NewInvitation, INVITATION_HOURS};
use axum::{extract::State, http::StatusCode, Json};
use serde::Deserialize;
use serde_json::{json, Value};

fn invitation_json(i: &Invitation) -> Value {
    json!({
        "id": i.id,
        "tenant_id": i.tenant_id,
        "email": i.email,
        "role": i.grant.role.as_str(),
        "account_id": i.grant.account_id,
        "created_by": i.created_by,
        "created_at": time(i.created_at),
        "expires_at": time(i.expires_at),
        "accepted_at": i.accepted_at.map(time),
        // Withdrawn on the console's Members page.
        "revoked_at": i.revoked_at.map(time),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    email: String,
    role: Role,
    #[serde(default)]
    account_id: Option<String>,
    /// Default 72; 1 to 720.
    #[serde(default)]
    expires_in_hours: Option<i64>,
}

#[utoipa::path(
    post, path = "/api/v1/admin/tenants/{tenant}/invitations", tag = "operator",
    params(TenantPath),
    request_body = NewInvite,
    responses(
        (status = 201, description = "The invitation, with its one-time token (shown once) created", body = Object),
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
    Input(body): Input<NewInvite>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let tenant = tenant_in_path(&tenant)?;
    let email = field("email", Email::parse(&body.email))?;
    let grant = grant(body.role, body.account_id.as_deref())?;
    let who = op.who_in(grant.account_id.as_deref());
    let created = state
        .store
        .create_invitation(
            NewInvitation {
                tenant_id: tenant.as_str(),
                email: &email,
                grant: &grant,
                hours: body.expires_in_hours.unwrap_or(INVITATION_HOURS),
                created_by: &who.written_by,
            },
            now_ms(),
        )
        .await?;
    let invitation = &created.invitation;
    let change = Change {
        action: "create",
        resource_type: "invitation",
        resource_id: Some(invitation.id.clone()),
        event_name: "Invitation created",
        old_value: None,
        new_value: Some(json!({
            "email": invitation.email,
            "role": grant.role.as_str(),
            "account_id": grant.account_id,
            "expires_at": time(invitation.expires_at),
        })),
    };
    state
        .store
        .audit(tenant.as_str(), grant.audit_account(), &who, change)
        .await
        .map_err(ApiError::internal)?;
    let mut answer = invitation_json(invitation);
    answer["token"] = json!(created.token);
    answer["accept_path"] = json!(created.accept_path());
    Ok((StatusCode::CREATED, Json(answer)))
}

/// The tenant's invitations, oldest first (no tokens).
#[utoipa::path(
    get, path = "/api/v1/admin/tenants/{tenant}/invitations", tag = "operator",
    params(TenantPath, ListQuery),
    responses(
        (status = 200, description = "The page: `invitations` and `next_after`", body = Object),
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
        .invitations_page(tenant.as_str(), &page)
        .await
        .map_err(ApiError::read_failed)?;
    Ok(Json(page_json("invitations", &listed, invitation_json)))
}
