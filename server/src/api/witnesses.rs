//! Witnesses over the API: a witness sends back the checkpoint it cosigned
//! (`POST /api/v1/checkpoint/cosignature`), kept once the checkpoint is Vigil's and the
//! cosignature verifies with a registered key; `GET /api/v1/witnesses` shows how far
//! each witness has got behind the latest checkpoint (README, "Witnessing").

use super::record::FieldError;
use super::{body_rejection, ApiCaller, ApiError};
use crate::AppState;
use app::model::WitnessStatus;
use app::store::witnesses::Cosignature;
use app::store::witnesses::CosignatureError;
use axum::{
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::StatusCode,
    Json,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A cosigned note is a few hundred bytes; this leaves room for many witnesses' lines
/// (at most 100) and refuses anything else early.
pub const MAX_NOTE: usize = 64 * 1024;

/// The note, as the request's body (`text/plain`), at most `MAX_NOTE` bytes (the route
/// sets the limit).
pub struct Note(Bytes);

impl FromRequest<AppState> for Note {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(Note)
            .map_err(|e| body_rejection(e, MAX_NOTE, "note"))
    }
}

/// `POST /api/v1/checkpoint/cosignature`: the key's tenant's checkpoint as Vigil signed
/// it, with one or more registered witnesses' cosignature lines. 201 when a cosignature
/// is new, 200 when each was kept before.
#[utoipa::path(
    post, path = "/api/v1/checkpoint/cosignature", tag = "witnesses",
    request_body(content = String, content_type = "text/plain", description = "The checkpoint as Vigil signed it, with the witness's cosignature line(s)"),
    responses(
        (status = 201, description = "A cosignature was new", body = CosignatureAnswer),
        (status = 200, description = "Each cosignature was kept before", body = CosignatureAnswer),
        (status = 400, description = "The note, witness or cosignature is at fault (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or deactivated key", body = crate::api::openapi::ErrorBody),
        (status = 413, description = "Over 64 KiB", body = crate::api::openapi::ErrorBody),
    ),
    security(("ingest_key" = []))
)]
pub async fn cosignature(
    State(state): State<AppState>,
    caller: ApiCaller,
    Note(note): Note,
) -> Result<(StatusCode, Json<CosignatureAnswer>), ApiError> {
    let config = &state.config;
    let kept = state
        .store
        .add_cosignatures(
            &caller.tenant_id,
            &config.origin,
            &note,
            config.signer.verifier_key(),
            &config.witnesses,
        )
        .await
        .map_err(refused)?;
    let status = if kept.iter().any(|c| c.new) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let size = kept.first().map(|c| c.size);
    Ok((
        status,
        Json(CosignatureAnswer {
            size,
            cosignatures: kept,
        }),
    ))
}

/// What `POST /api/v1/checkpoint/cosignature` kept.
#[derive(Serialize, ToSchema)]
pub struct CosignatureAnswer {
    /// The cosigned checkpoint's size.
    pub size: Option<u64>,
    pub cosignatures: Vec<Cosignature>,
}

/// `GET /api/v1/witnesses`.
#[derive(Serialize, ToSchema)]
pub struct WitnessesAnswer {
    pub latest_size: u64,
    pub latest_signed_at: Option<DateTime<Utc>>,
    pub witnesses: Vec<WitnessRow>,
}

/// One witness, and how many records were signed since what it last cosigned.
#[derive(Serialize, ToSchema)]
pub struct WitnessRow {
    #[serde(flatten)]
    pub status: WitnessStatus,
    pub behind: Option<u64>,
}

/// `GET /api/v1/witnesses`: the latest checkpoint's size, and what each witness last
/// cosigned (`behind`: records signed since).
#[utoipa::path(
    get, path = "/api/v1/witnesses", tag = "witnesses",
    responses(
        (status = 200, description = "What each witness last cosigned", body = WitnessesAnswer),
        (status = 401, description = "Missing, unknown or deactivated key", body = crate::api::openapi::ErrorBody),
    ),
    security(("ingest_key" = []))
)]
pub async fn status(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<WitnessesAnswer>, ApiError> {
    let store = &state.store;
    let latest = store
        .checkpoints(&caller.tenant_id, 1)
        .await
        .map_err(ApiError::read_failed)?;
    let latest = latest.first();
    let latest_size = latest.map_or(0, |c| c.size);
    let witnesses = store
        .witness_status(&caller.tenant_id, &state.config.witnesses)
        .await
        .map_err(ApiError::read_failed)?
        .into_iter()
        .map(|status| WitnessRow {
            behind: status.size.map(|s| latest_size.saturating_sub(s)),
            status,
        })
        .collect();
    Ok(Json(WitnessesAnswer {
        latest_size,
        latest_signed_at: latest.map(|c| c.signed_at),
        witnesses,
    }))
}

/// A refusal names the part of the request at fault: the note, the witness or the
/// cosignature.
fn refused(e: CosignatureError) -> ApiError {
    match e {
        CosignatureError::Note(m) => FieldError::new("note", m).into(),
        CosignatureError::UnknownWitness(m) => FieldError::new("witness", m).into(),
        CosignatureError::Cosignature(m) => FieldError::new("cosignature", m).into(),
        CosignatureError::Store(e) => ApiError::internal(e),
    }
}
