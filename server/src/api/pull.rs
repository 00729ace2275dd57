//! `GET /api/v1/events` (pages newest first, or chain order for SIEMs that must miss
//! nothing) and `GET /api/v1/events/{id}`.

use super::export::json_rows;
use super::params::{api_query, Params, Use};
use super::{ApiCaller, ApiError, QueryPairs};
use crate::AppState;
use app::model::Event;
use app::store::{Order, RecordRef};
use axum::{
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

/// One record by id. Outside the key's scope it is "not found", exactly like a missing
/// id. Each account may use an id once: `?account_id=` names the account when several
/// of the key's accounts did.
#[tracing::instrument(skip_all, fields(tenant = %caller.tenant_id))]
#[utoipa::path(
    get, path = "/api/v1/events/{id}", tag = "records",
    params(
        ("id" = String, Path, description = "The record's id"),
        ("account_id" = Option<String>, Query, description = "Which account's record, when several of the key's accounts used the id (\"\": tenant-level)"),
    ),
    responses(
        (status = 200, description = "The record", body = app::model::Event),
        (status = 400, description = "A malformed parameter (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or deactivated key", body = crate::api::openapi::ErrorBody),
        (status = 404, description = "No such record in the key's scope", body = crate::api::openapi::ErrorBody),
        (status = 409, description = "Several of the key's accounts used the id: give `account_id`", body = crate::api::openapi::ErrorBody),
    ),
    security(("ingest_key" = []))
)]
pub async fn one(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<Event>, ApiError> {
    let id = id.parse().map_err(|_| ApiError::NotFound)?;
    let account_id = Params::read(pairs, &["account_id"])?.take("account_id");
    let record = RecordRef::Id { id, account_id };
    let found = state
        .store
        .get(&caller.scope(), &record)
        .await
        .map_err(ApiError::read_failed)?;
    // Serialised straight from the record: a `Value` copy of an admin action's values
    // would double what it takes.
    Ok(Json(the_one(found)?))
}

/// The one record an id lookup found: none is "not found"; several (one per account
/// that used the id) ask for `account_id`.
pub(super) fn the_one(mut found: Vec<Event>) -> Result<Event, ApiError> {
    match found.len() {
        0 => Err(ApiError::NotFound),
        1 => Ok(found.remove(0)),
        n => {
            let accounts: Vec<&str> = found
                .iter()
                .map(|e| e.account_id.as_deref().unwrap_or("\"\" for tenant-level"))
                .collect();
            Err(ApiError::Conflict {
                field: "account_id".into(),
                message: format!(
                    "{n} records share this id, one per account ({}): name one with account_id",
                    accounts.join(", ")
                ),
            })
        }
    }
}

/// Records of the key's scope: newest first with `cursor`, or in chain order after `after_seq`.
///
/// Each record is written from its stored text as the JSON export writes it (byte for
/// byte what `Event` serialises to), never decoded: an admin action's values may fill
/// the body limit with small values that decode into some thirty times their size, and
/// a page holds up to 1,000 records.
#[utoipa::path(
    get, path = "/api/v1/events", tag = "records",
    params(
        ("kind" = Option<app::model::EventKind>, Query, description = "Only this kind"),
        ("account_id" = Option<String>, Query, description = "Only this account (within the key's scope)"),
        ("from" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Occurred at or after (RFC 3339)"),
        ("until" = Option<chrono::DateTime<chrono::Utc>>, Query, description = "Occurred before (RFC 3339), after `from`"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Records per page (default 100; a page also stops at 16 MiB of records)"),
        ("cursor" = Option<String>, Query, description = "Newest first: the previous page's `next_cursor`"),
        ("after_seq" = Option<u64>, Query, description = "Chain order, oldest first, after this position (0: from the start)"),
    ),
    responses(
        (status = 200, description = "A page of records", body = crate::api::openapi::EventsPage),
        (status = 400, description = "An unknown, repeated or malformed parameter (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or deactivated key", body = crate::api::openapi::ErrorBody),
    ),
    security(("ingest_key" = []))
)]
#[tracing::instrument(skip_all, fields(tenant = %caller.tenant_id))]
pub async fn pull(
    State(state): State<AppState>,
    caller: ApiCaller,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    let query = api_query(pairs, Use::Pull)?;
    let (rows, next) = state
        .store
        .export_page(&caller.scope(), &query)
        .await
        .map_err(ApiError::read_failed)?;
    // Chain order pages by `after_seq` (poll again with the last one seen); newest-first by cursor.
    let (next_cursor, next_after_seq) = match &query.order {
        Order::ChainAscending { after_seq } => {
            (None, Some(rows.last().map_or(*after_seq, |r| r.seq)))
        }
        _ => (next.map(|c| c.encode()), None),
    };
    let mut body = b"{\"events\":[".to_vec();
    json_rows(&mut body, &rows, true).map_err(ApiError::read_failed)?;
    let pulled = rows.len();
    drop(rows);
    body.extend_from_slice(
        format!(
            "\n],\"next_cursor\":{},\"next_after_seq\":{}}}",
            json!(next_cursor),
            json!(next_after_seq)
        )
        .as_bytes(),
    );
    crate::ops::metrics::pulled(pulled, body.len());
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
