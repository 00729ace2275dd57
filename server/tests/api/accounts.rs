//! One account cannot reach another inside its tenant: record ids and job ids are each
//! account's own, and every record says which credential wrote it.

use crate::common::{ai, spawn_app, Backend, TestApp, PASSWORD};
use crate::on_both_backends;
use app::api::{CancelJob, EventDetail, JobHistory};
use reqwest::StatusCode;
use serde_json::{json, Value};

const ID: &str = "0190f5a0-0000-7000-8000-00000000abcd";

fn job(account: &str, status: &str, at: &str) -> Value {
    json!({"kind": "job", "account_id": account, "job_id": "job_42", "status": status,
           "agent": "triage", "job_type": "agent.run", "occurred_at": at})
}

/// The console page of `query` as `cookie`'s user.
async fn rows(app: &TestApp, cookie: &str, query: Value) -> Vec<Value> {
    let (s, body) = app.list(Some(cookie), query).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let page: Value = serde_json::from_str(&body).expect("page");
    page["events"].as_array().expect("events").clone()
}

/// A key bound to account a2 sends first, with the ids a1's platform will use: a1's
/// records are stored all the same, and nothing a2 sent shows in a1's views.
async fn ids_and_jobs_are_each_accounts_own(b: Backend) {
    let app = spawn_app(b).await;
    let squat = |mut e: Value| {
        e["id"] = json!(ID);
        e
    };
    let (s, body) = app
        .post_events(&app.key_a2, &squat(ai("a2", "mallory")))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    // A newer state of "job_42" in a2, then a1's own job_42, queued, older.
    let (s, body) = app
        .post_events(&app.key_a2, &job("a2", "complete", "2026-12-01T12:00:00Z"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    let (s, mine) = app.post_events(&app.key, &squat(ai("a1", "ann"))).await;
    assert_eq!(s, StatusCode::CREATED, "{mine}");
    assert_eq!(
        mine["duplicate"], false,
        "a1's record is not a2's duplicate"
    );
    let (s, again) = app.post_events(&app.key, &squat(ai("a1", "ann"))).await;
    assert_eq!(
        (s, &again["duplicate"]),
        (StatusCode::CREATED, &json!(true))
    );
    assert_eq!(again["seq"], mine["seq"], "a retry in a1 is a1's duplicate");
    let (s, body) = app
        .post_events(&app.key, &job("a1", "queued", "2026-12-01T11:00:00Z"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    // Another tenant may use the id too, and learns nothing from doing so.
    let (s, body) = app.post_events(&app.key_t2, &squat(ai("b1", "bob"))).await;
    assert_eq!(
        (s, &body["duplicate"]),
        (StatusCode::CREATED, &json!(false))
    );

    // a1's Jobs tab shows its job queued, with a Cancel to offer.
    let a1 = app.sign_in("a1@t1.test", PASSWORD).await.expect("session");
    let jobs = rows(&app, &a1, json!({"kind": "job"})).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(
        (jobs[0]["account_id"].as_str(), jobs[0]["status"].as_str()),
        (Some("a1"), Some("queued"))
    );
    let (s, body) = app
        .call::<JobHistory>(Some(&a1), &[("job_id", "job_42"), ("account_id", "a1")])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let history: Vec<Value> = serde_json::from_str(&body).expect("history");
    assert_eq!(
        history.len(),
        1,
        "a2's record is no part of a1's job: {body}"
    );
    // a2's admin cannot cancel a1's job; a1's can, and only a1's job is marked.
    let a2 = app.sign_in("a2@t1.test", PASSWORD).await.expect("session");
    let (s, _) = app
        .call::<CancelJob>(Some(&a2), &[("job_id", "job_42"), ("account_id", "a1")])
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, body) = app
        .call::<CancelJob>(Some(&a1), &[("job_id", "job_42"), ("account_id", "a1")])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let tenant = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    let (_, body) = app.list(Some(&tenant), json!({"kind": "job"})).await;
    let page: Value = serde_json::from_str(&body).expect("page");
    assert_eq!(
        page["cancel_requested"],
        json!([{"account_id": "a1", "job_id": "job_42"}])
    );
    assert_eq!(page["events"].as_array().map(Vec::len), Some(2), "{body}");

    // By id, the API asks which account when the key sees both; a bound key sees one.
    let (s, body) = app.get_events(&app.key, "kind=ai_interaction").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["events"].as_array().map(Vec::len), Some(2), "{body}");
    let one = |key: &str, query: &str| {
        let (app, key, path) = (&app, key.to_owned(), format!("/api/v1/events/{ID}{query}"));
        async move { crate::common::json_of(app.api_get(Some(&key), &path).await).await }
    };
    let (s, body) = one(&app.key, "").await;
    assert_eq!(
        (s, body["field"].as_str()),
        (StatusCode::CONFLICT, Some("account_id"))
    );
    let (s, body) = one(&app.key, "?account_id=a1").await;
    assert_eq!((s, body["actor"].as_str()), (StatusCode::OK, Some("ann")));
    let (s, body) = one(&app.key_a2, "").await;
    assert_eq!(
        (s, body["actor"].as_str()),
        (StatusCode::OK, Some("mallory"))
    );
    let (s, body) = one(&app.key_t2, "").await;
    assert_eq!((s, body["actor"].as_str()), (StatusCode::OK, Some("bob")));

    // In the console an account admin opens by id; a tenant admin by chain position.
    let (s, body) = app.call::<EventDetail>(Some(&a1), &[("id", ID)]).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("\"ann\""), "{body}");
    let (s, body) = app.call::<EventDetail>(Some(&tenant), &[("id", ID)]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("2 records share this id"), "{body}");
    let seq = mine["seq"].to_string();
    let (s, body) = app
        .call::<EventDetail>(Some(&tenant), &[("id", &seq)])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("\"ann\""), "{body}");
    let (s, _) = app.call::<EventDetail>(Some(&a2), &[("id", &seq)]).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "a chain position is no way around scope"
    );
}

/// Every record says which credential wrote it: the key, the console user, or Vigil.
async fn every_record_says_who_wrote_it(b: Backend) {
    let app = spawn_app(b).await;
    for key in [&app.key, &app.key_a2] {
        let mut e = ai("a2", "ann");
        // What a sender claims of itself changes nothing.
        e["actor_type"] = json!("system");
        let (s, body) = app.post_events(key, &e).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let tenant = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    let (s, body) = app
        .call::<app::api::CreateApiKey>(Some(&tenant), &[("name", "ci"), ("account", "a1")])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");

    let (_, page) = app.get_events(&app.key, "after_seq=0").await;
    let events = page["events"].as_array().expect("events");
    let writer = |i: usize| events[i]["written_by"].as_str().unwrap_or("").to_owned();
    let keys = app
        .store
        .api_keys_in(&app::model::Scope::tenant("t1"))
        .await
        .expect("keys");
    let key_of = |w: &str| {
        let id = w.strip_prefix("api_key:").expect("a key");
        keys.iter()
            .find(|k| k.id == id)
            .map(|k| k.account_id.clone())
    };
    assert_eq!(key_of(&writer(0)), Some(None), "the tenant key");
    assert_eq!(key_of(&writer(1)), Some(Some("a2".into())), "a2's key");
    let by_name = |name: &str| {
        events
            .iter()
            .find(|e| e["event_name"] == name)
            .and_then(|e| e["written_by"].as_str())
            .unwrap_or_else(|| panic!("{name}: {page}"))
            .to_owned()
    };
    assert_eq!(by_name("Signed in"), "vigil");
    assert_eq!(by_name("API key created"), "console:u1");

    // The console names the writer; a tenant-wide key no further than that to an
    // account admin.
    let detail = |cookie: String, seq: String| {
        let app = &app;
        async move {
            let (s, body) = app
                .call::<EventDetail>(Some(&cookie), &[("id", &seq)])
                .await;
            assert_eq!(s, StatusCode::OK, "{body}");
            let view: Value = serde_json::from_str(&body).expect("view");
            view["writer"].as_str().unwrap_or("").to_owned()
        }
    };
    let a2 = app.sign_in("a2@t1.test", PASSWORD).await.expect("session");
    let (first, second) = (events[0]["seq"].to_string(), events[1]["seq"].to_string());
    assert!(detail(tenant.clone(), first.clone())
        .await
        .starts_with("API key “test” (vgl_"));
    assert_eq!(
        detail(a2.clone(), first).await,
        "an API key of the whole tenant"
    );
    assert!(detail(a2, second).await.starts_with("API key “test” (vgl_"));
    let created = by_seq(events, "API key created");
    assert_eq!(
        detail(tenant, created).await,
        "tenant@t1.test, signed in to the console"
    );
}

fn by_seq(events: &[Value], name: &str) -> String {
    events
        .iter()
        .find(|e| e["event_name"] == name)
        .map(|e| e["seq"].to_string())
        .unwrap_or_default()
}

on_both_backends!(
    ids_and_jobs_are_each_accounts_own,
    every_record_says_who_wrote_it
);
