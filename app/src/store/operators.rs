//! Operator tokens `vgo_<prefix>_<secret>`: the credentials of the provisioning API
//! (`/api/v1/admin/`), made by `vigil operator-token create`. Stored as ingest keys are
//! (keys.rs): a SHA-256 digest, found by prefix. Not bound to any tenant.

use super::secret::{random_token, secret_digest};
use super::{with_read, with_write, Store, StoreResult};
use crate::model::DisplayName;

/// What starts every operator token (an ingest key starts `vgl_`).
pub const OPERATOR_TOKEN_PREFIX: &str = "vgo_";

/// An operator token as stored: the secret only as a hash, so no `Serialize`.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OperatorTokenRecord {
    pub id: String,
    pub name: String,
    pub secret_hash: String,
    pub revoked_at: Option<i64>,
}

/// An operator token as listed (no secret material).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OperatorTokenRow {
    pub id: String,
    pub prefix: String,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A token just made: the plaintext exists only here, to be printed once.
pub struct CreatedOperatorToken {
    pub id: String,
    pub prefix: String,
    pub plaintext: String,
}

impl std::fmt::Debug for CreatedOperatorToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedOperatorToken")
            .field("id", &self.id)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// The prefix of a token that looks like an operator token.
pub fn operator_token_prefix(token: &str) -> Option<&str> {
    let rest = token.strip_prefix(OPERATOR_TOKEN_PREFIX)?;
    let (prefix, secret) = rest.split_once('_')?;
    (!prefix.is_empty() && !secret.is_empty()).then_some(prefix)
}

impl Store {
    /// A new operator token; only its digest is stored.
    pub async fn create_operator_token(
        &self,
        name: &DisplayName,
        now_ms: i64,
    ) -> StoreResult<CreatedOperatorToken> {
        let prefix = random_token(6).to_lowercase().replace(['-', '_'], "x");
        let plaintext = format!("{OPERATOR_TOKEN_PREFIX}{prefix}_{}", random_token(32));
        let id = format!("op_{}", uuid::Uuid::now_v7().simple());
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO operator_tokens (id, prefix, secret_hash, name, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&id)
            .bind(&prefix)
            .bind(secret_digest(&plaintext))
            .bind(name.as_str())
            .bind(now_ms)
            .execute(pool)
            .await?;
        });
        Ok(CreatedOperatorToken {
            id,
            prefix,
            plaintext,
        })
    }

    pub async fn operator_token_by_prefix(
        &self,
        prefix: &str,
    ) -> StoreResult<Option<OperatorTokenRecord>> {
        Ok(with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, name, secret_hash, revoked_at FROM operator_tokens WHERE prefix = $1",
            )
            .bind(prefix)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Every operator token, newest first.
    pub async fn operator_tokens(&self) -> StoreResult<Vec<OperatorTokenRow>> {
        Ok(with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, prefix, name, created_at, revoked_at FROM operator_tokens \
                 ORDER BY created_at DESC, id DESC",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Revokes the token with this id (or prefix); `false` if none is live.
    pub async fn revoke_operator_token(
        &self,
        id_or_prefix: &str,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let done = with_write!(self, |pool| {
            sqlx::query(
                "UPDATE operator_tokens SET revoked_at = $1 \
                 WHERE (id = $2 OR prefix = $2) AND revoked_at IS NULL",
            )
            .bind(now_ms)
            .bind(id_or_prefix)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }

    /// An operator token's name and prefix, for provenance (`operator:<id>`).
    pub(super) async fn operator_token_label(
        &self,
        id: &str,
    ) -> StoreResult<Option<(String, String)>> {
        Ok(with_read!(self, |pool| {
            sqlx::query_as("SELECT name, prefix FROM operator_tokens WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::operator_token_prefix;

    #[test]
    fn reads_the_prefix_of_operator_tokens_only() {
        assert_eq!(operator_token_prefix("vgo_abc_secret"), Some("abc"));
        assert_eq!(operator_token_prefix("vgl_abc_secret"), None);
        assert_eq!(operator_token_prefix("vgo__secret"), None);
        assert_eq!(operator_token_prefix("vgo_abc_"), None);
    }
}
