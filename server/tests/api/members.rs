//! The Members page's forms, posted as a signed-in browser posts them: invitations
//! (one-time, expiring links), roles changed and removed, users deactivated; each
//! audited with old and new values, and none crossing the poster's reach.

use crate::common::{location, set_cookie, spawn_app, Backend, TestApp, PASSWORD};
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::Value;

/// The admin actions named `event_name`, oldest first.
pub async fn audited(app: &TestApp, event_name: &str) -> Vec<Value> {
    let (s, v) = app
        .get_events(&app.key, "kind=admin_action&limit=1000")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut found: Vec<Value> = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["event_name"] == event_name)
        .cloned()
        .collect();
    found.reverse();
    found
}

/// Creates an invitation as `cookie`'s user; returns its token (from the shown-once
/// cookie the answer sets).
async fn invite(app: &TestApp, cookie: &str, email: &str, role: &str, account: &str) -> String {
    let r = app
        .form(
            Some(cookie),
            "/members/invite",
            &[("email", email), ("role", role), ("account", account)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/members?done=invited");
    set_cookie(&r, "vigil_once").expect("the token, to show once")
}

/// Accepts the invitation; returns the new user's session cookie.
async fn accept(app: &TestApp, token: &str, password: &str) -> String {
    let path = format!("/invite/{token}");
    let r = app
        .form(
            None,
            &path,
            &[("password", password), ("password_again", password)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    assert_eq!(location(&r), "/");
    let session = set_cookie(&r, "vigil_session").expect("signed in");
    format!("vigil_session={session}")
}

/// Whether a session still opens a console page.
async fn session_works(app: &TestApp, cookie: &str) -> bool {
    let r = app.page("/members", Some(cookie)).await;
    match r.status() {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => {
            assert_eq!(location(&r), "/login");
            false
        }
        other => panic!("{other}"),
    }
}

async fn user_id(app: &TestApp, email: &str) -> String {
    app.store
        .user_login(email)
        .await
        .expect("read")
        .expect("user")
        .id
}

async fn an_invited_admin_joins_and_every_change_is_audited(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    let token = invite(&app, &admin, "New@T1.test", "account_admin", "a1").await;

    // The page shows the link once: with the cookie the answer set, and never again.
    let once = format!("{admin}; vigil_once={token}");
    let r = app.page("/members", Some(&once)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(set_cookie(&r, "vigil_once").as_deref(), Some(""), "removed");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.expect("page");
    assert!(html.contains(&format!("/invite/{token}")), "{html}");
    assert!(html.contains("new@t1.test"), "{html}");
    let html = app
        .page("/members", Some(&admin))
        .await
        .text()
        .await
        .expect("page");
    assert!(!html.contains(&token), "shown once");
    assert!(html.contains("Pending invitations") && html.contains("new@t1.test"));
    let created = audited(&app, "Invitation created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["account_id"], "a1");
    assert_eq!(created[0]["actor"], "tenant@t1.test");
    assert_eq!(created[0]["new_value"]["email"], "new@t1.test");
    assert_eq!(created[0]["new_value"]["role"], "account_admin");
    assert!(
        !created[0].to_string().contains(&token),
        "the token is never recorded"
    );

    // The public page asks for a password; a short one is refused naming the field.
    let r = app.page(&format!("/invite/{token}"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("page");
    assert!(
        html.contains("account admin of a1") && html.contains("new@t1.test"),
        "{html}"
    );
    let r = app
        .form(
            None,
            &format!("/invite/{token}"),
            &[("password", "short"), ("password_again", "short")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        format!("/invite/{token}?error=at+least+10+characters&field=password")
    );
    let r = app
        .form(
            None,
            &format!("/invite/{token}"),
            &[
                ("password", "long enough 1"),
                ("password_again", "long enough 2"),
            ],
        )
        .await;
    assert!(
        location(&r).ends_with("field=password_again"),
        "{}",
        location(&r)
    );

    let newcomer = accept(&app, &token, "a new password").await;
    assert!(session_works(&app, &newcomer).await);
    assert!(app.sign_in("new@t1.test", "a new password").await.is_some());
    let new_id = user_id(&app, "new@t1.test").await;
    for name in ["Invitation accepted", "Signed in"] {
        let found = audited(&app, name).await;
        let last = found.last().unwrap_or_else(|| panic!("{name}"));
        assert_eq!(last["actor"], "new@t1.test", "{name}");
        assert_eq!(last["account_id"], "a1", "{name}");
    }
    let accepted = audited(&app, "Invitation accepted").await;
    assert_eq!(accepted[0]["old_value"]["state"], "pending");
    assert_eq!(accepted[0]["new_value"]["state"], "accepted");
    assert_eq!(accepted[0]["new_value"]["user_id"], new_id.as_str());

    // The link works once.
    let r = app
        .form(
            None,
            &format!("/invite/{token}"),
            &[
                ("password", "another password"),
                ("password_again", "another password"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.expect("page").contains("already been used"));

    // a1 → a2: the role moves, recorded where it was.
    let r = app
        .form(
            Some(&admin),
            "/members/role",
            &[
                ("user", &new_id),
                ("from_role", "account_admin"),
                ("from_account", "a1"),
                ("role", "account_admin"),
                ("account", "a2"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/members?done=role_updated");
    let updated = audited(&app, "Member role updated").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["account_id"], "a1");
    assert_eq!(updated[0]["old_value"]["account_id"], "a1");
    assert_eq!(updated[0]["new_value"]["account_id"], "a2");
    assert_eq!(updated[0]["new_value"]["email"], "new@t1.test");
    assert!(
        updated[0]["ip"].is_null(),
        "a tenant admin's address stays out of an account's records"
    );

    // Another role, then the first one removed: they still sign in, as admin of a1.
    let r = app
        .form(
            Some(&admin),
            "/members/add",
            &[
                ("user", &new_id),
                ("role", "account_admin"),
                ("account", "a1"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/members?done=member_added");
    let r = app
        .form(
            Some(&admin),
            "/members/remove",
            &[
                ("user", &new_id),
                ("role", "account_admin"),
                ("account", "a2"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/members?done=member_removed");
    let removed = audited(&app, "Member removed").await;
    assert_eq!(removed[0]["old_value"]["account_id"], "a2");
    assert!(removed[0]["new_value"].is_null());
    assert_eq!(removed[0]["account_id"], "a2");
    assert!(session_works(&app, &newcomer).await);

    // Deactivated: their session ends at once and they cannot sign in again.
    let r = app
        .form(Some(&admin), "/members/deactivate", &[("user", &new_id)])
        .await;
    assert_eq!(location(&r), "/members?done=deactivated");
    assert!(!session_works(&app, &newcomer).await);
    let r = app
        .client
        .post(format!("{}/auth/login", app.base))
        .form(&[("email", "new@t1.test"), ("password", "a new password")])
        .send()
        .await
        .expect("login");
    assert_eq!(location(&r), "/login?error=invalid");
    let off = audited(&app, "User deactivated").await;
    assert_eq!(off[0]["old_value"]["status"], "active");
    assert_eq!(off[0]["new_value"]["status"], "deactivated");
    assert_eq!(off[0]["account_id"], "a1");
    let r = app
        .form(Some(&admin), "/members/deactivate", &[("user", &new_id)])
        .await;
    assert_eq!(
        location(&r),
        "/members?error=already+deactivated&field=user"
    );

    // Nobody changes their own roles.
    let r = app
        .form(Some(&admin), "/members/deactivate", &[("user", "u1")])
        .await;
    assert!(location(&r).ends_with("&field=user"), "{}", location(&r));
    assert!(session_works(&app, &admin).await);
}

async fn account_admins_stay_in_their_accounts(b: Backend) {
    let app = spawn_app(b).await;
    let a1 = app.sign_in("a1@t1.test", PASSWORD).await.expect("session");
    let before = app.store.members_of("t1").await.expect("members");

    // Invitations: account admins of their own accounts only.
    for (role, account) in [
        ("tenant_admin", ""),
        ("account_admin", "a2"),
        ("account_admin", "b1"),
    ] {
        let r = app
            .form(
                Some(&a1),
                "/members/invite",
                &[("email", "x@t1.test"), ("role", role), ("account", account)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} {account}");
    }
    let token = invite(&app, &a1, "helper@t1.test", "account_admin", "a1").await;
    assert!(token.starts_with("vgi_"));

    // Another account's admin (u4), a tenant admin (u1), another tenant's (u3): as if
    // missing, whatever the form.
    for user in ["u4", "u1", "u3", "nobody"] {
        for (path, form) in [
            (
                "/members/role",
                vec![
                    ("user", user),
                    ("from_role", "account_admin"),
                    ("from_account", "a2"),
                    ("role", "account_admin"),
                    ("account", "a1"),
                ],
            ),
            (
                "/members/remove",
                vec![("user", user), ("role", "account_admin"), ("account", "a2")],
            ),
            (
                "/members/add",
                vec![("user", user), ("role", "account_admin"), ("account", "a1")],
            ),
            ("/members/deactivate", vec![("user", user)]),
        ] {
            let r = app.form(Some(&a1), path, &form).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path} {user}");
        }
    }
    // A tenant admin who also admins a1 is visible, and still not theirs to change.
    app.store
        .add_grant(
            "u1",
            &app::model::members::Grant::parse("account_admin", "a1").expect("grant"),
        )
        .await
        .expect("grant");
    let r = app
        .form(Some(&a1), "/members/deactivate", &[("user", "u1")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .form(
            Some(&a1),
            "/members/remove",
            &[("user", "u1"), ("role", "account_admin"), ("account", "a1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A member of a1 and a2: a1's admin may not end their sign-in, nor make them tenant admin.
    app.store
        .add_grant(
            "u4",
            &app::model::members::Grant::parse("account_admin", "a1").expect("grant"),
        )
        .await
        .expect("grant");
    let r = app
        .form(Some(&a1), "/members/deactivate", &[("user", "u4")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .form(
            Some(&a1),
            "/members/role",
            &[
                ("user", "u4"),
                ("from_role", "account_admin"),
                ("from_account", "a1"),
                ("role", "tenant_admin"),
                ("account", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Their role in a1 is a1's admin's to remove, and the record stays in a1.
    let r = app
        .form(
            Some(&a1),
            "/members/remove",
            &[("user", "u4"), ("role", "account_admin"), ("account", "a1")],
        )
        .await;
    assert_eq!(location(&r), "/members?done=member_removed");
    let removed = audited(&app, "Member removed").await;
    assert_eq!(removed[0]["account_id"], "a1");
    assert_eq!(removed[0]["actor"], "a1@t1.test");

    // The page lists a1's admins only, and offers no tenant admin role.
    let html = app
        .page("/members", Some(&a1))
        .await
        .text()
        .await
        .expect("page");
    assert!(html.contains("helper@t1.test"));
    assert!(
        !html.contains("a2@t1.test") && !html.contains("tenant@t2.test"),
        "{html}"
    );
    assert!(!html.contains(r#"value="tenant_admin""#), "{html}");

    // Settings are the tenant's: 403, and nothing changes.
    let r = app.page("/settings", Some(&a1)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for (path, form) in [
        (
            "/settings/rates",
            vec![
                ("model", "gpt-4o"),
                ("input", "1"),
                ("output", "1"),
                ("effective_from", "2020-01-01"),
            ],
        ),
        ("/settings/webhook", vec![("url", "")]),
        ("/settings/hours", vec![("clear", "1")]),
    ] {
        let r = app.form(Some(&a1), path, &form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert!(app
        .store
        .tenant_rates("t1")
        .await
        .expect("rates")
        .is_empty());
    let after = app.store.members_of("t1").await.expect("members");
    assert_eq!(
        after.len(),
        before.len() + 1,
        "only u1's role in a1 was added (by the test)"
    );

    // Another tenant's admin cannot reach t1's members at all.
    let t2 = app
        .sign_in("tenant@t2.test", PASSWORD)
        .await
        .expect("session");
    let r = app
        .form(Some(&t2), "/members/deactivate", &[("user", "u2")])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .form(
            Some(&t2),
            "/members/invitations/revoke",
            &[("invitation", "whatever")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn invitation_forms_name_the_field_at_fault(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    invite(&app, &admin, "pending@t1.test", "account_admin", "a2").await;
    for (email, role, account, field) in [
        ("not an email", "account_admin", "a1", "email"),
        ("", "account_admin", "a1", "email"),
        ("x@t1.test", "owner", "a1", "role"),
        ("x@t1.test", "tenant_admin", "a1", "account"),
        ("x@t1.test", "account_admin", "", "account"),
        ("x@t1.test", "account_admin", "b1", "account"),
        ("x@t1.test", "account_admin", "nope", "account"),
        ("a1@t1.test", "account_admin", "a1", "email"),
        ("tenant@t2.test", "account_admin", "a1", "email"),
        ("pending@t1.test", "account_admin", "a1", "email"),
        ("x\u{0}@t1.test", "account_admin", "a1", "email"),
    ] {
        let r = app
            .form(
                Some(&admin),
                "/members/invite",
                &[("email", email), ("role", role), ("account", account)],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{email} {role} {account}"
        );
        let to = location(&r);
        assert!(to.starts_with("/members?error="), "{to}");
        assert!(
            to.ends_with(&format!("&field={field}")),
            "{email} {role} {account}: {to}"
        );
        // The page shows the message, naming the field.
        let html = app
            .page(&to, Some(&admin))
            .await
            .text()
            .await
            .expect("page");
        assert!(html.contains(&format!(r#"data-field="{field}""#)), "{html}");
    }
    // A field missing or sent twice is named too.
    let r = app
        .form(Some(&admin), "/members/invite", &[("email", "y@t1.test")])
        .await;
    assert!(location(&r).ends_with("&field=role"), "{}", location(&r));
    let r = app
        .form(
            Some(&admin),
            "/members/invite",
            &[
                ("email", "y@t1.test"),
                ("email", "z@t1.test"),
                ("role", "tenant_admin"),
            ],
        )
        .await;
    assert!(location(&r).ends_with("&field=email"), "{}", location(&r));
    assert_eq!(audited(&app, "Invitation created").await.len(), 1);
}

async fn expired_used_and_withdrawn_invitations_are_refused(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    let password = [
        ("password", "a fine password"),
        ("password_again", "a fine password"),
    ];

    let expired = invite(&app, &admin, "late@t1.test", "account_admin", "a1").await;
    app.store
        .execute_raw("UPDATE invitations SET expires_at = 0 WHERE email = 'late@t1.test'")
        .await
        .expect("expire");
    let r = app.page(&format!("/invite/{expired}"), None).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.expect("page").contains("has expired"));
    let r = app
        .form(None, &format!("/invite/{expired}"), &password)
        .await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(app
        .store
        .user_login("late@t1.test")
        .await
        .expect("read")
        .is_none());

    let withdrawn = invite(&app, &admin, "gone@t1.test", "tenant_admin", "").await;
    let id = app
        .store
        .open_invitations("t1", 10)
        .await
        .expect("list")
        .into_iter()
        .find(|i| i.email == "gone@t1.test")
        .expect("open")
        .id;
    let r = app
        .form(
            Some(&admin),
            "/members/invitations/revoke",
            &[("invitation", &id)],
        )
        .await;
    assert_eq!(location(&r), "/members?done=invitation_revoked");
    let revoked = audited(&app, "Invitation revoked").await;
    assert_eq!(revoked[0]["old_value"]["state"], "pending");
    assert_eq!(revoked[0]["new_value"]["state"], "revoked");
    assert!(revoked[0]["account_id"].is_null());
    let r = app
        .form(None, &format!("/invite/{withdrawn}"), &password)
        .await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.expect("page").contains("withdrawn"));
    let r = app
        .form(
            Some(&admin),
            "/members/invitations/revoke",
            &[("invitation", &id)],
        )
        .await;
    assert!(
        location(&r).ends_with("&field=invitation"),
        "{}",
        location(&r)
    );

    // Two acceptances at once: exactly one user is made.
    let token = invite(&app, &admin, "race@t1.test", "account_admin", "a2").await;
    let path = format!("/invite/{token}");
    let (r1, r2) = tokio::join!(
        app.form(None, &path, &password),
        app.form(None, &path, &password)
    );
    let mut statuses = [r1.status(), r2.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::GONE]);
    assert_eq!(audited(&app, "Invitation accepted").await.len(), 1);

    // Unknown and malformed links: not found, and nothing echoed.
    for bad in [
        "inv_doesnotexist",
        "inv_%0d%0aSet-Cookie:%20x=1",
        "x".repeat(300).as_str(),
    ] {
        let r = app.page(&format!("/invite/{bad}"), None).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        let r = app.form(None, &format!("/invite/{bad}"), &password).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        assert!(r.headers().get("set-cookie").is_none());
    }
    // Guessing is throttled like sign-ins: after 20 misses a minute, even a good link waits.
    for i in 0..20 {
        let r = app.page(&format!("/invite/inv_guess{i}"), None).await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    let fresh = invite(&app, &admin, "later@t1.test", "account_admin", "a1").await;
    let r = app.page(&format!("/invite/{fresh}"), None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn member_forms_need_a_session_and_the_same_origin(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    let r = app.page("/members", None).await;
    assert_eq!(location(&r), "/login");
    let r = app
        .form(
            None,
            "/members/invite",
            &[
                ("email", "x@t1.test"),
                ("role", "tenant_admin"),
                ("account", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login");
    let token = invite(&app, &admin, "site@t1.test", "account_admin", "a1").await;
    for (path, form) in [
        (
            "/members/invite".to_owned(),
            vec![
                ("email", "x@t1.test"),
                ("role", "tenant_admin"),
                ("account", ""),
            ],
        ),
        ("/members/deactivate".to_owned(), vec![("user", "u2")]),
        ("/settings/webhook".to_owned(), vec![("url", "")]),
        (
            format!("/invite/{token}"),
            vec![
                ("password", "a fine password"),
                ("password_again", "a fine password"),
            ],
        ),
    ] {
        for (name, value) in [
            ("sec-fetch-site", "cross-site"),
            ("origin", "http://evil.example"),
        ] {
            let r = app
                .client
                .post(format!("{}{path}", app.base))
                .header("cookie", &admin)
                .header(name, value)
                .form(&form)
                .send()
                .await
                .expect("post");
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} {name}");
        }
    }
    assert_eq!(audited(&app, "Invitation created").await.len(), 1);
    assert!(app
        .store
        .user_login("site@t1.test")
        .await
        .expect("read")
        .is_none());
    let u2 = app
        .store
        .member_user("t1", "u2")
        .await
        .expect("read")
        .expect("u2");
    assert!(u2.disabled_at.is_none());
}

/// The serving role (`vigil migrate --grant`) may do all the Members and Settings
/// forms do: invitations made, accepted and withdrawn, roles given, moved and taken,
/// users deactivated (their sessions deleted), rates set and removed, hours set.
/// PostgreSQL only: SQLite's file has one owner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serving_role_manages_members_and_settings() {
    use app::model::members::Grant;
    use app::model::{Email, WrittenBy};
    use app::store::{ModelRate, NewInvitation, TenantRate};
    let app = spawn_app(Backend::Postgres).await;
    let serving = crate::common::serving_role(&app).await;
    let now = chrono::Utc::now();
    let grant = |role: &str, account: &str| Grant::parse(role, account).expect("grant");
    let invite = |email: &str| {
        let serving = serving.clone();
        let email = Email::parse(email).expect("email");
        async move {
            serving
                .create_invitation(
                    NewInvitation {
                        tenant_id: "t1",
                        email: &email,
                        grant: &Grant::parse("account_admin", "a1").expect("grant"),
                        hours: 1,
                        created_by: &WrittenBy::Vigil,
                    },
                    now.timestamp_millis(),
                )
                .await
                .expect("the role invites")
        }
    };
    let made = invite("role@t1.test").await;
    let user = serving
        .accept_invitation(&made.token, "not-a-hash", app::ssr::Origin::default())
        .await
        .expect("the role accepts")
        .user_id;
    let withdrawn = invite("other@t1.test").await;
    assert!(serving
        .revoke_invitation("t1", &withdrawn.invitation.id, now.timestamp_millis())
        .await
        .expect("revoke"));
    assert!(serving
        .add_grant(&user, &grant("account_admin", "a2"))
        .await
        .expect("add"));
    assert!(serving
        .update_grant(
            &user,
            &grant("account_admin", "a2"),
            &grant("tenant_admin", "")
        )
        .await
        .expect("update"));
    assert!(serving
        .remove_grant(&user, &grant("tenant_admin", ""))
        .await
        .expect("remove"));
    app.store
        .create_session("digest", &user, 0, i64::MAX)
        .await
        .expect("session");
    assert!(serving
        .deactivate_user(&user, now)
        .await
        .expect("deactivate"));
    let rate = TenantRate {
        model: "gpt-4o".into(),
        effective_from: now,
        rate: ModelRate {
            input_per_mtok: 1,
            output_per_mtok: 2,
        },
    };
    serving
        .set_tenant_rate("t1", &rate)
        .await
        .expect("set rate");
    serving
        .set_tenant_rate("t1", &rate)
        .await
        .expect("set it again");
    serving
        .remove_tenant_rate("t1", "gpt-4o", now)
        .await
        .expect("remove rate")
        .expect("it was there");
    let hours =
        app::model::settings::BusinessHours::parse(&["mon".to_owned()], "09:00", "17:00", "UTC")
            .expect("hours");
    serving
        .set_business_hours("t1", Some(&hours))
        .await
        .expect("set hours");
    serving.close().await;
}

/// The operator API's invitations and the Members page's are one: an operator's link
/// is accepted on the console's page (recorded once), and one a tenant admin withdraws
/// on the Members page reads as withdrawn through the API and no longer works.
async fn operator_and_console_invitations_are_the_same(b: Backend) {
    use reqwest::Method;
    use serde_json::json;
    let app = spawn_app(b).await;
    let op = app.operator_token("ops").await;
    let mut links = Vec::new();
    for email in ["op1@t1.test", "op2@t1.test"] {
        let (s, body) = app
            .admin(
                Method::POST,
                Some(&op),
                "/tenants/t1/invitations",
                Some(json!({"email": email, "role": "account_admin", "account_id": "a1"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let path = body["accept_path"].as_str().expect("path").to_owned();
        let token = body["token"].as_str().expect("token").to_owned();
        assert_eq!(path, format!("/invite/{token}"));
        links.push((body["id"].as_str().expect("id").to_owned(), token));
    }

    // The first: accepted on the console's page, and recorded once.
    let r = app.page(&format!("/invite/{}", links[0].1), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("page").contains("op1@t1.test"));
    let session = accept(&app, &links[0].1, "a fine password").await;
    assert!(session_works(&app, &session).await);
    let accepted = audited(&app, "Invitation accepted").await;
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0]["actor"], "op1@t1.test");
    assert_eq!(accepted[0]["account_id"], "a1");
    assert_eq!(
        accepted[0]["new_value"]["invitation_id"],
        links[0].0.as_str()
    );

    // The second: listed on the Members page, withdrawn there.
    let admin = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    let html = app
        .page("/members", Some(&admin))
        .await
        .text()
        .await
        .expect("page");
    assert!(html.contains(r#"data-invitation="op2@t1.test""#), "{html}");
    assert!(
        !html.contains(r#"data-invitation="op1@t1.test""#),
        "accepted: no longer pending"
    );
    let r = app
        .form(
            Some(&admin),
            "/members/invitations/revoke",
            &[("invitation", &links[1].0)],
        )
        .await;
    assert_eq!(location(&r), "/members?done=invitation_revoked");
    let r = app.page(&format!("/invite/{}", links[1].1), None).await;
    assert_eq!(r.status(), StatusCode::GONE);
    let (s, body) = app
        .admin(Method::GET, Some(&op), "/tenants/t1/invitations", None)
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let listed = body["invitations"].as_array().expect("invitations");
    let by_email = |e: &str| {
        listed
            .iter()
            .find(|i| i["email"] == e)
            .cloned()
            .expect("listed")
    };
    assert!(by_email("op1@t1.test")["accepted_at"].is_string());
    assert!(by_email("op1@t1.test")["revoked_at"].is_null());
    assert!(by_email("op2@t1.test")["revoked_at"].is_string());
    assert_eq!(audited(&app, "Invitation accepted").await.len(), 1);
}

on_both_backends!(
    an_invited_admin_joins_and_every_change_is_audited,
    operator_and_console_invitations_are_the_same,
    account_admins_stay_in_their_accounts,
    invitation_forms_name_the_field_at_fault,
    expired_used_and_withdrawn_invitations_are_refused,
    member_forms_need_a_session_and_the_same_origin,
);
