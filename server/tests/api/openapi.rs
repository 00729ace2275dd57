//! The API's OpenAPI description is served, names every route the API serves, and
//! says what the wire says (schemathesis, in scripts/test.sh, fuzzes the rest).

use crate::common::{json_of, spawn_app, Backend};
use crate::on_both_backends;
use reqwest::StatusCode;

async fn the_description_is_served_and_complete(b: Backend) {
    let app = spawn_app(b).await;
    let (s, spec) = json_of(app.api_get(None, "/api/v1/openapi.json").await).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(spec["openapi"], "3.1.0");
    let paths = spec["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/events", "get"),
        ("/api/v1/events", "post"),
        ("/api/v1/events/{id}", "get"),
        ("/api/v1/export", "get"),
        ("/api/v1/checkpoint", "get"),
        ("/api/v1/checkpoints", "get"),
        ("/api/v1/public-key", "get"),
        ("/api/v1/proof/inclusion", "get"),
        ("/api/v1/proof/consistency", "get"),
        ("/api/v1/checkpoint/cosignature", "post"),
        ("/api/v1/witnesses", "get"),
    ] {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} undescribed"
        );
    }
    // Wire values, not Rust names.
    let schemas = &spec["components"]["schemas"];
    assert_eq!(
        schemas["ActorType"]["enum"],
        serde_json::json!(["user", "api_key", "system"])
    );
    assert_eq!(schemas["EventKind"]["enum"][0], "ai_interaction");
    // The viewer and its assets come from the binary.
    for (path, kind) in [
        ("/api/docs", "text/html"),
        ("/api/docs/swagger-ui-bundle.js", "text/javascript"),
        ("/api/docs/swagger-ui.css", "text/css"),
        ("/api/docs/init.js", "text/javascript"),
    ] {
        let r = app.api_get(None, path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let got = r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(got.starts_with(kind), "{path}: {got}");
    }
}

on_both_backends!(the_description_is_served_and_complete);
