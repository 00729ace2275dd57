//! Prometheus metrics, served by `vigil serve --metrics-addr ADDR` on a listener of their
//! own (README, "Deployment"). Counters and histograms are recorded where things happen
//! (ingest, the writer, pulls, exports, server functions); the store's gauges (queue,
//! search lag, file sizes, reachability) are read when scraped. Labels come from closed
//! sets only (kinds, statuses, formats, registered server-function paths, file names):
//! never a tenant, a key or anything a caller wrote.

use app::model::EventKind;
use app::store::{AppendOutcome, NewEvent, Store};
use axum::{
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a scrape waits for each of the store's answers.
const SCRAPE_WAIT: Duration = Duration::from_secs(2);

/// Latency buckets, in seconds: a cached page to a slow export's first byte.
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Size buckets, in records: one record to a full group commit.
const RECORDS: &[f64] = &[
    1.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 20000.0,
];

/// The process's recorder: one per process, as `metrics` records to a global one.
static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// Installs the recorder (once; later calls return the same handle). Until then every
/// metric is a no-op, so a server without `--metrics-addr` keeps nothing.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let mut installed = HANDLE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(handle) = installed.as_ref() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)?
        .set_buckets_for_metric(Matcher::Suffix("_records".into()), RECORDS)?
        .install_recorder()?;
    describe();
    // Histogram samples wait in buffers until drained: drain them between scrapes too.
    // A thread, not a task: it outlives any one runtime (tests start many).
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(5));
            upkeep.run_upkeep();
        })?;
    *installed = Some(handle.clone());
    Ok(handle)
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "vigil_ingest_requests_total",
        "POST /api/v1/events answered, by HTTP status (a refused batch stores nothing)"
    );
    describe_counter!(
        "vigil_ingest_records_total",
        "Records of accepted batches, by kind and result (stored, or duplicate of a stored id)"
    );
    describe_histogram!(
        "vigil_ingest_batch_seconds",
        "An accepted ingest request, from its arrival to its 201 (committed and synced)"
    );
    describe_histogram!(
        "vigil_ingest_batch_records",
        "Records per accepted ingest request"
    );
    describe_histogram!(
        "vigil_writer_group_records",
        "Records per group commit (one transaction for concurrent requests)"
    );
    describe_histogram!(
        "vigil_writer_group_seconds",
        "A group commit's transaction, BEGIN to the end of COMMIT"
    );
    describe_gauge!(
        "vigil_writer_queue_requests",
        "Ingest requests waiting for the writer"
    );
    describe_gauge!(
        "vigil_writer_queue_records",
        "Records of the requests waiting for the writer"
    );
    describe_gauge!(
        "vigil_search_lag_records",
        "Committed records SQLite's search indexer has yet to add (0 on PostgreSQL)"
    );
    describe_gauge!(
        "vigil_database_bytes",
        "The database's size on disk: SQLite by file (database, wal, search, search_wal), PostgreSQL pg_database_size"
    );
    describe_gauge!(
        "vigil_store_up",
        "1 if the database answered the scrape's query, else 0"
    );
    describe_gauge!("vigil_build_info", "Version and backend of this Vigil");
    describe_histogram!(
        "vigil_server_fn_seconds",
        "Console server functions, by path, until the response's head"
    );
    describe_counter!(
        "vigil_export_rows_total",
        "Rows written by exports (CSV and JSON), by format"
    );
    describe_counter!(
        "vigil_export_bytes_total",
        "Bytes written by exports, by format (csv, json, bundle)"
    );
    describe_counter!(
        "vigil_pull_rows_total",
        "Records served by GET /api/v1/events pages"
    );
    describe_counter!(
        "vigil_pull_bytes_total",
        "Bytes of GET /api/v1/events pages"
    );
}

/// The `/metrics` listener's whole router.
pub fn router(store: Store, handle: PrometheusHandle) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state((store, handle))
}

async fn scrape(State((store, handle)): State<(Store, PrometheusHandle)>) -> Response {
    refresh(&store).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// Sets the gauges read from the store. A store that does not answer leaves the last
/// values and says so in `vigil_store_up`.
async fn refresh(store: &Store) {
    gauge!(
        "vigil_build_info",
        "version" => env!("CARGO_PKG_VERSION"),
        "backend" => store.backend_name()
    )
    .set(1.0);
    let queue = store.writer_queue();
    gauge!("vigil_writer_queue_requests").set(queue.requests as f64);
    gauge!("vigil_writer_queue_records").set(queue.records as f64);
    let up = store.ping(SCRAPE_WAIT).await.is_ok();
    gauge!("vigil_store_up").set(if up { 1.0 } else { 0.0 });
    if !up {
        return;
    }
    if let Ok(Ok(lag)) = tokio::time::timeout(SCRAPE_WAIT, store.search_lag()).await {
        gauge!("vigil_search_lag_records").set(lag.max(0) as f64);
    }
    if let Ok(Ok(files)) = tokio::time::timeout(SCRAPE_WAIT, store.database_sizes()).await {
        for f in files {
            gauge!("vigil_database_bytes", "file" => f.file).set(f.bytes as f64);
        }
    }
}

/// Layer of `POST /api/v1/events`: every answer by status, and an accepted batch's time.
pub async fn ingest_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    counter!("vigil_ingest_requests_total", "status" => status.as_u16().to_string()).increment(1);
    if status.is_success() {
        histogram!("vigil_ingest_batch_seconds").record(started.elapsed().as_secs_f64());
    }
    response
}

/// An accepted batch's records, by kind and whether each was stored or a duplicate.
pub fn ingested(events: &[NewEvent], outcomes: &[AppendOutcome]) {
    let mut counts = [[0_u64; 2]; EventKind::ALL.len()];
    for (event, outcome) in events.iter().zip(outcomes) {
        let kind = event.detail.kind();
        if let Some(slot) = EventKind::ALL.iter().position(|k| *k == kind) {
            counts[slot][usize::from(outcome.duplicate)] += 1;
        }
    }
    for (kind, [stored, duplicate]) in EventKind::ALL.iter().zip(counts) {
        for (result, n) in [("stored", stored), ("duplicate", duplicate)] {
            if n > 0 {
                counter!("vigil_ingest_records_total", "kind" => kind.as_str(), "result" => result)
                    .increment(n);
            }
        }
    }
    histogram!("vigil_ingest_batch_records").record(events.len() as f64);
}

/// Layer of the whole router: each console server function's latency, labelled by its
/// registered path (any other path under the prefix, which anyone can send, is not
/// recorded, so the label's values are the server functions and nothing else).
pub async fn server_fn_latency(request: Request, next: Next) -> Response {
    let Some(path) = server_fn_path(request.uri().path()) else {
        return next.run(request).await;
    };
    let started = Instant::now();
    let response = next.run(request).await;
    histogram!("vigil_server_fn_seconds", "path" => path).record(started.elapsed().as_secs_f64());
    response
}

/// `path` if it is a registered server function's.
fn server_fn_path(path: &str) -> Option<&'static str> {
    static PATHS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    if !path.starts_with(app::api::PREFIX) || path.starts_with("/api/v1/") {
        return None;
    }
    PATHS
        .get_or_init(|| {
            leptos::server_fn::axum::server_fn_paths()
                .map(|(path, _)| path)
                .collect()
        })
        .get(path)
        .copied()
}

/// An export's chunk of `bytes` (`format`: csv, json or bundle).
pub fn exported_bytes(format: &'static str, bytes: usize) {
    counter!("vigil_export_bytes_total", "format" => format).increment(bytes as u64);
}

/// An export's page of `rows` (CSV and JSON).
pub fn exported_rows(format: &'static str, rows: usize) {
    counter!("vigil_export_rows_total", "format" => format).increment(rows as u64);
}

/// A pull's page.
pub fn pulled(rows: usize, bytes: usize) {
    counter!("vigil_pull_rows_total").increment(rows as u64);
    counter!("vigil_pull_bytes_total").increment(bytes as u64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_registered_server_functions_are_labelled() {
        let list = <app::api::ListRecords as leptos::server_fn::ServerFn>::PATH;
        assert_eq!(server_fn_path(list), Some(list));
        assert_eq!(server_fn_path("/api/list_records_of_an_attacker"), None);
        assert_eq!(server_fn_path("/api/v1/events"), None);
        assert_eq!(server_fn_path("/jobs"), None);
    }
}
