//! Invitations to the console: an operator (or an admin) invites an email with a role;
//! the invitee opens the one-time link, chooses a password, and is a user. Only the
//! token's SHA-256 is stored; it expires, and works once.
//!
//! For the accept page: `Store::invitation(token)` says what the link offers (or why
//! it no longer works), and `Store::accept_invitation(token, password_hash, origin)`
//! creates the user, marks the invitation used, and audits it, or refuses with the
//! same reasons.

use super::audit::{Change, Who};
use super::provision::{is_unique_violation, Listed, Page, ProvisionError};
use super::secret::{random_token, secret_digest};
use super::users::Grant;
use super::{from_ms, with_read, with_write, Store, StoreError};
use crate::model::{Email, Role, WrittenBy};
use crate::ssr::Origin;

/// Where the console's accept page is: the link is `{ACCEPT_INVITATION_PATH}?token=…`.
pub const ACCEPT_INVITATION_PATH: &str = "/invitation";
/// How long an invitation lasts unless asked otherwise, and at most, in hours.
pub const INVITATION_HOURS: i64 = 72;
pub const MAX_INVITATION_HOURS: i64 = 30 * 24;

/// An invitation as stored and listed: never its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    pub id: String,
    pub tenant_id: String,
    pub tenant_name: String,
    pub email: String,
    pub grant: Grant,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
}

/// An invitation just made: its token exists only here, to be handed to the invitee.
pub struct CreatedInvitation {
    pub invitation: Invitation,
    pub token: String,
}

impl std::fmt::Debug for CreatedInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedInvitation")
            .field("invitation", &self.invitation)
            .finish_non_exhaustive()
    }
}

impl CreatedInvitation {
    /// The accept page's path with the token: the one-time link, less the host.
    pub fn accept_path(&self) -> String {
        format!("{ACCEPT_INVITATION_PATH}?token={}", self.token)
    }
}

/// The user an accepted invitation made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedInvitation {
    pub invitation_id: String,
    pub user_id: String,
    pub tenant_id: String,
    pub email: String,
    pub grant: Grant,
}

/// Why a link does not work (the accept page shows each in words).
#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    #[error("this invitation link is not valid")]
    Unknown,
    #[error("this invitation has expired: ask for a new one")]
    Expired,
    #[error("this invitation has been used already")]
    Used,
    #[error("a user with this email exists already: sign in instead")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for InvitationError {
    fn from(e: sqlx::Error) -> Self {
        InvitationError::Store(e.into())
    }
}

/// A new invitation: to whom, with which role, for how long, by whom.
pub struct NewInvitation<'a> {
    pub tenant_id: &'a str,
    pub email: &'a Email,
    pub grant: &'a Grant,
    pub hours: i64,
    pub created_by: &'a WrittenBy,
}

type InvitationColumns = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
    Option<i64>,
);

const COLUMNS: &str = "i.id, i.tenant_id, t.name, i.email, i.role, i.account_id, i.created_by, \
     i.created_at, i.expires_at, i.accepted_at FROM invitations i JOIN tenants t ON t.id = i.tenant_id";

fn invitation(row: InvitationColumns) -> Option<Invitation> {
    let (
        id,
        tenant_id,
        tenant_name,
        email,
        role,
        account_id,
        created_by,
        created,
        expires,
        accepted,
    ) = row;
    Some(Invitation {
        id,
        tenant_id,
        tenant_name,
        email,
        grant: Grant {
            role: Role::parse(&role)?,
            account_id,
        },
        created_by,
        created_at: created,
        expires_at: expires,
        accepted_at: accepted,
    })
}

impl Store {
    /// Invites `email` with a role, for `hours` (1 to `MAX_INVITATION_HOURS`). An email
    /// that already has a user is `Taken { field: "email" }`.
    pub async fn create_invitation(
        &self,
        new: NewInvitation<'_>,
        now_ms: i64,
    ) -> Result<CreatedInvitation, ProvisionError> {
        let tenant = self
            .tenant(new.tenant_id)
            .await?
            .ok_or(ProvisionError::NoTenant)?;
        if !(1..=MAX_INVITATION_HOURS).contains(&new.hours) {
            return Err(ProvisionError::Invalid {
                field: "expires_in_hours",
                message: format!("1 to {MAX_INVITATION_HOURS} hours"),
            });
        }
        self.check_account_of(new.tenant_id, new.grant).await?;
        if self.user_login(new.email.as_str()).await?.is_some() {
            return Err(ProvisionError::Taken {
                field: "email",
                what: "a user with this email",
            });
        }
        let token = format!("vgi_{}", random_token(32));
        let id = format!("inv_{}", uuid::Uuid::now_v7().simple());
        let expires_at = now_ms + new.hours * 3600 * 1000;
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO invitations (id, token_hash, tenant_id, email, role, account_id, \
                 created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&id)
            .bind(secret_digest(&token))
            .bind(new.tenant_id)
            .bind(new.email.as_str())
            .bind(new.grant.role.as_str())
            .bind(&new.grant.account_id)
            .bind(new.created_by.to_string())
            .bind(now_ms)
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(CreatedInvitation {
            invitation: Invitation {
                id,
                tenant_id: tenant.id,
                tenant_name: tenant.name,
                email: new.email.to_string(),
                grant: new.grant.clone(),
                created_by: new.created_by.to_string(),
                created_at: now_ms,
                expires_at,
                accepted_at: None,
            },
            token,
        })
    }

    /// One page of the tenant's invitations, in id (so creation) order.
    pub async fn invitations_page(
        &self,
        tenant_id: &str,
        page: &Page,
    ) -> Result<Listed<Invitation>, StoreError> {
        let rows: Vec<InvitationColumns> = with_read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} WHERE i.tenant_id = $1 AND i.id > $2 ORDER BY i.id LIMIT $3"
            ))
            .bind(tenant_id)
            .bind(page.after())
            .bind(page.fetch())
            .fetch_all(pool)
            .await?
        });
        let listed = page.cut(rows, |r| &r.0);
        Ok(Listed {
            rows: listed.rows.into_iter().filter_map(invitation).collect(),
            next_after: listed.next_after,
        })
    }

    /// What the link with `token` offers, if it still works.
    pub async fn invitation(
        &self,
        token: &str,
        now_ms: i64,
    ) -> Result<Invitation, InvitationError> {
        let row: Option<InvitationColumns> = with_read!(self, |pool| {
            sqlx::query_as(&format!("SELECT {COLUMNS} WHERE i.token_hash = $1"))
                .bind(secret_digest(token))
                .fetch_optional(pool)
                .await?
        });
        let found = row.and_then(invitation).ok_or(InvitationError::Unknown)?;
        if found.accepted_at.is_some() {
            return Err(InvitationError::Used);
        }
        if found.expires_at <= now_ms {
            return Err(InvitationError::Expired);
        }
        Ok(found)
    }

    /// Accepts the invitation: creates its user with `password_hash` (Argon2id, as
    /// sign-in checks it) and its role, marks it used (in one transaction, so a link
    /// works once), and appends "Invitation accepted" to the tenant's chain, by the
    /// invitee from `origin`.
    pub async fn accept_invitation(
        &self,
        token: &str,
        password_hash: &str,
        origin: Origin,
    ) -> Result<AcceptedInvitation, InvitationError> {
        let now = chrono::Utc::now();
        let now_ms = now.timestamp_millis();
        let found = self.invitation(token, now_ms).await?;
        let user_id = format!("usr_{}", uuid::Uuid::now_v7().simple());
        let taken = with_write!(self, |pool| {
            let mut tx = pool.begin().await?;
            // Claimed first, so a second acceptance waits for this one and finds it used.
            let claimed = sqlx::query(
                "UPDATE invitations SET accepted_at = $1 \
                 WHERE id = $2 AND accepted_at IS NULL AND expires_at > $1",
            )
            .bind(now_ms)
            .bind(&found.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed != 1 {
                return Err(InvitationError::Used);
            }
            let inserted = sqlx::query(
                "INSERT INTO users (id, tenant_id, email, password_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&user_id)
            .bind(&found.tenant_id)
            .bind(&found.email)
            .bind(password_hash)
            .bind(now_ms)
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(e) if is_unique_violation(&e) => true,
                Err(e) => return Err(e.into()),
                Ok(_) => {
                    sqlx::query(
                        "INSERT INTO memberships (user_id, account_id, role) VALUES ($1, $2, $3)",
                    )
                    .bind(&user_id)
                    .bind(&found.grant.account_id)
                    .bind(found.grant.role.as_str())
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE invitations SET user_id = $1 WHERE id = $2")
                        .bind(&user_id)
                        .bind(&found.id)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    false
                }
            }
        });
        if taken {
            return Err(InvitationError::EmailTaken);
        }
        let accepted = AcceptedInvitation {
            invitation_id: found.id.clone(),
            user_id,
            tenant_id: found.tenant_id.clone(),
            email: found.email.clone(),
            grant: found.grant.clone(),
        };
        let change = Change {
            action: "create",
            resource_type: "user",
            resource_id: Some(accepted.user_id.clone()),
            event_name: "Invitation accepted",
            old_value: None,
            new_value: Some(serde_json::json!({
                "email": accepted.email,
                "role": accepted.grant.role.as_str(),
                "account_id": accepted.grant.account_id,
                "invitation_id": accepted.invitation_id,
                "invited_by": found.created_by,
                "invited_at": from_ms(found.created_at),
            })),
        };
        let who = Who::from_origin(&accepted.email, origin);
        self.audit(
            &accepted.tenant_id,
            accepted.grant.audit_account(),
            &who,
            change,
        )
        .await
        .map_err(|e| match e {
            super::AppendError::Store(e) => InvitationError::Store(e),
            other => InvitationError::Store(StoreError::Conflict(other.to_string())),
        })?;
        Ok(accepted)
    }
}
