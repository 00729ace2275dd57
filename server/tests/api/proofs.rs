//! Each tenant's records form a Merkle tree, grown with them: its proofs verify, its
//! tiles cannot be rewritten through the database's front door, and `verify` notices
//! tiles rewritten behind it.

use crate::common::{ai, spawn_app, Backend, TestApp};
use crate::on_both_backends;
use app::merkle::{verify_consistency, verify_inclusion};
use app::store::Store;
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

on_both_backends!(
    the_tree_follows_the_chain_and_its_proofs_verify,
    tiles_only_grow,
    verify_catches_altered_tiles_and_a_lost_tree_is_rebuilt,
);
