//! Export: every record the filters select (all pages), streamed as CSV or JSON so
//! memory stays flat however many rows there are. Each export is itself audited.

use super::record::FieldError;
use super::{ApiCaller, ApiError, QueryPairs};
use crate::AppState;
use app::model::{ActorType, ConsoleQuery, EventDetail, EventKind, Scope, TimePreset, Viewer};
use app::store::audit::{Change, Who};
use app::store::{from_ms, Cursor, EventQuery, ExportRow, Store, StoreError};
use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    Extension,
};
use chrono::Utc;
use serde_json::json;
use std::net::SocketAddr;

/// Rows fetched per round trip while streaming.
const CHUNK: u32 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

struct Export {
    format: Format,
    console: ConsoleQuery,
    query: EventQuery,
}

/// The query string: the console's filters (repeated `f` included), plus `format` and
/// `kind`.
fn parse(pairs: Vec<(String, String)>) -> Result<Export, FieldError> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let get_all = |k: &str| {
        pairs
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let format = match get("format").as_deref().unwrap_or("csv") {
        "csv" => Format::Csv,
        "json" => Format::Json,
        _ => return Err(FieldError::new("format", "csv or json")),
    };
    let kind = get("kind")
        .filter(|k| !k.is_empty())
        .map(|k| {
            k.parse::<EventKind>()
                .map_err(|e| FieldError::new("kind", e.to_string()))
        })
        .transpose()?;
    // Exactly what the tab shows: the same query, every page of it.
    let console = ConsoleQuery::from_params(kind, get, get_all);
    if let Some(problem) = console.search_problem() {
        return Err(FieldError::new("q", problem));
    }
    let mut query = EventQuery::from_console(&console, Utc::now());
    query.limit = CHUNK;
    Ok(Export {
        format,
        console,
        query,
    })
}

/// `GET /export` for a signed-in console user.
pub async fn console_export(
    State(state): State<AppState>,
    Extension(viewer): Extension<Option<Viewer>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    let viewer = viewer.ok_or(ApiError::SignedOut)?;
    let export = parse(pairs)?;
    let who = Who::user(&viewer.email, &headers, Some(peer));
    start(
        &state.store,
        viewer.scope.clone(),
        viewer.home_account(),
        who,
        export,
    )
    .await
}

/// `GET /api/v1/export` for an API key.
pub async fn api_export(
    State(state): State<AppState>,
    caller: ApiCaller,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    let export = parse(pairs)?;
    let mut who = Who::user(&format!("api_key:{}", caller.key_id), &headers, Some(peer));
    who.actor_type = ActorType::ApiKey;
    start(
        &state.store,
        caller.scope(),
        caller.account_id.clone(),
        who,
        export,
    )
    .await
}

async fn start(
    store: &Store,
    scope: Scope,
    audit_account: Option<String>,
    who: Who,
    export: Export,
) -> Result<Response, ApiError> {
    let q = &export.query;
    let filters = json!({
        "format": if export.format == Format::Csv { "csv" } else { "json" },
        "kind": q.kind.map(EventKind::as_str),
        "filters": export.console.to_pairs(),
        "range": export.console.range.describe(Utc::now()),
    });
    let change = Change {
        action: "export",
        resource_type: "audit_log",
        resource_id: None,
        event_name: "Audit log exported",
        old_value: None,
        new_value: Some(filters),
    };
    store
        .audit(&scope.tenant_id, audit_account, &who, change)
        .await
        .map_err(ApiError::internal)?;

    let range = match (export.console.range.preset, q.from, q.until) {
        (TimePreset::AllTime, ..) => "All_Time".to_owned(),
        (TimePreset::Custom, from, until) => format!(
            "{}_to_{}",
            from.map_or("start".into(), |t| t.format("%Y-%m-%d").to_string()),
            until.map_or("now".into(), |t| (t - chrono::Duration::days(1))
                .format("%Y-%m-%d")
                .to_string())
        ),
        (preset, ..) => preset.label().replace(' ', "_"),
    };
    let (content_type, ext) = match export.format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Json => ("application/json", "json"),
    };
    let disposition = format!("attachment; filename=\"Account_Audit_Logs_{range}.{ext}\"");
    let body = Body::from_stream(stream(store.clone(), scope, export));
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

const CSV_HEADER: [&str; 13] = [
    "id",
    "seq",
    "occurred_at",
    "kind",
    "tenant_id",
    "account_id",
    "actor",
    "actor_type",
    "ip",
    "user_agent",
    "summary",
    "detail",
    "metadata",
];

fn csv_rows(rows: &[ExportRow], header: bool) -> Result<Vec<u8>, ExportError> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 640));
    if header {
        w.write_record(CSV_HEADER)?;
    }
    let mut seq = itoa::Buffer::new();
    for r in rows {
        let body = r.raw_body()?;
        // The summary is the one column that needs the typed detail.
        let detail: EventDetail =
            serde_json::from_str(body.detail.get()).map_err(|e| StoreError::Corrupt {
                id: r.id.clone(),
                reason: e.to_string(),
            })?;
        w.write_record([
            r.id.as_str(),
            seq.format(r.seq),
            &from_ms(r.occurred_at).to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            &r.kind,
            &r.tenant_id,
            r.account_id.as_deref().unwrap_or(""),
            &r.actor,
            &r.actor_type,
            r.ip.as_deref().unwrap_or(""),
            r.user_agent.as_deref().unwrap_or(""),
            &detail.summary(),
            body.detail.get(),
            body.metadata.get(),
        ])?;
    }
    w.into_inner()
        .map_err(|e| ExportError::Csv(e.into_error().into()))
}

/// A record's envelope as `Event` serialises it, up to its metadata.
#[derive(serde::Serialize)]
struct Envelope<'a> {
    id: &'a str,
    tenant_id: &'a str,
    account_id: Option<&'a str>,
    seq: i64,
    occurred_at: chrono::DateTime<Utc>,
    received_at: chrono::DateTime<Utc>,
    actor: &'a str,
    actor_type: &'a str,
    ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    metadata: &'a serde_json::value::RawValue,
}

/// One record as the JSON `Event` is (the detail's members inline, then the hash),
/// written from the stored text without decoding the detail.
fn json_record(out: &mut Vec<u8>, r: &ExportRow) -> Result<(), ExportError> {
    let body = r.raw_body()?;
    let corrupt = |reason: &str| StoreError::Corrupt {
        id: r.id.clone(),
        reason: reason.to_owned(),
    };
    let members = body
        .detail
        .get()
        .strip_prefix('{')
        .and_then(|d| d.strip_suffix('}'))
        .filter(|d| !d.is_empty())
        .ok_or_else(|| corrupt("detail is not an object"))?;
    serde_json::to_writer(
        &mut *out,
        &Envelope {
            id: &r.id,
            tenant_id: &r.tenant_id,
            account_id: r.account_id.as_deref(),
            seq: r.seq,
            occurred_at: from_ms(r.occurred_at),
            received_at: from_ms(r.received_at),
            actor: &r.actor,
            actor_type: &r.actor_type,
            ip: r.ip.as_deref(),
            user_agent: r.user_agent.as_deref(),
            metadata: body.metadata,
        },
    )
    .map_err(|e| corrupt(&e.to_string()))?;
    out.pop(); // the envelope's closing brace: the detail and hash follow
    out.push(b',');
    out.extend_from_slice(members.as_bytes());
    out.extend_from_slice(b",\"hash\":");
    serde_json::to_writer(&mut *out, &r.hash).map_err(|e| corrupt(&e.to_string()))?;
    out.push(b'}');
    Ok(())
}

fn json_rows(rows: &[ExportRow], first: bool) -> Result<Vec<u8>, ExportError> {
    let mut out = Vec::with_capacity(rows.len() * 768);
    for (i, r) in rows.iter().enumerate() {
        if !(first && i == 0) {
            out.push(b',');
        }
        out.push(b'\n');
        json_record(&mut out, r)?;
    }
    Ok(out)
}

/// Why a page could not be written.
#[derive(Debug, thiserror::Error)]
enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Csv(#[from] csv::Error),
}

/// Pages through the selection by keyset in one task while this stream encodes the
/// previous page, so reading and encoding overlap; at most two pages wait in between,
/// which keeps memory flat. A client that goes away stops the reader.
fn stream(
    store: Store,
    scope: Scope,
    export: Export,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let (pages, rx) = tokio::sync::mpsc::channel::<Result<Vec<ExportRow>, StoreError>>(2);
    let query = export.query.clone();
    tokio::spawn(async move {
        let mut cursor: Option<Cursor> = None;
        loop {
            let mut q = query.clone();
            q.cursor = cursor.take();
            match store.export_page(&scope, &q).await {
                Ok((events, next)) => {
                    if pages.send(Ok(events)).await.is_err() {
                        return; // the client went away
                    }
                    match next {
                        Some(c) => cursor = Some(c),
                        None => return,
                    }
                }
                Err(e) => {
                    let _ = pages.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    let state = Encoder {
        rx,
        format: export.format,
        first: true,
        done: false,
    };
    futures_util::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        let first = s.first;
        s.first = false;
        let chunk = match s.rx.recv().await {
            Some(Ok(rows)) => {
                let chunk = match s.format {
                    Format::Csv => csv_rows(&rows, first),
                    Format::Json => json_rows(&rows, first).map(|json| {
                        let mut chunk = if first { vec![b'['] } else { Vec::new() };
                        chunk.extend(json);
                        chunk
                    }),
                };
                chunk.map_err(|e| {
                    tracing::error!(error = %e, "export failed mid-stream");
                    std::io::Error::other("export failed")
                })
            }
            Some(Err(e)) => {
                tracing::error!(error = %e, "export failed mid-stream");
                Err(std::io::Error::other("export failed"))
            }
            None => {
                s.done = true;
                match s.format {
                    // `first`: the reader ended without a page; still a valid array.
                    Format::Json if first => Ok(b"[\n]\n".to_vec()),
                    Format::Json => Ok(b"\n]\n".to_vec()),
                    Format::Csv => return None,
                }
            }
        };
        if chunk.is_err() {
            s.done = true;
        }
        Some((chunk.map(Bytes::from), s))
    })
}

struct Encoder {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<ExportRow>, StoreError>>,
    format: Format,
    first: bool,
    done: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::DemoStream;
    use app::model::Event;
    use app::store::{EventRow, NewEvent};
    use std::collections::BTreeSet;

    /// The typed encoding the pass-through must equal: the CSV row as built from `Event`.
    fn typed_csv(events: &[Event]) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(CSV_HEADER).expect("header");
        for e in events {
            w.write_record([
                e.id.to_string().as_str(),
                &e.seq.to_string(),
                &e.occurred_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                e.detail.kind().as_str(),
                &e.tenant_id,
                e.account_id.as_deref().unwrap_or(""),
                &e.actor,
                e.actor_type.as_str(),
                e.ip.as_deref().unwrap_or(""),
                e.user_agent.as_deref().unwrap_or(""),
                &e.detail.summary(),
                &serde_json::to_string(&e.detail).expect("detail"),
                &serde_json::to_string(&e.metadata).expect("metadata"),
            ])
            .expect("row");
        }
        w.into_inner().expect("flush")
    }

    fn export_row(r: EventRow) -> ExportRow {
        ExportRow {
            id: r.id,
            tenant_id: r.tenant_id,
            account_id: r.account_id,
            seq: r.seq,
            kind: r.kind,
            occurred_at: r.occurred_at,
            received_at: r.received_at,
            actor: r.actor,
            actor_type: r.actor_type,
            ip: r.ip,
            user_agent: r.user_agent,
            body: r.body,
            hash: r.hash,
        }
    }

    /// Records of every kind as stored, plus one whose text needs escaping everywhere.
    async fn stored_rows() -> Vec<EventRow> {
        let path = std::env::temp_dir().join(format!("vigil-export-{}.db", uuid::Uuid::now_v7()));
        let store = Store::connect(&format!("sqlite:{}", path.display()))
            .await
            .expect("store");
        let mut stream = DemoStream::new(&store, 3, Utc::now());
        let mut events: Vec<NewEvent> = Vec::new();
        while events.len() < 400 {
            events.extend(stream.next_group().1);
        }
        let mut odd = events[0].clone();
        odd.id = uuid::Uuid::now_v7();
        odd.actor = "Zoë \"the admin\", line\nbreak\t\u{1}".into();
        odd.user_agent = Some("agent/1.0 (\"x\"; é)".into());
        odd.metadata
            .insert("note".into(), json!("quote \" back\\slash \u{7} ☃"));
        odd.metadata.insert("n".into(), json!(1.5e-7));
        events.push(odd);
        drop(store);
        for file in app::store::database_files(&path) {
            let _ = std::fs::remove_file(file);
        }
        let mut prev = app::store::GENESIS.to_owned();
        events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let mut row = EventRow::prepare("acme", e, 1_700_000_000_000).expect("row");
                row.seal(i as i64 + 1, &prev);
                prev.clone_from(&row.hash);
                row
            })
            .collect()
    }

    #[tokio::test]
    async fn passing_the_stored_body_through_equals_the_typed_encoding() {
        let rows = stored_rows().await;
        let kinds: BTreeSet<String> = rows.iter().map(|r| r.kind.clone()).collect();
        assert_eq!(kinds.len(), EventKind::ALL.len(), "every kind: {kinds:?}");
        let events: Vec<Event> = rows
            .iter()
            .cloned()
            .map(|r| r.into_event().expect("event"))
            .collect();
        let export: Vec<ExportRow> = rows.into_iter().map(export_row).collect();

        let csv = csv_rows(&export, true).expect("csv");
        assert_eq!(
            String::from_utf8_lossy(&csv),
            String::from_utf8_lossy(&typed_csv(&events))
        );

        let mut json = b"[".to_vec();
        json.extend(json_rows(&export, true).expect("json"));
        json.extend_from_slice(b"\n]\n");
        let mut typed = b"[".to_vec();
        for (i, e) in events.iter().enumerate() {
            typed.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
            typed.extend(serde_json::to_vec(e).expect("event json"));
        }
        typed.extend_from_slice(b"\n]\n");
        assert_eq!(
            String::from_utf8_lossy(&json),
            String::from_utf8_lossy(&typed)
        );
        let back: Vec<Event> = serde_json::from_slice(&json).expect("parses back");
        assert_eq!(back, events);
    }

    #[test]
    fn a_body_vigil_did_not_write_fails_the_page() {
        let mut row = ExportRow {
            id: "x".into(),
            tenant_id: "acme".into(),
            account_id: None,
            seq: 1,
            kind: "job".into(),
            occurred_at: 0,
            received_at: 0,
            actor: "a".into(),
            actor_type: "user".into(),
            ip: None,
            user_agent: None,
            body: "{\"detail\":[],\"metadata\":{}}".into(),
            hash: String::new(),
        };
        assert!(json_rows(std::slice::from_ref(&row), true).is_err());
        assert!(csv_rows(std::slice::from_ref(&row), true).is_err());
        row.body = "not json".into();
        assert!(json_rows(std::slice::from_ref(&row), true).is_err());
    }
}
