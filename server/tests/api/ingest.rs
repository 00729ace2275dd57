use crate::common::{ai, spawn_app, Backend, BODY_LIMIT};
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn count(app: &crate::common::TestApp, key: &str) -> usize {
    let (s, body) = app.get_events(key, "limit=1000").await;
    assert_eq!(s, StatusCode::OK);
    body["events"].as_array().map_or(0, Vec::len)
}

async fn single_record_is_stored_and_returned(b: Backend) {
    let app = spawn_app(b).await;
    let (s, body) = app.post_events(&app.key, &ai("a1", "ann@t1.test")).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["seq"], 1);
    assert_eq!(body["duplicate"], false);
    let id = body["id"].as_str().expect("id").to_owned();

    let (s, page) = app.get_events(&app.key, "").await;
    assert_eq!(s, StatusCode::OK);
    let e = &page["events"][0];
    assert_eq!(e["id"], id.as_str());
    assert_eq!(e["actor"], "ann@t1.test");
    assert_eq!(e["tenant_id"], "t1");
    assert_eq!(e["ip"], "203.0.113.7");
    // 1000 in × 2.50 + 500 out × 10.00 USD per million tokens, from the rates table.
    assert_eq!(e["cost"], "0.0075");
    assert_eq!(e["hash"].as_str().map(str::len), Some(64));
}

async fn batch_is_stored_in_order(b: Backend) {
    let app = spawn_app(b).await;
    let batch = json!([
        ai("a1", "ann"),
        {"kind":"job","account_id":"a1","job_id":"job_1","status":"queued","agent":"triage","model":"gpt-4o","provider":"openai","job_type":"agent.run","prompt":"hi"},
        {"kind":"thread","account_id":"a2","thread_id":"thr_1","source":"slack","type":"chat","agent":"triage","message_count":2,"latest_message":"Thanks, that fixed it!","transcript":[{"role":"user","content":"help"},{"role":"assistant","content":"Thanks, that fixed it!"}]},
        {"kind":"system_event","account_id":"a1","type":"cron.fired","severity":"info","description":"nightly","metadata":{"cron":"0 3 * * *"}},
        {"kind":"admin_action","account_id":"a1","actor":"ann","action":"update","resource_type":"settings","resource_id":"retention","event_name":"Settings updated","old_value":{"days":90},"new_value":{"days":365}},
        {"kind":"credit_usage","account_id":"a1","ai_worker":"triage","executions":3,"credits_consumed":"12.5","balance_after":987.5}
    ]);
    let (s, body) = app.post_events(&app.key, &batch).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["stored"], 6);
    let seqs: Vec<i64> = body["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|o| o["seq"].as_i64())
        .collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6]);
    let (_, page) = app.get_events(&app.key, "kind=credit_usage").await;
    assert_eq!(page["events"][0]["credits_consumed"], "12.5");
    assert_eq!(page["events"][0]["balance_after"], "987.5");
    assert_eq!(page["events"][0]["actor"], "System");
    assert_eq!(page["events"][0]["actor_type"], "system");
    let (_, page) = app.get_events(&app.key, "kind=admin_action").await;
    assert_eq!(page["events"][0]["old_value"], json!({"days": 90}));
}

async fn invalid_record_rejects_whole_batch_naming_field(b: Backend) {
    let app = spawn_app(b).await;
    app.post_events(&app.key, &ai("a1", "first")).await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!([ai("a1", "x"), {"kind":"job","account_id":"a1","job_id":"j","status":"paused","agent":"a","job_type":"t"}]),
            "[1].status",
        ),
        (
            json!([ai("a1", "x"), {"kind":"telemetry","account_id":"a1"}]),
            "[1].kind",
        ),
        (json!([ai("a1", "x"), {"account_id":"a1"}]), "[1].kind"),
        (
            json!([{"kind":"ai_interaction","account_id":"a1","action":"x","model":"m","dlp":"clean","input_tokens":-5}]),
            "[0].input_tokens",
        ),
        (json!([ai("a1", "x"), ai("zz", "x")]), "[1].account_id"),
        (json!([ai("b1", "x")]), "[0].account_id"),
        (
            json!([{"kind":"system_event","account_id":"a1","type":"x","severity":"fatal","description":"d"}]),
            "[0].severity",
        ),
        (
            json!([{"kind":"thread","account_id":"a1","thread_id":"t","source":"fax","type":"chat"}]),
            "[0].source",
        ),
        (
            json!([{"kind":"ai_interaction","account_id":"a1","action":"x","model":"m","dlp":"clean","occurred_at":"2999-01-01T00:00:00Z"}]),
            "[0].occurred_at",
        ),
        (
            json!([{"kind":"ai_interaction","account_id":"a1","action":"x","model":"m","dlp":"clean","cost":0.1234567}]),
            "[0].cost",
        ),
        (
            json!([{"kind":"admin_action","account_id":"a1","action":"update","resource_type":"role","event_name":"x","colour":"red"}]),
            "[0].colour",
        ),
        (
            json!({"kind":"job","account_id":"a1","job_id":"j","status":"queued","agent":"a"}),
            "job_type",
        ),
        (json!([]), "body"),
        (json!("text"), "body"),
        (json!([7]), "[0]"),
    ];
    for (input, field) in cases {
        let (s, body) = app.post_events(&app.key, &input).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{input} → {body}");
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(body["field"], field, "{input} → {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // The missing-field message names the field too.
    let (_, body) = app
        .post_events(
            &app.key,
            &json!({"kind":"job","account_id":"a1","job_id":"j","status":"queued","agent":"a"}),
        )
        .await;
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("job_type")),
        "{body}"
    );
    assert_eq!(
        count(&app, &app.key).await,
        1,
        "nothing of a rejected batch is stored"
    );

    let (s, body) = app.post_raw(Some(&app.key), "{not json").await;
    assert_eq!(
        (s, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("body"))
    );
    let big: Vec<Value> = (0..1001).map(|_| json!({})).collect();
    let (s, body) = app.post_events(&app.key, &Value::Array(big)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.contains("at most 1000")));
    assert_eq!(count(&app, &app.key).await, 1);
}

async fn unauthenticated_calls_get_401(b: Backend) {
    let app = spawn_app(b).await;
    let (s, body) = app.post_raw(None, ai("a1", "x").to_string()).await;
    assert_eq!(
        (s, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    for bad in [
        "nope",
        "vgl_abc_def",
        &app.key.replace("vgl_", "vgx_"),
        &format!("{}x", app.key),
    ] {
        let (s, _) = app.post_events(bad, &ai("a1", "x")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{bad}");
        let (s, _) = app.get_events(bad, "").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{bad}");
    }
    // A deactivated key stops working at once.
    let prefix = app.key.split('_').nth(1).expect("prefix");
    let rec = app
        .store
        .api_key_by_prefix(prefix)
        .await
        .expect("db")
        .expect("key");
    assert!(app.store.revoke_api_key(&rec.id, 1).await.expect("revoke"));
    let (s, _) = app.post_events(&app.key, &ai("a1", "x")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.get_events(&app.key, "").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(count(&app, &app.key_a2).await, 0);
}

async fn oversized_body_gets_413(b: Backend) {
    let app = spawn_app(b).await;
    let mut big = ai("a1", "x");
    big["metadata"] = json!({"blob": "x".repeat(BODY_LIMIT + 1)});
    let (s, body) = app.post_events(&app.key, &big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["field"], "body");
    assert_eq!(count(&app, &app.key).await, 0);
}

async fn client_ids_are_idempotent(b: Backend) {
    let app = spawn_app(b).await;
    let id = "0190f5a0-0000-7000-8000-000000000001";
    let mut e = ai("a1", "x");
    e["id"] = json!(id);
    let (s, first) = app.post_events(&app.key, &e).await;
    assert_eq!(
        (s, first["duplicate"].as_bool()),
        (StatusCode::CREATED, Some(false))
    );
    let (s, again) = app
        .post_events(&app.key, &json!([e, e, ai("a1", "y")]))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert_eq!(again["stored"], 1);
    assert_eq!(again["events"][0]["duplicate"], true);
    assert_eq!(again["events"][0]["seq"], first["seq"]);
    assert_eq!(again["events"][1]["duplicate"], true);
    assert_eq!(count(&app, &app.key).await, 2);
    // Another tenant's record of the same id is its own (see accounts.rs).
    let mut other = ai("b1", "x");
    other["id"] = json!(id);
    let (s, body) = app.post_events(&app.key_t2, &other).await;
    assert_eq!(
        (s, body["duplicate"].as_bool()),
        (StatusCode::CREATED, Some(false))
    );
}

async fn account_bound_key_writes_only_its_account(b: Backend) {
    let app = spawn_app(b).await;
    let (s, body) = app.post_events(&app.key_a2, &ai("a1", "x")).await;
    assert_eq!(
        (s, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("account_id"))
    );
    let mut no_account = ai("a1", "x");
    no_account
        .as_object_mut()
        .expect("object")
        .remove("account_id");
    let (s, _) = app.post_events(&app.key_a2, &no_account).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, body) = app.post_events(&app.key, &no_account).await;
    assert_eq!(
        (s, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("account_id"))
    );
    let (_, page) = app.get_events(&app.key_a2, "").await;
    assert_eq!(page["events"][0]["account_id"], "a2");
}

on_both_backends!(
    single_record_is_stored_and_returned,
    batch_is_stored_in_order,
    invalid_record_rejects_whole_batch_naming_field,
    unauthenticated_calls_get_401,
    oversized_body_gets_413,
    client_ids_are_idempotent,
    account_bound_key_writes_only_its_account,
);
