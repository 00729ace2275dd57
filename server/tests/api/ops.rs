//! Running Vigil: `/metrics` (Prometheus text), `/readyz`, JSON log lines carrying the
//! request id, and backups taken while records are being appended (README,
//! "Deployment").

use crate::common::{ai, json_of, spawn_app, Backend, TestApp, PASSWORD};
use crate::on_both_backends;
use app::store::{Migrations, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One sample of a scrape: its name and labels (sorted), as `name{a="x",b="y"}`.
type Samples = HashMap<String, f64>;

/// Parses the Prometheus text exposition, failing on any line that is not a comment,
/// blank, or `name{labels} value`.
fn parse_exposition(text: &str) -> Samples {
    let mut samples = Samples::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("a sample: series and value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("a value: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').expect("labels end with }");
                let mut labels: Vec<(String, String)> = body
                    .split(',')
                    .filter(|l| !l.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once('=').expect("label=value");
                        let v = v
                            .strip_prefix('"')
                            .and_then(|v| v.strip_suffix('"'))
                            .expect("a quoted label value");
                        (k.to_owned(), v.to_owned())
                    })
                    .collect();
                labels.sort();
                (name, labels)
            }
            None => (series, Vec::new()),
        };
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "a metric name: {line}"
        );
        samples.insert(key(name, &labels), value);
    }
    samples
}

fn key(name: &str, labels: &[(String, String)]) -> String {
    if labels.is_empty() {
        return name.to_owned();
    }
    let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{name}{{{}}}", labels.join(","))
}

/// Serves `app`'s metrics as `--metrics-addr` does, on a port of its own.
async fn metrics_url(app: &TestApp) -> String {
    let handle = vigil::ops::metrics::install().expect("recorder");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/metrics", listener.local_addr().expect("addr"));
    tokio::spawn(vigil::serve_router(
        listener,
        vigil::ops::metrics::router(app.store.clone(), handle),
    ));
    url
}

async fn scrape(app: &TestApp, url: &str) -> (String, Samples) {
    let r = app.client.get(url).send().await.expect("scrape");
    assert_eq!(r.status(), StatusCode::OK);
    let content_type = r.headers()["content-type"].to_str().expect("ascii");
    assert!(content_type.starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.expect("body");
    let samples = parse_exposition(&text);
    (text, samples)
}

/// Grows by at least `n` between two scrapes (other tests in this process count too).
fn grew(before: &Samples, after: &Samples, series: &str, n: f64) {
    let (b, a) = (
        before.get(series).copied().unwrap_or(0.0),
        after.get(series).copied().unwrap_or(0.0),
    );
    assert!(a >= b + n, "{series}: {b} then {a}, expected {n} more");
}

/// A scrape shows the records stored by kind, the duplicates, the requests refused by
/// status, pulls and exports, a server function's latency by path, the writer, the
/// database's size; a path anyone may send makes no label of its own, and the console's
/// listener does not serve the metrics.
async fn metrics_count_ingest_refusals_and_reads(b: Backend) {
    let app = spawn_app(b).await;
    let url = metrics_url(&app).await;
    let (_, before) = scrape(&app, &url).await;

    let mut first = ai("a1", "zoe@t1.test");
    first["id"] = json!(uuid::Uuid::now_v7());
    let batch = json!([first.clone(), ai("a1", "ana@t1.test"), first]);
    let (s, body) = app.post_events(&app.key, &batch).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let job = json!({"kind": "job", "account_id": "a1", "job_id": "j1", "status": "running",
                     "agent": "triage", "job_type": "agent.run"});
    assert_eq!(app.post_events(&app.key, &job).await.0, StatusCode::CREATED);
    let bad = json!({"kind": "job", "account_id": "a1", "job_id": "j1", "status": "paused",
                     "agent": "triage", "job_type": "agent.run"});
    assert_eq!(
        app.post_events(&app.key, &bad).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.post_events("vgl_not_a_key", &job).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, pulled) = app.get_events(&app.key, "after_seq=0&limit=10").await;
    assert_eq!(s, StatusCode::OK);
    let pulled = pulled["events"].as_array().expect("events").len() as f64;
    let export = app
        .api_get(Some(&app.key), "/api/v1/export?format=csv")
        .await;
    assert_eq!(export.status(), StatusCode::OK);
    let exported = export.bytes().await.expect("export").len() as f64;
    let cookie = app.sign_in("tenant@t1.test", PASSWORD).await;
    let (s, _) = app.list(cookie.as_deref(), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let r = app
        .client
        .post(format!("{}/api/list_records_by_anyone_9f2", app.base))
        .send()
        .await
        .expect("request");
    assert!(r.status().is_client_error());

    let (text, after) = scrape(&app, &url).await;
    let records = |kind: &str, result: &str| {
        format!("vigil_ingest_records_total{{kind=\"{kind}\",result=\"{result}\"}}")
    };
    grew(&before, &after, &records("ai_interaction", "stored"), 2.0);
    grew(
        &before,
        &after,
        &records("ai_interaction", "duplicate"),
        1.0,
    );
    grew(&before, &after, &records("job", "stored"), 1.0);
    let status = |s: u16| format!("vigil_ingest_requests_total{{status=\"{s}\"}}");
    grew(&before, &after, &status(201), 2.0);
    grew(&before, &after, &status(400), 1.0);
    grew(&before, &after, &status(401), 1.0);
    grew(&before, &after, "vigil_ingest_batch_seconds_count", 2.0);
    grew(&before, &after, "vigil_ingest_batch_records_sum", 4.0);
    grew(&before, &after, "vigil_writer_group_records_count", 1.0);
    grew(&before, &after, "vigil_pull_rows_total", pulled);
    grew(
        &before,
        &after,
        "vigil_export_rows_total{format=\"csv\"}",
        4.0,
    );
    grew(
        &before,
        &after,
        "vigil_export_bytes_total{format=\"csv\"}",
        exported,
    );
    let list = <app::api::ListRecords as leptos::server_fn::ServerFn>::PATH;
    grew(
        &before,
        &after,
        &format!("vigil_server_fn_seconds_count{{path=\"{list}\"}}"),
        1.0,
    );
    assert!(
        after.contains_key(&format!(
            "vigil_server_fn_seconds_bucket{{le=\"0.1\",path=\"{list}\"}}"
        )),
        "a histogram with buckets"
    );
    assert!(!text.contains("by_anyone"), "no label from a caller's path");
    // Not on the console's listener: there it is a page that needs a session.
    let public = app.api_get(None, "/metrics").await;
    assert_ne!(public.status(), StatusCode::OK);
    assert!(!public.text().await.expect("body").contains("vigil_ingest"));
    assert!(!text.contains("t1"), "no tenant in any label");
    assert_eq!(after["vigil_store_up"], 1.0);
    assert_eq!(after["vigil_writer_queue_requests"], 0.0);
    assert!(after["vigil_database_bytes{file=\"database\"}"] > 0.0);
    assert!(after.contains_key("vigil_search_lag_records"));
    let backend = match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert!(after.keys().any(
        |k| k.starts_with("vigil_build_info") && k.contains(&format!("backend=\"{backend}\""))
    ));
    if let Backend::Sqlite = b {
        assert!(after.contains_key("vigil_database_bytes{file=\"search\"}"));
    }
}

/// `/readyz` is 200 while the database answers and 503 (JSON) once it does not: a
/// SQLite file deleted under the server, a PostgreSQL database dropped, or a store
/// closed; `/healthz` stays 200 throughout (the process lives).
async fn readyz_follows_the_database(b: Backend) {
    let app = spawn_app(b).await;
    let (s, body) = json_of(app.api_get(None, "/readyz").await).await;
    assert_eq!((s, body), (StatusCode::OK, json!({"status": "ready"})));
    match b {
        Backend::Sqlite => {
            let path = app.database_url.strip_prefix("sqlite:").expect("a path");
            std::fs::remove_file(path).expect("remove the database file");
        }
        Backend::Postgres => {
            let admin = std::env::var("VIGIL_TEST_PG_URL").expect("PostgreSQL");
            let name = app.database_url.rsplit('/').next().expect("a name");
            let pool = sqlx::PgPool::connect(&admin).await.expect("connect");
            sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&pool)
                .await
                .expect("drop");
            pool.close().await;
        }
    }
    let (s, body) = json_of(app.api_get(None, "/readyz").await).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "database_unavailable", "{body}");
    let health = app.api_get(None, "/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);

    let other = spawn_app(b).await;
    other.store.close().await;
    let (s, body) = json_of(other.api_get(None, "/readyz").await).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

/// Before the store is open (migrations running), the listener already answers:
/// `/healthz` 200, `/readyz` and every other path 503 `starting`; then the application.
#[tokio::test]
async fn readyz_is_503_while_starting() {
    let startup = vigil::ops::health::Startup::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(vigil::serve_router(listener, startup.router()));
    let client = reqwest::Client::new();
    let get = |path: &str| client.get(format!("{base}{path}")).send();
    let r = get("/readyz").await.expect("readyz");
    let (s, body) = json_of(r).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "starting");
    assert_eq!(
        get("/api/v1/events").await.expect("api").status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    let health = get("/healthz").await.expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);

    startup.open(axum::Router::new().route("/readyz", axum::routing::get(|| async { "open" })));
    let r = get("/readyz").await.expect("readyz");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.expect("body"), "open");
}

/// A free port on loopback.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A folder of its own under the temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("vigil-ops-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `vigil --log-format json serve`, run as an operator runs it: every line on standard
/// error is a JSON object, and the line an ingest request logs carries the request's id
/// (the one the client sent in `x-request-id`). SIGTERM stops it cleanly.
async fn json_logs_carry_the_request_id(b: Backend) {
    let app = spawn_app(b).await;
    let dir = TempDir::new();
    let port = free_port();
    let server = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["--log-format", "json", "--database-url", &app.database_url])
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .args(["--verify-every", "0", "--purge-every", "0"])
        .current_dir(&dir.0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs vigil serve");
    let base = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..600 {
        if let Ok(r) = app.client.get(format!("{base}/readyz")).send().await {
            if r.status() == StatusCode::OK {
                ready = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the server became ready");
    let r = app
        .client
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(&app.key)
        .header("x-request-id", "req-ops-7f3a")
        .json(&ai("a1", "zoe@t1.test"))
        .send()
        .await
        .expect("ingest");
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["x-request-id"], "req-ops-7f3a");

    let pid = server.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let output = tokio::task::spawn_blocking(move || server.wait_with_output())
        .await
        .expect("joined")
        .expect("output");
    assert!(output.status.success(), "SIGTERM is a clean stop");
    let stderr = String::from_utf8(output.stderr).expect("UTF-8");
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not a JSON line: {l}")))
        .collect();
    assert!(lines.iter().any(|l| l["fields"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("Vigil listening"))));
    let appended = lines
        .iter()
        .find(|l| l["fields"]["message"] == "appended")
        .unwrap_or_else(|| panic!("the ingest's line among {stderr}"));
    let spans = appended["spans"].as_array().expect("the span list");
    let request = spans
        .iter()
        .find(|s| s["name"] == "request")
        .expect("the request's span");
    assert_eq!(request["id"], "req-ops-7f3a");
    assert_eq!(request["path"], "/api/v1/events");
    assert!(appended["timestamp"].is_string() && appended["level"] == "INFO");
}

/// Where a PostgreSQL client tool is: on PATH, or in Debian's versioned folder.
fn pg_tool(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path().join("bin").join(name)))
            .filter(|p| p.is_file())
            .collect();
        dirs.sort_by_key(|p| {
            p.components()
                .nth(3)
                .and_then(|c| c.as_os_str().to_str()?.parse::<u32>().ok())
        });
        dirs.pop()
    })
}

/// Runs `program args` to the end off the runtime; panics with its output if it fails.
async fn run(program: impl AsRef<Path>, args: Vec<String>) -> std::process::Output {
    let program = program.as_ref().to_path_buf();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(&program)
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", program.display()))
    })
    .await
    .expect("joined")
}

/// Appends batches of 50 records to `t1` until told to stop; counts the batches.
fn keep_appending(
    app: &TestApp,
    stop: Arc<AtomicBool>,
    batches: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<()> {
    let (client, base, key) = (app.client.clone(), app.base.clone(), app.key.clone());
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            let batch: Vec<Value> = (0..50).map(|i| ai("a1", &format!("u{i}"))).collect();
            let r = client
                .post(format!("{base}/api/v1/events"))
                .bearer_auth(&key)
                .json(&batch)
                .send()
                .await
                .expect("ingest");
            assert_eq!(r.status(), StatusCode::CREATED);
            batches.fetch_add(1, Ordering::Relaxed);
        }
    })
}

/// The copy holds a prefix of each tenant's chain, at least `at_least` records of `t1`:
/// it verifies, and its tree is the original's at its size.
async fn assert_prefix(original: &Store, copy: &Store, at_least: i64) {
    for tenant in ["t1", "t2"] {
        let report = copy.verify(tenant).await.expect("verify the copy");
        assert_eq!(report.failure, None, "{tenant}: the copy verifies");
        let size = copy.chain_position(tenant).await.expect("head");
        let whole = original.chain_position(tenant).await.expect("head");
        assert!(size <= whole, "{tenant}: a prefix");
        if tenant == "t1" {
            assert!(
                size >= at_least,
                "{tenant}: {size} records, at least {at_least}"
            );
            assert!(size < whole, "appends went on after the copy");
        }
        let root = original
            .records_root(tenant, size as u64)
            .await
            .expect("root")
            .expect("the chain is as long");
        assert_eq!(
            report.tree_root,
            hex::encode(root),
            "{tenant}: the same records"
        );
    }
}

/// `vigil backup` while a client appends (SQLite): the copy opens as a store (its
/// search file rebuilt), verifies and holds a prefix of every chain; a second backup to
/// the same file is refused and leaves it as it was; restoring is copying the file back
/// (a search file left from the newer database is started again). PostgreSQL:
/// `vigil backup` points to pg_dump, and `pg_dump -Fc` while appending, restored with
/// `pg_restore`, gives the same (when pg_dump is installed).
async fn a_backup_taken_during_ingest_is_a_verified_prefix(b: Backend) {
    let app = spawn_app(b).await;
    let dir = TempDir::new();
    let first: Vec<Value> = (0..500).map(|i| ai("a1", &format!("u{i}"))).collect();
    for _ in 0..4 {
        let (s, body) = app
            .post_events(&app.key, &Value::Array(first.clone()))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    assert_eq!(
        app.post_events(&app.key_t2, &ai("b1", "x")).await.0,
        StatusCode::CREATED
    );
    let (stop, batches) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let appending = keep_appending(&app, stop.clone(), batches.clone());
    while batches.load(Ordering::Relaxed) < 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let before = batches.load(Ordering::Relaxed);
    let vigil = env!("CARGO_BIN_EXE_vigil");
    let url = app.database_url.clone();
    let copy_url = match b {
        Backend::Sqlite => {
            let to = dir.0.join("backup.db");
            let backup = |to: &Path| {
                vec![
                    "--database-url".into(),
                    url.clone(),
                    "backup".into(),
                    "--to".into(),
                    to.display().to_string(),
                ]
            };
            let out = run(vigil, backup(&to)).await;
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("backed up to"));
            let made = std::fs::read(&to).expect("the copy");
            let again = run(vigil, backup(&to)).await;
            assert!(!again.status.success(), "never overwrites");
            assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
            assert_eq!(
                std::fs::read(&to).expect("the copy"),
                made,
                "left as it was"
            );
            let nothing = dir.0.join("nothing.db");
            let missing = vec![
                "--database-url".into(),
                format!("sqlite:{}", nothing.display()),
                "backup".into(),
                "--to".into(),
                dir.0.join("empty.db").display().to_string(),
            ];
            let out = run(vigil, missing).await;
            assert!(!out.status.success(), "no database is made to back up");
            assert!(String::from_utf8_lossy(&out.stderr).contains("no such database"));
            assert!(!nothing.exists() && !dir.0.join("empty.db").exists());
            let leftovers: Vec<_> = std::fs::read_dir(&dir.0)
                .expect("dir")
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().contains("partial"))
                .collect();
            assert!(leftovers.is_empty(), "no partial file left");
            format!("sqlite:{}", to.display())
        }
        Backend::Postgres => {
            let out = run(
                vigil,
                vec![
                    "--database-url".into(),
                    url.clone(),
                    "backup".into(),
                    "--to".into(),
                    dir.0.join("x").display().to_string(),
                ],
            )
            .await;
            assert!(!out.status.success());
            assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump -Fc"));
            let (Some(pg_dump), Some(pg_restore)) = (pg_tool("pg_dump"), pg_tool("pg_restore"))
            else {
                eprintln!("pg_dump is not installed: the PostgreSQL backup is not tried");
                stop.store(true, Ordering::Relaxed);
                appending.await.expect("appending");
                return;
            };
            let dump = dir.0.join("vigil.dump");
            let out = run(
                &pg_dump,
                vec![
                    "-Fc".into(),
                    "-f".into(),
                    dump.display().to_string(),
                    url.clone(),
                ],
            )
            .await;
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let admin = std::env::var("VIGIL_TEST_PG_URL").expect("PostgreSQL");
            let name = format!("vigil_restored_{}", uuid::Uuid::now_v7().simple());
            let pool = sqlx::PgPool::connect(&admin).await.expect("connect");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&pool)
                .await
                .expect("create");
            pool.close().await;
            let (base, _) = admin.rsplit_once('/').expect("a database name");
            let restored = format!("{base}/{name}");
            let out = run(
                &pg_restore,
                vec![
                    "--no-owner".into(),
                    "-d".into(),
                    restored.clone(),
                    dump.display().to_string(),
                ],
            )
            .await;
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            restored
        }
    };
    assert!(
        batches.load(Ordering::Relaxed) > before,
        "appends went on while the backup ran"
    );
    stop.store(true, Ordering::Relaxed);
    appending.await.expect("appending");
    // One more after the copy, so the original is surely longer.
    assert_eq!(
        app.post_events(&app.key, &ai("a1", "last")).await.0,
        StatusCode::CREATED
    );

    let copy = Store::open(&copy_url, Migrations::Run)
        .await
        .expect("the copy opens");
    assert_prefix(&app.store, &copy, 2000).await;
    if let Backend::Sqlite = b {
        // The copy's search file was made anew and fills.
        searched_up(&copy).await;
        let copied = copy.sqlite_path().expect("a file");
        copy.close().await;

        // Restore: stop, put the copy in place of the database, start again. The
        // search file beside it indexes records the copy lacks: it is started again.
        app.store.close().await;
        let path = PathBuf::from(app.database_url.strip_prefix("sqlite:").expect("a path"));
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
        std::fs::copy(&copied, &path).expect("copy back");
        let restored = Store::open(&app.database_url, Migrations::Run)
            .await
            .expect("the restored database opens");
        let size = restored.chain_position("t1").await.expect("head");
        assert!(size >= 2000);
        assert_eq!(restored.verify("t1").await.expect("verify").failure, None);
        searched_up(&restored).await;
        restored.close().await;
    } else {
        copy.close().await;
    }
}

/// Waits until `store`'s search index holds every record.
async fn searched_up(store: &Store) {
    for _ in 0..200 {
        if store.search_lag().await.expect("lag") == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the search index did not catch up");
}

on_both_backends!(
    metrics_count_ingest_refusals_and_reads,
    readyz_follows_the_database,
    json_logs_carry_the_request_id,
    a_backup_taken_during_ingest_is_a_verified_prefix,
);
