//! The caller of the HTTP API: an ingest key `vgl_<prefix>_<secret>` (created by
//! `Store::create_api_key`, stored as a SHA-256 digest), bound to a tenant and
//! optionally one account.

use super::ApiError;
use crate::AppState;
use app::store::secret::secret_digest;
use axum::{extract::FromRequestParts, http::request::Parts};

/// The authenticated caller of the HTTP API.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    pub key_id: String,
    pub tenant_id: String,
    pub account_id: Option<String>,
}

impl ApiCaller {
    /// What the key may read: its tenant, or only its account.
    pub fn scope(&self) -> app::model::Scope {
        app::model::Scope {
            tenant_id: self.tenant_id.clone(),
            accounts: self.account_id.clone().map(|a| vec![a]),
        }
    }
}

fn prefix_of(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("vgl_")?;
    let (prefix, secret) = rest.split_once('_')?;
    (!prefix.is_empty() && !secret.is_empty()).then_some(prefix)
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let key = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        let prefix = prefix_of(key).ok_or(ApiError::Unauthorized)?;
        let record = state
            .store
            .api_key_by_prefix(prefix)
            .await
            .map_err(ApiError::read_failed)?
            .ok_or(ApiError::Unauthorized)?;
        if record.revoked_at.is_some() || record.secret_hash != secret_digest(key) {
            return Err(ApiError::Unauthorized);
        }
        Ok(ApiCaller {
            key_id: record.id,
            tenant_id: record.tenant_id,
            account_id: record.account_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_of;

    #[test]
    fn reads_the_prefix() {
        assert_eq!(prefix_of("vgl_abc_secret"), Some("abc"));
        assert_eq!(prefix_of("vgl__secret"), None);
        assert_eq!(prefix_of("abc_secret"), None);
        assert_eq!(prefix_of("vgl_abc_"), None);
    }
}
