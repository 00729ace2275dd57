//! What the provisioning store functions share (tenants.rs, users.rs, invitations.rs):
//! their error, and keyset pages by id.

use super::StoreError;

/// Why a provisioning change was not made. The API answers each with its own status,
/// naming the field where there is one.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// Something with this id, or a user with this email, exists already (409).
    #[error("{field}: {what} exists already")]
    Taken {
        field: &'static str,
        what: &'static str,
    },
    /// The tenant named by the path does not exist (404).
    #[error("no such tenant")]
    NoTenant,
    /// The thing named by the path (a user, a key) is not the tenant's (404).
    #[error("no such {0} in this tenant")]
    NotFound(&'static str),
    /// A field names something the tenant does not have, or asks what cannot be (400).
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ProvisionError {
    fn from(e: sqlx::Error) -> Self {
        ProvisionError::Store(e.into())
    }
}

/// Whether a statement failed on a unique key (a taken id or email), on either database.
pub(super) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// One page of a list in id order: the rows after `after`, at most `limit`.
#[derive(Clone, Debug)]
pub struct Page {
    pub after: Option<String>,
    pub limit: u32,
}

impl Page {
    /// Most rows a page may ask for.
    pub const MAX: u32 = 1000;

    /// The id to list after ('' before every id).
    pub(super) fn after(&self) -> &str {
        self.after.as_deref().unwrap_or("")
    }

    /// Rows to fetch: one more than the page, to tell whether another follows.
    pub(super) fn fetch(&self) -> i64 {
        i64::from(self.limit.clamp(1, Page::MAX)) + 1
    }

    /// The page of `rows` (fetched with `fetch`) and the id to ask the next one after.
    pub(super) fn cut<T>(&self, mut rows: Vec<T>, id: impl Fn(&T) -> &str) -> Listed<T> {
        let limit = self.limit.clamp(1, Page::MAX) as usize;
        let next_after = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| id(r).to_owned())
        } else {
            None
        };
        Listed { rows, next_after }
    }
}

/// A page of rows, and where the next starts (`None`: this was the last).
#[derive(Clone, Debug)]
pub struct Listed<T> {
    pub rows: Vec<T>,
    pub next_after: Option<String>,
}
