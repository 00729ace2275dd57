//! Who is looking, and which records that lets them see.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    TenantAdmin,
    AccountAdmin,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::TenantAdmin => "tenant_admin",
            Role::AccountAdmin => "account_admin",
        }
    }
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "tenant_admin" => Some(Role::TenantAdmin),
            "account_admin" => Some(Role::AccountAdmin),
            _ => None,
        }
    }
}

/// The records a caller may read: one tenant, and all or some of its accounts.
/// Always derived on the server from a session or an API key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub tenant_id: String,
    /// `None`: every account of the tenant.
    pub accounts: Option<Vec<String>>,
}

impl Scope {
    pub fn tenant(tenant_id: impl Into<String>) -> Self {
        Scope {
            tenant_id: tenant_id.into(),
            accounts: None,
        }
    }
    /// Whether a record of `account_id` (`None`: tenant-level) is visible.
    pub fn allows_account(&self, account_id: Option<&str>) -> bool {
        match (&self.accounts, account_id) {
            (None, _) => true,
            (Some(list), Some(a)) => list.iter().any(|x| x == a),
            (Some(_), None) => false,
        }
    }
}

impl Viewer {
    /// Where this viewer's own actions are audited: tenant-level (`None`) for tenant
    /// admins, else the smallest id of their accounts, as sign-in's audit takes it
    /// (`Store::user_login`).
    pub fn home_account(&self) -> Option<String> {
        self.scope
            .accounts
            .as_ref()
            .and_then(|a| a.iter().min().cloned())
    }
}

/// The signed-in user as the console shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: String,
    pub email: String,
    pub tenant_name: String,
    pub role: Role,
    pub scope: Scope,
}
