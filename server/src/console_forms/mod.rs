//! The console pages rendered whole on the server (Members, Settings, the invitation
//! page) and the plain HTML forms they post: no hydration, so the browser's WASM
//! carries nothing of them. Each form is Post/Redirect/Get: the handler checks the
//! session and the role (the same-origin middleware has refused cross-site posts
//! already), validates naming the field, changes the store, appends the admin action,
//! and answers 303 back to its page with `?done=<code>` or `?error=…&field=…`. A form
//! the viewer's role may not send at all is a 403 page; a member, role or invitation
//! outside the viewer's reach is a 404 page, as if missing.

mod form;
pub mod invite;
pub mod members;
pub mod settings;

pub use form::{Console, Done, Fields, FormError};

use crate::AppState;
use axum::{
    extract::DefaultBodyLimit,
    routing::{get, post},
    Router,
};

/// A form body's largest size: far above any of these forms.
const MAX_FORM: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/members", get(members::page))
        .route("/members/invite", post(members::invite))
        .route("/members/invitations/revoke", post(members::revoke))
        .route("/members/role", post(members::change_role))
        .route("/members/add", post(members::add))
        .route("/members/remove", post(members::remove))
        .route("/members/deactivate", post(members::deactivate))
        .route("/settings", get(settings::page))
        .route("/settings/rates", post(settings::set_rate))
        .route("/settings/rates/remove", post(settings::remove_rate))
        .route("/settings/webhook", post(settings::set_webhook))
        .route("/settings/hours", post(settings::set_hours))
        .route("/invite/{token}", get(invite::page).post(invite::accept))
        .layer(DefaultBodyLimit::max(MAX_FORM))
}
