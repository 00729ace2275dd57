//! What an auditor checks the log with: the tenant's signed checkpoints, the key that
//! signed them, and inclusion and consistency proofs of its Merkle tree (README,
//! "Trust"). A key sees its tenant's tree; an inclusion proof only of records in scope.

use super::params::Params;
use super::pull::the_one;
use super::record::FieldError;
use super::{ApiCaller, ApiError, QueryPairs};
use crate::AppState;
use app::model::{Scope, SignedCheckpoint, Viewer};
use app::store::{RecordRef, TreeError};
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    Extension, Json,
};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

/// Checkpoints one history request returns at most.
const MAX_HISTORY: u32 = 1000;

/// `GET /api/v1/public-key`: the verifier key of the checkpoints' signatures, as a C2SP
/// note verifier key (`name+keyid+base64`). Public: no key needed.
#[utoipa::path(
    get, path = "/api/v1/public-key", tag = "proofs",
    responses((status = 200, description = "The checkpoints' verifier key, `name+keyid+base64` (C2SP note)", body = String, content_type = "text/plain")),
)]
pub async fn public_key(State(state): State<AppState>) -> Response {
    text(state.config.signer.verifier_key().to_string())
}

/// `GET /api/v1/checkpoint`: the tenant's latest signed checkpoint (signed now if the
/// tree grew since the last), as the signed note itself.
#[utoipa::path(
    get, path = "/api/v1/checkpoint", tag = "proofs",
    responses(
        (status = 200, description = "The latest signed checkpoint (a C2SP signed note; empty before the first record)", body = String, content_type = "text/plain"),
        (status = 401, description = "Missing, unknown or deactivated key", body = crate::api::openapi::ErrorBody),
    ),
    security(("ingest_key" = []))
)]
pub async fn latest(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Response, ApiError> {
    let latest = latest_checkpoint(&state, &caller.tenant_id).await?;
    Ok(text(latest.map_or_else(String::new, |c| c.note)))
}

/// `GET /api/v1/checkpoints?limit=N`: the tenant's checkpoints, newest first.
#[utoipa::path(
    get, path = "/api/v1/checkpoints", tag = "proofs",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "How many, newest first (default 100)")),
    responses(
        (status = 200, description = "The tenant's checkpoints, newest first", body = crate::api::openapi::CheckpointList),
        (status = 400, description = "A malformed parameter (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or deactivated key", body = crate::api::openapi::ErrorBody),
    ),
    security(("ingest_key" = []))
)]
pub async fn history(
    State(state): State<AppState>,
    caller: ApiCaller,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<Value>, ApiError> {
    let mut limit = 100;
    for (name, value) in pairs {
        match name.as_str() {
            "limit" => {
                limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_HISTORY).contains(n))
                    .ok_or_else(|| {
                        FieldError::new("limit", format!("between 1 and {MAX_HISTORY}"))
                    })?;
            }
            _ => return Err(FieldError::new(name, "unknown parameter (use limit)").into()),
        }
    }
    let list = state
        .store
        .checkpoints(&caller.tenant_id, limit)
        .await
        .map_err(ApiError::read_failed)?;
    Ok(Json(json!({ "checkpoints": list })))
}

/// `GET /api/v1/proof/inclusion?id=…[&account_id=…]&size=N` (or `seq=` instead of `id`):
/// the record's leaf and its inclusion proof in the tree of `size` records (default: the
/// latest checkpoint's).
#[utoipa::path(
    get, path = "/api/v1/proof/inclusion", tag = "proofs",
    params(
        ("id" = Option<String>, Query, description = "The record's id (or give `seq`)"),
        ("account_id" = Option<String>, Query, description = "Which account's record, when several used the id"),
        ("seq" = Option<u64>, Query, description = "The record's chain position (or give `id`)"),
        ("size" = Option<u64>, Query, description = "The tree size (default: the latest checkpoint's)"),
    ),
    responses(
        (status = 200, description = "The record's leaf and its RFC 9162 inclusion proof", body = InclusionProof),
        (status = 400, description = "A malformed parameter, or a size the tree does not have (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or deactivated key", body = crate::api::openapi::ErrorBody),
        (status = 404, description = "No such record in the key's scope", body = crate::api::openapi::ErrorBody),
        (status = 409, description = "Several accounts used the id: give `account_id`", body = crate::api::openapi::ErrorBody),
    ),
    security(("ingest_key" = []))
)]
pub async fn inclusion(
    State(state): State<AppState>,
    caller: ApiCaller,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<InclusionProof>, ApiError> {
    let mut p = Params::read(pairs, &["id", "account_id", "seq", "size"])?;
    let record = match (p.take("id"), p.take("seq")) {
        (Some(id), None) => RecordRef::Id {
            id: id
                .parse()
                .map_err(|_| FieldError::new("id", "not a record id (a UUID)"))?,
            account_id: p.take("account_id"),
        },
        (None, Some(seq)) => RecordRef::Seq(number("seq", &seq)? as i64),
        _ => return Err(FieldError::new("id", "give either id or seq").into()),
    };
    let size = p.take("size").map(|s| number("size", &s)).transpose()?;
    Ok(Json(
        proof_of(&state, &caller.scope(), &record, size).await?,
    ))
}

/// `GET /proof?seq=N` for a signed-in console user: the record's inclusion proof in the
/// latest checkpoint, as a file to download (the drawer links it).
pub async fn console_inclusion(
    State(state): State<AppState>,
    Extension(viewer): Extension<Option<Viewer>>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, ApiError> {
    let viewer = viewer.ok_or(ApiError::SignedOut)?;
    let mut p = Params::read(pairs, &["seq"])?;
    let seq = number(
        "seq",
        &p.take("seq")
            .ok_or_else(|| FieldError::new("seq", "required"))?,
    )?;
    let proof = proof_of(&state, &viewer.scope, &RecordRef::Seq(seq as i64), None).await?;
    let disposition = format!("attachment; filename=\"vigil-record-{seq}-inclusion-proof.json\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Json(proof),
    )
        .into_response())
}

/// The inclusion proof of the one record `record` names in `scope`, in the tree of
/// `size` records (default: the latest checkpoint's), with that checkpoint and the key
/// that signed it: all an auditor needs to check it offline.
async fn proof_of(
    state: &AppState,
    scope: &Scope,
    record: &RecordRef,
    size: Option<u64>,
) -> Result<InclusionProof, ApiError> {
    let tenant_id = &scope.tenant_id;
    let found = state
        .store
        .get(scope, record)
        .await
        .map_err(ApiError::read_failed)?;
    let event = the_one(found)?;
    let size = match size {
        Some(size) => size,
        None => latest_checkpoint(state, tenant_id)
            .await?
            .map_or(0, |c| c.size),
    };
    let index = event.seq.max(1) as u64 - 1;
    if index >= size {
        return Err(FieldError::new(
            "size",
            format!(
                "the record is number {}: size must be at least that",
                event.seq
            ),
        )
        .into());
    }
    let store = &state.store;
    let leaf = store
        .leaf(tenant_id, event.seq)
        .await
        .map_err(ApiError::read_failed)?
        .ok_or(ApiError::NotFound)?;
    let proof = store
        .inclusion_proof(tenant_id, index, size)
        .await
        .map_err(proof_error)?;
    let checkpoint = store
        .checkpoint_at(tenant_id, size)
        .await
        .map_err(ApiError::read_failed)?;
    Ok(InclusionProof {
        id: event.id,
        seq: event.seq,
        leaf_index: index,
        tree_size: size,
        leaf_hash: hex::encode(leaf),
        proof: proof.iter().map(hex::encode).collect(),
        checkpoint: checkpoint.map(|c| c.note),
        public_key: state.config.signer.verifier_key().to_string(),
    })
}

/// A record's leaf and its inclusion proof, with the checkpoint and key to check it by.
#[derive(Serialize, ToSchema)]
pub struct InclusionProof {
    pub id: uuid::Uuid,
    pub seq: i64,
    /// `seq - 1`.
    pub leaf_index: u64,
    pub tree_size: u64,
    /// SHA-256(0x00 ‖ the record's canonical bytes), hex.
    pub leaf_hash: String,
    /// RFC 9162 PATH, hex, the leaf's sibling first.
    pub proof: Vec<String>,
    /// The signed checkpoint at `tree_size`, if one was signed there.
    pub checkpoint: Option<String>,
    pub public_key: String,
}

/// The RFC 9162 consistency proof between two tree sizes, hex.
#[derive(Serialize, ToSchema)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub proof: Vec<String>,
}

/// `GET /api/v1/proof/consistency?from=M&to=N`: the proof that the tree of `from`
/// records is the start of the tree of `to` (default: the latest checkpoint's size).
#[utoipa::path(
    get, path = "/api/v1/proof/consistency", tag = "proofs",
    params(
        ("from" = u64, Query, description = "The older tree's size"),
        ("to" = Option<u64>, Query, description = "The newer tree's size (default: the latest checkpoint's)"),
    ),
    responses(
        (status = 200, description = "The RFC 9162 consistency proof", body = ConsistencyProof),
        (status = 400, description = "A malformed parameter, or sizes the tree does not have (named)", body = crate::api::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown or deactivated key", body = crate::api::openapi::ErrorBody),
    ),
    security(("ingest_key" = []))
)]
pub async fn consistency(
    State(state): State<AppState>,
    caller: ApiCaller,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let mut p = Params::read(pairs, &["from", "to"])?;
    let from = number(
        "from",
        &p.take("from")
            .ok_or_else(|| FieldError::new("from", "required"))?,
    )?;
    let to = match p.take("to") {
        Some(to) => number("to", &to)?,
        None => latest_checkpoint(&state, &caller.tenant_id)
            .await?
            .map_or(0, |c| c.size),
    };
    if from > to {
        return Err(FieldError::new("to", "must be at least from").into());
    }
    let proof = state
        .store
        .consistency_proof(&caller.tenant_id, from, to)
        .await
        .map_err(proof_error)?;
    Ok(Json(ConsistencyProof {
        from,
        to,
        proof: proof.iter().map(hex::encode).collect(),
    }))
}

/// The tenant's latest checkpoint, signing one first if its tree grew since.
async fn latest_checkpoint(
    state: &AppState,
    tenant_id: &str,
) -> Result<Option<SignedCheckpoint>, ApiError> {
    state
        .store
        .sign_checkpoint_of(&state.config.signer, &state.config.origin, tenant_id)
        .await
        .map_err(ApiError::read_failed)
}

fn proof_error(e: TreeError) -> ApiError {
    match e {
        TreeError::Invalid(message) => FieldError::new("size", message).into(),
        TreeError::Store(e) => ApiError::read_failed(e),
    }
}

fn number(field: &str, text: &str) -> Result<u64, FieldError> {
    text.parse::<u64>()
        .ok()
        .filter(|n| *n <= i64::MAX as u64)
        .ok_or_else(|| FieldError::new(field, "a whole number, 0 or more"))
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
