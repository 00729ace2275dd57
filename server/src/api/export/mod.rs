//! Export: every record the filters select (all pages), streamed as CSV or JSON so
//! memory stays flat however many rows there are. Each export is itself audited.

mod encode;
mod stream;

use super::record::FieldError;
use super::{ApiCaller, ApiError, QueryPairs};
use crate::AppState;
use app::model::{ActorType, ConsoleQuery, EventKind, Scope, TimePreset, Viewer};
use app::store::audit::{Change, Who};
use app::store::{EventQuery, Store};
use axum::{
    body::Body,
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
    let body = Body::from_stream(stream::stream(store.clone(), scope, export));
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
