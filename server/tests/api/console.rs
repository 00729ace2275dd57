use crate::common::{ai, spawn_app, Backend, PASSWORD};
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::json;

async fn console_requires_sign_in(b: Backend) {
    let app = spawn_app(b).await;
    let r = app.page("/", None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
    let r = app.page("/login", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("html").contains("Sign in"));
    let r = app.page("/login?error=invalid", None).await;
    assert!(r
        .text()
        .await
        .expect("html")
        .contains("Wrong email or password"));
}

async fn wrong_password_is_refused(b: Backend) {
    let app = spawn_app(b).await;
    let r = app
        .client
        .post(format!("{}/auth/login", app.base))
        .form(&[("email", "tenant@t1.test"), ("password", "nope")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?error=invalid");
    assert!(r.headers().get("set-cookie").is_none());
}

async fn page_lists_ingested_records_of_the_viewers_scope(b: Backend) {
    let app = spawn_app(b).await;
    let (s, _) = app
        .post_events(
            &app.key,
            &json!([ai("a1", "alice-in-a1"), ai("a2", "bob-in-a2")]),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.post_events(&app.key_t2, &ai("b1", "carol-in-t2")).await;

    let tenant = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session cookie");
    assert!(tenant.starts_with("vigil_session="));
    let html = app
        .page("/", Some(&tenant))
        .await
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("alice-in-a1") && html.contains("bob-in-a2"),
        "{html}"
    );
    assert!(
        !html.contains("carol-in-t2"),
        "another tenant's record leaked"
    );

    let account = app.sign_in("a1@t1.test", PASSWORD).await.expect("cookie");
    let html = app
        .page("/", Some(&account))
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("alice-in-a1"));
    assert!(
        !html.contains("bob-in-a2"),
        "another account's record leaked"
    );

    // Signing out ends the session on the server, not just in the browser.
    let r = app
        .client
        .post(format!("{}/auth/logout", app.base))
        .header("cookie", &account)
        .send()
        .await
        .expect("logout");
    assert_eq!(r.headers()["location"], "/login");
    let r = app.page("/", Some(&account)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn server_function_refuses_anonymous_callers(b: Backend) {
    let app = spawn_app(b).await;
    app.post_events(&app.key, &ai("a1", "secret-user")).await;
    let (status, text) = app.list(None, serde_json::json!({})).await;
    assert!(!text.contains("secret-user"), "{text}");
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("SignedOut"), "{text}");
}

/// A user who administers several accounts has their own actions audited in one of them,
/// the same for sign-in, sign-out and export: the smallest account id.
async fn a_users_home_account_is_one_account(b: Backend) {
    let app = spawn_app(b).await;
    // a2@t1.test administers a2 (first) and now a1 as well.
    app.store
        .execute_raw("INSERT INTO memberships (user_id, account_id, role) VALUES ('u4', 'a1', 'account_admin')")
        .await
        .expect("membership");
    let cookie = app.sign_in("a2@t1.test", PASSWORD).await.expect("session");
    let r = app.page("/export?format=json", Some(&cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.expect("export");
    app.client
        .post(format!("{}/auth/logout", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("logout");
    let (s, v) = app
        .get_events(&app.key, "kind=admin_action&limit=100")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mine: Vec<(&str, &str)> = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["actor"] == "a2@t1.test")
        .map(|e| {
            (
                e["event_name"].as_str().unwrap_or(""),
                e["account_id"].as_str().unwrap_or("(none)"),
            )
        })
        .collect();
    assert_eq!(mine.len(), 3, "{mine:?}");
    assert!(mine.iter().all(|(_, a)| *a == "a1"), "{mine:?}");
}

/// Concurrent wrong guesses cannot pass the lock: each attempt is counted before its
/// password is checked, so at most five are checked before the account locks.
async fn concurrent_guesses_cannot_pass_the_lock(b: Backend) {
    let app = spawn_app(b).await;
    let guesses = (0..9).map(|i| {
        let (client, base) = (app.client.clone(), app.base.clone());
        async move {
            let r = client
                .post(format!("{base}/auth/login"))
                .form(&[("email", "a1@t1.test"), ("password", &format!("wrong-{i}"))])
                .send()
                .await
                .expect("login");
            assert!(r.headers().get("set-cookie").is_none());
        }
    });
    futures_util::future::join_all(guesses).await;
    // Counted as rows changed: the account is locked.
    let locked = app
        .store
        .execute_raw("UPDATE users SET email = email WHERE id = 'u2' AND locked_until IS NOT NULL")
        .await
        .expect("query");
    assert_eq!(locked, 1, "five failures lock the account");
    let (_, v) = app
        .get_events(&app.key, "kind=admin_action&limit=100")
        .await;
    let failed = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["event_name"] == "Sign-in failed")
        .count();
    assert_eq!(failed, 5, "only five guesses were checked");
    // Locked: even the right password is refused now.
    assert!(app.sign_in("a1@t1.test", PASSWORD).await.is_none());
}

/// After 10 failed sign-ins for one email in a minute, whoever sends them, further
/// attempts are refused for the rest of the minute.
async fn sign_ins_are_throttled(b: Backend) {
    let app = spawn_app(b).await;
    let mut throttled = 0;
    for i in 0..12 {
        let r = app
            .client
            .post(format!("{}/auth/login", app.base))
            .form(&[("email", "nobody@t1.test"), ("password", &format!("x{i}"))])
            .send()
            .await
            .expect("login");
        if r.headers()["location"] == "/login?error=throttled" {
            throttled += 1;
        }
    }
    assert_eq!(throttled, 2, "the 11th and 12th attempt for one email");
}

on_both_backends!(
    concurrent_guesses_cannot_pass_the_lock,
    sign_ins_are_throttled,
    console_requires_sign_in,
    a_users_home_account_is_one_account,
    wrong_password_is_refused,
    page_lists_ingested_records_of_the_viewers_scope,
    server_function_refuses_anonymous_callers,
);
