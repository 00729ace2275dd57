//! `/members`: the tenant's users and roles, invitations, and the forms that change
//! them. A tenant admin reaches every user of the tenant but their own; an account
//! admin only the roles in their own accounts, never a tenant admin, and may give
//! only account admin roles in those accounts.

use super::form::{notice, refusal, Console, Done, Fields, FormError};
use crate::AppState;
use app::model::members::{email, FieldProblem, Grant, InvitationState};
use app::model::{Role, Viewer, WrittenBy};
use app::ssr::{members_html, MembersPage, ShownInvitation};
use app::store::audit::{Change, Who};
use app::store::invitations::{accept_path, CONSOLE_INVITATION_HOURS};
use app::store::{MemberUser, NewInvitation};
use axum::{
    extract::{RawQuery, State},
    response::Response,
};
use chrono::Utc;
use serde_json::{json, Value};

const PAGE: &str = "/members";

/// Invitations a tenant may have open at once: a bound on what one admin can pile up.
const MAX_OPEN_INVITATIONS: i64 = 1000;

/// Whether `viewer` sees (and may change) a role: a tenant admin every one, an
/// account admin the account admin roles of their accounts.
fn visible(viewer: &Viewer, grant: &Grant) -> bool {
    viewer.role == Role::TenantAdmin
        || (grant.role == Role::AccountAdmin
            && viewer.scope.allows_account(grant.account_id.as_deref()))
}

/// Refuses a role `viewer` may not give.
fn may_grant(viewer: &Viewer, grant: &Grant) -> Result<(), FormError> {
    if visible(viewer, grant) {
        return Ok(());
    }
    Err(FormError::Forbidden(match grant.role {
        Role::TenantAdmin => "Only a tenant admin can make someone a tenant admin.",
        Role::AccountAdmin => "You can give roles in your own accounts only.",
    }))
}

/// Refuses an account that is not the tenant's.
async fn check_account(state: &AppState, viewer: &Viewer, grant: &Grant) -> Result<(), FormError> {
    if let Some(a) = &grant.account_id {
        if state.store.account_tenant(a).await?.as_deref() != Some(viewer.scope.tenant_id.as_str())
        {
            return Err(FormError::invalid(
                "account",
                format!("no account {a} in this tenant"),
            ));
        }
    }
    Ok(())
}

/// The user a form names, if the viewer may change them: never themselves; for an
/// account admin only a user with a role in their accounts (else not found, as if
/// missing) who is no tenant admin.
async fn target(state: &AppState, viewer: &Viewer, user_id: &str) -> Result<MemberUser, FormError> {
    if user_id == viewer.user_id {
        return Err(FormError::invalid(
            "user",
            "you cannot change your own roles or sign-in: ask another admin",
        ));
    }
    let user = state
        .store
        .member_user(&viewer.scope.tenant_id, user_id)
        .await?
        .filter(|u| viewer.role == Role::TenantAdmin || u.grants.iter().any(|g| visible(viewer, g)))
        .ok_or(FormError::NotFound("No such member in your accounts."))?;
    if viewer.role != Role::TenantAdmin && user.is_tenant_admin() {
        return Err(FormError::Forbidden(
            "Tenant admins are not yours to change.",
        ));
    }
    Ok(user)
}

/// The role a form names by `role_field` and `account_field`, which the user must hold.
fn held(
    viewer: &Viewer,
    user: &MemberUser,
    fields: &Fields,
    (role_field, account_field): (&'static str, &'static str),
) -> Result<Grant, FormError> {
    let grant = Grant::parse(fields.one(role_field)?, fields.one(account_field)?).map_err(
        |p: FieldProblem| {
            let field = if p.field == "role" {
                role_field
            } else {
                account_field
            };
            FormError::invalid(field, p.message)
        },
    )?;
    if !user.grants.contains(&grant) || !visible(viewer, &grant) {
        return Err(FormError::NotFound("They hold no such role in your reach."));
    }
    Ok(grant)
}

/// A role as the audit records it, with whose it is.
fn member_json(user: &MemberUser, grant: &Grant) -> Value {
    json!({"user_id": user.user_id, "email": user.email, "role": grant.role.as_str(), "account_id": grant.account_id})
}

/// Appends the viewer's change to `account`'s records (`None`: the tenant's own).
async fn audit(
    state: &AppState,
    console: &Console,
    account: Option<String>,
    change: Change<'_>,
) -> Result<(), FormError> {
    let who = Who::viewer_in(&console.viewer, console.origin.clone(), account.as_deref());
    state
        .store
        .audit(&console.viewer.scope.tenant_id, account, &who, change)
        .await?;
    Ok(())
}

pub async fn page(
    State(state): State<AppState>,
    console: Console,
    RawQuery(query): RawQuery,
) -> Response {
    match render(&state, &console, query.as_deref()).await {
        Ok(html) => console.page(PAGE, html),
        Err(e) => refusal("/", Some(&console.viewer), e),
    }
}

async fn render(
    state: &AppState,
    console: &Console,
    query: Option<&str>,
) -> Result<String, FormError> {
    let viewer = &console.viewer;
    let tenant = &viewer.scope.tenant_id;
    let now = Utc::now();
    let members = state
        .store
        .members_of(tenant)
        .await?
        .into_iter()
        .filter(|m| match &m.grant {
            Some(g) => visible(viewer, g),
            None => viewer.role == Role::TenantAdmin,
        })
        .collect();
    let invitations = state
        .store
        .open_invitations(tenant, MAX_OPEN_INVITATIONS)
        .await?
        .into_iter()
        .filter(|i| visible(viewer, &i.grant))
        .collect();
    // The link of an invitation just made, once: only if still pending and the viewer's.
    let shown = match console.shown_once() {
        Some(token) => state
            .store
            .invitation(&token, now.timestamp_millis())
            .await
            .ok()
            .filter(|i| &i.tenant_id == tenant && visible(viewer, &i.grant))
            .map(|i| ShownInvitation {
                email: i.email.clone(),
                link: format!(
                    "{}{}",
                    console.site().unwrap_or_default(),
                    accept_path(&token)
                ),
                expires_at: i.expires(),
            }),
        None => None,
    };
    Ok(members_html(MembersPage {
        viewer: viewer.clone(),
        members,
        invitations,
        accounts: state.store.accounts_in(&viewer.scope).await?,
        notice: notice(query),
        shown,
        now,
    }))
}

pub async fn invite(State(state): State<AppState>, console: Console, fields: Fields) -> Response {
    console.answer(PAGE, invite_as(&state, &console, &fields).await)
}

async fn invite_as(
    state: &AppState,
    console: &Console,
    fields: &Fields,
) -> Result<Done, FormError> {
    let viewer = &console.viewer;
    let tenant = &viewer.scope.tenant_id;
    let email = email(fields.one("email")?)?;
    let grant = Grant::parse(
        fields.one("role")?,
        fields.optional("account")?.unwrap_or(""),
    )?;
    may_grant(viewer, &grant)?;
    check_account(state, viewer, &grant).await?;
    let now = Utc::now();
    if state.store.email_taken(email.as_str()).await? {
        return Err(FormError::invalid(
            "email",
            "already has a Vigil sign-in (give a member of this tenant another role instead)",
        ));
    }
    if state
        .store
        .pending_invitation_for(tenant, &email, now.timestamp_millis())
        .await?
    {
        return Err(FormError::invalid(
            "email",
            "has a pending invitation already: withdraw it first",
        ));
    }
    let open = state
        .store
        .open_invitations(tenant, MAX_OPEN_INVITATIONS)
        .await?;
    if open.len() as i64 >= MAX_OPEN_INVITATIONS {
        return Err(FormError::invalid(
            "email",
            format!("the tenant has {MAX_OPEN_INVITATIONS} open invitations: withdraw some first"),
        ));
    }
    let created = state
        .store
        .create_invitation(
            NewInvitation {
                tenant_id: tenant,
                email: &email,
                grant: &grant,
                hours: CONSOLE_INVITATION_HOURS,
                created_by: &WrittenBy::Console(viewer.user_id.clone()),
            },
            now.timestamp_millis(),
        )
        .await?;
    let invitation = &created.invitation;
    // As the operator API records it (`api::admin::invitations`).
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
            "expires_at": invitation.expires(),
        })),
    };
    audit(state, console, grant.account_id.clone(), change).await?;
    let link = format!(
        "{}{}",
        console.site().unwrap_or_default(),
        created.accept_path()
    );
    super::invite::send_invitation(&email, &link, invitation.expires());
    Ok(Done {
        code: "invited",
        flash: Some(created.token),
    })
}

pub async fn revoke(State(state): State<AppState>, console: Console, fields: Fields) -> Response {
    console.answer(PAGE, revoke_as(&state, &console, &fields).await)
}

async fn revoke_as(
    state: &AppState,
    console: &Console,
    fields: &Fields,
) -> Result<Done, FormError> {
    let viewer = &console.viewer;
    let tenant = &viewer.scope.tenant_id;
    let invitation = state
        .store
        .tenant_invitation(tenant, fields.one("invitation")?)
        .await?
        .filter(|i| visible(viewer, &i.grant))
        .ok_or(FormError::NotFound("No such invitation in your accounts."))?;
    let now = Utc::now();
    let state_now = invitation.state(now);
    if state_now != InvitationState::Pending
        || !state
            .store
            .revoke_invitation(tenant, &invitation.id, now.timestamp_millis())
            .await?
    {
        return Err(FormError::invalid(
            "invitation",
            format!("no longer pending ({})", state_now.as_str()),
        ));
    }
    let change = Change {
        action: "invitation.revoke",
        resource_type: "invitation",
        resource_id: Some(invitation.id.clone()),
        event_name: "Invitation revoked",
        old_value: Some(json!({"email": invitation.email, "state": "pending"})),
        new_value: Some(json!({"email": invitation.email, "state": "revoked"})),
    };
    audit(state, console, invitation.grant.account_id.clone(), change).await?;
    Ok(Done::with("invitation_revoked"))
}

pub async fn change_role(
    State(state): State<AppState>,
    console: Console,
    fields: Fields,
) -> Response {
    console.answer(PAGE, change_role_as(&state, &console, &fields).await)
}

async fn change_role_as(
    state: &AppState,
    console: &Console,
    fields: &Fields,
) -> Result<Done, FormError> {
    let viewer = &console.viewer;
    let user = target(state, viewer, fields.one("user")?).await?;
    let from = held(viewer, &user, fields, ("from_role", "from_account"))?;
    let to = Grant::parse(
        fields.one("role")?,
        fields.optional("account")?.unwrap_or(""),
    )?;
    may_grant(viewer, &to)?;
    check_account(state, viewer, &to).await?;
    if to == from {
        return Err(FormError::invalid(
            "role",
            format!("they are {} already", to.describe()),
        ));
    }
    if user.grants.contains(&to) {
        return Err(FormError::invalid(
            "account",
            format!("they are {} already", to.describe()),
        ));
    }
    if !state.store.update_grant(&user.user_id, &from, &to).await? {
        return Err(FormError::NotFound("They hold no such role in your reach."));
    }
    let change = Change {
        action: "member.role_update",
        resource_type: "member",
        resource_id: Some(user.user_id.clone()),
        event_name: "Member role updated",
        old_value: Some(member_json(&user, &from)),
        new_value: Some(member_json(&user, &to)),
    };
    // In the account the role was in (its admins see it go), else the one it moves to.
    let account = from.account_id.clone().or_else(|| to.account_id.clone());
    audit(state, console, account, change).await?;
    Ok(Done::with("role_updated"))
}

pub async fn add(State(state): State<AppState>, console: Console, fields: Fields) -> Response {
    console.answer(PAGE, add_as(&state, &console, &fields).await)
}

async fn add_as(state: &AppState, console: &Console, fields: &Fields) -> Result<Done, FormError> {
    let viewer = &console.viewer;
    let user = target(state, viewer, fields.one("user")?).await?;
    let grant = Grant::parse(
        fields.one("role")?,
        fields.optional("account")?.unwrap_or(""),
    )?;
    may_grant(viewer, &grant)?;
    check_account(state, viewer, &grant).await?;
    if !state.store.add_grant(&user.user_id, &grant).await? {
        return Err(FormError::invalid(
            "account",
            "they hold a role for this account already: change it instead",
        ));
    }
    let change = Change {
        action: "member.add",
        resource_type: "member",
        resource_id: Some(user.user_id.clone()),
        event_name: "Member added",
        old_value: None,
        new_value: Some(member_json(&user, &grant)),
    };
    audit(state, console, grant.account_id.clone(), change).await?;
    Ok(Done::with("member_added"))
}

pub async fn remove(State(state): State<AppState>, console: Console, fields: Fields) -> Response {
    console.answer(PAGE, remove_as(&state, &console, &fields).await)
}

async fn remove_as(
    state: &AppState,
    console: &Console,
    fields: &Fields,
) -> Result<Done, FormError> {
    let viewer = &console.viewer;
    let user = target(state, viewer, fields.one("user")?).await?;
    let grant = held(viewer, &user, fields, ("role", "account"))?;
    if !state.store.remove_grant(&user.user_id, &grant).await? {
        return Err(FormError::NotFound("They hold no such role in your reach."));
    }
    let change = Change {
        action: "member.remove",
        resource_type: "member",
        resource_id: Some(user.user_id.clone()),
        event_name: "Member removed",
        old_value: Some(member_json(&user, &grant)),
        new_value: None,
    };
    audit(state, console, grant.account_id.clone(), change).await?;
    Ok(Done::with("member_removed"))
}

pub async fn deactivate(
    State(state): State<AppState>,
    console: Console,
    fields: Fields,
) -> Response {
    console.answer(PAGE, deactivate_as(&state, &console, &fields).await)
}

async fn deactivate_as(
    state: &AppState,
    console: &Console,
    fields: &Fields,
) -> Result<Done, FormError> {
    let viewer = &console.viewer;
    let user = target(state, viewer, fields.one("user")?).await?;
    // The sign-in is the user's across accounts: an account admin may end it only for
    // someone whose every role is in their accounts.
    if !user.grants.iter().all(|g| visible(viewer, g)) {
        return Err(FormError::Forbidden(
            "They also hold roles outside your accounts: ask a tenant admin.",
        ));
    }
    if user.disabled_at.is_some()
        || !state
            .store
            .deactivate_user(&user.user_id, Utc::now())
            .await?
    {
        return Err(FormError::invalid("user", "already deactivated"));
    }
    let change = Change {
        action: "user.deactivate",
        resource_type: "user",
        resource_id: Some(user.user_id.clone()),
        event_name: "User deactivated",
        old_value: Some(json!({"email": user.email, "status": "active"})),
        new_value: Some(json!({"email": user.email, "status": "deactivated"})),
    };
    audit(state, console, user.audit_account(), change).await?;
    Ok(Done::with("deactivated"))
}
