//! Ingest keys: `vgl_<prefix>_<secret>`, stored as a SHA-256 digest, bound to a tenant
//! and optionally one account.

use super::secret::{random_token, secret_digest};
use super::{from_ms, with_read, with_write, Store, StoreError, StoreResult};
use crate::model::{ApiKeyInfo, Scope};

/// An ingest key as stored: the secret only as a hash, so no `Serialize`.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ApiKeyRecord {
    pub id: String,
    pub secret_hash: String,
    pub tenant_id: String,
    pub account_id: Option<String>,
    pub revoked_at: Option<i64>,
}

/// An ingest key as listed (no secret material).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: String,
    pub prefix: String,
    pub name: String,
    pub tenant_id: String,
    pub account_id: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A freshly created key: the plaintext exists only here, to be shown once.
pub struct CreatedKey {
    pub id: String,
    pub prefix: String,
    pub plaintext: String,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("id", &self.id)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no such tenant")]
    NoTenant,
    #[error("no such account in this tenant")]
    NoAccount,
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct NewApiKey<'a> {
    pub id: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub tenant_id: &'a str,
    pub account_id: Option<&'a str>,
    pub name: &'a str,
}

impl Store {
    /// A new ingest key `vgl_<prefix>_<secret>` for the tenant, or only one of its
    /// accounts; only its digest is stored.
    pub async fn create_api_key(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
        name: &str,
    ) -> Result<CreatedKey, KeyError> {
        if !self.tenant_exists(tenant_id).await? {
            return Err(KeyError::NoTenant);
        }
        if let Some(a) = account_id {
            if self.account_tenant(a).await?.as_deref() != Some(tenant_id) {
                return Err(KeyError::NoAccount);
            }
        }
        let prefix = random_token(6).to_lowercase().replace(['-', '_'], "x");
        let plaintext = format!("vgl_{prefix}_{}", random_token(32));
        let id = uuid::Uuid::now_v7().to_string();
        let key = NewApiKey {
            id: &id,
            prefix: &prefix,
            secret_hash: &secret_digest(&plaintext),
            tenant_id,
            account_id,
            name,
        };
        self.insert_api_key(key, chrono::Utc::now().timestamp_millis())
            .await?;
        Ok(CreatedKey {
            id,
            prefix,
            plaintext,
        })
    }

    async fn insert_api_key(&self, key: NewApiKey<'_>, now_ms: i64) -> StoreResult<()> {
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO api_keys (id, prefix, secret_hash, tenant_id, account_id, name, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(key.id)
            .bind(key.prefix)
            .bind(key.secret_hash)
            .bind(key.tenant_id)
            .bind(key.account_id)
            .bind(key.name)
            .bind(now_ms)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKeyRecord>> {
        Ok(with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, secret_hash, tenant_id, account_id, revoked_at FROM api_keys WHERE prefix = $1",
            )
            .bind(prefix)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The tenant's keys, optionally only those bound to `accounts`.
    pub async fn api_keys_of(
        &self,
        tenant_id: &str,
        accounts: Option<&[String]>,
    ) -> StoreResult<Vec<ApiKeyRow>> {
        let rows: Vec<ApiKeyRow> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, prefix, name, tenant_id, account_id, created_at, revoked_at FROM api_keys \
                 WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC",
            )
            .bind(tenant_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .filter(|k| match (accounts, &k.account_id) {
                (None, _) => true,
                (Some(list), Some(a)) => list.contains(a),
                (Some(_), None) => false,
            })
            .collect())
    }

    /// One page of the tenant's keys, in id (so creation) order.
    pub async fn api_keys_page(
        &self,
        tenant_id: &str,
        page: &super::Page,
    ) -> StoreResult<super::Listed<ApiKeyRow>> {
        let rows: Vec<ApiKeyRow> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, prefix, name, tenant_id, account_id, created_at, revoked_at FROM api_keys \
                 WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(tenant_id)
            .bind(page.after())
            .bind(page.fetch())
            .fetch_all(pool)
            .await?
        });
        Ok(page.cut(rows, |k| &k.id))
    }

    /// The tenant's key with this id.
    pub async fn api_key_in(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ApiKeyRow>> {
        Ok(with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, prefix, name, tenant_id, account_id, created_at, revoked_at FROM api_keys \
                 WHERE tenant_id = $1 AND id = $2",
            )
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The keys `scope` reaches, as the console lists them.
    pub async fn api_keys_in(&self, scope: &Scope) -> StoreResult<Vec<ApiKeyInfo>> {
        let rows = self
            .api_keys_of(&scope.tenant_id, scope.accounts.as_deref())
            .await?;
        Ok(rows
            .into_iter()
            .map(|k| ApiKeyInfo {
                id: k.id,
                prefix: k.prefix,
                name: k.name,
                account_id: k.account_id,
                created_at: from_ms(k.created_at),
                revoked_at: k.revoked_at.map(from_ms),
            })
            .collect())
    }

    pub async fn revoke_api_key(&self, id: &str, now_ms: i64) -> StoreResult<bool> {
        let done = with_write!(self, |pool| {
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now_ms)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }
}
