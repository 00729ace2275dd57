//! Server-only glue: what server functions need from the server crate.
//!
//! The server crate implements [`ConsoleBackend`] over its store and provides it as
//! context; it also resolves the session into a [`Viewer`] request extension, so
//! server functions never take a tenant or account from the client.

use crate::model::{EventKind, EventPage, Viewer};
use leptos::prelude::*;
use std::{future::Future, pin::Pin, sync::Arc};

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
    #[error("the audit store is unavailable")]
    Unavailable,
}

pub trait ConsoleBackend: Send + Sync + 'static {
    fn recent_events<'a>(
        &'a self,
        viewer: &'a Viewer,
        kind: Option<EventKind>,
        cursor: Option<String>,
        limit: u32,
    ) -> BoxFuture<'a, Result<EventPage, BackendError>>;
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
            leptos_axum::ResponseOptions::set_status(
                &expect_context::<leptos_axum::ResponseOptions>(),
                axum::http::StatusCode::UNAUTHORIZED,
            );
            Err(ServerFnError::new("not signed in"))
        }
    }
}

pub fn backend() -> Result<SharedBackend, ServerFnError> {
    use_context::<SharedBackend>().ok_or_else(|| ServerFnError::new("server misconfigured"))
}

pub fn to_server_error(e: BackendError) -> ServerFnError {
    if let BackendError::Unavailable = e {
        tracing::error!("console backend unavailable");
    }
    ServerFnError::new(e.to_string())
}
