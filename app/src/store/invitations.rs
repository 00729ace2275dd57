//! Invitations to the console, one table for both ways of making them: an operator
//! through `/api/v1/admin/tenants/{tenant}/invitations`, or an admin on the Members
//! page. The invitee opens the one-time link `/invite/<token>` (`accept_path`),
//! chooses a password, and is a user. Only the token's SHA-256 is stored; it expires,
//! works once, and an admin may withdraw it before.
//!
//! For the accept page: `Store::invitation(token, now_ms)` says what the link offers
//! (or why it no longer works), and `Store::accept_invitation(token, password_hash,
//! origin)` creates the user, marks the invitation used, and audits it, or refuses
//! with the same reasons.

use super::audit::{Change, Who};
use super::provision::{is_unique_violation, Listed, Page, ProvisionError};
use super::secret::{random_token, secret_digest};
use super::users::Grant;
use super::{from_ms, with_read, with_write, Store, StoreError};
use crate::model::members::InvitationState;
use crate::model::{Email, Role, WrittenBy};
use crate::ssr::Origin;
use chrono::{DateTime, Utc};

/// Where the console's accept page is: the link is `{ACCEPT_INVITATION_PATH}/<token>`
/// (in the path, which the request log masks: see `server::auth::session::logged_path`).
pub const ACCEPT_INVITATION_PATH: &str = "/invite";
/// How long an operator's invitation lasts unless asked otherwise, and at most, in hours.
pub const INVITATION_HOURS: i64 = 72;
pub const MAX_INVITATION_HOURS: i64 = 30 * 24;
/// How long an invitation made on the Members page lasts: a week.
pub const CONSOLE_INVITATION_HOURS: i64 = 7 * 24;

/// The longest token a link may carry; anything longer is no token of ours.
const MAX_TOKEN: usize = 128;

/// The accept page's path for `token`: the one-time link, less the host.
pub fn accept_path(token: &str) -> String {
    format!("{ACCEPT_INVITATION_PATH}/{token}")
}

/// An invitation as stored and listed: never its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    pub id: String,
    pub tenant_id: String,
    pub tenant_name: String,
    pub email: String,
    pub grant: Grant,
    /// The credential that invited (a `written_by`: operator:<id>, console:<user id>).
    pub created_by: String,
    /// Who invited, as a person reads it: a console user's email, else `created_by`.
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Invitation {
    pub fn state(&self, now: DateTime<Utc>) -> InvitationState {
        InvitationState::of(
            self.accepted_at.is_some(),
            self.revoked_at.is_some(),
            self.expires_at <= now.timestamp_millis(),
        )
    }

    pub fn expires(&self) -> DateTime<Utc> {
        from_ms(self.expires_at)
    }
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
        accept_path(&self.token)
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
    #[error("this invitation was withdrawn: ask for a new one")]
    Revoked,
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

impl InvitationError {
    /// Where the refused invitation stands (`None`: no such invitation, or a failure).
    pub fn state(&self) -> Option<InvitationState> {
        match self {
            InvitationError::Expired => Some(InvitationState::Expired),
            InvitationError::Used => Some(InvitationState::Accepted),
            InvitationError::Revoked => Some(InvitationState::Revoked),
            _ => None,
        }
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

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    tenant_id: String,
    tenant_name: String,
    email: String,
    role: String,
    account_id: Option<String>,
    created_by: String,
    inviter_email: Option<String>,
    created_at: i64,
    expires_at: i64,
    accepted_at: Option<i64>,
    revoked_at: Option<i64>,
}

// The inviter's email when a console user invited (`created_by` is `console:<id>`).
const COLUMNS: &str = "i.id, i.tenant_id, t.name AS tenant_name, i.email, i.role, \
     i.account_id, i.created_by, u.email AS inviter_email, i.created_at, i.expires_at, \
     i.accepted_at, i.revoked_at FROM invitations i JOIN tenants t ON t.id = i.tenant_id \
     LEFT JOIN users u ON i.created_by = 'console:' || u.id";

impl Row {
    fn invitation(self) -> Option<Invitation> {
        Some(Invitation {
            grant: Grant {
                role: Role::parse(&self.role)?,
                account_id: self.account_id,
            },
            invited_by: self
                .inviter_email
                .unwrap_or_else(|| self.created_by.clone()),
            id: self.id,
            tenant_id: self.tenant_id,
            tenant_name: self.tenant_name,
            email: self.email,
            created_by: self.created_by,
            created_at: self.created_at,
            expires_at: self.expires_at,
            accepted_at: self.accepted_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// A token's digest, if the text could be one of our tokens at all.
fn digest(token: &str) -> Option<String> {
    let plausible = !token.is_empty()
        && token.len() <= MAX_TOKEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plausible.then(|| secret_digest(token))
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
                invited_by: new.created_by.to_string(),
                created_at: now_ms,
                expires_at,
                accepted_at: None,
                revoked_at: None,
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
        let rows: Vec<Row> = with_read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} WHERE i.tenant_id = $1 AND i.id > $2 ORDER BY i.id LIMIT $3"
            ))
            .bind(tenant_id)
            .bind(page.after())
            .bind(page.fetch())
            .fetch_all(pool)
            .await?
        });
        let listed = page.cut(rows, |r| &r.id);
        Ok(Listed {
            rows: listed
                .rows
                .into_iter()
                .filter_map(Row::invitation)
                .collect(),
            next_after: listed.next_after,
        })
    }

    /// The tenant's invitations neither accepted nor withdrawn (expired ones too, to
    /// show), newest first: at most `limit`.
    pub async fn open_invitations(
        &self,
        tenant_id: &str,
        limit: i64,
    ) -> Result<Vec<Invitation>, StoreError> {
        let rows: Vec<Row> = with_read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} WHERE i.tenant_id = $1 \
                 AND i.accepted_at IS NULL AND i.revoked_at IS NULL \
                 ORDER BY i.created_at DESC, i.id DESC LIMIT $2"
            ))
            .bind(tenant_id)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().filter_map(Row::invitation).collect())
    }

    /// One of the tenant's invitations, by id, whatever its state.
    pub async fn tenant_invitation(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<Invitation>, StoreError> {
        let row: Option<Row> = with_read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} WHERE i.tenant_id = $1 AND i.id = $2"
            ))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.and_then(Row::invitation))
    }

    /// Whether the tenant has a pending invitation for `email`.
    pub async fn pending_invitation_for(
        &self,
        tenant_id: &str,
        email: &Email,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let found: Option<String> = with_read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT id FROM invitations WHERE tenant_id = $1 AND email = $2 \
                 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3 LIMIT 1",
            )
            .bind(tenant_id)
            .bind(email.as_str())
            .bind(now_ms)
            .fetch_optional(pool)
            .await?
        });
        Ok(found.is_some())
    }

    /// Withdraws a pending invitation; `false` if it was no longer pending.
    pub async fn revoke_invitation(
        &self,
        tenant_id: &str,
        id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = with_write!(self, |pool| {
            sqlx::query(
                "UPDATE invitations SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 \
                 AND accepted_at IS NULL AND revoked_at IS NULL",
            )
            .bind(now_ms)
            .bind(tenant_id)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// What the link with `token` offers, if it still works.
    pub async fn invitation(
        &self,
        token: &str,
        now_ms: i64,
    ) -> Result<Invitation, InvitationError> {
        let hash = digest(token).ok_or(InvitationError::Unknown)?;
        let row: Option<Row> = with_read!(self, |pool| {
            sqlx::query_as(&format!("SELECT {COLUMNS} WHERE i.token_hash = $1"))
                .bind(&hash)
                .fetch_optional(pool)
                .await?
        });
        let found = row
            .and_then(Row::invitation)
            .ok_or(InvitationError::Unknown)?;
        if found.accepted_at.is_some() {
            return Err(InvitationError::Used);
        }
        if found.revoked_at.is_some() {
            return Err(InvitationError::Revoked);
        }
        if found.expires_at <= now_ms {
            return Err(InvitationError::Expired);
        }
        Ok(found)
    }

    /// Accepts the invitation: creates its user with `password_hash` (Argon2id, as
    /// sign-in checks it) and its role, marks it used (in one transaction, so a link
    /// works once), and appends "Invitation accepted" to the tenant's chain, by the
    /// invitee from `origin`: the one record of the acceptance, whichever way the
    /// invitation was made.
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
                "UPDATE invitations SET accepted_at = $1 WHERE id = $2 \
                 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
            )
            .bind(now_ms)
            .bind(&found.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed != 1 {
                None
            } else {
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
                    Err(e) if is_unique_violation(&e) => Some(true),
                    Err(e) => return Err(e.into()),
                    Ok(_) => {
                        sqlx::query(
                            "INSERT INTO memberships (user_id, account_id, role) \
                             VALUES ($1, $2, $3)",
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
                        Some(false)
                    }
                }
            }
        });
        match taken {
            // Someone else's acceptance (or a withdrawal) came first: say which.
            None => {
                return Err(self
                    .invitation(token, now_ms)
                    .await
                    .err()
                    .unwrap_or(InvitationError::Used))
            }
            Some(true) => return Err(InvitationError::EmailTaken),
            Some(false) => {}
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
            old_value: Some(serde_json::json!({
                "email": accepted.email,
                "state": "pending",
            })),
            new_value: Some(serde_json::json!({
                "email": accepted.email,
                "state": "accepted",
                "user_id": accepted.user_id,
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
