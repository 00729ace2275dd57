//! An empty database (no tenant yet): the sign-in page says how to start instead of
//! showing a form nobody can use. Rendered here, outside the app, so the browser's
//! WASM does not grow for a page seen once.

use crate::onboard::HOW_TO_START;
use app::store::{Page, Store};
use axum::{
    extract::{Request, State},
    http::Method,
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Whether the database has had a tenant: once it has, it always will (tenants are
/// never deleted), and the check stops.
#[derive(Clone)]
pub struct FirstRun {
    store: Store,
    started: Arc<AtomicBool>,
}

impl FirstRun {
    pub fn new(store: Store) -> Self {
        FirstRun {
            store,
            started: Arc::default(),
        }
    }

    async fn empty(&self) -> bool {
        if self.started.load(Ordering::Relaxed) {
            return false;
        }
        let page = Page {
            after: None,
            limit: 1,
        };
        match self.store.tenants(&page).await {
            Ok(listed) if listed.rows.is_empty() => true,
            Ok(_) => {
                self.started.store(true, Ordering::Relaxed);
                false
            }
            Err(e) => {
                tracing::error!(error = %e, "could not tell whether the database is empty");
                false
            }
        }
    }
}

/// `GET /login` on an empty database: how to start.
pub async fn notice(State(first): State<FirstRun>, request: Request, next: Next) -> Response {
    if request.method() == Method::GET && request.uri().path() == "/login" && first.empty().await {
        return Html(page()).into_response();
    }
    next.run(request).await
}

fn page() -> String {
    let command = HOW_TO_START
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;");
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>Vigil: set up</title><link rel=\"stylesheet\" href=\"/pkg/vigil.css\"/></head>\
         <body><main class=\"login first-run\"><h1>Vigil</h1>\
         <p class=\"muted\">This Vigil has no tenant yet, so nobody can sign in.</p>\
         <p>On the server, create the first tenant and its admin:</p>\
         <pre><code>{command}</code></pre>\
         <p>then reload this page. README, “Getting started”, says what comes next.</p>\
         </main></body></html>"
    )
}
