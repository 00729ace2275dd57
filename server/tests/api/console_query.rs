//! The console's filters, search, job state, Live polling, usage and job cancel,
//! through the server functions, on both backends.

use crate::common::{spawn_app, spawn_app_with, Backend, TestApp, PASSWORD};
use crate::on_both_backends;
use app::api::{CancelJob, JobHistory, PollRecords, UsageSummary};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A small, known world in account a1: jobs with lives, AI calls, events, credits.
async fn fill(app: &TestApp) {
    let t = |m: i64| (chrono::Utc::now() - chrono::Duration::minutes(m)).to_rfc3339();
    let job = |id: &str, status: &str, at: String, agent: &str| json!({"kind":"job","account_id":"a1","job_id":id,"status":status,"agent":agent,"model":"gpt-4o","job_type":"agent.run","occurred_at":at,"input_tokens":10,"output_tokens":5});
    let ai = |user: &str, model: &str, dlp: &str, at: String| json!({"kind":"ai_interaction","account_id":"a1","user":user,"action":"chat.completion","model":model,"dlp":dlp,"input_tokens":1000,"output_tokens":500,"occurred_at":at});
    let batch = json!([
        job("job_a", "queued", t(50), "triage"), job("job_a", "running", t(49), "triage"), job("job_a", "complete", t(48), "triage"),
        job("job_b", "queued", t(40), "digest"), job("job_b", "running", t(39), "digest"),
        job("job_c", "queued", t(30), "triage"), job("job_c", "failed", t(29), "triage"),
        ai("ann", "gpt-4o", "clean", t(20)), ai("bob", "gpt-4o", "blocked:ssn", t(19)),
        ai("ann", "claude-sonnet-4", "redacted:email", t(18)), ai("cy_100%", "gpt-4o-mini", "clean", t(17)),
        {"kind":"system_event","account_id":"a1","type":"cron.fired","severity":"info","description":"nightly","occurred_at":t(10)},
        {"kind":"system_event","account_id":"a1","type":"provider.error","severity":"error","description":"503","occurred_at":t(9)},
        {"kind":"credit_usage","account_id":"a1","actor":"ann","ai_worker":"triage","executions":3,"credits_consumed":"2.5","balance_after":"97.5","occurred_at":t(8)},
        {"kind":"credit_usage","account_id":"a1","ai_worker":"digest","executions":1,"credits_consumed":"1","balance_after":"96.5","occurred_at":t(7)},
        {"kind":"system_event","account_id":"a1","type":"old.thing","severity":"info","description":"older than 30 days","occurred_at":t(60 * 24 * 40)},
    ]);
    let (s, body) = app.post_events(&app.key, &batch).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

async fn rows(app: &TestApp, cookie: &str, query: Value) -> Vec<Value> {
    let (s, body) = app.list(Some(cookie), query).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).expect("page");
    v["events"].as_array().cloned().unwrap_or_default()
}

fn field(rows: &[Value], name: &str) -> Vec<String> {
    let mut v: Vec<String> = rows
        .iter()
        .filter_map(|r| r[name].as_str().map(str::to_owned))
        .collect();
    v.sort();
    v
}

async fn filters_search_and_job_state(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app).await;
    let c = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");

    // Jobs: one row per job, at its newest state.
    let jobs = rows(&app, &c, json!({"kind": "job"})).await;
    assert_eq!(field(&jobs, "job_id"), ["job_a", "job_b", "job_c"]);
    assert_eq!(field(&jobs, "status"), ["complete", "failed", "running"]);
    let running = rows(
        &app,
        &c,
        json!({"kind": "job", "quick": [{"column": "status", "op": "eq", "value": "running"}]}),
    )
    .await;
    assert_eq!(
        field(&running, "job_id"),
        ["job_b"],
        "job_a ran once but is complete now"
    );
    // Search on Jobs: job id or model prefix.
    assert_eq!(
        field(
            &rows(&app, &c, json!({"kind": "job", "search": "JOB_C"})).await,
            "job_id"
        ),
        ["job_c"]
    );

    // Quick filters.
    let flagged = rows(&app, &c, json!({"kind": "ai_interaction", "quick": [{"column": "dlp", "op": "eq", "value": "flagged"}]})).await;
    assert_eq!(field(&flagged, "dlp"), ["blocked:ssn", "redacted:email"]);
    let clean = rows(&app, &c, json!({"kind": "ai_interaction", "quick": [{"column": "dlp", "op": "eq", "value": "clean"}]})).await;
    assert_eq!(clean.len(), 2);
    let errors = rows(&app, &c, json!({"kind": "system_event", "quick": [{"column": "severity", "op": "eq", "value": "error"}]})).await;
    assert_eq!(field(&errors, "type"), ["provider.error"]);

    // Builder: AND and OR.
    let or = rows(&app, &c, json!({"kind": "ai_interaction", "join": "or", "builder": [
        {"column": "model", "op": "eq", "value": "claude-sonnet-4"}, {"column": "user", "op": "eq", "value": "bob"}]})).await;
    assert_eq!(field(&or, "actor"), ["ann", "bob"]);
    let and = rows(&app, &c, json!({"kind": "ai_interaction", "join": "and", "builder": [
        {"column": "model", "op": "eq", "value": "gpt-4o"}, {"column": "user", "op": "ne", "value": "bob"}]})).await;
    assert_eq!(field(&and, "actor"), ["ann"]);

    // Free-text search takes % and _ literally.
    assert_eq!(
        field(
            &rows(
                &app,
                &c,
                json!({"kind": "ai_interaction", "search": "y_100%"})
            )
            .await,
            "actor"
        ),
        ["cy_100%"]
    );
    assert!(
        rows(&app, &c, json!({"kind": "ai_interaction", "search": "00%"}))
            .await
            .len()
            == 1
    );
    // Under 3 characters a search is refused, naming the field (Jobs take any prefix).
    let (s, body) = app
        .list(Some(&c), json!({"kind": "ai_interaction", "search": "y_"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("at least 3 characters"), "{body}");
    assert!(body.contains(r#""field":"search""#), "{body}");
    assert_eq!(
        field(
            &rows(&app, &c, json!({"kind": "job", "search": "j"})).await,
            "job_id"
        ),
        ["job_a", "job_b", "job_c"]
    );
    // Event search: type prefix.
    assert_eq!(
        field(
            &rows(&app, &c, json!({"kind": "system_event", "search": "cron"})).await,
            "type"
        ),
        ["cron.fired"]
    );

    // Time range: the default 30 days hides the old event; All Time shows it.
    assert_eq!(
        rows(&app, &c, json!({"kind": "system_event"})).await.len(),
        2
    );
    assert_eq!(rows(&app, &c, json!({"kind": "system_event", "range": {"preset": "all_time", "from": null, "to": null}})).await.len(), 3);
    let today = chrono::Utc::now().date_naive();
    let custom = json!({"kind": "system_event", "range": {"preset": "custom", "from": (today - chrono::Duration::days(45)).to_string(), "to": (today - chrono::Duration::days(35)).to_string()}});
    assert_eq!(field(&rows(&app, &c, custom).await, "type"), ["old.thing"]);
}

async fn live_poll_returns_only_newer_records(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app).await;
    let c = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    let (_, page) = app.list(Some(&c), json!({"kind": "system_event"})).await;
    let page: Value = serde_json::from_str(&page).expect("page");
    let from = page["live_after_seq"].as_i64().expect("live_after_seq");
    let poll = |after_seq: i64| {
        let body = json!({"query": {"kind": "system_event"}, "after_seq": after_seq});
        let app = &app;
        let c = c.clone();
        async move {
            let path = <PollRecords as leptos::server_fn::ServerFn>::PATH;
            let r = app
                .client
                .post(format!("{}{path}", app.base))
                .header("cookie", c)
                .json(&body)
                .send()
                .await
                .expect("poll");
            let v: Value = r.json().await.expect("json");
            (
                v["events"].as_array().cloned().unwrap_or_default(),
                v["live_after_seq"].as_i64().unwrap_or(-1),
            )
        }
    };
    let (none, same) = poll(from).await;
    assert!(none.is_empty(), "nothing new yet");
    assert_eq!(same, from);
    // A record stamped half an hour ahead does not hide the ones after it.
    let ahead = (chrono::Utc::now() + chrono::Duration::minutes(30)).to_rfc3339();
    app.post_events(&app.key, &json!([
        {"kind":"system_event","account_id":"a1","type":"deploy.ahead","severity":"info","description":"x","occurred_at": ahead},
        {"kind":"job","account_id":"a1","job_id":"j9","status":"queued","agent":"a","job_type":"t"}
    ])).await;
    let (first, after_first) = poll(from).await;
    assert_eq!(field(&first, "type"), ["deploy.ahead"]);
    app.post_events(&app.key, &json!([
        {"kind":"system_event","account_id":"a1","type":"deploy.two","severity":"info","description":"y"}
    ])).await;
    let (second, last) = poll(after_first).await;
    assert_eq!(
        field(&second, "type"),
        ["deploy.two"],
        "only this tab's kind, only what arrived since"
    );
    assert!(last > after_first);
    assert!(poll(last).await.0.is_empty());
}

async fn usage_sums_the_selection(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app).await;
    let c = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    let path = <UsageSummary as leptos::server_fn::ServerFn>::PATH;
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("cookie", &c)
        .json(&json!({"query": {}}))
        .send()
        .await
        .expect("usage");
    assert_eq!(r.status(), StatusCode::OK);
    let u: Value = r.json().await.expect("json");
    let by = |table: &str, name: &str| {
        u[table]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["name"] == name).cloned())
            .unwrap_or_default()
    };
    assert_eq!(by("credits_by_worker", "triage")["credits"], "2.5");
    assert_eq!(by("credits_by_worker", "triage")["executions"], 3);
    assert_eq!(by("credits_by_user", "System")["credits"], "1");
    assert_eq!(by("tokens_by_user", "ann")["input_tokens"], 2000);
    // gpt-4o: 2 calls × (1000 × 2.50 + 500 × 10.00) / 1e6 USD = 0.015, plus 7 job
    // records priced at ingest like calls: 7 × (10 × 2.50 + 5 × 10.00) / 1e6 = 0.000525.
    assert_eq!(by("tokens_by_model", "gpt-4o")["cost"], "0.015525");
    assert_eq!(by("tokens_by_model", "gpt-4o")["input_tokens"], 2000 + 70);
    // An account admin's sums stay in their account.
    let other = app.sign_in("a2@t1.test", PASSWORD).await.expect("session");
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("cookie", &other)
        .json(&json!({"query": {}}))
        .send()
        .await
        .expect("usage");
    let u: Value = r.json().await.expect("json");
    assert_eq!(u["tokens_by_model"], json!([]));
}

/// A control endpoint on loopback that sends on what it receives: headers and body.
async fn control_endpoint() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(axum::http::HeaderMap, String)>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let hook = axum::Router::new().route(
        "/control",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/control", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, hook).await });
    (url, rx)
}

/// By default a webhook may reach only public https addresses: a loopback one is
/// not called, though the cancel request is still recorded.
async fn a_private_webhook_is_not_called_by_default(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app).await;
    let (hook_url, mut rx) = control_endpoint().await;
    app.store
        .set_control_webhook("t1", Some(&hook_url))
        .await
        .expect("settings");
    let c = app.sign_in("a1@t1.test", PASSWORD).await.expect("session");
    let (s, body) = app
        .call::<CancelJob>(Some(&c), &[("job_id", "job_b"), ("account_id", "a1")])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let sent = tokio::time::timeout(std::time::Duration::from_secs(2), rx.recv()).await;
    assert!(sent.is_err(), "the loopback endpoint was not called");
}

async fn job_cancel_is_audited_and_forwarded(b: Backend) {
    let app = spawn_app_with(b, |c| c.webhook.allow_private = true).await;
    fill(&app).await;
    let (hook_url, mut rx) = control_endpoint().await;
    let secret = app
        .store
        .set_control_webhook("t1", Some(&hook_url))
        .await
        .expect("settings")
        .expect("a secret");

    let c = app.sign_in("a1@t1.test", PASSWORD).await.expect("session");
    let (s, body) = app
        .call::<CancelJob>(Some(&c), &[("job_id", "job_a"), ("account_id", "a1")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a complete job: {body}");
    assert!(body.contains("only queued or running"), "{body}");
    let other = app.sign_in("a2@t1.test", PASSWORD).await.expect("session");
    let (s, body) = app
        .call::<CancelJob>(Some(&other), &[("job_id", "job_b"), ("account_id", "a1")])
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another account's job: {body}");
    assert_eq!(body, r#""NotFound""#);
    let (s, body) = app
        .call::<CancelJob>(Some(&c), &[("job_id", "job_b"), ("account_id", "a1")])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");

    let (headers, text) = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
        .await
        .expect("webhook called")
        .expect("payload");
    // The receiver checks the signature as the README says.
    let header = |n: &str| headers[n].to_str().expect("ascii").to_owned();
    let timestamp: i64 = header("vigil-timestamp").parse().expect("seconds");
    assert_eq!(
        header("vigil-signature"),
        app::webhook::signature(&secret, timestamp, text.as_bytes())
    );
    let sent: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        (
            sent["job_id"].as_str(),
            sent["account_id"].as_str(),
            sent["requested_by"].as_str()
        ),
        (Some("job_b"), Some("a1"), Some("a1@t1.test"))
    );
    let (_, page) = app.list(Some(&c), json!({"kind": "job"})).await;
    let page: Value = serde_json::from_str(&page).expect("page");
    assert_eq!(
        page["cancel_requested"],
        json!([{"account_id": "a1", "job_id": "job_b"}])
    );
    let audit = rows(&app, &c, json!({"kind": "admin_action", "quick": [{"column": "action", "op": "eq", "value": "job.cancel_requested"}]})).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        audit[0]["id"].as_str(),
        Some(header("vigil-delivery").as_str())
    );
    // A second cancel of the same job is refused: one request, one delivery.
    let (s, body) = app
        .call::<CancelJob>(Some(&c), &[("job_id", "job_b"), ("account_id", "a1")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("already on record"), "{body}");
    assert_eq!(audit[0]["actor"], "a1@t1.test");
    assert_eq!(audit[0]["account_id"], "a1");

    let (s, body) = app
        .call::<JobHistory>(Some(&c), &[("job_id", "job_a"), ("account_id", "a1")])
        .await;
    assert_eq!(s, StatusCode::OK);
    let history: Vec<Value> = serde_json::from_str(&body).expect("history");
    assert_eq!(field(&history, "status"), ["complete", "queued", "running"]);
    assert_eq!(history[0]["status"], "queued", "oldest first");
}

on_both_backends!(
    filters_search_and_job_state,
    live_poll_returns_only_newer_records,
    usage_sums_the_selection,
    job_cancel_is_audited_and_forwarded,
    a_private_webhook_is_not_called_by_default,
);
