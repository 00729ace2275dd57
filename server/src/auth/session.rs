//! Console sessions: a random token in an HttpOnly cookie, only its digest stored.

use super::password;
use crate::AppState;
use app::model::Viewer;
use app::store::audit::{Change, Who};
use app::store::secret::{random_token, secret_digest};
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderValue, Method},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    Extension, Form,
};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;

pub const COOKIE: &str = "vigil_session";
/// Sessions end after 12 hours; signing in again starts a new one.
pub const LIFETIME_MS: i64 = 12 * 3600 * 1000;

fn session_token(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, COOKIE)
}

/// The value of the request's cookie `name`, if it sent one.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

/// Whether the client reached us over TLS (directly or via a proxy), or it is forced.
pub fn over_tls(headers: &HeaderMap, force_secure: bool) -> bool {
    force_secure
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// An HttpOnly cookie for `path`, Secure over TLS; `Max-Age=0` removes it.
pub fn cookie_header(
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
    max_age_s: i64,
    tls: bool,
) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    let text = format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite={same_site}; Max-Age={max_age_s}{secure}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn cookie(value: &str, max_age_s: i64, headers: &HeaderMap, force_secure: bool) -> HeaderValue {
    let tls = over_tls(headers, force_secure);
    cookie_header(COOKIE, value, "/", "Lax", max_age_s, tls)
}

/// Starts a session for `user_id`: its cookie, to set on the response.
pub async fn open_session(
    state: &AppState,
    user_id: &str,
    headers: &HeaderMap,
) -> anyhow::Result<HeaderValue> {
    let now = chrono::Utc::now().timestamp_millis();
    let token = random_token(32);
    state
        .store
        .create_session(&secret_digest(&token), user_id, now, now + LIFETIME_MS)
        .await?;
    Ok(cookie(
        &token,
        LIFETIME_MS / 1000,
        headers,
        state.config.secure_cookies,
    ))
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    match sign_in(&state, &headers, peer, form).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed on the server");
            Redirect::to("/login?error=unavailable").into_response()
        }
    }
}

async fn sign_in(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
    form: LoginForm,
) -> anyhow::Result<Response> {
    let email = form.email.trim().to_lowercase();
    let started = std::time::Instant::now();
    if !state.throttle.allow(peer.ip(), &email, started) {
        tracing::warn!(%email, ip = %peer.ip(), "sign-in throttled");
        return Ok(Redirect::to("/login?error=throttled").into_response());
    }
    let user = state
        .store
        .user_login(&email)
        .await?
        .filter(|u| u.disabled_at.is_none());
    let now = chrono::Utc::now().timestamp_millis();
    let who = Who::user(&email, headers, Some(peer));
    // The attempt is counted before the (slow) check, so concurrent guesses cannot
    // pass the lock; a locked user is checked against the decoy like an unknown one,
    // so that neither the answer nor its timing tells them apart.
    let claimed = match &user {
        Some(u) => state.store.claim_sign_in_attempt(&u.id, now).await?,
        None => false,
    };
    let stored = match (&user, claimed) {
        (Some(u), true) => u.password_hash.clone(),
        _ => password::decoy().to_owned(),
    };
    let given = form.password;
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || password::verify(&given, &stored))
        .await
        .unwrap_or(false);
    if !ok {
        state.throttle.failed(peer.ip(), &email, started);
    }
    let Some(user) = user else {
        tracing::info!(%email, "sign-in failed: unknown or disabled user");
        return Ok(Redirect::to("/login?error=invalid").into_response());
    };
    let audit =
        |action: &'static str, event_name: &'static str, detail: Option<serde_json::Value>| {
            state.store.audit(
                &user.tenant_id,
                user.audit_account(),
                &who,
                Change {
                    action,
                    resource_type: "session",
                    resource_id: Some(user.id.clone()),
                    event_name,
                    old_value: None,
                    new_value: detail,
                },
            )
        };
    if !claimed {
        let until = user.locked_until.filter(|t| *t > now);
        audit(
            "login_failed",
            "Sign-in refused: locked",
            Some(json!({"locked_until_ms": until})),
        )
        .await?;
        return Ok(Redirect::to("/login?error=invalid").into_response());
    }
    if !ok {
        let locked = state.store.record_failed_login(&user.id, now).await?;
        let detail = json!({"failed_logins": user.failed_logins + 1, "locked": locked.is_some()});
        audit("login_failed", "Sign-in failed", Some(detail)).await?;
        tracing::info!(%email, locked = locked.is_some(), "sign-in failed");
        return Ok(Redirect::to("/login?error=invalid").into_response());
    }
    state.store.record_good_login(&user.id).await?;
    let session = open_session(state, &user.id, headers).await?;
    audit("login", "Signed in", None).await?;
    tracing::info!(user = %user.id, tenant = %user.tenant_id, "signed in");
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(header::SET_COOKIE, session);
    Ok(response)
}

pub async fn logout(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(viewer): Extension<Option<Viewer>>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = session_token(&headers) {
        if let Err(e) = state.store.delete_session(&secret_digest(&token)).await {
            tracing::error!(error = %e, "could not delete session");
        }
    }
    if let Some(v) = viewer {
        let change = Change {
            action: "logout",
            resource_type: "session",
            resource_id: Some(v.user_id.clone()),
            event_name: "Signed out",
            old_value: None,
            new_value: None,
        };
        let who = Who::user(&v.email, &headers, Some(peer));
        if let Err(e) = state
            .store
            .audit(&v.scope.tenant_id, v.home_account(), &who, change)
            .await
        {
            tracing::error!(error = %e, "could not audit sign-out");
        }
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie("", 0, &headers, state.config.secure_cookies),
    );
    response
}

/// How the session middleware treats a request's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// Never uses a session: no lookup (assets, health, the key-authenticated API).
    Sessionless,
    /// Looks the session up, but answers a signed-out caller itself (sign-in, the
    /// export download and server functions answer 401).
    SignedOutAllowed,
    /// A console page: a signed-out visitor is sent to the sign-in page.
    Page,
}

/// Every path that is not a console page, by exact path or prefix (ending in `/`).
const PATHS: &[(&str, Access)] = &[
    ("/api/v1/", Access::Sessionless),
    ("/pkg/", Access::Sessionless),
    ("/favicon.ico", Access::Sessionless),
    ("/healthz", Access::Sessionless),
    ("/readyz", Access::Sessionless),
    ("/login", Access::SignedOutAllowed),
    // An invitation's page: whoever holds the link, signed in or not.
    ("/invite/", Access::SignedOutAllowed),
    ("/auth/", Access::SignedOutAllowed),
    ("/export", Access::SignedOutAllowed),
    ("/proof", Access::SignedOutAllowed),
    (app::api::PREFIX, Access::SignedOutAllowed),
];

/// A request's path as the log shows it: an invitation link carries a one-time token,
/// a secret until it is used, so it stays out of the log.
pub fn logged_path(path: &str) -> &str {
    if path.starts_with("/invite/") {
        "/invite/…"
    } else {
        path
    }
}

fn access(path: &str) -> Access {
    PATHS
        .iter()
        .find(|(p, _)| {
            if p.ends_with('/') {
                path.starts_with(p)
            } else {
                path == *p
            }
        })
        .map_or(Access::Page, |(_, a)| *a)
}

/// Resolves the session into an `Option<Viewer>` extension for server functions,
/// and sends signed-out visitors of console pages to the sign-in page.
pub async fn resolve_viewer(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let access = access(request.uri().path());
    if access == Access::Sessionless {
        return next.run(request).await;
    }
    let viewer: Option<Viewer> = match session_token(request.headers()) {
        Some(token) => {
            let now = chrono::Utc::now().timestamp_millis();
            match state
                .store
                .viewer_for_session(&secret_digest(&token), now)
                .await
            {
                Ok(v) => v,
                Err(e) => {
                    tracing::error!(error = %e, "session lookup failed");
                    None
                }
            }
        }
        None => None,
    };
    if viewer.is_none() && request.method() == Method::GET && access == Access::Page {
        return Redirect::to("/login").into_response();
    }
    request.extensions_mut().insert(viewer);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; vigil_session=tok; b=2"),
        );
        assert_eq!(session_token(&h).as_deref(), Some("tok"));
    }

    #[test]
    fn one_list_says_what_needs_a_session() {
        assert_eq!(access("/pkg/vigil.wasm"), Access::Sessionless);
        assert_eq!(access("/api/v1/events"), Access::Sessionless);
        assert_eq!(access("/api/list_records123"), Access::SignedOutAllowed);
        assert_eq!(access("/export"), Access::SignedOutAllowed);
        assert_eq!(access("/exports"), Access::Page);
        assert_eq!(access("/"), Access::Page);
        assert_eq!(access("/jobs"), Access::Page);
        assert_eq!(access("/members"), Access::Page);
        assert_eq!(access("/settings"), Access::Page);
        assert_eq!(access("/invite/inv_x"), Access::SignedOutAllowed);
        assert_eq!(logged_path("/invite/inv_secret"), "/invite/…");
        assert_eq!(logged_path("/members"), "/members");
    }
}
