//! Server functions: public HTTP endpoints whose first step resolves the caller's scope.

use crate::model::{EventKind, EventPage, Viewer};
use leptos::prelude::*;

/// The newest records the signed-in viewer may see, one page at a time.
#[server]
pub async fn recent_events(
    kind: Option<EventKind>,
    cursor: Option<String>,
) -> Result<EventPage, ServerFnError> {
    let viewer = crate::ssr::require_viewer().await?;
    let backend = crate::ssr::backend()?;
    backend
        .recent_events(&viewer, kind, cursor, 50)
        .await
        .map_err(crate::ssr::to_server_error)
}

/// The signed-in viewer, or `None`.
#[server]
pub async fn current_viewer() -> Result<Option<Viewer>, ServerFnError> {
    let axum::Extension(viewer): axum::Extension<Option<Viewer>> = leptos_axum::extract().await?;
    Ok(viewer)
}
