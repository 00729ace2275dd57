//! The provisioning API, `/api/v1/admin/`, for the platform's operator: tenants, their
//! accounts, users and roles, ingest keys, invitations. Authenticated by an operator
//! token (`vigil operator-token create`), never by an ingest key; every change is an
//! `admin_action` in the tenant's chain, by `operator:<token name>`. One file per
//! resource; the token's extractor (caller.rs) and the input's (input.rs) answer with
//! the API's one error type.

mod accounts;
mod caller;
mod input;
mod invitations;
mod keys;
mod tenants;
mod users;

pub use caller::OperatorCaller;

use crate::AppState;
use axum::extract::DefaultBodyLimit;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Largest body the provisioning API reads: its requests are a few fields each.
pub const MAX_BODY: usize = 64 << 10;

/// The routes, each registered with its OpenAPI operation (see `api::openapi`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tenants::list, tenants::create))
        .routes(routes!(tenants::get, tenants::change))
        .routes(routes!(accounts::list, accounts::create))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::change))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::revoke))
        .routes(routes!(invitations::list, invitations::create))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// An instant as the API writes it (RFC 3339, UTC).
fn time(ms: i64) -> serde_json::Value {
    serde_json::json!(app::store::from_ms(ms))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
