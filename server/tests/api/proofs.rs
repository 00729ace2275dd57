//! Each tenant's records form a Merkle tree, grown with them: its proofs verify, its
//! tiles cannot be rewritten through the database's front door, and `verify` notices
//! tiles rewritten behind it.

use crate::common::{ai, hashes, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use app::merkle::note::{Checkpoint, SignedNote, VerifierKey};
use app::merkle::{verify_consistency, verify_inclusion, Hash};
use app::model::WrittenBy;
use app::store::{NewEvent, Store};
use reqwest::StatusCode;
use serde_json::Value;

async fn fill(app: &TestApp, n: usize) {
    let batch: Vec<Value> = (0..n).map(|i| ai("a1", &format!("user{i}"))).collect();
    let (s, body) = app.post_events(&app.key, &Value::Array(batch)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

async fn the_tree_follows_the_chain_and_its_proofs_verify(b: Backend) {
    let app = spawn_app(b).await;
    for n in [300, 1, 400] {
        fill(&app, n).await;
    }
    let store = &app.store;
    assert_eq!(store.tree_size("t1").await.expect("size"), 701);
    let report = store.verify("t1").await.expect("verify");
    assert_eq!((report.records, report.failure), (701, None));
    let root = store.tree_root("t1", 701).await.expect("root");
    let hex: String = root.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(report.tree_root, hex);
    for index in [0_u64, 1, 255, 256, 299, 300, 511, 512, 700] {
        let leaf = store
            .leaf("t1", index as i64 + 1)
            .await
            .expect("read")
            .expect("a leaf");
        let proof = store
            .inclusion_proof("t1", index, 701)
            .await
            .expect("proof");
        verify_inclusion(index, 701, &leaf, &proof, &root).expect("inclusion");
        // The same proof shows nothing about a neighbour.
        let other = store
            .leaf("t1", ((index + 1) % 701) as i64 + 1)
            .await
            .expect("read");
        assert!(verify_inclusion(index, 701, &other.expect("leaf"), &proof, &root).is_err());
    }
    for old in [1_u64, 255, 256, 300, 301, 700, 701] {
        let old_root = store.tree_root("t1", old).await.expect("old root");
        let proof = store
            .consistency_proof("t1", old, 701)
            .await
            .expect("proof");
        verify_consistency(old, 701, &old_root, &root, &proof).expect("consistent");
    }
    assert!(
        store.inclusion_proof("t1", 0, 702).await.is_err(),
        "past the tree"
    );
    assert!(
        store.inclusion_proof("t1", 701, 701).await.is_err(),
        "past the size"
    );
}

async fn tiles_only_grow(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app, 300).await;
    let mut refused = vec![
        "UPDATE merkle_tiles SET width = width",
        "UPDATE merkle_tiles SET hashes = hashes WHERE width = 256",
        "DELETE FROM merkle_tiles",
    ];
    refused.push(match b {
        Backend::Sqlite => "INSERT OR REPLACE INTO merkle_tiles SELECT * FROM merkle_tiles",
        Backend::Postgres => "TRUNCATE merkle_tiles",
    });
    for sql in refused {
        let err = app.store.execute_raw(sql).await.expect_err(sql);
        assert!(err.to_string().contains("only grow"), "{sql}: {err}");
    }
    let report = app.store.verify("t1").await.expect("verify");
    assert_eq!(report.failure, None);
}

/// What an owner can do behind the triggers: `verify` catches an altered tile, and a
/// tree removed altogether is rebuilt from the records when the store next opens.
async fn verify_catches_altered_tiles_and_a_lost_tree_is_rebuilt(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app, 600).await;
    let root = app.store.tree_root("t1", 600).await.expect("root");
    let (off, on) = match b {
        Backend::Sqlite => (
            "DROP TRIGGER IF EXISTS merkle_tiles_grow_only; DROP TRIGGER IF EXISTS merkle_tiles_no_delete;",
            "",
        ),
        Backend::Postgres => (
            "ALTER TABLE merkle_tiles DISABLE TRIGGER USER;",
            "ALTER TABLE merkle_tiles ENABLE TRIGGER USER;",
        ),
    };
    let flip = match b {
        Backend::Sqlite => {
            "UPDATE merkle_tiles SET hashes = zeroblob(8192) WHERE level = 0 AND idx = 1"
        }
        Backend::Postgres => {
            "UPDATE merkle_tiles SET hashes = decode(repeat('00', 8192), 'hex') \
             WHERE level = 0 AND idx = 1"
        }
    };
    app.store
        .execute_raw(&format!("{off} {flip}; {on}"))
        .await
        .expect("behind the triggers");
    let report = app.store.verify("t1").await.expect("verify");
    let failure = report.failure.expect("caught");
    assert!(failure.reason.contains("tiles were altered"), "{failure:?}");

    app.store
        .execute_raw(&format!(
            "{off} DELETE FROM merkle_tiles; UPDATE chain_heads SET tree_size = 0; {on}"
        ))
        .await
        .expect("behind the triggers");
    let reopened = Store::connect(&app.database_url).await.expect("reopen");
    assert_eq!(reopened.tree_size("t1").await.expect("size"), 600);
    assert_eq!(reopened.tree_root("t1", 600).await.expect("root"), root);
    assert_eq!(reopened.verify("t1").await.expect("verify").failure, None);
}

/// The API's answer to `GET path` as text.
async fn get(app: &TestApp, key: Option<&str>, path: &str) -> (StatusCode, String) {
    let r = app.api_get(key, path).await;
    (r.status(), r.text().await.expect("body"))
}

/// The latest checkpoint, verified with the served public key: its size and root.
async fn checkpoint(app: &TestApp, key: &VerifierKey) -> (u64, Hash) {
    let (s, text) = get(app, Some(&app.key), "/api/v1/checkpoint").await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let note = SignedNote::parse(text.as_bytes()).expect("a signed note");
    note.verify(key).expect("signed by the served key");
    let body = Checkpoint::parse(note.text()).expect("a checkpoint");
    assert_eq!(body.origin(), "vigil/t1");
    (body.size(), *body.root())
}

/// Checkpoints are signed by the served key, and the proofs served verify against them.
async fn checkpoints_are_signed_and_proofs_verify_against_them(b: Backend) {
    let app = spawn_app(b).await;
    let (s, text) = get(&app, None, "/api/v1/public-key").await;
    assert_eq!(s, StatusCode::OK);
    let key = VerifierKey::parse(text.trim()).expect("a verifier key");
    fill(&app, 300).await;
    let mine = serde_json::json!({"kind": "system_event", "account_id": "a1", "type": "t",
        "severity": "info", "description": "d", "id": "0190f5a0-0000-7000-8000-000000000077"});
    let (s, stored) = app.post_events(&app.key, &mine).await;
    assert_eq!(s, StatusCode::CREATED, "{stored}");
    let (size, root) = checkpoint(&app, &key).await;
    assert_eq!(size, 301);

    let (s, text) = get(
        &app,
        Some(&app.key),
        "/api/v1/proof/inclusion?id=0190f5a0-0000-7000-8000-000000000077",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let proof: Value = serde_json::from_str(&text).expect("json");
    let leaf = app
        .store
        .leaf("t1", 301)
        .await
        .expect("read")
        .expect("leaf");
    assert_eq!(proof["leaf_hash"], hex::encode(leaf));
    assert_eq!(
        (proof["leaf_index"].as_u64(), proof["tree_size"].as_u64()),
        (Some(300), Some(301))
    );
    verify_inclusion(300, 301, &leaf, &hashes(&proof["proof"]), &root).expect("included");
    assert!(proof["checkpoint"]
        .as_str()
        .is_some_and(|c| c.contains("vigil/t1\n301\n")));

    fill(&app, 100).await;
    let (new_size, new_root) = checkpoint(&app, &key).await;
    assert_eq!(new_size, 401);
    let (s, text) = get(
        &app,
        Some(&app.key),
        &format!("/api/v1/proof/consistency?from={size}"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let proof: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(proof["to"], 401);
    verify_consistency(size, new_size, &root, &new_root, &hashes(&proof["proof"]))
        .expect("consistent");
    let (_, text) = get(&app, Some(&app.key), "/api/v1/checkpoints").await;
    let history: Value = serde_json::from_str(&text).expect("json");
    let sizes: Vec<u64> = history["checkpoints"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["size"].as_u64())
        .collect();
    assert_eq!(sizes, vec![401, 301]);

    // Scope, and refusals that name their parameter.
    let (s, _) = get(&app, Some(&app.key_a2), "/api/v1/proof/inclusion?seq=301").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another account's record");
    let (s, _) = get(&app, Some(&app.key_t2), "/api/v1/proof/inclusion?seq=301").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another tenant's record");
    for (query, field) in [
        ("/api/v1/proof/inclusion?seq=301&size=300", "size"),
        ("/api/v1/proof/inclusion?seq=1&size=999", "size"),
        ("/api/v1/proof/inclusion?seq=1&colour=red", "colour"),
        ("/api/v1/proof/inclusion?size=5", "id"),
        ("/api/v1/proof/consistency?from=9&to=3", "to"),
        ("/api/v1/proof/consistency?from=-1", "from"),
        ("/api/v1/checkpoints?limit=0", "limit"),
    ] {
        let (s, text) = get(&app, Some(&app.key), query).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {text}");
        let body: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(body["field"], field, "{query}: {text}");
    }
    let (s, _) = get(&app, None, "/api/v1/checkpoint").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // The console's download: the same proof for a signed-in user of the record's scope.
    let a1 = app
        .sign_in("a1@t1.test", crate::common::PASSWORD)
        .await
        .expect("session");
    let r = app.page("/proof?seq=301", Some(&a1)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("attachment")));
    let download: Value = r.json().await.expect("json");
    assert_eq!(download["seq"], 301);
    assert_eq!(download["public_key"], key.to_string());
    // Everything needed offline is in the file: the proof, the checkpoint, the key.
    let note = SignedNote::parse(download["checkpoint"].as_str().expect("note").as_bytes())
        .expect("a signed note");
    note.verify(&key).expect("signed");
    let body = Checkpoint::parse(note.text()).expect("checkpoint");
    assert_eq!(download["tree_size"].as_u64(), Some(body.size()));
    verify_inclusion(
        300,
        body.size(),
        &leaf,
        &hashes(&download["proof"]),
        body.root(),
    )
    .expect("included");
    let a2 = app
        .sign_in("a2@t1.test", crate::common::PASSWORD)
        .await
        .expect("session");
    assert_eq!(
        app.page("/proof?seq=301", Some(&a2)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.page("/proof?seq=301", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    for sql in [
        "UPDATE checkpoints SET note = ''",
        "DELETE FROM checkpoints",
    ] {
        let err = app.store.execute_raw(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

/// What a database owner can do: records 251..300 removed behind the triggers, the tree
/// and head stepped back, and 50 other records appended in their place, so that every
/// hash, the head and every tile agree. Returns the store reopened on it.
async fn rewrite_tail(app: &TestApp, b: Backend) -> Store {
    let off = match b {
        Backend::Sqlite => {
            "DROP TRIGGER IF EXISTS events_no_delete; DROP TRIGGER IF EXISTS events_no_update; \
             DROP TRIGGER IF EXISTS merkle_tiles_grow_only; DROP TRIGGER IF EXISTS merkle_tiles_no_delete;"
        }
        Backend::Postgres => {
            "ALTER TABLE events DISABLE TRIGGER USER; ALTER TABLE merkle_tiles DISABLE TRIGGER USER;"
        }
    };
    app.store
        .execute_raw(&format!(
            "{off} DELETE FROM events WHERE tenant_id = 't1' AND seq > 250; \
             DELETE FROM merkle_tiles WHERE tenant_id = 't1'; \
             UPDATE chain_heads SET seq = 250, tree_size = 0, \
               hash = (SELECT hash FROM events WHERE tenant_id = 't1' AND seq = 250) \
             WHERE tenant_id = 't1';"
        ))
        .await
        .expect("behind the triggers");
    // The tree is rebuilt from what is left, and new records take the old positions.
    let store = Store::connect(&app.database_url).await.expect("reopen");
    let batch: Vec<NewEvent> = (0..50)
        .map(|i| {
            let body = ai("a1", &format!("forged{i}")).to_string();
            let (mut events, _) = vigil::api::ingest::decode(
                body.as_bytes(),
                &vigil::api::record::WriterScope { account_id: None },
                &|_, _| None,
            )
            .expect("decodes");
            events.remove(0)
        })
        .collect();
    store
        .append("t1", &WrittenBy::Vigil, &batch)
        .await
        .expect("appended");
    store
}

/// An owner rewrites the tail of a tenant's history consistently: the last records
/// removed and others appended in their place, so every hash, the head and every tile
/// agree, and `verify` passes. A checkpoint saved before catches it.
async fn a_checkpoint_saved_earlier_catches_a_consistent_rewrite(b: Backend) {
    let app = spawn_app(b).await;
    let (_, text) = get(&app, None, "/api/v1/public-key").await;
    let key = VerifierKey::parse(text.trim()).expect("key");
    // Vigil signs at 200 and 260 on the way (as its schedule would); the auditor
    // saves the checkpoint at 300.
    for n in [200, 60] {
        fill(&app, n).await;
        let (s, _) = get(&app, Some(&app.key), "/api/v1/checkpoint").await;
        assert_eq!(s, StatusCode::OK);
    }
    fill(&app, 40).await;
    let (s, saved) = get(&app, Some(&app.key), "/api/v1/checkpoint").await;
    assert_eq!(s, StatusCode::OK);
    let honest = app
        .store
        .check_checkpoint(&saved, &key, "vigil")
        .await
        .expect("usable");
    assert_eq!(
        (honest.tenant_id.as_str(), honest.size, honest.failure),
        ("t1", 300, None)
    );

    let store = rewrite_tail(&app, b).await;
    let report = store.verify("t1").await.expect("verify");
    assert_eq!((report.records, report.failure), (300, None), "consistent");

    let verdict = store
        .check_checkpoint(&saved, &key, "vigil")
        .await
        .expect("usable");
    let failure = verdict.failure.expect("caught");
    assert!(failure.contains("rewritten"), "{failure}");
    // Records from 251 on were rewritten: the trees agree at 200 and part at 260.
    assert!(
        failure.contains("first disagree at size 260 (they agree at 200")
            && failure.contains("between 201 and 260"),
        "{failure}"
    );
    // A note it cannot use is refused as such.
    let other = app::merkle::note::NoteSigner::generate("vigil").expect("key");
    assert!(store
        .check_checkpoint(&saved, other.verifier_key(), "vigil")
        .await
        .is_err());
    assert!(store
        .check_checkpoint(&saved, &key, "elsewhere")
        .await
        .is_err());
    assert!(store
        .check_checkpoint("not a note", &key, "vigil")
        .await
        .is_err());
}

/// A witness cosigns a checkpoint only if it extends the last one it cosigned: honest
/// growth is cosigned, a rewritten history is refused, naming it.
async fn a_witness_cosigns_growth_and_refuses_a_rewrite(b: Backend) {
    let app = spawn_app(b).await;
    let (_, text) = get(&app, None, "/api/v1/public-key").await;
    let dir = std::env::temp_dir().join(format!("vigil-witness-{}", uuid::Uuid::now_v7()));
    let witness = vigil::witness::Witness {
        url: app.base.clone(),
        api_key: app.key.clone(),
        log_key: VerifierKey::parse(text.trim()).expect("key"),
        dir: dir.clone(),
        name: "witness.test".into(),
    };
    let client = reqwest::Client::new();
    use vigil::witness::{Round, Sent};
    fill(&app, 300).await;
    // This Vigil has not registered the witness: it refuses the cosignature sent back,
    // and the witness goes on (witnesses.rs has the registered case).
    assert!(matches!(
        witness.round(&client).await.expect("first"),
        Round::Cosigned {
            size: 300,
            sent: Sent::Failed(_)
        }
    ));
    assert!(matches!(
        witness.round(&client).await.expect("again"),
        Round::Unchanged {
            size: 300,
            sent: Some(Sent::Failed(_))
        }
    ));
    fill(&app, 20).await;
    assert!(matches!(
        witness.round(&client).await.expect("grown"),
        Round::Cosigned { size: 320, .. }
    ));
    // The cosigned note verifies with the witness's public key and the log's.
    let seen = witness.seen().expect("read").expect("seen");
    let note = SignedNote::parse(seen.note.as_bytes()).expect("note");
    let verified = note
        .verify(&witness.public_key().expect("key"))
        .expect("cosigned");
    assert!(
        verified.timestamp.is_some(),
        "a cosignature carries its time"
    );
    note.verify(&witness.log_key).expect("still the log's");

    // A rewrite of records the witness already vouched for: 301..320 go too.
    let store = rewrite_tail(&app, b).await;
    fill(&app, 40).await;
    assert_eq!(store.tree_size("t1").await.expect("size"), 340);
    let err = witness.round(&client).await.expect_err("refused");
    assert!(format!("{err:#}").contains("REWRITE"), "{err:#}");
    assert_eq!(
        witness.seen().expect("read").expect("seen").size,
        320,
        "nothing cosigned"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

on_both_backends!(
    a_witness_cosigns_growth_and_refuses_a_rewrite,
    a_checkpoint_saved_earlier_catches_a_consistent_rewrite,
    checkpoints_are_signed_and_proofs_verify_against_them,
    the_tree_follows_the_chain_and_its_proofs_verify,
    tiles_only_grow,
    verify_catches_altered_tiles_and_a_lost_tree_is_rebuilt,
);
