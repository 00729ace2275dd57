//! HTTP errors of the API: one enum, mapped to status and JSON body in one place.

use super::record::FieldError;
use app::store::ProvisionError;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("missing, unknown or deactivated API key")]
    Unauthorized,
    /// The provisioning API (`/api/v1/admin/`) without a live operator token.
    #[error("missing, unknown or revoked operator token")]
    OperatorUnauthorized,
    /// The console's own endpoints (the export download) without a session.
    #[error("not signed in: sign in to the console first")]
    SignedOut,
    #[error("no such record")]
    NotFound,
    /// The provisioning API: what the path names does not exist (`tenant`, `user`, …).
    #[error("no such {0}")]
    NoSuch(&'static str),
    #[error("request body larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    /// A write failed: nothing from the request was stored.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// A read failed (pull, get, export).
    #[error("internal error")]
    ReadFailed(#[source] anyhow::Error),
}

impl ApiError {
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(e.into())
    }

    pub fn read_failed(e: impl Into<anyhow::Error>) -> Self {
        ApiError::ReadFailed(e.into())
    }
}

/// The provisioning store's refusals, as the operator API answers them.
impl From<ProvisionError> for ApiError {
    fn from(e: ProvisionError) -> Self {
        match e {
            ProvisionError::Taken { field, what } => ApiError::Conflict {
                field: field.into(),
                message: format!("{what} exists already"),
            },
            ProvisionError::NoTenant => ApiError::NoSuch("tenant"),
            ProvisionError::NotFound(what) => ApiError::NoSuch(what),
            ProvisionError::Invalid { field, message } => FieldError::new(field, message).into(),
            ProvisionError::Store(e) => ApiError::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            ApiError::Invalid(f) => (
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_request", "field": f.field, "message": f.message}),
            ),
            ApiError::Unauthorized | ApiError::OperatorUnauthorized | ApiError::SignedOut => (
                StatusCode::UNAUTHORIZED,
                json!({"error": "unauthorized", "message": self.to_string()}),
            ),
            ApiError::NotFound | ApiError::NoSuch(_) => (
                StatusCode::NOT_FOUND,
                json!({"error": "not_found", "message": self.to_string()}),
            ),
            ApiError::TooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"error": "payload_too_large", "field": "body", "message": self.to_string()}),
            ),
            ApiError::Conflict { field, message } => (
                StatusCode::CONFLICT,
                json!({"error": "conflict", "field": field, "message": message}),
            ),
            // The detail goes to the log, never to the client.
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "internal", "message": "internal error; nothing from this request was stored"}),
                )
            }
            ApiError::ReadFailed(e) => {
                tracing::error!(error = ?e, "read failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "internal", "message": "internal error; try again"}),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}
