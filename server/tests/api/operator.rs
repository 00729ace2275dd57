//! The provisioning API (`/api/v1/admin/`) from the operator's side and the
//! attacker's: a tenant provisioned end to end with operator tokens; what no token, an
//! ingest key, or bad input gets; users' roles; invitations; accounts ingest creates.

use crate::common::{ai, spawn_app, Backend, TestApp, PASSWORD};
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The tenant-level and account records of kind admin_action a tenant-wide key pulls.
async fn admin_actions(app: &TestApp, key: &str) -> Vec<Value> {
    let (s, body) = app
        .get_events(key, "kind=admin_action&limit=1000&after_seq=0")
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["events"].as_array().expect("events").clone()
}

fn names(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| e["event_name"].as_str())
        .collect()
}

/// An operator makes a tenant with two accounts, their users and keys; each key writes
/// and reads only its account; every step is on record in that tenant, by the operator.
async fn provisions_a_tenant_with_two_accounts_end_to_end(b: Backend) {
    let app = spawn_app(b).await;
    let op = app.operator_token("ops").await;
    let post = |path: &'static str, body: Value| {
        let (app, op) = (&app, op.clone());
        async move { app.admin(Method::POST, Some(&op), path, Some(body)).await }
    };
    let (s, tenant) = post("/tenants", json!({"id": "acme", "name": "Acme Corp"})).await;
    assert_eq!(s, StatusCode::CREATED, "{tenant}");
    assert_eq!(
        (
            &tenant["id"],
            &tenant["name"],
            &tenant["auto_create_accounts"]
        ),
        (&json!("acme"), &json!("Acme Corp"), &json!(false))
    );
    for (id, name) in [("acme-prod", "Production"), ("acme-research", "Research")] {
        let (s, body) = post("/tenants/acme/accounts", json!({"id": id, "name": name})).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        assert_eq!(body["tenant_id"], "acme");
    }
    let (s, body) = post(
        "/tenants/acme/users",
        json!({"email": "Admin@Acme.example", "role": "tenant_admin", "password": PASSWORD}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["email"], "admin@acme.example", "lowercased");
    let (s, body) = post(
        "/tenants/acme/users",
        json!({"email": "prod@acme.example", "role": "account_admin",
               "account_id": "acme-prod", "password": PASSWORD}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["roles"],
        json!([{"role": "account_admin", "account_id": "acme-prod"}])
    );
    let mut keys = Vec::new();
    for account in ["acme-prod", "acme-research"] {
        let (s, body) = post(
            "/tenants/acme/keys",
            json!({"name": format!("{account} sender"), "account_id": account}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        assert!(body["key"].as_str().expect("key").starts_with("vgl_"));
        keys.push(body["key"].as_str().expect("key").to_owned());
    }
    let (s, body) = post("/tenants/acme/keys", json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["account_id"], Value::Null, "tenant-wide");
    let tenant_key = body["key"].as_str().expect("key").to_owned();

    // Each key writes its account and reads nothing else.
    for (key, account) in keys.iter().zip(["acme-prod", "acme-research"]) {
        let (s, body) = app.post_events(key, &ai(account, "zoe@acme.example")).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let (s, body) = app
        .post_events(&keys[0], &ai("acme-research", "mallory"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "account_id");
    for (key, account) in keys.iter().zip(["acme-prod", "acme-research"]) {
        let (s, body) = app.get_events(key, "limit=1000").await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let events = body["events"].as_array().expect("events");
        assert!(!events.is_empty());
        assert!(
            events.iter().all(|e| e["account_id"] == account),
            "{account}: {events:?}"
        );
    }

    // Every change is in acme's chain, by the operator's token, and nowhere else.
    let actions = admin_actions(&app, &tenant_key).await;
    let mut seen = names(&actions);
    seen.sort_unstable();
    assert_eq!(
        seen,
        [
            "API key created",
            "API key created",
            "API key created",
            "Account created",
            "Account created",
            "Tenant created",
            "User created",
            "User created",
        ]
    );
    let token_id = actions[0]["written_by"]
        .as_str()
        .and_then(|w| w.strip_prefix("operator:"))
        .expect("written by an operator token")
        .to_owned();
    assert!(actions.iter().all(|e| e["actor"] == "operator:ops"
        && e["actor_type"] == "api_key"
        && e["written_by"] == format!("operator:{token_id}")));
    // The account admin's creation and their account's key are in their account.
    let prod: Vec<&Value> = actions
        .iter()
        .filter(|e| e["account_id"] == "acme-prod")
        .collect();
    assert_eq!(
        names(&prod.into_iter().cloned().collect::<Vec<_>>()),
        ["User created", "API key created"]
    );
    assert!(
        names(&admin_actions(&app, &app.key).await).is_empty(),
        "t1 saw none of it"
    );

    // The users sign in, each to their scope.
    assert!(app.sign_in("admin@acme.example", PASSWORD).await.is_some());
    let prod = app
        .sign_in("prod@acme.example", PASSWORD)
        .await
        .expect("session");
    let (s, page) = app
        .list(Some(&prod), json!({"kind": "ai_interaction"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let page: Value = serde_json::from_str(&page).expect("page");
    let events = page["events"].as_array().expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["account_id"], "acme-prod");

    // And the lists say what was made.
    let (s, body) = app
        .admin(Method::GET, Some(&op), "/tenants/acme/accounts", None)
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let ids: Vec<&str> = body["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, ["acme-prod", "acme-research"]);
    let (s, body) = app
        .admin(Method::GET, Some(&op), "/tenants?limit=2", None)
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["tenants"][0]["id"], "acme");
    assert_eq!(body["next_after"], "t1", "three tenants, pages of two");
    let (s, body) = app
        .admin(Method::GET, Some(&op), "/tenants?after=t1", None)
        .await;
    assert_eq!(
        (s, &body["tenants"][0]["id"]),
        (StatusCode::OK, &json!("t2"))
    );
    let (s, body) = app
        .admin(Method::GET, Some(&op), "/tenants/acme/keys", None)
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let listed = body["keys"].as_array().expect("keys");
    assert_eq!(listed.len(), 3);
    assert!(
        listed.iter().all(|k| k.get("key").is_none()),
        "never the secret again"
    );
}

/// What no token, a wrong or revoked one, or an ingest key gets; an operator token is
/// no ingest key either.
async fn only_live_operator_tokens_reach_the_operator_api(b: Backend) {
    let app = spawn_app(b).await;
    let op = app.operator_token("ops").await;
    let (s, _) = app.admin(Method::GET, Some(&op), "/tenants", None).await;
    assert_eq!(s, StatusCode::OK);
    let forged = format!("{}x", &op[..op.len() - 1]);
    let prefix_only = format!("{}_", op.rsplit_once('_').expect("token").0);
    for token in [
        None,
        Some(""),
        Some(forged.as_str()),
        Some(prefix_only.as_str()),
        Some("vgo_nosuch_secret"),
        Some(app.key.as_str()),
        Some(app.key_a2.as_str()),
    ] {
        for (method, path) in [
            (Method::GET, "/tenants"),
            (Method::POST, "/tenants"),
            (Method::GET, "/tenants/t1/users"),
            (Method::DELETE, "/tenants/t1/keys/x"),
        ] {
            let body = (method == Method::POST).then(|| json!({"id": "evil", "name": "Evil"}));
            let (s, answer) = app.admin(method.clone(), token, path, body).await;
            assert_eq!(
                s,
                StatusCode::UNAUTHORIZED,
                "{token:?} {method} {path}: {answer}"
            );
            assert_eq!(answer["error"], "unauthorized");
        }
    }
    // An operator token writes and reads no records.
    let (s, _) = app.post_events(&op, &ai("a1", "ann")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.get_events(&op, "limit=1").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Revoked: refused at the next request.
    let id = app.store.operator_tokens().await.expect("tokens")[0]
        .id
        .clone();
    assert!(app
        .store
        .revoke_operator_token(&id, 0)
        .await
        .expect("revoke"));
    let (s, _) = app.admin(Method::GET, Some(&op), "/tenants", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(
        app.store.tenant("evil").await.expect("read").is_none(),
        "nothing was made"
    );
}

/// Bad input is a 400 naming the field; what exists already is a 409 naming it; what
/// does not, a 404. Nothing of a refused request is made.
async fn bad_fields_duplicates_and_strangers_are_refused_by_name(b: Backend) {
    let app = spawn_app(b).await;
    let op = app.operator_token("ops").await;
    let long = "x".repeat(201);
    let cases: Vec<(Method, &str, Value, StatusCode, &str)> = vec![
        (
            Method::POST,
            "/tenants",
            json!({"id": "bad id", "name": "B"}),
            StatusCode::BAD_REQUEST,
            "id",
        ),
        (
            Method::POST,
            "/tenants",
            json!({"id": "x".repeat(65), "name": "B"}),
            StatusCode::BAD_REQUEST,
            "id",
        ),
        (
            Method::POST,
            "/tenants",
            json!({"id": "ok", "name": ""}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            Method::POST,
            "/tenants",
            json!({"id": "ok", "name": long}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            Method::POST,
            "/tenants",
            json!({"id": "ok", "name": "a\u{0}b"}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            Method::POST,
            "/tenants",
            json!({"id": "ok"}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            Method::POST,
            "/tenants",
            json!({"id": "ok", "name": "N", "colour": "red"}),
            StatusCode::BAD_REQUEST,
            "colour",
        ),
        (
            Method::POST,
            "/tenants",
            json!({"id": "ok", "name": "N", "auto_create_accounts": "yes"}),
            StatusCode::BAD_REQUEST,
            "auto_create_accounts",
        ),
        (
            Method::POST,
            "/tenants",
            json!(["not", "an", "object"]),
            StatusCode::BAD_REQUEST,
            "body",
        ),
        (
            Method::POST,
            "/tenants",
            json!({"id": "t1", "name": "Again"}),
            StatusCode::CONFLICT,
            "id",
        ),
        (
            Method::PATCH,
            "/tenants/t1",
            json!({}),
            StatusCode::BAD_REQUEST,
            "body",
        ),
        (
            Method::PATCH,
            "/tenants/t1",
            json!({"name": " "}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            Method::POST,
            "/tenants/t1/accounts",
            json!({"id": "a/1"}),
            StatusCode::BAD_REQUEST,
            "id",
        ),
        (
            Method::POST,
            "/tenants/t1/accounts",
            json!({"id": "a1"}),
            StatusCode::CONFLICT,
            "id",
        ),
        // Another tenant's account id: account ids are unique across tenants.
        (
            Method::POST,
            "/tenants/t1/accounts",
            json!({"id": "b1"}),
            StatusCode::CONFLICT,
            "id",
        ),
        (
            Method::POST,
            "/tenants/t1/users",
            json!({"email": "nobody", "role": "tenant_admin", "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "email",
        ),
        (
            Method::POST,
            "/tenants/t1/users",
            json!({"email": format!("{}@t1.test", "a".repeat(250)), "role": "tenant_admin", "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "email",
        ),
        (
            Method::POST,
            "/tenants/t1/users",
            json!({"email": "n@t1.test", "role": "owner", "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "role",
        ),
        (
            Method::POST,
            "/tenants/t1/users",
            json!({"email": "n@t1.test", "role": "account_admin", "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "account_id",
        ),
        (
            Method::POST,
            "/tenants/t1/users",
            json!({"email": "n@t1.test", "role": "tenant_admin", "account_id": "a1", "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "account_id",
        ),
        (
            Method::POST,
            "/tenants/t1/users",
            json!({"email": "n@t1.test", "role": "account_admin", "account_id": "b1", "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "account_id",
        ),
        (
            Method::POST,
            "/tenants/t1/users",
            json!({"email": "n@t1.test", "role": "tenant_admin", "password": "short"}),
            StatusCode::BAD_REQUEST,
            "password",
        ),
        (
            Method::POST,
            "/tenants/t1/users",
            json!({"email": "n@t1.test", "role": "tenant_admin", "password": "p".repeat(1025)}),
            StatusCode::BAD_REQUEST,
            "password",
        ),
        (
            Method::POST,
            "/tenants/t1/users",
            json!({"email": "Tenant@T1.test", "role": "tenant_admin", "password": PASSWORD}),
            StatusCode::CONFLICT,
            "email",
        ),
        (
            Method::POST,
            "/tenants/t2/users",
            json!({"email": "a1@t1.test", "role": "tenant_admin", "password": PASSWORD}),
            StatusCode::CONFLICT,
            "email",
        ),
        (
            Method::PATCH,
            "/tenants/t1/users/u2",
            json!({"account_id": "a2"}),
            StatusCode::BAD_REQUEST,
            "account_id",
        ),
        (
            Method::PATCH,
            "/tenants/t1/users/u2",
            json!({"role": "account_admin", "account_id": "b1"}),
            StatusCode::BAD_REQUEST,
            "account_id",
        ),
        (
            Method::POST,
            "/tenants/t1/keys",
            json!({"account_id": "b1"}),
            StatusCode::BAD_REQUEST,
            "account_id",
        ),
        (
            Method::POST,
            "/tenants/t1/keys",
            json!({"name": long}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            Method::POST,
            "/tenants/t1/invitations",
            json!({"email": "new@t1.test", "role": "tenant_admin", "expires_in_hours": 0}),
            StatusCode::BAD_REQUEST,
            "expires_in_hours",
        ),
        (
            Method::POST,
            "/tenants/t1/invitations",
            json!({"email": "new@t1.test", "role": "tenant_admin", "expires_in_hours": 721}),
            StatusCode::BAD_REQUEST,
            "expires_in_hours",
        ),
        (
            Method::POST,
            "/tenants/t1/invitations",
            json!({"email": "a1@t1.test", "role": "tenant_admin"}),
            StatusCode::CONFLICT,
            "email",
        ),
    ];
    for (method, path, body, status, field) in cases {
        let (s, answer) = app
            .admin(method.clone(), Some(&op), path, Some(body.clone()))
            .await;
        assert_eq!(
            (s, answer["field"].as_str()),
            (status, Some(field)),
            "{method} {path} {body}: {answer}"
        );
    }
    // Raw bodies and query strings.
    let raw = |path: &str, body: &'static str| {
        app.client
            .post(format!("{}/api/v1/admin{path}", app.base))
            .bearer_auth(&op)
            .body(body)
            .send()
    };
    for (body, field) in [
        ("{", "body"),
        (r#"{"id":"a","id":"b","name":"n"}"#, "id"),
        (r#"{"id":"a\u0000","name":"n"}"#, "id"),
    ] {
        let (s, answer) = crate::common::json_of(raw("/tenants", body).await.expect("send")).await;
        assert_eq!(
            (s, answer["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{body}: {answer}"
        );
    }
    let big = app
        .client
        .post(format!("{}/api/v1/admin/tenants", app.base))
        .bearer_auth(&op)
        .body(format!(r#"{{"id":"big","name":"{}"}}"#, "x".repeat(70_000)))
        .send()
        .await
        .expect("send");
    assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=x", "limit"),
        ("colour=red", "colour"),
        ("limit=1&limit=2", "limit"),
    ] {
        let (s, answer) = app
            .admin(Method::GET, Some(&op), &format!("/tenants?{query}"), None)
            .await;
        assert_eq!(
            (s, answer["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{query}: {answer}"
        );
    }
    // What the path names must be the tenant's.
    let t2_key = app.store.api_keys_of("t2", None).await.expect("keys")[0]
        .id
        .clone();
    for (method, path) in [
        (Method::GET, "/tenants/nope".to_owned()),
        (Method::GET, "/tenants/bad%20id".to_owned()),
        (Method::GET, "/tenants/nope/accounts".to_owned()),
        (Method::GET, "/tenants/t1/users/u3".to_owned()),
        (Method::GET, "/tenants/t1/users/nobody".to_owned()),
        (Method::DELETE, format!("/tenants/t1/keys/{t2_key}")),
        (Method::GET, "/tenants/t1/users/%00".to_owned()),
    ] {
        let (s, answer) = app.admin(method.clone(), Some(&op), &path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
    }
    let (s, body) = app
        .admin(
            Method::POST,
            Some(&op),
            "/tenants/nope/accounts",
            Some(json!({"id": "x1"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    // Nothing was made, and t2's key still works.
    let accounts = app.store.accounts_of("t1").await.expect("accounts");
    assert_eq!(accounts.len(), 2);
    assert!(app.store.tenant("ok").await.expect("read").is_none());
    assert_eq!(
        app.post_events(&app.key_t2, &ai("b1", "bob")).await.0,
        StatusCode::CREATED
    );
}

/// A user's role changes, and a deactivated user is signed out and kept out.
async fn roles_change_and_deactivation_signs_out(b: Backend) {
    let app = spawn_app(b).await;
    let op = app.operator_token("ops").await;
    let session = app.sign_in("a1@t1.test", PASSWORD).await.expect("session");
    let (s, body) = app
        .admin(
            Method::PATCH,
            Some(&op),
            "/tenants/t1/users/u2",
            Some(json!({"role": "account_admin", "account_id": "a2"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        body["roles"],
        json!([{"role": "account_admin", "account_id": "a2"}])
    );
    // The session now reads a2, not a1.
    app.post_events(&app.key, &ai("a1", "ann")).await;
    app.post_events(&app.key, &ai("a2", "bea")).await;
    let (s, page) = app
        .list(Some(&session), json!({"kind": "ai_interaction"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let page: Value = serde_json::from_str(&page).expect("page");
    let accounts: Vec<&Value> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| &e["account_id"])
        .collect();
    assert_eq!(accounts, [&json!("a2")]);

    let (s, body) = app
        .admin(
            Method::PATCH,
            Some(&op),
            "/tenants/t1/users/u2",
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(
        (s, &body["disabled"]),
        (StatusCode::OK, &json!(true)),
        "{body}"
    );
    let (s, _) = app.list(Some(&session), json!({})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the session ended");
    let r = app
        .client
        .post(format!("{}/auth/login", app.base))
        .form(&[("email", "a1@t1.test"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(
        r.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/login?error=invalid"),
        "a deactivated user cannot sign in"
    );
    // Again: nothing changes, nothing is recorded.
    app.admin(
        Method::PATCH,
        Some(&op),
        "/tenants/t1/users/u2",
        Some(json!({"disabled": true})),
    )
    .await;
    let (s, body) = app
        .admin(
            Method::PATCH,
            Some(&op),
            "/tenants/t1/users/u2",
            Some(json!({"disabled": false})),
        )
        .await;
    assert_eq!(
        (s, &body["disabled"]),
        (StatusCode::OK, &json!(false)),
        "{body}"
    );
    assert!(app.sign_in("a1@t1.test", PASSWORD).await.is_some());

    let actions = admin_actions(&app, &app.key).await;
    let ours: Vec<&Value> = actions
        .iter()
        .filter(|e| e["actor"] == "operator:ops")
        .collect();
    let seen: Vec<&str> = ours
        .iter()
        .filter_map(|e| e["event_name"].as_str())
        .collect();
    assert_eq!(
        seen,
        ["User role changed", "User deactivated", "User reactivated"]
    );
    assert_eq!(
        ours[0]["old_value"],
        json!({"roles": [{"role": "account_admin", "account_id": "a1"}]})
    );
    assert_eq!(ours[0]["account_id"], Value::Null, "tenant-level");
    assert_eq!(ours[1]["account_id"], "a2", "in the user's account");
    assert_eq!(
        ours[1]["ip"],
        Value::Null,
        "no operator address in an account's record"
    );
}

/// An invitation's link works once, before it expires, and makes the user it names.
async fn invitations_work_once(b: Backend) {
    use app::store::invitations::InvitationError;
    let app = spawn_app(b).await;
    let op = app.operator_token("ops").await;
    let (s, body) = app
        .admin(
            Method::POST,
            Some(&op),
            "/tenants/t1/invitations",
            Some(json!({"email": "New@T1.test", "role": "account_admin", "account_id": "a1"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().expect("token").to_owned();
    assert_eq!(
        body["accept_path"],
        format!(
            "{}/{token}",
            app::store::invitations::ACCEPT_INVITATION_PATH
        )
    );
    assert_eq!(body["email"], "new@t1.test");
    let now = chrono::Utc::now().timestamp_millis();
    let offered = app.store.invitation(&token, now).await.expect("offered");
    assert_eq!(
        (
            offered.tenant_name.as_str(),
            offered.grant.account_id.as_deref()
        ),
        ("t1", Some("a1"))
    );
    assert!(matches!(
        app.store.invitation("vgi_nope", now).await,
        Err(InvitationError::Unknown)
    ));
    assert!(matches!(
        app.store.invitation(&token, offered.expires_at).await,
        Err(InvitationError::Expired)
    ));
    let hash = vigil::auth::password::hash(PASSWORD).expect("hash");
    let accepted = app
        .store
        .accept_invitation(&token, &hash, app::ssr::Origin::default())
        .await
        .expect("accepted");
    assert_eq!(accepted.email, "new@t1.test");
    assert!(matches!(
        app.store
            .accept_invitation(&token, &hash, app::ssr::Origin::default())
            .await,
        Err(InvitationError::Used)
    ));
    let session = app
        .sign_in("new@t1.test", PASSWORD)
        .await
        .expect("signs in");
    let (s, _) = app.list(Some(&session), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = app
        .admin(Method::GET, Some(&op), "/tenants/t1/invitations", None)
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body["invitations"][0]["accepted_at"].is_string());
    assert!(body["invitations"][0].get("token").is_none());
    let actions = admin_actions(&app, &app.key).await;
    let a1: Vec<&str> = actions
        .iter()
        .filter(|e| e["account_id"] == "a1")
        .filter_map(|e| e["event_name"].as_str())
        .collect();
    assert_eq!(
        a1,
        ["Invitation created", "Invitation accepted", "Signed in"]
    );
}

/// Off by default, an unknown account is refused; on, ingest creates it (audited,
/// naming the key), all or nothing per request, up to the cap.
async fn accounts_are_created_on_first_sight_only_when_allowed(b: Backend) {
    let app = spawn_app(b).await;
    let op = app.operator_token("ops").await;
    let (s, body) = app.post_events(&app.key, &ai("new-1", "ann")).await;
    assert_eq!(
        (s, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("account_id")),
        "{body}"
    );
    assert_eq!(body["message"], "no account new-1 in this tenant");

    let (s, body) = app
        .admin(
            Method::PATCH,
            Some(&op),
            "/tenants/t1",
            Some(json!({"auto_create_accounts": true})),
        )
        .await;
    assert_eq!(
        (s, &body["auto_create_accounts"]),
        (StatusCode::OK, &json!(true)),
        "{body}"
    );
    let (s, body) = app.post_events(&app.key, &ai("new-1", "ann")).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    // A batch is created whole or not at all: a bad id, another tenant's account.
    for (bad, why) in [
        ("bad id", "ingest cannot create it"),
        ("b1", "no account b1 in this tenant"),
    ] {
        let batch = json!([ai("new-2", "ann"), ai("new-3", "ann"), ai(bad, "ann")]);
        let (s, body) = app.post_events(&app.key, &batch).await;
        assert_eq!(
            (s, body["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("[2].account_id")),
            "{body}"
        );
        assert!(
            body["message"].as_str().expect("message").contains(why),
            "{body}"
        );
    }
    let accounts: Vec<String> = app
        .store
        .accounts_of("t1")
        .await
        .expect("accounts")
        .into_iter()
        .map(|a| a.0)
        .collect();
    assert_eq!(accounts, ["a1", "a2", "new-1"]);
    let key_id = app
        .store
        .api_keys_of("t1", None)
        .await
        .expect("keys")
        .into_iter()
        .find(|k| k.account_id.is_none())
        .expect("key")
        .id;
    let (s, body) = app
        .admin(Method::GET, Some(&op), "/tenants/t1/accounts", None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["accounts"][2]["auto_created_by_key"], key_id);
    let actions = admin_actions(&app, &app.key).await;
    let created: Vec<&Value> = actions
        .iter()
        .filter(|e| e["event_name"] == "Account created")
        .collect();
    assert_eq!(created.len(), 1, "{actions:?}");
    assert_eq!(
        (&created[0]["actor"], &created[0]["written_by"]),
        (&json!("vigil"), &json!("vigil"))
    );
    assert_eq!(created[0]["new_value"]["api_key_id"], key_id);
    assert!(names(&actions).contains(&"Tenant settings changed"));

    // The cap: 999 created by ingest (one above, 998 here), so one more and no further.
    app.store
        .execute_raw(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 998) \
             INSERT INTO accounts (id, tenant_id, name, created_at, auto_created_by) \
             SELECT 'filler-' || i, 't1', 'filler', 0, 'k' FROM n",
        )
        .await
        .expect("fill");
    let batch = json!([ai("last", "ann"), ai("one-too-many", "ann")]);
    let (s, body) = app.post_events(&app.key, &batch).await;
    assert_eq!(
        (s, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("[1].account_id")),
        "{body}"
    );
    assert!(
        body["message"].as_str().expect("message").contains("1000"),
        "{body}"
    );
    let (s, body) = app.post_events(&app.key, &ai("last", "ann")).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app.post_events(&app.key, &ai("one-too-many", "ann")).await;
    assert_eq!(
        (s, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("account_id")),
        "{body}"
    );
    // Accounts that exist still take records, and the operator may still add more.
    assert_eq!(
        app.post_events(&app.key, &ai("last", "ann")).await.0,
        StatusCode::CREATED
    );
    let (s, body) = app
        .admin(
            Method::POST,
            Some(&op),
            "/tenants/t1/accounts",
            Some(json!({"id": "by-hand"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");

    // Off again: refused again.
    app.admin(
        Method::PATCH,
        Some(&op),
        "/tenants/t1",
        Some(json!({"auto_create_accounts": false})),
    )
    .await;
    let (s, body) = app.post_events(&app.key, &ai("new-4", "ann")).await;
    assert_eq!(
        (s, body["message"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("no account new-4 in this tenant")
        )
    );
}

/// PostgreSQL served by the role `vigil migrate --grant` makes: it can provision
/// (tokens, tenants, accounts, roles replaced, invitations, ingest's accounts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serving_role_provisions() {
    use app::model::{AccountId, DisplayName, Email, TenantId, WrittenBy};
    use app::store::{Grant, TenantChange};
    let app = spawn_app(Backend::Postgres).await;
    let serving = crate::common::serving_role(&app).await;
    let now = chrono::Utc::now().timestamp_millis();
    let name = DisplayName::parse("ops").expect("name");
    let token = serving
        .create_operator_token(&name, now)
        .await
        .expect("token");
    assert!(serving
        .revoke_operator_token(&token.id, now)
        .await
        .expect("revoke"));
    let tenant = TenantId::parse("acme").expect("id");
    serving
        .add_tenant(&tenant, &name, false, now)
        .await
        .expect("tenant");
    let change = TenantChange {
        name: Some(DisplayName::parse("Acme").expect("name")),
        auto_create_accounts: Some(true),
    };
    serving
        .change_tenant("acme", &change)
        .await
        .expect("settings");
    let account = AccountId::parse("acme-1").expect("id");
    serving
        .add_account("acme", &account, &name, now)
        .await
        .expect("account");
    let made = serving
        .create_named_accounts("acme", &[(0, "acme-2")], "k", now)
        .await
        .expect("ingest's account");
    assert_eq!(made.len(), 1);
    let grant = Grant::new(app::model::Role::AccountAdmin, Some(account)).expect("grant");
    serving
        .set_user_grant(
            "t1",
            "u2",
            &Grant {
                account_id: Some("a2".into()),
                ..grant.clone()
            },
        )
        .await
        .expect("role replaced");
    serving
        .set_user_disabled("t1", "u2", true, now)
        .await
        .expect("disabled");
    let email = Email::parse("new@acme.example").expect("email");
    let invited = serving
        .create_invitation(
            app::store::invitations::NewInvitation {
                tenant_id: "acme",
                email: &email,
                grant: &grant,
                hours: 1,
                created_by: &WrittenBy::Vigil,
            },
            now,
        )
        .await
        .expect("invitation");
    serving
        .accept_invitation(&invited.token, "hash", app::ssr::Origin::default())
        .await
        .expect("accepted");
}

on_both_backends!(
    provisions_a_tenant_with_two_accounts_end_to_end,
    only_live_operator_tokens_reach_the_operator_api,
    bad_fields_duplicates_and_strangers_are_refused_by_name,
    roles_change_and_deactivation_signs_out,
    invitations_work_once,
    accounts_are_created_on_first_sight_only_when_allowed,
);
