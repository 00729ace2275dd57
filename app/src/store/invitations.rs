//! Invitations to a tenant's console: a one-time link `/invite/<token>`, stored only
//! as the token's SHA-256 digest, valid for `INVITATION_LIFETIME_MS`. Accepting one
//! creates the user and their role in one transaction, and only once.

use super::secret::{random_token, secret_digest};
use super::{from_ms, to_ms, with_read, with_write, Store, StoreError, StoreResult};
use crate::model::members::{Email, Grant, InvitationState};
use crate::model::Role;
use chrono::{DateTime, Utc};

/// How long an invitation's link works: a week.
pub const INVITATION_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;

/// The longest token a link may carry; anything longer is no token of ours.
const MAX_TOKEN: usize = 128;

pub struct NewInvitation<'a> {
    pub tenant_id: &'a str,
    pub email: &'a Email,
    pub grant: &'a Grant,
    /// The inviter, as the audit names them.
    pub invited_by: &'a str,
}

/// A new invitation: its token exists only here, to be shown once.
pub struct CreatedInvitation {
    pub id: String,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for CreatedInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedInvitation")
            .field("id", &self.id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An invitation as stored (no token: only its digest is kept, and not read back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub grant: Grant,
    pub invited_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Invitation {
    pub fn state(&self, now: DateTime<Utc>) -> InvitationState {
        InvitationState::of(
            self.accepted_at.is_some(),
            self.revoked_at.is_some(),
            self.expires_at <= now,
        )
    }

    /// As the audit records it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "email": self.email,
            "role": self.grant.role.as_str(),
            "account_id": self.grant.account_id,
            "expires_at": self.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }
}

/// Why an invitation cannot be accepted.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("this invitation link is not valid")]
    Unknown,
    #[error("this invitation has expired")]
    Expired,
    #[error("this invitation has already been used")]
    Used,
    #[error("this invitation was withdrawn")]
    Revoked,
    #[error("this email already has a Vigil sign-in")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    tenant_id: String,
    email: String,
    role: String,
    account_id: Option<String>,
    invited_by: String,
    created_at: i64,
    expires_at: i64,
    accepted_at: Option<i64>,
    revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, tenant_id, email, role, account_id, invited_by, created_at, \
    expires_at, accepted_at, revoked_at";

impl Row {
    fn invitation(self) -> StoreResult<Invitation> {
        let role = Role::parse(&self.role).ok_or_else(|| StoreError::Corrupt {
            id: self.id.clone(),
            reason: format!("invitation with role {:?}", self.role),
        })?;
        Ok(Invitation {
            id: self.id,
            tenant_id: self.tenant_id,
            email: self.email,
            grant: Grant {
                role,
                account_id: self.account_id,
            },
            invited_by: self.invited_by,
            created_at: from_ms(self.created_at),
            expires_at: from_ms(self.expires_at),
            accepted_at: self.accepted_at.map(from_ms),
            revoked_at: self.revoked_at.map(from_ms),
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
    /// A new invitation, valid for `INVITATION_LIFETIME_MS` from `now`.
    pub async fn create_invitation(
        &self,
        new: NewInvitation<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<CreatedInvitation> {
        let id = format!("inv_{}", uuid::Uuid::now_v7().simple());
        let token = format!("inv_{}", random_token(32));
        let expires_at = from_ms(to_ms(now) + INVITATION_LIFETIME_MS);
        with_write!(self, |pool| {
            sqlx::query(
                "INSERT INTO invitations (id, tenant_id, email, role, account_id, token_hash, \
                 invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&id)
            .bind(new.tenant_id)
            .bind(new.email.as_str())
            .bind(new.grant.role.as_str())
            .bind(new.grant.account_id.as_deref())
            .bind(secret_digest(&token))
            .bind(new.invited_by)
            .bind(to_ms(now))
            .bind(to_ms(expires_at))
            .execute(pool)
            .await?;
        });
        Ok(CreatedInvitation {
            id,
            token,
            expires_at,
        })
    }

    /// The invitation a link's token names, whatever its state.
    pub async fn invitation_by_token(&self, token: &str) -> StoreResult<Option<Invitation>> {
        let Some(hash) = digest(token) else {
            return Ok(None);
        };
        let row: Option<Row> = with_read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM invitations WHERE token_hash = $1"
            ))
            .bind(&hash)
            .fetch_optional(pool)
            .await?
        });
        row.map(Row::invitation).transpose()
    }

    /// One of the tenant's invitations.
    pub async fn invitation(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Invitation>> {
        let row: Option<Row> = with_read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM invitations WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
        });
        row.map(Row::invitation).transpose()
    }

    /// The tenant's invitations neither accepted nor withdrawn (expired ones too, to
    /// show), newest first: at most `limit`.
    pub async fn open_invitations(
        &self,
        tenant_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<Invitation>> {
        let rows: Vec<Row> = with_read!(self, |pool| {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM invitations WHERE tenant_id = $1 \
                 AND accepted_at IS NULL AND revoked_at IS NULL \
                 ORDER BY created_at DESC, id DESC LIMIT $2"
            ))
            .bind(tenant_id)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(Row::invitation).collect()
    }

    /// Whether the tenant has a pending invitation for `email`.
    pub async fn pending_invitation_for(
        &self,
        tenant_id: &str,
        email: &Email,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let found: Option<String> = with_read!(self, |pool| {
            sqlx::query_scalar(
                "SELECT id FROM invitations WHERE tenant_id = $1 AND email = $2 \
                 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3 LIMIT 1",
            )
            .bind(tenant_id)
            .bind(email.as_str())
            .bind(to_ms(now))
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
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = with_write!(self, |pool| {
            sqlx::query(
                "UPDATE invitations SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 \
                 AND accepted_at IS NULL AND revoked_at IS NULL",
            )
            .bind(to_ms(now))
            .bind(tenant_id)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Accepts the invitation `token` names: in one transaction, marks it used and
    /// creates user `user_id` with its email, `password_hash` and role. Only one
    /// acceptance can succeed; an expired, used or withdrawn invitation says which.
    pub async fn accept_invitation(
        &self,
        token: &str,
        user_id: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Invitation, AcceptError> {
        let hash = digest(token).ok_or(AcceptError::Unknown)?;
        let now_ms = to_ms(now);
        let claimed: Option<Row> = with_write!(self, |pool| {
            let mut tx = pool.begin().await.map_err(StoreError::from)?;
            // Claimed first (the row stays locked until commit, so a concurrent
            // acceptance finds it used); the user it made is noted once it exists.
            let row: Option<Row> = sqlx::query_as(&format!(
                "UPDATE invitations SET accepted_at = $1 \
                 WHERE token_hash = $2 AND accepted_at IS NULL AND revoked_at IS NULL \
                 AND expires_at > $1 RETURNING {COLUMNS}"
            ))
            .bind(now_ms)
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::from)?;
            if let Some(r) = &row {
                let user = sqlx::query(
                    "INSERT INTO users (id, tenant_id, email, password_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(user_id)
                .bind(&r.tenant_id)
                .bind(&r.email)
                .bind(password_hash)
                .bind(now_ms)
                .execute(&mut *tx)
                .await;
                match user {
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        return Err(AcceptError::EmailTaken);
                    }
                    other => other.map_err(StoreError::from)?,
                };
                sqlx::query(
                    "INSERT INTO memberships (user_id, account_id, role) VALUES ($1, $2, $3)",
                )
                .bind(user_id)
                .bind(&r.account_id)
                .bind(&r.role)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from)?;
                sqlx::query("UPDATE invitations SET accepted_user = $1 WHERE id = $2")
                    .bind(user_id)
                    .bind(&r.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from)?;
            }
            tx.commit().await.map_err(StoreError::from)?;
            row
        });
        match claimed {
            Some(row) => Ok(row.invitation()?),
            None => {
                let found = self.invitation_by_token(token).await?;
                Err(match found.map(|i| i.state(now)) {
                    None | Some(InvitationState::Pending) => AcceptError::Unknown,
                    Some(InvitationState::Accepted) => AcceptError::Used,
                    Some(InvitationState::Revoked) => AcceptError::Revoked,
                    Some(InvitationState::Expired) => AcceptError::Expired,
                })
            }
        }
    }
}
