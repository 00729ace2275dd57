//! Liveness and readiness. `/healthz` answers while the process runs; `/readyz` answers
//! 200 only when the database answers a trivial query within a couple of seconds, and
//! 503 (JSON) while the server starts (migrations run before the store opens) or when the
//! database is unreachable, so a load balancer sends nothing to a server that cannot
//! serve it.

use app::store::Store;
use axum::{
    body::Body,
    extract::{Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json, Router,
};
use serde_json::json;
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tower::ServiceExt;

/// How long `/readyz` waits for the database.
const READY_WAIT: Duration = Duration::from_secs(2);

pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 `{"status":"ready"}`, or 503 with why not (the database's error
/// goes to the log).
pub async fn readyz(State(store): State<Store>) -> Response {
    match store.ping(READY_WAIT).await {
        Ok(()) => Json(json!({"status": "ready"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            unavailable("database_unavailable", "the database does not answer")
        }
    }
}

fn unavailable(status: &str, message: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"status": status, "message": message})),
    )
        .into_response()
}

/// The server before its store is open: the listener is bound at once, `/healthz`
/// answers and everything else is a 503 `starting` until [`Startup::open`] hands it
/// the application.
#[derive(Clone, Default)]
pub struct Startup {
    app: Arc<OnceLock<Router>>,
}

impl Startup {
    /// The router to serve from the start: the application's once it is open.
    pub fn router(&self) -> Router {
        let app = self.app.clone();
        Router::new().fallback_service(tower::service_fn(move |request: Request| {
            let app = app.clone();
            async move {
                match app.get() {
                    Some(router) => router.clone().oneshot(request).await,
                    None => Ok::<_, Infallible>(starting(&request)),
                }
            }
        }))
    }

    /// From now on every request goes to `app`.
    pub fn open(&self, app: Router) {
        if self.app.set(app).is_err() {
            tracing::warn!("the application was already open");
        }
    }
}

fn starting(request: &Request) -> Response {
    if request.uri().path() == "/healthz" {
        return Response::new(Body::from("ok"));
    }
    unavailable(
        "starting",
        "starting: opening the database and running its migrations",
    )
}
