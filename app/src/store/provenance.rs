//! Who wrote a record to Vigil, in words: the key's name, the user's email, the
//! operator token's name, or Vigil.

use super::{with_read, Store, StoreResult};
use crate::model::{Scope, WrittenBy};

impl Store {
    /// `written_by` as `scope` may read it. A key outside the scope (a tenant-wide key,
    /// to an account admin) is named no further than that.
    pub async fn writer_label(&self, scope: &Scope, written_by: &WrittenBy) -> StoreResult<String> {
        Ok(match written_by {
            WrittenBy::ApiKey(id) => {
                let key: Option<(String, String, Option<String>)> = with_read!(self, |pool| {
                    sqlx::query_as(
                        "SELECT name, prefix, account_id FROM api_keys \
                         WHERE id = $1 AND tenant_id = $2",
                    )
                    .bind(id)
                    .bind(&scope.tenant_id)
                    .fetch_optional(pool)
                    .await?
                });
                match key {
                    Some((name, prefix, account)) if scope.allows_account(account.as_deref()) => {
                        format!("API key “{name}” (vgl_{prefix}_…)")
                    }
                    Some(_) => "an API key of the whole tenant".into(),
                    None => format!("API key {id} (not on record)"),
                }
            }
            WrittenBy::Console(user_id) => {
                let email: Option<String> = with_read!(self, |pool| {
                    sqlx::query_scalar("SELECT email FROM users WHERE id = $1 AND tenant_id = $2")
                        .bind(user_id)
                        .bind(&scope.tenant_id)
                        .fetch_optional(pool)
                        .await?
                });
                match email {
                    Some(email) => format!("{email}, signed in to the console"),
                    None => format!("console user {user_id} (not on record)"),
                }
            }
            WrittenBy::Operator(id) => {
                match self.operator_token_label(id).await? {
                    Some((name, prefix)) => {
                        format!("operator token “{name}” (vgo_{prefix}_…), through the provisioning API")
                    }
                    None => format!("operator token {id} (not on record)"),
                }
            }
            WrittenBy::Vigil => "Vigil itself (its sign-in page, command line or demo seed)".into(),
        })
    }
}
