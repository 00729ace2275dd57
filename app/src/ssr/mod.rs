//! What server functions need on the server: the caller (resolved from the session
//! by the server's middleware, never taken from the client), the store, and the HTTP
//! status of a refusal. Also the pages rendered here whole: the Integrity report, and
//! the Members, Settings and invitation pages (`console_page`).

mod console_page;
mod integrity_html;
mod invite_html;
mod members_html;
mod settings_html;

pub use console_page::{document, refusal_html, Notice};
pub use integrity_html::integrity_html;
pub use invite_html::{invite_html, InvitePage};
pub use members_html::{members_html, MembersPage, ShownInvitation};
pub use settings_html::{settings_html, SettingsPage};

use crate::api::error::{ConsoleError, ConsoleResult};
use crate::merkle::note::VerifierKey;
use crate::model::Viewer;
use crate::store::{AppendError, Store, StoreError};
use axum::http::{HeaderMap, StatusCode};
use leptos::prelude::*;
use std::{future::Future, net::SocketAddr, sync::Arc};

/// Where a console request came from, for the self-audit.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Origin {
    /// The peer's address and the user agent (capped), from a request's parts.
    pub fn from_request(headers: &HeaderMap, peer: Option<SocketAddr>) -> Origin {
        Origin {
            ip: peer.map(|p| p.ip().to_string()),
            user_agent: headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(1024).collect()),
        }
    }
}

/// The key that verifies the log's checkpoints and the witness keys the operator
/// registered: what server functions may know of the server's signing (the signing
/// key itself stays with the server). Provided as context by the server's router.
#[derive(Clone, Debug)]
pub struct TrustKeys {
    pub log: VerifierKey,
    pub witnesses: Arc<[VerifierKey]>,
}

impl TrustKeys {
    /// The context the server provided.
    pub fn get() -> ConsoleResult<TrustKeys> {
        use_context::<TrustKeys>().ok_or_else(|| {
            tracing::error!("no trust keys in the server functions' context");
            ConsoleError::Unavailable
        })
    }
}

/// The signed-in viewer and the store: the first step of every console server function.
pub async fn signed_in() -> ConsoleResult<(Viewer, Store)> {
    let viewer = viewer().await?.ok_or(ConsoleError::SignedOut)?;
    let store = use_context::<Store>().ok_or_else(|| {
        tracing::error!("no store in the server functions' context");
        ConsoleError::Unavailable
    })?;
    Ok((viewer, store))
}

/// The viewer the session middleware resolved, if any.
pub async fn viewer() -> ConsoleResult<Option<Viewer>> {
    let axum::Extension(viewer): axum::Extension<Option<Viewer>> =
        leptos_axum::extract().await.map_err(|e| {
            tracing::error!(error = %e, "the session middleware did not run");
            ConsoleError::Unavailable
        })?;
    Ok(viewer)
}

/// The caller's address and user agent, inside a server function.
pub async fn origin() -> Origin {
    let peer: Option<axum::extract::ConnectInfo<SocketAddr>> = leptos_axum::extract().await.ok();
    let headers: HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    Origin::from_request(&headers, peer.map(|axum::extract::ConnectInfo(p)| p))
}

/// Runs a server function's body and, when it refuses, answers with the refusal's
/// status (400, 401, 404, 503) instead of server_fn's 500. A page rendered on the
/// server keeps its own status: the refusal is shown inside it.
pub async fn answer<T>(body: impl Future<Output = ConsoleResult<T>>) -> ConsoleResult<T> {
    let result = body.await;
    if let Err(e) = &result {
        let called = use_context::<axum::http::request::Parts>()
            .is_some_and(|p| p.uri.path().starts_with(crate::api::PREFIX));
        if let (true, Some(response)) = (called, use_context::<leptos_axum::ResponseOptions>()) {
            response.set_status(
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    }
    result
}

impl From<StoreError> for ConsoleError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "console request failed in the store");
        ConsoleError::Unavailable
    }
}

impl From<AppendError> for ConsoleError {
    fn from(e: AppendError) -> Self {
        tracing::error!(error = %e, "console request failed to append its audit record");
        ConsoleError::Unavailable
    }
}
