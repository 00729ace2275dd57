//! The console's server functions answer a refusal with its own status and a typed
//! error the page can show: 400 naming the field, 401, 404, 503.

use crate::common::{ai, spawn_app, Backend, PASSWORD};
use crate::on_both_backends;
use app::api::{CancelJob, ConsoleError, EventDetail, JobHistory};
use reqwest::StatusCode;
use serde_json::json;

fn error_of(body: &str) -> ConsoleError {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not a ConsoleError ({e}): {body}"))
}

async fn invalid_input_is_400_naming_the_field(b: Backend) {
    let app = spawn_app(b).await;
    let cookie = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    let (status, body) = app
        .list(
            Some(&cookie),
            json!({"kind": "ai_interaction", "search": "y_"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    match error_of(&body) {
        ConsoleError::Invalid { field, message } => {
            assert_eq!(field, "search");
            assert!(message.contains("at least 3 characters"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Sizes over their limits, and a NUL PostgreSQL could not compare.
    let long = "x".repeat(201);
    let many: Vec<_> = (0..21)
        .map(|i| json!({"column": "user", "op": "eq", "value": format!("u{i}")}))
        .collect();
    for (query, field) in [
        (json!({"search": long}), "search"),
        (json!({"search": "ab\u{0}c"}), "search"),
        (json!({"builder": many}), "filters"),
        (json!({"account": "a\u{0}"}), "account"),
    ] {
        let (status, body) = app.list(Some(&cookie), query.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(
            matches!(error_of(&body), ConsoleError::Invalid { field: f, .. } if f == field),
            "{query}: {body}"
        );
    }
    // A cursor this page never produced.
    let path = <app::api::ListRecords as leptos::server_fn::ServerFn>::PATH;
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("cookie", &cookie)
        .json(&json!({"query": {}, "cursor": "forged"}))
        .send()
        .await
        .expect("list");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        matches!(error_of(&r.text().await.expect("body")), ConsoleError::Invalid { field, .. } if field == "cursor")
    );
    // Arguments the framework cannot decode are refused as plainly, before any of our
    // code runs: a missing one by name, a malformed body as "body".
    let (status, body) = app.call::<JobHistory>(Some(&cookie), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        matches!(error_of(&body), ConsoleError::Invalid { ref field, .. } if field == "job_id"),
        "{body}"
    );
    for junk in [
        json!(5),
        json!({"query": [1, 2]}),
        json!({"query": {"kind": "nope"}}),
    ] {
        let r = app
            .client
            .post(format!("{}{path}", app.base))
            .header("cookie", &cookie)
            .json(&junk)
            .send()
            .await
            .expect("list");
        let status = r.status();
        let body = r.text().await.expect("body");
        assert_eq!(status, StatusCode::BAD_REQUEST, "{junk}: {body}");
        assert!(
            matches!(error_of(&body), ConsoleError::Invalid { .. }),
            "{body}"
        );
    }
}

async fn no_session_is_401(b: Backend) {
    let app = spawn_app(b).await;
    let (status, body) = app.list(None, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_of(&body), ConsoleError::SignedOut);
    let (status, body) = app.call::<JobHistory>(None, &[("job_id", "job_1")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // The console's export download says so in its own words, not the API key's.
    let r = app.page("/export?format=csv", None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body = r.text().await.expect("body");
    assert!(body.contains("not signed in"), "{body}");
    assert!(!body.contains("API key"), "{body}");
}

async fn missing_or_out_of_scope_is_404(b: Backend) {
    let app = spawn_app(b).await;
    let (s, v) = app.post_events(&app.key, &ai("a2", "someone")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().expect("id").to_owned();
    let a1 = app.sign_in("a1@t1.test", PASSWORD).await.expect("session");
    let a2 = app.sign_in("a2@t1.test", PASSWORD).await.expect("session");
    // Another account's record, a missing one and a malformed id look alike.
    for (cookie, id) in [
        (&a1, id.as_str()),
        (&a2, "019ab0c4-0000-7000-8000-000000000000"),
        (&a2, "not-an-id"),
    ] {
        let (status, body) = app.call::<EventDetail>(Some(cookie), &[("id", id)]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}: {body}");
        assert_eq!(error_of(&body), ConsoleError::NotFound);
    }
    let (status, _) = app.call::<EventDetail>(Some(&a2), &[("id", &id)]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .call::<CancelJob>(Some(&a2), &[("job_id", "job_none")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

async fn a_failing_store_is_503(b: Backend) {
    let app = spawn_app(b).await;
    let cookie = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    // Sessions still resolve, but the records' table is gone: the store fails.
    app.store
        .execute_raw("ALTER TABLE events RENAME TO events_gone")
        .await
        .expect("rename");
    let (status, body) = app.list(Some(&cookie), json!({})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(error_of(&body), ConsoleError::Unavailable);
    assert!(!body.contains("events"), "no database detail leaks: {body}");
}

/// A browser's cross-site POST is refused before it reaches sign-in or a server
/// function, cookie or not; the key-authenticated API is not affected.
async fn cross_site_posts_are_refused(b: Backend) {
    let app = spawn_app(b).await;
    let login = |origin: &'static str| {
        app.client
            .post(format!("{}/auth/login", app.base))
            .header("origin", origin)
            .form(&[("email", "tenant@t1.test"), ("password", PASSWORD)])
            .send()
    };
    let r = login("http://evil.example").await.expect("login");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get("set-cookie").is_none());
    let cookie = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    let path = <app::api::ListRecords as leptos::server_fn::ServerFn>::PATH;
    for (name, value, status) in [
        ("sec-fetch-site", "cross-site", StatusCode::FORBIDDEN),
        ("sec-fetch-site", "same-site", StatusCode::FORBIDDEN),
        ("sec-fetch-site", "same-origin", StatusCode::OK),
    ] {
        let r = app
            .client
            .post(format!("{}{path}", app.base))
            .header("cookie", &cookie)
            .header(name, value)
            .json(&json!({"query": {}, "cursor": null}))
            .send()
            .await
            .expect("server fn");
        assert_eq!(r.status(), status, "{name}: {value}");
    }
    let r = app
        .client
        .post(format!("{}/api/v1/events", app.base))
        .bearer_auth(&app.key)
        .header("origin", "http://elsewhere.example")
        .json(&ai("a1", "from-a-browser-app"))
        .send()
        .await
        .expect("ingest");
    assert_eq!(r.status(), StatusCode::CREATED);
}

on_both_backends!(
    cross_site_posts_are_refused,
    invalid_input_is_400_naming_the_field,
    no_session_is_401,
    missing_or_out_of_scope_is_404,
    a_failing_store_is_503,
);
