//! Export: every record the filters select (all pages), streamed as CSV, JSON or a
//! bundle with its proofs (`crate::bundle`) so memory stays flat however many rows
//! there are. Each export is itself audited.

mod encode;
mod stream;

use stream::Rows;

pub(super) use encode::json_rows;

use super::record::FieldError;
use super::{ApiCaller, ApiError, QueryPairs};
use crate::bundle::{
    self,
    write::{Bounds, PlanError},
};
use crate::AppState;
use app::model::{ActorType, ConsoleQuery, EventKind, Scope, TimePreset, Viewer};
use app::store::audit::{Change, Who};
use app::store::EventQuery;
use axum::{
    body::Body,
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    Extension,
};
use chrono::Utc;
use futures_util::TryStreamExt;
use serde_json::json;
use std::net::SocketAddr;

/// Rows fetched per round trip while streaming, at most (see `stream::PAGE_BYTES`).
const CHUNK: u32 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
    Bundle,
}

struct Export {
    format: Format,
    query: EventQuery,
    /// A bundle's `seq_from`, `seq_to` and `consistent_with`.
    bounds: Bounds,
    /// What the export selected, as its audit record says.
    selection: serde_json::Value,
    /// The download's name, without the extension.
    name: String,
}

impl Format {
    /// `format`: `csv` (the default), `json` or `bundle`.
    fn take(pairs: &mut Vec<(String, String)>) -> Result<Format, FieldError> {
        let given: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| k == "format")
            .map(|(_, v)| v.clone())
            .collect();
        pairs.retain(|(k, _)| k != "format");
        match given.as_slice() {
            [] => Ok(Format::Csv),
            [one] if one == "csv" => Ok(Format::Csv),
            [one] if one == "json" => Ok(Format::Json),
            [one] if one == "bundle" => Ok(Format::Bundle),
            [_] => Err(FieldError::new("format", "csv, json or bundle")),
            _ => Err(FieldError::new("format", "given more than once")),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Bundle => "bundle",
        }
    }

    /// A bundle's `seq_from`, `seq_to` (chain positions) and `consistent_with` (a tree
    /// size), each at most once.
    fn take_bounds(self, pairs: &mut Vec<(String, String)>) -> Result<Bounds, FieldError> {
        let mut take = |field: &'static str| -> Result<Option<u64>, FieldError> {
            let given: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| k == field)
                .map(|(_, v)| v.clone())
                .collect();
            pairs.retain(|(k, _)| k != field);
            match given.as_slice() {
                [] => Ok(None),
                [_] if self != Format::Bundle => {
                    Err(FieldError::new(field, "only with format=bundle"))
                }
                [one] => one
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=i64::MAX as u64).contains(n))
                    .map(Some)
                    .ok_or_else(|| FieldError::new(field, "a whole number, 1 or more")),
                _ => Err(FieldError::new(field, "given more than once")),
            }
        };
        Ok(Bounds {
            seq_from: take("seq_from")?,
            seq_to: take("seq_to")?,
            consistent_with: take("consistent_with")?,
        })
    }
}

/// `selection` with the bundle bounds that were given (none for CSV and JSON).
fn with_bounds(mut selection: serde_json::Value, bounds: &Bounds) -> serde_json::Value {
    let given = [
        ("seq_from", bounds.seq_from),
        ("seq_to", bounds.seq_to),
        ("consistent_with", bounds.consistent_with),
    ];
    for (name, value) in given {
        if let (Some(v), Some(map)) = (value, selection.as_object_mut()) {
            map.insert(name.into(), v.into());
        }
    }
    selection
}

/// The console's export: exactly what the tab shows (its filters, repeated `f`
/// included, and `kind`), every page of it.
fn console(mut pairs: Vec<(String, String)>) -> Result<Export, FieldError> {
    let format = Format::take(&mut pairs)?;
    let bounds = format.take_bounds(&mut pairs)?;
    let kind = pairs
        .iter()
        .find(|(key, _)| key == "kind")
        .map(|(_, v)| v.as_str())
        .filter(|k| !k.is_empty())
        .map(|k| {
            k.parse::<EventKind>()
                .map_err(|e| FieldError::new("kind", e.to_string()))
        })
        .transpose()?;
    let console = ConsoleQuery::from_pairs(kind, &pairs);
    if let Some((field, problem)) = console.problem() {
        // The console's URL names the search `q`.
        let field = if field == "search" { "q" } else { field };
        return Err(FieldError::new(field, problem));
    }
    let now = Utc::now();
    let mut query = EventQuery::from_console(&console, now);
    query.limit = CHUNK;
    let range = match (console.range.preset, query.from, query.until) {
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
    Ok(Export {
        format,
        selection: with_bounds(
            json!({
                "format": format.as_str(),
                "kind": query.kind.map(EventKind::as_str),
                "filters": console.to_pairs(),
                "range": console.range.describe(now),
            }),
            &bounds,
        ),
        name: format!("Account_Audit_Logs_{range}"),
        query,
        bounds,
    })
}

/// The HTTP API's export: `format`, `kind`, `account_id`, `from`, `until`, read exactly
/// as a pull reads them.
fn api(mut pairs: Vec<(String, String)>) -> Result<Export, FieldError> {
    let format = Format::take(&mut pairs)?;
    let bounds = format.take_bounds(&mut pairs)?;
    let mut query = super::params::api_query(pairs, super::params::Use::Export)?;
    query.limit = CHUNK;
    let day = |t: Option<chrono::DateTime<Utc>>, open: &str| {
        t.map_or(open.to_owned(), |t| {
            t.format("%Y-%m-%dT%H%M%SZ").to_string()
        })
    };
    Ok(Export {
        format,
        selection: with_bounds(
            json!({
                "format": format.as_str(),
                "kind": query.kind.map(EventKind::as_str),
                "account_id": query.account_id,
                "from": query.from,
                "until": query.until,
            }),
            &bounds,
        ),
        name: format!(
            "Vigil_Export_{}_to_{}",
            day(query.from, "start"),
            day(query.until, "now")
        ),
        query,
        bounds,
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
    let export = console(pairs)?;
    let who = Who::user(&viewer.email, &headers, Some(peer));
    start(
        &state,
        viewer.scope.clone(),
        viewer.home_account(),
        who,
        export,
    )
    .await
}

#[utoipa::path(
    get, path = "/api/v1/export", tag = "records",
    params(
        ("format" = Option<String>, Query, description = "`csv` (default), `json` or `bundle` (README, \"Export bundles\")"),
        ("kind" = Option<app::model::EventKind>, Query, description = "Only this kind"),
        ("account_id" = Option<String>, Query, description = "Only this account"),
        ("from" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Occurred at or after (RFC 3339)"),
        ("until" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Occurred before (RFC 3339)"),
        ("seq_from" = Option<u64>, Query, minimum = 1, description = "Bundle only: the first chain position"),
        ("seq_to" = Option<u64>, Query, minimum = 1, description = "Bundle only: the last chain position"),
        ("consistent_with" = Option<u64>, Query, minimum = 1, description = "Bundle only: prove consistency with the checkpoint of this size"),
    ),
    responses(
        (status = 200, description = "Every selected record, streamed", content(
            (String = "text/csv"),
            (Vec<app::model::Event> = "application/json"),
            (String = "application/x-ndjson"),
        )),
        (status = 400, description = "An unknown, repeated or malformed parameter (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or deactivated key", body = crate::api::openapi::ErrorBody),
    ),
    security(("ingest_key" = []))
)]
/// `GET /api/v1/export` for an API key.
pub async fn api_export(
    State(state): State<AppState>,
    caller: ApiCaller,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    let export = api(pairs)?;
    let mut who = Who::user(&format!("api_key:{}", caller.key_id), &headers, Some(peer));
    who.actor_type = ActorType::ApiKey;
    start(
        &state,
        caller.scope(),
        caller.account_id.clone(),
        who,
        export,
    )
    .await
}

async fn start(
    state: &AppState,
    scope: Scope,
    audit_account: Option<String>,
    who: Who,
    export: Export,
) -> Result<Response, ApiError> {
    let store = &state.store;
    // A bundle is planned first, so a request it cannot serve is refused unaudited.
    let bundle = match export.format {
        Format::Bundle => Some(
            bundle::write::plan(
                store,
                &state.config.signer,
                &state.config.origin,
                scope.clone(),
                export.query.clone(),
                export.bounds,
                export.selection.clone(),
            )
            .await
            .map_err(|e| match e {
                PlanError::Invalid { field, message } => FieldError::new(field, message).into(),
                PlanError::Store(e) => ApiError::read_failed(e),
            })?,
        ),
        _ => None,
    };
    let change = Change {
        action: "export",
        resource_type: "audit_log",
        resource_id: None,
        event_name: "Audit log exported",
        old_value: None,
        new_value: Some(export.selection.clone()),
    };
    store
        .audit(&scope.tenant_id, audit_account, &who, change)
        .await
        .map_err(ApiError::read_failed)?;

    let (content_type, ext) = match export.format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Json => ("application/json", "json"),
        Format::Bundle => ("application/x-ndjson", "bundle.jsonl"),
    };
    let disposition = format!("attachment; filename=\"{}.{ext}\"", export.name);
    // Every chunk sent is counted as the export's throughput (`/metrics`).
    let format = export.format.as_str();
    let counted = move |chunk: &axum::body::Bytes| {
        crate::ops::metrics::exported_bytes(format, chunk.len());
    };
    let rows = |rows| {
        Body::from_stream(
            stream::stream(store.clone(), scope, export.query, rows).inspect_ok(counted),
        )
    };
    let body = match (bundle, export.format) {
        (Some(plan), _) => Body::from_stream(
            bundle::write::stream(store.clone(), plan)
                .map_err(std::io::Error::other)
                .inspect_ok(counted),
        ),
        (None, Format::Json) => rows(Rows::Json),
        (None, _) => rows(Rows::Csv),
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
