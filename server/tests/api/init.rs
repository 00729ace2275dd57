//! First run: `vigil init` on an empty database, and on one that is not; the sign-in
//! page of an empty database says how to start.

use crate::common::{fresh_database, spawn_empty_app, Backend, PASSWORD};
use crate::on_both_backends;
use reqwest::StatusCode;
use vigil::onboard::{init, InitError, InitRequest};

fn request(tenant: &str) -> InitRequest {
    InitRequest {
        tenant_id: tenant.into(),
        tenant_name: "Acme Corp".into(),
        email: "Admin@Acme.example".into(),
        password: PASSWORD.into(),
    }
}

/// The library function: an empty database gets its tenant and admin (audited), once.
async fn init_sets_up_an_empty_database_once(b: Backend) {
    let app = spawn_empty_app(b).await;
    let page = app.page("/login", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("vigil init --tenant-id"), "{html}");
    assert!(!html.contains("action=\"/auth/login\""), "no form yet");

    for (bad, flag) in [
        (
            InitRequest {
                tenant_id: "bad id".into(),
                ..request("x")
            },
            "tenant-id",
        ),
        (
            InitRequest {
                tenant_name: " ".into(),
                ..request("acme")
            },
            "tenant-name",
        ),
        (
            InitRequest {
                email: "admin".into(),
                ..request("acme")
            },
            "email",
        ),
        (
            InitRequest {
                password: "short".into(),
                ..request("acme")
            },
            "password",
        ),
    ] {
        match init(&app.store, &bad).await {
            Err(InitError::Invalid { flag: f, .. }) => assert_eq!(f, flag),
            other => panic!("{flag}: {other:?}"),
        }
    }
    let made = init(&app.store, &request("acme")).await.expect("init");
    assert_eq!(
        (made.tenant_id.as_str(), made.email.as_str()),
        ("acme", "admin@acme.example")
    );

    // Now the sign-in page is the form, and the admin signs in.
    let html = app.page("/login", None).await.text().await.expect("html");
    assert!(html.contains("action=\"/auth/login\""), "{html}");
    assert!(app.sign_in("admin@acme.example", PASSWORD).await.is_some());

    // Audited in the new tenant.
    let key = app
        .store
        .create_api_key("acme", None, "read")
        .await
        .expect("key")
        .plaintext;
    let (s, body) = app.get_events(&key, "kind=admin_action&after_seq=0").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let events = body["events"].as_array().expect("events");
    let seen: Vec<(&str, &str)> = events[..2]
        .iter()
        .map(|e| {
            (
                e["event_name"].as_str().unwrap_or(""),
                e["actor"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("Tenant created", "vigil-cli"),
            ("User created", "vigil-cli")
        ]
    );
    assert_eq!(events[1]["new_value"]["role"], "tenant_admin");

    // Not twice, whatever the tenant.
    match init(&app.store, &request("other")).await {
        Err(e @ InitError::NotEmpty(_)) => assert!(e.to_string().contains("acme"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(app.store.tenant("other").await.expect("read").is_none());
}

/// The binary: password on standard input; a second run refuses, naming the tenant.
async fn the_init_command_runs_once(b: Backend) {
    use std::io::Write;
    let url = fresh_database(b).await;
    let run = |tenant: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(["--database-url", &url, "init", "--tenant-id", tenant])
            .args([
                "--tenant-name",
                "Acme Corp",
                "--email",
                "admin@acme.example",
            ])
            .env_remove("VIGIL_INIT_PASSWORD")
            .env("RUST_BACKTRACE", "0")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("vigil runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .expect("password");
        child.wait_with_output().expect("vigil ends")
    };
    let first = run("acme");
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(out.contains("created tenant acme"), "{out}");
    let second = run("globex");
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success());
    assert!(err.contains("not empty") && err.contains("acme"), "{err}");

    let store = app::store::Store::connect(&url).await.expect("open");
    let login = store
        .user_login("admin@acme.example")
        .await
        .expect("read")
        .expect("user");
    assert!(
        vigil::auth::password::verify(PASSWORD, &login.password_hash),
        "the line, without its end"
    );
    assert!(store.tenant("globex").await.expect("read").is_none());
    store.close().await;
    if let Some(path) = url.strip_prefix("sqlite:") {
        for file in app::store::database_files(std::path::Path::new(path)) {
            let _ = std::fs::remove_file(file);
        }
    }
}

on_both_backends!(
    init_sets_up_an_empty_database_once,
    the_init_command_runs_once
);
