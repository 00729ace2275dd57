//! `vigil bench`: fills a database with realistic records and measures what admins and
//! the platform feel: ingest over HTTP against the raw insert limit, the first page of
//! each console tab, Live polls, usage aggregation and export. Prints a table and JSON.

use crate::config::{leptos_options, Config};
use crate::ops::progress::Progress;
use crate::seed::{self, DemoStream};
use crate::AppState;
use app::model::{
    Column, Condition, ConsoleQuery, EventKind, Op, Scope, TimePreset, TimeRange, WrittenBy,
};
use app::store::{EventQuery, IndexerStats, NewEvent, Order, Store, WriterStats};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Serialize, Default)]
pub struct Report {
    pub backend: String,
    pub records: usize,
    pub raw_insert_per_s: f64,
    /// The raw rate over the fill's last tenth: at the size HTTP ingest then runs at.
    pub raw_insert_last_tenth_per_s: f64,
    pub http_ingest_per_s: f64,
    /// Requests in flight during HTTP ingest (and appends during the fill).
    pub http_clients: usize,
    /// Time from sending a batch of 500 to its 201 (committed and fsynced).
    pub http_request_ms: (f64, f64, f64),
    pub http_to_raw_ratio: f64,
    /// HTTP against the raw rate at the same database size.
    pub http_to_raw_last_tenth_ratio: f64,
    /// Microseconds per record in each stage of the writer, for each phase.
    pub writer_raw: WriterProfile,
    pub writer_http: WriterProfile,
    /// SQLite's search indexer (behind the append, on its own file): its busy time per
    /// record during each phase, and how long after the last HTTP batch's 201 it had
    /// indexed everything.
    pub indexer_raw_us: f64,
    pub indexer_http_us: f64,
    pub search_caught_up_s: f64,
    /// (case, p50 ms, p95 ms, p99 ms)
    pub first_page: Vec<(String, f64, f64, f64)>,
    /// Each search term's slowest run, per tab: (case, term, ms). A tab's search p95
    /// comes from its slowest term or two; this names them.
    pub search_terms: Vec<(String, String, f64)>,
    pub live_poll_empty_ms: (f64, f64, f64),
    pub live_poll_100_ms: (f64, f64, f64),
    pub usage_30_days_ms: (f64, f64, f64),
    /// The hot tenant's tree: an inclusion proof of a record anywhere in it, and a
    /// consistency proof from any earlier size to the whole tree (read from the tiles).
    pub inclusion_proof_ms: (f64, f64, f64),
    pub consistency_proof_ms: (f64, f64, f64),
    /// `verify` of the hot tenant (chain and tree, every tile compared): records/s.
    pub verify_per_s: f64,
    /// A range bundle of the hot tenant's first records (up to a million): how many,
    /// its size, written (records/s, from the store to a file) and `verify-bundle`'s
    /// rate over it (records/s).
    pub bundle_records: u64,
    pub bundle_mb: f64,
    pub bundle_write_per_s: f64,
    pub bundle_verify_per_s: f64,
    pub export_rows: u64,
    pub export_rows_per_s: f64,
    pub export_peak_rss_mb: f64,
    pub export_rss_growth_mb: f64,
    /// `/metrics` scraped after the HTTP phase (the figures an operator's Prometheus
    /// would see then; the recorder starts with the HTTP phase, so the fill is not in
    /// them): ingest, the writer's groups and queue, the search lag, sizes.
    pub metrics: Vec<String>,
    pub plans: Vec<(String, Vec<String>)>,
}

/// The samples of `exposition` (Prometheus text) the bench report shows: not the
/// histograms' buckets, only their count and sum.
fn scraped_lines(exposition: &str) -> Vec<String> {
    const SHOWN: &[&str] = &[
        "vigil_ingest_requests_total",
        "vigil_ingest_records_total",
        "vigil_ingest_batch_seconds_sum",
        "vigil_ingest_batch_seconds_count",
        "vigil_writer_group_records_sum",
        "vigil_writer_group_records_count",
        "vigil_writer_group_seconds_sum",
        "vigil_writer_queue_",
        "vigil_search_lag_records",
        "vigil_database_bytes",
    ];
    exposition
        .lines()
        .filter(|l| SHOWN.iter().any(|name| l.starts_with(name)))
        .map(str::to_owned)
        .collect()
}

/// The writer's time per record, by stage (from `Store::writer_stats`).
#[derive(Serialize, Default, Debug)]
pub struct WriterProfile {
    pub rows_per_group: f64,
    pub requests_per_group: f64,
    pub check_us: f64,
    pub insert_us: f64,
    pub job_heads_us: f64,
    pub rollups_us: f64,
    /// The Merkle trees: partial tiles read, grown and written.
    pub tree_us: f64,
    pub commit_us: f64,
    /// BEGIN to end of COMMIT; what is left after the stages above is statements'
    /// round trips and savepoints.
    pub total_us: f64,
}

impl From<WriterStats> for WriterProfile {
    fn from(s: WriterStats) -> Self {
        let rows = s.rows.max(1) as f64;
        let groups = s.groups.max(1) as f64;
        let us = |d: Duration| d.as_secs_f64() * 1e6 / rows;
        WriterProfile {
            rows_per_group: s.rows as f64 / groups,
            requests_per_group: s.requests as f64 / groups,
            check_us: us(s.check),
            insert_us: us(s.insert),
            job_heads_us: us(s.job_heads),
            rollups_us: us(s.rollups),
            tree_us: us(s.tree),
            commit_us: us(s.commit),
            total_us: us(s.total),
        }
    }
}

/// Rows an export is timed over.
const EXPORT_ROWS: u64 = 1_000_000;

fn percentiles(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| {
        ms.get(((ms.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    (at(0.5), at(0.95), at(0.99))
}

/// Runs `query` `runs` times; p50/p95/p99 in milliseconds.
async fn time_list(
    store: &Store,
    scope: &Scope,
    query: &EventQuery,
    runs: usize,
) -> anyhow::Result<(f64, f64, f64)> {
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        store.list(scope, query).await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(percentiles(ms))
}

/// The indexer's busy microseconds per record it indexed between two snapshots.
fn indexer_us(before: &IndexerStats, after: &IndexerStats) -> f64 {
    let rows = after.rows.saturating_sub(before.rows).max(1) as f64;
    after.busy.saturating_sub(before.busy).as_secs_f64() * 1e6 / rows
}

/// A memory figure of process `pid` from /proc (`VmRSS:` now, `VmHWM:` peak), in MB.
fn proc_status_mb(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(str::to_owned))
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The wire form of a record, as a platform would send it.
fn wire(e: &NewEvent) -> Value {
    let mut v = serde_json::to_value(&e.detail).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("id".into(), json!(e.id));
        o.insert("account_id".into(), json!(e.account_id));
        o.insert("occurred_at".into(), json!(e.occurred_at));
        o.insert("actor".into(), json!(e.actor));
        o.insert("actor_type".into(), json!(e.actor_type));
        o.insert("ip".into(), json!(e.ip));
        o.insert("user_agent".into(), json!(e.user_agent));
        o.insert("metadata".into(), json!(e.metadata));
    }
    v
}

/// Appends `n` generated records straight through the store, 500 per call with
/// `clients` calls in flight (the writer commits what is queued together, as it does for
/// concurrent HTTP requests). Returns the rate overall and over the last tenth.
async fn fill(
    store: &Store,
    gen: &mut DemoStream<'_>,
    n: usize,
    clients: usize,
) -> anyhow::Result<(f64, f64)> {
    let started = Instant::now();
    let tail_from = n - n / 10;
    let mut tail: Option<(Instant, usize)> = None;
    let mut pending: HashMap<&str, Vec<NewEvent>> = HashMap::new();
    let mut in_flight = tokio::task::JoinSet::new();
    let mut done = 0;
    let progress = Progress::new("raw insert", n as u64, "records");
    while done < n {
        let (tenant, mut group) = gen.next_group();
        group.truncate(n - done);
        done += group.len();
        let list = pending.entry(tenant).or_default();
        list.extend(group);
        if list.len() >= 500 {
            while in_flight.len() >= clients.max(1) {
                if let Some(r) = in_flight.join_next().await {
                    r??;
                }
            }
            let (store, tenant, batch) = (store.clone(), tenant.to_owned(), std::mem::take(list));
            in_flight.spawn(async move {
                store
                    .append(&tenant, &WrittenBy::Vigil, &batch)
                    .await
                    .map(drop)
            });
            if done >= tail_from && tail.is_none() {
                tail = Some((Instant::now(), done));
            }
        }
        progress.set(done as u64);
    }
    for (tenant, list) in pending {
        store.append(tenant, &WrittenBy::Vigil, &list).await?;
    }
    while let Some(r) = in_flight.join_next().await {
        r??;
    }
    progress.finish(n as u64);
    let overall = n as f64 / started.elapsed().as_secs_f64();
    let last_tenth = tail.map_or(overall, |(at, from)| {
        (n - from) as f64 / at.elapsed().as_secs_f64()
    });
    Ok((overall, last_tenth))
}

/// How much a run adds and how often it measures.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Records appended straight through the store.
    pub events: usize,
    /// Records then ingested over HTTP.
    pub http_events: usize,
    /// Timed repetitions per query.
    pub runs: usize,
    /// Requests in flight at once.
    pub clients: usize,
}

pub async fn run(
    store: &Store,
    database_url: &str,
    sizes: Sizes,
    search_terms: &[String],
) -> anyhow::Result<Report> {
    let Sizes {
        events,
        http_events,
        runs,
        clients,
    } = sizes;
    let now = chrono::Utc::now();
    seed::seed(store, 0, 1, now).await?;
    let mut report = Report {
        backend: store.backend_name().into(),
        records: events + http_events,
        ..Report::default()
    };
    let mut gen = DemoStream::in_time_order(store, 7, now, (events + http_events) as u64);

    eprintln!("raw insert of {events} records…");
    let before = store.writer_stats();
    let indexed = store.indexer_stats();
    (report.raw_insert_per_s, report.raw_insert_last_tenth_per_s) =
        fill(store, &mut gen, events, clients).await?;
    report.writer_raw = store.writer_stats().since(&before).into();
    report.indexer_raw_us = indexer_us(&indexed, &store.indexer_stats());
    // As autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would after a bulk load.
    let t = Instant::now();
    store.analyze().await?;
    eprintln!(
        "  statistics refreshed in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // The real server, on a random port, for ingest and export over HTTP.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState {
        throttle: Default::default(),
        leptos_options: leptos_options(addr, "target/site"),
        store: store.clone(),
        config: Arc::new(Config {
            addr,
            ..Config::default()
        }),
    };
    tokio::spawn(crate::serve(listener, state));
    let base = format!("http://{addr}");
    // Its metrics, as `--metrics-addr` serves them: scraped after the HTTP phase.
    let metrics = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let metrics_url = format!("http://{}/metrics", metrics.local_addr()?);
    tokio::spawn(crate::serve_router(
        metrics,
        crate::ops::metrics::router(store.clone(), crate::ops::metrics::install()?),
    ));
    let client = reqwest::Client::new();
    let mut keys = HashMap::new();
    for t in seed::TENANTS {
        keys.insert(
            t.id,
            store.create_api_key(t.id, None, "bench").await?.plaintext,
        );
    }

    eprintln!("HTTP ingest of {http_events} records in batches of 500…");
    let mut batches: Vec<(&str, Value)> = Vec::new();
    let mut pending: HashMap<&str, Vec<Value>> = HashMap::new();
    let mut made = 0;
    while made < http_events {
        let (tenant, group) = gen.next_group();
        made += group.len();
        let list = pending.entry(tenant).or_default();
        list.extend(group.iter().map(wire));
        if list.len() >= 500 {
            batches.push((tenant, Value::Array(std::mem::take(list))));
        }
    }
    batches.extend(
        pending
            .into_iter()
            .filter(|(_, l)| !l.is_empty())
            .map(|(t, l)| (t, Value::Array(l))),
    );
    let bodies: Vec<(String, Vec<u8>)> = batches
        .into_iter()
        .map(|(t, v)| (keys[t].clone(), serde_json::to_vec(&v).unwrap_or_default()))
        .collect();
    let before = store.writer_stats();
    let indexed = store.indexer_stats();
    let started = Instant::now();
    // Oldest first, as the platform would send them.
    let queue = Arc::new(tokio::sync::Mutex::new(std::collections::VecDeque::from(
        bodies,
    )));
    let progress_batches = queue.lock().await.len() as u64;
    let progress = Arc::new(Progress::new("HTTP ingest", progress_batches, "batches"));
    let mut workers = Vec::new();
    for _ in 0..clients.max(1) {
        let (queue, client, base) = (queue.clone(), client.clone(), base.clone());
        let progress = progress.clone();
        workers.push(tokio::spawn(async move {
            let mut ms = Vec::new();
            loop {
                let next = queue.lock().await.pop_front();
                let Some((key, body)) = next else { break };
                let t = Instant::now();
                let r = client
                    .post(format!("{base}/api/v1/events"))
                    .bearer_auth(key)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                anyhow::ensure!(r.status().is_success(), "ingest answered {}", r.status());
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                progress.add(1);
            }
            anyhow::Ok(ms)
        }));
    }
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(w.await??);
    }
    report.http_clients = clients;
    report.http_request_ms = percentiles(latencies);
    report.http_ingest_per_s = made as f64 / started.elapsed().as_secs_f64();
    report.writer_http = store.writer_stats().since(&before).into();
    let ingested = Instant::now();
    while store.search_lag().await? > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    report.search_caught_up_s = ingested.elapsed().as_secs_f64();
    progress.finish(progress_batches);
    let scraped = client.get(&metrics_url).send().await?.text().await?;
    report.metrics = scraped_lines(&scraped);
    report.indexer_http_us = indexer_us(&indexed, &store.indexer_stats());
    report.records = events + made;
    report.http_to_raw_ratio = report.http_ingest_per_s / report.raw_insert_per_s;
    report.http_to_raw_last_tenth_ratio =
        report.http_ingest_per_s / report.raw_insert_last_tenth_per_s;

    eprintln!("first pages…");
    let hot = Scope::tenant("acme");
    const AGENTS: [&str; 5] = [
        "support-triage",
        "sales-assistant",
        "code-reviewer",
        "invoice-extractor",
        "nightly-digest",
    ];
    const STATUSES: [&str; 4] = ["failed", "running", "complete", "cancelled"];
    let tabs = [
        ("Jobs", EventKind::Job, Column::Status),
        ("Threads", EventKind::Thread, Column::Source),
        ("Events", EventKind::SystemEvent, Column::Severity),
        ("AI interactions", EventKind::AiInteraction, Column::Dlp),
        (
            "Admin activity",
            EventKind::AdminAction,
            Column::ResourceType,
        ),
        ("Usage", EventKind::CreditUsage, Column::Agent),
    ];
    fn status_value(c: Column, i: usize) -> String {
        match c {
            Column::Status => STATUSES[i % STATUSES.len()].into(),
            Column::Source => ["slack", "email", "app", "cron"][i % 4].into(),
            Column::Severity => ["info", "warning", "error"][i % 3].into(),
            Column::Dlp => ["flagged", "clean"][i % 2].into(),
            Column::ResourceType => ["role", "settings", "api_key"][i % 3].into(),
            _ => AGENTS[i % AGENTS.len()].into(),
        }
    }
    for (label, kind, column) in tabs {
        type Case = Box<dyn Fn(usize) -> ConsoleQuery>;
        let base_query = move || ConsoleQuery {
            kind: Some(kind),
            ..ConsoleQuery::default()
        };
        let terms = search_terms.to_vec();
        let cases: Vec<(&str, Case)> = vec![
            (
                "scope only",
                Box::new(move |_| ConsoleQuery {
                    range: TimeRange {
                        preset: TimePreset::AllTime,
                        from: None,
                        to: None,
                    },
                    ..base_query()
                }),
            ),
            (
                "scope + status",
                Box::new(move |i| ConsoleQuery {
                    quick: vec![Condition {
                        column,
                        op: Op::Eq,
                        value: status_value(column, i),
                    }],
                    ..base_query()
                }),
            ),
            (
                "scope + agent",
                Box::new(move |i| ConsoleQuery {
                    quick: vec![Condition {
                        column: Column::Agent,
                        op: Op::Eq,
                        value: AGENTS[i % AGENTS.len()].into(),
                    }],
                    ..base_query()
                }),
            ),
            (
                "scope + last 7 days",
                Box::new(move |_| ConsoleQuery {
                    range: TimeRange {
                        preset: TimePreset::Last7Days,
                        from: None,
                        to: None,
                    },
                    ..base_query()
                }),
            ),
            (
                "search",
                Box::new(move |i| ConsoleQuery {
                    search: Some(terms[i % terms.len()].clone()),
                    ..base_query()
                }),
            ),
        ];
        for (name, make) in cases {
            let mut ms = Vec::with_capacity(runs);
            let mut plan_query = None;
            for i in 0..runs {
                let mut q = EventQuery::from_console(&make(i), chrono::Utc::now());
                q.limit = 50;
                let t = Instant::now();
                store.list(&hot, &q).await?;
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                plan_query.get_or_insert(q);
            }
            let case = format!("{label}: {name}");
            if name == "search" {
                for (t, term) in search_terms.iter().enumerate() {
                    let slowest = ms
                        .iter()
                        .skip(t)
                        .step_by(search_terms.len())
                        .fold(0.0, |a: f64, b| a.max(*b));
                    report
                        .search_terms
                        .push((case.clone(), term.clone(), slowest));
                }
            }
            let (p50, p95, p99) = percentiles(ms);
            if let Some(q) = plan_query {
                report
                    .plans
                    .push((case.clone(), store.explain_list(&hot, &q).await?));
            }
            report.first_page.push((case, p50, p95, p99));
        }
    }

    eprintln!("live polls, usage, export…");
    let events_tab = EventQuery::from_console(
        &ConsoleQuery {
            kind: Some(EventKind::SystemEvent),
            ..ConsoleQuery::default()
        },
        now,
    );
    // Live polls by arrival, as the console does: none new, then 100 new.
    let head = store.chain_position(&hot.tenant_id).await?;
    let poll = EventQuery {
        order: Order::ChainAscending { after_seq: head },
        limit: 100,
        ..events_tab.clone()
    };
    report.live_poll_empty_ms = time_list(store, &hot, &poll, runs).await?;
    let (page, _) = store
        .list(
            &hot,
            &EventQuery {
                limit: 101,
                ..events_tab.clone()
            },
        )
        .await?;
    if let Some(e) = page.last() {
        let poll = EventQuery {
            order: Order::ChainAscending { after_seq: e.seq },
            limit: 100,
            ..events_tab.clone()
        };
        report.live_poll_100_ms = time_list(store, &hot, &poll, runs).await?;
    }
    let usage_q = EventQuery::from_console(&ConsoleQuery::default(), now);
    let mut ms = Vec::new();
    for _ in 0..runs.min(10) {
        let t = Instant::now();
        store.usage(&hot, &usage_q).await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    report.usage_30_days_ms = percentiles(ms);

    let tenant = &hot.tenant_id;
    let size = store.tree_size(tenant).await?;
    if size > 1 {
        let (mut inclusion, mut consistency) = (Vec::new(), Vec::new());
        for i in 0..runs.max(20) as u64 {
            // Spread over the tree (a prime stride), so the tiles read differ run to run.
            let at = (i * 7919 % 1000) * (size - 1) / 1000;
            let t = Instant::now();
            store.inclusion_proof(tenant, at, size).await?;
            inclusion.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            store.consistency_proof(tenant, at + 1, size).await?;
            consistency.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        report.inclusion_proof_ms = percentiles(inclusion);
        report.consistency_proof_ms = percentiles(consistency);
    }
    let t = Instant::now();
    let verified = store.verify(tenant).await?;
    anyhow::ensure!(
        verified.failure.is_none(),
        "verify failed: {:?}",
        verified.failure
    );
    report.verify_per_s = verified.records as f64 / t.elapsed().as_secs_f64();
    bundle_rates(store, tenant, &mut report).await?;

    // Export over HTTP from a server of its own (this process holds the generator and
    // the benchmark's buffers), so its resident memory is the server's alone.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let export_base = format!("http://127.0.0.1:{port}");
    let mut server = std::process::Command::new(std::env::current_exe()?)
        .args(["--database-url", database_url, "serve", "--addr"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let pid = server.id();
    let mut up = false;
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{export_base}/healthz")).send().await {
            up = r.status().is_success();
            if up {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::ensure!(up, "the export server did not start");
    let baseline = proc_status_mb(pid, "VmRSS:");
    let started = Instant::now();
    // No range: every record of the key's scope.
    let mut r = client
        .get(format!("{export_base}/api/v1/export?format=csv"))
        .bearer_auth(&keys["acme"])
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "export answered {}", r.status());
    // The first million rows (and the header), then hang up as a client could.
    let mut lines = 0_u64;
    while let Some(chunk) = r.chunk().await? {
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        if lines > EXPORT_ROWS {
            break;
        }
    }
    drop(r);
    let secs = started.elapsed().as_secs_f64();
    report.export_rows = lines.saturating_sub(1);
    report.export_rows_per_s = report.export_rows as f64 / secs;
    // The kernel's high-water mark of the server's resident set.
    report.export_peak_rss_mb = proc_status_mb(pid, "VmHWM:");
    report.export_rss_growth_mb = report.export_peak_rss_mb - baseline;
    server.kill()?;
    server.wait()?;
    Ok(report)
}

/// The report as a Markdown table.
pub fn table(r: &Report) -> String {
    // `--measure-only` adds nothing: there is no ingest to report.
    if r.records == 0 {
        let mut out = format!(
            "### {} — measured on the database an earlier run filled\n\n| measure | value |\n| --- | --- |\n",
            r.backend
        );
        out += &reads_table(r);
        return out;
    }
    let mut out = format!(
        "### {} — {} records\n\n| measure | value |\n| --- | --- |\n",
        r.backend, r.records
    );
    out += &format!(
        "| raw insert (store, batches of 500, {} in flight) | {:.0} records/s |\n",
        r.http_clients, r.raw_insert_per_s
    );
    out += &format!(
        "| raw insert, last tenth of the fill | {:.0} records/s |\n",
        r.raw_insert_last_tenth_per_s
    );
    out += &format!(
        "| ingest over HTTP (batches of 500, {} clients) | {:.0} records/s ({:.2}× raw, {:.2}× raw's last tenth) |\n",
        r.http_clients, r.http_ingest_per_s, r.http_to_raw_ratio, r.http_to_raw_last_tenth_ratio
    );
    let (p50, p95, p99) = r.http_request_ms;
    out += &format!(
        "| HTTP ingest, one batch until its 201 (committed) | p50 {p50:.1} / p95 {p95:.1} / p99 {p99:.1} ms |\n"
    );
    for (phase, w) in [("raw", &r.writer_raw), ("HTTP", &r.writer_http)] {
        out += &format!(
            "| writer, {phase}: µs per record | check {:.0} · insert {:.0} · job heads {:.0} · roll-ups {:.0} · tree {:.1} · commit {:.0} · total {:.0} ({:.0} records, {:.1} requests per group) |\n",
            w.check_us, w.insert_us, w.job_heads_us, w.rollups_us, w.tree_us,
            w.commit_us, w.total_us, w.rows_per_group, w.requests_per_group
        );
    }
    if r.backend == "sqlite" {
        out += &format!(
            "| search indexer (own file, behind the append): µs per record | raw {:.0} · HTTP {:.0}; all indexed {:.1} s after the last 201 |\n",
            r.indexer_raw_us, r.indexer_http_us, r.search_caught_up_s
        );
    }
    out += &reads_table(r);
    out += &metrics_block(r);
    out
}

/// The `/metrics` samples scraped after the HTTP phase, and what they say in short.
fn metrics_block(r: &Report) -> String {
    if r.metrics.is_empty() {
        return String::new();
    }
    let value = |name: &str| -> f64 {
        r.metrics
            .iter()
            .filter_map(|l| l.strip_prefix(name))
            .filter_map(|rest| rest.trim().parse::<f64>().ok())
            .sum()
    };
    let batches = value("vigil_ingest_batch_seconds_count");
    let groups = value("vigil_writer_group_records_count");
    let mut out = format!(
        "\n/metrics after the HTTP phase: {batches:.0} batches accepted, {:.1} ms each on average \
         (arrival to 201); {groups:.0} group commits, {:.0} records each\n\n```\n",
        value("vigil_ingest_batch_seconds_sum") * 1000.0 / batches.max(1.0),
        value("vigil_writer_group_records_sum") / groups.max(1.0),
    );
    for line in &r.metrics {
        out += line;
        out.push('\n');
    }
    out += "```\n";
    out
}

/// The table's rows for what the run read: first pages, Live polls, usage and export.
fn reads_table(r: &Report) -> String {
    let mut out = String::new();
    for (case, p50, p95, p99) in &r.first_page {
        out += &format!("| first page, {case} | p50 {p50:.2} / p95 {p95:.2} / p99 {p99:.2} ms |\n");
    }
    for (case, term, ms) in &r.search_terms {
        out += &format!("| first page, {case} \"{term}\", slowest run | {ms:.2} ms |\n");
    }
    let (a, b, c) = r.live_poll_empty_ms;
    out += &format!("| Live poll, 0 new | p50 {a:.2} / p95 {b:.2} / p99 {c:.2} ms |\n");
    let (a, b, c) = r.live_poll_100_ms;
    out += &format!("| Live poll, 100 new | p50 {a:.2} / p95 {b:.2} / p99 {c:.2} ms |\n");
    let (a, b, c) = r.usage_30_days_ms;
    out += &format!("| usage by user, agent, model (Last 30 Days) | p50 {a:.1} / p95 {b:.1} / p99 {c:.1} ms |\n");
    let (a, b, c) = r.inclusion_proof_ms;
    out += &format!(
        "| inclusion proof, hot tenant's whole tree | p50 {a:.2} / p95 {b:.2} / p99 {c:.2} ms |\n"
    );
    let (a, b, c) = r.consistency_proof_ms;
    out += &format!(
        "| consistency proof, to the whole tree | p50 {a:.2} / p95 {b:.2} / p99 {c:.2} ms |\n"
    );
    out += &format!(
        "| verify, hot tenant (chain and every tile) | {:.0} records/s |\n",
        r.verify_per_s
    );
    out += &format!(
        "| range bundle, hot tenant's first {} records ({:.0} MB) | written {:.0} records/s, verify-bundle {:.0} records/s |\n",
        r.bundle_records, r.bundle_mb, r.bundle_write_per_s, r.bundle_verify_per_s
    );
    out += &format!(
        "| export CSV over HTTP | {} rows, {:.0} rows/s, peak RSS {:.0} MB (+{:.0} MB) |\n",
        r.export_rows, r.export_rows_per_s, r.export_peak_rss_mb, r.export_rss_growth_mb
    );
    out
}

/// Writes a range bundle of `tenant`'s first records (up to a million) to a file, as an
/// export does, and checks it as `vigil verify-bundle` does. Signed with the key file
/// `vigil serve` uses by default, so the checkpoints the bench's own server signs agree.
async fn bundle_rates(store: &Store, tenant: &str, report: &mut Report) -> anyhow::Result<()> {
    use crate::bundle::{verify, write};
    let signer =
        crate::signing::load_or_create(std::path::Path::new("vigil-signing.key"), "vigil")?;
    let size = store.tree_size(tenant).await?;
    if size == 0 {
        return Ok(());
    }
    let bounds = write::Bounds {
        seq_from: Some(1),
        seq_to: Some(size.min(1_000_000)),
        consistent_with: None,
    };
    let plan = write::plan(
        store,
        &signer,
        "vigil",
        Scope::tenant(tenant),
        EventQuery::default(),
        bounds,
        json!({ "bench": true }),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let path = std::env::temp_dir().join(format!("vigil-bench-{}.jsonl", uuid::Uuid::now_v7()));
    let t = Instant::now();
    let bytes = write::to_file(store, plan, &path).await?;
    let written = t.elapsed().as_secs_f64();
    let key = signer.verifier_key().clone();
    let (checked, took) = tokio::task::spawn_blocking({
        let path = path.clone();
        move || -> anyhow::Result<(verify::Report, f64)> {
            let t = Instant::now();
            let input = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
            let report = verify::verify(input, &key, None)?;
            Ok((report, t.elapsed().as_secs_f64()))
        }
    })
    .await??;
    let _ = std::fs::remove_file(&path);
    report.bundle_records = checked.records;
    report.bundle_mb = bytes as f64 / 1e6;
    report.bundle_write_per_s = checked.records as f64 / written;
    report.bundle_verify_per_s = checked.records as f64 / took;
    Ok(())
}
