#![recursion_limit = "256"]
//! Vigil's server: HTTP, storage and configuration around the shared `app` crate.

pub mod audit;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
mod console;
pub mod export;
pub mod ingest;
pub mod seed;
pub mod store;
pub mod webhook;

use axum::{
    extract::FromRef,
    routing::{get, post},
    Router,
};
use config::Config;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use store::Store;
use tower_http::trace::TraceLayer;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub config: Arc<Config>,
}

/// The whole application: console pages, server functions, HTTP API.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let backend: app::ssr::SharedBackend = Arc::new(console::StoreBackend(state.store.clone()));
    let options = state.leptos_options.clone();
    Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(backend.clone()),
            move || app::shell(options.clone()),
        )
        .merge(ingest::routes(state.config.body_limit))
        .route("/auth/login", post(auth::session::login))
        .route("/auth/logout", post(auth::session::logout))
        .route("/export", get(export::console_export))
        .route("/api/v1/export", get(export::api_export))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::session::resolve_viewer,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until the listener fails or the process is stopped.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
