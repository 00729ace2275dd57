//! Server-only glue: what server functions need from the server crate.
//!
//! The server crate implements [`ConsoleBackend`] over its store and provides it as
//! context; it also resolves the session into a [`Viewer`] request extension, so
//! server functions never take a tenant or account from the client.

use crate::model::{
    AccountInfo, ApiKeyInfo, ConsoleQuery, Event, EventPage, NewKeyShown, UsageReport, Viewer,
};
use leptos::prelude::*;
use std::{future::Future, net::SocketAddr, pin::Pin, sync::Arc};

/// A boxed future, so the trait stays object-safe without extra crates.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A failure the browser may see: safe text only, details go to the log.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("not found")]
    NotFound,
    #[error("the audit store is unavailable")]
    Unavailable,
}

/// Where a console request came from, for the self-audit.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// What the console lists: the tab's selection, and which page of it.
#[derive(Clone, Debug, Default)]
pub struct ListRequest {
    pub query: ConsoleQuery,
    /// The next page after this cursor (newest first)…
    pub cursor: Option<String>,
    /// …or, for Live mode, the records newer than this (occurred-at ms, id).
    pub newer_than: Option<(i64, String)>,
    pub limit: u32,
}

pub trait ConsoleBackend: Send + Sync + 'static {
    fn recent_events<'a>(
        &'a self,
        viewer: &'a Viewer,
        request: ListRequest,
    ) -> BoxFuture<'a, Result<EventPage, BackendError>>;

    /// Aggregates over the selection: credits by user and worker, tokens and cost by user, agent, model.
    fn usage<'a>(
        &'a self,
        viewer: &'a Viewer,
        query: ConsoleQuery,
    ) -> BoxFuture<'a, Result<UsageReport, BackendError>>;

    /// Every record of one job, oldest first: its status history.
    fn job_history<'a>(
        &'a self,
        viewer: &'a Viewer,
        job_id: String,
    ) -> BoxFuture<'a, Result<Vec<Event>, BackendError>>;

    /// Appends a `job.cancel_requested` admin action (and forwards it to the tenant's
    /// control webhook, if one is configured). Only queued or running jobs.
    fn cancel_job<'a>(
        &'a self,
        viewer: &'a Viewer,
        origin: Origin,
        job_id: String,
    ) -> BoxFuture<'a, Result<(), BackendError>>;

    /// A record by id; another scope's record is `None`, exactly like a missing one.
    fn event<'a>(
        &'a self,
        viewer: &'a Viewer,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Event>, BackendError>>;

    /// The accounts the viewer may see.
    fn accounts<'a>(
        &'a self,
        viewer: &'a Viewer,
    ) -> BoxFuture<'a, Result<Vec<AccountInfo>, BackendError>>;

    /// Keys within the viewer's reach: tenant admins all of the tenant's, account admins their accounts'.
    fn api_keys<'a>(
        &'a self,
        viewer: &'a Viewer,
    ) -> BoxFuture<'a, Result<Vec<ApiKeyInfo>, BackendError>>;

    fn create_api_key<'a>(
        &'a self,
        viewer: &'a Viewer,
        origin: Origin,
        name: String,
        account: Option<String>,
    ) -> BoxFuture<'a, Result<NewKeyShown, BackendError>>;

    fn deactivate_api_key<'a>(
        &'a self,
        viewer: &'a Viewer,
        origin: Origin,
        id: String,
    ) -> BoxFuture<'a, Result<(), BackendError>>;
}

/// Provided as Leptos context by the server.
pub type SharedBackend = Arc<dyn ConsoleBackend>;

/// The signed-in viewer, resolved from the session cookie by the server's middleware.
pub async fn require_viewer() -> Result<Viewer, ServerFnError> {
    let axum::Extension(viewer): axum::Extension<Option<Viewer>> = leptos_axum::extract()
        .await
        .map_err(|_| ServerFnError::new("not signed in"))?;
    match viewer {
        Some(v) => Ok(v),
        None => {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(axum::http::StatusCode::UNAUTHORIZED);
            }
            Err(ServerFnError::new("not signed in"))
        }
    }
}

impl Origin {
    /// The peer's address and the user agent (capped), from a request's parts.
    pub fn from_request(headers: &axum::http::HeaderMap, peer: Option<SocketAddr>) -> Origin {
        Origin {
            ip: peer.map(|p| p.ip().to_string()),
            user_agent: headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(1024).collect()),
        }
    }
}

/// The caller's address and user agent, inside a server function.
pub async fn origin() -> Origin {
    let peer: Option<axum::extract::ConnectInfo<SocketAddr>> = leptos_axum::extract().await.ok();
    let headers: axum::http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    Origin::from_request(&headers, peer.map(|axum::extract::ConnectInfo(p)| p))
}

pub fn backend() -> Result<SharedBackend, ServerFnError> {
    use_context::<SharedBackend>().ok_or_else(|| ServerFnError::new("server misconfigured"))
}

pub fn to_server_error(e: BackendError) -> ServerFnError {
    ServerFnError::new(e.to_string())
}
