//! The HTTP API: `POST /api/v1/events` to append, `GET /api/v1/events` to pull.

mod error;
pub mod record;

pub use error::ApiError;

use crate::{
    auth::api_key::ApiCaller, store::AppendError, store::Cursor, store::EventQuery, store::Order,
    AppState,
};
use app::model::EventKind;
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, rejection::QueryRejection, Query, State},
    http::StatusCode,
    routing::get,
    Json, Router,
};
use chrono::{DateTime, Utc};
use record::{field_path, parse_record, FieldError, WriterScope};
use serde::Deserialize;
use serde_json::{json, Value};

/// Records in one request at most.
pub const MAX_BATCH: usize = 1000;

pub fn routes(body_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", get(pull).post(ingest))
        .route("/api/v1/events/{id}", get(one))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
}

#[tracing::instrument(skip_all, fields(tenant = %caller.tenant_id))]
async fn ingest(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge {
            limit: state.config.body_limit,
        },
        _ => ApiError::Invalid(FieldError::new("body", e.body_text())),
    })?;
    let writer = WriterScope {
        tenant_id: caller.tenant_id.clone(),
        account_id: caller.account_id.clone(),
    };
    // Decoding a batch takes milliseconds of CPU: on a blocking thread, so the runtime's
    // workers stay free to drive the writer's transaction between its statements.
    let store = state.store.clone();
    let (events, batch) = tokio::task::spawn_blocking(move || decode(&body, &writer, &store))
        .await
        .map_err(ApiError::internal)??;
    let prefix = |i: usize| item_prefix(batch, i);
    let outcomes = state
        .store
        .append(&caller.tenant_id, &events)
        .await
        .map_err(|e| match e {
            AppendError::UnknownAccount { index, account_id } => {
                ApiError::Invalid(FieldError::new(
                    field_path(&prefix(index), "account_id"),
                    format!("no account {account_id} in this tenant"),
                ))
            }
            AppendError::IdTaken { index, .. } => ApiError::Conflict {
                field: field_path(&prefix(index), "id"),
                message: "this id is already used by another record".into(),
            },
            AppendError::Store(e) => ApiError::internal(e),
        })?;
    let stored = outcomes.iter().filter(|o| !o.duplicate).count();
    tracing::info!(stored, duplicates = outcomes.len() - stored, "appended");
    let body = if batch {
        json!({ "stored": stored, "events": outcomes })
    } else {
        json!(outcomes.first())
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// The records of an ingest body, and whether it was a batch (an array).
fn decode(
    body: &[u8],
    writer: &WriterScope,
    store: &crate::store::Store,
) -> Result<(Vec<crate::store::NewEvent>, bool), FieldError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| FieldError::new("body", format!("not valid JSON: {e}")))?;
    let (items, batch) = match value {
        Value::Array(items) => (items, true),
        single => (vec![single], false),
    };
    if items.is_empty() {
        return Err(FieldError::new(
            "body",
            "an empty array: send at least one record",
        ));
    }
    if items.len() > MAX_BATCH {
        return Err(FieldError::new(
            "body",
            format!("{} records: at most {MAX_BATCH} per request", items.len()),
        ));
    }
    let now = Utc::now();
    let events = items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            parse_record(
                v,
                &item_prefix(batch, i),
                writer,
                |m| store.model_rate(m),
                now,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((events, batch))
}

/// Where item `i` of a body sits in field paths: `[i]` in a batch, nothing alone.
fn item_prefix(batch: bool, i: usize) -> String {
    if batch {
        format!("[{i}]")
    } else {
        String::new()
    }
}

/// One record by id. Outside the key's scope it is "not found", exactly like a missing id.
#[tracing::instrument(skip_all, fields(tenant = %caller.tenant_id))]
async fn one(
    State(state): State<AppState>,
    caller: ApiCaller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    let not_found = || ApiError::NotFound;
    let id = id.parse().map_err(|_| not_found())?;
    let event = state
        .store
        .get(&caller.scope(), id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(not_found)?;
    Ok(Json(json!(event)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PullParams {
    kind: Option<String>,
    account_id: Option<String>,
    from: Option<String>,
    until: Option<String>,
    cursor: Option<String>,
    after_seq: Option<i64>,
    limit: Option<u32>,
}

fn parse_time(field: &str, text: Option<String>) -> Result<Option<DateTime<Utc>>, FieldError> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(&t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                FieldError::new(
                    field,
                    "expected an RFC 3339 time such as 2026-11-23T10:00:00Z",
                )
            })
    })
    .transpose()
}

/// Records of the key's scope: newest first with `cursor`, or in chain order after `after_seq`.
#[tracing::instrument(skip_all, fields(tenant = %caller.tenant_id))]
async fn pull(
    State(state): State<AppState>,
    caller: ApiCaller,
    params: Result<Query<PullParams>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(p) = params.map_err(|e| FieldError::new("query", e.body_text()))?;
    if p.cursor.is_some() && p.after_seq.is_some() {
        return Err(FieldError::new("after_seq", "use either cursor or after_seq").into());
    }
    let kind = p
        .kind
        .map(|k| {
            k.parse::<EventKind>()
                .map_err(|e| FieldError::new("kind", e.to_string()))
        })
        .transpose()?;
    let cursor = p
        .cursor
        .map(|c| {
            Cursor::decode(&c)
                .ok_or_else(|| FieldError::new("cursor", "not a cursor this API returned"))
        })
        .transpose()?;
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(FieldError::new("limit", "between 1 and 1000").into());
    }
    let scope = caller.scope();
    let query = EventQuery {
        kind,
        account_id: p.account_id,
        from: parse_time("from", p.from)?,
        until: parse_time("until", p.until)?,
        cursor,
        order: p
            .after_seq
            .map_or(Order::NewestFirst, |after_seq| Order::ChainAscending {
                after_seq,
            }),
        limit,
        ..EventQuery::default()
    };
    let (events, next) = state
        .store
        .list(&scope, &query)
        .await
        .map_err(ApiError::internal)?;
    // Chain order pages by `after_seq` (poll again with the last one seen); newest-first by cursor.
    let (next_cursor, next_after_seq) = match &query.order {
        Order::ChainAscending { after_seq } => {
            (None, Some(events.last().map_or(*after_seq, |e| e.seq)))
        }
        _ => (next.map(|c| c.encode()), None),
    };
    Ok(Json(json!({
        "events": events,
        "next_cursor": next_cursor,
        "next_after_seq": next_after_seq,
    })))
}
