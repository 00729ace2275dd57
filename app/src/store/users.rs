//! Console users as the operator provisions them: created with a role, listed with
//! their roles, given another role, deactivated (sign-in: identity.rs).

use super::provision::{is_unique_violation, Listed, Page, ProvisionError};
use super::{with_read, with_write, Store};
use crate::model::{AccountId, Email, Role, TenantId};
use sqlx::QueryBuilder;

// One role type for the operator API and the console's forms (which parse it).
pub use crate::model::members::Grant;

impl Grant {
    /// A role checked for its shape: an account admin of one account, a tenant admin of
    /// none. (Whether the account is the tenant's is checked where it is stored.)
    pub fn new(role: Role, account_id: Option<AccountId>) -> Result<Grant, ProvisionError> {
        match (role, account_id) {
            (Role::AccountAdmin, None) => Err(ProvisionError::Invalid {
                field: "account_id",
                message: "an account admin needs the account_id of their account".into(),
            }),
            (Role::TenantAdmin, Some(_)) => Err(ProvisionError::Invalid {
                field: "account_id",
                message: "a tenant admin holds the whole tenant: leave account_id out".into(),
            }),
            (role, account) => Ok(Grant {
                role,
                account_id: account.map(|a| a.to_string()),
            }),
        }
    }

    /// The account the user's own audit records go to: theirs for an account admin,
    /// tenant-level for a tenant admin.
    pub fn audit_account(&self) -> Option<String> {
        self.account_id.clone()
    }
}

/// A user as listed: never the password hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    pub grants: Vec<Grant>,
}

impl UserRow {
    /// Where records about this user go: their one account if they hold only account
    /// roles in one, else tenant-level.
    pub fn audit_account(&self) -> Option<String> {
        match self.grants.as_slice() {
            [one] => one.audit_account(),
            _ => None,
        }
    }
}

/// A new user: the email (unique across tenants), the password's hash, the role.
pub struct NewMember<'a> {
    pub tenant_id: &'a TenantId,
    pub email: &'a Email,
    pub password_hash: &'a str,
    pub grant: &'a Grant,
}

type UserColumns = (String, String, String, i64, Option<i64>);

impl Store {
    /// Creates a console user with one role. An email in use (in any tenant) is
    /// `Taken { field: "email" }`; an account not the tenant's, `Invalid { account_id }`.
    pub async fn add_user(
        &self,
        user: NewMember<'_>,
        now_ms: i64,
    ) -> Result<UserRow, ProvisionError> {
        let tenant = user.tenant_id.as_str();
        if !self.tenant_exists(tenant).await? {
            return Err(ProvisionError::NoTenant);
        }
        self.check_account_of(tenant, user.grant).await?;
        let id = format!("usr_{}", uuid::Uuid::now_v7().simple());
        let created = self
            .create_user(
                super::NewUser {
                    id: &id,
                    tenant_id: tenant,
                    email: user.email.as_str(),
                    password_hash: user.password_hash,
                    role: user.grant.role,
                    account_id: user.grant.account_id.as_deref(),
                },
                now_ms,
            )
            .await;
        match created {
            Ok(()) => {}
            Err(super::StoreError::Db(e)) if is_unique_violation(&e) => {
                return Err(ProvisionError::Taken {
                    field: "email",
                    what: "a user with this email",
                })
            }
            Err(e) => return Err(e.into()),
        }
        Ok(UserRow {
            id,
            tenant_id: tenant.to_owned(),
            email: user.email.to_string(),
            created_at: now_ms,
            disabled_at: None,
            grants: vec![user.grant.clone()],
        })
    }

    /// Refuses a grant of an account the tenant does not have.
    pub(super) async fn check_account_of(
        &self,
        tenant_id: &str,
        grant: &Grant,
    ) -> Result<(), ProvisionError> {
        if let Some(a) = &grant.account_id {
            if self.account_tenant(a).await?.as_deref() != Some(tenant_id) {
                return Err(ProvisionError::Invalid {
                    field: "account_id",
                    message: format!("no account {a} in this tenant"),
                });
            }
        }
        Ok(())
    }

    pub async fn users_page(
        &self,
        tenant_id: &str,
        page: &Page,
    ) -> Result<Listed<UserRow>, ProvisionError> {
        let rows: Vec<UserColumns> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, tenant_id, email, created_at, disabled_at FROM users \
                 WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(tenant_id)
            .bind(page.after())
            .bind(page.fetch())
            .fetch_all(pool)
            .await?
        });
        let listed = page.cut(rows, |u| &u.0);
        let users = self.with_grants(tenant_id, listed.rows).await?;
        Ok(Listed {
            rows: users,
            next_after: listed.next_after,
        })
    }

    pub async fn user_in(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<Option<UserRow>, ProvisionError> {
        let row: Option<UserColumns> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, tenant_id, email, created_at, disabled_at FROM users \
                 WHERE tenant_id = $1 AND id = $2",
            )
            .bind(tenant_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(self
            .with_grants(tenant_id, row.into_iter().collect())
            .await?
            .pop())
    }

    /// The users with their roles in `tenant_id` (a membership of another tenant's
    /// account is no role here, as at sign-in).
    async fn with_grants(
        &self,
        tenant_id: &str,
        users: Vec<UserColumns>,
    ) -> Result<Vec<UserRow>, ProvisionError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let memberships: Vec<(String, Option<String>, String)> = with_read!(self, |pool| {
            let mut q = QueryBuilder::new(
                "SELECT m.user_id, m.account_id, m.role FROM memberships m \
                 LEFT JOIN accounts a ON a.id = m.account_id WHERE (m.account_id IS NULL OR a.tenant_id = ",
            );
            q.push_bind(tenant_id.to_owned())
                .push(") AND m.user_id IN (");
            let mut ids = q.separated(", ");
            for u in &users {
                ids.push_bind(u.0.clone());
            }
            q.push(") ORDER BY m.user_id, m.account_id");
            q.build_query_as().fetch_all(pool).await?
        });
        Ok(users
            .into_iter()
            .map(|(id, tenant_id, email, created_at, disabled_at)| {
                let grants = memberships
                    .iter()
                    .filter(|(u, _, _)| *u == id)
                    .filter_map(|(_, account, role)| {
                        Some(Grant {
                            role: Role::parse(role)?,
                            account_id: account.clone(),
                        })
                    })
                    .collect();
                UserRow {
                    id,
                    tenant_id,
                    email,
                    created_at,
                    disabled_at,
                    grants,
                }
            })
            .collect())
    }

    /// Gives the user exactly `grant` in place of their roles; returns them before and
    /// after.
    pub async fn set_user_grant(
        &self,
        tenant_id: &str,
        user_id: &str,
        grant: &Grant,
    ) -> Result<(UserRow, UserRow), ProvisionError> {
        let before = self
            .user_in(tenant_id, user_id)
            .await?
            .ok_or(ProvisionError::NotFound("user"))?;
        self.check_account_of(tenant_id, grant).await?;
        with_write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM memberships WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO memberships (user_id, account_id, role) VALUES ($1, $2, $3)")
                .bind(user_id)
                .bind(&grant.account_id)
                .bind(grant.role.as_str())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        let after = UserRow {
            grants: vec![grant.clone()],
            ..before.clone()
        };
        Ok((before, after))
    }

    /// Deactivates (ending their sessions) or reactivates a user; returns them as they
    /// were, and whether this changed anything.
    pub async fn set_user_disabled(
        &self,
        tenant_id: &str,
        user_id: &str,
        disabled: bool,
        now_ms: i64,
    ) -> Result<(UserRow, bool), ProvisionError> {
        let before = self
            .user_in(tenant_id, user_id)
            .await?
            .ok_or(ProvisionError::NotFound("user"))?;
        if before.disabled_at.is_some() == disabled {
            return Ok((before, false));
        }
        with_write!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND tenant_id = $3")
                .bind(disabled.then_some(now_ms))
                .bind(user_id)
                .bind(tenant_id)
                .execute(&mut *tx)
                .await?;
            if disabled {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok((before, true))
    }
}
