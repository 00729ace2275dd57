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
use axum::{
    extract::DefaultBodyLimit,
    routing::{delete, get},
    Router,
};

/// Largest body the provisioning API reads: its requests are a few fields each.
pub const MAX_BODY: usize = 64 << 10;

pub fn routes() -> Router<AppState> {
    let tenant = "/api/v1/admin/tenants/{tenant}";
    Router::new()
        .route(
            "/api/v1/admin/tenants",
            get(tenants::list).post(tenants::create),
        )
        .route(tenant, get(tenants::get).patch(tenants::change))
        .route(
            &format!("{tenant}/accounts"),
            get(accounts::list).post(accounts::create),
        )
        .route(
            &format!("{tenant}/users"),
            get(users::list).post(users::create),
        )
        .route(
            &format!("{tenant}/users/{{user}}"),
            get(users::get).patch(users::change),
        )
        .route(
            &format!("{tenant}/keys"),
            get(keys::list).post(keys::create),
        )
        .route(&format!("{tenant}/keys/{{key}}"), delete(keys::revoke))
        .route(
            &format!("{tenant}/invitations"),
            get(invitations::list).post(invitations::create),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// An instant as the API writes it (RFC 3339, UTC).
fn time(ms: i64) -> serde_json::Value {
    serde_json::json!(app::store::from_ms(ms))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
