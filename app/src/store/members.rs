//! A tenant's console users and their roles (`memberships`), as the Members page lists
//! and changes them. Who may change what is the caller's to check (the server's
//! `console_forms::members`); these only keep every change inside the tenant.

use super::{from_ms, to_ms, with_read, with_write, Store, StoreResult};
use crate::model::members::Grant;
use crate::model::Role;
use chrono::{DateTime, Utc};

/// One role of one user, or a user with none (`grant: None`): a row of the Members page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub grant: Option<Grant>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Locked by failed sign-ins, until then.
    pub locked_until: Option<DateTime<Utc>>,
}

/// A user of the tenant with every role they hold in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberUser {
    pub user_id: String,
    pub email: String,
    pub disabled_at: Option<DateTime<Utc>>,
    pub grants: Vec<Grant>,
}

impl MemberUser {
    pub fn is_tenant_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::TenantAdmin)
    }

    /// Where this user's own changes are audited: as sign-in takes it (tenant-level
    /// for a tenant admin, else their smallest account).
    pub fn audit_account(&self) -> Option<String> {
        if self.is_tenant_admin() {
            return None;
        }
        self.grants
            .iter()
            .filter_map(|g| g.account_id.clone())
            .min()
    }
}

type Row = (
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// A stored role, if it is one a session honours (see `viewer_for_session`).
fn grant(role: Option<String>, account_id: Option<String>) -> Option<Grant> {
    let role = Role::parse(role.as_deref()?)?;
    match (role, &account_id) {
        (Role::TenantAdmin, None) | (Role::AccountAdmin, Some(_)) => {
            Some(Grant { role, account_id })
        }
        _ => None,
    }
}

/// The most rows the Members page lists.
pub const MAX_MEMBERS: i64 = 5000;

impl Store {
    /// Every user of the tenant, a row per role (a user with none: one row without),
    /// by email. Roles in another tenant's accounts are left out.
    pub async fn members_of(&self, tenant_id: &str) -> StoreResult<Vec<Member>> {
        let rows: Vec<Row> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT u.id, u.email, u.created_at, u.disabled_at, u.locked_until, m.role, m.account_id \
                 FROM users u LEFT JOIN memberships m ON m.user_id = u.id \
                 AND (m.account_id IS NULL OR m.account_id IN \
                      (SELECT a.id FROM accounts a WHERE a.tenant_id = u.tenant_id)) \
                 WHERE u.tenant_id = $1 ORDER BY u.email, m.account_id LIMIT $2",
            )
            .bind(tenant_id)
            .bind(MAX_MEMBERS)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(user_id, email, created, disabled, locked, role, account)| Member {
                    user_id,
                    email,
                    grant: grant(role, account),
                    created_at: from_ms(created),
                    disabled_at: disabled.map(from_ms),
                    locked_until: locked.map(from_ms),
                },
            )
            .collect())
    }

    /// A user of the tenant with their roles in it; `None` if there is no such user
    /// in this tenant.
    pub async fn member_user(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> StoreResult<Option<MemberUser>> {
        let rows: Vec<Row> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT u.id, u.email, u.created_at, u.disabled_at, u.locked_until, m.role, m.account_id \
                 FROM users u LEFT JOIN memberships m ON m.user_id = u.id \
                 AND (m.account_id IS NULL OR m.account_id IN \
                      (SELECT a.id FROM accounts a WHERE a.tenant_id = u.tenant_id)) \
                 WHERE u.tenant_id = $1 AND u.id = $2",
            )
            .bind(tenant_id)
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut user = MemberUser {
            user_id: first.0.clone(),
            email: first.1.clone(),
            disabled_at: first.3.map(from_ms),
            grants: Vec::new(),
        };
        user.grants = rows.into_iter().filter_map(|r| grant(r.5, r.6)).collect();
        Ok(Some(user))
    }

    /// Whether `email` has a user in any tenant (emails sign in, so they are unique).
    pub async fn email_taken(&self, email: &str) -> StoreResult<bool> {
        let found: Option<String> = with_read!(self, |pool| {
            sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// Gives the user another role; `false` if they hold one for that account already.
    pub async fn add_grant(&self, user_id: &str, grant: &Grant) -> StoreResult<bool> {
        let done = with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO memberships (user_id, account_id, role) \
                 SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM memberships \
                 WHERE user_id = $1 AND COALESCE(account_id, '') = COALESCE($2, ''))",
            )
            .bind(user_id)
            .bind(grant.account_id.as_deref())
            .bind(grant.role.as_str())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Replaces the user's role `from` with `to`; `false` if they do not hold `from`.
    pub async fn update_grant(&self, user_id: &str, from: &Grant, to: &Grant) -> StoreResult<bool> {
        let done = with_write!(self, |pool| {
            sqlx::query(
                "UPDATE memberships SET account_id = $1, role = $2 \
                 WHERE user_id = $3 AND COALESCE(account_id, '') = COALESCE($4, '') AND role = $5",
            )
            .bind(to.account_id.as_deref())
            .bind(to.role.as_str())
            .bind(user_id)
            .bind(from.account_id.as_deref())
            .bind(from.role.as_str())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }

    /// Takes a role from the user; `false` if they did not hold it.
    pub async fn remove_grant(&self, user_id: &str, grant: &Grant) -> StoreResult<bool> {
        let done = with_write!(self, |pool| {
            sqlx::query(
                "DELETE FROM memberships WHERE user_id = $1 \
                 AND COALESCE(account_id, '') = COALESCE($2, '') AND role = $3",
            )
            .bind(user_id)
            .bind(grant.account_id.as_deref())
            .bind(grant.role.as_str())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }

    /// Deactivates the user and ends their sessions; `false` if already deactivated.
    pub async fn deactivate_user(&self, user_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let done = with_write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL",
            )
            .bind(to_ms(now))
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            done
        });
        Ok(done == 1)
    }
}
