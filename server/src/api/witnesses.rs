//! Witnesses over the API: a witness sends back the checkpoint it cosigned
//! (`POST /api/v1/checkpoint/cosignature`), kept once the checkpoint is Vigil's and the
//! cosignature verifies with a registered key; `GET /api/v1/witnesses` shows how far
//! each witness has got behind the latest checkpoint (README, "Witnessing").

use super::record::FieldError;
use super::{body_rejection, ApiCaller, ApiError};
use crate::AppState;
use app::store::witnesses::CosignatureError;
use axum::{
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::StatusCode,
    Json,
};
use serde_json::{json, Value};

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
pub async fn cosignature(
    State(state): State<AppState>,
    caller: ApiCaller,
    Note(note): Note,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
    Ok((status, Json(json!({ "size": size, "cosignatures": kept }))))
}

/// `GET /api/v1/witnesses`: the latest checkpoint's size, and what each witness last
/// cosigned (`behind`: records signed since).
pub async fn status(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Value>, ApiError> {
    let store = &state.store;
    let latest = store
        .checkpoints(&caller.tenant_id, 1)
        .await
        .map_err(ApiError::read_failed)?;
    let latest = latest.first();
    let latest_size = latest.map_or(0, |c| c.size);
    let witnesses: Vec<Value> = store
        .witness_status(&caller.tenant_id, &state.config.witnesses)
        .await
        .map_err(ApiError::read_failed)?
        .into_iter()
        .map(|w| {
            let behind = w.size.map(|s| latest_size.saturating_sub(s));
            let mut v = json!(w);
            v["behind"] = json!(behind);
            v
        })
        .collect();
    Ok(Json(json!({
        "latest_size": latest_size,
        "latest_signed_at": latest.map(|c| c.signed_at),
        "witnesses": witnesses,
    })))
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
