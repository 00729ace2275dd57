//! `/invite/<token>`: the public page where an invitation is accepted by choosing a
//! password, whether an admin made it on the Members page or an operator through the
//! API (`accept_path`). Unknown links count against the caller's address like failed
//! sign-ins (`auth::throttle`); an expired, used or withdrawn invitation is refused
//! saying so. Accepting creates the user and their role, records it
//! (`Store::accept_invitation`), and signs them in.

use super::form::{no_store, notice, with_query, Fields, FormError};
use crate::auth::{password, session};
use crate::AppState;
use app::model::members::{check_password, InvitationState};
use app::model::Email;
use app::ssr::{invite_html, refusal_html, InvitePage, Origin};
use app::store::audit::{Change, Who};
use app::store::invitations::{accept_path, AcceptedInvitation};
use app::store::{Invitation, InvitationError};
use axum::{
    extract::{ConnectInfo, Path, RawQuery, State},
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use std::net::SocketAddr;
use std::time::Instant;

/// Where an invitation's link would be mailed. Vigil sends no mail: the inviter is
/// shown the link once and passes it on. To send it instead, call a mail service here
/// (the link carries the one-time token; never log it).
pub fn send_invitation(to: &Email, _link: &str, expires_at: DateTime<Utc>) {
    tracing::info!(to = to.as_str(), %expires_at, "invitation created (link shown to the inviter; no mail sent)");
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

/// The pending invitation `token` names, or the page saying why there is none; an
/// unknown token counts against `peer`.
async fn lookup(state: &AppState, peer: SocketAddr, token: &str) -> Result<Invitation, Response> {
    match state
        .store
        .invitation(token, Utc::now().timestamp_millis())
        .await
    {
        Ok(i) => Ok(i),
        Err(InvitationError::Store(e)) => Err(unavailable(e)),
        Err(InvitationError::Unknown) => {
            state.throttle.failed_address(peer.ip(), Instant::now());
            Err(closed(None))
        }
        Err(e) => Err(closed(e.state())),
    }
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
        Ok(i) => i,
        Err(response) => return response,
    };
    no_store(Html(invite_html(InvitePage::Open {
        email: invitation.email,
        tenant_name: invitation.tenant_name,
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
    if let Err(response) = lookup(&state, peer, &token).await {
        return response;
    }
    let page = accept_path(&token);
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
    let origin = Origin::from_request(&headers, Some(peer));
    let accepted = match state.store.accept_invitation(&token, &hash, origin).await {
        Ok(a) => a,
        Err(InvitationError::EmailTaken) => {
            let html = refusal_html(
                "Invitation",
                None,
                "This email already has a Vigil sign-in: sign in with it instead.",
                "/login",
            );
            return (StatusCode::CONFLICT, Html(html)).into_response();
        }
        Err(InvitationError::Store(e)) => return unavailable(e),
        Err(e) => return closed(e.state()),
    };
    match sign_in(&state, &headers, peer, &accepted).await {
        Ok(response) => response,
        Err(e) => unavailable(e),
    }
}

/// Signs the new user in: a session, recorded in their account as any sign-in is
/// (the acceptance itself the store has recorded).
async fn sign_in(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
    accepted: &AcceptedInvitation,
) -> anyhow::Result<Response> {
    let who = Who::user(&accepted.email, headers, Some(peer));
    let change = Change {
        action: "login",
        resource_type: "session",
        resource_id: Some(accepted.user_id.clone()),
        event_name: "Signed in",
        old_value: None,
        new_value: None,
    };
    state
        .store
        .audit(
            &accepted.tenant_id,
            accepted.grant.audit_account(),
            &who,
            change,
        )
        .await?;
    let cookie = session::open_session(state, &accepted.user_id, headers).await?;
    tracing::info!(user = %accepted.user_id, tenant = %accepted.tenant_id, "invitation accepted, signed in");
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}
