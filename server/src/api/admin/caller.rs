//! The caller of the provisioning API: an operator token `vgo_<prefix>_<secret>`
//! (`vigil operator-token create`, stored as a SHA-256 digest). An ingest key is not
//! one, nor is an operator token an ingest key (`api::ApiCaller`): their prefixes
//! differ and they live in different tables.

use super::super::ApiError;
use crate::AppState;
use app::ssr::Origin;
use app::store::audit::Who;
use app::store::operators::operator_token_prefix;
use app::store::secret::secret_digest;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::net::SocketAddr;

/// The authenticated operator, and where the request came from.
#[derive(Clone, Debug)]
pub struct OperatorCaller {
    pub token_id: String,
    pub name: String,
    origin: Origin,
}

impl OperatorCaller {
    /// Who made a change the tenant's admins read at the tenant level: with the
    /// operator's address and user agent.
    pub fn who(&self) -> Who {
        Who::operator(&self.token_id, &self.name, self.origin.clone())
    }

    /// Who made a change recorded in `account` (`None`: tenant-level): an account's
    /// admins read its records, so they get no address or user agent (as of a tenant
    /// admin's).
    pub fn who_in(&self, account: Option<&str>) -> Who {
        match account {
            Some(_) => self.who().without_origin(),
            None => self.who(),
        }
    }
}

impl FromRequestParts<AppState> for OperatorCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::OperatorUnauthorized)?;
        let prefix = operator_token_prefix(token).ok_or(ApiError::OperatorUnauthorized)?;
        let record = state
            .store
            .operator_token_by_prefix(prefix)
            .await
            .map_err(ApiError::read_failed)?
            .ok_or(ApiError::OperatorUnauthorized)?;
        if record.revoked_at.is_some() || record.secret_hash != secret_digest(token) {
            return Err(ApiError::OperatorUnauthorized);
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(OperatorCaller {
            token_id: record.id,
            name: record.name,
            origin: Origin::from_request(&parts.headers, peer),
        })
    }
}
