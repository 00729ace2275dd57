//! `POST /api/v1/events`: a record or a batch, appended all or nothing.

use super::record::{field_path, parse_record, FieldError, WriterScope};
use super::{ApiCaller, ApiError, Body, MAX_BATCH};
use crate::AppState;
use app::model::WrittenBy;
use app::store::{AppendError, ModelRate, NewEvent};
use axum::{extract::State, http::StatusCode, Json};
use chrono::Utc;
use serde_json::{json, Value};

#[tracing::instrument(skip_all, fields(tenant = %caller.tenant_id))]
pub async fn ingest(
    State(state): State<AppState>,
    caller: ApiCaller,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let writer = WriterScope {
        account_id: caller.account_id.clone(),
    };
    // Decoding a batch takes milliseconds of CPU: on a blocking thread, so the runtime's
    // workers stay free to drive the writer's transaction between its statements.
    let store = state.store.clone();
    let (events, batch) =
        tokio::task::spawn_blocking(move || decode(&body, &writer, &|m| store.model_rate(m)))
            .await
            .map_err(ApiError::internal)??;
    let prefix = |i: usize| item_prefix(batch, i);
    let written_by = WrittenBy::ApiKey(caller.key_id.clone());
    let outcomes = state
        .store
        .append(&caller.tenant_id, &written_by, &events)
        .await
        .map_err(|e| match e {
            AppendError::UnknownAccount { index, account_id } => {
                ApiError::Invalid(FieldError::new(
                    field_path(&prefix(index), "account_id"),
                    format!("no account {account_id} in this tenant"),
                ))
            }
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

/// The records of an ingest body, and whether it was a batch (an array); `rate` gives
/// a model's prices, for records that carry no cost.
pub fn decode(
    body: &[u8],
    writer: &WriterScope,
    rate: &dyn Fn(&str) -> Option<ModelRate>,
) -> Result<(Vec<NewEvent>, bool), FieldError> {
    let value = super::strict_json::parse(body)?;
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
        .map(|(i, v)| parse_record(v, &item_prefix(batch, i), writer, rate, now))
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
