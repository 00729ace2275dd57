//! Who is looking, and which records that lets them see.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    pub fn allows_account(&self, account_id: &str) -> bool {
        self.accounts
            .as_ref()
            .is_none_or(|a| a.iter().any(|x| x == account_id))
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
