#![recursion_limit = "256"]
//! Vigil's server: HTTP, storage and configuration around the shared `app` crate.

pub mod api;
pub mod auth;
pub mod bench;
pub mod bundle;
pub mod cli;
pub mod config;
pub mod console_forms;
pub mod fuzz;
pub mod onboard;
pub mod ops;
pub mod retention;
pub mod seed;
pub mod server_fns;
pub mod signing;
pub mod startup;
pub mod verifying;
pub mod witness;

use app::store::Store;
use axum::{
    extract::FromRef,
    routing::{get, post},
    Router,
};
use config::Config;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub config: Arc<Config>,
    pub throttle: Arc<auth::throttle::SignInThrottle>,
}

/// The whole application: console pages, server functions, HTTP API.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let store = state.store.clone();
    let webhook = state.config.webhook;
    let trust = app::ssr::TrustKeys {
        log: state.config.signer.verifier_key().clone(),
        witnesses: state.config.witnesses.clone().into(),
    };
    let options = state.leptos_options.clone();
    let (api, description) = api::routes(state.config.body_limit);
    // Written once: the description does not change while the server runs.
    let description = Arc::new(api::openapi::to_json(&description));
    Router::new()
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(store.clone());
                provide_context(webhook);
                provide_context(trust.clone());
            },
            move || app::shell(options.clone()),
        )
        .merge(api)
        .merge(console_forms::routes())
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let description = description.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        description.as_str().to_owned(),
                    )
                }
            }),
        )
        .route("/auth/login", post(auth::session::login))
        .route("/auth/logout", post(auth::session::logout))
        .route("/export", get(api::export::console_export))
        .route("/proof", get(api::proofs::console_inclusion))
        .route("/healthz", get(ops::health::healthz))
        .route("/readyz", get(ops::health::readyz))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::session::resolve_viewer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            auth::first_run::FirstRun::new(state.store.clone()),
            auth::first_run::notice,
        ))
        .layer(axum::middleware::from_fn(server_fns::error_status))
        .layer(axum::middleware::from_fn(ops::metrics::server_fn_latency))
        .layer(axum::middleware::from_fn(auth::csrf::same_origin_only))
        // Every request gets an id (kept when the caller sent one), on its log span and
        // echoed in the response, so a client's report can be found in the log.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http().make_span_with(|r: &axum::extract::Request| {
                let id = r
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let path = auth::session::logged_path(r.uri().path());
                tracing::info_span!("request", method = %r.method(), path, id)
            }),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Serves until the listener fails or the process is stopped.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    serve_router(listener, router(state)).await
}

/// Serves `app` (with each request's peer address) until the listener fails or the
/// process is asked to stop (SIGINT, SIGTERM), finishing the requests in flight.
pub async fn serve_router(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(ops::shutdown_signal())
        .await
}
