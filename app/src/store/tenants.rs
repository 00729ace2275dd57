//! Tenants and their accounts as the operator provisions them (`/api/v1/admin/`,
//! `vigil init`), and accounts that ingest creates on first sight when the tenant
//! allows it (`auto_create_accounts`).

use super::provision::{is_unique_violation, Listed, Page, ProvisionError};
use super::{with_read, with_write, Store, StoreResult};
use crate::model::{AccountId, DisplayName, TenantId};
use std::collections::HashMap;

/// Accounts that ingest may create in one tenant, at most: a hostile key cannot make
/// the tenant's account list grow without bound. Past it, an unknown account is
/// refused as when the setting is off.
pub const MAX_AUTO_CREATED_ACCOUNTS: i64 = 1000;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TenantRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    /// Ingest creates an account it does not know (see `create_named_accounts`).
    pub auto_create_accounts: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub created_at: i64,
    /// The ingest key whose record named the account first, if ingest created it.
    pub auto_created_by: Option<String>,
}

/// What a tenant's settings change to: `None` leaves one as it is.
#[derive(Clone, Debug, Default)]
pub struct TenantChange {
    pub name: Option<DisplayName>,
    pub auto_create_accounts: Option<bool>,
}

/// Why ingest did not create the accounts a request named.
#[derive(Debug, thiserror::Error)]
pub enum AutoCreateError {
    /// The tenant does not create accounts on first sight.
    #[error("the tenant does not create accounts on first sight")]
    Off,
    /// The request's record at `index` names an account that cannot be created.
    #[error("record {index}: {message}")]
    Refused { index: usize, message: String },
    #[error(transparent)]
    Store(#[from] super::StoreError),
}

impl From<sqlx::Error> for AutoCreateError {
    fn from(e: sqlx::Error) -> Self {
        AutoCreateError::Store(e.into())
    }
}

const TENANT_COLUMNS: &str = "t.id, t.name, t.created_at, \
     COALESCE(s.auto_create_accounts, FALSE) AS auto_create_accounts \
     FROM tenants t LEFT JOIN tenant_settings s ON s.tenant_id = t.id";

impl Store {
    /// Creates a tenant; its id taken is `Taken { field: "id" }`.
    pub async fn add_tenant(
        &self,
        id: &TenantId,
        name: &DisplayName,
        auto_create_accounts: bool,
        now_ms: i64,
    ) -> Result<TenantRow, ProvisionError> {
        let inserted = with_write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query(
                "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(id.as_str())
            .bind(name.as_str())
            .bind(now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "INSERT INTO tenant_settings (tenant_id, auto_create_accounts) VALUES ($1, $2) \
                 ON CONFLICT (tenant_id) DO NOTHING",
            )
            .bind(id.as_str())
            .bind(auto_create_accounts)
            .execute(&mut *tx)
            .await?;
            if inserted == 1 {
                tx.commit().await?;
            }
            inserted
        });
        if inserted != 1 {
            return Err(ProvisionError::Taken {
                field: "id",
                what: "a tenant with this id",
            });
        }
        Ok(TenantRow {
            id: id.to_string(),
            name: name.to_string(),
            created_at: now_ms,
            auto_create_accounts,
        })
    }

    pub async fn tenant(&self, id: &str) -> StoreResult<Option<TenantRow>> {
        Ok(with_read!(self, |pool| {
            sqlx::query_as(&format!("SELECT {TENANT_COLUMNS} WHERE t.id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        }))
    }

    pub async fn tenants(&self, page: &Page) -> StoreResult<Listed<TenantRow>> {
        let rows: Vec<TenantRow> = with_read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {TENANT_COLUMNS} WHERE t.id > $1 ORDER BY t.id LIMIT $2"
            ))
            .bind(page.after())
            .bind(page.fetch())
            .fetch_all(pool)
            .await?
        });
        Ok(page.cut(rows, |t| &t.id))
    }

    /// Changes a tenant's name or settings; returns it before and after.
    pub async fn change_tenant(
        &self,
        id: &str,
        change: &TenantChange,
    ) -> Result<(TenantRow, TenantRow), ProvisionError> {
        let before = self.tenant(id).await?.ok_or(ProvisionError::NoTenant)?;
        with_write!(self, |pool| {
            let mut tx = pool.begin().await?;
            if let Some(name) = &change.name {
                sqlx::query("UPDATE tenants SET name = $1 WHERE id = $2")
                    .bind(name.as_str())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(on) = change.auto_create_accounts {
                sqlx::query(
                    "INSERT INTO tenant_settings (tenant_id, auto_create_accounts) VALUES ($1, $2) \
                     ON CONFLICT (tenant_id) DO UPDATE SET auto_create_accounts = excluded.auto_create_accounts",
                )
                .bind(id)
                .bind(on)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        let after = self.tenant(id).await?.ok_or(ProvisionError::NoTenant)?;
        Ok((before, after))
    }

    /// Creates an account of the tenant. Account ids are unique across tenants: one
    /// taken anywhere is `Taken { field: "id" }`.
    pub async fn add_account(
        &self,
        tenant_id: &str,
        id: &AccountId,
        name: &DisplayName,
        now_ms: i64,
    ) -> Result<AccountRow, ProvisionError> {
        if !self.tenant_exists(tenant_id).await? {
            return Err(ProvisionError::NoTenant);
        }
        let inserted = with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO accounts (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(id.as_str())
            .bind(tenant_id)
            .bind(name.as_str())
            .bind(now_ms)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        });
        match inserted {
            Ok(1) => Ok(AccountRow {
                id: id.to_string(),
                tenant_id: tenant_id.to_owned(),
                name: name.to_string(),
                created_at: now_ms,
                auto_created_by: None,
            }),
            Ok(_) => Err(taken_account()),
            Err(e) if is_unique_violation(&e) => Err(taken_account()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn accounts_page(
        &self,
        tenant_id: &str,
        page: &Page,
    ) -> StoreResult<Listed<AccountRow>> {
        let rows: Vec<AccountRow> = with_read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, tenant_id, name, created_at, auto_created_by FROM accounts \
                 WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(tenant_id)
            .bind(page.after())
            .bind(page.fetch())
            .fetch_all(pool)
            .await?
        });
        Ok(page.cut(rows, |a| &a.id))
    }

    /// Creates, in one transaction, the accounts of `named` (a request's record index
    /// and account id) the tenant does not have yet, if the tenant creates accounts on
    /// first sight: all of them, or none if one cannot be (an id taken by another
    /// tenant, an id outside the charset, past `MAX_AUTO_CREATED_ACCOUNTS`). Returns
    /// the ids created, each named after itself; `key_id` caused them.
    pub async fn create_named_accounts(
        &self,
        tenant_id: &str,
        named: &[(usize, &str)],
        key_id: &str,
        now_ms: i64,
    ) -> Result<Vec<AccountId>, AutoCreateError> {
        let for_update = self.dialect.for_update();
        with_write!(self, |pool| {
            let mut tx = pool.begin().await?;
            // The tenant's row, locked: concurrent requests count the cap one at a time.
            let on: Option<bool> = sqlx::query_scalar(&format!(
                "SELECT COALESCE(s.auto_create_accounts, FALSE) FROM tenants t \
                 LEFT JOIN tenant_settings s ON s.tenant_id = t.id WHERE t.id = $1{}",
                if for_update.is_empty() {
                    ""
                } else {
                    " FOR UPDATE OF t"
                }
            ))
            .bind(tenant_id)
            .fetch_optional(&mut *tx)
            .await?;
            if on != Some(true) {
                return Err(AutoCreateError::Off);
            }
            let mut owners: HashMap<String, String> = HashMap::new();
            for (_, id) in named {
                if owners.contains_key(*id) {
                    continue;
                }
                let owner: Option<String> =
                    sqlx::query_scalar("SELECT tenant_id FROM accounts WHERE id = $1")
                        .bind(*id)
                        .fetch_optional(&mut *tx)
                        .await?;
                owners.insert((*id).to_owned(), owner.unwrap_or_default());
            }
            let made: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM accounts WHERE tenant_id = $1 AND auto_created_by IS NOT NULL",
            )
            .bind(tenant_id)
            .fetch_one(&mut *tx)
            .await?;
            let mut created: Vec<AccountId> = Vec::new();
            for (index, id) in named {
                let refuse = |why: String| AutoCreateError::Refused {
                    index: *index,
                    message: format!(
                        "no account {id} in this tenant, and ingest cannot create it: {why}"
                    ),
                };
                match owners.get(*id).map(String::as_str) {
                    Some(t) if t == tenant_id => continue,
                    Some("") | None => {}
                    // Another tenant's: refused as when the setting is off.
                    Some(_) => return Err(not_here(*index, id)),
                }
                let account = AccountId::parse(id).map_err(|e| refuse(e.0))?;
                if created.contains(&account) {
                    continue;
                }
                if made + created.len() as i64 >= MAX_AUTO_CREATED_ACCOUNTS {
                    return Err(refuse(format!(
                        "ingest has created {MAX_AUTO_CREATED_ACCOUNTS} accounts in this tenant, \
                         the most it may; create accounts with the operator API"
                    )));
                }
                let inserted = sqlx::query(
                    "INSERT INTO accounts (id, tenant_id, name, created_at, auto_created_by) \
                     VALUES ($1, $2, $1, $3, $4)",
                )
                .bind(account.as_str())
                .bind(tenant_id)
                .bind(now_ms)
                .bind(key_id)
                .execute(&mut *tx)
                .await;
                match inserted {
                    Ok(_) => created.push(account),
                    // Another tenant took the id meanwhile.
                    Err(e) if is_unique_violation(&e) => return Err(not_here(*index, id)),
                    Err(e) => return Err(e.into()),
                }
            }
            tx.commit().await?;
            Ok(created)
        })
    }
}

/// The refusal of ingest naming an account the tenant does not have.
fn not_here(index: usize, id: &str) -> AutoCreateError {
    AutoCreateError::Refused {
        index,
        message: format!("no account {id} in this tenant"),
    }
}

fn taken_account() -> ProvisionError {
    ProvisionError::Taken {
        field: "id",
        what: "an account with this id (in this or another tenant)",
    }
}
