//! Retention: a purge takes a tenant's oldest records' bodies and index entries but
//! keeps their leaves, so proofs of kept records and consistency with checkpoints
//! signed before it still verify; it is audited, `verify` passes and says where the
//! kept records start, and nothing but the purge deletes a record.

use crate::common::{ai, hashes, spawn_app, Backend, TestApp, PASSWORD};
use crate::on_both_backends;
use app::api::{ConsoleError, Retention, SetRetention};
use app::merkle::note::{Checkpoint, SignedNote};
use app::merkle::{verify_consistency, verify_inclusion, Hash};
use app::model::{RetentionDays, RetentionStatus};
use app::store::Store;
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use vigil::retention::{purge_tenant, Purged};

async fn fill(app: &TestApp, prefix: &str, n: usize) {
    let batch: Vec<Value> = (0..n)
        .map(|i| ai("a1", &format!("{prefix}-user{i}")))
        .collect();
    let (s, body) = app.post_events(&app.key, &Value::Array(batch)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

async fn job(app: &TestApp, id: &str) {
    let record = json!({"kind": "job", "account_id": "a1", "job_id": id, "status": "running",
        "agent": "triage", "model": "gpt-4o", "job_type": "agent.run"});
    let (s, body) = app.post_events(&app.key, &record).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

/// An instant between records received before it and records received after it.
async fn pause() -> DateTime<Utc> {
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let mid = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    mid
}

fn one_day() -> Option<RetentionDays> {
    RetentionDays::parse(1).ok()
}

/// The scheduled purge of `tenant` as the server runs it, at `now`.
async fn purge(app: &TestApp, store: &Store, tenant: &str, now: DateTime<Utc>) -> Option<Purged> {
    purge_tenant(
        store,
        &app.config.signer,
        &app.config.origin,
        tenant,
        now,
        None,
    )
    .await
    .expect("purge")
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = app.api_get(Some(&app.key), path).await;
    (r.status(), r.text().await.expect("body"))
}

/// A signed note's checkpoint, its signature checked with the server's key.
fn checkpoint_of(app: &TestApp, note: &str) -> (u64, Hash) {
    let note = SignedNote::parse(note.as_bytes()).expect("a signed note");
    note.verify(app.config.signer.verifier_key())
        .expect("signed by the server's key");
    let body = Checkpoint::parse(note.text()).expect("a checkpoint");
    assert_eq!(body.origin(), "vigil/t1");
    (body.size(), *body.root())
}

/// The latest checkpoint over the API: its note, size and root.
async fn checkpoint(app: &TestApp) -> (String, u64, Hash) {
    let (s, note) = get(app, "/api/v1/checkpoint").await;
    assert_eq!(s, StatusCode::OK, "{note}");
    let (size, root) = checkpoint_of(app, &note);
    (note, size, root)
}

/// Rows a statement that changes nothing touches: how many rows match.
async fn count(store: &Store, table: &str, condition: &str) -> u64 {
    store
        .execute_raw(&format!(
            "UPDATE {table} SET tenant_id = tenant_id WHERE {condition}"
        ))
        .await
        .expect("count")
}

/// The admin actions of tenant t1 taking `action`, oldest first.
async fn admin_actions(app: &TestApp, action: &str) -> Vec<Value> {
    let (s, v) = app
        .get_events(&app.key, "kind=admin_action&limit=100")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut found: Vec<Value> = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect();
    found.reverse();
    found
}

/// Waits for SQLite's search indexer to catch up (at once on PostgreSQL).
async fn indexed(store: &Store) {
    for _ in 0..200 {
        if store.search_lag().await.expect("lag") == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the search index did not catch up");
}

/// An FTS5 query for the entries holding every trigram of `term` (the index keeps no
/// positions, so no phrases).
fn trigrams(term: &str) -> String {
    let chars: Vec<char> = term.chars().collect();
    chars
        .windows(3)
        .map(|w| format!("\"{}\"", w.iter().collect::<String>()))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// How many records of the search file's AI interactions hold `term` (SQLite).
async fn fts_matches(app: &TestApp, term: &str) -> i64 {
    use sqlx::Connection;
    let path = app.database_url.trim_start_matches("sqlite:");
    let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
        .await
        .expect("open");
    sqlx::query("ATTACH DATABASE $1 AS search")
        .bind(format!("{path}-search"))
        .execute(&mut conn)
        .await
        .expect("attach");
    sqlx::query_scalar(
        "SELECT count(*) FROM search.search_ai_interaction WHERE search_ai_interaction MATCH $1",
    )
    .bind(trigrams(term))
    .fetch_one(&mut conn)
    .await
    .expect("match")
}

/// Records 1–300 old, 301–401 young, a checkpoint between each step: the purge takes
/// 1–300, and every proof a checkpoint signed before it promised still verifies.
async fn a_purge_keeps_the_proofs_and_is_audited(b: Backend) {
    let app = spawn_app(b).await;
    let store = &app.store;
    let cookie = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    store
        .set_retention_days("t1", one_day())
        .await
        .expect("policy");
    // 1: the sign-in; 2–299 AI calls; 300 a job.
    fill(&app, "old", 298).await;
    job(&app, "old_job").await;
    let (early_note, early_size, early_root) = checkpoint(&app).await;
    assert_eq!(early_size, 300);
    let mid = pause().await;
    fill(&app, "new", 100).await;
    job(&app, "new_job").await;
    let (old_note, old_size, old_root) = checkpoint(&app).await;
    assert_eq!(old_size, 401);
    fill(&app, "later", 10).await;
    indexed(store).await;
    let rollups = count(store, "usage_hourly", "tenant_id = 't1'").await;
    assert!(rollups > 0);
    assert_eq!(count(store, "job_heads", "subject = 'old_job'").await, 1);

    let purged = purge(&app, store, "t1", mid + Duration::days(1))
        .await
        .expect("old records to purge");
    assert_eq!(
        (purged.range.first, purged.range.last, purged.count),
        (1, 300, 300)
    );
    // Signed just before the purge, over everything then stored.
    assert_eq!(purged.checkpoint.size, 411);
    assert_eq!(checkpoint_of(&app, &purged.checkpoint.note).0, 411);
    assert!(
        purge(&app, store, "t1", mid + Duration::days(1))
            .await
            .is_none(),
        "nothing more is old enough"
    );

    // A kept record's proof against the checkpoint signed before the purge, the first
    // kept one's too (its path runs through purged leaves).
    for seq in [301_u64, 350, 401] {
        let (s, text) = get(
            &app,
            &format!("/api/v1/proof/inclusion?seq={seq}&size={old_size}"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{text}");
        let proof: Value = serde_json::from_str(&text).expect("json");
        let leaf = store
            .leaf("t1", seq as i64)
            .await
            .expect("read")
            .expect("a kept record's leaf");
        assert_eq!(proof["leaf_hash"], hex::encode(leaf));
        assert_eq!(proof["checkpoint"], old_note.as_str());
        verify_inclusion(
            seq - 1,
            old_size,
            &leaf,
            &hashes(&proof["proof"]),
            &old_root,
        )
        .expect("included in the checkpoint signed before the purge");
    }
    // A purged record has no leaf to prove, and no record to read.
    assert_eq!(store.leaf("t1", 5).await.expect("read"), None);
    let (s, _) = get(&app, "/api/v1/proof/inclusion?seq=5").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The new tree extends both checkpoints signed before the purge.
    let (_, new_size, new_root) = checkpoint(&app).await;
    assert_eq!(new_size, 412, "the purge's own record");
    for (from, root) in [(old_size, old_root), (early_size, early_root)] {
        let (s, text) = get(
            &app,
            &format!("/api/v1/proof/consistency?from={from}&to={new_size}"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{text}");
        let proof: Value = serde_json::from_str(&text).expect("json");
        verify_consistency(from, new_size, &root, &new_root, &hashes(&proof["proof"]))
            .expect("consistent with a checkpoint signed before the purge");
    }
    // Checked against the database, as `vigil verify --checkpoint` does: the purged
    // leaves come from the tiles, the kept ones from the records.
    for note in [&early_note, &old_note, &purged.checkpoint.note] {
        let verdict = store
            .check_checkpoint(note, app.config.signer.verifier_key(), "vigil")
            .await
            .expect("a usable note");
        assert_eq!(verdict.failure, None, "{note}");
    }

    // `vigil verify`: the chain from the first kept record, the tree whole; the run
    // recorded for the Integrity page says where the kept records start.
    let (report, run) = store
        .verify_and_record("t1", app::model::VerifyBy::Cli)
        .await
        .expect("verify");
    assert_eq!((run.ok, run.retained_from), (true, Some(301)));
    assert_eq!(report.failure, None);
    assert_eq!((report.records, report.retained_from), (412, Some(301)));
    assert_eq!(report.tree_root, hex::encode(new_root));
    assert_eq!(
        store.verify("t2").await.expect("verify").retained_from,
        None
    );
    let status = store.retention("t1").await.expect("status");
    assert_eq!((status.days, status.retained_from), (one_day(), Some(301)));
    assert_eq!(
        status.last_purge.map(|t| t.timestamp_millis()),
        Some((mid + Duration::days(1)).timestamp_millis())
    );

    // The purge's own record: Vigil's, tenant-level, saying what went and under which
    // checkpoint.
    let purges = admin_actions(&app, "retention.purge").await;
    let [record] = &purges[..] else {
        panic!("one purge record: {purges:?}");
    };
    assert_eq!(record["seq"], 412);
    assert_eq!(
        (
            &record["actor"],
            &record["actor_type"],
            &record["written_by"]
        ),
        (&json!("vigil"), &json!("system"), &json!("vigil"))
    );
    assert_eq!(record["account_id"], Value::Null);
    assert_eq!(record["resource_type"], "retention");
    assert_eq!(record["event_name"], "Retention purge");
    let new = &record["new_value"];
    assert_eq!(
        (
            &new["policy_days"],
            &new["first_seq"],
            &new["last_seq"],
            &new["count"],
            &new["retained_from"],
            &new["checkpoint_size"]
        ),
        (
            &json!(1),
            &json!(1),
            &json!(300),
            &json!(300),
            &json!(301),
            &json!(411)
        )
    );
    assert_eq!(new["checkpoint"], purged.checkpoint.note.as_str());

    // An export bundle of the whole chain starts at the first kept record and still
    // proves that range complete against the latest checkpoint; one asking for purged
    // records is refused, naming the parameter.
    let r = app
        .api_get(Some(&app.key), "/api/v1/export?format=bundle")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let bundle = r.bytes().await.expect("bundle");
    let report = vigil::bundle::verify::verify(&bundle[..], app.config.signer.verifier_key(), None)
        .expect("the bundle verifies");
    assert_eq!(
        (report.first, report.last, report.records),
        (Some(301), Some(412), 112)
    );
    let r = app
        .api_get(Some(&app.key), "/api/v1/export?format=bundle&seq_from=1")
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["field"], "seq_from", "{body}");

    // Index entries went with the bodies: the Jobs tab's head, the search index (on
    // SQLite a file of its own); usage sums stayed.
    assert_eq!(count(store, "job_heads", "subject = 'old_job'").await, 0);
    assert_eq!(count(store, "job_heads", "subject = 'new_job'").await, 1);
    assert_eq!(
        count(store, "usage_hourly", "tenant_id = 't1'").await,
        rollups
    );
    let search = |term: &str| {
        app.list(
            Some(&cookie),
            json!({"kind": "ai_interaction", "search": term}),
        )
    };
    let (s, body) = search("old-user").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let page: Value = serde_json::from_str(&body).expect("page");
    assert_eq!(page["events"], json!([]), "purged records are not found");
    let (_, body) = search("new-user").await;
    let page: Value = serde_json::from_str(&body).expect("page");
    assert!(!page["events"].as_array().expect("rows").is_empty());
    if matches!(b, Backend::Sqlite) {
        assert_eq!(fts_matches(&app, "old-user").await, 0);
        assert_eq!(fts_matches(&app, "new-user").await, 100);
    }
    // Records appended after the purge are indexed and found as before.
    fill(&app, "after", 5).await;
    indexed(store).await;
    let (_, body) = search("after-user").await;
    let page: Value = serde_json::from_str(&body).expect("page");
    assert_eq!(page["events"].as_array().map(Vec::len), Some(5));
    assert_eq!(store.verify("t1").await.expect("verify").failure, None);
}

/// Every other way to delete a record, or to cut the chain by hand, is refused; a
/// record slipped back into the purged range is named by `verify`.
async fn nothing_else_deletes_a_record(b: Backend) {
    let app = spawn_app(b).await;
    let store = &app.store;
    store
        .set_retention_days("t1", one_day())
        .await
        .expect("policy");
    fill(&app, "old", 50).await;
    let mid = pause().await;
    fill(&app, "new", 50).await;
    // Another tenant, old records and a checkpoint, but no policy.
    for user in ["x", "y"] {
        let (s, body) = app.post_events(&app.key_t2, &ai("b1", user)).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    store
        .sign_checkpoint_of(&app.config.signer, &app.config.origin, "t2")
        .await
        .expect("signed");
    // Old enough, but no cut covers them: the raw DELETE is refused.
    for sql in [
        "DELETE FROM events WHERE tenant_id = 't1' AND seq = 1",
        "DELETE FROM events WHERE tenant_id = 't1' AND seq <= 50",
    ] {
        let err = store.execute_raw(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let purged = purge(&app, store, "t1", mid + Duration::days(1))
        .await
        .expect("purged");
    assert_eq!((purged.range.first, purged.range.last), (1, 50));
    // Covering the head too: the purge's own record, 101.
    let size = store
        .sign_checkpoint_of(&app.config.signer, &app.config.origin, "t1")
        .await
        .expect("signed")
        .expect("a checkpoint")
        .size;
    assert_eq!(size, 101);

    let replace = match b {
        Backend::Sqlite => "INSERT OR REPLACE INTO events SELECT * FROM events WHERE seq = 60",
        Backend::Postgres => {
            "INSERT INTO events SELECT * FROM events WHERE seq = 60 \
             ON CONFLICT (tenant_id, seq) DO UPDATE SET actor = 'mallory'"
        }
    };
    for sql in [
        "DELETE FROM events WHERE tenant_id = 't1' AND seq = 51",
        "DELETE FROM events WHERE tenant_id = 't1'",
        "DELETE FROM events",
        "DELETE FROM events WHERE tenant_id = 't2'",
        "UPDATE events SET actor = 'mallory' WHERE seq = 60",
        replace,
    ] {
        let err = store.execute_raw(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    // Cuts are never changed or removed.
    let mut refused = vec![
        "UPDATE retention_cuts SET upto_seq = upto_seq + 10",
        "DELETE FROM retention_cuts",
    ];
    if matches!(b, Backend::Postgres) {
        refused.push("TRUNCATE retention_cuts");
    }
    for sql in refused {
        let err = store.execute_raw(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    // A cut made by hand gets the purge's checks: each of these breaks one.
    let far = (Utc::now() + Duration::days(30)).timestamp_millis();
    let now = Utc::now().timestamp_millis();
    let cut = |tenant: &str, seq: i64, hash: &str, checkpoint: u64, at: i64| {
        let hash = match hash {
            "its own" => {
                format!("(SELECT hash FROM events WHERE tenant_id = '{tenant}' AND seq = {seq})")
            }
            other => format!("'{other}'"),
        };
        format!(
            "INSERT INTO retention_cuts \
             (tenant_id, upto_seq, last_hash, checkpoint_size, policy_days, purged_at) \
             VALUES ('{tenant}', {seq}, {hash}, {checkpoint}, 1, {at})"
        )
    };
    for (why, sql) in [
        ("shrinks", cut("t1", 40, "x", size, far)),
        ("records too young", cut("t1", 60, "its own", size, now)),
        ("another hash", cut("t1", 60, "x", size, far)),
        ("no checkpoint", cut("t1", 60, "its own", 9_999, far)),
        ("the head", cut("t1", 101, "its own", size, far)),
        ("no policy", cut("t2", 1, "its own", 2, far)),
    ] {
        let err = store.execute_raw(&sql).await.expect_err(why);
        assert!(err.to_string().contains("retention cut"), "{why}: {err}");
    }
    assert_eq!(store.verify("t1").await.expect("verify").failure, None);

    // A record slipped back into the purged range: no leaf, and `verify` names it.
    let columns = "id, tenant_id, account_id, seq, kind, occurred_at, received_at, actor, \
        actor_type, ip, user_agent, written_by, action, status, category, agent, model, \
        subject, tokens_in, tokens_out, cost_micros, credits_micros, executions, body, \
        prev_hash, hash";
    let copied = columns
        .replacen("id, ", "'put-back', ", 1)
        .replacen(", seq,", ", 5,", 1);
    store
        .execute_raw(&format!(
            "INSERT INTO events ({columns}) SELECT {copied} FROM events \
             WHERE tenant_id = 't1' AND seq = 70"
        ))
        .await
        .expect("an insert below the cut");
    assert_eq!(store.leaf("t1", 5).await.expect("read"), None);
    let failure = store
        .verify("t1")
        .await
        .expect("verify")
        .failure
        .expect("caught");
    assert_eq!(failure.seq, 5);
    assert!(failure.reason.contains("retention purged"), "{failure:?}");
    // Below the cut, a delete is what the database allows: the range is clean again.
    store
        .execute_raw("DELETE FROM events WHERE tenant_id = 't1' AND seq = 5")
        .await
        .expect("below the cut");
    let report = store.verify("t1").await.expect("verify");
    assert_eq!((report.failure, report.retained_from), (None, Some(51)));
}

/// Only a tenant admin sets the policy, within bounds, and each change is audited; an
/// account admin and an ingest key cannot, and no key can forge a purge's record.
async fn only_tenant_admins_set_the_policy(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("session");
    let account_admin = app.sign_in("a1@t1.test", PASSWORD).await.expect("session");

    let (s, body) = app.call::<Retention>(Some(&account_admin), &[]).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let status: RetentionStatus = serde_json::from_str(&body).expect("status");
    assert_eq!(status, RetentionStatus::default());
    let (s, body) = app
        .call::<SetRetention>(Some(&account_admin), &[("days", "30")])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        serde_json::from_str::<ConsoleError>(&body).ok(),
        Some(ConsoleError::Forbidden)
    );
    // Server functions answer sessions only: a key is nobody to them.
    let path = <SetRetention as leptos::server_fn::ServerFn>::PATH;
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(&app.key)
        .form(&[("days", "30")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.store.retention_days("t1").await.expect("read"), None);

    for bad in ["0", "36501", "-1", "1.5", "a lot"] {
        let (s, body) = app
            .call::<SetRetention>(Some(&admin), &[("days", bad)])
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(
            matches!(serde_json::from_str(&body), Ok(ConsoleError::Invalid { ref field, .. }) if field == "days"),
            "{bad}: {body}"
        );
    }
    for (days, expect) in [("30", Some(30)), ("30", Some(30)), ("", None)] {
        let (s, body) = app
            .call::<SetRetention>(Some(&admin), &[("days", days)])
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (s, body) = app.call::<Retention>(Some(&admin), &[]).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let status: RetentionStatus = serde_json::from_str(&body).expect("status");
        assert_eq!(status.days.map(RetentionDays::days), expect);
    }
    // Two changes, two records (setting 30 twice changed nothing the second time).
    let changes: Vec<(Value, Value, Value)> = admin_actions(&app, "retention.set")
        .await
        .into_iter()
        .map(|e| {
            assert_eq!(e["actor"], "tenant@t1.test");
            assert_eq!(e["account_id"], Value::Null);
            (
                e["event_name"].clone(),
                e["old_value"]["days"].clone(),
                e["new_value"]["days"].clone(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            (json!("Retention policy set"), Value::Null, json!(30)),
            (json!("Retention policy set"), json!(30), Value::Null),
        ]
    );

    // The purge's record is Vigil's alone.
    let forged = json!({"kind": "admin_action", "account_id": "a1", "action": "retention.purge",
        "resource_type": "retention", "event_name": "Retention purge",
        "new_value": {"first_seq": 1, "last_seq": 2}});
    let (s, body) = app.post_events(&app.key, &forged).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "event_name", "{body}");
}

/// A purge longer than a batch commits batch by batch, each under a cut of its own,
/// and leaves a tree whose purged leaves (ending inside a tile) still add up.
async fn a_long_purge_goes_in_batches(b: Backend) {
    let app = spawn_app(b).await;
    let store = &app.store;
    store
        .set_retention_days("t1", one_day())
        .await
        .expect("policy");
    for round in 0..11 {
        let n = if round < 10 { 1000 } else { 250 };
        fill(&app, &format!("r{round}"), n).await;
    }
    let mid = pause().await;
    fill(&app, "new", 10).await;
    let (_, size, root) = checkpoint(&app).await;
    let purged = purge(&app, store, "t1", mid + Duration::days(1))
        .await
        .expect("purged");
    assert_eq!(
        (purged.range.first, purged.range.last, purged.count),
        (1, 10_250, 10_250)
    );
    let report = store.verify("t1").await.expect("verify");
    assert_eq!(report.failure, None);
    assert_eq!(
        (report.records, report.retained_from),
        (10_261, Some(10_251))
    );
    let leaf = store.leaf("t1", 10_251).await.expect("read").expect("kept");
    let proof = store
        .inclusion_proof("t1", 10_250, size)
        .await
        .expect("proof");
    verify_inclusion(10_250, size, &leaf, &proof, &root).expect("included");
}

/// PostgreSQL served by the role `vigil migrate --grant` makes: it runs the scheduled
/// purge, and still cannot delete a kept record nor touch a cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serving_role_purges_and_nothing_more() {
    let app = spawn_app(Backend::Postgres).await;
    let serving = crate::common::serving_role(&app).await;
    serving
        .set_retention_days("t1", one_day())
        .await
        .expect("policy");
    fill(&app, "old", 20).await;
    let mid = pause().await;
    fill(&app, "new", 20).await;
    let purged = purge(&app, &serving, "t1", mid + Duration::days(1))
        .await
        .expect("purged");
    assert_eq!((purged.range.last, purged.count), (20, 20));
    for sql in [
        "DELETE FROM events WHERE tenant_id = 't1' AND seq = 30",
        "DELETE FROM retention_cuts",
        "UPDATE retention_cuts SET upto_seq = 30",
        "TRUNCATE retention_cuts",
        "ALTER TABLE events DISABLE TRIGGER ALL",
    ] {
        let err = serving.execute_raw(sql).await.expect_err(sql);
        let text = err.to_string();
        assert!(
            text.contains("append-only")
                || text.contains("permission denied")
                || text.contains("must be owner"),
            "{sql}: {text}"
        );
    }
    let report = serving.verify("t1").await.expect("verify");
    assert_eq!((report.failure, report.retained_from), (None, Some(21)));
    serving.close().await;
}

/// With an archive folder, the purged range is first written as range bundles, which
/// both verifiers accept as complete.
async fn purged_ranges_are_archived_as_bundles(b: Backend) {
    let app = spawn_app(b).await;
    let store = &app.store;
    fill(&app, "old", 30).await;
    let cut = pause().await;
    fill(&app, "new", 5).await;
    store
        .set_retention_days("t1", one_day())
        .await
        .expect("policy");
    let dir = std::env::temp_dir().join(format!("vigil-archive-{}", uuid::Uuid::now_v7()));
    let purged = purge_tenant(
        store,
        &app.config.signer,
        &app.config.origin,
        "t1",
        cut + Duration::days(1),
        Some(&dir),
    )
    .await
    .expect("purge")
    .expect("purged");
    assert_eq!((purged.range.first, purged.range.last), (1, 30));
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("archive folder")
        .map(|f| f.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().and_then(|n| n.to_str()).unwrap_or("");
    assert_eq!(name, "t1-000000000001-000000000030.bundle.jsonl");
    let bundle = std::fs::read_to_string(&files[0]).expect("archive");
    let key = crate::bundles::public_key(&app).await;
    crate::bundles::assert_accepted(&bundle, &key, "complete");
    assert!(bundle.contains("old-user29") && !bundle.contains("new-user0"));
    let _ = std::fs::remove_dir_all(&dir);
}

on_both_backends!(
    purged_ranges_are_archived_as_bundles,
    a_purge_keeps_the_proofs_and_is_audited,
    nothing_else_deletes_a_record,
    only_tenant_admins_set_the_policy,
    a_long_purge_goes_in_batches,
);
