//! Who sees what: every server function, the pull API, detail by id, across roles.

use crate::common::{ai, spawn_app, Backend, TestApp, PASSWORD};
use crate::on_both_backends;
use app::api::{CreateApiKey, DeactivateApiKey, EventDetail, ListApiKeys, MyAccounts};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct World {
    app: TestApp,
    tenant: String,
    a1: String,
    a2: String,
    other_tenant: String,
    /// Ids of the records written as user "in-a1", "in-a2", "in-b1".
    id_a1: String,
    id_a2: String,
    id_b1: String,
}

async fn world(b: Backend) -> World {
    let app = spawn_app(b).await;
    let (_, r) = app
        .post_events(&app.key, &json!([ai("a1", "in-a1"), ai("a2", "in-a2")]))
        .await;
    let (_, r2) = app.post_events(&app.key_t2, &ai("b1", "in-b1")).await;
    let id = |v: &Value| v["id"].as_str().expect("id").to_owned();
    let (id_a1, id_a2, id_b1) = (id(&r["events"][0]), id(&r["events"][1]), id(&r2));
    let sign_in = |email: &'static str| {
        let app = &app;
        async move { app.sign_in(email, PASSWORD).await.expect("session") }
    };
    World {
        tenant: sign_in("tenant@t1.test").await,
        a1: sign_in("a1@t1.test").await,
        a2: sign_in("a2@t1.test").await,
        other_tenant: sign_in("tenant@t2.test").await,
        app,
        id_a1,
        id_a2,
        id_b1,
    }
}

fn actors(page: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(page).expect("JSON page");
    let mut a: Vec<String> = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "ai_interaction")
        .filter_map(|e| e["actor"].as_str().map(str::to_owned))
        .collect();
    a.sort();
    a
}

/// (session, console query, the rows expected or `None` for 401).
type Case<'a> = (Option<&'a str>, Value, Option<&'a [&'a str]>);

async fn list_follows_scope(b: Backend) {
    let w = world(b).await;
    let cases: [Case; 7] = [
        (Some(&w.tenant), json!({}), Some(&["in-a1", "in-a2"])),
        (Some(&w.a1), json!({}), Some(&["in-a1"])),
        (Some(&w.a2), json!({}), Some(&["in-a2"])),
        (Some(&w.other_tenant), json!({}), Some(&["in-b1"])),
        // Narrowing: a tenant admin may pick an account; an account admin cannot widen.
        (Some(&w.tenant), json!({"account": "a2"}), Some(&["in-a2"])),
        (Some(&w.a1), json!({"account": "a2"}), Some(&[])),
        (None, json!({}), None),
    ];
    for (cookie, form, expected) in cases {
        let (s, body) = w.app.list(cookie, form.clone()).await;
        match expected {
            Some(rows) => {
                assert_eq!(s, StatusCode::OK, "{body}");
                assert_eq!(actors(&body), rows.to_vec(), "{cookie:?} {form:?}");
            }
            None => {
                assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
                assert!(!body.contains("in-a1"));
            }
        }
    }
    // Tenant-level self-audit records (the tenant admin's sign-in) reach tenant admins only.
    let (_, body) = w
        .app
        .list(Some(&w.tenant), json!({"kind": "admin_action"}))
        .await;
    assert!(body.contains("tenant@t1.test"), "{body}");
    let (_, body) = w
        .app
        .list(Some(&w.a1), json!({"kind": "admin_action"}))
        .await;
    assert!(!body.contains("tenant@t1.test"), "{body}");
    assert!(
        body.contains("a1@t1.test"),
        "an account admin sees their own sign-in: {body}"
    );
}

async fn detail_by_id_is_not_found_outside_scope(b: Backend) {
    let w = world(b).await;
    let id = w.id_a1.clone();
    for (cookie, visible) in [
        (Some(&w.tenant), true),
        (Some(&w.a1), true),
        (Some(&w.a2), false),
        (Some(&w.other_tenant), false),
    ] {
        let (s, body) = w
            .app
            .call::<EventDetail>(cookie.map(String::as_str), &[("id", &id)])
            .await;
        assert_eq!(body.contains("in-a1"), visible, "{body}");
        if visible {
            assert_eq!(s, StatusCode::OK, "{body}");
        } else {
            assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
            assert_eq!(body, r#""NotFound""#, "indistinguishable from a missing id");
        }
    }
    let (s, _) = w.app.call::<EventDetail>(None, &[("id", &id)]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, body) = w
        .app
        .call::<EventDetail>(Some(&w.a2), &[("id", "not-a-uuid")])
        .await;
    assert_eq!((s, body.as_str()), (StatusCode::NOT_FOUND, r#""NotFound""#));

    // The same over the API, by key scope.
    let get = |key: String, id: String| {
        let app = &w.app;
        async move {
            let r = app
                .client
                .get(format!("{}/api/v1/events/{id}", app.base))
                .bearer_auth(key)
                .send()
                .await
                .expect("get");
            r.status()
        }
    };
    assert_eq!(
        get(w.app.key.clone(), w.id_a2.clone()).await,
        StatusCode::OK
    );
    assert_eq!(
        get(w.app.key_a2.clone(), w.id_a2.clone()).await,
        StatusCode::OK
    );
    assert_eq!(
        get(w.app.key_a2.clone(), w.id_a1.clone()).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(w.app.key_t2.clone(), w.id_a1.clone()).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(w.app.key_t2.clone(), w.id_b1.clone()).await,
        StatusCode::OK
    );
    assert_eq!(
        get("vgl_nope_nope".into(), w.id_b1.clone()).await,
        StatusCode::UNAUTHORIZED
    );
}

async fn accounts_and_keys_follow_scope(b: Backend) {
    let w = world(b).await;
    let (_, body) = w.app.call::<MyAccounts>(Some(&w.tenant), &[]).await;
    assert!(body.contains("\"a1\"") && body.contains("\"a2\""), "{body}");
    let (_, body) = w.app.call::<MyAccounts>(Some(&w.a1), &[]).await;
    assert!(
        body.contains("\"a1\"") && !body.contains("\"a2\""),
        "{body}"
    );
    let (s, _) = w.app.call::<MyAccounts>(None, &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Tenant admins see every key of the tenant (3 from the harness: 2 in t1); account admins theirs.
    let (_, body) = w.app.call::<ListApiKeys>(Some(&w.tenant), &[]).await;
    let all: Vec<Value> = serde_json::from_str(&body).expect("keys");
    assert_eq!(all.len(), 2, "{body}");
    let (_, body) = w.app.call::<ListApiKeys>(Some(&w.a2), &[]).await;
    let mine: Vec<Value> = serde_json::from_str(&body).expect("keys");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["account_id"], "a2");
    assert!(
        !body.contains("secret") && !body.contains("vgl_"),
        "no secret material: {body}"
    );
    let (_, body) = w.app.call::<ListApiKeys>(Some(&w.a1), &[]).await;
    assert_eq!(body, "[]");

    // Creating: account admins only for their own account.
    let (s, body) = w
        .app
        .call::<CreateApiKey>(Some(&w.a1), &[("name", "gw"), ("account", "")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains(r#""field":"account""#), "{body}");
    let (s, body) = w
        .app
        .call::<CreateApiKey>(Some(&w.a1), &[("name", "gw"), ("account", "a2")])
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body, r#""NotFound""#);
    let (s, body) = w
        .app
        .call::<CreateApiKey>(Some(&w.a1), &[("name", "gw"), ("account", "a1")])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let created: Value = serde_json::from_str(&body).expect("created");
    let plaintext = created["plaintext"]
        .as_str()
        .expect("shown once")
        .to_owned();
    let (s, _) = w
        .app
        .post_events(&plaintext, &ai("a1", "via-new-key"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "the new key works");

    // Deactivating: only keys within reach; another's is "not found".
    let tenant_key_id = all[0]["id"].as_str().expect("id");
    let (s, body) = w
        .app
        .call::<DeactivateApiKey>(Some(&w.a1), &[("id", tenant_key_id)])
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body, r#""NotFound""#);
    let (s, body) = w
        .app
        .call::<DeactivateApiKey>(Some(&w.other_tenant), &[("id", tenant_key_id)])
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body, r#""NotFound""#);
    let new_id = created["id"].as_str().expect("id");
    let (s, body) = w
        .app
        .call::<DeactivateApiKey>(Some(&w.a1), &[("id", new_id)])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _) = w.app.post_events(&plaintext, &ai("a1", "x")).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "a deactivated key stops at once"
    );
    let (s, _) = w.app.call::<ListApiKeys>(None, &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Both changes are audited in the account, with the actor.
    let (_, body) = w
        .app
        .list(Some(&w.a1), json!({"kind": "admin_action"}))
        .await;
    assert!(
        body.contains("API key created") && body.contains("API key deactivated"),
        "{body}"
    );
}

async fn sign_ins_are_audited_and_repeated_failures_lock(b: Backend) {
    let app = spawn_app(b).await;
    for _ in 0..4 {
        let r = app
            .client
            .post(format!("{}/auth/login", app.base))
            .form(&[("email", "a1@t1.test"), ("password", "wrong")])
            .send()
            .await
            .expect("login");
        assert_eq!(r.headers()["location"], "/login?error=invalid");
    }
    let r = app
        .client
        .post(format!("{}/auth/login", app.base))
        .form(&[("email", "a1@t1.test"), ("password", "wrong")])
        .send()
        .await
        .expect("login");
    assert_eq!(
        r.headers()["location"],
        "/login?error=invalid",
        "the fifth failure locks, and says no more than any failure"
    );
    // While locked, even the right password is refused.
    let r = app
        .client
        .post(format!("{}/auth/login", app.base))
        .form(&[("email", "a1@t1.test"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(
        r.headers()["location"],
        "/login?error=invalid",
        "a locked account looks like a wrong password"
    );
    assert!(r.headers().get("set-cookie").is_none());

    let tenant = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    let (_, body) = app
        .list(Some(&tenant), json!({"kind": "admin_action"}))
        .await;
    let page: Value = serde_json::from_str(&body).expect("page");
    let names: Vec<&str> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event_name"].as_str())
        .collect();
    assert_eq!(
        names.iter().filter(|n| **n == "Sign-in failed").count(),
        5,
        "{names:?}"
    );
    assert!(names.contains(&"Sign-in refused: locked"));
    assert!(names.contains(&"Signed in"));
    let e = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["event_name"] == "Signed in")
        .expect("sign-in");
    assert_eq!(e["actor"], "tenant@t1.test");
    assert_eq!(e["ip"], "127.0.0.1");
    assert!(e["user_agent"].is_string() || e["user_agent"].is_null());
    assert_eq!(
        e["account_id"],
        Value::Null,
        "a tenant admin's action is tenant-level"
    );
    let failed = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["event_name"] == "Sign-in failed")
        .expect("failure");
    assert_eq!(failed["account_id"], "a1");

    // Sign-out is audited too.
    app.client
        .post(format!("{}/auth/logout", app.base))
        .header("cookie", &tenant)
        .header("user-agent", "matrix-test/1")
        .send()
        .await
        .expect("logout");
    let again = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    let (_, body) = app
        .list(Some(&again), json!({"kind": "admin_action"}))
        .await;
    assert!(
        body.contains("Signed out") && body.contains("matrix-test/1"),
        "{body}"
    );
}

async fn exports_follow_scope_and_are_audited(b: Backend) {
    let w = world(b).await;
    let export = |cookie: Option<String>, query: &'static str| {
        let app = &w.app;
        async move {
            let mut r = app.client.get(format!("{}/export?{query}", app.base));
            if let Some(c) = cookie {
                r = r.header("cookie", c);
            }
            let r = r.send().await.expect("export");
            let disposition = r
                .headers()
                .get("content-disposition")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            (r.status(), disposition, r.text().await.expect("body"))
        }
    };
    let rows = |csv: &str| -> Vec<String> {
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let actor = r
            .headers()
            .expect("header")
            .iter()
            .position(|h| h == "actor")
            .expect("actor column");
        let mut v: Vec<String> = r
            .records()
            .map(|rec| rec.expect("row")[actor].to_owned())
            .filter(|a| a.starts_with("in-"))
            .collect();
        v.sort();
        v
    };
    for (cookie, expected) in [
        (Some(w.tenant.clone()), vec!["in-a1", "in-a2"]),
        (Some(w.a1.clone()), vec!["in-a1"]),
        (Some(w.a2.clone()), vec!["in-a2"]),
        (Some(w.other_tenant.clone()), vec!["in-b1"]),
    ] {
        let (s, disposition, body) =
            export(cookie, "format=csv&kind=ai_interaction&range=all_time").await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(
            disposition.as_deref(),
            Some("attachment; filename=\"Account_Audit_Logs_All_Time.csv\"")
        );
        assert_eq!(rows(&body), expected);
    }
    let (s, _, body) = export(None, "format=csv").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(!body.contains("in-a1"));
    let (s, _, body) = export(Some(w.tenant.clone()), "format=xml").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("\"field\":\"format\""));
    // A search the console would refuse (too short) is refused here too.
    let (s, _, body) = export(Some(w.tenant.clone()), "format=csv&kind=thread&q=ab").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("\"field\":\"q\""), "{body}");

    // JSON: a valid array of exactly the selection, for a narrowed account.
    let (_, disposition, body) = export(
        Some(w.tenant.clone()),
        "format=json&kind=ai_interaction&account=a2",
    )
    .await;
    assert!(disposition.is_some_and(|d| d.ends_with(".json\"")));
    let list: Vec<Value> = serde_json::from_str(&body).expect("JSON array");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["actor"], "in-a2");

    // Over the API, by key.
    let api = |key: String| {
        let app = &w.app;
        async move {
            let r = app
                .client
                .get(format!(
                    "{}/api/v1/export?format=json&kind=ai_interaction",
                    app.base
                ))
                .bearer_auth(key)
                .send()
                .await
                .expect("export");
            (r.status(), r.text().await.expect("body"))
        }
    };
    let (s, body) = api(w.app.key_a2.clone()).await;
    assert_eq!(s, StatusCode::OK);
    let list: Vec<Value> = serde_json::from_str(&body).expect("array");
    assert_eq!(
        list.iter()
            .map(|e| e["actor"].as_str().unwrap_or(""))
            .collect::<Vec<_>>(),
        vec!["in-a2"]
    );
    let (s, body) = api(w.app.key.clone()).await;
    assert_eq!(
        (
            s,
            serde_json::from_str::<Vec<Value>>(&body)
                .expect("array")
                .len()
        ),
        (StatusCode::OK, 2)
    );
    let prefix = w.app.key.split('_').nth(1).expect("prefix");
    let rec = w
        .app
        .store
        .api_key_by_prefix(prefix)
        .await
        .expect("db")
        .expect("key");
    w.app
        .store
        .revoke_api_key(&rec.id, 1)
        .await
        .expect("revoke");
    let (s, _) = api(w.app.key.clone()).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "a deactivated key cannot export"
    );

    // Every export is itself on the record, in the exporter's scope.
    let (_, body) = w
        .app
        .list(Some(&w.a1), json!({"kind": "admin_action"}))
        .await;
    assert!(
        body.contains("Audit log exported") && body.contains("a1@t1.test"),
        "{body}"
    );
}

/// A tenant admin acting on an account's key is audited in that account, where its
/// admins see what happened but not the tenant admin's address or user agent.
async fn a_tenant_admins_origin_stays_out_of_accounts(b: Backend) {
    let w = world(b).await;
    let (s, body) = w
        .app
        .call::<CreateApiKey>(Some(&w.tenant), &[("name", "gw"), ("account", "a1")])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = w
        .app
        .call::<CreateApiKey>(Some(&w.a1), &[("name", "own"), ("account", "a1")])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, body) = w
        .app
        .list(Some(&w.a1), json!({"kind": "admin_action"}))
        .await;
    let page: Value = serde_json::from_str(&body).expect("page");
    let created: Vec<&Value> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["event_name"] == "API key created")
        .collect();
    assert_eq!(created.len(), 2, "{body}");
    for e in created {
        let by_tenant_admin = e["actor"] == "tenant@t1.test";
        // (The test client sends no user agent, so only the address can tell.)
        assert_eq!(e["ip"].is_null(), by_tenant_admin, "{e}");
    }
}

on_both_backends!(
    a_tenant_admins_origin_stays_out_of_accounts,
    exports_follow_scope_and_are_audited,
    list_follows_scope,
    detail_by_id_is_not_found_outside_scope,
    accounts_and_keys_follow_scope,
    sign_ins_are_audited_and_repeated_failures_lock,
);
