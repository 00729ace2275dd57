//! `POST /api/v1/events`: a record or a batch, appended all or nothing.

use super::record::{field_path, parse_record, FieldError, WriterScope};
use super::{ApiCaller, ApiError, Body, MAX_BATCH};
use crate::AppState;
use app::model::WrittenBy;
use app::store::{AppendError, ModelRate, NewEvent};
use axum::{extract::State, http::StatusCode, Json};
use chrono::Utc;
use serde_json::{json, Value};
use tokio::sync::Semaphore;

#[tracing::instrument(skip_all, fields(tenant = %caller.tenant_id))]
pub async fn ingest(
    State(state): State<AppState>,
    caller: ApiCaller,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let writer = WriterScope {
        account_id: caller.account_id.clone(),
    };
    // Bodies being decoded and appended at once hold at most DECODING_BYTES between
    // them: a body of tiny nested values decodes into some thirty times its size
    // (bench/peak-rss.sh), so without a bound concurrent bodies had no memory ceiling.
    // Held until the records are appended, as the decoded records still hold it.
    let _budget = DECODING
        .acquire_many(decoding_permits(body.len()))
        .await
        .map_err(ApiError::internal)?;
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
    crate::ops::metrics::ingested(&events, &outcomes);
    let stored = outcomes.iter().filter(|o| !o.duplicate).count();
    tracing::info!(stored, duplicates = outcomes.len() - stored, "appended");
    let body = if batch {
        json!({ "stored": stored, "events": outcomes })
    } else {
        json!(outcomes.first())
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// The body bytes decoding at once, across requests: two bodies at the 32 MiB limit.
const DECODING_BYTES: usize = 64 << 20;
/// One permit per KiB of body.
static DECODING: Semaphore = Semaphore::const_new(DECODING_BYTES >> 10);

/// A body's permits: its KiB, rounded up, at most the whole budget (a body over the
/// budget, allowed by a raised body limit, waits until it is alone).
fn decoding_permits(len: usize) -> u32 {
    let kib = len.div_ceil(1024).clamp(1, DECODING_BYTES >> 10);
    u32::try_from(kib).unwrap_or(u32::MAX)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_bodies_at_the_limit_decode_at_once_and_no_more() {
        let budget = (DECODING_BYTES >> 10) as u32;
        assert_eq!(decoding_permits(0), 1);
        assert_eq!(decoding_permits(1), 1);
        assert_eq!(decoding_permits(1025), 2);
        assert_eq!(decoding_permits(32 << 20), budget / 2);
        assert_eq!(
            decoding_permits(1 << 30),
            budget,
            "never more than the whole budget"
        );
        assert_eq!(DECODING.available_permits(), budget as usize);
    }
}
