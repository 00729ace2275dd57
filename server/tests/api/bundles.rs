//! Export bundles verify offline with both verifiers, `vigil verify-bundle` and
//! `scripts/verify_bundle.py` (written from the README alone), and every lie a server
//! could tell in one is refused by both, each naming what failed.

use crate::common::{ai, json_of, spawn_app, spawn_app_with, Backend, TestApp, PASSWORD};
use crate::on_both_backends;
use app::merkle::note::{NoteSigner, SignedNote};
use reqwest::StatusCode;
use serde_json::Value;
use std::process::Command;
use std::sync::Arc;

async fn fill(app: &TestApp, n: usize) {
    let batch: Vec<Value> = (0..n)
        .map(|i| ai(if i % 3 == 0 { "a2" } else { "a1" }, &format!("user{i}")))
        .collect();
    let (s, body) = app.post_events(&app.key, &Value::Array(batch)).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

async fn bundle(app: &TestApp, key: &str, query: &str) -> String {
    let r = app
        .api_get(Some(key), &format!("/api/v1/export?format=bundle{query}"))
        .await;
    let status = r.status();
    if status != StatusCode::OK {
        panic!("{query}: {status} {}", r.text().await.unwrap_or_default());
    }
    let kind = r.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(kind, "application/x-ndjson");
    r.text().await.expect("body")
}

pub(crate) async fn public_key(app: &TestApp) -> String {
    let r = app.api_get(None, "/api/v1/public-key").await;
    r.text().await.expect("key").trim().to_owned()
}

/// What one verifier said: whether it accepted, and its output.
struct Said {
    verifier: &'static str,
    ok: bool,
    out: String,
}

/// Runs both verifiers on `bundle` with `key`, and the checkpoint `earlier` if given.
fn verify_both(bundle: &str, key: &str, earlier: Option<&str>) -> [Said; 2] {
    let dir = std::env::temp_dir().join(format!("vigil-bundle-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("b.jsonl");
    std::fs::write(&file, bundle).expect("write bundle");
    let checkpoint = dir.join("earlier.note");
    let mut extra: Vec<std::ffi::OsString> = Vec::new();
    if let Some(note) = earlier {
        std::fs::write(&checkpoint, note).expect("write checkpoint");
        extra = vec!["--checkpoint".into(), checkpoint.clone().into()];
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/verify_bundle.py");
    let run = |verifier: &'static str, cmd: &mut Command| {
        let out = cmd.output().expect("run a verifier");
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "{verifier} exited {code:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Said {
            verifier,
            ok: code == Some(0),
            out: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    };
    let said = [
        run(
            "vigil verify-bundle",
            Command::new(env!("CARGO_BIN_EXE_vigil"))
                .arg("verify-bundle")
                .arg(&file)
                .args(["--key", key])
                .args(&extra),
        ),
        run(
            "verify_bundle.py",
            Command::new("python3")
                .arg(script)
                .arg(&file)
                .args(["--key", key])
                .args(&extra),
        ),
    ];
    let _ = std::fs::remove_dir_all(&dir);
    said
}

pub(crate) fn assert_accepted(bundle: &str, key: &str, says: &str) {
    assert_extends(bundle, key, None, says)
}

fn assert_extends(bundle: &str, key: &str, earlier: Option<&str>, says: &str) {
    for s in verify_both(bundle, key, earlier) {
        assert!(s.ok, "{} refused a true bundle: {}", s.verifier, s.out);
        assert!(
            s.out.contains(says),
            "{}: {:?} lacks {says:?}",
            s.verifier,
            s.out
        );
    }
}

fn lines(bundle: &str) -> Vec<String> {
    bundle.lines().map(str::to_owned).collect()
}

fn join(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn records(bundle: &str) -> Vec<Value> {
    lines(bundle)
        .iter()
        .filter(|l| l.starts_with(r#"{"id""#))
        .map(|l| serde_json::from_str(l).expect("a record"))
        .collect()
}

async fn bundles_verify_offline(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app, 300).await;
    let key = public_key(&app).await;

    // Everything, and a slice of the chain: complete.
    let all = bundle(&app, &app.key, "").await;
    assert_eq!(records(&all).len(), 300);
    assert_accepted(&all, &key, "complete");
    let slice = bundle(&app, &app.key, "&seq_from=10&seq_to=20").await;
    let seqs: Vec<i64> = records(&slice)
        .iter()
        .map(|r| r["seq"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(seqs, (10..=20).collect::<Vec<_>>());
    assert_accepted(&slice, &key, "complete");

    // A filter, or a key bound to one account: each record proven, completeness not
    // claimed, and only what the key may see.
    let a1 = bundle(&app, &app.key, "&account_id=a1").await;
    assert_eq!(records(&a1).len(), 200);
    assert_accepted(&a1, &key, "not claimed");
    let bound = bundle(&app, &app.key_a2, "").await;
    let mine = records(&bound);
    assert_eq!(mine.len(), 100);
    assert!(mine.iter().all(|r| r["account_id"] == "a2"));
    assert_accepted(&bound, &key, "not claimed");
    // A tenant without records has no checkpoint to bundle against.
    let r = app
        .api_get(Some(&app.key_t2), "/api/v1/export?format=bundle")
        .await;
    let (s, body) = json_of(r).await;
    assert_eq!(
        (s, &body["field"]),
        (StatusCode::BAD_REQUEST, &"format".into())
    );

    // The console's export, for a signed-in tenant admin.
    let cookie = app
        .sign_in("tenant@t1.test", PASSWORD)
        .await
        .expect("signed in");
    let r = app
        .page("/export?format=bundle&kind=ai_interaction", Some(&cookie))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let console = r.text().await.expect("body");
    assert_eq!(records(&console).len(), 300);
    assert_accepted(&console, &key, "not claimed");

    // Parameters a bundle cannot serve are refused, naming them.
    for (query, field) in [
        ("format=bundle&seq_from=0", "seq_from"),
        ("format=bundle&seq_from=5&seq_to=4", "seq_to"),
        ("format=bundle&seq_from=400", "seq_from"),
        ("format=csv&seq_from=1", "seq_from"),
        ("format=bundle&seq_to=x", "seq_to"),
        ("format=zip", "format"),
    ] {
        let (s, body) = json_of(
            app.api_get(Some(&app.key), &format!("/api/v1/export?{query}"))
                .await,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
    }
}

/// A bundle with its header changed by `edit`.
fn with_header(bundle: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut l = lines(bundle);
    let mut header: Value = serde_json::from_str(&l[0]).expect("header");
    edit(&mut header);
    l[0] = header.to_string();
    join(&l)
}

/// A bundle with its lines changed by `edit`.
fn with_lines(bundle: &str, edit: impl FnOnce(&mut Vec<String>)) -> String {
    let mut l = lines(bundle);
    edit(&mut l);
    join(&l)
}

/// The end line counting `n` records.
fn end(n: usize) -> String {
    format!(r#"{{"end":{{"records":{n}}}}}"#)
}

async fn a_lying_server_is_caught_by_both_verifiers(b: Backend) {
    let app = spawn_app(b).await;
    fill(&app, 40).await;
    let key = public_key(&app).await;
    let range = bundle(&app, &app.key, "&seq_from=5&seq_to=14").await;
    let picked = bundle(&app, &app.key, "&account_id=a1&seq_to=14").await;
    assert_accepted(&range, &key, "complete");
    assert_accepted(&picked, &key, "not claimed");
    // The same selections once the tree has grown: true, but of another tree.
    fill(&app, 9).await;
    let range_later = bundle(&app, &app.key, "&seq_from=5&seq_to=14").await;
    let picked_later = bundle(&app, &app.key, "&account_id=a1&seq_to=14").await;
    let later_header: Value = serde_json::from_str(&lines(&range_later)[0]).expect("header");

    // A checkpoint of the same tree, signed by someone else's key.
    let header: Value = serde_json::from_str(&lines(&range)[0]).expect("header");
    let note =
        SignedNote::parse(header["checkpoint"].as_str().expect("note").as_bytes()).expect("note");
    let other = NoteSigner::generate("vigil").expect("key");
    let mut forged = SignedNote::new(note.text().to_owned()).expect("note");
    forged.add(other.sign(note.text()).expect("sign"));
    let forged = forged.to_string();
    let other_fingerprint = vigil::bundle::fingerprint(other.verifier_key());

    // Record lines: range 1..=10 (lines 1..=10, end line 11); picked: record, proof.
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "a record edited",
            with_lines(&range, |l| l[3] = l[3].replacen("\"user", "\"usex", 1)),
            &["root", "proof"],
        ),
        (
            "a record re-encoded (same JSON, other bytes)",
            with_lines(&range, |l| l[3] = l[3].replacen('{', "{ ", 1)),
            &["root", "proof"],
        ),
        (
            "a record dropped",
            with_lines(&range, |l| {
                l.remove(4);
                l[10] = end(9);
            }),
            &["missing"],
        ),
        (
            "a record duplicated",
            with_lines(&range, |l| {
                let d = l[4].clone();
                l.insert(4, d);
                l[11] = end(11);
            }),
            &["duplicate", "missing"],
        ),
        (
            "records reordered",
            with_lines(&range, |l| l.swap(3, 4)),
            &["order", "missing"],
        ),
        (
            "the range proof truncated",
            with_header(&range, |h| {
                h["range_proof"].as_array_mut().map(|p| p.pop());
            }),
            &["proof", "root", "few"],
        ),
        (
            "the range proof of another tree",
            with_header(&range, |h| {
                h["range_proof"] = later_header["range_proof"].clone()
            }),
            &["root"],
        ),
        (
            "a record left out of the range, the rest true",
            with_lines(&range, |l| {
                l.remove(10);
                l[10] = end(9);
            }),
            &["missing", "end"],
        ),
        (
            "the range widened past its records",
            with_header(&range, |h| h["last"] = 15.into()),
            &["missing", "end", "root"],
        ),
        (
            "a picked record edited",
            with_lines(&picked, |l| l[1] = l[1].replacen("\"user", "\"usex", 1)),
            &["proof"],
        ),
        (
            "a picked record dropped, its count kept",
            with_lines(&picked, |l| {
                l.drain(1..3);
            }),
            &["count", "end", "holds"],
        ),
        (
            "a picked record duplicated",
            with_lines(&picked, |l| {
                let (r, p) = (l[1].clone(), l[2].clone());
                l.insert(1, p);
                l.insert(1, r);
            }),
            &["duplicate"],
        ),
        (
            "picked records reordered",
            with_lines(&picked, |l| {
                l.swap(1, 3);
                l.swap(2, 4);
            }),
            &["order"],
        ),
        (
            "a proof truncated",
            with_lines(&picked, |l| l[2] = truncate_proof(&l[2])),
            &["proof"],
        ),
        (
            "a proof of another tree",
            with_lines(&picked, |l| l[2] = lines(&picked_later)[2].clone()),
            &["proof"],
        ),
        (
            "a checkpoint signed by another key",
            with_header(&range, |h| {
                h["checkpoint"] = forged.clone().into();
                h["key_fingerprint"] = other_fingerprint.clone().into();
            }),
            &["key", "fingerprint"],
        ),
        (
            "another key's signature under ours' fingerprint",
            with_header(&range, |h| h["checkpoint"] = forged.clone().into()),
            &["sign"],
        ),
        (
            "a checkpoint of a larger tree",
            with_header(&range, |h| {
                h["checkpoint"] = later_header["checkpoint"].clone()
            }),
            &["size", "tree_size"],
        ),
        (
            "another tenant's origin",
            with_header(&range, |h| h["tenant_id"] = "t2".into()),
            &["origin", "tenant"],
        ),
        (
            "the bundle cut short",
            with_lines(&range, |l| {
                l.pop();
            }),
            &["end", "short"],
        ),
        (
            "the end line miscounting",
            with_lines(&range, |l| {
                let n = l.len() - 1;
                l[n] = end(11);
            }),
            &["count", "end", "holds"],
        ),
    ];
    assert_refused(&cases, &key, None);
}

/// Each lie refused by both verifiers, naming one of its names.
fn assert_refused(cases: &[(&str, String, &[&str])], key: &str, earlier: Option<&str>) {
    for (case, lie, names) in cases {
        for said in verify_both(lie, key, earlier) {
            assert!(
                !said.ok,
                "{case}: {} accepted it: {}",
                said.verifier, said.out
            );
            let lower = said.out.to_lowercase();
            assert!(
                names.iter().any(|n| lower.contains(n)),
                "{case}: {} said {:?}, naming none of {names:?}",
                said.verifier,
                said.out
            );
        }
    }
}

/// A proof line without its last hash.
fn truncate_proof(line: &str) -> String {
    let mut proof: Vec<String> = serde_json::from_str(line).expect("a proof");
    proof.pop();
    serde_json::to_string(&proof).expect("json")
}

/// The log's key, known to the test so it can sign what a lying log would.
const SEED: [u8; 32] = [7; 32];

async fn a_bundle_extends_a_checkpoint_saved_earlier(b: Backend) {
    let app = spawn_app_with(b, |c| {
        c.signer = Arc::new(NoteSigner::from_seed("vigil", SEED).expect("key"));
    })
    .await;
    fill(&app, 40).await;
    let key = public_key(&app).await;
    let r = app.api_get(Some(&app.key), "/api/v1/checkpoint").await;
    let earlier = r.text().await.expect("note");
    assert!(earlier.starts_with("vigil/t1\n40\n"), "{earlier}");
    fill(&app, 9).await;

    let extends = bundle(&app, &app.key, "&account_id=a2&consistent_with=40").await;
    assert_extends(
        &extends,
        &key,
        Some(&earlier),
        "consistent with the earlier checkpoint of 40",
    );
    let ranged = bundle(&app, &app.key, "&seq_from=41&consistent_with=40").await;
    assert_extends(&ranged, &key, Some(&earlier), "complete");
    let (s, body) = json_of(
        app.api_get(
            Some(&app.key),
            "/api/v1/export?format=bundle&consistent_with=999",
        )
        .await,
    )
    .await;
    assert_eq!(
        (s, &body["field"]),
        (StatusCode::BAD_REQUEST, &"consistent_with".into())
    );

    // The same log key signing another tree of 40 records: a fork (or a history
    // rewritten after the auditor saved its checkpoint).
    let text = SignedNote::parse(earlier.as_bytes())
        .expect("note")
        .text()
        .to_owned();
    let mut body: Vec<&str> = text.lines().collect();
    let other_root = base64_root([9; 32]);
    body[2] = &other_root;
    let forked_text = format!("{}\n", body.join("\n"));
    let signer = NoteSigner::from_seed("vigil", SEED).expect("key");
    let mut forked = SignedNote::new(forked_text.clone()).expect("note");
    forked.add(signer.sign(&forked_text).expect("sign"));
    let mut by_other = SignedNote::new(text.clone()).expect("note");
    let other = NoteSigner::generate("vigil").expect("key");
    by_other.add(other.sign(&text).expect("sign"));
    let unproven = bundle(&app, &app.key, "&account_id=a2").await;
    let proof_39 = {
        let b = bundle(&app, &app.key, "&account_id=a2&consistent_with=39").await;
        let h: Value = serde_json::from_str(&lines(&b)[0]).expect("header");
        h["consistency"]["proof"].clone()
    };
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "no consistency proof for the saved size",
            unproven.clone(),
            &["consistent_with"],
        ),
        (
            "a consistency proof of another size",
            with_header(&extends, |h| h["consistency"]["proof"] = proof_39),
            &["consistent"],
        ),
        (
            "a consistency proof truncated",
            with_header(&extends, |h| {
                h["consistency"]["proof"].as_array_mut().map(|p| p.pop());
            }),
            &["consistent"],
        ),
    ];
    assert_refused(&cases, &key, Some(&earlier));
    let forked = forked.to_string();
    let cases: Vec<(&str, String, &[&str])> = vec![(
        "two checkpoints of the log that are not consistent",
        extends.clone(),
        &["consistent", "fork"],
    )];
    assert_refused(&cases, &key, Some(&forked));
    let cases: Vec<(&str, String, &[&str])> =
        vec![("a saved checkpoint by another key", extends, &["sign"])];
    assert_refused(&cases, &key, Some(&by_other.to_string()));
}

fn base64_root(root: [u8; 32]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(root)
}

on_both_backends!(
    bundles_verify_offline,
    a_lying_server_is_caught_by_both_verifiers,
    a_bundle_extends_a_checkpoint_saved_earlier
);
