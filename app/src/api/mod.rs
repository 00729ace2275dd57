//! Server functions: public HTTP endpoints whose first step resolves the caller's scope.

use crate::model::{
    AccountInfo, ApiKeyInfo, ConsoleQuery, Event, EventPage, NewKeyShown, UsageReport, Viewer,
};
use leptos::prelude::*;

/// Records per console page.
pub const PAGE_SIZE: u32 = 50;

/// One page of what the tab's filters select, newest first, within the viewer's scope.
/// `query.account` narrows a tenant admin's view; outside the scope it shows nothing.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn list_records(
    query: ConsoleQuery,
    cursor: Option<String>,
) -> Result<EventPage, ServerFnError> {
    let viewer = crate::ssr::require_viewer().await?;
    let request = crate::ssr::ListRequest {
        query,
        cursor,
        newer_than: None,
        limit: PAGE_SIZE,
    };
    crate::ssr::backend()?
        .recent_events(&viewer, request)
        .await
        .map_err(crate::ssr::to_server_error)
}

/// Live mode: the records the filters select that are newer than the newest row
/// shown (its occurred-at in ms and id), newest first, at most 100.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn poll_records(
    query: ConsoleQuery,
    after_ms: i64,
    after_id: String,
) -> Result<EventPage, ServerFnError> {
    let viewer = crate::ssr::require_viewer().await?;
    let request = crate::ssr::ListRequest {
        query,
        cursor: None,
        newer_than: Some((after_ms, after_id)),
        limit: 100,
    };
    crate::ssr::backend()?
        .recent_events(&viewer, request)
        .await
        .map_err(crate::ssr::to_server_error)
}

#[server(input = leptos::server_fn::codec::Json)]
pub async fn usage_summary(query: ConsoleQuery) -> Result<UsageReport, ServerFnError> {
    let viewer = crate::ssr::require_viewer().await?;
    crate::ssr::backend()?
        .usage(&viewer, query)
        .await
        .map_err(crate::ssr::to_server_error)
}

/// A job's status history (every record with its job id), oldest first.
#[server]
pub async fn job_history(job_id: String) -> Result<Vec<Event>, ServerFnError> {
    let viewer = crate::ssr::require_viewer().await?;
    crate::ssr::backend()?
        .job_history(&viewer, job_id)
        .await
        .map_err(crate::ssr::to_server_error)
}

/// Requests cancellation of a queued or running job.
#[server]
pub async fn cancel_job(job_id: String) -> Result<(), ServerFnError> {
    let viewer = crate::ssr::require_viewer().await?;
    let origin = crate::ssr::origin().await;
    crate::ssr::backend()?
        .cancel_job(&viewer, origin, job_id)
        .await
        .map_err(crate::ssr::to_server_error)
}

/// One record by id, or `None` when it does not exist or is outside the viewer's scope.
#[server]
pub async fn event_detail(id: String) -> Result<Option<Event>, ServerFnError> {
    let viewer = crate::ssr::require_viewer().await?;
    crate::ssr::backend()?
        .event(&viewer, &id)
        .await
        .map_err(crate::ssr::to_server_error)
}

/// The signed-in viewer, or `None`.
#[server]
pub async fn current_viewer() -> Result<Option<Viewer>, ServerFnError> {
    let axum::Extension(viewer): axum::Extension<Option<Viewer>> = leptos_axum::extract().await?;
    Ok(viewer)
}

/// The accounts the viewer may pick from (tenant admins: all of the tenant's).
#[server]
pub async fn my_accounts() -> Result<Vec<AccountInfo>, ServerFnError> {
    let viewer = crate::ssr::require_viewer().await?;
    crate::ssr::backend()?
        .accounts(&viewer)
        .await
        .map_err(crate::ssr::to_server_error)
}

#[server]
pub async fn list_api_keys() -> Result<Vec<ApiKeyInfo>, ServerFnError> {
    let viewer = crate::ssr::require_viewer().await?;
    crate::ssr::backend()?
        .api_keys(&viewer)
        .await
        .map_err(crate::ssr::to_server_error)
}

/// Creates an ingest key; `account` empty means tenant-wide (tenant admins only).
#[server]
pub async fn create_api_key(name: String, account: String) -> Result<NewKeyShown, ServerFnError> {
    let viewer = crate::ssr::require_viewer().await?;
    let origin = crate::ssr::origin().await;
    let account = Some(account).filter(|a| !a.is_empty());
    crate::ssr::backend()?
        .create_api_key(&viewer, origin, name, account)
        .await
        .map_err(crate::ssr::to_server_error)
}

#[server]
pub async fn deactivate_api_key(id: String) -> Result<(), ServerFnError> {
    let viewer = crate::ssr::require_viewer().await?;
    let origin = crate::ssr::origin().await;
    crate::ssr::backend()?
        .deactivate_api_key(&viewer, origin, id)
        .await
        .map_err(crate::ssr::to_server_error)
}
