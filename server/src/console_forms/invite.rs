//! `/invite/<token>`: the public page where an invitation is accepted by choosing a
//! password. Unknown links count against the caller's address like failed sign-ins
//! (`auth::throttle`); an expired, used or withdrawn invitation is refused saying so.
//! Accepting creates the user and their role, records it, and signs them in.

use super::form::{no_store, notice, with_query, Fields, FormError};
use crate::auth::{password, session};
use crate::AppState;
use app::model::members::{check_password, Email, InvitationState};
use app::ssr::{invite_html, refusal_html, InvitePage};
use app::store::audit::{Change, Who};
use app::store::{AcceptError, Invitation};
use axum::{
    extract::{ConnectInfo, Path, RawQuery, State},
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::net::SocketAddr;
use std::time::Instant;

/// Where an invitation's link would be mailed. Vigil sends no mail: the inviter is
/// shown the link once and passes it on. To send it instead, call a mail service here
/// (the link carries the one-time token; never log it).
pub fn send_invitation(to: &Email, _link: &str, expires_at: DateTime<Utc>) {
    tracing::info!(to = to.as_str(), %expires_at, "invitation created (link shown to the inviter; no mail sent)");
}

/// Whether the text could be one of our tokens at all: the link's path segment goes
/// into a redirect, so nothing else is echoed.
fn plausible(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 128
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn closed(state: Option<InvitationState>) -> Response {
    let status = match state {
        None | Some(InvitationState::Pending) => StatusCode::NOT_FOUND,
        Some(_) => StatusCode::GONE,
    };
    (status, Html(invite_html(InvitePage::Closed(state)))).into_response()
}

fn throttled() -> Response {
    let html = refusal_html(
        "Too many attempts",
        None,
        "Too many attempts from your address: wait a minute and try again.",
        "/login",
    );
    (StatusCode::TOO_MANY_REQUESTS, Html(html)).into_response()
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "invitation page failed");
    let html = refusal_html(
        "Unavailable",
        None,
        "Vigil is unavailable right now; nothing was changed. Try again shortly.",
        "/login",
    );
    (StatusCode::SERVICE_UNAVAILABLE, Html(html)).into_response()
}

/// The invitation `token` names, counting an unknown one against `peer`.
async fn lookup(
    state: &AppState,
    peer: SocketAddr,
    token: &str,
) -> Result<Option<Invitation>, Response> {
    let found = if plausible(token) {
        state
            .store
            .invitation_by_token(token)
            .await
            .map_err(unavailable)?
    } else {
        None
    };
    if found.is_none() {
        state.throttle.failed_address(peer.ip(), Instant::now());
    }
    Ok(found)
}

pub async fn page(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if !state.throttle.allow_address(peer.ip(), Instant::now()) {
        return throttled();
    }
    let invitation = match lookup(&state, peer, &token).await {
        Ok(Some(i)) => i,
        Ok(None) => return closed(None),
        Err(response) => return response,
    };
    match invitation.state(Utc::now()) {
        InvitationState::Pending => {}
        other => return closed(Some(other)),
    }
    let tenant_name = match state.store.tenant_name(&invitation.tenant_id).await {
        Ok(name) => name.unwrap_or_else(|| invitation.tenant_id.clone()),
        Err(e) => return unavailable(e),
    };
    no_store(Html(invite_html(InvitePage::Open {
        email: invitation.email,
        tenant_name,
        grant: invitation.grant,
        token,
        notice: notice(query.as_deref()),
    })))
}

pub async fn accept(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    fields: Fields,
) -> Response {
    if !state.throttle.allow_address(peer.ip(), Instant::now()) {
        return throttled();
    }
    // Known and pending before the (slow) password hash, so guesses cost the guesser.
    match lookup(&state, peer, &token).await {
        Ok(Some(i)) if i.state(Utc::now()) == InvitationState::Pending => {}
        Ok(Some(i)) => return closed(Some(i.state(Utc::now()))),
        Ok(None) => return closed(None),
        Err(response) => return response,
    }
    let page = format!("/invite/{token}");
    let chosen = || -> Result<String, FormError> {
        let password = fields.one("password")?;
        check_password(password, fields.one("password_again")?)?;
        Ok(password.to_owned())
    };
    let password = match chosen() {
        Ok(p) => p,
        Err(FormError::Invalid { field, message }) => {
            return Redirect::to(&with_query(
                &page,
                &[("error", &message), ("field", &field)],
            ))
            .into_response();
        }
        Err(e) => return unavailable(e),
    };
    let hash = match tokio::task::spawn_blocking(move || password::hash(&password)).await {
        Ok(Ok(hash)) => hash,
        Ok(Err(e)) => return unavailable(e),
        Err(e) => return unavailable(e),
    };
    let user_id = format!("usr_{}", uuid::Uuid::now_v7().simple());
    let invitation = match state
        .store
        .accept_invitation(&token, &user_id, &hash, Utc::now())
        .await
    {
        Ok(i) => i,
        Err(AcceptError::Unknown) => return closed(None),
        Err(AcceptError::Expired) => return closed(Some(InvitationState::Expired)),
        Err(AcceptError::Used) => return closed(Some(InvitationState::Accepted)),
        Err(AcceptError::Revoked) => return closed(Some(InvitationState::Revoked)),
        Err(AcceptError::EmailTaken) => {
            let html = refusal_html(
                "Invitation",
                None,
                "This email already has a Vigil sign-in: sign in with it instead.",
                "/login",
            );
            return (StatusCode::CONFLICT, Html(html)).into_response();
        }
        Err(AcceptError::Store(e)) => return unavailable(e),
    };
    match record_and_sign_in(&state, &headers, peer, &invitation, &user_id).await {
        Ok(response) => response,
        Err(e) => unavailable(e),
    }
}

/// Records the acceptance (the user, their role, the invitation used, the sign-in) in
/// one append, in the invitation's account, then opens a session.
async fn record_and_sign_in(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
    invitation: &Invitation,
    user_id: &str,
) -> anyhow::Result<Response> {
    let grant = &invitation.grant;
    let who = Who::user(&invitation.email, headers, Some(peer));
    let changes = vec![
        Change {
            action: "create",
            resource_type: "user",
            resource_id: Some(user_id.to_owned()),
            event_name: "User created",
            old_value: None,
            new_value: Some(
                json!({"email": invitation.email, "role": grant.role.as_str(), "account_id": grant.account_id}),
            ),
        },
        Change {
            action: "member.add",
            resource_type: "member",
            resource_id: Some(user_id.to_owned()),
            event_name: "Member added",
            old_value: None,
            new_value: Some(
                json!({"user_id": user_id, "email": invitation.email, "role": grant.role.as_str(), "account_id": grant.account_id}),
            ),
        },
        Change {
            action: "invitation.accept",
            resource_type: "invitation",
            resource_id: Some(invitation.id.clone()),
            event_name: "Invitation accepted",
            old_value: Some(
                json!({"email": invitation.email, "state": "pending", "invited_by": invitation.invited_by}),
            ),
            new_value: Some(
                json!({"email": invitation.email, "state": "accepted", "user_id": user_id}),
            ),
        },
        Change {
            action: "login",
            resource_type: "session",
            resource_id: Some(user_id.to_owned()),
            event_name: "Signed in",
            old_value: None,
            new_value: None,
        },
    ];
    state
        .store
        .audit_all(
            &invitation.tenant_id,
            grant.account_id.clone(),
            &who,
            changes,
        )
        .await?;
    let cookie = session::open_session(state, user_id, headers).await?;
    tracing::info!(user = user_id, tenant = %invitation.tenant_id, "invitation accepted, signed in");
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}
