//! Every `verify` is recorded, by `vigil verify` or the server's schedule, and the
//! console's `integrity()` shows the tenant's latest checkpoint, the key, what each
//! witness cosigned and the last verify: to a tenant's admins, never without a session.

use crate::chain::behind_the_triggers;
use crate::common::{ai, spawn_app, spawn_app_with, Backend, TestApp, PASSWORD};
use crate::on_both_backends;
use app::api::{ConsoleError, Integrity};
use app::model::{IntegrityReport, VerifyBy};
use reqwest::StatusCode;
use serde_json::Value;

async fn fill(app: &TestApp, n: usize) {
    let batch: Vec<Value> = (0..n).map(|i| ai("a1", &format!("user{i}"))).collect();
    let (s, body) = app.post_events(&app.key, &Value::Array(batch)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

/// `vigil verify` on `app`'s database, as an operator runs it: whether it passed.
async fn vigil_verify(app: &TestApp) -> bool {
    let url = app.database_url.clone();
    let dir = std::env::temp_dir();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(["--database-url", &url, "verify"])
            .current_dir(dir)
            .output()
            .expect("runs vigil verify")
            .status
            .success()
    })
    .await
    .expect("joined")
}

/// The CLI records each tenant's run, passed or failed; the schedule's runs are
/// recorded as such; `last_verify` reads the newest; runs cannot be changed.
async fn verify_runs_are_recorded(b: Backend) {
    let app = spawn_app(b).await;
    assert_eq!(app.store.last_verify("t1").await.expect("read"), None);
    fill(&app, 5).await;
    assert!(vigil_verify(&app).await, "an honest chain verifies");
    let run = app
        .store
        .last_verify("t1")
        .await
        .expect("read")
        .expect("recorded");
    let report = app.store.verify("t1").await.expect("verify");
    assert_eq!(
        (run.by, run.ok, run.records, &run.tree_root, run.failure_seq),
        (VerifyBy::Cli, true, 5, &report.tree_root, None)
    );
    assert_eq!(run.retained_from, None);
    let t2 = app.store.last_verify("t2").await.expect("read");
    assert_eq!(
        t2.map(|r| (r.ok, r.records)),
        Some((true, 0)),
        "every tenant"
    );

    behind_the_triggers(&app, b, "UPDATE events SET tokens_in = 1 WHERE seq = 3").await;
    assert!(!vigil_verify(&app).await, "tampering fails the command");
    let run = app
        .store
        .last_verify("t1")
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!(
        (run.by, run.ok, run.failure_seq),
        (VerifyBy::Cli, false, Some(3))
    );
    assert!(
        run.failure_reason
            .as_deref()
            .is_some_and(|r| r.contains("altered")),
        "{run:?}"
    );

    vigil::verifying::verify_all(&app.store).await;
    let run = app
        .store
        .last_verify("t1")
        .await
        .expect("read")
        .expect("recorded");
    assert_eq!((run.by, run.ok), (VerifyBy::Schedule, false));
    for sql in ["UPDATE verify_runs SET ok = ok", "DELETE FROM verify_runs"] {
        let err = app.store.execute_raw(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

/// `integrity()` for a tenant admin and an account admin of the tenant (the tenant's
/// figures), for another tenant's admin (theirs), and 401 without a session.
async fn integrity_is_the_tenants_and_needs_a_session(b: Backend) {
    let dir = std::env::temp_dir().join(format!("vigil-witness-{}", uuid::Uuid::now_v7()));
    let key = vigil::witness::public_key(&dir, "witness.test").expect("witness key");
    let app = spawn_app_with(b, |c| c.witnesses = vec![key]).await;
    fill(&app, 30).await;
    let public_key = app
        .api_get(None, "/api/v1/public-key")
        .await
        .text()
        .await
        .expect("key");
    let witness = vigil::witness::Witness {
        url: app.base.clone(),
        api_key: app.key.clone(),
        log_key: app::merkle::note::VerifierKey::parse(public_key.trim()).expect("key"),
        dir: dir.clone(),
        name: "witness.test".into(),
    };
    witness
        .round(&reqwest::Client::new())
        .await
        .expect("cosigned");
    app.store
        .verify_and_record("t1", VerifyBy::Schedule)
        .await
        .expect("verify");

    for email in ["tenant@t1.test", "a1@t1.test"] {
        let cookie = app.sign_in(email, PASSWORD).await.expect("session");
        let (s, body) = app.call::<Integrity>(Some(&cookie), &[]).await;
        assert_eq!(s, StatusCode::OK, "{email}: {body}");
        let report: IntegrityReport = serde_json::from_str(&body).expect("report");
        let checkpoint = report.checkpoint.expect("a checkpoint");
        assert_eq!(checkpoint.size, 30);
        assert!(checkpoint.note.starts_with("vigil/t1\n30\n"), "{body}");
        assert_eq!(report.public_key, public_key.trim());
        assert_eq!(report.witnesses.len(), 1, "{body}");
        assert_eq!(report.witnesses[0].witness, "witness.test");
        assert_eq!(report.witnesses[0].size, Some(30));
        let run = report.last_verify.expect("a run");
        assert_eq!(
            (run.by, run.ok, run.records),
            (VerifyBy::Schedule, true, 30)
        );
    }

    let cookie = app
        .sign_in("tenant@t2.test", PASSWORD)
        .await
        .expect("session");
    let (s, body) = app.call::<Integrity>(Some(&cookie), &[]).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let report: IntegrityReport = serde_json::from_str(&body).expect("report");
    assert_eq!(report.checkpoint, None, "t2 has no records: {body}");
    assert_eq!(report.last_verify, None);
    assert_eq!(report.witnesses[0].size, None, "nothing of t1's");

    let (s, body) = app.call::<Integrity>(None, &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(
        serde_json::from_str::<ConsoleError>(&body).expect("typed"),
        ConsoleError::SignedOut
    );
    let _ = std::fs::remove_dir_all(&dir);
}

on_both_backends!(
    verify_runs_are_recorded,
    integrity_is_the_tenants_and_needs_a_session,
);
