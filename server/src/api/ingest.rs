//! `POST /api/v1/events`: a record or a batch, appended all or nothing.

use super::record::{field_path, parse_record, FieldError, WriterScope};
use super::{ApiCaller, ApiError, Body, MAX_BATCH};
use crate::AppState;
use app::model::WrittenBy;
use app::store::audit::{Change, Who};
use app::store::{AppendError, AutoCreateError, ModelRate, NewEvent};
use axum::{extract::State, http::StatusCode, Json};
use chrono::Utc;
use serde_json::{json, Value};
use tokio::sync::Semaphore;

#[utoipa::path(
    post, path = "/api/v1/events", tag = "records",
    request_body(content = crate::api::openapi::IngestBody, description = "One record, or a batch of up to 1,000 stored all or nothing",
        example = json!({"kind": "ai_interaction", "account_id": "acme-prod", "user": "ana@acme.test",
            "action": "chat.completion", "model": "gpt-4o", "input_tokens": 1200, "output_tokens": 300, "dlp": "clean"})),
    responses(
        (status = 201, description = "Stored, or already stored (`duplicate`)", body = crate::api::openapi::IngestAnswer),
        (status = 400, description = "A record is invalid (the field is named); nothing was stored", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or deactivated key", body = crate::api::openapi::ErrorBody),
        (status = 413, description = "Body over the limit", body = crate::api::openapi::ErrorBody),
    ),
    security(("ingest_key" = []))
)]
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
    let tenant = caller.tenant_id.clone();
    let (events, batch) = tokio::task::spawn_blocking(move || {
        decode(&body, &writer, &|model, at| {
            store.model_rate_at(&tenant, model, at)
        })
    })
    .await
    .map_err(ApiError::internal)??;
    let prefix = |i: usize| item_prefix(batch, i);
    let written_by = WrittenBy::ApiKey(caller.key_id.clone());
    let store = &state.store;
    let appended = match store.append(&caller.tenant_id, &written_by, &events).await {
        Err(AppendError::UnknownAccount { index, account_id }) => {
            match create_accounts(store, &caller, &events).await {
                // Created: appended again (a record naming one can now be stored).
                Ok(true) => store.append(&caller.tenant_id, &written_by, &events).await,
                Ok(false) | Err(AutoCreateError::Off) => {
                    Err(AppendError::UnknownAccount { index, account_id })
                }
                Err(AutoCreateError::Refused { index, message }) => {
                    return Err(
                        FieldError::new(field_path(&prefix(index), "account_id"), message).into(),
                    )
                }
                Err(AutoCreateError::Store(e)) => return Err(ApiError::internal(e)),
            }
        }
        other => other,
    };
    let outcomes = appended.map_err(|e| match e {
        AppendError::UnknownAccount { index, account_id } => ApiError::Invalid(FieldError::new(
            field_path(&prefix(index), "account_id"),
            format!("no account {account_id} in this tenant"),
        )),
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

/// Creates the accounts `events` name that the tenant lacks, if the tenant creates
/// them on first sight (`auto_create_accounts`), each audited as "Account created" by
/// Vigil naming the key. `Ok(false)`: none was missing after all.
async fn create_accounts(
    store: &app::store::Store,
    caller: &ApiCaller,
    events: &[NewEvent],
) -> Result<bool, AutoCreateError> {
    let named: Vec<(usize, &str)> = events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.account_id.as_deref().map(|a| (i, a)))
        .collect();
    let now = Utc::now().timestamp_millis();
    let created = store
        .create_named_accounts(&caller.tenant_id, &named, &caller.key_id, now)
        .await?;
    if created.is_empty() {
        return Ok(false);
    }
    tracing::info!(count = created.len(), key = %caller.key_id, "accounts created on first sight");
    let changes = created.iter().map(|a| {
        let change = Change::account_created(a.as_str(), a.as_str(), Some(&caller.key_id));
        (None, change)
    });
    store
        .audit_all(&caller.tenant_id, &Who::vigil(), changes)
        .await
        .map_err(|e| match e {
            AppendError::Store(e) => AutoCreateError::Store(e),
            other => AutoCreateError::Store(app::store::StoreError::Conflict(other.to_string())),
        })?;
    Ok(true)
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
/// a model's prices at a record's time, for records that carry no cost.
pub fn decode(
    body: &[u8],
    writer: &WriterScope,
    rate: &dyn Fn(&str, chrono::DateTime<Utc>) -> Option<ModelRate>,
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
