use crate::common::{ai, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use reqwest::StatusCode;
use serde_json::Value;

async fn fill(app: &TestApp, n: usize) {
    let batch: Vec<Value> = (0..n).map(|i| ai("a1", &format!("user{i}"))).collect();
    let (s, body) = app.post_events(&app.key, &Value::Array(batch)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

async fn updates_and_deletes_are_refused(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app, 3).await;
    let replace = match b {
        // Replacing a row deletes it on SQLite, without firing DELETE triggers.
        Backend::Sqlite => "INSERT OR REPLACE INTO events SELECT * FROM events WHERE seq = 2",
        Backend::Postgres => {
            "INSERT INTO events SELECT * FROM events WHERE seq = 2 \
             ON CONFLICT (tenant_id, seq) DO UPDATE SET actor = 'mallory'"
        }
    };
    for sql in [
        "UPDATE events SET actor = 'mallory'",
        "DELETE FROM events WHERE seq = 2",
        "DELETE FROM events",
        replace,
    ] {
        let err = app.store.execute_raw(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    if matches!(b, Backend::Postgres) {
        let err = app
            .store
            .execute_raw("TRUNCATE events")
            .await
            .expect_err("truncate");
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    let report = app.store.verify("t1").await.expect("verify");
    assert_eq!((report.records, report.failure), (3, None));
}

/// Runs `sql` with the append-only triggers out of the way, as an attacker with DBA rights would.
pub(crate) async fn behind_the_triggers(app: &TestApp, b: Backend, sql: &str) {
    let wrapped = match b {
        Backend::Sqlite => format!(
            "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; {sql}; \
             CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END; \
             CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
        ),
        Backend::Postgres => format!(
            "ALTER TABLE events DISABLE TRIGGER events_no_update_delete; {sql}; \
             ALTER TABLE events ENABLE TRIGGER events_no_update_delete;"
        ),
    };
    app.store.execute_raw(&wrapped).await.expect("tamper");
}

async fn verify_names_an_altered_record(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app, 5).await;
    assert_eq!(app.store.verify("t1").await.expect("verify").failure, None);
    behind_the_triggers(&app, b, "UPDATE events SET tokens_in = 1 WHERE seq = 3").await;
    let report = app.store.verify("t1").await.expect("verify");
    let failure = report.failure.expect("tampering caught");
    assert_eq!(failure.seq, 3);
    assert!(failure.reason.contains("altered"), "{}", failure.reason);
    // Other tenants' chains are unaffected.
    assert_eq!(app.store.verify("t2").await.expect("verify").failure, None);
}

async fn verify_catches_a_body_edit(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app, 4).await;
    behind_the_triggers(&app, b, "UPDATE events SET body = REPLACE(body, 'chat:conv_abc123', 'chat:conv_other') WHERE seq = 2").await;
    let failure = app
        .store
        .verify("t1")
        .await
        .expect("verify")
        .failure
        .expect("caught");
    assert_eq!(failure.seq, 2);
}

async fn verify_catches_removed_records(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app, 5).await;
    behind_the_triggers(&app, b, "DELETE FROM events WHERE seq = 2").await;
    let failure = app
        .store
        .verify("t1")
        .await
        .expect("verify")
        .failure
        .expect("gap caught");
    assert_eq!(failure.seq, 2);
    assert!(failure.reason.contains("removed"), "{}", failure.reason);

    let app = spawn_app(b).await;
    fill(&app, 5).await;
    behind_the_triggers(&app, b, "DELETE FROM events WHERE seq = 5").await;
    let failure = app
        .store
        .verify("t1")
        .await
        .expect("verify")
        .failure
        .expect("tail cut caught");
    assert!(failure.reason.contains("head"), "{}", failure.reason);
}

async fn seed_verifies(b: Backend) {
    let app = spawn_app(b).await;
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
        .expect("time")
        .to_utc();
    let report = vigil::seed::seed(&app.store, 400, 7, now)
        .await
        .expect("seed");
    assert_eq!(report.stored, 400);
    // The same seed and instant give the same records: nothing new is stored.
    let again = vigil::seed::seed(&app.store, 400, 7, now)
        .await
        .expect("seed");
    assert_eq!((again.stored, again.duplicates), (0, 400));
    for tenant in ["acme", "globex"] {
        let r = app.store.verify(tenant).await.expect("verify");
        assert_eq!(r.failure, None, "{tenant}");
        assert!(r.records > 0);
    }
}

/// Verifying while records arrive raises no false alarm: the head and the walk are
/// read from one snapshot.
async fn verify_during_ingest_is_quiet(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app, 50).await;
    let writer = {
        let (client, base, key) = (app.client.clone(), app.base.clone(), app.key.clone());
        tokio::spawn(async move {
            for round in 0..40 {
                let batch: Vec<Value> = (0..25)
                    .map(|i| ai("a1", &format!("r{round}-{i}")))
                    .collect();
                let r = client
                    .post(format!("{base}/api/v1/events"))
                    .bearer_auth(&key)
                    .json(&batch)
                    .send()
                    .await
                    .expect("post");
                assert_eq!(r.status(), StatusCode::CREATED);
            }
        })
    };
    let mut walks = 0;
    while !writer.is_finished() {
        let report = app.store.verify("t1").await.expect("verify");
        assert!(report.failure.is_none(), "{:?}", report.failure);
        walks += 1;
    }
    writer.await.expect("writer");
    let report = app.store.verify("t1").await.expect("verify");
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.records, 50 + 40 * 25);
    assert!(walks > 1, "verified while the writer ran");
}

/// PostgreSQL served by a role granted by `vigil migrate --grant`: it appends and reads,
/// but, not the owner, cannot update, drop or disable `events`' triggers, nor switch
/// them off for its session. PostgreSQL only: SQLite's file has one owner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serving_role_cannot_touch_the_triggers() {
    let app = spawn_app(Backend::Postgres).await;
    let serving = crate::common::serving_role(&app).await;
    let mut record = ai("a1", "served");
    record["occurred_at"] = serde_json::json!(chrono::Utc::now().to_rfc3339());
    let (s, body) = app.post_events(&app.key, &record).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let event: app::store::NewEvent = {
        let (events, _) = vigil::api::ingest::decode(
            ai("a1", "via-role").to_string().as_bytes(),
            &vigil::api::record::WriterScope { account_id: None },
            &|_, _| None,
        )
        .expect("decodes");
        events.into_iter().next().expect("one")
    };
    serving
        .append("t1", &app::model::WrittenBy::Vigil, &[event])
        .await
        .expect("the role appends");
    for sql in [
        "UPDATE events SET actor = 'mallory'",
        "DROP TRIGGER events_no_update_delete ON events",
        "ALTER TABLE events DISABLE TRIGGER ALL",
        "SET session_replication_role = replica",
        "DELETE FROM chain_heads",
    ] {
        let err = serving.execute_raw(sql).await.expect_err(sql);
        let text = err.to_string();
        assert!(
            text.contains("permission denied")
                || text.contains("must be owner")
                || text.contains("append-only"),
            "{sql}: {text}"
        );
    }
    let (report, _) = serving
        .verify_and_record("t1", app::model::VerifyBy::Cli)
        .await
        .expect("the role verifies and records the run");
    assert_eq!((report.records, report.failure), (2, None));
    // It keeps checkpoints and witnesses' cosignatures of them, too.
    let signer = app::merkle::note::NoteSigner::generate("vigil").expect("key");
    serving
        .sign_checkpoints(&signer, "vigil")
        .await
        .expect("the role signs");
    let note = serving
        .checkpoints("t1", 1)
        .await
        .expect("read")
        .remove(0)
        .note;
    let witness = app::merkle::note::Cosigner::generate("w").expect("key");
    let mut note = app::merkle::note::SignedNote::parse(note.as_bytes()).expect("note");
    note.add(witness.cosign(note.text(), 1).expect("cosign"));
    serving
        .add_cosignatures(
            "t1",
            "vigil",
            note.to_string().as_bytes(),
            signer.verifier_key(),
            &[witness.verifier_key().clone()],
        )
        .await
        .expect("the role keeps a cosignature");
    serving.close().await;
}

on_both_backends!(
    verify_during_ingest_is_quiet,
    updates_and_deletes_are_refused,
    verify_names_an_altered_record,
    verify_catches_a_body_edit,
    verify_catches_removed_records,
    seed_verifies,
);
