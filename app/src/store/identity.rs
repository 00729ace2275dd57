//! Tenants, accounts, users and sessions: who may read what (ingest keys: keys.rs).

use super::{with_read, with_write, Store, StoreError, StoreResult};
use crate::model::{AccountInfo, Role, Scope, Viewer};

/// What sign-in needs to check a password. Holds a hash: no `Serialize`.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserLogin {
    pub id: String,
    pub tenant_id: String,
    pub password_hash: String,
    pub disabled_at: Option<i64>,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    /// The smallest id of the user's accounts in their tenant (see `Viewer::home_account`).
    pub home_account: Option<String>,
    tenant_roles: i64,
}

impl UserLogin {
    pub fn audit_account(&self) -> Option<String> {
        if self.tenant_roles > 0 {
            None
        } else {
            self.home_account.clone()
        }
    }
}

/// Failures in a row that lock a user, and for how long.
pub const LOCK_AFTER_FAILURES: i64 = 5;
pub const LOCK_MS: i64 = 15 * 60 * 1000;

pub struct NewUser<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    /// Required for account admins, absent for tenant admins.
    pub account_id: Option<&'a str>,
}

impl Store {
    pub async fn create_tenant(&self, id: &str, name: &str, now_ms: i64) -> StoreResult<()> {
        with_write!(self, |pool| {
            sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(name)
                .bind(now_ms)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn create_account(
        &self,
        id: &str,
        tenant_id: &str,
        name: &str,
        now_ms: i64,
    ) -> StoreResult<()> {
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO accounts (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(tenant_id)
            .bind(name)
            .bind(now_ms)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The tenant an account belongs to.
    pub async fn account_tenant(&self, account_id: &str) -> StoreResult<Option<String>> {
        Ok(with_read!(self, |pool| {
            sqlx::query_scalar("SELECT tenant_id FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    pub async fn tenant_exists(&self, tenant_id: &str) -> StoreResult<bool> {
        let found: Option<String> = with_read!(self, |pool| {
            sqlx::query_scalar("SELECT id FROM tenants WHERE id = $1")
                .bind(tenant_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// The accounts `scope` may see.
    pub async fn accounts_in(&self, scope: &Scope) -> StoreResult<Vec<AccountInfo>> {
        Ok(self
            .accounts_of(&scope.tenant_id)
            .await?
            .into_iter()
            .filter(|(id, _)| scope.allows_account(Some(id)))
            .map(|(id, name)| AccountInfo { id, name })
            .collect())
    }

    pub async fn accounts_of(&self, tenant_id: &str) -> StoreResult<Vec<(String, String)>> {
        Ok(with_read!(self, |pool| {
            sqlx::query_as("SELECT id, name FROM accounts WHERE tenant_id = $1 ORDER BY id")
                .bind(tenant_id)
                .fetch_all(pool)
                .await?
        }))
    }

    pub async fn create_user(&self, user: NewUser<'_>, now_ms: i64) -> StoreResult<()> {
        if user.role == Role::AccountAdmin && user.account_id.is_none() {
            return Err(StoreError::Conflict(
                "an account admin needs an account".into(),
            ));
        }
        with_write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO users (id, tenant_id, email, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(user.id)
            .bind(user.tenant_id)
            .bind(user.email)
            .bind(user.password_hash)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO memberships (user_id, account_id, role) VALUES ($1, $2, $3)")
                .bind(user.id)
                .bind(user.account_id)
                .bind(user.role.as_str())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn user_login(&self, email: &str) -> StoreResult<Option<UserLogin>> {
        Ok(with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT u.id, u.tenant_id, u.password_hash, u.disabled_at, u.failed_logins, u.locked_until, \
                 (SELECT MIN(m.account_id) FROM memberships m JOIN accounts a ON a.id = m.account_id \
                 WHERE m.user_id = u.id AND m.role = 'account_admin' AND a.tenant_id = u.tenant_id) AS home_account, \
                 (SELECT COUNT(*) FROM memberships m WHERE m.user_id = u.id AND m.role = 'tenant_admin') AS tenant_roles \
                 FROM users u WHERE u.email = $1",
            )
            .bind(email)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Counts a failed sign-in; returns the lock's end if this failure locked the user.
    /// Claims one sign-in attempt for the user before the password is checked: the
    /// claim is counted at once, so concurrent guesses cannot slip past the limit.
    /// `false`: the user is locked, or has `LOCK_AFTER_FAILURES` attempts outstanding.
    pub async fn claim_sign_in_attempt(&self, user_id: &str, now_ms: i64) -> StoreResult<bool> {
        let claimed: Option<i64> = with_write!(self, |pool| {
            sqlx::query_scalar(
                "UPDATE users SET failed_logins = failed_logins + 1 \
                 WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) \
                 AND failed_logins < $3 RETURNING failed_logins",
            )
            .bind(user_id)
            .bind(now_ms)
            .bind(LOCK_AFTER_FAILURES)
            .fetch_optional(pool)
            .await?
        });
        Ok(claimed.is_some())
    }

    /// After a claimed attempt failed: locks the user once `LOCK_AFTER_FAILURES`
    /// attempts in a row have failed; returns the lock's end if this one locked.
    pub async fn record_failed_login(
        &self,
        user_id: &str,
        now_ms: i64,
    ) -> StoreResult<Option<i64>> {
        let locked_until = now_ms + LOCK_MS;
        let locked: Option<i64> = with_write!(self, |pool| {
            sqlx::query_scalar(
                "UPDATE users SET locked_until = $1, failed_logins = 0 \
                 WHERE id = $2 AND failed_logins >= $3 RETURNING locked_until",
            )
            .bind(locked_until)
            .bind(user_id)
            .bind(LOCK_AFTER_FAILURES)
            .fetch_optional(pool)
            .await?
        });
        Ok(locked)
    }

    pub async fn record_good_login(&self, user_id: &str) -> StoreResult<()> {
        with_write!(self, |pool| {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> StoreResult<()> {
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(now_ms)
            .bind(expires_ms)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        with_write!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The viewer behind a live session, with the scope their roles give.
    pub async fn viewer_for_session(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<Viewer>> {
        let user: Option<(String, String, String, String)> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT u.id, u.email, u.tenant_id, t.name FROM sessions s \
                 JOIN users u ON u.id = s.user_id JOIN tenants t ON t.id = u.tenant_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
            )
            .bind(token_hash)
            .bind(now_ms)
            .fetch_optional(pool)
            .await?
        });
        let Some((user_id, email, tenant_id, tenant_name)) = user else {
            return Ok(None);
        };
        // Memberships are checked against the user's tenant, so a stray row cannot widen scope.
        let roles: Vec<(Option<String>, String)> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT m.account_id, m.role FROM memberships m \
                 LEFT JOIN accounts a ON a.id = m.account_id \
                 WHERE m.user_id = $1 AND (m.account_id IS NULL OR a.tenant_id = $2) \
                 ORDER BY m.account_id",
            )
            .bind(&user_id)
            .bind(&tenant_id)
            .fetch_all(pool)
            .await?
        });
        let tenant_wide = roles
            .iter()
            .any(|(a, r)| a.is_none() && Role::parse(r) == Some(Role::TenantAdmin));
        let accounts: Vec<String> = roles
            .into_iter()
            .filter(|(_, r)| Role::parse(r) == Some(Role::AccountAdmin))
            .filter_map(|(a, _)| a)
            .collect();
        let (role, scope) = if tenant_wide {
            (Role::TenantAdmin, Scope::tenant(tenant_id))
        } else if !accounts.is_empty() {
            (
                Role::AccountAdmin,
                Scope {
                    tenant_id,
                    accounts: Some(accounts),
                },
            )
        } else {
            return Ok(None);
        };
        Ok(Some(Viewer {
            user_id,
            email,
            tenant_name,
            role,
            scope,
        }))
    }
}
