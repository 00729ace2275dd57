//! Export: every record the filters select (all pages), streamed as CSV or JSON so
//! memory stays flat however many rows there are. Each export is itself audited.

use crate::audit::{self, Change, Who};
use crate::auth::api_key::ApiCaller;
use crate::ingest::{record::FieldError, ApiError};
use crate::store::{Cursor, EventQuery, Store, StoreError};
use crate::AppState;
use app::model::{ActorType, ConsoleQuery, Event, EventKind, Scope, TimePreset, Viewer};
use axum::{
    body::{Body, Bytes},
    extract::{rejection::QueryRejection, ConnectInfo, Query, State},
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

/// The query string as pairs: the console's filters (repeated `f` included),
/// plus `format` and `kind`.
pub type ExportParams = Vec<(String, String)>;

struct Export {
    format: Format,
    console: ConsoleQuery,
    query: EventQuery,
}

fn parse(params: Result<Query<ExportParams>, QueryRejection>) -> Result<Export, FieldError> {
    let Query(pairs) = params.map_err(|e| FieldError::new("query", e.body_text()))?;
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
    params: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let viewer = viewer.ok_or(ApiError::Unauthorized)?;
    let export = parse(params)?;
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
    params: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let export = parse(params)?;
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
    audit::record(store, &scope.tenant_id, audit_account, &who, change)
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

fn csv_rows(events: &[Event], header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(events.len() * 256));
    if header {
        w.write_record(CSV_HEADER)?;
    }
    for e in events {
        let detail = serde_json::to_string(&e.detail).unwrap_or_default();
        let metadata = serde_json::to_string(&e.metadata).unwrap_or_default();
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
            &detail,
            &metadata,
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

fn json_rows(events: &[Event], first: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(events.len() * 512);
    for (i, e) in events.iter().enumerate() {
        if !(first && i == 0) {
            out.push(b',');
        }
        out.push(b'\n');
        // An Event always serialises; an empty object keeps the array valid regardless.
        if serde_json::to_writer(&mut out, e).is_err() {
            out.extend_from_slice(b"{}");
        }
    }
    out
}

/// Pages through the selection by keyset in one task while this stream encodes the
/// previous page, so reading and encoding overlap; at most two pages wait in between,
/// which keeps memory flat. A client that goes away stops the reader.
fn stream(
    store: Store,
    scope: Scope,
    export: Export,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let (pages, rx) = tokio::sync::mpsc::channel::<Result<Vec<Event>, StoreError>>(2);
    let query = export.query.clone();
    tokio::spawn(async move {
        let mut cursor: Option<Cursor> = None;
        loop {
            let mut q = query.clone();
            q.cursor = cursor.take();
            match store.list(&scope, &q).await {
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
            Some(Ok(events)) => match s.format {
                Format::Csv => csv_rows(&events, first).map_err(std::io::Error::other),
                Format::Json => {
                    let mut chunk = if first { vec![b'['] } else { Vec::new() };
                    chunk.extend(json_rows(&events, first));
                    Ok(chunk)
                }
            },
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
    rx: tokio::sync::mpsc::Receiver<Result<Vec<Event>, StoreError>>,
    format: Format,
    first: bool,
    done: bool,
}
