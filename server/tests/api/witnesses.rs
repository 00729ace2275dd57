//! Witnesses send their cosignatures back: Vigil keeps one only when the note is a
//! checkpoint it signed for the key's tenant and the cosignature verifies with a key
//! the operator registered, and shows how far each witness has got.

use crate::common::{ai, json_of, spawn_app_with, Backend, TestApp};
use crate::on_both_backends;
use app::merkle::note::{Checkpoint, Cosigner, NoteSigner, SignedNote, VerifierKey};
use reqwest::StatusCode;
use serde_json::Value;
use std::path::PathBuf;
use vigil::witness::{Round, Sent, Witness};

async fn fill(app: &TestApp, n: usize) {
    let batch: Vec<Value> = (0..n).map(|i| ai("a1", &format!("user{i}"))).collect();
    let (s, body) = app.post_events(&app.key, &Value::Array(batch)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

fn temp_dir() -> PathBuf {
    std::env::temp_dir().join(format!("vigil-witness-{}", uuid::Uuid::now_v7()))
}

/// A witness of `app`'s tenant t1 keeping its files in `dir`.
async fn witness_of(app: &TestApp, dir: PathBuf) -> Witness {
    let text = app
        .api_get(None, "/api/v1/public-key")
        .await
        .text()
        .await
        .expect("key");
    Witness {
        url: app.base.clone(),
        api_key: app.key.clone(),
        log_key: VerifierKey::parse(text.trim()).expect("key"),
        dir,
        name: "witness.test".into(),
    }
}

/// `POST /api/v1/checkpoint/cosignature` with `note` as `key`.
async fn post_note(
    app: &TestApp,
    key: Option<&str>,
    note: impl Into<reqwest::Body>,
) -> (StatusCode, Value) {
    let mut r = app
        .client
        .post(format!("{}/api/v1/checkpoint/cosignature", app.base))
        .header("content-type", "text/plain")
        .body(note);
    if let Some(k) = key {
        r = r.bearer_auth(k);
    }
    json_of(r.send().await.expect("request")).await
}

async fn witnesses(app: &TestApp, key: &str) -> Value {
    let (s, body) = json_of(app.api_get(Some(key), "/api/v1/witnesses").await).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body
}

/// A registered witness's round trip: cosigned, sent back, kept, shown with its lag;
/// sending it again changes nothing; what is kept cannot be changed.
async fn a_witness_sends_its_cosignature_back(b: Backend) {
    let dir = temp_dir();
    let key = vigil::witness::public_key(&dir, "witness.test").expect("witness key");
    let silent = Cosigner::generate("silent.test").expect("key");
    let registered = vec![key.clone(), silent.verifier_key().clone()];
    let app = spawn_app_with(b, |c| c.witnesses = registered).await;
    let witness = witness_of(&app, dir.clone()).await;
    let client = reqwest::Client::new();
    fill(&app, 300).await;
    assert_eq!(
        witness.round(&client).await.expect("first"),
        Round::Cosigned {
            size: 300,
            sent: Sent::Accepted
        }
    );
    assert_eq!(
        witness.round(&client).await.expect("again"),
        Round::Unchanged {
            size: 300,
            sent: None
        },
        "accepted once, not sent again"
    );
    let status = witnesses(&app, &app.key).await;
    assert_eq!(status["latest_size"], 300, "{status}");
    let list = status["witnesses"].as_array().expect("list");
    assert_eq!(list.len(), 2, "{status}");
    assert_eq!(
        (&list[0]["witness"], &list[0]["size"], &list[0]["behind"]),
        (&"witness.test".into(), &300.into(), &0.into()),
        "{status}"
    );
    assert!(list[0]["cosigned_at"].is_string() && list[0]["received_at"].is_string());
    assert_eq!(list[1]["witness"], "silent.test");
    assert_eq!(list[1]["registered"], true);
    assert!(list[1]["size"].is_null(), "nothing from it yet: {status}");

    // The log grows: the lag shows until the witness's next round.
    fill(&app, 20).await;
    app.api_get(Some(&app.key), "/api/v1/checkpoint").await;
    assert_eq!(
        witnesses(&app, &app.key).await["witnesses"][0]["behind"],
        20
    );
    assert_eq!(
        witness.round(&client).await.expect("grown"),
        Round::Cosigned {
            size: 320,
            sent: Sent::Accepted
        }
    );
    let status = witnesses(&app, &app.key).await;
    assert_eq!(
        (&status["latest_size"], &status["witnesses"][0]["size"]),
        (&320.into(), &320.into()),
        "{status}"
    );
    // Another tenant sees its own tree, and no witness's word on it.
    let other = witnesses(&app, &app.key_t2).await;
    assert_eq!(other["latest_size"], 0);
    assert!(other["witnesses"]
        .as_array()
        .expect("list")
        .iter()
        .all(|w| w["size"].is_null()));

    // The same note again: kept as first received.
    let seen = witness.seen().expect("read").expect("seen");
    assert!(seen.sent);
    let (s, body) = post_note(&app, Some(&app.key), seen.note.clone()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["cosignatures"][0]["new"], false, "{body}");
    assert_eq!(body["cosignatures"][0]["witness"], "witness.test");
    let line = seen.note.lines().last().expect("the cosignature line");
    assert_eq!(body["cosignatures"][0]["signature"], line);
    for sql in [
        "UPDATE witness_cosignatures SET size = 1",
        "DELETE FROM witness_cosignatures",
    ] {
        let err = app.store.execute_raw(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A witness the operator did not register is refused, naming its key; the witness
/// keeps what it cosigned, goes on, and sends it again next round.
async fn an_unregistered_witness_is_refused_and_goes_on(b: Backend) {
    let app = spawn_app_with(b, |_| {}).await;
    let dir = temp_dir();
    let witness = witness_of(&app, dir.clone()).await;
    let client = reqwest::Client::new();
    fill(&app, 10).await;
    let Round::Cosigned {
        size: 10,
        sent: Sent::Failed(why),
    } = witness.round(&client).await.expect("cosigned all the same")
    else {
        panic!("the Vigil refuses it");
    };
    let key = witness.public_key().expect("key");
    let name_and_id = format!("{}+{:08x}", key.name(), key.key_id());
    assert!(
        why.contains("400") && why.contains("\"field\":\"witness\"") && why.contains(&name_and_id),
        "{why}"
    );
    let seen = witness.seen().expect("read").expect("kept");
    assert_eq!((seen.size, seen.sent), (10, false));
    assert!(matches!(
        witness.round(&client).await.expect("again"),
        Round::Unchanged {
            size: 10,
            sent: Some(Sent::Failed(_))
        }
    ));
    let status = witnesses(&app, &app.key).await;
    assert_eq!(status["witnesses"], serde_json::json!([]), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Forged or misdirected cosignatures are refused with 400 naming what failed.
async fn forged_cosignatures_are_refused_naming_what_failed(b: Backend) {
    let witness = Cosigner::from_seed("witness.test", [7; 32]).expect("key");
    let registered = vec![witness.verifier_key().clone()];
    let app = spawn_app_with(b, |c| c.witnesses = registered).await;
    fill(&app, 300).await;
    let served = app
        .api_get(Some(&app.key), "/api/v1/checkpoint")
        .await
        .text()
        .await
        .expect("note");
    let now = chrono::Utc::now().timestamp() as u64;
    let cosigned = |note: &str, by: &Cosigner, time: u64| {
        let mut note = SignedNote::parse(note.as_bytes()).expect("note");
        note.add(by.cosign(note.text(), time).expect("cosign"));
        note.to_string()
    };
    let good = cosigned(&served, &witness, now);

    // Another key of the same name; the registered key's line with a flipped byte.
    let impostor = Cosigner::from_seed("witness.test", [8; 32]).expect("key");
    let mut tampered = good.clone();
    let at = tampered.len() - 10;
    let flipped = if &tampered[at..=at] == "A" { "B" } else { "A" };
    tampered.replace_range(at..=at, flipped);
    // A checkpoint Vigil never signed: another root, signed by another key of its name.
    let body = Checkpoint::parse(SignedNote::parse(served.as_bytes()).expect("n").text())
        .expect("checkpoint");
    let forged_body = Checkpoint::new(body.origin(), 300, [9; 32])
        .expect("checkpoint")
        .body();
    let mut forged = SignedNote::new(forged_body.clone()).expect("note");
    forged.add(
        NoteSigner::generate("vigil")
            .expect("key")
            .sign(&forged_body)
            .expect("sign"),
    );
    let forged = cosigned(&forged.to_string(), &witness, now);
    // A size Vigil signed no checkpoint at, and one past its latest.
    let at_size = |size: u64| {
        let text = Checkpoint::new(body.origin(), size, *body.root())
            .expect("checkpoint")
            .body();
        let mut note = SignedNote::new(text.clone()).expect("note");
        note.add(
            NoteSigner::generate("vigil")
                .expect("key")
                .sign(&text)
                .expect("sign"),
        );
        cosigned(&note.to_string(), &witness, now)
    };
    // The checkpoint without the log's signature line.
    let unsigned = {
        let (text, lines) = good.split_once("\n\n").expect("note");
        let line = lines.lines().last().expect("line");
        format!("{text}\n\n{line}\n")
    };
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "another key of its name",
            cosigned(&served, &impostor, now),
            "witness",
            "not a registered witness key",
        ),
        (
            "a good line beside an unknown one",
            cosigned(&good, &impostor, now),
            "witness",
            "not a registered witness key",
        ),
        ("a flipped byte", tampered, "cosignature", "does not verify"),
        (
            "dated ahead",
            cosigned(&served, &witness, now + 3600),
            "cosignature",
            "ahead of Vigil's clock",
        ),
        (
            "no cosignature",
            served.clone(),
            "cosignature",
            "no cosignature",
        ),
        (
            "a checkpoint Vigil never signed",
            forged,
            "note",
            "differs from the checkpoint Vigil signed",
        ),
        (
            "a size never signed",
            at_size(150),
            "note",
            "no checkpoint of size 150",
        ),
        (
            "a size past the latest",
            at_size(999),
            "note",
            "past the latest checkpoint",
        ),
        (
            "the log's signature removed",
            unsigned,
            "note",
            "log's signature",
        ),
        ("not a note", "hello".into(), "note", "not a signed note"),
    ];
    for (case, note, field, words) in cases {
        let (s, body) = post_note(&app, Some(&app.key), note).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{case}: {body}");
        assert_eq!(body["field"], field, "{case}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{case}: {body}");
    }
    // Another tenant's key: the checkpoint is not of its tree.
    let (s, body) = post_note(&app, Some(&app.key_t2), good.clone()).await;
    assert_eq!(
        (s, &body["field"]),
        (StatusCode::BAD_REQUEST, &"note".into()),
        "{body}"
    );
    let (s, _) = post_note(&app, None, good.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, body) = post_note(&app, Some(&app.key), "x".repeat(65 * 1024)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let (s, body) = post_note(&app, Some(&app.key), vec![0xff, 0xfe]).await;
    assert_eq!(
        (s, &body["field"]),
        (StatusCode::BAD_REQUEST, &"note".into()),
        "{body}"
    );

    // None of them was kept, not even the good line beside an unknown one; the genuine
    // note is, with its own time.
    let status = witnesses(&app, &app.key).await;
    assert!(status["witnesses"][0]["size"].is_null(), "{status}");
    let (s, body) = post_note(&app, Some(&app.key), format!("\n{good}\n")).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["size"], 300);
    let at = chrono::DateTime::from_timestamp(now as i64, 0).expect("time");
    let status = app
        .store
        .witness_status("t1", &[witness.verifier_key().clone()])
        .await
        .expect("status");
    assert_eq!(status[0].cosigned_at, Some(at));
    assert_eq!(status[0].size, Some(300));
}

on_both_backends!(
    a_witness_sends_its_cosignature_back,
    an_unregistered_witness_is_refused_and_goes_on,
    forged_cosignatures_are_refused_naming_what_failed,
);
