//! Hostile input at ingest: what one request holds cannot fail another's, and what is
//! accepted can always be read back.

use crate::common::{ai, spawn_app, Backend};
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Poison (a NUL, a duplicate key, a too-deep value) sent together with good records
/// from two tenants: every poison is a 400 naming its field, every good one is stored.
async fn poison_fails_alone(b: Backend) {
    let app = spawn_app(b).await;
    let nul = r#"{"kind":"ai_interaction","account_id":"a1","action":"a\u0000b","model":"gpt-4o","dlp":"clean"}"#;
    let dup = r#"{"kind":"ai_interaction","account_id":"a1","action":"x","model":"gpt-4o","model":"o3","dlp":"clean"}"#;
    let deep = format!(
        r#"{{"kind":"admin_action","account_id":"a1","action":"update","resource_type":"settings","event_name":"x","old_value":{}1{}}}"#,
        "[".repeat(126),
        "]".repeat(126)
    );
    let poisons = [
        (nul.to_owned(), "action"),
        (dup.to_owned(), "model"),
        (deep, "old_value"),
    ];
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (key, account) = if i % 2 == 0 {
            (app.key.clone(), "a1")
        } else {
            (app.key_t2.clone(), "b1")
        };
        let good = ai(account, &format!("good-{i}")).to_string();
        let poison = poisons[i % poisons.len()].clone();
        let (base, client) = (app.base.clone(), app.client.clone());
        tasks.push(tokio::spawn(async move {
            let post = |body: String| {
                client
                    .post(format!("{base}/api/v1/events"))
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
            };
            let (g, p) = tokio::join!(post(good), post(poison.0));
            let g = g.expect("good").status();
            let p = p.expect("poison");
            let status = p.status();
            let body: Value = p.json().await.expect("json");
            (g, status, body, poison.1)
        }));
    }
    for t in tasks {
        let (good, status, body, field) = t.await.expect("task");
        assert_eq!(good, StatusCode::CREATED);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        // The deepest value is named: old_value[0][0]…
        assert!(
            body["field"].as_str().is_some_and(|f| f.starts_with(field)),
            "{body}"
        );
    }
    for key in [&app.key, &app.key_t2] {
        let (s, v) = app.get_events(key, "after_seq=0&limit=1000").await;
        assert_eq!(s, StatusCode::OK);
        let events = v["events"].as_array().expect("events");
        assert_eq!(
            events.len(),
            30,
            "every good record of the tenant, nothing else"
        );
        assert!(events
            .iter()
            .all(|e| e["actor"].as_str().is_some_and(|a| a.starts_with("good-"))));
    }
}

/// A database error that no check foresaw (here a trigger refusing one actor) fails
/// only the request that caused it: its group is retried request by request.
async fn a_database_error_fails_only_its_request(b: Backend) {
    let app = spawn_app(b).await;
    let trigger = match app.store.backend_name() {
        "sqlite" => {
            "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.actor = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poison'); END"
        }
        _ => {
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.actor = 'poison' THEN RAISE EXCEPTION 'poison'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION poison()"
        }
    };
    app.store.execute_raw(trigger).await.expect("trigger");
    let mut tasks = Vec::new();
    for i in 0..80 {
        let (key, account) = if i % 2 == 0 {
            (app.key.clone(), "a1")
        } else {
            (app.key_t2.clone(), "b1")
        };
        let actor = if i % 8 == 0 {
            "poison".to_owned()
        } else {
            format!("good-{i}")
        };
        let body = ai(account, &actor);
        let (base, client) = (app.base.clone(), app.client.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/api/v1/events"))
                .bearer_auth(&key)
                .json(&body)
                .send()
                .await
                .expect("post");
            (actor, r.status())
        }));
    }
    let mut good = 0;
    for t in tasks {
        let (actor, status) = t.await.expect("task");
        if actor == "poison" {
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        } else {
            assert_eq!(status, StatusCode::CREATED, "{actor}");
            good += 1;
        }
    }
    let mut stored = 0;
    for key in [&app.key, &app.key_t2] {
        let (_, v) = app.get_events(key, "after_seq=0&limit=1000").await;
        stored += v["events"].as_array().map_or(0, Vec::len);
    }
    assert_eq!(stored, good);
    for t in ["t1", "t2"] {
        let report = app.store.verify(t).await.expect("verify");
        assert!(report.failure.is_none(), "{t}: {:?}", report.failure);
    }
}

/// The deepest value ingest accepts reads back whole, through every reader.
async fn the_deepest_accepted_record_reads_back(b: Backend) {
    let app = spawn_app(b).await;
    // The body's own object is level 1, so old_value may nest 31 more levels.
    let mut value = json!(1);
    for _ in 0..31 {
        value = json!([value]);
    }
    let record = json!({"kind":"admin_action","account_id":"a1","action":"update",
        "resource_type":"settings","event_name":"Deep","old_value": value});
    let (s, v) = app.post_events(&app.key, &record).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().expect("id");
    let r = app
        .api_get(Some(&app.key), &format!("/api/v1/events/{id}"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let back: Value = r.json().await.expect("json");
    assert_eq!(back["old_value"], value);
    let (s, v) = app.get_events(&app.key, "after_seq=0").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let report = app.store.verify("t1").await.expect("verify");
    assert!(report.failure.is_none(), "{:?}", report.failure);
    // One level more is refused at ingest.
    let record = json!({"kind":"admin_action","account_id":"a1","action":"update",
        "resource_type":"settings","event_name":"Deep","old_value": [value]});
    let (s, v) = app.post_events(&app.key, &record).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}

/// Query parameters with a NUL are refused, not a 500.
async fn a_nul_in_a_parameter_is_refused(b: Backend) {
    let app = spawn_app(b).await;
    let (s, v) = app.get_events(&app.key, "account_id=%00").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["field"], "account_id");
}

on_both_backends!(
    poison_fails_alone,
    a_database_error_fails_only_its_request,
    the_deepest_accepted_record_reads_back,
    a_nul_in_a_parameter_is_refused,
);
