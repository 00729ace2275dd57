//! The HTTP API, authenticated by ingest keys: append (`POST /api/v1/events`), pull
//! (`GET /api/v1/events`), one record, export; checkpoints and proofs (proofs.rs);
//! witnesses' cosignatures sent back (witnesses.rs); the operator's provisioning API
//! (admin/, operator tokens instead of ingest keys). One error type (`ApiError`) answers
//! every failure; the extractors here reject with it, so no handler maps rejections by
//! hand.

pub mod admin;
mod caller;
mod error;
pub mod export;
pub mod ingest;
pub mod openapi;
mod params;
pub mod proofs;
mod pull;
pub mod record;
mod strict_json;
pub mod witnesses;

pub use caller::ApiCaller;
pub use error::ApiError;

use crate::AppState;
use axum::{
    body::Bytes,
    extract::rejection::BytesRejection,
    extract::{FromRequest, FromRequestParts, Request},
    http::StatusCode,
    routing::get,
    Router,
};
use record::FieldError;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, router::UtoipaMethodRouterExt, routes};

/// Records in one request at most.
pub const MAX_BATCH: usize = 1000;

/// The API's routes, and its OpenAPI description made from the same registrations.
pub fn routes(body_limit: usize) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let note_limit = axum::extract::DefaultBodyLimit::max(witnesses::MAX_NOTE);
    let (router, api) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(pull::pull))
        .routes(routes!(ingest::ingest).layer(axum::middleware::from_fn(
            crate::ops::metrics::ingest_requests,
        )))
        .routes(routes!(pull::one))
        .routes(routes!(export::api_export))
        .routes(routes!(proofs::latest))
        .routes(routes!(proofs::history))
        .routes(routes!(proofs::public_key))
        .routes(routes!(proofs::inclusion))
        .routes(routes!(proofs::consistency))
        .routes(routes!(witnesses::cosignature).layer(note_limit))
        .routes(routes!(witnesses::status))
        .merge(admin::routes())
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .split_for_parts();
    let router = router
        .route("/api/docs", get(openapi::docs))
        .route("/api/docs/init.js", get(openapi::docs_init))
        .route("/api/docs/swagger-ui-bundle.js", get(openapi::docs_js))
        .route("/api/docs/swagger-ui.css", get(openapi::docs_css));
    (router, api)
}

/// A request body within the configured limit.
pub struct Body(pub Bytes);

impl FromRequest<AppState> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(Body)
            .map_err(|e| body_rejection(e, state.config.body_limit, "body"))
    }
}

/// A body that could not be read: too large for `limit`, or else `field`'s fault.
fn body_rejection(e: BytesRejection, limit: usize, field: &str) -> ApiError {
    match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge { limit },
        _ => FieldError::new(field, e.body_text()).into(),
    }
}

/// The query string as name–value pairs, in order, for the parsers that name the
/// parameter at fault.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let pairs = axum::extract::Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| FieldError::new("query", e.body_text()))?
            .0;
        // PostgreSQL's text cannot hold a NUL: refused here, not as a database error.
        if let Some((name, _)) = pairs
            .iter()
            .find(|(n, v)| n.contains('\0') || v.contains('\0'))
        {
            return Err(FieldError::new(name.replace('\0', ""), "contains a NUL character").into());
        }
        Ok(QueryPairs(pairs))
    }
}
